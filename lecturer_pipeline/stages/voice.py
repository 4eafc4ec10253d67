"""Stages 2–3: the speaker's reference voice (validated, normalised, sealed) and the speaker profile built from it.

Both belong to the speaker, not the lecture: they are made once per distinct voice upload and reused by every
lecture of that speaker. The plaintext upload is deleted only after its sealed copy and the speaker's catalog row
are stored, so a crash in between loses nothing.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.errors import InputError, LecturerError
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.media.audio import normalise_voice, validate_reference_voice
from lecturer_pipeline.model import Artefact
from lecturer_pipeline.security.consent import (
    consent_for_new_voice,
    how_to_record_consent,
    no_consent_for_voice,
    take_uploaded_consent,
)
from lecturer_pipeline.security.vault import VoiceVault
from lecturer_pipeline.stages.common import find_first, input_hash
from lecturer_pipeline.storage.catalog import Catalog, utc
from lecturer_pipeline.storage.layout import reference_voice_key, speaker_profile_key, voice_upload_keys
from lecturer_pipeline.storage.objects import sha256_file


def voice_deleted_message(speaker: str, deleted_at: datetime, *, retention_days: int) -> str:
    """What a lecture that needs a pruned voice tells its operator: what happened, and the one fix."""
    return (
        f"the reference voice of speaker {speaker} was deleted on {utc(deleted_at):%Y-%m-%d} after the "
        f"{retention_days}-day retention period; upload 10–30 s of their speech again to "
        f"{voice_upload_keys(speaker)[0]}"
    )


def _stored_voice(vault: VoiceVault, catalog: Catalog, speaker: str) -> dict | None:
    row = catalog.get_speaker(speaker)
    if row and row.get("voice_key") and row.get("voice_sha256") and vault.store.exists(row["voice_key"]):
        return row
    return None


def _voice_artefact(row: dict) -> Artefact:
    return Artefact(
        kind=Kind.REFERENCE_VOICE,
        key=row["voice_key"],
        sha256=row["voice_sha256"],
        bytes=0,
        input_hash=row["upload_sha256"],
        duration=row["voice_seconds"],
        encrypted=True,
        details={"speaker": row["id"], "reused": True},
    )


def _shown(consent: dict) -> dict:
    """The consent as run metadata shows it."""
    shown = {"consent_by": consent["by"], "consent_given_at": consent["given_at"], "consent": consent["statement"]}
    if consent.get("consent_id"):
        shown["consent_id"] = consent["consent_id"]
    return shown


def _with_details(artefact: Artefact, extra: dict) -> Artefact:
    return replace(artefact, details={**artefact.details, **extra})


def ingest_reference_voice(
    vault: VoiceVault,
    catalog: Catalog,
    speaker: str,
    workdir: Path,
    *,
    now: datetime,
    retention_days: int,
) -> Artefact:
    """Validate and seal the speaker's uploaded voice, or reuse the sealed one when there is no new upload.

    Nothing happens to a voice without a consent given for that very voice (see security/consent.py). Lectures of
    one new speaker started together take turns (the catalog's speaker lock): the first seals the voice and deletes
    the upload, the others find the sealed voice and reuse it. A voice is the speaker's, not a lecture's: errors name
    the file, and ``lecture_stage`` adds the lecture.
    """
    with catalog.speaker_lock(speaker):
        store = vault.store
        take_uploaded_consent(store, catalog, speaker)
        upload = find_first(store, voice_upload_keys(speaker))
        stored = _stored_voice(vault, catalog, speaker)
        consent = (catalog.get_speaker(speaker) or {}).get("consent")
        if upload is None:
            if stored:
                if not consent:
                    raise InputError(how_to_record_consent(speaker))
                return _with_details(_voice_artefact(stored), _shown(consent))
            row = catalog.get_speaker(speaker)
            if row and row.get("voice_deleted_at"):
                message = voice_deleted_message(speaker, row["voice_deleted_at"], retention_days=retention_days)
                raise InputError(message)
            raise InputError(
                f"speaker {speaker} has no reference voice: upload 10–30 s of their speech to "
                f"{voice_upload_keys(speaker)[0]}"
            )
        suffix = upload.key.rsplit(".", 1)[-1]
        raw = store.get_file(upload.key, workdir / f"{speaker}-upload.{suffix}")
        upload_sha = sha256_file(raw)
        if stored and stored.get("upload_sha256") == upload_sha and consent:
            raw.unlink(missing_ok=True)
            store.delete(upload.key)  # the same voice again: its sealed copy already exists
            return _with_details(_voice_artefact(stored), _shown(consent))
        entry = consent_for_new_voice(catalog, speaker, upload_sha)
        if entry is None:
            raw.unlink(missing_ok=True)
            raise InputError(no_consent_for_voice(catalog, speaker, upload.key))
        consent = entry.as_record()
        try:
            check = validate_reference_voice(raw)
            normalised = workdir / f"{speaker}-reference.wav"
            normalise_voice(raw, normalised)
        except LecturerError as error:
            raise error.with_context(file=upload.key) from error
        finally:
            raw.unlink(missing_ok=True)
        key = reference_voice_key(speaker)
        info = vault.put(key, normalised)
        voice_sha = sha256_file(normalised)
        normalised.unlink()
        catalog.upsert_speaker(
            speaker,
            voice_key=key,
            upload_sha256=upload_sha,
            voice_sha256=voice_sha,
            voice_seconds=check.duration,
            delete_after=now + timedelta(days=retention_days),
            voice_deleted_at=None,
            consent=consent,  # the consent this voice was sealed under
        )
        store.delete(upload.key)
        return Artefact(
            kind=Kind.REFERENCE_VOICE,
            key=key,
            sha256=voice_sha,
            bytes=info.size,
            input_hash=upload_sha,
            duration=check.duration,
            encrypted=True,
            details={
                "speaker": speaker,
                "upload": upload.key,
                "mean_volume_db": check.mean_volume_db,
                **_shown(consent),
            },
        )


def build_speaker_profile(vault: VoiceVault, voice: Artefact, speaker: str) -> Artefact:
    """The profile a TTS engine clones from: the normalised clip as base64 plus its fingerprint, sealed.

    There is no separate embedding endpoint in the Zyphra API: the clip itself is what it clones from. The profile is
    rebuilt only when the voice's fingerprint changes.
    """
    key = speaker_profile_key(speaker)
    wanted = input_hash(voice=voice.sha256, format=1)
    if vault.store.exists(key):
        existing = json.loads(vault.get_bytes(key))
        if existing.get("input_hash") == wanted:
            return Artefact(
                kind=Kind.SPEAKER_EMBED,
                key=key,
                sha256=voice.sha256,
                bytes=0,
                input_hash=wanted,
                encrypted=True,
                details={"speaker": speaker, "fingerprint": voice.sha256, "reused": True},
            )
    if voice.path is None:
        raise LecturerError(f"the reference voice of speaker {speaker} was not loaded", file=voice.key)
    profile = SpeakerProfile(
        speaker=speaker,
        fingerprint=voice.sha256,
        speaker_audio_b64=base64.b64encode(voice.path.read_bytes()).decode(),
    )
    info = vault.put_bytes(key, json.dumps({**profile.__dict__, "input_hash": wanted}).encode())
    return Artefact(
        kind=Kind.SPEAKER_EMBED,
        key=key,
        sha256=voice.sha256,
        bytes=info.size,
        input_hash=wanted,
        encrypted=True,
        details={"speaker": speaker, "fingerprint": voice.sha256},
    )


def profile_from_json(raw: bytes) -> SpeakerProfile:
    """Read back a decrypted profile."""
    data = json.loads(raw)
    return SpeakerProfile(**{k: data.get(k) for k in SpeakerProfile.__dataclass_fields__})
