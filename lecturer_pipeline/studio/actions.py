"""What the studio's buttons do, without Gradio: plain functions over the object store and the catalog.

The studio is a front end to the uploads area the upload sensor already watches. It writes only through
``lecturer_pipeline.uploads`` (what ``submit`` uses) and ``stages.script.approve_draft`` (an approval is itself a
submission), reads the catalog and the uploads, and never runs a pipeline step: the sensor starts every run. Every
name the page sends goes through ``ids.normalise_name`` (refused, not rewritten), files are checked for type and size
before anything is written, and every key written is checked to lie under ``uploads/``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from lecturer_pipeline.errors import InputError, LecturerError, StorageError
from lecturer_pipeline.ids import lecture_id as make_lecture_id
from lecturer_pipeline.ids import normalise_name, split_lecture_id
from lecturer_pipeline.manifest import LectureManifest, parse_manifest, parse_plain_script
from lecturer_pipeline.media.audio import validate_reference_voice
from lecturer_pipeline.media.image import MAX_PORTRAIT_BYTES, PORTRAIT_SIZE, normalise_portrait
from lecturer_pipeline.media.probe import probe
from lecturer_pipeline.security.consent import ConsentRecord, consent_upload_key, parse_consent
from lecturer_pipeline.stages.script import approve_draft
from lecturer_pipeline.storage.catalog import Catalog, Status
from lecturer_pipeline.storage.layout import (
    PORTRAIT_UPLOAD_EXTENSIONS,
    VOICE_UPLOAD_EXTENSIONS,
    lecture_upload_keys,
    portrait_key,
    portrait_upload_keys,
    voice_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectInfo, ObjectStore
from lecturer_pipeline.text.script import clean_script
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

UPLOADS = "uploads/"
LECTURE_UPLOADS = "uploads/lectures/"
MAX_VOICE_BYTES = 25 * 1024 * 1024  # validate_reference_voice's limit, also the server's cap on any upload
PORTRAIT_EXTENSIONS = (*PORTRAIT_UPLOAD_EXTENSIONS, "bmp", "tif", "tiff")  # converted to PNG before it is uploaded
LANGUAGES = ("en-us", "fr-fr", "de", "ja", "ko", "cmn")
SUBMITTED = "SUBMITTED"  # shown for an upload the pipeline has not picked up yet (no catalog row, or a newer upload)
DEFAULT_CONSENT = (
    "I agree that my recorded voice and my portrait are used to generate lecture videos in my name for the courses "
    "I teach. I can withdraw this consent, and have my voice erased, at any time."
)

STAGE_WORDS = {
    "upload": "reading the upload",
    "lecture_script": "reading or drafting the script",
    "reference_voice": "checking your voice",
    "speaker_embed": "preparing your voice profile",
    "portrait": "preparing your portrait",
    "speech": "speaking the script",
    "video": "rendering the video",
    "captions": "writing the captions",
    "transcript": "writing the transcript",
    "lms_package": "packaging it for your LMS",
    "published_lecture": "publishing it",
}
# What each finished artefact is called when it is downloaded: (catalog kind, file name pattern).
DOWNLOADS = (
    ("video", "{id}.mp4"),
    ("captions", "{id}.vtt"),
    ("transcript", "{id}-transcript.txt"),
    ("lms_package", "{id}-scorm12.zip"),
)


@dataclass(frozen=True)
class Studio:
    """What every action works on: the object store, the catalog, and a folder for files shown to the browser."""

    store: ObjectStore
    catalog: Catalog
    workdir: Path
    drafting: bool = False  # a script model (OLLAMA_HOST) is configured, so prompts can be drafted
    sensor_seconds: int = 30

    @classmethod
    def from_settings(cls, settings: Any, workdir: Path) -> Studio:
        """The same store and catalog the pipeline's resources use, for these settings."""
        from lecturer_pipeline.defs.resources import build_resources

        resources = build_resources(settings)
        return cls(
            store=resources["objects"].get_store(),
            catalog=resources["catalog"].get_catalog(),
            workdir=workdir,
            drafting=bool(settings.ollama_host),
            sensor_seconds=settings.lecturer_sensor_interval_seconds,
        )


