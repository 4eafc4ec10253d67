"""The first look at an uploaded file, before any decoder opens it: it can be read, it is not empty, it is not huge.

The size comes first so a 2 GB "voice" is refused without being decoded; each message says what to upload instead.
"""

from __future__ import annotations

from pathlib import Path

from lecturer_pipeline.errors import InputError


def checked_size(path: Path, max_bytes: int, *, empty_hint: str, large_hint: str, limit_decimals: int = 1) -> int:
    """The size of the upload at ``path`` in bytes; InputError if it cannot be read, is empty or is over
    ``max_bytes`` (the hints say what to upload instead)."""
    where = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path.name} cannot be read ({exc.strerror}); upload it again", file=where) from exc
    if size == 0:
        raise InputError(f"{path.name} is empty (0 bytes); {empty_hint}", file=where)
    if size > max_bytes:
        limit = f"{max_bytes / 1024 / 1024:.{limit_decimals}f}"
        raise InputError(
            f"{path.name} is {size / 1024 / 1024:.1f} MB, larger than the {limit} MB limit; {large_hint}", file=where
        )
    return size
