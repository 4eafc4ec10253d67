"""Video rendering: the offline preview renderer, the lecture's sound track, and lossless joining of MP4 segments.

The preview is what the embedded default produces when no lip-sync model is reachable: the portrait with a slow
zoom and a waveform strip that follows the speech, labelled so nobody mistakes it for a lip-synced result.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import ffmpeg
from PIL import Image, ImageDraw, ImageFont

from lecturer_pipeline.media._atomic import atomic_path
from lecturer_pipeline.media._ffmpeg import AAC_TRACK, QUIET, concat_listing, error_detail, lasting
from lecturer_pipeline.media.audio import wav_duration
from lecturer_pipeline.media.probe import MediaInfo, probe

PREVIEW_FPS = 25  # the preview engine's frame rate, unless it is given another
_ZOOM_PERIOD = 6.0  # seconds per gentle zoom in-and-out cycle
_ZOOM_DEPTH = 0.04  # maximum extra zoom (4 %): visible motion, no seasickness
_WAVE_FRACTION = 0.16  # height of the waveform strip, as a fraction of the frame


def _labelled_frame(portrait: Path, label: str, dst: Path) -> tuple[int, int]:
    """Write the portrait as RGB with even dimensions and ``label`` drawn in, return its size.

    Pillow draws the label because ffmpeg's drawtext needs fontconfig fonts an offline image may lack; the
    embedded default font ships with Pillow. Even dimensions are required by yuv420p.
    """
    with Image.open(portrait) as im:
        frame = im.convert("RGB")
    width, height = frame.width - frame.width % 2, frame.height - frame.height % 2
    frame = frame.crop((0, 0, width, height))
    if label:
        draw = ImageDraw.Draw(frame, "RGBA")
        font = ImageFont.load_default(size=max(10, height // 28))
        margin = max(6, height // 16)  # inside the area the zoom never crops
        left, top, right, bottom = draw.textbbox((margin, margin), label, font=font)
        pad = max(3, height // 80)
        draw.rounded_rectangle((left - pad, top - pad, right + pad, bottom + pad), radius=pad, fill=(0, 0, 0, 170))
        draw.text((margin, margin), label, font=font, fill=(255, 255, 255, 255))
    frame.save(dst, format="PNG")
    return width, height


def render_preview(
    portrait_png: str | os.PathLike[str],
    speech_wav: str | os.PathLike[str],
    dst_mp4: str | os.PathLike[str],
    *,
    fps: int = PREVIEW_FPS,
    label: str = "preview · no lip-sync",
) -> MediaInfo:
    """Render the portrait speaking ``speech_wav`` (without lip-sync) to an H.264/AAC faststart MP4.

    The looped still image is endless, so the output is cut with ``-t`` at the speech's length; ``-shortest``
    would overshoot by up to a muxing interleave. The result is probed and refused if its length is off.
    """
    dst = Path(dst_mp4)
    seconds = wav_duration(speech_wav)
    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".render-") as work:
        still = Path(work) / "frame.png"
        width, height = _labelled_frame(Path(portrait_png), label, still)
        strip = max(16, round(height * _WAVE_FRACTION / 2) * 2)
        zoom = f"1+{_ZOOM_DEPTH / 2}*(1-cos(2*PI*on/({fps}*{_ZOOM_PERIOD})))"
        picture = (
            ffmpeg.input(str(still), loop=1, framerate=fps)
            .filter("scale", 2 * width, 2 * height, flags="lanczos")  # zoompan rounds x/y: oversample to stop jitter
            .filter(
                "zoompan",
                z=zoom,
                x="iw/2-(iw/zoom/2)",
                y="ih/2-(ih/zoom/2)",
                d=1,
                s=f"{width}x{height}",
                fps=fps,
            )
            .filter("drawbox", x=0, y=height - strip, w=width, h=strip, color="black@0.35", t="fill")
        )
        speech = ffmpeg.input(str(speech_wav))
        waves = speech.audio.filter(
            "showwaves", s=f"{width}x{strip}", mode="cline", rate=fps, colors="white", scale="sqrt"
        )
        video = ffmpeg.overlay(picture, waves, x=0, y=height - strip).filter("format", "yuv420p")
        encode = {"vcodec": "libx264", "preset": "veryfast", "pix_fmt": "yuv420p", "r": fps, **AAC_TRACK}
        return _mp4(video, speech.audio, seconds, dst, speech_wav, "rendered preview", encode)


def _mp4(
    picture: ffmpeg.nodes.Stream,
    sound: ffmpeg.nodes.Stream,
    seconds: float,
    dst: Path,
    source: str | os.PathLike[str],
    what: str,
    codecs: dict[str, object],
) -> MediaInfo:
    """Write picture and sound as a faststart MP4 cut at ``seconds`` (atomically); refuse it if its length is off."""
    with atomic_path(dst) as tmp:
        _run(
            ffmpeg.output(picture, sound, str(tmp), format="mp4", t=f"{seconds:.3f}", movflags="+faststart", **codecs),
            source,
        )
        return lasting(probe(tmp), seconds, what)


def _run(stream: ffmpeg.nodes.OutputStream, source: str | os.PathLike[str]) -> None:
    """Run an ffmpeg graph; a failure here is a pipeline fault, so it raises RuntimeError with ffmpeg's words."""
    try:
        stream.global_args(*QUIET).overwrite_output().run(capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        raise RuntimeError(f"ffmpeg failed on {source}: {error_detail(exc.stderr, lines=3)}") from exc


def extract_frame(video: Path, dst: Path, *, at_seconds: float, width: int = 320) -> Path:
    """A JPEG still of ``video`` at ``at_seconds``, scaled to ``width`` — the poster shown in previews."""
    with atomic_path(dst) as tmp:
        _run(
            ffmpeg.input(str(video), ss=max(0.0, at_seconds))
            .filter("scale", width, -2)
            .output(str(tmp), vframes=1, format="image2", vcodec="mjpeg", **{"q:v": 4}),
            video,
        )
    return Path(dst)


class AudioTrackEncode:
    """The lecture's AAC sound track, encoded from the master WAV by an ffmpeg process running beside other work.

    Encoding a long lecture's speech takes seconds of CPU; started before the renders it is done by the time the
    pictures are, and the join becomes stream copies only. ``wait`` returns the track (an M4A file); ``cancel``
    stops the encoder and removes what it wrote. Use it as a context manager so a failure never leaves the
    process running.
    """

    def __init__(self, speech_wav: Path, dst_m4a: Path) -> None:
        self.source = Path(speech_wav)
        self.dst = Path(dst_m4a)
        self._tmp = self.dst.with_name(f".{self.dst.stem}.encoding{self.dst.suffix}")
        stream = ffmpeg.input(str(self.source)).output(str(self._tmp), format="ipod", vn=None, **AAC_TRACK)
        self._process = stream.global_args(*QUIET).overwrite_output().run_async(pipe_stderr=True)

    def wait(self) -> Path:
        _, stderr = self._process.communicate()  # the process has ended: cancel() has nothing more to do
        if self._process.returncode != 0:
            self._tmp.unlink(missing_ok=True)
            raise RuntimeError(f"ffmpeg failed on {self.source}: {error_detail(stderr, lines=3)}")
        os.replace(self._tmp, self.dst)
        return self.dst

    def cancel(self) -> None:
        if self._process.returncode is None:
            self._process.kill()
            self._process.communicate()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AudioTrackEncode:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()


def join_video_with_track(segments: Sequence[Path], track_m4a: Path, seconds: float, dst: Path) -> MediaInfo:
    """Join the segments' video streams and lay the lecture's whole sound track (``AudioTrackEncode`` of the speech,
    ``seconds`` long) under them: both streams are copied, nothing is encoded.

    Joining segments with their own AAC tracks would add each track's encoder priming at every seam and drift the
    sound away from the picture over a long lecture; one track encoded from the master WAV keeps them in step. The
    result is cut at the speech's length (±1 frame) and written with ``+faststart``.
    """
    dst = Path(dst)
    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".join-") as work:
        pictures = ffmpeg.input(str(concat_listing(segments, Path(work))), format="concat", safe=0)
        sound = ffmpeg.input(str(track_m4a)).audio
        return _mp4(pictures.video, sound, seconds, dst, segments[0], "joined video", {"c": "copy"})