# --- files from the page -------------------------------------------------------------------------------------------


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
        return VoiceVerdict(False, seconds, f"✗ **{length}** — {error.message}")
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
    """The portrait as the pipeline will use it (square RGB PNG), written under ``workdir``; InputError if unusable."""
    _extension(path, PORTRAIT_EXTENSIONS, "portrait")
    _size(path, MAX_PORTRAIT_BYTES, "portrait")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    dst = workdir / "portraits" / f"{digest}.png"
    dst.parent.mkdir(parents=True, exist_ok=True)
    info = normalise_portrait(path, dst)
    done = f"; {', '.join(info.converted)}" if info.converted else ""
    return dst, (
        f"✓ {info.source_width}×{info.source_height} {info.source_format} → {PORTRAIT_SIZE}×{PORTRAIT_SIZE}{done}. "
        "This square is what the video shows."
    )


def preview_portrait(path: Path | None, workdir: Path) -> PortraitPreview:
    """The portrait cropped and sized as it will be used, or why it cannot be."""
    if path is None:
        return PortraitPreview(None, "Upload a photo of your face (JPEG or PNG, at most 20 MB).")
    try:
        png, message = _normalised_portrait(Path(path), workdir)
    except InputError as error:
        return PortraitPreview(None, f"✗ {error.message}")
    return PortraitPreview(png, message)


# --- speakers ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeakerStatus:
    speaker: str
    voice: str | None  # how the voice is kept, when there is one
    portrait: str | None  # the key of the portrait
    consent: dict[str, Any] | None
    missing: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.missing

    def markdown(self) -> str:
        lines = [f"**Speaker `{self.speaker}`** — " + ("ready for lectures." if self.ready else "not ready yet.")]
        lines.append(f"- Voice: {self.voice or 'missing'}")
        lines.append(f"- Portrait: {'saved' if self.portrait else 'missing'}")
        if self.consent:
            given = str(self.consent.get("given_at", ""))[:10]
            lines.append(f"- Consent: signed by {self.consent.get('by', '?')} on {given}")
        else:
            lines.append("- Consent: not signed")
        if self.missing:
            lines.append(f"\nStill needed: {'; '.join(self.missing)} (Speaker tab).")
        return "\n".join(lines)


def _first(store: ObjectStore, keys: list[str]) -> ObjectInfo | None:
    for key in keys:
        info = store.stat(key)
        if info is not None:
            return info
    return None


def speaker_status(studio: Studio, speaker: str) -> SpeakerStatus:
    """What the pipeline holds for a speaker: a voice (uploaded or sealed), a portrait, a consent record."""
    name = normalise_name(speaker, what="speaker name")
    store, row = studio.store, studio.catalog.get_speaker(name) or {}
    missing = []
    voice = None
    upload = _first(store, voice_upload_keys(name))
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
    picture = _first(store, portrait_upload_keys(name))
    portrait = picture.key if picture else (portrait_key(name) if store.exists(portrait_key(name)) else None)
    if portrait is None:
        missing.append("a portrait")
    consent = row.get("consent")
    if not consent and store.exists(consent_upload_key(name)):
        try:
            consent = parse_consent(store.get_bytes(consent_upload_key(name)), consent_upload_key(name)).model_dump(
                mode="json"
            )
        except InputError:
            consent = None
    if not consent:
        missing.append("your signed consent")
    return SpeakerStatus(name, voice, portrait, consent, tuple(missing))


def saved_portrait(studio: Studio, status: SpeakerStatus) -> Path | None:
    """A local copy of the speaker's saved portrait, to show it again."""
    if status.portrait is None:
        return None
    info = studio.store.stat(status.portrait)
    if info is None:
        return None
    stamp = hashlib.sha256(f"{info.key}{info.modified.isoformat()}{info.size}".encode()).hexdigest()[:16]
    dst = studio.workdir / "saved" / status.speaker / f"{stamp}{Path(info.key).suffix}"
    if not dst.exists():
        studio.store.get_file(info.key, dst)
    return dst


