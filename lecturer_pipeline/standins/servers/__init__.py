"""Real servers for the tests and the benchmark, found or started on demand: PostgreSQL (``postgres``), an S3 server
(Ceph RADOS Gateway, ``s3_server`` + ``ceph_rgw.sh``), RabbitMQ and Redis (``broker``), Dagster's webserver and daemon
as ``make dev`` runs them (``dagster_services``) and a Celery deployment on one machine (``cluster``, ``make
cluster``).

They live in the package, not the test suite, because ``bench/`` and ``make cluster`` start them too. What they need
beyond the Python dependencies is the machine's: Debian packages (``postgresql``, ``ceph-mon ceph-osd radosgw
ceph-common``, ``rabbitmq-server``, ``redis-server``), installed from apt when missing and allowed, as on the test
machines; ``make test-packages`` installs them.
"""
