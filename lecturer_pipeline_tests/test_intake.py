"""The upload sensor: which uploads start lectures, which wait, which are refused — on both stores."""

from __future__ import annotations

import json
import time
from pathlib import Path

import dagster as dg

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.operations.intake import scan_uploads
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.uploads import submit_speaker_files


def _catalog(tmp_path: Path) -> Catalog:
    return Catalog(f"sqlite:///{tmp_path / 'intake.sqlite'}")


def test_ready_waiting_rejected_and_remembered(object_store: ObjectStore, tmp_path: Path, sample_media) -> None:
    catalog = _catalog(tmp_path)
    submit_speaker_files(object_store, "ada", voice=sample_media["voice"], portrait=sample_media["portrait"])
    object_store.put_bytes("uploads/lectures/cs101/sets.json", b'{"speaker": "ada", "script": "Sets."}')
    object_store.put_bytes("uploads/lectures/cs101/logic.txt", b"Logic, spoken by the course speaker.")
    object_store.put_bytes("uploads/lectures/cs101/broken.json", b'{"script": "x", "colour": "red"}')
    object_store.put_bytes("uploads/lectures/cs101/notes.pdf", b"%PDF")

    first = scan_uploads(object_store, catalog, {})
    assert [r.lecture_id for r in first.ready] == ["cs101--sets"]
    assert first.waiting == [
        (
            "cs101--logic",
            "speaker cs101 needs a reference voice at uploads/voice/cs101.wav and a portrait at "
            "uploads/portrait/cs101.png",
        )
    ]
    reasons = {r.key: r.reason for r in first.rejected}
    assert "colour" in reasons["uploads/lectures/cs101/broken.json"]
    assert "cs101--broken" in reasons["uploads/lectures/cs101/broken.json"]
    assert "uploads/lectures/cs101/notes.pdf" in reasons

    second = scan_uploads(object_store, catalog, first.seen)
    assert second.ready == [] and second.rejected == [], "nothing is started or reported twice"
    assert [w[0] for w in second.waiting] == ["cs101--logic"], "a waiting lecture is looked at again"

    submit_speaker_files(object_store, "cs101", voice=sample_media["voice"], portrait=sample_media["portrait"])
    third = scan_uploads(object_store, catalog, second.seen)
    assert [r.lecture_id for r in third.ready] == ["cs101--logic"]

    time.sleep(1.1)  # S3 times have one-second resolution
    object_store.put_bytes("uploads/lectures/cs101/sets.json", b'{"speaker": "ada", "script": "Sets."}')
    assert scan_uploads(object_store, catalog, third.seen).ready == [], "the same content again is not new"
    object_store.put_bytes("uploads/lectures/cs101/sets.json", b'{"speaker": "ada", "script": "Sets, edited."}')
    edited = scan_uploads(object_store, catalog, third.seen).ready
    assert [r.lecture_id for r in edited] == ["cs101--sets"]
    assert edited[0].run_key != first.ready[0].run_key


def test_sensor_adds_partitions_requests_runs_and_fails_malformed_once(tmp_path: Path, sample_media) -> None:
    defs = build_definitions(Settings(lecturer_home=tmp_path / "home"))
    store: LocalObjectStore = defs.resources["objects"].get_store()
    catalog = defs.resources["catalog"].get_catalog()
    submit_speaker_files(store, "ada", voice=sample_media["voice"], portrait=sample_media["portrait"])
    store.put_bytes("uploads/lectures/cs101/sets.json", b'{"speaker": "ada", "script": "Sets."}')
    store.put_bytes("uploads/lectures/cs101/bad.json", b"{not json")
    sensor = defs.resolve_sensor_def("lecture_uploads_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING

    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
            result = sensor(context)
        assert [(r.partition_key, r.tags["lecturer/course"]) for r in result.run_requests] == [("cs101--sets", "cs101")]
        assert result.dynamic_partitions_requests[0].partition_keys == ["cs101--sets"]
        failed = catalog.get_lecture("cs101--bad")
        assert failed["status"] == "FAILED" and "not valid UTF-8 JSON" in failed["error"]
        assert catalog.get_lecture("cs101--sets")["status"] == "PENDING"

        catalog.upsert_lecture("cs101--bad", status="PENDING", error=None)  # would be overwritten if re-reported
        with dg.build_sensor_context(instance=instance, resources=defs.resources, cursor=result.cursor) as context:
            again = sensor(context)
        assert again.run_requests == []
        assert catalog.get_lecture("cs101--bad")["status"] == "PENDING"
        assert json.loads(again.cursor) == json.loads(result.cursor)