def save_speaker(
    studio: Studio,
    speaker: str,
    *,
    voice: Path | None = None,
    portrait: Path | None = None,
    consent_by: str = "",
    statement: str = DEFAULT_CONSENT,
    agreed: bool = False,
) -> SpeakerStatus:
    """Check everything first, then write the voice, the portrait (as the checked PNG) and the consent record."""
    name = normalise_name(speaker, what="speaker name")
    if voice is None and portrait is None and not agreed:
        raise InputError("nothing to save: record or upload your voice, upload a portrait, or sign the consent")
    current = speaker_status(studio, name)
    consent = None
    if agreed:
        try:
            consent = ConsentRecord(by=consent_by, statement=statement)
        except ValidationError as error:
            fields = ", ".join(sorted({str(e["loc"][0]) for e in error.errors()}))
            raise InputError(
                f"the consent needs your full name and the statement (at least 10 characters); check: {fields}"
            ) from error
    elif voice is not None and not current.consent:
        raise InputError(
            "tick the consent statement and sign it with your name: a voice is cloned only with its owner's consent"
        )
    if voice is not None:
        voice = Path(voice)
        _extension(voice, VOICE_UPLOAD_EXTENSIONS, "voice recording")
        _size(voice, MAX_VOICE_BYTES, "voice recording")
        validate_reference_voice(voice)
    png = None
    if portrait is not None:
        # The checked PNG is what is uploaded: what the lecturer saw is what is used, and a phone photo's EXIF
        # (location, device) never reaches the store.
        png, _ = _normalised_portrait(Path(portrait), studio.workdir)
    written = submit_speaker_files(studio.store, name, voice=voice, portrait=png, consent=consent)
    _inside_uploads(written)
    return speaker_status(studio, name)


# --- lectures ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LectureRequest:
    """What the Lecture tab sends: course and title, then a finished script or a prompt to draft one from."""

    course: str
    title: str
    mode: Literal["script", "prompt"] = "script"
    name: str = ""  # the short name in the lecture ID; the title's when empty
    script: str = ""
    prompt: str = ""
    minutes: float | None = None
    audience: str = ""
    style: str = ""
    language: str = "en-us"


@dataclass(frozen=True)
class Submitted:
    lecture_id: str
    key: str
    message: str


def submit_from_page(studio: Studio, speaker: str, request: LectureRequest) -> Submitted:
    """Write the lecture's manifest into the uploads area, where the sensor picks it up."""
    status = speaker_status(studio, speaker)
    if not status.ready:
        raise InputError(
            f"speaker {status.speaker} needs {' and '.join(status.missing)} first: save it on the Speaker tab"
        )
    title = (request.title or "").strip()
    if not title:
        raise InputError("give the lecture a title")
    try:
        lid = make_lecture_id(request.course, request.name.strip() or title)
    except InputError as error:
        if request.name.strip():
            raise
        raise InputError(
            f"{error.message}. The title is free text, but then give a short name for the lecture's ID "
            "(letters a-z, digits, '-' or '_')"
        ) from error
    fields: dict[str, Any] = {"title": title, "speaker": status.speaker, "language": request.language}
    if request.mode == "script":
        fields["script"] = clean_script(request.script or "")
    elif request.mode == "prompt":
        if not (request.prompt or "").strip():
            raise InputError("write a prompt: what the lecture is about, and anything it must cover")
        if not studio.drafting:
            raise InputError(
                "drafting from a prompt is not set up on this server (it needs Ollama): paste the finished script "
                "instead, or ask your operator to set OLLAMA_HOST"
            )
        fields |= {
            "prompt": request.prompt,
            "target_minutes": request.minutes or None,
            "audience": request.audience or None,
            "style": request.style or None,
        }
    else:
        raise InputError(f"unknown way to give the script: {request.mode!r}")
    try:
        manifest = LectureManifest(**fields)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'lecture'}: {e['msg']}" for e in error.errors())
        raise InputError(f"the lecture is not valid — {problems}") from error
    _inside_uploads(list(lecture_upload_keys(*split_lecture_id(lid))))
    replaced = studio.catalog.get_lecture(lid) is not None or _lecture_upload(studio.store, lid) is not None
    lid, key = submit_lecture(studio.store, request.course, request.name.strip() or title, manifest)
    again = " It replaces the lecture's earlier version." if replaced else ""
    if request.mode == "prompt":
        after = (
            "The pipeline drafts the script with Ollama; the draft then appears on **My lectures** for you to read, "
            "edit and approve. Nothing is spoken before you approve it."
        )
    else:
        after = "The pipeline makes the speech and the video; follow it on **My lectures**."
    message = (
        f"lecture: `{lid}` — submitted.{again} {after} The pipeline looks for new lectures every "
        f"{studio.sensor_seconds} s."
    )
    return Submitted(lid, key, message)


