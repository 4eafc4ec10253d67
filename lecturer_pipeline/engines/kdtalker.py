"""KDTalker, the lip-syncing video engine, reached through its Gradio app (``KDTALKER_URL``).

KDTalker's app takes a portrait and a 16 kHz mono WAV at ``/gradio_infer``, crops the face and renders it speaking
at 512×512 and 25 fps. Its cost grows linearly with the audio's length and it holds every frame in memory, which is
why the pipeline sends it segments of speech, never a whole lecture. The model is licensed CC BY-NC 4.0, so a
commercial deployment must not use it (the video stage refuses it there).

One ``render`` is one call: it says whether a failure is worth retrying (``ServiceError.transient``, with the wait
the server stated and a cap on retries) and ``engines/retry.py`` retries it per call. What the real app answers:

- A portrait without a face makes KDTalker's cropper ``raise`` a str (a TypeError), which Gradio reports without a
  message, like any other crash. The portrait stage checks faces with the same detector first, so an undisclosed
  error here is a crash of the server (out of GPU memory, a worker lost): retried once, then it fails saying that
  KDTalker gave no reason and where its log is.
- Public deployments are Hugging Face ZeroGPU Spaces; a spent quota answers "You have exceeded your GPU quota (60s
  requested vs. 56s left) … retry in 0:09:48": transient, after the wait it states. ``HF_TOKEN`` is sent when set
  (gradio_client's ``x-hf-authorization`` header), so the Space counts the quota of that account, not of an
  anonymous IP.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

from lecturer_pipeline.engines._gradio import HIDDEN_CRASH, AppError, GradioApp, handle_file
from lecturer_pipeline.errors import InputError, ServiceError
from lecturer_pipeline.media._atomic import atomic_path
from lecturer_pipeline.media.probe import probe
from lecturer_pipeline.security.transport import public_url, warn_if_plain_http

API_NAME = "/gradio_infer"
ENV_VAR = "KDTALKER_URL"

# The ``spaces`` package's refusal when the caller's ZeroGPU quota is spent, and the wait it states.
_QUOTA = "exceeded your gpu quota"
_QUOTA_WAIT = re.compile(r"retry in (?:(\d+):)?(\d{1,2}):(\d{2})", re.IGNORECASE)
_LOGS = (
    "look for the traceback in the KDTalker server's log (a Hugging Face Space: its Logs tab; a self-hosted app: "
    "the console it runs in)"
)
# Messages of apps that do show their errors, which mean the GPU was busy, not that the input was bad.
_TRANSIENT_APP_MESSAGES = ("out of memory", "cuda error", "queue is full")


class KDTalkerVideoEngine:
    """Animates a portrait speaking a WAV by calling a KDTalker Gradio app; one client, reused across renders."""

    name = "kdtalker"
    licence = "CC BY-NC 4.0"
    lip_sync = True
    fps = 25  # KDTalker's output frame rate (fixed by the model)

    def __init__(self, url: str, *, timeout: float = 1800.0, hf_token: str | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            # gradio_client would read anything else as a Hugging Face Space name and go looking for it online.
            raise ServiceError(
                f"{ENV_VAR} must be an http(s):// URL of a KDTalker Gradio app, not {url!r}", transient=False
            )
        self.url = url
        self.timeout = timeout
        if hf_token:
            warn_if_plain_http(url, secret="the Hugging Face token (HF_TOKEN)", variable=ENV_VAR)
        self._where = f"KDTalker at {public_url(url)} ({ENV_VAR})"
        self._app = GradioApp(url, API_NAME, where=self._where, what=f"a KDTalker app ({ENV_VAR})", token=hf_token)

    def params(self) -> dict[str, Any]:
        """What shapes the video; the URL is left out (moving the server must not re-render, and it may hold a
        password)."""
        return {"api": API_NAME, "size": "512x512", "fps": self.fps, "version": 1}

    def render(self, portrait_png: Path, speech_wav: Path, dst_mp4: Path) -> None:
        """Render the portrait speaking ``speech_wav`` into ``dst_mp4`` (written atomically), or raise ServiceError."""
        portrait, speech = handle_file(str(portrait_png)), handle_file(str(speech_wav))
        result = self._app.call(portrait, speech, timeout=self.timeout, service_error=self._service_error)
        self._store(self._result_path(result), Path(dst_mp4))

    # -- the call ----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Drop the connection (and gradio_client's heartbeat thread); the next render connects again."""
        self._app.close()

    # -- errors ------------------------------------------------------------------------------------------------

    def _service_error(self, exc: Exception) -> ServiceError | None:
        """Map what gradio_client and httpx raise to a ServiceError; None for anything else (a bug: let it out)."""
        return self._app_error(exc) if isinstance(exc, AppError) else self._app.client_error(exc, self.timeout)

    def _app_error(self, exc: AppError) -> ServiceError:
        """The app raised: a hidden crash, a spent quota or a busy GPU may pass with a retry; a stated refusal
        (gr.Error with a message) will not, and its message is what the user needs."""
        message = str(exc.message)
        if HIDDEN_CRASH in message:
            return ServiceError(
                f"{self._where} failed with an error it does not disclose: KDTalker gave no reason (its Gradio app "
                f"hides exceptions). The portrait passed the face check KDTalker's cropper makes, so this is the "
                f"server's own fault (GPU memory, a lost worker); {_LOGS}",
                transient=True,
                retry_limit=1,
            )
        if _QUOTA in message.lower():
            return ServiceError(
                f"{self._where} refused for a spent ZeroGPU quota: {message} (set HF_TOKEN to use an account's "
                "quota, or run KDTalker on a GPU of your own)",
                transient=True,
                retry_after=_stated_wait(message),
            )
        if any(marker in message.lower() for marker in _TRANSIENT_APP_MESSAGES):
            return self._app.transient(f"failed for lack of resources: {message}")
        return self._app.permanent(f"refused to render: {message}")

    # -- the result --------------------------------------------------------------------------------------------

    def _result_path(self, result: Any) -> Path:
        """The downloaded video: Gradio 6 gives a path, Gradio 4/5 ``{"video": path, "subtitles": None}``."""
        path = result.get("video") if isinstance(result, dict) else result
        if not isinstance(path, str | os.PathLike) or not Path(path).is_file():
            raise self._app.permanent(f"returned {str(result)[:200]!r}, not a video file")
        return Path(path)

    def _store(self, downloaded: Path, dst: Path) -> None:
        """Copy the download beside ``dst`` and rename it into place once it probes as a video; the download goes."""
        try:
            with atomic_path(dst) as tmp:
                shutil.copyfile(downloaded, tmp)
                self._check_video(tmp)
        finally:
            with contextlib.suppress(OSError):
                downloaded.unlink()
                downloaded.parent.rmdir()  # gradio_client's per-download folder

    def _check_video(self, path: Path) -> None:
        try:
            info = probe(path)
        except InputError as exc:
            raise self._app.permanent(f"returned a file that is not a video: {exc.message}") from exc
        if info.video is None:
            raise self._app.permanent("returned a file without a video stream")


def _stated_wait(message: str) -> float | None:
    """Seconds from a ZeroGPU "retry in H:MM:SS" (or "M:SS"), or None when the message states no wait."""
    found = _QUOTA_WAIT.search(message)
    if not found:
        return None
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return float(hours * 3600 + minutes * 60 + seconds)
