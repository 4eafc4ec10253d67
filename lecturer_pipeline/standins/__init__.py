"""Stand-ins for the remote model services, and the real servers the tests and the benchmark run on.

The service stand-ins (``zyphra``, ``ollama``, ``kdtalker``, ``zonos``) speak each service's real protocol on
127.0.0.1 and make real media (espeak-ng speech, ffmpeg video), with counters and switchable failures; each names the
upstream file and commit it mirrors. ``servers/`` finds or starts PostgreSQL, Ceph RGW (S3), RabbitMQ and Redis, and
launches Dagster's webserver and daemon and a Celery cluster as an operator would.

A top layer beside ``cli`` and ``studio`` (an import-linter contract keeps the pipeline below from importing it):
the test suite, ``bench/`` and ``lecturer-pipeline standins`` (to try the remote path on a laptop) use it. The
service stand-ins import nothing from the clients they stand in for.
"""
