"""What the KDTalker stand-in draws: the face found and cropped as KDTalker's cropper does, then a real mp4.

The picture is the portrait cropped to a 512×512 square around the face dlib finds (as ``chaolongy/KDTalker``
commit f78bf4c9, ``dataset_process/croper.py`` ``Croper.get_landmark``/``crop``, finds it), zooming gently, with a
small waveform for a mouth; the sound is the speech; H.264 + AAC at 25 fps, exactly as long as the speech. The bad
answers a talking-head model gives when it loses the face — a grey picture, or the face standing still — are drawn
here too.
"""

from __future__ import annotations

import os
import threading
import wave
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # gradio reads these on import; no internet here
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import dlib
import ffmpeg
import gradio as gr
import numpy as np
from PIL import Image, UnidentifiedImageError

SIZE = 512  # KDTalker's output frame, square
FPS = 25  # KDTalker's output frame rate
_ZOOM = f"1+0.02*(1-cos(2*PI*on/({FPS}*4)))"  # a 2 % zoom breathing every 4 s
_MOUTH = (96, 28)  # size of the waveform "mouth" drawn over the lower face
_QUIET = ("-nostdin", "-hide_banner", "-loglevel", "error")
CROPPER_RAISE = "can not detect the landmark from source image"
_detector_lock = threading.Lock()
_detector = dlib.get_frontal_face_detector()


def wav_seconds(path: str) -> float:
    """The WAV's length; KDTalker reads WAV only, so anything else is the caller's mistake (an app error)."""
    try:
        with wave.open(path, "rb") as wav:
            return wav.getnframes() / float(wav.getframerate())
    except (wave.Error, EOFError) as exc:
        raise gr.Error(f"driven_audio must be a WAV file (16 kHz mono): {exc}", print_exception=False) from exc


def crop_face(source: str, dst: Path) -> None:
    """Find the face as KDTalker's cropper does and crop a 512×512 square around it (the real cropper aligns it to
    its landmarks first; the stand-in keeps the detector, which is what decides whether a portrait can be used)."""
    try:
        with Image.open(source) as image:
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise gr.Error(f"source_image could not be opened as an image: {exc}", print_exception=False) from exc
    with _detector_lock:
        dets = _detector(np.array(rgb), 1)
    if len(dets) == 0:
        raise CROPPER_RAISE  # type: ignore[misc]  # KDTalker's own bug, reproduced: a TypeError
    face = dets[0]
    half = max(face.right() - face.left(), face.bottom() - face.top())  # about twice the face's width in all
    cx, cy = (face.left() + face.right()) // 2, (face.top() + face.bottom()) // 2
    box = (cx - half, cy - half, cx + half, cy + half)
    rgb.crop(box).resize((SIZE, SIZE), Image.Resampling.LANCZOS).save(dst, format="PNG")


def render(face_png: Path, wav: str, seconds: float, dst: Path) -> None:
    """Encode the face (zooming gently, mouth following the voice) with the speech, cut at the speech's length."""
    picture = (
        ffmpeg.input(str(face_png), loop=1, framerate=FPS)
        .filter("scale", 2 * SIZE, 2 * SIZE)  # oversampled so zoompan's rounding does not jitter
        .filter("zoompan", z=_ZOOM, x="iw/2-(iw/zoom/2)", y="ih/2-(ih/zoom/2)", d=1, s=f"{SIZE}x{SIZE}", fps=FPS)
    )
    speech = ffmpeg.input(wav)
    mouth = speech.audio.filter("showwaves", s=f"{_MOUTH[0]}x{_MOUTH[1]}", mode="cline", rate=FPS, colors="0x803030")
    _encode(ffmpeg.overlay(picture, mouth, x=(SIZE - _MOUTH[0]) // 2, y=int(SIZE * 0.68)), speech, seconds, dst)


def render_bad(kind: str, face_png: Path, wav: str, seconds: float, dst: Path) -> None:
    """A 200 OK answer with a bad clip: ``blank`` (mid-grey, no face) or ``frozen`` (the face, never moving)."""
    if kind == "blank":
        picture = ffmpeg.input(f"color=c=0x808080:s={SIZE}x{SIZE}:r={FPS}", f="lavfi")
    else:
        picture = ffmpeg.input(str(face_png), loop=1, framerate=FPS)
    _encode(picture, ffmpeg.input(wav), seconds, dst)


def _encode(picture: Any, speech: Any, seconds: float, dst: Path) -> None:
    """KDTalker's output: H.264 (yuv420p) at 25 fps + 16 kHz mono AAC, faststart, cut at the speech's length."""
    out = ffmpeg.output(
        picture.filter("format", "yuv420p"),
        speech.audio,
        str(dst),
        format="mp4",
        t=f"{seconds:.3f}",
        vcodec="libx264",
        preset="ultrafast",
        pix_fmt="yuv420p",
        r=FPS,
        acodec="aac",
        ar=16000,
        ac=1,
        movflags="+faststart",
    )
    out.global_args(*_QUIET).overwrite_output().run(capture_stdout=True, capture_stderr=True)
