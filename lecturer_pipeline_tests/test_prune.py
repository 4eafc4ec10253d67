"""The nightly prune on real stores and catalogs: stale unfinished lectures and expired voices go, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from lecturer_pipeline.defs.partitions import LECTURES
from lecturer_pipeline.defs.prune import prune_job, prune_schedule
from lecturer_pipeline.defs.resources import build_resources
from lecturer_pipeline.operations.prune import PruneReport, prune, utc, voice_deleted_message
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.catalog import ArtefactRow, Catalog, Status
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.storage.tables import artefacts

NOW = datetime(2025, 6, 1, 3, 0, tzinfo=UTC)

# lecture id -> (status, days since last update, {key: size})
LECTURES_STATE: dict[str, tuple[Status, int, dict[str, int]]] = {
    "cs101--failed": (
        Status.FAILED,
        10,
        {
            "generated/audio/cs101--failed/speech.wav": 100,
            "generated/audio/cs101--failed/chunks/ab.wav": 50,
            "generated/video/cs101--failed/video.mp4": 300,
            "generated/captions/cs101--failed/captions.vtt": 20,
        },
    ),
    "cs101--running": (Status.RUNNING, 8, {"generated/audio/cs101--running/speech.wav": 7}),
    "cs101--done": (Status.COMPLETED, 60, {"generated/video/cs101--done/video.mp4": 40}),
    "cs101--fresh": (Status.FAILED, 2, {"generated/audio/cs101--fresh/speech.wav": 5}),
    # Its id extends a stale one's: a prefix match on "cs101--failed" without the slash would delete it.
    "cs101--failed-2": (Status.PENDING, 1, {"generated/audio/cs101--failed-2/speech.wav": 9}),
    "cs101--old-pruned": (Status.PRUNED, 90, {}),
}
STALE = ["cs101--failed", "cs101--running"]
STALE_KEYS = sorted(key for lecture in STALE for key in LECTURES_STATE[lecture][2])
ADA_KEYS = ["voices/ada/profile.enc", "voices/ada/reference.enc"]
VOICE_SIZES = {"voices/ada/reference.enc": 64, "voices/ada/profile.enc": 32, "voices/bob/reference.enc": 16}
KEPT_KEYS = {"uploads/voice/carol.wav", "speakers/ada/portrait.png", "voices/bob/reference.enc"}


def _artefact(lecture_id: str, kind: str, key: str) -> ArtefactRow:
    return ArtefactRow(lecture_id, kind, key, "ab" * 32, 1, None, None, None)


def build_state(store: ObjectStore, catalog: Catalog) -> None:
    """Lectures of every age and status, two speakers (one past retention), and unrelated objects."""
    for lecture_id, (status, age, objects) in LECTURES_STATE.items():
        for key, size in objects.items():
            store.put_bytes(key, b"x" * size)
            catalog.record_artefact(_artefact(lecture_id, key.split("/")[1], key))
        catalog.record_artefact(_artefact(lecture_id, "reference_voice", "voices/ada/reference.enc"))
        catalog.upsert_lecture(
            lecture_id, course="cs101", speaker="ada", status=status.value, updated_at=NOW - timedelta(days=age)
        )
    for key, size in VOICE_SIZES.items():
        store.put_bytes(key, b"v" * size)
    for key in KEPT_KEYS - set(VOICE_SIZES):
        store.put_bytes(key, b"keep")
    catalog.record_artefact(_artefact("cs101--done", "speaker_embed", "voices/ada/profile.enc"))
    voice = {"voice_sha256": "cd" * 32, "upload_sha256": "ef" * 32}
    catalog.upsert_speaker("ada", voice_key="voices/ada/reference.enc", delete_after=NOW - timedelta(days=1), **voice)
    catalog.upsert_speaker("bob", voice_key="voices/bob/reference.enc", delete_after=NOW + timedelta(days=5), **voice)


def all_keys(store: ObjectStore) -> set[str]:
    return {info.key for info in store.list()}


def assert_report(report: PruneReport, *, dry_run: bool) -> None:
    assert report.dry_run is dry_run
    assert report.lecture_ids == STALE
    assert sorted(report.lecture_keys) == STALE_KEYS
    assert report.lecture_bytes == 477
    assert report.speaker_ids == ["ada"]
    assert sorted(report.voice_keys) == ADA_KEYS
    assert report.voice_bytes == 96
    # the stale lectures' 6 rows (one per kind), then the other 4 lectures' reference_voice rows + 1 profile row
    assert report.artefact_rows == 11
    assert report.as_metadata()["objects_deleted"] == 7
    assert report.as_metadata()["bytes_freed"] == 573


def artefact_kinds(catalog: Catalog, lecture_id: str) -> list[str]:
    """The kinds the catalog's artefacts table holds for a lecture, read straight from the database."""
    query = sa.select(artefacts.c.kind).where(artefacts.c.lecture_id == lecture_id).order_by(artefacts.c.kind)
    with catalog.engine.connect() as connection:
        return list(connection.execute(query).scalars())


