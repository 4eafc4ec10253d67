"""Stage 1: the lecture's script, read from its upload (plain text or a manifest) or drafted from its prompt."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from lecturer_pipeline.engines.base import ScriptWriter
from lecturer_pipeline.errors import InputError, LecturerError
from lecturer_pipeline.ids import normalise_name, split_lecture_id
from lecturer_pipeline.manifest import LectureManifest, parse_manifest, parse_plain_script
from lecturer_pipeline.model import LectureScript
from lecturer_pipeline.security.consent import record_consent
from lecturer_pipeline.stages.common import find_first, input_hash
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import (
    PORTRAIT_UPLOADS_PREFIX,
    VOICE_UPLOADS_PREFIX,
    lecture_upload_keys,
    portrait_upload_keys,
    voice_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.text.script import clean_script, text_sha256

MAX_UPLOAD_BYTES = 1024 * 1024  # a lecture upload is text: 1 MB is far beyond MAX_SCRIPT_CHARS


def read_lecture_upload(store: ObjectStore, lecture_id: str) -> tuple[str, LectureManifest, str]:
    """Find and parse a lecture's upload; returns (key, manifest, sha256 of the upload). Errors name the lecture and
    the file."""
    course, lecture = split_lecture_id(lecture_id)
    manifest_key, text_key = lecture_upload_keys(course, lecture)
    for key, parse in ((manifest_key, parse_manifest), (text_key, parse_plain_script)):
        info = store.stat(key)
        if info is None:
            continue
        if info.size > MAX_UPLOAD_BYTES:
            raise InputError(f"the upload is {info.size} bytes; at most {MAX_UPLOAD_BYTES} are allowed", file=key)
        raw = store.get_bytes(key)
        try:
            return key, parse(raw), hashlib.sha256(raw).hexdigest()
        except LecturerError as error:
            raise error.with_context(lecture_id=lecture_id, file=key) from error
    raise InputError(
        f"no lecture upload found: put the script at {text_key} or a manifest at {manifest_key}", lecture_id=lecture_id
    )


def script_from_manifest(lecture_id: str, key: str, manifest: LectureManifest, text: str, source: str) -> LectureScript:
    """Validate the final text and settle title and speaker (a lecture without one uses its course's name)."""
    course, lecture = split_lecture_id(lecture_id)
    try:
        cleaned = clean_script(text)
        speaker = normalise_name(manifest.speaker or course, what="speaker name")
    except LecturerError as error:
        raise error.with_context(lecture_id=lecture_id, file=key) from error
    return LectureScript(
        lecture_id=lecture_id,
        course=course,
        title=manifest.title or lecture.replace("-", " ").replace("_", " ").capitalize(),
        speaker=speaker,
        language=manifest.language,
        text=cleaned,
        sha256=text_sha256(cleaned),
        source=source,
    )


def _require_speaker(
    store: ObjectStore, catalog: Catalog, lecture_id: str, key: str, manifest: LectureManifest
) -> None:
    """A lecture without ``speaker`` uses its course's name; refuse it when no such speaker exists."""
    if manifest.speaker:
        return
    course, _ = split_lecture_id(lecture_id)
    if catalog.get_speaker(course) or any(
        find_first(store, keys) for keys in (voice_upload_keys(course), portrait_upload_keys(course))
    ):
        return
    raise InputError(
        f"the lecture names no speaker and course {course} has no default speaker (no "
        f"{VOICE_UPLOADS_PREFIX}{course}.* or "
        f'{PORTRAIT_UPLOADS_PREFIX}{course}.*): add "speaker": "<name>" to the manifest',
        lecture_id=lecture_id,
        file=key,
    )


def prepare_script(
    store: ObjectStore, catalog: Catalog, lecture_id: str, writer: ScriptWriter | None
) -> tuple[LectureScript, dict[str, Any]]:
    """The lecture's script and how it was made (for metadata), recording which upload content it came from."""
    key, manifest, upload_sha = read_lecture_upload(store, lecture_id)
    script, made = _prepare(store, catalog, lecture_id, writer, key, manifest)
    return replace(script, upload_sha256=upload_sha), made


def _prepare(
    store: ObjectStore,
    catalog: Catalog,
    lecture_id: str,
    writer: ScriptWriter | None,
    key: str,
    manifest: LectureManifest,
) -> tuple[LectureScript, dict[str, Any]]:
    """The lecture's script and how it was made (for metadata).

    Supplied text is used as it is. A prompt is drafted by the script writer (Ollama) — once: while the prompt and
    its options and the model stay the same, the stored draft is reused, so a re-run never re-bills the model nor
    changes the words under a finished speech.
    """
    if manifest.script:
        script_from_manifest(lecture_id, key, manifest, manifest.script, "text")  # script errors come first
    _require_speaker(store, catalog, lecture_id, key, manifest)
    if manifest.consent:
        speaker = script_from_manifest(lecture_id, key, manifest, manifest.script or "-", "text").speaker
        record_consent(catalog, speaker, manifest.consent, source=key)
    if not manifest.prompt:
        return script_from_manifest(lecture_id, key, manifest, manifest.script or "", "text"), {"upload": key}
    if writer is None:
        raise InputError(
            "this lecture gives a prompt, but no script model is configured: set OLLAMA_HOST (and optionally "
            "LECTURER_OLLAMA_MODEL, default llama3:8b), or give the finished text as 'script'",
            lecture_id=lecture_id,
            file=key,
        )
    options = manifest.model_dump(include={"target_minutes", "audience", "style", "language"})
    wanted = input_hash(writer=writer.name, model=writer.model, prompt=manifest.prompt, **options)
    stored = catalog.get_lecture(lecture_id) or {}
    if stored.get("script_input_hash") == wanted and stored.get("script"):
        script = script_from_manifest(lecture_id, key, manifest, stored["script"], "prompt")
        return replace(script, input_hash=wanted), {"upload": key, "model": writer.model, "reused_draft": True}
    try:
        draft = writer.draft(manifest.prompt, **options)
    except LecturerError as error:
        raise error.with_context(lecture_id=lecture_id, file=key) from error
    script = replace(script_from_manifest(lecture_id, key, manifest, draft.text, "prompt"), input_hash=wanted)
    return script, {
        "upload": key,
        "model": draft.model,
        "prompt": draft.prompt,
        "eval_count": draft.eval_count,
        "prompt_eval_count": draft.prompt_eval_count,
        "eval_seconds": draft.eval_duration_s,
        "total_seconds": draft.total_duration_s,
        "reused_draft": False,
    }


def approve_draft(store: ObjectStore, catalog: Catalog, lecture_id: str, text: str | None = None) -> str:
    """Approve a lecture's drafted script — as drafted, or the reviewed ``text`` — by submitting it as the lecture's
    script: the manifest keeps its title, speaker and language and loses its prompt. Returns the manifest key.

    Submitting is the approval: the upload sensor starts the lecture again, and speech is made from this text.
    """
    key, manifest, _ = read_lecture_upload(store, lecture_id)
    row = catalog.get_lecture(lecture_id) or {}
    final = text if text is not None else row.get("script")
    if not final:
        raise InputError(
            "has no drafted script to approve yet: materialise lecture_script first", lecture_id=lecture_id
        )
    cleaned = clean_script(final)
    approved = manifest.model_copy(update={"script": cleaned, "prompt": None, "target_minutes": None})
    body = approved.model_dump_json(exclude_none=True, indent=2).encode()
    store.put_bytes(lecture_upload_keys(*split_lecture_id(lecture_id))[0], body, content_type="application/json")
    if key.endswith(".txt"):
        store.delete(key)
    return lecture_upload_keys(*split_lecture_id(lecture_id))[0]
