"""The studio's lecture buttons without Gradio: submit, list, open, approve — each only for the lectures of the
signed-in user's own speakers (an admin: any), checked by ``ownership`` before anything is read or written."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from lecturer_pipeline.deck_uploads import submit_deck
from lecturer_pipeline.errors import InputError
from lecturer_pipeline.ids import lecture_id as make_lecture_id
from lecturer_pipeline.ids import normalise_name, split_lecture_id
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.stages.script import approve_draft
from lecturer_pipeline.storage.accounts import User
from lecturer_pipeline.storage.catalog import Status
from lecturer_pipeline.storage.layout import deck_upload_keys, lecture_upload_keys
from lecturer_pipeline.storage.objects import ObjectInfo
from lecturer_pipeline.studio.actions import Studio, _status, speaker_status
from lecturer_pipeline.studio.deck import check_deck
from lecturer_pipeline.studio.explain import _aware, _when, explain
from lecturer_pipeline.studio.files import _inside_uploads, _lecture_upload, _read_upload, _uploads_by_lecture
from lecturer_pipeline.studio.ownership import chosen_lecture, lecture_access, speaker_access
from lecturer_pipeline.studio.review import quality_verdict
from lecturer_pipeline.studio.text import plain
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE
from lecturer_pipeline.text.script import clean_script
from lecturer_pipeline.uploads import submit_lecture

SUBMITTED = "SUBMITTED"  # shown for an upload the pipeline has not picked up yet (no catalog row, or a newer upload)
# What each finished artefact is called when it is downloaded: (catalog kind, file name pattern).
DOWNLOADS = (
    (Kind.LECTURE_VIDEO, "{id}.mp4"),  # the composed lecture video (slides, head, cards, disclosure)
    (Kind.CAPTIONS, "{id}.vtt"),
    (Kind.TRANSCRIPT, "{id}-transcript.txt"),
    (Kind.LMS_PACKAGE, "{id}-scorm12.zip"),
)


def _private_dir(studio: Studio, user: User, lecture_id: str, sha256: str) -> Path:
    """Where a user's copy of a lecture's files is kept for the browser: a folder name no other user can derive."""
    token = hmac.new(studio.secret, f"{user.name}\0{lecture_id}\0{sha256}".encode(), hashlib.sha256).hexdigest()[:32]
    return studio.workdir / "lectures" / token


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
    language: str = DEFAULT_LANGUAGE
    deck: Path | None = None  # the slides (PDF or PPTX), as ``submit --deck`` takes them


@dataclass(frozen=True)
class Submitted:
    lecture_id: str
    key: str
    message: str


def submit_from_page(studio: Studio, user: User, speaker: str, request: LectureRequest) -> Submitted:
    """Write the lecture's manifest into the uploads area, where the sensor picks it up.

    The speaker must be ``user``'s; so must the lecture, when its ID exists already (a re-submission replaces it).
    """
    status = speaker_status(studio, user, speaker)
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
    _inside_uploads([*lecture_upload_keys(*split_lecture_id(lid)), *deck_upload_keys(*split_lecture_id(lid))])
    replaced = studio.catalog.get_lecture(lid) is not None or _lecture_upload(studio.store, lid) is not None
    if replaced:
        lecture_access(studio.store, studio.catalog, studio.accounts, user, lid)
    pages = check_deck(request.deck, studio.workdir) if request.deck is not None else None
    if request.deck is not None:  # before the manifest, as `submit --deck` does: the manifest starts the lecture
        submit_deck(studio.store, request.course, request.name.strip() or title, request.deck)
    lid, key = submit_lecture(studio.store, request.course, request.name.strip() or title, manifest)
    again = " It replaces the lecture's earlier version." if replaced else ""
    again += f" Its deck has {pages} page{'s' if pages != 1 else ''}." if pages else ""
    after = (
        "The pipeline drafts the script with Ollama; the draft then appears on **My lectures** for you to read, edit "
        "and approve. Nothing is spoken before you approve it."
        if request.mode == "prompt"
        else "The pipeline makes the speech and the video; follow it on **My lectures**."
    )
    message = (
        f"lecture: {lid} — submitted.{again} {after} The pipeline looks for new lectures every "
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
            missing = _status(studio, normalise_name(speaker, what="speaker name")).missing
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


def list_lectures(studio: Studio, user: User, speaker: str, course: str | None = None) -> list[LectureView]:
    """The lectures of a speaker of ``user``'s, from the catalog, plus uploads the pipeline has not picked up yet."""
    name = speaker_access(studio.store, studio.catalog, studio.accounts, user, speaker)
    course = normalise_name(course, what="course name") if course and course.strip() else None
    # SQL picks the speaker's lectures; intake's records say whose the uploads are (only newer ones are opened).
    rows = {row["id"]: row for row in studio.catalog.list_lectures(course, speaker=name)}
    uploads = _uploads_by_lecture(studio.store, course)
    known = studio.catalog.upload_speakers(course)
    views = []
    for lid in sorted(set(rows) | set(uploads)):
        row, upload = rows.get(lid), uploads.get(lid)
        if row is None and lid in known:
            if known[lid] != name:
                continue
            row = studio.catalog.get_lecture(lid)
        owner = (row or {}).get("speaker") or known.get(lid)
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
    quality: str | None = None  # the quality report's verdict in plain words, once speech was checked

    @property
    def held_for_review(self) -> bool:
        """Whether *Approve as it is* is offered (the user already passed ``lecture_access`` to see this)."""
        return self.view.status == Status.NEEDS_REVIEW.value

    def markdown(self) -> str:
        v = self.view
        stage = f" · stage {v.stage}" if v.stage else ""  # status and stage are the pipeline's own words
        lines = [f"### {plain(v.title)}", f"{plain(v.lecture_id)} · **{v.status}**{stage}", "", plain(v.note)]
        if self.quality:
            lines += ["", f"**Quality check:** {plain(self.quality)}"]
        if self.downloads:
            lines.append("")
            lines.append("Downloads: " + ", ".join(plain(p.name) for p in self.downloads))
        return "\n".join(lines)


