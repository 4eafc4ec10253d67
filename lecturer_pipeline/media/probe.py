"""Read container and stream facts with ffprobe, so every check downstream works on typed values, not JSON."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media._ffmpeg import error_detail


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a media file; fields that do not apply to the stream's type are None.

    ``attached_pic`` marks cover art (e.g. an album picture in an MP3), which is a video stream in ffprobe's
    eyes but not a video a user meant to upload.
    """

    codec_type: str
    codec_name: str
    width: int | None
    height: int | None
    sample_rate: int | None
    channels: int | None
    pix_fmt: str | None
    duration: float | None
    attached_pic: bool = False


@dataclass(frozen=True)
class MediaInfo:
    """A media file as ffprobe sees it; ``duration`` is 0.0 when the container does not say."""

    format_name: str
    duration: float
    size: int
    streams: tuple[StreamInfo, ...]

    def _first(self, codec_type: str) -> StreamInfo | None:
        return next((s for s in self.streams if s.codec_type == codec_type and not s.attached_pic), None)

    @property
    def audio(self) -> StreamInfo | None:
        """The first audio stream, or None."""
        return self._first("audio")

    @property
    def video(self) -> StreamInfo | None:
        """The first real video stream (cover art excluded), or None."""
        return self._first("video")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _stream(raw: dict[str, Any]) -> StreamInfo:
    return StreamInfo(
        codec_type=str(raw.get("codec_type", "")),
        codec_name=str(raw.get("codec_name", "")),
        width=_int(raw.get("width")),
        height=_int(raw.get("height")),
        sample_rate=_int(raw.get("sample_rate")),
        channels=_int(raw.get("channels")),
        pix_fmt=raw.get("pix_fmt"),
        duration=_float(raw.get("duration")),
        attached_pic=bool(_int((raw.get("disposition") or {}).get("attached_pic"))),
    )


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Probe ``path``; raise InputError when ffprobe cannot read it, since that always means a bad upload."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path.name} is not a media file ffmpeg can read: {exc.strerror}", file=str(path)) from exc
    if size == 0:
        raise InputError(f"{path.name} is not a media file ffmpeg can read: it is empty (0 bytes)", file=str(path))
    try:
        raw = ffmpeg.probe(str(path))
    except ffmpeg.Error as exc:
        detail = error_detail(exc.stderr)
        raise InputError(
            f"{path.name} is not a media file ffmpeg can read ({detail}); upload a common audio, video or image format",
            file=str(path),
        ) from exc
    fmt = raw.get("format") or {}
    streams = tuple(_stream(s) for s in raw.get("streams") or ())
    duration = _float(fmt.get("duration"))
    if duration is None:
        duration = max((s.duration for s in streams if s.duration is not None), default=0.0)
    return MediaInfo(
        format_name=str(fmt.get("format_name", "")),
        duration=duration,
        size=_int(fmt.get("size")) or size,
        streams=streams,
    )
