"""The instructor studio's page: Gradio layout and wiring over ``studio.handlers`` (where each event is handled).

Three tabs — Speaker (voice, portrait, consent), Lecture (course, title, a script or a prompt) and My lectures
(status from the catalog, the draft to review, the finished video with captions and the downloads). Every event has
an ``api_name``, so ``gradio_client`` can drive the page as a browser does. The server itself is started by
``studio.server.launch``.
"""

from __future__ import annotations

import os

# Telemetry off, always, before Gradio is imported (it reads these at import time).
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from typing import Any

import gradio as gr

from lecturer_pipeline.studio.actions import DEFAULT_CONSENT, Studio
from lecturer_pipeline.studio.auth import Identities
from lecturer_pipeline.studio.handlers import MODE_PROMPT, MODE_SCRIPT, build_handlers
from lecturer_pipeline.studio.lectures import LECTURE_COLUMNS
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES

__all__ = ["CSS", "MODE_PROMPT", "MODE_SCRIPT", "THEME", "build_app", "launch"]

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


def build_app(studio: Studio, identities: Identities) -> gr.Blocks:
    """The page, wired to ``studio``; ``identities`` says who each event comes from."""
    on = build_handlers(studio, identities)
    with gr.Blocks(title="Lecturer studio", analytics_enabled=False, delete_cache=(600, 3600)) as app:
        gr.Markdown(INTRO, elem_id="studio-header")
        signed_in = gr.Markdown(elem_id="signed-in")
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
                statement = gr.Textbox(label="Consent statement", value=DEFAULT_CONSENT, lines=2)
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
                    language = gr.Dropdown(list(LANGUAGE_CODES), value=DEFAULT_LANGUAGE, label="Language")
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
                deck = gr.File(
                    label="Slides (optional): a PDF or PPTX deck",
                    file_count="single",
                    type="filepath",
                    elem_id="deck-upload",
                )
                gr.Markdown("A `[slide N]` line or a `# heading` in the script brings up the next (or the named) page.")
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
                # Shown only for a NEEDS_REVIEW lecture (one the user may open at all): the verdict is in detail_md.
                accept_btn = gr.Button("Approve as it is", variant="primary", visible=False, elem_id="accept-quality")
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
        app.load(on.signed_in, None, [signed_in], api_name="signed_in")
        gr.on(
            [load.click, speaker.submit],
            on.load_speaker,
            [speaker],
            [speaker_md, cropped, table, chooser],
            api_name="load_speaker",
        )
        voice.change(on.check_voice, [voice], [voice_md], api_name="check_voice")
        # preprocess=False: the upload reaches the pipeline's own checks as it is, so every refusal is ours, in words.
        portrait.change(
            on.preview_portrait, [portrait], [cropped, portrait_md], api_name="preview_portrait", preprocess=False
        )
        save.click(
            on.save_speaker,
            [speaker, voice, portrait, consent_by, statement, agreed],
            [speaker_md],
            api_name="save_speaker",
            preprocess=False,
        )
        mode.change(on.choose_mode, [mode], [script_box, prompt_box], api_name="choose_mode")
        submit_btn.click(
            on.submit,
            [speaker, course, title, name, mode, script, prompt, minutes, audience, style, language, deck],
            [submit_md],
            api_name="submit_lecture",
        )
        detail = [detail_md, draft, approve_btn, accept_btn, video, downloads]
        gr.on(
            [refresh.click, course_filter.submit, lectures_tab.select],
            on.list_lectures,
            [speaker, course_filter, chooser],
            [table, chooser, *detail],
            api_name="list_lectures",
        ).success(on.show_deck, [chooser], [deck_pages], api_visibility="private")
        chooser.input(on.open_lecture, [chooser], detail, api_name="open_lecture")
        chooser.input(on.show_deck, [chooser], [deck_pages], api_name="deck_pages")
        approve_btn.click(on.approve, [chooser, draft], detail, api_name="approve_draft")
        accept_btn.click(on.approve_as_is, [chooser], detail, api_name="accept_quality")
    return app


def launch(*args: Any, **kwargs: Any) -> gr.Blocks:
    """Start the studio; see ``studio.server.launch``."""
    from lecturer_pipeline.studio.server import launch as launch_server

    return launch_server(*args, **kwargs)
