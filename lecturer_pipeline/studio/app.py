"""The instructor studio's page: Gradio layout and wiring over ``studio.actions`` (where the logic is).

Three tabs — Speaker (voice, portrait, consent), Lecture (course, title, a script or a prompt) and My lectures
(status from the catalog, the draft to review, the finished video with captions and the downloads). Every event has
an ``api_name``, so ``gradio_client`` can drive the page as a browser does. Errors the user can fix come back as
``gr.Error`` with the pipeline's own message; anything else is logged and reported without internals.
"""

from __future__ import annotations

import os

# Telemetry off, always, before Gradio is imported (it reads these at import time).
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import atexit
import functools
import html
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from lecturer_pipeline.errors import LecturerError
from lecturer_pipeline.studio import actions
from lecturer_pipeline.studio.access import AUTH_VARIABLE, studio_access
from lecturer_pipeline.studio.actions import LANGUAGES, LECTURE_COLUMNS, LectureRequest, Studio
from lecturer_pipeline.studio.deck import deck_thumbnails

log = logging.getLogger(__name__)

MODE_SCRIPT = "Paste the finished script"
MODE_PROMPT = "Draft it from a prompt (Ollama)"
THEME = gr.themes.Soft(
    primary_hue="indigo",
    font=["ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],  # local fonts: no CDN
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)
CSS = """
.gradio-container { max-width: 1180px !important; margin: 0 auto; }
#studio-header h1 { margin-bottom: 0.2em; }
#load-speaker, #refresh { align-self: end; max-height: 3.2em; }
"""
INTRO = """# Lecturer studio
Record your voice and upload a portrait **once**, then make as many lectures as you like: paste a finished script,
or give a prompt and review the draft. The pipeline makes the speech and the video; this page shows how far each
lecture has got and plays the finished ones.
"""


def _hidden() -> tuple:
    """Updates that hide the draft, the approve button, the video and the downloads."""
    return (
        gr.Textbox(value="", visible=False),
        gr.Button(visible=False),
        gr.Video(value=None, subtitles=None),
        gr.File(value=None, visible=False),
    )


def _file(value: Any) -> Path | None:
    """The server-side path of an uploaded file, whatever form Gradio hands it over in (path, dict or FileData)."""
    if value is None or value == "":
        return None
    if isinstance(value, str | Path):
        return Path(value)
    path = value.get("path") if isinstance(value, dict) else getattr(value, "path", None)
    return Path(path) if path else None


def _guard(fn):
    """Turn the pipeline's own errors into messages on the page; hide anything else behind a plain sentence."""

    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except LecturerError as error:
            raise gr.Error(_user_message(error), title="Please check", print_exception=False) from error
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


def _user_message(error: LecturerError) -> str:
    """The error's sentence, without the server-side path of an uploaded file (the file's own name is in it)."""
    if error.file and Path(error.file).is_absolute():
        error = LecturerError(error.message, lecture_id=error.lecture_id)
    return html.escape(str(error), quote=False)


def _md(text: str) -> str:
    return html.escape(text, quote=False)


def build_app(studio: Studio) -> gr.Blocks:
    """The page, wired to ``studio``."""

    # --- handlers: each a thin call into actions ------------------------------------------------------------------

    def lectures_panel(speaker: str, course: str = "", keep: str | None = None):
        views = actions.list_lectures(studio, speaker, course or None)
        choices = [(f"{v.title} — {v.status} ({v.lecture_id})", v.lecture_id) for v in views]
        ids = [v.lecture_id for v in views]
        selected = keep if keep in ids else (ids[0] if ids else None)
        table = actions.as_table(views) or [["", "", "", "", "", "No lectures yet: submit one on the Lecture tab."]]
        return table, gr.Dropdown(choices=choices, value=selected), selected

    @_guard
    def load_speaker(speaker: str):
        if not (speaker or "").strip():
            raise LecturerError("type your speaker name first (e.g. ada-lovelace), then press Load")
        status = actions.speaker_status(studio, speaker)
        portrait = actions.saved_portrait(studio, status)
        table, chooser, _ = lectures_panel(status.speaker)
        return _md(status.markdown()), str(portrait) if portrait else None, table, chooser

    def check_voice(voice: Any) -> str:
        return actions.check_voice(_file(voice)).message

    def preview_portrait(portrait: Any):
        preview = actions.preview_portrait(_file(portrait), studio.workdir)
        return (str(preview.path) if preview.path else None), _md(preview.message)

    @_guard
    def save_speaker(speaker: str, voice: Any, portrait: Any, consent_by: str, statement: str, agreed: bool) -> str:
        status = actions.save_speaker(
            studio,
            speaker or "",
            voice=_file(voice),
            portrait=_file(portrait),
            consent_by=consent_by or "",
            statement=statement or "",
            agreed=bool(agreed),
        )
        return _md("Saved. " + status.markdown())

    @_guard
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
    ) -> str:
        request = LectureRequest(
            course=course or "",
            title=title or "",
            name=name or "",
            mode="prompt" if mode == MODE_PROMPT else "script",
            script=script or "",
            prompt=prompt or "",
            minutes=minutes,
            audience=audience or "",
            style=style or "",
            language=language or "en-us",
        )
        return _md(actions.submit_from_page(studio, speaker or "", request).message)

    def detail_outputs(detail: actions.LectureDetail | None):
        if detail is None:
            return _md("Choose a lecture."), *_hidden()
        draft = detail.view.draft
        video = str(detail.video) if detail.video else None
        return (
            _md(detail.markdown()),
            gr.Textbox(value=draft or "", visible=draft is not None),
            gr.Button(visible=draft is not None),
            gr.Video(value=video, subtitles=str(detail.captions) if detail.captions else None),
            gr.File(value=[str(p) for p in detail.downloads] or None, visible=bool(detail.downloads)),
        )

    @_guard
    def open_lecture(lecture_id: str | None):
        return detail_outputs(actions.lecture_detail(studio, lecture_id or ""))

    @_guard
    def list_lectures(speaker: str, course: str, selected: str | None):
        if not (speaker or "").strip():
            raise LecturerError("type your speaker name at the top first, then press Load")
        table, chooser, chosen = lectures_panel(speaker, course, selected)
        detail = actions.lecture_detail(studio, chosen) if chosen else None
        return table, chooser, *detail_outputs(detail)

    @_guard
    def approve(lecture_id: str | None, text: str):
        actions.approve(studio, lecture_id or "", text)
        return detail_outputs(actions.lecture_detail(studio, lecture_id or ""))

    def show_deck(lecture_id: str | None):
        return deck_thumbnails(studio.store, lecture_id, studio.workdir) if lecture_id else []

    def choose_mode(mode: str):
        prompted = mode == MODE_PROMPT
        return gr.Column(visible=not prompted), gr.Column(visible=prompted)

    # --- layout ---------------------------------------------------------------------------------------------------

    with gr.Blocks(title="Lecturer studio", analytics_enabled=False, delete_cache=(600, 3600)) as app:
        gr.Markdown(INTRO, elem_id="studio-header")
        with gr.Row():
            speaker = gr.Textbox(
                label="Your speaker name",
                placeholder="e.g. ada-lovelace",
                info="letters a-z, digits, '-' or '_' — the same name for every lecture",
                elem_id="speaker-name",
                scale=4,
            )
            load = gr.Button("Load", elem_id="load-speaker", scale=1)
        speaker_md = gr.Markdown(elem_id="speaker-status")

        with gr.Tabs():
            with gr.Tab("1 · Speaker", id="speaker"):
                with gr.Row():
                    with gr.Column():
                        voice = gr.Audio(
                            sources=["microphone", "upload"],
                            type="filepath",
                            label="Reference voice (10–30 s of speech)",
                            buttons=["download"],
                            elem_id="voice",
                        )
                        voice_md = gr.Markdown(
                            "Record in a quiet room, or upload a WAV, MP3, WebM, OGG, M4A or FLAC.",
                            elem_id="voice-check",
                        )
                    with gr.Column():
                        portrait = gr.Image(
                            type="filepath",
                            image_mode=None,
                            sources=["upload"],
                            label="Portrait (JPEG or PNG, face and shoulders)",
                            buttons=["fullscreen"],
                            elem_id="portrait",
                            height=300,
                        )
                    with gr.Column():
                        cropped = gr.Image(
                            label="As it will be used (512 × 512)",
                            buttons=["fullscreen"],
                            interactive=False,
                            format="png",
                            elem_id="portrait-cropped",
                            height=300,
                        )
                        portrait_md = gr.Markdown()
                statement = gr.Textbox(label="Consent statement", value=actions.DEFAULT_CONSENT, lines=2)
                with gr.Row(equal_height=True):
                    consent_by = gr.Textbox(label="Your full name (your signature)", elem_id="consent-by", scale=3)
                    agreed = gr.Checkbox(label="I agree to the statement above", elem_id="consent-agree", scale=2)
                save = gr.Button("Save speaker", variant="primary", elem_id="save-speaker")

            with gr.Tab("2 · Lecture", id="lecture"):
                with gr.Row():
                    course = gr.Textbox(label="Course", placeholder="e.g. cs101", elem_id="course")
                    title = gr.Textbox(label="Title", placeholder="e.g. Intro to sets", elem_id="title", scale=2)
                    name = gr.Textbox(
                        label="Short name (optional)",
                        placeholder="from the title",
                        info="used in the lecture's ID",
                        elem_id="short-name",
                    )
                    language = gr.Dropdown(list(LANGUAGES), value="en-us", label="Language")
                mode = gr.Radio([MODE_SCRIPT, MODE_PROMPT], value=MODE_SCRIPT, label="Script", elem_id="mode")
                with gr.Column(visible=True) as script_box:
                    script = gr.Textbox(
                        label="The finished script — the exact words to be spoken",
                        lines=10,
                        max_lines=30,
                        elem_id="script",
                    )
                with gr.Column(visible=False) as prompt_box:
                    prompt = gr.Textbox(label="Prompt: what the lecture is about", lines=4, elem_id="prompt")
                    with gr.Row():
                        minutes = gr.Number(label="Minutes", value=5, minimum=0.1, maximum=60)
                        audience = gr.Textbox(label="Audience", placeholder="e.g. first-year students")
                        style = gr.Textbox(label="Style", placeholder="e.g. friendly, with examples")
                    gr.Markdown(
                        "The draft appears on **My lectures** for your review; nothing is spoken before you approve it."
                    )
                submit_btn = gr.Button("Submit lecture", variant="primary", elem_id="submit-lecture")
                submit_md = gr.Markdown(elem_id="submit-result")

            with gr.Tab("3 · My lectures", id="lectures") as lectures_tab:
                with gr.Row():
                    course_filter = gr.Textbox(label="Course (optional filter)", scale=3)
                    refresh = gr.Button("Refresh", scale=1, elem_id="refresh")
                table = gr.Dataframe(
                    headers=LECTURE_COLUMNS,
                    datatype=["str"] * len(LECTURE_COLUMNS),
                    interactive=False,
                    wrap=True,
                    elem_id="lectures",
                )
                chooser = gr.Dropdown(label="Lecture", choices=[], allow_custom_value=True, elem_id="chooser")
                detail_md = gr.Markdown(elem_id="lecture-detail")
                draft = gr.Textbox(
                    label="Drafted script — edit it as you like, then approve it",
                    lines=12,
                    max_lines=40,
                    visible=False,
                    elem_id="draft",
                )
                approve_btn = gr.Button("Approve this script", variant="primary", visible=False, elem_id="approve")
                # Always shown: a Video made visible by the same event that mounts its tab stays empty (Gradio 6.31).
                video = gr.Video(
                    label="The finished lecture plays here", interactive=False, height=480, elem_id="video"
                )
                downloads = gr.File(label="Downloads", file_count="multiple", interactive=False, visible=False)
                deck_pages = gr.Gallery(label="Slides, and the script line that shows each", columns=5, elem_id="deck")

        # --- wiring -----------------------------------------------------------------------------------------------
        gr.on(
            [load.click, speaker.submit],
            load_speaker,
            [speaker],
            [speaker_md, cropped, table, chooser],
            api_name="load_speaker",
        )
        voice.change(check_voice, [voice], [voice_md], api_name="check_voice")
        # preprocess=False: the upload reaches the pipeline's own checks as it is, so every refusal is ours, in words.
        portrait.change(
            preview_portrait, [portrait], [cropped, portrait_md], api_name="preview_portrait", preprocess=False
        )
        save.click(
            save_speaker,
            [speaker, voice, portrait, consent_by, statement, agreed],
            [speaker_md],
            api_name="save_speaker",
            preprocess=False,
        )
        mode.change(choose_mode, [mode], [script_box, prompt_box], api_name="choose_mode")
        submit_btn.click(
            submit,
            [speaker, course, title, name, mode, script, prompt, minutes, audience, style, language],
            [submit_md],
            api_name="submit_lecture",
        )
        detail = [detail_md, draft, approve_btn, video, downloads]
        gr.on(
            [refresh.click, course_filter.submit, lectures_tab.select],
            list_lectures,
            [speaker, course_filter, chooser],
            [table, chooser, *detail],
            api_name="list_lectures",
        )
        chooser.input(open_lecture, [chooser], detail, api_name="open_lecture")
        chooser.input(show_deck, [chooser], [deck_pages], api_name="deck_pages")
        approve_btn.click(approve, [chooser, draft], detail, api_name="approve_draft")
    return app


