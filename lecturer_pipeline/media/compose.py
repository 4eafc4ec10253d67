"""Encoding the composed 1920×1080 lecture video: one segment at a time, joined by stream copy.

Every segment — the title card, each render segment of the talking head over its slide, the end card — is encoded
with the same H.264 settings (:data:`X264`: size, frame rate, profile, time base), so the segments join with the
concat demuxer and ``-c copy``. The sound is the speech encoded once under all of them (with silence under the
cards), never per segment, so it cannot drift from the picture at the seams.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import ffmpeg

from lecturer_pipeline.media._atomic import atomic_path
from lecturer_pipeline.media._ffmpeg import AAC_TRACK, QUIET, concat_listing, error_detail, lasting
from lecturer_pipeline.media.probe import MediaInfo, probe

FPS = 25
SIZE = (1920, 1080)
# A slide is still most of the time: x264's veryfast preset spends little on it and the stills cost almost no bits.
X264 = {
    "vcodec": "libx264",
    "preset": "veryfast",
    "crf": 23,
    "pix_fmt": "yuv420p",
    "profile:v": "high",
    "g": FPS * 10,
    "r": FPS,
    "video_track_timescale": FPS * 512,
}


def _run(stream: ffmpeg.nodes.OutputStream, what: str) -> None:
    try:
        stream.global_args(*QUIET).overwrite_output().run(capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        raise RuntimeError(f"ffmpeg failed composing {what}: {error_detail(exc.stderr, lines=3)}") from exc


def _still(picture_png: Path, pixel_format: str) -> ffmpeg.nodes.FilterableStream:
    """An endless stream of one picture, decoded and converted once (``-loop 1`` on the image would decode the PNG
    and convert it to YUV again for every frame: over half the work of a 1080p segment)."""
    return ffmpeg.input(str(picture_png)).filter("format", pixel_format).filter("loop", loop=-1, size=1)


def still_segment(picture_png: Path, frames: int, dst: Path) -> None:
    """``frames`` frames of one still picture (a title or end card)."""
    with atomic_path(dst) as tmp:
        picture = _still(picture_png, "yuv420p").filter("fps", FPS)
        _run(ffmpeg.output(picture, str(tmp), format="mp4", vframes=frames, an=None, **X264), str(picture_png))


def head_segment(
    background_png: Path, head_mp4: Path, box: tuple[int, int, int], frames: int, dst: Path, cover_png: Path | None
) -> None:
    """The talking head (scaled and cropped to its square) over the background still, cut to its shape by
    ``cover_png`` (the background's square with a hole in the shape), ``frames`` frames long, no sound."""
    x, y, side = box
    background = _still(background_png, "yuv420p").filter("fps", FPS)
    head = (
        ffmpeg.input(str(head_mp4))
        .video.filter("fps", FPS)
        .filter("scale", side, side, force_original_aspect_ratio="increase", flags="bicubic")
        .filter("crop", side, side)
    )
    picture = ffmpeg.overlay(background, head, x=x, y=y, eof_action="repeat", format="yuv420")
    if cover_png is not None:
        picture = ffmpeg.overlay(picture, _still(cover_png, "yuva420p"), x=x, y=y, format="yuv420")
    picture = picture.filter("format", "yuv420p")
    with atomic_path(dst) as tmp:
        _run(ffmpeg.output(picture, str(tmp), format="mp4", vframes=frames, an=None, **X264), str(head_mp4))


def lecture_sound(speech_wav: Path, lead_seconds: float, tail_seconds: float, dst: Path) -> None:
    """The speech as AAC with ``lead_seconds`` of silence before it (under the title card) and ``tail_seconds``
    after it (under the end card)."""
    sound = ffmpeg.input(str(speech_wav)).audio
    if lead_seconds > 0:
        sound = sound.filter("adelay", f"{round(lead_seconds * 1000)}", all=1)
    if tail_seconds > 0:
        sound = sound.filter("apad", pad_dur=f"{tail_seconds:.3f}")
    with atomic_path(dst) as tmp:
        _run(ffmpeg.output(sound, str(tmp), format="ipod", vn=None, **AAC_TRACK), str(speech_wav))


def join_segments(
    segments: Sequence[Path], sound_m4a: Path, seconds: float, dst: Path, *, tags: dict[str, str]
) -> MediaInfo:
    """Join the segments' pictures and the sound track by stream copy, with MP4 tags, ``+faststart``.

    ffmpeg is called with an argument list here because each tag is its own ``-metadata`` option, which
    ffmpeg-python's keyword arguments cannot repeat.
    """
    dst = Path(dst)
    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".compose-") as work:
        listing = concat_listing(segments, Path(work))
        with atomic_path(dst) as tmp:
            args = ["ffmpeg", *QUIET, "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(sound_m4a)]
            args += ["-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-t", f"{seconds:.3f}"]
            for name, value in tags.items():
                args += ["-metadata", f"{name}={value}"]
            args += ["-movflags", "+faststart", "-f", "mp4", str(tmp)]
            done = subprocess.run(args, capture_output=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"ffmpeg failed joining the lecture video: {error_detail(done.stderr, lines=3)}")
            return lasting(probe(tmp), seconds, "the joined lecture video")
