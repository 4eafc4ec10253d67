"""Bringing a catalog database to the newest schema with Alembic, safely when many processes open it at once.

Every process that opens the catalog (a run, the webserver's code server, the CLI) calls ``upgrade``: it reads the
database's revision (one query) and does nothing more when it is current. Otherwise it takes a lock — a PostgreSQL
advisory lock for the transaction, or a file lock beside a SQLite file — and migrates, so two processes starting
together never both create a table.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

_MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed 64-bit number: the advisory lock only has to be the same for every process of this project.
_PG_MIGRATION_LOCK = 0x1EC7_0001


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this release knows."""
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(engine: sa.Engine) -> str | None:
    """The database's revision (None for an empty or pre-Alembic database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _file_lock(engine: sa.Engine) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(Path(database).with_suffix(".migrate.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Migrate the database to the newest revision; returns (revision before, revision after)."""
    head = head_revision()
    before = current_revision(engine)
    if before == head:
        return before, head
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
            before = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(_config(connection), "head")
        return before, head
    with _file_lock(engine), engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(_config(connection), "head")
    return before, head
