"""Small helpers around ffmpeg-python's error reporting, shared by the media modules."""

from __future__ import annotations


def error_detail(stderr: bytes | None, *, lines: int = 1) -> str:
    """The last non-empty line(s) of ffmpeg's stderr: where it states why it gave up."""
    text = [ln.strip() for ln in (stderr or b"").decode("utf-8", "replace").splitlines() if ln.strip()]
    return " / ".join(text[-lines:]) if text else "no details from ffmpeg"
