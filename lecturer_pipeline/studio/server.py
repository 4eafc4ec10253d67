"""Starting the studio: the store and catalog from the settings, the sign-in mode, the guard, and Gradio's server."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from lecturer_pipeline.studio.actions import Studio
from lecturer_pipeline.studio.app import CSS, THEME, build_app
from lecturer_pipeline.studio.auth import Identities, LoginLimiter, StudioGuard, loopback_only, studio_gate
from lecturer_pipeline.studio.files import MAX_VOICE_BYTES


def launch(
    settings: Any = None,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    environ: dict[str, str] | None = None,
    limiter: LoginLimiter | None = None,
    block: bool = True,
    quiet: bool = False,
) -> gr.Blocks:
    """Start the studio on ``host:port`` over ``settings`` (the environment's by default).

    ``auth`` is one admin account, as ``LECTURER_STUDIO_AUTH`` gives; studio users in the catalog sign in beside it;
    ``LECTURER_STUDIO_TRUSTED_HEADER`` switches to single sign-on (see ``studio.auth``). With none of these, loopback
    is open to this machine's own browser and any other address gets a generated password. ``environ`` replaces
    ``os.environ`` (for tests). ``block=False`` returns once the server is up; the app's ``close()`` stops it.
    """
    from lecturer_pipeline.settings import Settings

    settings = settings or Settings()
    workdir = Path(tempfile.mkdtemp(prefix="lecturer-studio-"))  # under the temp dir, which Gradio may serve from
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    studio = Studio.from_settings(settings, workdir)
    gate = studio_gate(host, dict(os.environ if environ is None else environ), studio.accounts, auth=auth)
    if gate.note:
        print(gate.note, file=sys.stderr)
    identities = Identities(gate, studio.accounts, limiter)
    app = build_app(studio, identities)
    app.queue(default_concurrency_limit=4)
    guard = Middleware(StudioGuard, loopback_only=loopback_only(gate, host))
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=identities.gradio_auth,
        auth_dependency=identities.gradio_dependency,
        auth_message="Lecturer studio: sign in with the user and password your operator gave you.",
        app_kwargs={"middleware": [guard]},
        max_file_size=MAX_VOICE_BYTES,
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
