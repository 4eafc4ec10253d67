"""Erasing a speaker through the catalog's named methods, on real PostgreSQL: every object and row of the voice goes,
the lectures stay marked ERASED, and a speaker or lecture whose name merely begins the same is untouched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.kinds import VOICE_DERIVED_KINDS, Kind
from lecturer_pipeline.operations.erasure import forget_speaker
from lecturer_pipeline.storage.accounts import Accounts
from lecturer_pipeline.storage.catalog import ArtefactRow, Catalog
from lecturer_pipeline.storage.layout import (
    captions_key,
    consent_upload_key,
    lms_package_key,
    portrait_key,
    reference_voice_key,
    report_key,
    review_audio_key,
    speaker_profile_key,
    speech_key,
    video_key,
    voice_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.storage.tables import artefacts, consent_history, lectures, speaker_owners, speakers

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def _speaker(store: ObjectStore, catalog: Catalog, speaker: str, lecture_id: str) -> list[str]:
    """A speaker with a sealed voice, a portrait, uploads, a consent history, an owner and one lecture's media."""
    accounts = Accounts(catalog)
    catalog.upsert_speaker(speaker, voice_key=reference_voice_key(speaker), voice_sha256=f"sha-{speaker}")
    accounts.append_consent(
        speaker, signed_name=speaker, statement="I agree.", given_at=NOW, voice_sha256=None, source="cli"
    )
    accounts.claim(speaker, f"owner-{speaker}")
    catalog.upsert_lecture(lecture_id, speaker=speaker, title="Sets", status="COMPLETED", video_url="https://x/v")
    media = {
        Kind.SPEECH: speech_key(lecture_id),
        Kind.VIDEO: video_key(lecture_id),
        Kind.LMS_PACKAGE: lms_package_key(lecture_id),
        Kind.CAPTIONS: captions_key(lecture_id),
    }
    for kind, key in media.items():
        catalog.record_artefact(ArtefactRow(lecture_id, kind, key, "0" * 64, 5, None, "h", None))
    keys = [
        reference_voice_key(speaker),
        speaker_profile_key(speaker),
        portrait_key(speaker),
        voice_upload_keys(speaker)[0],
        consent_upload_key(speaker),
        review_audio_key(lecture_id, "abc"),
        report_key(lecture_id),
        *media.values(),
    ]
    for key in keys:
        store.put_bytes(key, b"bytes")
    return keys


def test_forget_speaker_removes_the_voice_and_keeps_the_neighbours(object_store: ObjectStore, pg_url: str) -> None:
    catalog = Catalog(pg_url)
    try:
        ada = _speaker(object_store, catalog, "ada", "cs101--one")
        neighbour = _speaker(object_store, catalog, "ada-2", "cs101--one-2")  # same prefixes, one character longer

        report = forget_speaker(object_store, catalog, "ada", now=NOW)

        voice_keys = [key for key in ada if key != captions_key("cs101--one")]  # captions are words, not the voice
        assert sorted(report.keys) == sorted(voice_keys)
        assert report.lectures == ["cs101--one"]
        assert (report.artefact_rows, report.speaker_row, report.consent_rows) == (3, True, 1)
        left = {info.key for info in object_store.list()}
        assert not left & set(voice_keys)
        assert captions_key("cs101--one") in left and set(neighbour) <= left

        with catalog.engine.connect() as connection:
            row = connection.execute(sa.select(lectures).where(lectures.c.id == "cs101--one")).mappings().one()
            kinds = set(
                connection.execute(sa.select(artefacts.c.kind).where(artefacts.c.lecture_id == "cs101--one")).scalars()
            )
            speaker_ids = set(connection.execute(sa.select(speakers.c.id)).scalars())
            consenting = set(connection.execute(sa.select(consent_history.c.speaker)).scalars())
            owned = set(connection.execute(sa.select(speaker_owners.c.speaker)).scalars())
            neighbour_kinds = set(
                connection.execute(
                    sa.select(artefacts.c.kind).where(artefacts.c.lecture_id == "cs101--one-2")
                ).scalars()
            )
        assert (row["status"], row["video_url"]) == ("ERASED", None) and "speaker ada was erased" in row["error"]
        assert kinds == {Kind.CAPTIONS} and not kinds & set(VOICE_DERIVED_KINDS)
        assert speaker_ids == consenting == owned == {"ada-2"}
        assert neighbour_kinds == {Kind.SPEECH, Kind.VIDEO, Kind.LMS_PACKAGE, Kind.CAPTIONS}

        # Run again (an interrupted erasure is finished this way): the lecture is found again, nothing else is left.
        again = forget_speaker(object_store, catalog, "ada", now=NOW)
        assert (again.keys, again.lectures, again.speaker_row) == ([], ["cs101--one"], False)
        with pytest.raises(InputError, match="no speaker nobody"):
            forget_speaker(object_store, catalog, "nobody", now=NOW)
    finally:
        catalog.dispose()
