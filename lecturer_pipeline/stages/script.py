"""Stage 1: the lecture's script, read from its upload (plain text or a manifest)."""

from __future__ import annotations

from lecturer_pipeline.errors import InputError, LecturerError
from lecturer_pipeline.ids import normalise_name, split_lecture_id
from lecturer_pipeline.manifest import LectureManifest, parse_manifest, parse_plain_script
from lecturer_pipeline.model import LectureScript
from lecturer_pipeline.storage.layout import lecture_upload_keys
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.text.script import clean_script, text_sha256

MAX_UPLOAD_BYTES = 1024 * 1024  # a lecture upload is text: 1 MB is far beyond MAX_SCRIPT_CHARS


def read_lecture_upload(store: ObjectStore, lecture_id: str) -> tuple[str, LectureManifest]:
    """Find and parse a lecture's upload; returns (key, manifest). Errors name the lecture and the file."""
    course, lecture = split_lecture_id(lecture_id)
    manifest_key, text_key = lecture_upload_keys(course, lecture)
    for key, parse in ((manifest_key, parse_manifest), (text_key, parse_plain_script)):
        info = store.stat(key)
        if info is None:
            continue
        if info.size > MAX_UPLOAD_BYTES:
            raise InputError(f"the upload is {info.size} bytes; at most {MAX_UPLOAD_BYTES} are allowed", file=key)
        try:
            return key, parse(store.get_bytes(key))
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


def supplied_script(store: ObjectStore, lecture_id: str) -> LectureScript:
    """The script of a lecture that supplies its text; a prompt needs a script model (see the Ollama stage)."""
    key, manifest = read_lecture_upload(store, lecture_id)
    if manifest.prompt:
        raise InputError(
            "this lecture gives a prompt, but no script model is configured: set OLLAMA_HOST (and optionally "
            "LECTURER_OLLAMA_MODEL, default llama3:8b), or give the finished text as 'script'",
            lecture_id=lecture_id,
            file=key,
        )
    return script_from_manifest(lecture_id, key, manifest, manifest.script or "", "text")
