"""A lecture through the Zyphra client while the stand-in answers 200 OK with bad audio: every bad chunk is asked for
again and replaced, or the lecture stops at NEEDS_REVIEW with its report — never COMPLETED with a bad chunk kept."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.quality import report
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.zyphra import ZyphraStandIn
from lecturer_pipeline.storage.catalog import Status
from lecturer_pipeline_tests.pipeline_helpers import (
    check_evaluations,
    materialization_metadata,
    run,
    run_cli,
    submit_sample,
)

THREE_PARAGRAPHS = (
    "Sets are collections of distinct objects. We write them with curly braces.\n\n"
    "Two sets are equal when they have the same members. Order does not matter.\n\n"
    "A function maps every element of its domain to exactly one element of its codomain."
)
FINE = ("delay", 0)  # a queued behaviour that answers normally: places the faults on chosen requests


@pytest.fixture(scope="module")
def zyphra():
    with ZyphraStandIn() as server:
        yield server


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def _defs(home: Path, zyphra: ZyphraStandIn) -> dg.Definitions:
    settings = Settings(
        lecturer_home=home,
        zyphra_api_key=zyphra.api_key,
        zyphra_base_url=zyphra.base_url,
        lecturer_zyphra_mime_type="audio/wav",
    )
    return build_definitions(settings)


def test_garbled_and_wrong_voice_chunks_are_asked_again_and_replaced(tmp_path, sample_media, instance, zyphra):
    defs = _defs(tmp_path / "home", zyphra)
    lecture_id = submit_sample(defs, sample_media, script=THREE_PARAGRAPHS)
    zyphra.reset()
    # A chunk is checked while the next is spoken, so a retry comes right after the next chunk's first request:
    # chunk 1, chunk 2, chunk 1 again, chunk 3, chunk 2 again, chunk 3 again.
    zyphra.fail_next(("garble",), ("garble", "half"), FINE, ("wrongvoice",), FINE, FINE)
    outcome = run(defs, instance, lecture_id)
    assert outcome.success, outcome.error
    assert zyphra.calls == 6  # three chunks, each asked for once more
    catalog, store = defs.resources["catalog"].get_catalog(), defs.resources["objects"].get_store()
    assert catalog.get_lecture(lecture_id)["status"] == Status.COMPLETED.value
    part = report.get_json(store, report.speech_report_key(lecture_id))
    assert [c["attempts"] for c in part["chunks"]] == [2, 2, 2]
    assert all(c["passed"] for c in part["chunks"])  # the kept answers are the good second ones
    assert materialization_metadata(instance, outcome.run_id, "speech")["qa_asked_again"] == 3
    assert check_evaluations(instance, outcome.run_id)["speech_quality"] is True


def test_a_chunk_bad_twice_stops_at_needs_review_until_accepted(tmp_path, sample_media, instance, zyphra):
    home = tmp_path / "home"
    defs = _defs(home, zyphra)
    lecture_id = submit_sample(defs, sample_media, script=THREE_PARAGRAPHS)
    zyphra.reset()
    # The second chunk: other words, then (after chunk 3's first request) another voice.
    zyphra.fail_next(FINE, ("garble",), FINE, ("wrongvoice",))
    outcome = run(defs, instance, lecture_id)
    assert not outcome.success
    catalog, store = defs.resources["catalog"].get_catalog(), defs.resources["objects"].get_store()
    row = catalog.get_lecture(lecture_id)
    assert row["status"] == Status.NEEDS_REVIEW.value
    assert "accept-quality" in row["error"]
    assert catalog.get_artefact(lecture_id, "video") is None  # nothing after speech was spent
    assert catalog.get_artefact(lecture_id, "speech") is None
    part = report.get_json(store, report.speech_report_key(lecture_id))
    failing = [c for c in part["chunks"] if not c["passed"]]
    assert [c["index"] for c in failing] == [1] and failing[0]["attempts"] == 2
    assert zyphra.calls == 4

    done = run_cli(home, "accept-quality", lecture_id)
    assert done.returncode == 0, done.stderr
    assert f"lecture: {lecture_id}" in done.stdout
    zyphra.reset()
    again = run(defs, instance, lecture_id)
    assert again.success, again.error
    assert zyphra.calls == 0  # the approved chunk and the good ones are reused: nothing asked again
    assert catalog.get_lecture(lecture_id)["status"] == Status.COMPLETED.value
    accepted = report.get_json(store, report.speech_report_key(lecture_id))["chunks"][1]
    assert accepted["accepted"] is True
