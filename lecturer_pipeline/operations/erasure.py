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

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.ids import normalise_name
from lecturer_pipeline.kinds import VOICE_DERIVED_KINDS
from lecturer_pipeline.storage.accounts import Accounts
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import (
    consent_upload_key,
    portrait_key,
    portrait_upload_keys,
    voice_derived_prefixes,
    voice_prefix,
    voice_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectStore


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
    lecture_ids = catalog.speaker_lecture_ids(speaker)
    known = catalog.get_speaker(speaker) is not None or bool(accounts.consents(speaker))
    known = known or accounts.owner_of(speaker) is not None
    if not known and not lecture_ids and not any(store.exists(k) for k in _speaker_keys(speaker)):
        raise InputError(f"there is no speaker {speaker} to forget (no speaker row, lecture or upload)")

    objects = list(store.list(voice_prefix(speaker)))
    objects += [info for info in (store.stat(k) for k in _speaker_keys(speaker)) if info is not None]
    for lecture_id in lecture_ids:
        for prefix in voice_derived_prefixes(lecture_id):
            objects += list(store.list(prefix))
    for info in objects:
        store.delete(info.key)
        report.keys.append(info.key)
        report.bytes += info.size

    reason = f"speaker {speaker} was erased on {now:%Y-%m-%d} at their request; choose another speaker to rebuild it"
    erased = catalog.erase_speaker(speaker, lecture_ids=lecture_ids, kinds=VOICE_DERIVED_KINDS, reason=reason, now=now)
    report.artefact_rows, report.speaker_row, report.consent_rows = (
        erased.artefact_rows,
        erased.speaker_row,
        erased.consent_rows,
    )
    report.lectures = lecture_ids
    return report
