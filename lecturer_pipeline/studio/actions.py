"""What the studio's speaker buttons do, without Gradio: plain functions over the object store and the catalog.

The studio is a front end to the uploads area the upload sensor already watches. It writes only through
``lecturer_pipeline.uploads`` (what ``submit`` uses), ``stages.script.approve_draft`` (an approval is itself a
submission) and the consent history, reads the catalog and the uploads, and never runs a pipeline step: the sensor
starts every run. Every name the page sends goes through ``ids.normalise_name`` (refused, not rewritten), every act
through ``ownership`` (the signed-in user must own the speaker, or be an admin), files are checked for type and size
before anything is written, and every key written is checked to lie under ``uploads/``. The lecture buttons are in
``lectures``.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.ids import normalise_name
from lecturer_pipeline.media.audio import validate_reference_voice
from lecturer_pipeline.security.consent import ConsentRecord, consent_upload_key, parse_consent, record_consent
from lecturer_pipeline.stages.common import find_first
from lecturer_pipeline.storage.accounts import Accounts, User
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import (
    VOICE_UPLOAD_EXTENSIONS,
    portrait_key,
    portrait_upload_keys,
    voice_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectStore, sha256_file
from lecturer_pipeline.studio.explain import _when
from lecturer_pipeline.studio.files import MAX_VOICE_BYTES, _extension, _inside_uploads, _normalised_portrait, _size
from lecturer_pipeline.studio.ownership import speaker_access
from lecturer_pipeline.studio.text import plain
from lecturer_pipeline.uploads import submit_speaker_files

DEFAULT_CONSENT = (
    "I agree that my recorded voice and my portrait are used to generate lecture videos in my name for the courses "
    "I teach. I can withdraw this consent, and have my voice erased, at any time."
)


@dataclass(frozen=True)
class Studio:
    """What every action works on: the object store, the catalog, and a folder for files shown to the browser."""

    store: ObjectStore
    catalog: Catalog
    workdir: Path
    drafting: bool = False  # a script model (OLLAMA_HOST) is configured, so prompts can be drafted
    sensor_seconds: int = 30
    dagster_url: str | None = None  # the webserver that runs a lecture approved as it is (LECTURER_DAGSTER_URL)

    @functools.cached_property
    def accounts(self) -> Accounts:
        """Studio users, speaker owners and consent histories, in the catalog's database."""
        return Accounts(self.catalog)

    @functools.cached_property
    def secret(self) -> bytes:
        """This process's key for names of the files it serves (see ``lectures._private_dir``)."""
        return secrets.token_bytes(32)

    @classmethod
    def from_settings(cls, settings: Any, workdir: Path) -> Studio:
        """The same store and catalog the pipeline's resources use, for these settings (``wiring``, no Dagster)."""
        from lecturer_pipeline import wiring

        return cls(
            store=wiring.object_store(settings),
            catalog=wiring.catalog(settings),
            workdir=workdir,
            drafting=bool(settings.ollama_host),
            sensor_seconds=settings.lecturer_sensor_interval_seconds,
            dagster_url=settings.lecturer_dagster_url,
        )


@dataclass(frozen=True)
class SpeakerStatus:
    speaker: str
    voice: str | None  # how the voice is kept, when there is one
    portrait: str | None  # the key of the portrait
    consent: dict[str, Any] | None
    missing: tuple[str, ...]
    consents: int = 0  # records in the speaker's consent history

    @property
    def ready(self) -> bool:
        return not self.missing

    def markdown(self) -> str:
        lines = [f"**Speaker {plain(self.speaker)}** — " + ("ready for lectures." if self.ready else "not ready yet.")]
        lines.append(f"- Voice: {plain(self.voice or 'missing')}")
        lines.append(f"- Portrait: {'saved' if self.portrait else 'missing'}")
        if self.consent:
            given = plain(str(self.consent.get("given_at", ""))[:10])
            login = f" (signed in as {plain(self.consent['account'])})" if self.consent.get("account") else ""
            lines.append(f"- Consent: signed by {plain(self.consent.get('by', '?'))}{login} on {given}")
        else:
            lines.append("- Consent: not signed")
        if self.consents > 1:
            lines.append(f"- Consent history: {self.consents} records (one per voice), none overwritten")
        if self.missing:
            lines.append(f"\nStill needed: {'; '.join(self.missing)} (Speaker tab).")
        return "\n".join(lines)


def speaker_status(studio: Studio, user: User, speaker: str) -> SpeakerStatus:
    """What the pipeline holds for a speaker ``user`` may see: a voice (uploaded or sealed), a portrait, consent."""
    name = speaker_access(studio.store, studio.catalog, studio.accounts, user, speaker)
    return _status(studio, name)


