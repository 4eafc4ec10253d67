"""The page's event handlers: each takes the signed-in user from the ``gr.Request`` Gradio passes it (never from a
field on the page), calls into ``actions``/``lectures``, and turns the result into component updates.

Errors the user can fix come back as ``gr.Error`` with the pipeline's own message, as plain text; anything else is
logged and reported without internals.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from lecturer_pipeline.errors import LecturerError
from lecturer_pipeline.studio import actions, files, lectures, review
from lecturer_pipeline.studio.auth import Identities
from lecturer_pipeline.studio.deck import deck_thumbnails
from lecturer_pipeline.studio.lectures import LectureRequest
from lecturer_pipeline.studio.ownership import lecture_access
from lecturer_pipeline.studio.text import plain
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)

MODE_SCRIPT = "Paste the finished script"
MODE_PROMPT = "Draft it from a prompt (Ollama)"


def _hidden() -> tuple:
    """Updates that hide the draft, the approve buttons, the video and the downloads."""
    return (
        gr.Textbox(value="", visible=False),
        gr.Button(visible=False),
        gr.Button(visible=False),
        gr.Video(value=None, subtitles=None),
        gr.File(value=None, visible=False),
    )


def file_path(value: Any) -> Path | None:
    """The server-side path of an uploaded file, whatever form Gradio hands it over in (path, dict or FileData)."""
    if value is None or value == "":
        return None
    if isinstance(value, str | Path):
        return Path(value)
    path = value.get("path") if isinstance(value, dict) else getattr(value, "path", None)
    return Path(path) if path else None


def guard(fn):
    """Turn the pipeline's own errors into messages on the page; hide anything else behind a plain sentence."""

    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except LecturerError as error:
            raise gr.Error(user_message(error), title="Please check", print_exception=False) from error
        except gr.Error:
            raise
        except Exception as error:
            log.exception("studio action %s failed", fn.__name__)
            raise gr.Error(
                "Something went wrong on the server. Try again in a moment; if it keeps happening, tell your "
                "operator (the studio's log has the details).",
                print_exception=False,
            ) from error

    return wrapper


def user_message(error: LecturerError) -> str:
    """The error's sentence as plain text, without the server-side path of an uploaded file (its name is in it)."""
    if error.file and Path(error.file).is_absolute():
        error = LecturerError(error.message, lecture_id=error.lecture_id)
    return plain(str(error))


