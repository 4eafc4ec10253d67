"""Writing uploads into the store's ``uploads/`` area — the one way lectures and speaker files enter the pipeline.

The CLI's ``submit`` and ``demo`` use these, as will any web front end; the pipeline only ever reads from there.
"""

from __future__ import annotations

import json
from pathlib import Path

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.ids import lecture_id as make_lecture_id
from lecturer_pipeline.ids import normalise_name
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.security.consent import ConsentRecord, consent_upload_key
from lecturer_pipeline.storage.layout import (
    PORTRAIT_UPLOAD_EXTENSIONS,
    VOICE_UPLOAD_EXTENSIONS,
    lecture_upload_keys,
    portrait_upload_keys,
    voice_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectStore, sha256_file


def _extension(path: Path, allowed: tuple[str, ...], what: str) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext not in allowed:
        raise InputError(f"a {what} must be one of .{', .'.join(allowed)}", file=str(path))
    return ext


def submit_speaker_files(
    store: ObjectStore,
    speaker: str,
    *,
    voice: Path | None = None,
    portrait: Path | None = None,
    consent: ConsentRecord | None = None,
) -> list[str]:
    """Upload a speaker's reference voice, portrait and/or consent record, replacing earlier uploads.

    A consent given with a voice names that voice's fingerprint: it covers this recording, not a later one.
    """
    speaker = normalise_name(speaker, what="speaker name")
    written = []
    if consent is not None and voice is not None and consent.voice_sha256 is None and Path(voice).is_file():
        consent = consent.model_copy(update={"voice_sha256": sha256_file(Path(voice))})
    if consent is not None:
        key = consent_upload_key(speaker)
        store.put_bytes(key, consent.model_dump_json(indent=2).encode(), content_type="application/json")
        written.append(key)
    for path, allowed, keys, what in (
        (voice, VOICE_UPLOAD_EXTENSIONS, voice_upload_keys(speaker), "voice recording"),
        (portrait, PORTRAIT_UPLOAD_EXTENSIONS, portrait_upload_keys(speaker), "portrait"),
    ):
        if path is None:
            continue
        if not path.is_file():
            raise InputError(f"no such {what} file", file=str(path))
        ext = _extension(path, allowed, what)
        target = next(k for k in keys if k.endswith(f".{ext}") or (ext == "jpeg" and k.endswith(".jpeg")))
        for stale in keys:
            if stale != target:
                store.delete(stale)
        store.put_file(target, path)
        written.append(target)
    return written


def submit_lecture(store: ObjectStore, course: str, lecture: str, manifest: LectureManifest) -> tuple[str, str]:
    """Write a lecture's manifest; returns (lecture ID, key). A re-submission replaces the earlier one."""
    lid = make_lecture_id(course, lecture)
    course, lecture = lid.split("--", 1)
    manifest_key, text_key = lecture_upload_keys(course, lecture)
    body = json.dumps(manifest.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False).encode()
    store.put_bytes(manifest_key, body, content_type="application/json")
    store.delete(text_key)
    return lid, manifest_key
