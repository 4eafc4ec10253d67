"""Consent: a speaker's voice is cloned only with a record of who consented, when, and to what statement.

The record arrives with the uploads — ``uploads/consent/<speaker>.json`` (what ``submit --consent`` writes) or a
``consent`` field in a lecture's manifest — and is kept on the speaker's catalog row, where every later lecture of
the speaker finds it and its metadata shows it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.objects import ObjectStore


def _now() -> datetime:
    return datetime.now(UTC)


class ConsentRecord(BaseModel):
    """Who consented to having their voice cloned, when, and the statement they agreed to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: str = Field(min_length=1, max_length=200)
    statement: str = Field(min_length=10, max_length=4000)
    given_at: datetime = Field(default_factory=_now)


def consent_upload_key(speaker: str) -> str:
    return f"uploads/consent/{speaker}.json"


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


def record_consent(catalog: Catalog, speaker: str, record: ConsentRecord, *, source: str) -> None:
    catalog.upsert_speaker(speaker, consent={**record.model_dump(mode="json"), "source": source})


def require_consent(store: ObjectStore, catalog: Catalog, speaker: str, *, lecture_id: str) -> dict:
    """The speaker's consent record, taking in an uploaded one first; InputError saying how to record it if none."""
    key = consent_upload_key(speaker)
    if store.exists(key):
        try:
            record = parse_consent(store.get_bytes(key), key)
        except InputError as error:
            raise error.with_context(lecture_id=lecture_id) from error
        record_consent(catalog, speaker, record, source=key)
        store.delete(key)  # kept on the speaker's row from now on
    consent = (catalog.get_speaker(speaker) or {}).get("consent")
    if not consent:
        raise InputError(how_to_record_consent(speaker), lecture_id=lecture_id)
    return consent