def assert_pruned(store: ObjectStore, catalog: Catalog, before: set[str]) -> None:
    assert all_keys(store) == before - set(STALE_KEYS) - set(ADA_KEYS)
    for lecture_id, (status, age, _objects) in LECTURES_STATE.items():
        row = catalog.get_lecture(lecture_id)
        if lecture_id in STALE:
            assert row["status"] == Status.PRUNED.value and utc(row["updated_at"]) == NOW
            assert f"status {status.value}" in row["error"] and "more than 7 days" in row["error"]
            assert artefact_kinds(catalog, lecture_id) == []
        else:
            assert row["status"] == status.value and utc(row["updated_at"]) == NOW - timedelta(days=age)
            kinds = artefact_kinds(catalog, lecture_id)
            assert "reference_voice" not in kinds and "speaker_embed" not in kinds
    assert artefact_kinds(catalog, "cs101--done") == ["video"]
    ada, bob = catalog.get_speaker("ada"), catalog.get_speaker("bob")
    assert utc(ada["voice_deleted_at"]) == NOW
    assert (ada["voice_key"], ada["voice_sha256"], ada["upload_sha256"]) == (None, None, None)
    assert bob["voice_deleted_at"] is None and bob["voice_key"] == "voices/bob/reference.enc"


def check_prune(store: ObjectStore, catalog: Catalog) -> None:
    build_state(store, catalog)
    before = all_keys(store)
    assert before >= KEPT_KEYS

    listed = prune(store, catalog, now=NOW, stale_days=7, dry_run=True)
    assert_report(listed, dry_run=True)
    assert all_keys(store) == before
    assert catalog.get_lecture("cs101--failed")["status"] == Status.FAILED.value
    assert catalog.get_speaker("ada")["voice_deleted_at"] is None

    pruned = prune(store, catalog, now=NOW, stale_days=7)
    assert_report(pruned, dry_run=False)
    assert_pruned(store, catalog, before)

    again = prune(store, catalog, now=NOW + timedelta(hours=1), stale_days=7)
    assert (again.lecture_ids, again.speaker_ids, again.objects_deleted) == ([], [], 0)


def test_prune_on_each_object_store(object_store: ObjectStore, tmp_path: Path) -> None:
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        check_prune(object_store, catalog)
    finally:
        catalog.dispose()


def test_prune_on_each_catalog(catalog: Catalog, tmp_path: Path) -> None:
    check_prune(LocalObjectStore(tmp_path / "objects"), catalog)


def test_skipped_lectures_are_left_alone(tmp_path: Path) -> None:
    store, catalog = LocalObjectStore(tmp_path / "objects"), Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    build_state(store, catalog)
    report = prune(store, catalog, now=NOW, stale_days=7, skip={"cs101--running"})
    assert report.lecture_ids == ["cs101--failed"]
    assert catalog.get_lecture("cs101--running")["status"] == Status.RUNNING.value
    assert store.exists("generated/audio/cs101--running/speech.wav")
    catalog.dispose()