def _status(studio: Studio, name: str) -> SpeakerStatus:
    store, row = studio.store, studio.catalog.get_speaker(name) or {}
    missing = []
    voice = None
    upload = find_first(store, voice_upload_keys(name))
    if upload is not None:
        voice = f"uploaded {_when(upload.modified)}; the pipeline checks and seals it with your next lecture"
    elif row.get("voice_key") and store.exists(row["voice_key"]):
        kept = f", kept until {_when(row['delete_after'])[:10]}" if row.get("delete_after") else ""
        seconds = f"{row['voice_seconds']:.1f} s, " if row.get("voice_seconds") else ""
        voice = f"saved ({seconds}encrypted{kept})"
    elif row.get("voice_deleted_at"):
        missing.append(f"a voice — the saved one was deleted on {_when(row['voice_deleted_at'])[:10]}; record it again")
    else:
        missing.append("a voice recording")
    picture = find_first(store, portrait_upload_keys(name))
    portrait = picture.key if picture else (portrait_key(name) if store.exists(portrait_key(name)) else None)
    if portrait is None:
        missing.append("a portrait")
    history = studio.accounts.consents(name)
    consent = history[-1].as_record() if history else row.get("consent")  # the newest: it covers the newest voice
    if not consent and store.exists(consent_upload_key(name)):
        try:
            consent = parse_consent(store.get_bytes(consent_upload_key(name)), consent_upload_key(name)).model_dump(
                mode="json"
            )
        except InputError:
            consent = None
    if not consent:
        missing.append("your signed consent")
    return SpeakerStatus(name, voice, portrait, consent, tuple(missing), len(history))


def saved_portrait(studio: Studio, status: SpeakerStatus) -> Path | None:
    """A local copy of the speaker's saved portrait, to show it again."""
    if status.portrait is None:
        return None
    info = studio.store.stat(status.portrait)
    if info is None:
        return None
    # Named with this process's key: another user cannot derive the file's address from what they know.
    stamp = hmac.new(studio.secret, f"{info.key}{info.modified.isoformat()}{info.size}".encode(), "sha256").hexdigest()
    dst = studio.workdir / "saved" / status.speaker / f"{stamp}{Path(info.key).suffix}"
    if not dst.exists():
        studio.store.get_file(info.key, dst)
    return dst


def save_speaker(
    studio: Studio,
    user: User,
    speaker: str,
    *,
    voice: Path | None = None,
    portrait: Path | None = None,
    consent_by: str = "",
    statement: str = DEFAULT_CONSENT,
    agreed: bool = False,
) -> SpeakerStatus:
    """Check everything, record the consent (signed by ``user``, for this voice), then write the voice and portrait.

    Every new voice needs a consent of its own, given with it: one signed for an earlier voice does not cover it.
    """
    if voice is None and portrait is None and not agreed:
        raise InputError("nothing to save: record or upload your voice, upload a portrait, or sign the consent")
    consent = None
    if agreed:
        try:
            consent = ConsentRecord(by=consent_by, statement=statement)
        except ValidationError as error:
            fields = ", ".join(sorted({str(e["loc"][0]) for e in error.errors()}))
            raise InputError(
                f"the consent needs your full name and the statement (at least 10 characters); check: {fields}"
            ) from error
    elif voice is not None:
        raise InputError(
            "tick the consent statement and sign it with your name: a voice is cloned only with its owner's consent, "
            "and every new voice needs a fresh one (a consent given for an earlier voice does not cover this one)"
        )
    name = normalise_name(speaker, what="speaker name")
    fingerprint = None
    if voice is not None:
        voice = Path(voice)
        _extension(voice, VOICE_UPLOAD_EXTENSIONS, "voice recording")
        _size(voice, MAX_VOICE_BYTES, "voice recording")
        validate_reference_voice(voice)
        fingerprint = sha256_file(voice)
    png = None
    if portrait is not None:
        # The checked PNG is what is uploaded: what the lecturer saw is what is used, and a phone photo's EXIF
        # (location, device) never reaches the store.
        png, _ = _normalised_portrait(Path(portrait), studio.workdir)
    name = speaker_access(studio.store, studio.catalog, studio.accounts, user, name, write=True)
    _inside_uploads([*voice_upload_keys(name), *portrait_upload_keys(name)])
    if consent is not None:  # before the voice lands, so the pipeline never sees the voice without it
        record_consent(
            studio.catalog,
            name,
            consent.model_copy(update={"voice_sha256": fingerprint}),
            source="studio",
            account=user.name,
        )
    written = submit_speaker_files(studio.store, name, voice=voice, portrait=png)
    _inside_uploads(written)
    return _status(studio, name)
