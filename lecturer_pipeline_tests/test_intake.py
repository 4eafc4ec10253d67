"""Intake: which uploads start lectures, which wait, which are refused — on both stores — and a sensor that only reads.

The sensor's findings are written by the intake run it requests; here that run is executed as the daemon would
(``record``), on the run config the sensor returned.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import dagster as dg

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.defs.intake import INTAKE_JOB
from lecturer_pipeline.operations.intake import IntakePlan, plan_intake, record_intake
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.catalog import Catalog, UploadState
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.uploads import submit_speaker_files


def _catalog(tmp_path: Path) -> Catalog:
    return Catalog(f"sqlite:///{tmp_path / 'intake.sqlite'}")


def _tick(store: ObjectStore, catalog: Catalog, after: str = "", batch: int = 1000) -> IntakePlan:
    """One sensor tick, then the intake run it asks for."""
    plan = plan_intake(store, catalog, after=after, batch=batch)
    record_intake(catalog, plan.records, plan.forgotten)
    return plan


def test_ready_waiting_refused_and_remembered(object_store: ObjectStore, tmp_path: Path, sample_media) -> None:
    catalog = _catalog(tmp_path)
    submit_speaker_files(object_store, "ada", voice=sample_media["voice"], portrait=sample_media["portrait"])
    object_store.put_bytes("uploads/lectures/cs101/sets.json", b'{"speaker": "ada", "script": "Sets."}')
    object_store.put_bytes("uploads/lectures/cs101/logic.txt", b"Logic, spoken by the course speaker.")
    object_store.put_bytes("uploads/lectures/cs101/broken.json", b'{"script": "x", "colour": "red"}')
    object_store.put_bytes("uploads/lectures/cs101/notes.docx", b"PK")

    first = plan_intake(object_store, catalog)
    assert [r.lecture_id for r in first.ready] == ["cs101--sets"]
    assert [(w.lecture_id, w.reason) for w in first.waiting] == [
        (
            "cs101--logic",
            "speaker cs101 needs a reference voice at uploads/voice/cs101.wav and a portrait at "
            "uploads/portrait/cs101.png",
        )
    ]
    reasons = {r.key: r.reason for r in first.refused}
    assert "colour" in reasons["uploads/lectures/cs101/broken.json"]
    assert "cs101--broken" in reasons["uploads/lectures/cs101/broken.json"]
    assert "uploads/lectures/cs101/notes.docx" in reasons
    assert catalog.upload_rows() == {}, "planning writes nothing"
    assert plan_intake(object_store, catalog).records == first.records, "an unrecorded tick is simply repeated"

    record_intake(catalog, first.records, first.forgotten)
    assert catalog.get_lecture("cs101--sets")["status"] == "PENDING"
    assert catalog.get_lecture("cs101--broken")["status"] == "FAILED"
    second = _tick(object_store, catalog)
    assert (second.ready, second.records, second.read) == ([], [], 0), "nothing is read, started or reported twice"

    submit_speaker_files(object_store, "cs101", voice=sample_media["voice"], portrait=sample_media["portrait"])
    third = _tick(object_store, catalog)
    assert [r.lecture_id for r in third.ready] == ["cs101--logic"]
    assert third.read == 0, "a waiting lecture is started from what intake remembered, without reading it again"
    assert catalog.upload_row("uploads/lectures/cs101/logic.txt").state == UploadState.ACCEPTED

    time.sleep(1.1)  # S3 times have one-second resolution; local ETags change with the file's mtime
    object_store.put_bytes("uploads/lectures/cs101/sets.json", b'{"speaker": "ada", "script": "Sets."}')
    touched = _tick(object_store, catalog)
    assert touched.ready == [] and touched.read <= 1, "the same content again is not new"
    object_store.put_bytes("uploads/lectures/cs101/sets.json", b'{"speaker": "ada", "script": "Sets, edited."}')
    edited = _tick(object_store, catalog).ready
    assert [r.lecture_id for r in edited] == ["cs101--sets"]
    assert edited[0].run_key != first.ready[0].run_key

    object_store.delete("uploads/lectures/cs101/notes.docx")
    gone = _tick(object_store, catalog)
    assert gone.forgotten == ["uploads/lectures/cs101/notes.docx"]
    assert catalog.upload_row("uploads/lectures/cs101/notes.docx") is None


def test_batches_continue_after_the_cursor(tmp_path: Path, sample_media) -> None:
    store, catalog = LocalObjectStore(tmp_path / "objects"), _catalog(tmp_path)
    submit_speaker_files(store, "ada", voice=sample_media["voice"], portrait=sample_media["portrait"])
    for n in range(7):
        store.put_bytes(f"uploads/lectures/cs101/l{n}.json", b'{"speaker": "ada", "script": "Hi."}')
    first = plan_intake(store, catalog, batch=3)
    assert (first.read, first.pending, first.next_after) == (3, 4, "uploads/lectures/cs101/l2.json")
    # The intake run has not happened yet: the next tick goes on after the cursor instead of re-reading.
    second = plan_intake(store, catalog, after=first.next_after, batch=3)
    assert [r.lecture_id for r in second.ready] == ["cs101--l3", "cs101--l4", "cs101--l5"]
    record_intake(catalog, first.records + second.records, [])
    third = _tick(store, catalog, after=second.next_after, batch=3)
    assert [r.lecture_id for r in third.ready] == ["cs101--l6"] and third.next_after == ""


def test_sensor_only_reads_and_its_run_records(tmp_path: Path, sample_media) -> None:
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
        assert catalog.get_lecture("cs101--bad") is None and catalog.upload_rows() == {}, "the sensor wrote nothing"
        lecture_runs = [r for r in result.run_requests if r.job_name == "lecture_job"]
        assert [(r.partition_key, r.tags["lecturer/course"]) for r in lecture_runs] == [("cs101--sets", "cs101")]
        assert result.dynamic_partitions_requests[0].partition_keys == ["cs101--sets"]
        assert len(result.cursor) < 1024

        (intake,) = [r for r in result.run_requests if r.job_name == INTAKE_JOB]
        assert intake.tags["dagster/priority"] == "10"
        done = defs.resolve_job_def(INTAKE_JOB).execute_in_process(run_config=intake.run_config, instance=instance)
        assert done.success
        failed = catalog.get_lecture("cs101--bad")
        assert failed["status"] == "FAILED" and "not valid UTF-8 JSON" in failed["error"]
        assert catalog.get_lecture("cs101--sets")["status"] == "PENDING"

        catalog.upsert_lecture("cs101--bad", status="PENDING", error=None)  # would be overwritten if re-reported
        for cursor in (result.cursor, None):  # the next tick, and one after a cursor reset
            with dg.build_sensor_context(instance=instance, resources=defs.resources, cursor=cursor) as context:
                again = sensor(context)
            assert again.run_requests == [] and json.loads(again.cursor) == {"after": ""}
        assert catalog.get_lecture("cs101--bad")["status"] == "PENDING"
