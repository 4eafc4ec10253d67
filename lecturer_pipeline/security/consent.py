"""Consent: a speaker's voice is cloned only with a record of who consented, when, to what statement — per voice.

A consent arrives with the uploads — ``uploads/consent/<speaker>.json`` (what ``submit --consent`` writes) or a
``consent`` field in a lecture's manifest — or is signed in the studio by the logged-in owner. Every consent is
appended to the speaker's history (``storage.accounts.consent_history``), never overwritten, with the fingerprint
(sha256) of the voice upload it was given for. A new voice is sealed only under a consent given for it: one naming its
fingerprint, or one given without a voice (command line, manifest) after the current voice was sealed. The consent a
voice was sealed under is kept on the speaker's row (``consent``, with its ``consent_id``), where every later lecture
of the speaker finds it and its metadata shows it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.storage.accounts import Accounts, ConsentEntry
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import consent_upload_key
from lecturer_pipeline.storage.objects import ObjectStore


def _now() -> datetime:
    return datetime.now(UTC)


class ConsentRecord(BaseModel):
    """Who consented to having their voice cloned, when, and the statement they agreed to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: str = Field(min_length=1, max_length=200)
    statement: str = Field(min_length=10, max_length=4000)
    given_at: datetime = Field(default_factory=_now)
    voice_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")  # the voice it was given for


def how_to_record_consent(speaker: str) -> str:
    return (
        f"speaker {speaker} has no consent record, and a voice is cloned only with its owner's consent: record it with "
        f'`lecturer-pipeline submit ... --speaker {speaker} --consent "<the statement they agreed to>" --consent-by '
        f'"<their name>"`, or upload {consent_upload_key(speaker)} as {{"by": "...", "statement": "..."}}, or add '
        f'"consent": {{"by": "...", "statement": "..."}} to the lecture\'s manifest'
    )


def parse_consent(raw: bytes, key: str) -> ConsentRecord:
    try:
        return ConsentRecord.model_validate_json(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in error.errors())
        raise InputError(f"the consent record is invalid — {problems}", file=key) from error


def record_consent(
    catalog: Catalog, speaker: str, record: ConsentRecord, *, source: str, account: str | None = None
) -> ConsentEntry:
    """Append ``record`` to the speaker's history; the same record read again from the same source is not repeated."""
    accounts = Accounts(catalog)
    history = accounts.consents(speaker)
    last = history[-1] if history else None
    if last is not None and (last.signed_name, last.statement, last.voice_sha256, last.source, last.account) == (
        record.by,
        record.statement,
        record.voice_sha256,
        source,
        account,
    ):
        return last  # a lecture's manifest is read on every run of it
    return accounts.append_consent(
        speaker,
        signed_name=record.by,
        statement=record.statement,
        given_at=record.given_at,
        voice_sha256=record.voice_sha256,
        source=source,
        account=account,
    )


def take_uploaded_consent(store: ObjectStore, catalog: Catalog, speaker: str) -> None:
    """Move an uploaded consent record (``uploads/consent/<speaker>.json``) into the speaker's history."""
    key = consent_upload_key(speaker)
    if not store.exists(key):
        return
    record = parse_consent(store.get_bytes(key), key)  # a refusal names the file; the stage adds the lecture
    record_consent(catalog, speaker, record, source=key)
    store.delete(key)  # kept in the history from now on


def consent_for_new_voice(catalog: Catalog, speaker: str, upload_sha256: str) -> ConsentEntry | None:
    """The consent a new voice (by its upload's sha256) may be sealed under, or None (see the module docstring)."""
    history = Accounts(catalog).consents(speaker)
    for entry in reversed(history):
        if entry.voice_sha256 == upload_sha256:
            return entry
    sealed = ((catalog.get_speaker(speaker) or {}).get("consent") or {}).get("consent_id") or 0
    if history and history[-1].voice_sha256 is None and history[-1].id > sealed:
        return history[-1]
    return None


def no_consent_for_voice(catalog: Catalog, speaker: str, key: str) -> str:
    """Why a new voice upload is refused for want of its own consent, and how to give it."""
    if not Accounts(catalog).consents(speaker) and not (catalog.get_speaker(speaker) or {}).get("consent"):
        return how_to_record_consent(speaker)
    return (
        f"speaker {speaker} has a new voice ({key}) but no consent was given for it: every new voice needs a fresh "
        "consent signed by its owner (the earlier consent covers only the earlier voice) — sign it again in the "
        f'studio, or give `--consent "<statement>" --consent-by "<name>"` with `--voice` on `lecturer-pipeline submit`'
    )
