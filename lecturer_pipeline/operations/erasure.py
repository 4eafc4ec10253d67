"""Erasure of a speaker on request: nothing of their voice or face is left in the store or the catalog.

What goes: the sealed reference voice and profile, the normalised portrait, every upload linked to the speaker
(voice, portrait, consent record), and every lecture's generated audio, video and LMS package (all carry the cloned
voice), with their catalog rows. The lectures themselves stay, marked ERASED with the reason, so a course shows what
was removed and can be rebuilt with another speaker; the speaker's row, its consent history and its studio owner
are deleted.
Objects go before rows, so an interrupted erasure is finished by running it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from lecturer_pipeline.errors import InputError, StorageError
from lecturer_pipeline.ids import normalise_name
from lecturer_pipeline.security.consent import consent_upload_key
from lecturer_pipeline.storage.accounts import Accounts
from lecturer_pipeline.storage.catalog import Catalog, Status, artefacts, lectures, speakers
from lecturer_pipeline.storage.layout import portrait_key, portrait_upload_keys, voice_upload_keys
from lecturer_pipeline.storage.objects import ObjectStore

VOICE_DERIVED_KINDS = (
    "reference_voice",
    "speaker_embed",
    "portrait",
    "speech",
    "video_segments",
    "video",
    "slide_deck",  # under generated/video/<lecture>/ with the videos, so erased with them
    "lecture_video",
    "lms_package",
)


@dataclass
class ErasureReport:
    speaker: str
    keys: list[str] = field(default_factory=list)
    bytes: int = 0
    lectures: list[str] = field(default_factory=list)
    artefact_rows: int = 0
    speaker_row: bool = False
    consent_rows: int = 0


def _speaker_keys(speaker: str) -> list[str]:
    return [
        *voice_upload_keys(speaker),
        *portrait_upload_keys(speaker),
        consent_upload_key(speaker),
        portrait_key(speaker),
    ]


def forget_speaker(store: ObjectStore, catalog: Catalog, speaker: str, *, now: datetime) -> ErasureReport:
    """Erase ``speaker`` (see the module docstring); returns what was deleted."""
    speaker = normalise_name(speaker, what="speaker name")
    report = ErasureReport(speaker)
    accounts = Accounts(catalog)
    try:
        with catalog.engine.connect() as connection:
            lecture_ids = list(
                connection.execute(
                    sa.select(lectures.c.id).where(lectures.c.speaker == speaker).order_by(lectures.c.id)
                ).scalars()
            )
            known = connection.execute(sa.select(speakers.c.id).where(speakers.c.id == speaker)).first() is not None
            known = known or bool(accounts.consents(speaker)) or accounts.owner_of(speaker) is not None
    except SQLAlchemyError as error:
        raise StorageError(f"catalog read failed at {catalog.describe()}: {error}") from error
    if not known and not lecture_ids and not any(store.exists(k) for k in _speaker_keys(speaker)):
        raise InputError(f"there is no speaker {speaker} to forget (no speaker row, lecture or upload)")

    objects = [info for prefix in (f"voices/{speaker}/",) for info in store.list(prefix)]
    objects += [info for info in (store.stat(k) for k in _speaker_keys(speaker)) if info is not None]
    for lecture_id in lecture_ids:
        # The LMS package holds the video, so the voice, too.
        for prefix in (f"generated/{kind}/{lecture_id}/" for kind in ("audio", "video", "lms")):
            objects += list(store.list(prefix))
    for info in objects:
        store.delete(info.key)
        report.keys.append(info.key)
        report.bytes += info.size

    reason = f"speaker {speaker} was erased on {now:%Y-%m-%d} at their request; choose another speaker to rebuild it"
    try:
        with catalog.engine.begin() as connection:
            if lecture_ids:
                report.artefact_rows = connection.execute(
                    artefacts.delete().where(
                        artefacts.c.lecture_id.in_(lecture_ids), artefacts.c.kind.in_(VOICE_DERIVED_KINDS)
                    )
                ).rowcount
                connection.execute(
                    lectures.update()
                    .where(lectures.c.id.in_(lecture_ids))
                    .values(status=Status.ERASED.value, error=reason, video_url=None, updated_at=now)
                )
            report.speaker_row = connection.execute(speakers.delete().where(speakers.c.id == speaker)).rowcount > 0
            report.consent_rows = accounts.forget(connection, speaker)
    except SQLAlchemyError as error:
        raise StorageError(f"catalog erasure of speaker {speaker} failed at {catalog.describe()}: {error}") from error
    report.lectures = lecture_ids
    return report