@dataclass(frozen=True)
class LectureView:
    lecture_id: str
    course: str
    title: str
    status: str
    stage: str | None
    updated: datetime | None
    note: str
    draft: str | None = None


LECTURE_COLUMNS = ["lecture", "title", "status", "stage", "updated", "what now"]


def as_table(views: list[LectureView]) -> list[list[str]]:
    return [
        [v.lecture_id, v.title, v.status, v.stage or "", _when(v.updated) if v.updated else "", v.note] for v in views
    ]


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _lecture_upload(store: ObjectStore, lid: str) -> ObjectInfo | None:
    return _first(store, list(lecture_upload_keys(*split_lecture_id(lid))))


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


def _plain_error(error: str | None, lecture_id: str) -> str:
    text = (error or "it failed without saying why").strip()
    for prefix in (f"lecture {lecture_id}, ", f"lecture {lecture_id}: "):
        text = text.removeprefix(prefix)
    return text if len(text) <= 400 else text[:400] + "…"


def _what_to_do(stage: str | None, error: str) -> str:
    if "consent" in error:
        return "Sign the consent statement on the Speaker tab, then submit the lecture again."
    if "OLLAMA_HOST" in error:
        return "Drafting is not set up on this server: paste the finished script instead, or ask your operator."
    if stage in ("upload", "lecture_script"):
        return "Fix the script or prompt on the Lecture tab and submit the lecture again."
    if stage in ("reference_voice", "speaker_embed"):
        return "Record or upload your voice again on the Speaker tab, then submit the lecture again."
    if stage == "portrait":
        return "Upload another portrait on the Speaker tab, then submit the lecture again."
    return (
        "This is usually a problem on the server's side: submit the lecture again in a while; if it keeps failing, "
        "tell your operator (the Dagster UI shows what happened)."
    )


def explain(status: str, stage: str | None, error: str | None, lecture_id: str) -> str:
    """The status in plain words, with what to do next."""
    if status == Status.COMPLETED.value:
        return "Finished: open it to watch and download it."
    if status == Status.AWAITING_APPROVAL.value:
        return "Draft ready: open it, read and edit the script, then approve it. Nothing is spoken before you do."
    if status == Status.PENDING.value:
        return "Queued: the pipeline starts it shortly."
    if status == Status.RUNNING.value:
        return f"Being made: {STAGE_WORDS.get(stage or '', stage or 'working')}…"
    if status == Status.FAILED.value:
        message = _plain_error(error, lecture_id)
        doing = STAGE_WORDS.get(stage or "", stage or "working")
        return f"Failed while {doing}: {message} — {_what_to_do(stage, message)}"
    if status == Status.NEEDS_REVIEW.value:
        return (
            "Held for review: part of the generated speech or video did not pass the quality checks twice (wrong "
            "words, another voice, or a lost face). Your operator listens to it and approves it as it is, or you "
            "edit the script and submit it again; only the failing parts are made again."
        )
    if status == Status.PRUNED.value:
        return "It stayed unfinished for too long and its partial files were cleared: submit it again."
    if status == Status.ERASED.value:
        return "Its speaker was erased, and with it the speech and video: save the speaker again and resubmit."
    return status


def _view(
    studio: Studio, lid: str, row: dict[str, Any] | None, upload: ObjectInfo | None, manifest: LectureManifest | None
) -> LectureView:
    course, lecture = split_lecture_id(lid)
    fallback = (manifest.title if manifest and manifest.title else None) or lecture.replace("-", " ").capitalize()
    title = (row or {}).get("title") or fallback
    updated = _aware((row or {}).get("updated_at"))
    waiting = row is None
    if row is not None and upload is not None and row["status"] not in (Status.PENDING.value, Status.RUNNING.value):
        waiting = _aware(upload.modified) > updated  # re-submitted (or approved) after the row's last change
    if waiting:
        speaker = (row or {}).get("speaker") or (manifest.speaker if manifest and manifest.speaker else course)
        try:
            missing = speaker_status(studio, speaker).missing
        except InputError:
            missing = ()
        note = (
            f"Waiting: speaker {speaker} still needs {' and '.join(missing)} (save it on the Speaker tab)."
            if missing
            else f"Submitted: waiting for the pipeline to pick it up (it looks every {studio.sensor_seconds} s)."
        )
        if row is not None and row["status"] == Status.AWAITING_APPROVAL.value:
            note = "Approved: " + note[0].lower() + note[1:]
        return LectureView(lid, course, title, SUBMITTED, None, _aware(upload.modified) if upload else None, note)
    draft = row.get("script") if row["status"] == Status.AWAITING_APPROVAL.value else None
    note = explain(row["status"], row.get("stage"), row.get("error"), lid)
    return LectureView(lid, course, title, row["status"], row.get("stage"), updated, note, draft)


