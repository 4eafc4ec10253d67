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
    catalog.upsert_speaker("ada", voice_key="voices/ada/reference.enc", voice_seconds=12.5)
    assert catalog.get_speaker("ada")["voice_seconds"] == 12.5


def test_unreachable_database_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="cannot open the catalog"):
        Catalog("postgresql+psycopg2://nobody:secret@127.0.0.1:9/none")


def test_a_catalog_from_an_earlier_version_gains_the_new_columns(tmp_path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = sa.create_engine(url)
    with old.begin() as connection:
        connection.execute(
            sa.text(
                "create table lectures (id varchar(160) primary key, course varchar(64) not null, "
                "title text not null, status varchar(16) not null, created_at timestamp not null, "
                "updated_at timestamp not null, language varchar(16) not null)"
            )
        )
        connection.execute(
            sa.text("insert into lectures values ('a--b', 'a', 'T', 'COMPLETED', '2026-01-01', '2026-01-01', 'en-us')")
        )
    old.dispose()
    catalog = Catalog(url)
    catalog.set_status("a--b", Status.FAILED, stage="speech", error="x", run_id="r1")
    row = catalog.get_lecture("a--b")
    assert (row["status"], row["run_id"], row["script"]) == ("FAILED", "r1", None)