def test_voice_deleted_message_says_when_and_how_to_fix() -> None:
    message = voice_deleted_message("ada", datetime(2025, 6, 1, 3, 0), retention_days=30)
    assert message == (
        "the reference voice of speaker ada was deleted on 2025-06-01 after the 30-day retention period; "
        "upload 10–30 s of their speech again to uploads/voice/ada.wav"
    )


def test_schedule_runs_prune_job_nightly_by_default() -> None:
    assert prune_schedule.job_name == "prune_job"
    assert prune_schedule.cron_schedule == "0 3 * * *"
    assert prune_schedule.execution_timezone == "UTC"
    assert prune_schedule.default_status == dg.DefaultScheduleStatus.RUNNING


@pytest.mark.parametrize("dry_run", [False, True])
def test_prune_job_deletes_partitions_and_reports(tmp_path: Path, dry_run: bool) -> None:
    settings = Settings(lecturer_home=tmp_path, lecturer_s3_endpoint_url=None, lecturer_database_url=None)
    resources = build_resources(settings)
    store, catalog = resources["objects"].get_store(), resources["catalog"].get_catalog()
    build_state(store, catalog)
    config = {"ops": {"prune_stale": {"config": {"now": NOW.isoformat(), "dry_run": dry_run}}}}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(LECTURES, list(LECTURES_STATE))
        result = prune_job.execute_in_process(run_config=config, instance=instance, resources=resources)
        assert result.success
        partitions = set(instance.get_dynamic_partitions(LECTURES))
    assert partitions == set(LECTURES_STATE) - (set() if dry_run else set(STALE))
    [output] = [event for event in result.events_for_node("prune_stale") if event.is_successful_output]
    metadata = {k: getattr(v, "value", v) for k, v in output.step_output_data.metadata.items()}
    assert (metadata["lectures_pruned"], metadata["voices_deleted"], metadata["dry_run"]) == (2, 1, dry_run)
    assert (metadata["objects_deleted"], metadata["bytes_freed"]) == (7, 573)
    assert "generated/video/cs101--failed/video.mp4" in metadata["listing"]
    assert store.exists("generated/video/cs101--failed/video.mp4") is dry_run
    catalog.dispose()


def test_prune_deletes_in_batches_without_heads_and_stops_at_the_nightly_cap(s3_store, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lecturer_pipeline_tests.s3_calls import S3CallCounter

    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    keys = [f"generated/audio/cs101--big/chunks/{n:05d}.wav" for n in range(2500)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: s3_store.client.put_object(Bucket=s3_store.bucket, Key=key, Body=b"x"), keys))
    for n, lecture_id in enumerate(["cs101--big", "cs101--b", "cs101--c"]):
        catalog.upsert_lecture(lecture_id, status="FAILED", updated_at=NOW - timedelta(days=30 - n))
    counter = S3CallCounter(s3_store.client)

    first = prune(s3_store, catalog, now=NOW, stale_days=7, max_lectures=2)
    calls = counter.take()
    assert first.lecture_ids == ["cs101--big", "cs101--b"] and first.capped
    assert (calls["DeleteObjects"], calls["HeadObject"], calls["DeleteObject"]) == (3, 0, 0), calls
    big = first.lectures[0]
    assert (big.objects, len(big.keys), big.keys[0]) == (2500, 100, keys[0])
    assert first.as_metadata()["lecture_objects_deleted"] == 2500 and "… and 2400 more" in first.as_markdown()
    assert not list(s3_store.list("generated/audio/cs101--big/"))

    second = prune(s3_store, catalog, now=NOW, stale_days=7, max_lectures=2)
    assert second.lecture_ids == ["cs101--c"] and not second.capped, "the next night goes on where the cap stopped"
    counter.close()
    catalog.dispose()
