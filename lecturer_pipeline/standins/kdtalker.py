"""A real Gradio app standing in for KDTalker, so the client is tested against the protocol it meets in deployment.

It exposes ``/gradio_infer(source_image: filepath, driven_audio: filepath) -> video`` like KDTalker's app, checks
its inputs as KDTalker would (a WAV, an image that opens), and renders a real 512×512, 25 fps H.264 + AAC mp4 with
ffmpeg: the face cropped to a square with a gentle zoom and a "mouth" (a small waveform) that follows the voice,
exactly as long as the speech. Only the picture is fake; uploads, the queue, errors and downloads are Gradio's own.

The face is found as KDTalker's cropper finds it (``chaolongy/KDTalker`` commit f78bf4c9,
``dataset_process/croper.py`` ``Croper.get_landmark``/``crop``, fed by ``inference.py``
``generate_with_audio_img``): the image opened as RGB, ``dlib.get_frontal_face_detector()`` at upsample 1, the first
detection taken; with none it executes the same ``raise 'can not detect the landmark from source image'``, which in
Python 3 is a TypeError ("exceptions must derive from BaseException"). Gradio, with its default ``show_error=False``,
answers that with a generic error and no message, as the real app does — the stand-in is no kinder.

Hugging Face ZeroGPU Spaces refuse a call when the caller's GPU quota is spent, with a ``gr.Error`` whose text is
the ``spaces`` package's ("You have exceeded your GPU quota (60s requested vs. 56s left). … retry in 0:09:48"):
``fail_next(("quota", message))`` answers that. The Hugging Face token gradio_client sends (``x-hf-authorization``)
is recorded in ``tokens``.

Tests steer it with ``fail_next`` (app errors, crashes, delays), ``fail_rate`` (a seeded fraction of calls failing
at random), ``latency_per_second`` (GPU cost per second of speech), ``queue_full()`` (Gradio's real 503 "queue is
full" answer) and read its counters to prove that no work was spent twice. ``dict_result=True`` answers in the
Gradio 4/5 wire shape ``{"video": …, "subtitles": None}``, which Gradio 6's own ``gr.Video`` no longer produces.
The picture is drawn by ``kdtalker_render.py``; this module is the app, its switches and its counters.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # gradio reads these on import; no internet here
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr
from gradio.data_classes import FileData, GradioModel

from lecturer_pipeline.standins.clock import ServiceClock
from lecturer_pipeline.standins.gradio_standin import GradioStandIn
from lecturer_pipeline.standins.kdtalker_render import (
    CROPPER_RAISE,
    FPS,
    SIZE,
    crop_face,
    render,
    render_bad,
    wav_seconds,
)

__all__ = ["API_NAME", "CROPPER_RAISE", "FPS", "QUOTA_MESSAGE", "SIZE", "KDTalkerStandIn"]

API_NAME = "/gradio_infer"
# kind -> sizes (None: any). "blank" and "frozen" answer 200 OK with a bad clip: a grey picture with no
# face, or the face standing still with no motion at all — what talking-head models do when they lose the face.
_BEHAVIOURS = {"error": None, "crash": None, "delay": None, "quota": (1, 2), "blank": None, "frozen": None}
#: The ZeroGPU quota refusal as users met it (e2b-dev/open-computer-use#28, levihsu/OOTDiffusion#205).
QUOTA_MESSAGE = (
    "You have exceeded your GPU quota (60s requested vs. 56s left). Sign-up on Hugging Face to get more quotas or "
    "retry in 0:09:48."
)

#: What ``fail_rate`` draws from: a failure a retry can cure (a hidden crash), none that slows a test down.
DEFAULT_FAILURE_MIX: tuple[tuple[Any, ...], ...] = (("crash",),)


class _Gradio5VideoData(GradioModel):
    """The Gradio 4/5 wire model of a video output: the file plus optional subtitles."""

    video: FileData
    subtitles: FileData | None = None


def _gradio5_video() -> gr.Video:
    """A ``gr.Video`` output that answers like Gradio 4/5 servers do, so the client's dict branch meets real wire
    data. Overridden on the instance: subclassing a component makes Gradio write a ``.pyi`` beside this file."""
    video = gr.Video()
    plain = video.postprocess

    def postprocess(value: str | Path | None) -> _Gradio5VideoData | None:
        data = plain(value)
        return None if data is None else _Gradio5VideoData(video=data, subtitles=None)

    video.data_model = _Gradio5VideoData  # type: ignore[assignment]
    video.postprocess = postprocess  # type: ignore[method-assign]
    return video


class KDTalkerStandIn(GradioStandIn):
    """KDTalker's Gradio API on 127.0.0.1, rendering real mp4s, with counters and switchable failures.

    Counters: ``calls`` (every ``gradio_infer`` call), ``renders`` and ``seconds_rendered`` (videos made — the GPU
    time a real server spends, whether or not the client was still waiting), ``injected`` (calls that met a
    behaviour, queued or random; a ``delay`` counts, even one the client outlasts) and ``injections`` (those
    behaviours, in order).
    """

    def __init__(
        self,
        *,
        latency_per_second: float = 0.0,
        dict_result: bool = False,
        max_queue: int | None = None,
        port: int | None = None,
        clock: ServiceClock | None = None,
    ) -> None:
        """``port`` pins the port (to restart "the same server"); by default a free one is picked at each start.
        ``latency_per_second`` is added to each render; a ``clock`` instead makes each render take its modelled
        time in all, the stand-in's own ffmpeg work included, and records it."""
        self.port = port
        self.clock = clock
        self.latency_per_second = latency_per_second
        self.dict_result = dict_result
        self.max_queue = max_queue
        self.calls = 0
        self.renders = 0
        self.seconds_rendered = 0.0
        self.tokens: list[str | None] = []  # the Hugging Face token each call carried (None: none)
        self._plan_faults(_BEHAVIOURS, DEFAULT_FAILURE_MIX)
        self._stopping = threading.Event()
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self.url = f"http://127.0.0.1:{port}/" if port else ""  # known before start when the port is pinned

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> KDTalkerStandIn:
        """Build and launch the app in this process (its server runs on Gradio's own thread)."""
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
        self._stopping.clear()
        self._workdir = tempfile.TemporaryDirectory(prefix="kdtalker-standin-")
        demo = self._build()
        # One render at a time, like one GPU; the queue bound (if any) is Gradio's own.
        demo.queue(max_size=self.max_queue, default_concurrency_limit=1)
        self._launch(demo, share=False, allowed_paths=[self._workdir.name])
        return self

    def stop(self) -> None:
        """Close the server (frees the port) and delete rendered files; sleeping delays wake up and end."""
        self._stopping.set()
        super().stop()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    # -- switches ----------------------------------------------------------------------------------------------

    def fail_next(self, *behaviours: tuple[Any, ...]) -> None:
        """Queue behaviours for the next calls, one per call: ``("error", message)`` raises ``gr.Error`` (the app
        refusing its input), ``("crash",)`` raises a plain exception (Gradio hides its message), ``("delay", s)``
        sleeps ``s`` seconds and then renders normally, ``("quota",)`` or ``("quota", message)`` refuses as a spent
        ZeroGPU quota does (default ``QUOTA_MESSAGE``); ``("blank",)`` / ``("frozen",)`` answer with a faceless grey
        clip / a still face that never moves."""
        self._faults.queue(*behaviours)

    def reset(self) -> None:
        """Zero the counters and drop every queued or random failure (latency and queue bound stay as set)."""
        with self._lock:
            self.calls = self.renders = 0
            self.seconds_rendered = 0.0
            self.tokens = []
            self._errors = []
            self._faults.clear()

    @contextlib.contextmanager
    def queue_full(self) -> Iterator[None]:
        """While inside, Gradio's queue refuses every new call with its real 503 "queue is full" answer.

        Filling a real queue would need calls parked on the GPU; setting the bound to zero reaches the same code
        path in Gradio (``Queue.push``) deterministically.
        """
        if self._demo is None:
            raise RuntimeError("the stand-in is not running")
        queue = self._demo._queue
        saved, queue.max_size = queue.max_size, 0
        try:
            yield
        finally:
            queue.max_size = saved

    # -- the app -----------------------------------------------------------------------------------------------

    def _build(self) -> gr.Blocks:
        with gr.Blocks(analytics_enabled=False, title="KDTalker stand-in", delete_cache=(3600, 3600)) as demo:
            source_image = gr.Image(type="filepath", label="source_image")
            driven_audio = gr.Audio(type="filepath", label="driven_audio")
            output = _gradio5_video() if self.dict_result else gr.Video()
            gr.Button("Generate").click(
                self.gradio_infer, inputs=[source_image, driven_audio], outputs=output, api_name=API_NAME.lstrip("/")
            )
        return demo

    def gradio_infer(self, source_image: str | None, driven_audio: str | None, request: gr.Request) -> str:
        """KDTalker's endpoint: check the inputs, apply a queued behaviour, render, count."""
        with self._lock:
            self.calls += 1
            self.tokens.append(request.headers.get("x-hf-authorization"))
            behaviour = self._faults.begin()
        try:
            return self._infer(source_image, driven_audio, behaviour)
        finally:
            self._faults.end()

    def _infer(self, source_image: str | None, driven_audio: str | None, behaviour: tuple[Any, ...] | None) -> str:
        if not source_image or not driven_audio:
            raise gr.Error("both source_image and driven_audio are required", print_exception=False)
        started = ServiceClock.started()
        self._misbehave(behaviour)
        seconds = wav_seconds(driven_audio)
        assert self._workdir is not None
        call_dir = Path(self._workdir.name) / uuid.uuid4().hex
        call_dir.mkdir()
        crop_face(source_image, call_dir / "face.png")
        self._sleep(seconds * self.latency_per_second)
        dst = call_dir / "result.mp4"
        try:
            if behaviour is not None and behaviour[0] in ("blank", "frozen"):
                render_bad(behaviour[0], call_dir / "face.png", driven_audio, seconds, dst)
            else:
                render(call_dir / "face.png", driven_audio, seconds, dst)
        except Exception as exc:  # not KDTalker's behaviour but the stand-in's own failure: tests see it in errors
            self._record_error(exc)
            raise
        with self._lock:
            self.renders += 1
            self.seconds_rendered += seconds
        if self.clock is not None:
            self.clock.served(started, seconds)
        return str(dst)

    def _misbehave(self, behaviour: tuple[Any, ...] | None) -> None:
        if behaviour is None:
            return
        kind = behaviour[0]
        if kind == "error":
            raise gr.Error(str(behaviour[1]), print_exception=False)
        if kind == "crash":
            raise RuntimeError("stand-in crash: the renderer fell over")
        if kind == "delay":
            self._sleep(float(behaviour[1]))
        if kind == "quota":
            raise gr.Error(behaviour[1] if len(behaviour) > 1 else QUOTA_MESSAGE, print_exception=False)

    def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the stand-in stops so closing never waits on a pretend GPU."""
        if seconds > 0:
            self._stopping.wait(seconds)
