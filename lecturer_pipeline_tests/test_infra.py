"""The test infrastructure's fallback paths, which a machine with a running PostgreSQL would otherwise never take."""

from __future__ import annotations

import sqlalchemy as sa

from lecturer_pipeline.standins.servers import postgres


def test_throwaway_postgres_cluster_starts_serves_and_stops() -> None:
    url, stop = postgres.start_throwaway_cluster()
    try:
        database, drop = postgres.create_database(url)
        engine = sa.create_engine(database)
        with engine.begin() as connection:
            connection.execute(sa.text("create table t (x int)"))
            connection.execute(sa.text("insert into t values (42)"))
            assert connection.execute(sa.text("select x from t")).scalar_one() == 42
        engine.dispose()
        drop()
    finally:
        stop()
    assert not postgres._answers(url)
