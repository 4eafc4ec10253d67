"""Past one machine, proven: a course backfill on two dagster-celery workers through RabbitMQ, sharing only S3 and
PostgreSQL (lecturer_pipeline/standins/servers/cluster.py starts it: webserver, daemon, a general and a render
worker, each with its own HOME, TMPDIR, LECTURER_HOME and DAGSTER_HOME in a private tmpfs where ``unshare -m``
works)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.servers import broker
from lecturer_pipeline.standins.servers.cluster import RENDER_QUEUE, Cluster, celery_cluster
from lecturer_pipeline.standins.servers.dagster_services import BACKFILL_TAG, wait_for
from lecturer_pipeline.storage.layout import speech_key, video_key
from lecturer_pipeline_tests.pipeline_helpers import SCRIPT, assert_playable_lecture_video, run_cli, submit_cli_args

COURSE, SPEAKER = "dist300", "hopper"
LECTURES = ("queues", "workers", "pools")
RENDER_STEP = "video_segments"


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    url, stop = broker.broker_vhost()
    yield url
    stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url, stop = broker.redis_server()
    yield url
    stop()


@pytest.fixture
def cluster(
    tmp_path: Path, pg_admin_url, s3_server, broker_url, redis_url
) -> Iterator[tuple[Cluster, KDTalkerStandIn]]:
    # Renders take 0.3 s per second of speech, so two that overlapped could not hide in the event log's resolution.
    with (
        KDTalkerStandIn(latency_per_second=0.3) as kdtalker,
        celery_cluster(
            tmp_path,
            pg_admin_url=pg_admin_url,
            s3=s3_server,
            broker_url=broker_url,
            backend_url=redis_url,
            kdtalker_url=kdtalker.url,
            extra_env={"LECTURER_SENSOR_INTERVAL_SECONDS": "2", "LECTURER_SEGMENT_SECONDS": "20"},
        ) as running,
    ):
        yield running, kdtalker


def _step_workers(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Step key -> the Celery worker that ran it, from dagster-celery's "Executing steps ... in celery worker"."""
    found = {}
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event and event.event_type == dg.DagsterEventType.ENGINE_EVENT and event.step_key:
            metadata = event.engine_event_data.metadata or {}
            if "Celery worker" in metadata:
                found[event.step_key] = metadata["Celery worker"].value
    return found


def _step_interval(instance: dg.DagsterInstance, run_id: str, step_key: str) -> tuple[float, float]:
    start = end = None
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event and event.step_key == step_key:
            if event.event_type == dg.DagsterEventType.STEP_START:
                start = record.event_log_entry.timestamp
            elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
                end = record.event_log_entry.timestamp
    assert start is not None and end is not None, f"{step_key} of run {run_id} has no start and success"
    return start, end


def _connections(admin_url: str, dagster_db: str, catalog_url: str) -> dict[str, int]:
    catalog_db = sa.engine.make_url(catalog_url).database
    engine = sa.create_engine(admin_url)
    try:
        with engine.connect() as connection:
            count = sa.text("select count(*) from pg_stat_activity where datname = :name")
            return {
                "dagster": connection.execute(count, {"name": dagster_db}).scalar_one(),
                "catalog": connection.execute(count, {"name": catalog_db}).scalar_one(),
            }
    finally:
        engine.dispose()


