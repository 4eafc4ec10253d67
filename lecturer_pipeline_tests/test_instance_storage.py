"""The deployment's Dagster instance on real PostgreSQL: dagster.yaml's documented block loads, and a step blocked on
a full pool is told to check again after ``pool_claim_poll_seconds``, not after Dagster's growing back-off."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from lecturer_pipeline.instance import postgres_storage_config
from lecturer_pipeline.instance_storage import SteadyPoolPostgresEventLogStorage
from lecturer_pipeline.standins.servers import postgres

REPO = Path(__file__).resolve().parents[1]


def _deployment_block() -> dict:
    """dagster.yaml's commented deployment block, uncommented, on top of the file's own settings."""
    text = (REPO / "dagster.yaml").read_text()
    block = "\n".join(line[4:] for line in text.splitlines() if line.startswith("#   "))
    return {**yaml.safe_load(text), **yaml.safe_load(block)}


@pytest.fixture
def database(pg_admin_url: str):
    url, drop = postgres.create_database(pg_admin_url)
    yield url
    drop()


def _instance(tmp_path: Path, config: dict) -> dg.DagsterInstance:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return dg.DagsterInstance.from_config(str(home))


def test_the_documented_deployment_block_loads(tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch):
    url = sa.engine.make_url(database)
    for name, value in {
        "DAGSTER_PG_USERNAME": url.username,
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_DB": url.database,
    }.items():
        monkeypatch.setenv(name, value)
    config = _deployment_block()
    # The block names PostgreSQL's usual port; the tests' server may be a throwaway one elsewhere.
    config["run_storage"]["config"]["postgres_db"]["port"] = url.port or 5432
    assert config["event_log_storage"]["class"] == "SteadyPoolPostgresEventLogStorage"
    with _instance(tmp_path, config) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, SteadyPoolPostgresEventLogStorage)
        assert storage.pool_claim_poll_seconds == 0.5
        assert instance.run_coordinator.dequeue_interval_seconds == 1
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 4
        assert list(instance.get_runs()) == []  # the run storage answers too


def test_a_blocked_claim_is_rechecked_steadily_and_gets_the_freed_slot(tmp_path: Path, database: str):
    config = {"telemetry": {"enabled": False}, **postgres_storage_config(database)}
    config["event_log_storage"]["config"]["pool_claim_poll_seconds"] = 0.25
    with _instance(tmp_path, config) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("kdtalker", 1)

        first = storage.claim_concurrency_slot("kdtalker", "run-a", "video")
        assert first.is_claimed
        # Dagster's own storage leaves the interval unset, and the executor then backs off towards 15 s.
        for attempt in range(3):
            waiting = storage.claim_concurrency_slot("kdtalker", "run-b", "video")
            assert not waiting.is_claimed, f"attempt {attempt}: the pool of 1 is taken by run-a"
            assert waiting.sleep_interval == 0.25

        storage.free_concurrency_slot_for_step("run-a", "video")
        handed_on = storage.claim_concurrency_slot("kdtalker", "run-b", "video")
        assert handed_on.is_claimed
        assert storage.get_concurrency_info("kdtalker").active_slot_count == 1


def test_the_poll_interval_must_be_positive():
    with pytest.raises(ValueError, match="pool_claim_poll_seconds must be positive"):
        SteadyPoolPostgresEventLogStorage("postgresql+psycopg2://nobody@127.0.0.1/none", pool_claim_poll_seconds=0)


def test_the_event_log_keeps_its_connection(tmp_path: Path, database: str):
    """dagster-postgres alone opens a connection per query (over a thousand per lecture run); this storage reuses
    one."""
    with _instance(tmp_path, {"telemetry": {"enabled": False}, **postgres_storage_config(database)}) as instance:
        storage = instance.event_log_storage
        opened: list[object] = []
        sa.event.listen(storage._engine, "connect", lambda connection, record: opened.append(connection))
        storage.set_concurrency_slots("zyphra", 2)
        for _ in range(20):
            assert storage.get_concurrency_info("zyphra").slot_count == 2
        assert len(opened) <= 1, f"{len(opened)} connections opened for 21 queries"