def lecture_detail(studio: Studio, user: User, lecture_id: str) -> LectureDetail:
    """One lecture: its status in plain words, its draft when it waits for review, its files when finished."""
    lid, row = chosen_lecture(studio.store, studio.catalog, studio.accounts, user, lecture_id)
    upload = _lecture_upload(studio.store, lid)
    if row is None and upload is None:
        raise InputError("there is no such lecture", lecture_id=lid)
    manifest = _read_upload(studio.store, upload) if upload is not None else None
    view = _view(studio, lid, row, upload, manifest)
    if view.status == Status.NEEDS_REVIEW.value:
        return LectureDetail(view, quality=quality_verdict(studio.store, lid))
    if view.status != Status.COMPLETED.value:
        return LectureDetail(view)
    files: dict[str, Path] = {}
    for kind, pattern in DOWNLOADS:
        artefact = studio.catalog.get_artefact(lid, kind)
        if artefact is None or not studio.store.exists(artefact.key):
            continue
        dst = _private_dir(studio, user, lid, artefact.sha256) / pattern.format(id=lid)
        if not dst.exists():
            studio.store.get_file(artefact.key, dst)  # streamed: a long video never sits in memory
        files[kind] = dst
    verdict = quality_verdict(studio.store, lid)
    files_of = (files.get(Kind.LECTURE_VIDEO), files.get(Kind.CAPTIONS), list(files.values()))
    return LectureDetail(view, *files_of, verdict)


def approve(studio: Studio, user: User, lecture_id: str, text: str | None) -> str:
    """Approve a lecture's draft (one of ``user``'s), as reviewed (``text``) or as drafted; returns the key written."""
    lid, row = chosen_lecture(studio.store, studio.catalog, studio.accounts, user, lecture_id)
    upload = _lecture_upload(studio.store, lid)
    view = _view(studio, lid, row, upload, None) if row is not None else None
    if view is None or view.status != Status.AWAITING_APPROVAL.value:
        shown = view.status if view else "not drafted yet"
        raise InputError(f"has no draft waiting for review (status: {shown})", lecture_id=lid)
    reviewed = text if text and text.strip() else None
    key = approve_draft(studio.store, studio.catalog, lid, reviewed)
    _inside_uploads([key])
    return key
