"""Contract tests: the catalog on SQLite and on PostgreSQL (a real server) behaves the same."""

from __future__ import annotations

import pytest

from lecturer_pipeline.errors import StorageError
from lecturer_pipeline.storage.catalog import ArtefactRow, Catalog, Status


def test_lecture_rows_upsert_and_status(catalog: Catalog) -> None:
    catalog.upsert_lecture("cs101--intro", course="cs101", title="Intro", speaker="ada", script="Hello.")
    catalog.upsert_lecture("cs101--intro", script="Hello again.", status=Status.RUNNING.value)
    catalog.upsert_lecture("cs102--other", course="cs102", title="Other")
    row = catalog.get_lecture("cs101--intro")
    assert row is not None
    assert (row["title"], row["script"], row["status"]) == ("Intro", "Hello again.", "RUNNING")
    catalog.set_status("cs101--intro", Status.FAILED, stage="speech", error="boom")
    row = catalog.get_lecture("cs101--intro")
    assert (row["status"], row["stage"], row["error"]) == ("FAILED", "speech", "boom")
    assert [r["id"] for r in catalog.list_lectures("cs101")] == ["cs101--intro"]
    assert len(catalog.list_lectures()) == 2
    assert catalog.get_lecture("nope--nope") is None


def test_mark_failed_creates_the_row_when_missing(catalog: Catalog) -> None:
    catalog.mark_failed("cs101--broken", "cs101", "lecture_script", "lecture cs101--broken: the script is empty")
    row = catalog.get_lecture("cs101--broken")
    assert row is not None and row["status"] == "FAILED" and "script is empty" in row["error"]


def test_scripts_are_text_of_any_length(catalog: Catalog) -> None:
    long_script = "Sentence number one, with unicode: café, 東京. " * 2000
    catalog.upsert_lecture("cs101--long", course="cs101", title="Long", script=long_script)
    assert catalog.get_lecture("cs101--long")["script"] == long_script


def test_artefacts_and_speakers(catalog: Catalog) -> None:
    row = ArtefactRow(
        "cs101--intro", "speech", "generated/audio/cs101--intro/speech.wav", "ab" * 32, 123, 4.5, "h1", {"x": 1}
    )
    catalog.record_artefact(row)
    catalog.record_artefact(ArtefactRow(**{**row.__dict__, "input_hash": "h2", "bytes": 456}))
    got = catalog.get_artefact("cs101--intro", "speech")
    assert got is not None and (got.input_hash, got.bytes, got.details) == ("h2", 456, {"x": 1})
    assert catalog.get_artefact("cs101--intro", "video") is None
    assert [a.kind for a in catalog.list_artefacts("cs101--intro")] == ["speech"]
    catalog.upsert_speaker("ada", voice_key="voices/ada/reference.enc", voice_seconds=12.5)
    assert catalog.get_speaker("ada")["voice_seconds"] == 12.5


def test_unreachable_database_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="cannot open the catalog"):
        Catalog("postgresql+psycopg2://nobody:secret@127.0.0.1:9/none")
