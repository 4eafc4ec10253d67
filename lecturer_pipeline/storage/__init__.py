"""Where artefacts live: the object store (local directory or S3) and the catalog (SQLite or PostgreSQL)."""