def list_lectures(studio: Studio, speaker: str, course: str | None = None) -> list[LectureView]:
    """The speaker's lectures, from the catalog, plus uploads the pipeline has not picked up yet."""
    name = normalise_name(speaker, what="speaker name")
    course = normalise_name(course, what="course name") if course and course.strip() else None
    rows = {row["id"]: row for row in studio.catalog.list_lectures(course)}
    uploads = _uploads_by_lecture(studio.store, course)
    views = []
    for lid in sorted(set(rows) | set(uploads)):
        row, upload = rows.get(lid), uploads.get(lid)
        owner = (row or {}).get("speaker")
        manifest = None
        if upload is not None and (owner is None or row is None or row["status"] == Status.AWAITING_APPROVAL.value):
            manifest = _read_upload(studio.store, upload)
            if owner is None and manifest is not None:
                owner = manifest.speaker or split_lecture_id(lid)[0]
        if owner is None:
            continue
        try:
            if normalise_name(owner, what="speaker name") != name:
                continue
        except InputError:
            continue
        views.append(_view(studio, lid, row, upload, manifest))
    return sorted(views, key=lambda v: v.updated or datetime.min.replace(tzinfo=UTC), reverse=True)


@dataclass(frozen=True)
class LectureDetail:
    view: LectureView
    video: Path | None = None
    captions: Path | None = None
    downloads: list[Path] = field(default_factory=list)

    def markdown(self) -> str:
        v = self.view
        lines = [f"### {v.title}", f"`{v.lecture_id}` · **{v.status}**" + (f" · stage {v.stage}" if v.stage else "")]
        lines.append("")
        lines.append(v.note)
        if self.downloads:
            lines.append("")
            lines.append("Downloads: " + ", ".join(p.name for p in self.downloads))
        return "\n".join(lines)


def lecture_detail(studio: Studio, lecture_id: str) -> LectureDetail:
    """One lecture: its status in plain words, its draft when it waits for review, its files when finished."""
    lid = (lecture_id or "").strip()
    if not lid:
        raise InputError("choose a lecture first")
    split_lecture_id(lid)
    row = studio.catalog.get_lecture(lid)
    upload = _lecture_upload(studio.store, lid)
    if row is None and upload is None:
        raise InputError("there is no such lecture", lecture_id=lid)
    manifest = _read_upload(studio.store, upload) if upload is not None else None
    view = _view(studio, lid, row, upload, manifest)
    if view.status != Status.COMPLETED.value:
        return LectureDetail(view)
    files: dict[str, Path] = {}
    for kind, pattern in DOWNLOADS:
        artefact = studio.catalog.get_artefact(lid, kind)
        if artefact is None or not studio.store.exists(artefact.key):
            continue
        dst = studio.workdir / "lectures" / lid / artefact.sha256[:16] / pattern.format(id=lid)
        if not dst.exists():
            studio.store.get_file(artefact.key, dst)  # streamed: a long video never sits in memory
        files[kind] = dst
    return LectureDetail(view, files.get("video"), files.get("captions"), list(files.values()))


def approve(studio: Studio, lecture_id: str, text: str | None) -> str:
    """Approve a lecture's draft, as reviewed (``text``) or as drafted; returns the manifest key written."""
    lid = (lecture_id or "").strip()
    split_lecture_id(lid)
    row = studio.catalog.get_lecture(lid)
    upload = _lecture_upload(studio.store, lid)
    view = _view(studio, lid, row, upload, None) if row is not None else None
    if view is None or view.status != Status.AWAITING_APPROVAL.value:
        shown = view.status if view else "not drafted yet"
        raise InputError(f"has no draft waiting for review (status: {shown})", lecture_id=lid)
    reviewed = text if text and text.strip() else None
    key = approve_draft(studio.store, studio.catalog, lid, reviewed)
    _inside_uploads([key])
    return key
