"""The Dagster instance the CLI runs on: ``DAGSTER_HOME`` if set, else one kept inside ``LECTURER_HOME``."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from lecturer_pipeline.errors import InputError

# The embedded default: SQLite storage under DAGSTER_HOME (Dagster's own default), telemetry off.
EMBEDDED_DAGSTER_YAML = "telemetry:\n  enabled: false\n"


def ensure_dagster_home(lecturer_home: Path) -> Path:
    """Point DAGSTER_HOME at an instance directory, creating the embedded default's when none is configured."""
    configured = os.environ.get("DAGSTER_HOME")
    home = Path(configured) if configured else lecturer_home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(EMBEDDED_DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance(lecturer_home: Path) -> dg.DagsterInstance:
    ensure_dagster_home(lecturer_home)
    return dg.DagsterInstance.get()


def parse_pool_limits(value: str) -> dict[str, int]:
    """``LECTURER_POOL_LIMITS`` (``zyphra=2,kdtalker=1,ollama=1``) as a dict; a malformed entry is an error."""
    limits: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        pool, sep, number = item.partition("=")
        if not sep or not number.strip().isdigit():
            raise InputError(f"LECTURER_POOL_LIMITS entry {item!r} is not <pool>=<limit>")
        limits[pool.strip()] = int(number)
    return limits


def postgres_storage_config(database_url: str) -> dict[str, dict]:
    """The deployment's Dagster storage on PostgreSQL (``dagster.yaml``'s deployment block) for ``database_url``:
    dagster-postgres's run and schedule storage, and its event log with steady pool-claim checks."""
    url = sa.engine.make_url(database_url)
    postgres_db = {
        "username": url.username,
        "password": url.password or "",
        "hostname": url.host,
        "port": url.port or 5432,
        "db_name": url.database,
        "scheme": "postgresql+psycopg2",
    }
    return {
        "run_storage": {
            "module": "dagster_postgres.run_storage",
            "class": "PostgresRunStorage",
            "config": {"postgres_db": postgres_db},
        },
        "event_log_storage": {
            "module": "lecturer_pipeline.instance_storage",
            "class": "SteadyPoolPostgresEventLogStorage",
            "config": {"postgres_db": postgres_db},
        },
        "schedule_storage": {
            "module": "dagster_postgres.schedule_storage",
            "class": "PostgresScheduleStorage",
            "config": {"postgres_db": postgres_db},
        },
    }
