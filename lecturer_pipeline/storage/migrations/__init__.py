"""Alembic migrations of the catalog (run by ``storage.migrate``; ``lecturer-pipeline migrate`` runs them by hand)."""