def build_handlers(studio: actions.Studio, identities: Identities) -> SimpleNamespace:
    """The handlers over ``studio``; ``identities`` says who each event comes from."""

    def who(request: gr.Request | None):
        return identities.user(request)

    def lectures_panel(user, speaker: str, course: str = "", keep: str | None = None):
        views = lectures.list_lectures(studio, user, speaker, course or None)
        choices = [(f"{v.title} — {v.status} ({v.lecture_id})", v.lecture_id) for v in views]
        ids = [v.lecture_id for v in views]
        selected = keep if keep in ids else (ids[0] if ids else None)
        table = lectures.as_table(views) or [["", "", "", "", "", "No lectures yet: submit one on the Lecture tab."]]
        return table, gr.Dropdown(choices=choices, value=selected), selected

    @guard
    def signed_in(request: gr.Request):
        user = who(request)
        role = "an admin: you see and act on every speaker" if user.admin else "a lecturer: you see your own speakers"
        return f"Signed in as **{plain(user.name)}** — {role}."

    @guard
    def load_speaker(speaker: str, request: gr.Request):
        if not (speaker or "").strip():
            raise LecturerError("type your speaker name first (e.g. ada-lovelace), then press Load")
        user = who(request)
        status = actions.speaker_status(studio, user, speaker)
        portrait = actions.saved_portrait(studio, status)
        table, chooser, _ = lectures_panel(user, status.speaker)
        return status.markdown(), str(portrait) if portrait else None, table, chooser

    @guard
    def check_voice(voice: Any, request: gr.Request) -> str:
        who(request)
        return files.check_voice(file_path(voice)).message

    @guard
    def preview_portrait(portrait: Any, request: gr.Request):
        who(request)
        preview = files.preview_portrait(file_path(portrait), studio.workdir)
        return (str(preview.path) if preview.path else None), preview.message

    @guard
    def save_speaker(
        speaker: str, voice: Any, portrait: Any, consent_by: str, statement: str, agreed: bool, request: gr.Request
    ) -> str:
        status = actions.save_speaker(
            studio,
            who(request),
            speaker or "",
            voice=file_path(voice),
            portrait=file_path(portrait),
            consent_by=consent_by or "",
            statement=statement or "",
            agreed=bool(agreed),
        )
        return "Saved. " + status.markdown()

    @guard
    def submit(
        speaker: str,
        course: str,
        title: str,
        name: str,
        mode: str,
        script: str,
        prompt: str,
        minutes: float | None,
        audience: str,
        style: str,
        language: str,
        deck: Any = None,  # optional for API clients too: ``submit_lecture`` calls without it stay valid
        request: gr.Request | None = None,
    ) -> str:
        lecture = LectureRequest(
            course=course or "",
            title=title or "",
            name=name or "",
            mode="prompt" if mode == MODE_PROMPT else "script",
            script=script or "",
            prompt=prompt or "",
            minutes=minutes,
            audience=audience or "",
            style=style or "",
            language=language or DEFAULT_LANGUAGE,
            deck=file_path(deck),
        )
        return lectures.submit_from_page(studio, who(request), speaker or "", lecture).message

    def detail_outputs(detail: lectures.LectureDetail | None):
        if detail is None:
            return "Choose a lecture.", *_hidden()
        draft = detail.view.draft
        video = str(detail.video) if detail.video else None
        return (
            detail.markdown(),
            gr.Textbox(value=draft or "", visible=draft is not None),
            gr.Button(visible=draft is not None),
            gr.Button(visible=detail.held_for_review),
            gr.Video(value=video, subtitles=str(detail.captions) if detail.captions else None),
            gr.File(value=[str(p) for p in detail.downloads] or None, visible=bool(detail.downloads)),
        )

    @guard
    def open_lecture(lecture_id: str | None, request: gr.Request):
        return detail_outputs(lectures.lecture_detail(studio, who(request), lecture_id or ""))

    @guard
    def list_lectures(speaker: str, course: str, selected: str | None, request: gr.Request):
        if not (speaker or "").strip():
            raise LecturerError("type your speaker name at the top first, then press Load")
        user = who(request)
        table, chooser, chosen = lectures_panel(user, speaker, course, selected)
        detail = lectures.lecture_detail(studio, user, chosen) if chosen else None
        return table, chooser, *detail_outputs(detail)

    @guard
    def approve(lecture_id: str | None, text: str, request: gr.Request):
        user = who(request)
        lectures.approve(studio, user, lecture_id or "", text)
        return detail_outputs(lectures.lecture_detail(studio, user, lecture_id or ""))

    @guard
    def approve_as_is(lecture_id: str | None, request: gr.Request):
        user = who(request)
        approved = review.approve_as_is(studio, user, lecture_id or "")
        detail_md, *rest = detail_outputs(lectures.lecture_detail(studio, user, approved.lecture_id))
        return approved.message + "\n\n" + detail_md, *rest

    @guard
    def show_deck(lecture_id: str | None, request: gr.Request):
        if not lecture_id:
            return []
        lecture_access(studio.store, studio.catalog, studio.accounts, who(request), lecture_id)
        return deck_thumbnails(studio.store, lecture_id, studio.workdir)

    def choose_mode(mode: str):
        prompted = mode == MODE_PROMPT
        return gr.Column(visible=not prompted), gr.Column(visible=prompted)

    return SimpleNamespace(**{name: value for name, value in locals().items() if callable(value)})
