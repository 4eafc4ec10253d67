"""Storage outages mid-run: the S3 gateway or the catalog's PostgreSQL goes away while the video stage renders.

The promise (per outage): the run fails with a storage error that names the store and what failed, no partial object
is visible under the lecture's final key (and no unfinished multipart upload is left on the bucket), and once the
server is back a re-run succeeds without rendering again what was already stored.

Each test takes down a server of its own — a Ceph cluster whose radosgw is stopped and started again, or a
throwaway PostgreSQL cluster killed with an immediate shutdown and restarted on the same data — so the servers the
rest of the suite shares are never disturbed. The outage is timed by the KDTalker stand-in: a background thread
waits until the second segment is being rendered (the first is then stored), and takes the server down while the
pretend GPU is still busy with it.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.errors import StorageError
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.servers import postgres
from lecturer_pipeline.standins.servers.s3_server import (
    S3Server,
    start_gateway,
    start_rgw,
    stop_gateway,
    stop_rgw,
)
from lecturer_pipeline.storage.layout import speech_key, video_key, video_segments_prefix
from lecturer_pipeline.storage.s3 import TRANSFER, S3ObjectStore, make_s3_client
from lecturer_pipeline_tests.pipeline_helpers import (
    assert_playable_lecture_video,
    materialization_metadata,
    run,
    submit_sample,
)

# Three short paragraphs: three chunks of speech, and with 1-second segments three KDTalker renders of ~2 s each.
SCRIPT = (
    "Sets are collections of distinct objects.\n\n"
    "Two sets are equal when they have the same members.\n\n"
    "The empty set has no members at all."
)
SEGMENTS = 3
# Pretend GPU time per second of speech: the render during which the server goes down lasts ~1 s, several times
# what stopping a gateway (~0.3 s) or killing PostgreSQL (~0.1 s) takes.
LATENCY_PER_SECOND = 0.5


@pytest.fixture(scope="module")
def kdtalker() -> Iterator[KDTalkerStandIn]:
    with KDTalkerStandIn(latency_per_second=LATENCY_PER_SECOND) as server:
        yield server


@pytest.fixture(scope="module")
def outage_rgw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, S3Server]]:
    """A Ceph cluster of this module's own (~5 s to start): stopping its gateway cannot disturb other tests."""
    workdir = tmp_path_factory.mktemp("rgw-outage")
    server = start_rgw(workdir)
    try:
        yield workdir, server
    finally:
        stop_rgw(workdir)


@pytest.fixture(scope="module")
def outage_pg() -> Iterator[postgres.ThrowawayCluster]:
    """A PostgreSQL cluster of this module's own, which the catalog test kills and restarts."""
    cluster = postgres.ThrowawayCluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """Dagster's own storage stays up (SQLite in a temp dir): only the pipeline's stores fail."""
    with dg.instance_for_test() as instance:
        yield instance


