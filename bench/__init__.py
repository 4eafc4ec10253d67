"""``make bench``: the pipeline's performance figures, measured against the service stand-ins on real S3 and
PostgreSQL. ``python -m bench.run`` runs them all, prints one table and writes ``bench/results.json``."""
