"""What the media modules share about calling ffmpeg: quiet flags, the lecture's sound, error words, joining lists,
and the length check every delivered video passes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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