def launch(
    settings: Any = None,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    block: bool = True,
    quiet: bool = False,
) -> gr.Blocks:
    """Start the studio on ``host:port`` over ``settings`` (the environment's by default).

    ``auth`` overrides ``LECTURER_STUDIO_AUTH``; without either, loopback is open and any other address gets a
    generated password. ``block=False`` returns once the server is up (for tests); the app's ``close()`` stops it.
    """
    from lecturer_pipeline.settings import Settings

    settings = settings or Settings()
    credentials = auth
    if credentials is None:
        access = studio_access(host, os.environ.get(AUTH_VARIABLE))
        credentials = access.credentials
        if access.note:
            print(access.note, file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="lecturer-studio-"))  # under the temp dir, which Gradio may serve from
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    studio = Studio.from_settings(settings, workdir)
    app = build_app(studio)
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=credentials,
        auth_message="Lecturer studio: sign in with the user and password your operator gave you.",
        max_file_size=actions.MAX_VOICE_BYTES,
        allowed_paths=[str(workdir)],
        prevent_thread_lock=not block,
        show_error=False,
        ssr_mode=False,
        mcp_server=False,
        run_history=False,  # it would keep calls (voice recordings included) in the browser, or upload them to a bucket
        footer_links=["api", "settings"],
        quiet=quiet,
        theme=THEME,
        css=CSS,
    )
    return app
