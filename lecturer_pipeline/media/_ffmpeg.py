"""What the media modules share about calling ffmpeg: quiet flags, the lecture's sound, error words, joining lists,
and the length check every delivered video passes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import ffmpeg

from lecturer_pipeline.errors import InputError

if TYPE_CHECKING:  # probe itself uses error_detail
    from lecturer_pipeline.media.probe import MediaInfo

QUIET = ("-nostdin", "-hide_banner", "-loglevel", "error")
# The lecture's sound as played: AAC 96 kb/s, 48 kHz mono, whatever made the video.
AAC_TRACK = {"acodec": "aac", "audio_bitrate": "96k", "ar": 48000, "ac": 1}
DURATION_TOLERANCE = 0.1  # seconds a delivered video may differ from what it should last


def error_detail(stderr: bytes | None, *, lines: int = 1) -> str:
    """The last non-empty line(s) of ffmpeg's stderr: where it states why it gave up."""
    text = [ln.strip() for ln in (stderr or b"").decode("utf-8", "replace").splitlines() if ln.strip()]
    return " / ".join(text[-lines:]) if text else "no details from ffmpeg"


@contextlib.contextmanager
def refused_upload(path: str | os.PathLike[str], failed: str, advice: str = "") -> Iterator[None]:
    """ffmpeg failing on an upload is the upload's fault: an InputError naming the file, with ffmpeg's reason and
    ``advice`` (what to do instead), e.g. "x.webm could not be decoded as audio (…); re-export it as WAV"."""
    try:
        yield
    except ffmpeg.Error as exc:
        reason = f"{Path(path).name} could not be {failed} ({error_detail(exc.stderr)})"
        raise InputError(f"{reason}; {advice}" if advice else reason, file=str(path)) from exc


def concat_listing(segments: Sequence[Path], work: Path) -> Path:
    """The concat demuxer's list of ``segments`` (absolute paths, quotes escaped), written into ``work``."""
    if not segments:
        raise ValueError("joining a video needs at least one segment")
    listing = Path(work) / "segments.txt"
    quoted = (str(Path(p).resolve()).replace("'", "'\\''") for p in segments)
    listing.write_text("".join(f"file '{q}'\n" for q in quoted), encoding="utf-8")
    return listing


def lasting(info: MediaInfo, seconds: float, what: str) -> MediaInfo:
    """``info`` if the video lasts ``seconds`` (within the tolerance): one cut short or overlong is never delivered."""
    if abs(info.duration - seconds) > DURATION_TOLERANCE:
        raise RuntimeError(
            f"{what} lasts {info.duration:.3f} s, but should last {seconds:.3f} s (tolerance {DURATION_TOLERANCE} s)"
        )
    return info
