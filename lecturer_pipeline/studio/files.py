"""Files from the page: type and size checks, the voice check and the portrait preview, before anything is written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lecturer_pipeline.errors import InputError, LecturerError, StorageError
from lecturer_pipeline.ids import lecture_id as make_lecture_id
from lecturer_pipeline.ids import split_lecture_id
from lecturer_pipeline.manifest import LectureManifest, parse_manifest, parse_plain_script
from lecturer_pipeline.media.audio import validate_reference_voice
from lecturer_pipeline.media.faces import check_face, draw_face_boxes
from lecturer_pipeline.media.image import MAX_PORTRAIT_BYTES, PORTRAIT_SIZE, normalise_portrait
from lecturer_pipeline.media.probe import probe
from lecturer_pipeline.stages.common import find_first
from lecturer_pipeline.storage.layout import LECTURE_UPLOADS_PREFIX as LECTURE_UPLOADS
from lecturer_pipeline.storage.layout import PORTRAIT_UPLOAD_EXTENSIONS, VOICE_UPLOAD_EXTENSIONS, lecture_upload_keys
from lecturer_pipeline.storage.layout import UPLOADS_PREFIX as UPLOADS
from lecturer_pipeline.storage.objects import ObjectInfo, ObjectStore
from lecturer_pipeline.studio.text import plain

MAX_VOICE_BYTES = 25 * 1024 * 1024  # validate_reference_voice's limit, also the server's cap on any upload
PORTRAIT_EXTENSIONS = (*PORTRAIT_UPLOAD_EXTENSIONS, "bmp", "tif", "tiff")  # converted to PNG before it is uploaded


def _extension(path: Path, allowed: tuple[str, ...], what: str) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext not in allowed:
        shown = f".{ext}" if ext else "no extension"
        raise InputError(f"{path.name} has {shown}; a {what} must be one of .{', .'.join(allowed)}")
    return ext


def _size(path: Path, limit: int, what: str) -> None:
    size = path.stat().st_size
    if size > limit:
        raise InputError(
            f"{path.name} is {size / 1024 / 1024:.1f} MB; a {what} may be at most {limit / 1024 / 1024:.0f} MB"
        )


def _inside_uploads(keys: list[str]) -> list[str]:
    """The studio writes nowhere but the uploads area (names are already held to a safe set; this is the backstop)."""
    for key in keys:
        if not key.startswith(UPLOADS) or ".." in key.split("/"):
            raise StorageError(f"refusing to write {key!r}: the studio writes only under {UPLOADS}")
    return keys


@dataclass(frozen=True)
class VoiceVerdict:
    passes: bool
    seconds: float | None
    message: str


def check_voice(path: Path | None) -> VoiceVerdict:
    """The recording's length and whether it passes the pipeline's own check (10–30 s, not silent, audio only)."""
    if path is None:
        return VoiceVerdict(False, None, "Record 10–30 s of ordinary speech in a quiet room, or upload a recording.")
    path = Path(path)
    try:
        _extension(path, VOICE_UPLOAD_EXTENSIONS, "voice recording")
        _size(path, MAX_VOICE_BYTES, "voice recording")
        check = validate_reference_voice(path)
    except InputError as error:
        seconds = _seconds(path)
        length = f"{seconds:.1f} s" if seconds else "length unknown"
        return VoiceVerdict(False, seconds, f"✗ **{length}** — {plain(error.message)}")
    return VoiceVerdict(
        True,
        check.duration,
        f"✓ **{check.duration:.1f} s** — passes the 10–30 s rule (peak {check.max_volume_db:.0f} dB). "
        "Save the speaker to keep it.",
    )


def _seconds(path: Path) -> float | None:
    try:
        info = probe(path)
    except (LecturerError, OSError):
        return None
    return (info.audio.duration if info.audio else None) or info.duration or None


@dataclass(frozen=True)
class PortraitPreview:
    path: Path | None
    message: str


def _normalised_portrait(path: Path, workdir: Path) -> tuple[Path, str]:
    """The portrait as the pipeline will use it (square RGB PNG), written under ``workdir``; InputError if unusable
    (no face KDTalker's detector finds, or one too small, included: the pipeline would refuse it too)."""
    _extension(path, PORTRAIT_EXTENSIONS, "portrait")
    _size(path, MAX_PORTRAIT_BYTES, "portrait")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    dst = workdir / "portraits" / f"{digest}.png"
    dst.parent.mkdir(parents=True, exist_ok=True)
    info = normalise_portrait(path, dst)
    face = check_face(dst, where=path.name)
    done = f"; {', '.join(info.converted)}" if info.converted else ""
    return dst, (
        f"✓ {info.source_width}×{info.source_height} {info.source_format} → {PORTRAIT_SIZE}×{PORTRAIT_SIZE}{done}. "
        f"Face found ({face.details()['face_choice']}, framed in green). This square is what the video shows."
    )


def preview_portrait(path: Path | None, workdir: Path) -> PortraitPreview:
    """The portrait cropped and sized as it will be used, or why it cannot be."""
    if path is None:
        return PortraitPreview(None, "Upload a photo of your face (JPEG or PNG, at most 20 MB).")
    try:
        png, message = _normalised_portrait(Path(path), workdir)
    except InputError as error:
        return PortraitPreview(None, f"✗ {plain(error.message)}")
    framed = draw_face_boxes(png, check_face(png, where=Path(path).name), png.with_name(f"{png.stem}-face.png"))
    return PortraitPreview(framed, message)


def _lecture_upload(store: ObjectStore, lid: str) -> ObjectInfo | None:
    return find_first(store, list(lecture_upload_keys(*split_lecture_id(lid))))


def _read_upload(store: ObjectStore, info: ObjectInfo) -> LectureManifest | None:
    try:
        raw = store.get_bytes(info.key)
        return parse_manifest(raw) if info.key.endswith(".json") else parse_plain_script(raw)
    except LecturerError:
        return None


def _uploads_by_lecture(store: ObjectStore, course: str | None) -> dict[str, ObjectInfo]:
    """Every lecture upload under ``uploads/lectures/`` (the manifest when both forms exist), by lecture ID."""
    found: dict[str, ObjectInfo] = {}
    for info in store.list(LECTURE_UPLOADS + (f"{course}/" if course else "")):
        parts = info.key[len(LECTURE_UPLOADS) :].split("/")
        if len(parts) != 2 or not parts[1].endswith((".json", ".txt")):
            continue
        try:
            lid = make_lecture_id(parts[0], parts[1].rsplit(".", 1)[0])
        except InputError:
            continue
        if lid not in found or info.key.endswith(".json"):
            found[lid] = info
    return found