def test_course_backfill_on_two_celery_workers(cluster, tmp_path: Path, sample_media, monkeypatch, pg_admin_url):
    running, kdtalker = cluster
    dagster = running.dagster
    # The backfill, not the sensor, starts these lectures. On a busy machine a tick may still be in flight after the
    # sensor stopped; it predates the uploads.
    with contextlib.suppress(AssertionError):
        dagster.stop_sensor("lecture_uploads_sensor")
    assert dagster._sensor("lecture_uploads_sensor")["sensorState"]["status"] == "STOPPED"
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT)
    lecture_ids = [f"{COURSE}--{name}" for name in LECTURES]
    for lecture in LECTURES:
        args = submit_cli_args(COURSE, lecture, script=script, speaker=SPEAKER, media=sample_media)
        submitted = run_cli(dagster.home, *args, env=dagster.env)
        assert submitted.returncode == 0, submitted.stderr
    dagster.add_dynamic_partitions("lectures", lecture_ids)

    launched = run_cli(dagster.home, "backfill", "--course", COURSE, env=dagster.env)
    assert launched.returncode == 0, launched.stderr
    backfill_id = launched.stdout.strip().splitlines()[-1].removeprefix("backfill: ")
    status = dagster.wait_for_backfill(backfill_id, timeout=900)
    runs = dagster.runs_tagged(BACKFILL_TAG, backfill_id)
    assert status in {"COMPLETED", "COMPLETED_SUCCESS"}, (status, runs)
    assert len(runs) == 3 and all(run["status"] == "SUCCESS" for run in runs), runs

    listed = run_cli(dagster.home, "status", "--course", COURSE, env=dagster.env)
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert {(row[0], row[1]) for row in rows} == {(lid, "COMPLETED") for lid in lecture_ids}
    for lecture_id in lecture_ids:
        mp4, wav = tmp_path / f"{lecture_id}.mp4", tmp_path / f"{lecture_id}.wav"
        running.store.get_file(video_key(lecture_id), mp4)
        running.store.get_file(speech_key(lecture_id), wav)
        assert_playable_lecture_video(mp4, wav)
    assert kdtalker.renders >= 3, "every lecture was rendered by the KDTalker stand-in"

    # The event log: steps on both workers, every render step on the render-queue worker, renders one at a time.
    for name, value in running.env.items():  # what dagster.yaml's deployment blocks read
        if name.startswith(("DAGSTER_PG_", "LECTURER_S3_", "AWS_")):
            monkeypatch.setenv(name, value)
    instance = dg.DagsterInstance.from_config(str(running.dagster_home))
    try:
        placements = {run["runId"]: _step_workers(instance, run["runId"]) for run in runs}
        used = {worker.split("@")[0] for steps in placements.values() for worker in steps.values()}
        assert used == {"general", "render"}, placements
        for run_id, steps in placements.items():
            assert steps[RENDER_STEP].startswith(f"{RENDER_QUEUE}@"), (run_id, steps)
            assert len(steps) == len(Kind), f"every step of run {run_id} ran on a worker: {steps}"
        renders = sorted(_step_interval(instance, run["runId"], RENDER_STEP) for run in runs)
        for (_, end), (start, _) in itertools.pairwise(renders):
            assert start >= end, f"render steps overlapped (kdtalker pool is 1): {renders}"
    finally:
        instance.dispose()

    # Compute logs are in S3, for every run; nothing was written under the launching side's LECTURER_HOME.
    logged = [info.key for info in running.store.list("compute-logs/")]
    for run in runs:
        assert any(run["runId"] in key for key in logged), f"no compute logs in S3 for run {run['runId']}"
    assert not list(dagster.home.rglob("*")), list(dagster.home.rglob("*"))

    # Long-lived workers do not keep each step's PostgreSQL connections (dagster-celery's task never closed its
    # instance; the catalog resource's pool outlived its step).
    held = _connections(pg_admin_url, running.env["DAGSTER_PG_DB"], running.env["LECTURER_DATABASE_URL"])
    print(f"PostgreSQL connections after the backfill: {held}")
    assert held["catalog"] <= 4 and held["dagster"] <= 8, held

    # Each worker's scratch holds no step directories once its steps have ended; a sandboxed worker never saw the
    # launching side's LECTURER_HOME (its /tmp is a tmpfs of its own).
    for worker in running.workers.values():
        tmp = worker.visible_root / "tmpdir"
        assert tmp.is_dir() and list(tmp.glob("lecturer-*")), f"worker {worker.name} made no scratch at {tmp}"
        if running.sandboxed:
            assert not (Path(f"/proc/{worker.process.pid}/root") / dagster.home.relative_to("/")).exists()
        leftovers = [p for p in tmp.glob("lecturer-*/*")]
        assert not leftovers, f"worker {worker.name} kept scratch: {leftovers}"

    # A worker without LECTURER_MASTER_KEYS refuses to run steps: it does not start, and says what is missing.
    env = {k: v for k, v in running.worker_env.items() if k != "LECTURER_MASTER_KEYS"}
    refused = running.start_worker("keyless", ("dagster",), env)
    wait_for("the keyless worker to refuse", lambda: refused.process.poll() is not None, timeout=120)
    assert refused.process.returncode != 0
    assert "LECTURER_MASTER_KEYS" in refused.log.read_text()
