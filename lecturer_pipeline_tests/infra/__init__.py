"""Real servers for the tests: PostgreSQL and an S3 server (Ceph RADOS Gateway), found or started on demand."""