@contextmanager
def outage_during_render(
    kdtalker: KDTalkerStandIn, take_down: Callable[[], None], *, first_stored: Callable[[], bool] = lambda: True
) -> Iterator[None]:
    """Run ``take_down`` once KDTalker is asked for the second segment of the run inside the block.

    The first segment is checked (and stored, if it passes) while the second renders (``quality/beside.py``):
    ``first_stored`` says when it is, so the outage hits the video stage in the middle of its work with the first
    segment kept and the second one still rendering.
    """
    wanted = kdtalker.calls + 2
    done, failed, cancelled = threading.Event(), [], threading.Event()

    def watch() -> None:
        while kdtalker.calls < wanted or not first_stored():
            if cancelled.wait(0.02):
                return
        try:
            take_down()
        except BaseException as error:  # reported by the test thread below
            failed.append(error)
        done.set()

    watcher = threading.Thread(target=watch, name="outage", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        cancelled.set()
        watcher.join(timeout=120)
    assert not failed, f"taking the server down failed: {failed}"
    assert done.is_set(), "the run never reached the second segment, so the server was never taken down"


def _settings(home: Path, kdtalker: KDTalkerStandIn, **storage: object) -> Settings:
    """Short step retries (the catalog test's three per failed run): ``build_definitions`` takes them from here."""
    return Settings(
        lecturer_home=home,
        kdtalker_url=kdtalker.url,
        lecturer_segment_seconds=1.0,
        lecturer_retry_delay_seconds=0.2,
        **storage,
    )


def _failure_messages(instance: dg.DagsterInstance, run_id: str, step: str) -> list[str]:
    """Every failure of ``step`` in the run, retries included, oldest first, with the errors' causes."""
    messages = []
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key != step:
            continue
        if event.event_type in (dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_UP_FOR_RETRY):
            error = event.event_specific_data.error
            parts = []
            while error is not None:
                parts.append(error.message.strip())
                error = error.cause
            messages.append("\n".join(parts))
    return messages


def test_s3_gateway_lost_mid_render_then_back(tmp_path, sample_media, pg_url, outage_rgw, kdtalker, instance):
    workdir, server = outage_rgw
    bucket = "faults-s3-outage"
    settings = _settings(
        tmp_path / "home",
        kdtalker,
        lecturer_s3_endpoint_url=server.endpoint_url,
        lecturer_s3_bucket=bucket,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        lecturer_database_url=pg_url,
    )
    defs = build_definitions(settings)
    lecture_id = submit_sample(defs, sample_media, course="faults", lecture="s3-outage", script=SCRIPT)
    catalog = defs.resources["catalog"].get_catalog()
    s3 = make_s3_client(server.endpoint_url, access_key=server.access_key, secret_key=server.secret_key)

    started = time.monotonic()
    try:
        stored = lambda: s3.list_objects_v2(Bucket=bucket, Prefix=video_segments_prefix(lecture_id))["KeyCount"] > 0  # noqa: E731
        with outage_during_render(kdtalker, lambda: stop_gateway(workdir), first_stored=stored):
            failed = run(defs, instance, lecture_id)
    finally:
        start_gateway(workdir)
    failed_seconds = time.monotonic() - started

    # The run fails, and the operator is told which store failed, at which address, doing what, and why.
    assert not failed.success
    assert lecture_id in failed.error
    assert f"s3 bucket {bucket} at {server.endpoint_url}" in failed.error
    assert re.search(r"(uploading|downloading|reading|writing|inspecting|listing) \S+ failed on s3", failed.error)
    assert "Could not connect to the endpoint URL" in failed.error
    row = catalog.get_lecture(lecture_id)
    assert (row["status"], row["stage"], row["error"]) == ("FAILED", "video_segments", failed.error)
    # The first attempt failed at its next S3 request after the gateway went away: storing the segment that was
    # rendering (its check stores it) or looking up whether the next segment is stored already.
    first_failure = _failure_messages(instance, failed.run_id, "video_segments")[0]
    segment = rf"(uploading|inspecting) {re.escape(video_segments_prefix(lecture_id))}\S+ failed on s3"
    assert re.search(segment, first_failure), first_failure
    assert failed_seconds < 60, f"a lost gateway should fail the run after bounded retries, took {failed_seconds:.0f}s"

    # Nothing half-made is visible: no video under its final key, no upload left unfinished, only whole segments.
    assert s3.list_objects_v2(Bucket=bucket, Prefix=video_key(lecture_id))["KeyCount"] == 0
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    stored_segments = s3.list_objects_v2(Bucket=bucket, Prefix=video_segments_prefix(lecture_id))["Contents"]
    assert len(stored_segments) == 1, "the gateway was to go down while the second segment was rendering"
    assert catalog.get_artefact(lecture_id, "video") is None

    # With the gateway back the same lecture completes, rendering only the segments that were never stored.
    calls = kdtalker.calls
    again = run(defs, instance, lecture_id)
    assert again.success, again.error
    video_meta = materialization_metadata(instance, again.run_id, "video")
    assert video_meta["segments"] == SEGMENTS
    assert kdtalker.calls - calls == video_meta["renders"] == SEGMENTS - 1
    speech_meta = materialization_metadata(instance, again.run_id, "speech")
    assert speech_meta["reused"] is True and speech_meta["requests"] == 0

    mp4, wav = tmp_path / "video.mp4", tmp_path / "speech.wav"
    s3.download_file(bucket, video_key(lecture_id), str(mp4))
    s3.download_file(bucket, speech_key(lecture_id), str(wav))
    assert_playable_lecture_video(mp4, wav)
    assert catalog.get_lecture(lecture_id)["status"] == "COMPLETED"


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of 16 multipart chunks (256 MB): uploading it takes a few seconds, long enough to cut it off."""
    path = tmp_path_factory.mktemp("large") / "video.mp4"
    block = os.urandom(1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(16 * TRANSFER.multipart_chunksize // len(block)):
            handle.write(block)
    return path


def _put_cut_off(store: S3ObjectStore, server: S3Server, workdir: Path, key: str, path: Path) -> StorageError:
    """Upload ``path`` to ``key`` and stop the gateway as soon as the multipart upload exists; return the error."""
    watcher = make_s3_client(server.endpoint_url, access_key=server.access_key, secret_key=server.secret_key)

    def upload_begun() -> bool:
        return any(u["Key"] == key for u in watcher.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []))

    def stop_when_begun() -> None:
        deadline = time.monotonic() + 30
        while not upload_begun() and time.monotonic() < deadline:
            time.sleep(0.01)
        stop_gateway(workdir)

    thread = threading.Thread(target=stop_when_begun, name="outage", daemon=True)
    thread.start()
    try:
        with pytest.raises(StorageError) as raised:
            store.put_file(key, path, content_type="video/mp4")
    finally:
        thread.join(timeout=60)
        start_gateway(workdir)
    return raised.value


def test_s3_gateway_lost_mid_multipart_upload(outage_rgw, large_file):
    """A large video is uploaded in parts; the gateway dies between them. Nothing appears under the key, the error
    says where and what, and with the gateway back the same upload succeeds."""
    workdir, server = outage_rgw
    client = make_s3_client(server.endpoint_url, access_key=server.access_key, secret_key=server.secret_key)
    store = S3ObjectStore(client, "faults-multipart")
    key = video_key("faults--large")

    error = _put_cut_off(store, server, workdir, key, large_file)

    assert f"uploading {key} failed on s3 bucket faults-multipart at {server.endpoint_url}" in str(error)
    assert "Could not connect to the endpoint URL" in str(error)
    assert store.stat(key) is None, "a cut-off multipart upload must not be visible under its key"
    assert client.list_objects_v2(Bucket=store.bucket)["KeyCount"] == 0
    info = store.put_file(key, large_file, content_type="video/mp4")
    assert info.size == large_file.stat().st_size == store.stat(key).size


def test_s3_no_unfinished_multipart_upload_is_left_after_an_outage(outage_rgw, large_file):
    """The parts a cut-off upload sent stay on the server (invisible, but billed and counted) unless the store aborts
    the unfinished upload once it can: at the latest when the same key is written successfully."""
    workdir, server = outage_rgw
    client = make_s3_client(server.endpoint_url, access_key=server.access_key, secret_key=server.secret_key)
    store = S3ObjectStore(client, "faults-multipart-leftover")
    key = video_key("faults--leftover")

    _put_cut_off(store, server, workdir, key, large_file)
    store.put_file(key, large_file, content_type="video/mp4")

    assert client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def _run_to_failure(defs: dg.Definitions, instance: dg.DagsterInstance, lecture_id: str) -> tuple[str, str]:
    """(run id, error shown to the operator) of a run that must fail.

    ``run_lecture`` reads the outcome back from the catalog; while the catalog is down that read fails too, and
    its StorageError is then what the caller sees.
    """
    try:
        outcome = run(defs, instance, lecture_id)
    except StorageError as error:
        [record] = instance.get_runs(limit=1)
        return record.run_id, str(error)
    assert not outcome.success
    return outcome.run_id, outcome.error


def test_postgres_lost_mid_render_then_back(tmp_path, sample_media, outage_pg, kdtalker, instance):
    database_url, drop = postgres.create_database(outage_pg.url)
    try:
        _postgres_outage(tmp_path, sample_media, outage_pg, database_url, kdtalker, instance)
    finally:
        outage_pg.resume()
        drop()


def _postgres_outage(tmp_path, sample_media, cluster, database_url, kdtalker, instance) -> None:
    defs = build_definitions(_settings(tmp_path / "home", kdtalker, lecturer_database_url=database_url))
    lecture_id = submit_sample(defs, sample_media, course="faults", lecture="pg-outage", script=SCRIPT)
    store = defs.resources["objects"].get_store()
    catalog = defs.resources["catalog"].get_catalog()
    shown_url = re.escape(sa.engine.make_url(database_url).render_as_string(hide_password=True))

    started = time.monotonic()
    try:
        with outage_during_render(kdtalker, cluster.pause):
            run_id, error = _run_to_failure(defs, instance, lecture_id)
    finally:
        cluster.resume()
    failed_seconds = time.monotonic() - started

    # The run fails, and the error names the catalog, its database (no password), what failed and why.
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    catalog_error = rf"catalog (read|write to \w+|status update) failed at {shown_url}: \(psycopg2\.OperationalError\)"
    assert re.search(catalog_error, error), error
    assert "Connection refused" in error
    # The video stage failed where it first touched the catalog after the outage: recording the rendered segments.
    failures = _failure_messages(instance, run_id, "video_segments")
    assert re.search(rf"catalog write to artefacts failed at {shown_url}", failures[0]), failures[0]
    assert all(re.search(catalog_error, message) for message in failures[1:]), failures
    assert failed_seconds < 60, f"a lost catalog should fail the run after bounded retries, took {failed_seconds:.0f}s"

    # No partial object anywhere: writes are whole or absent. The final key may hold the finished video (it is
    # stored before the catalog records it), but then complete, and unrecorded, so nothing treats it as done.
    assert not [p for p in store.root.rglob("*") if p.name.startswith(".tmp-")]
    final = store.root / video_key(lecture_id)
    if final.exists():
        assert_playable_lecture_video(final, store.root / speech_key(lecture_id))
    assert catalog.get_artefact(lecture_id, "video") is None
    assert len(list(store.list(video_segments_prefix(lecture_id)))) == SEGMENTS

    # With the database back the lecture completes, and every segment rendered before the failure is reused.
    calls = kdtalker.calls
    again = run(defs, instance, lecture_id)
    assert again.success, again.error
    assert kdtalker.calls == calls, "segments stored before the outage must not be rendered again"
    video_meta = materialization_metadata(instance, again.run_id, "video")
    assert (video_meta["segments"], video_meta["renders"]) == (SEGMENTS, 0)
    speech_meta = materialization_metadata(instance, again.run_id, "speech")
    assert speech_meta["reused"] is True and speech_meta["requests"] == 0
    assert_playable_lecture_video(Path(again.video), store.root / speech_key(lecture_id))
    assert catalog.get_lecture(lecture_id)["status"] == "COMPLETED"
