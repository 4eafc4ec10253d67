"""The migrations build exactly the schema ``storage/tables.py`` describes, at once or one revision at a time.

The tables and the migrations share their column factories (``storage/migrations/columns.py``); this is what holds
them to the same schema on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lecturer_pipeline.storage import migrate
from lecturer_pipeline.storage.tables import metadata


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def _differences(engine: sa.Engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def test_a_new_database_migrates_to_the_schema_of_tables_py(engine: sa.Engine) -> None:
    assert migrate.upgrade(engine) == (None, migrate.head_revision())
    assert _differences(engine) == []
    assert migrate.upgrade(engine) == (migrate.head_revision(), migrate.head_revision())  # current: nothing to do


def test_a_database_migrated_one_revision_at_a_time_ends_the_same(engine: sa.Engine) -> None:
    for revision in ("0001", "0002", "0003"):
        with engine.begin() as connection:
            command.upgrade(migrate._config(connection), revision)
        assert migrate.current_revision(engine) == revision
    assert migrate.head_revision() == "0003"
    assert _differences(engine) == []
