"""Atomic file writes: readers of ``dst`` must never see a half-written file, even if the writer crashes."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(dst: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``dst``; on success rename it over ``dst``, on failure delete it.

    The temporary name keeps ``dst``'s suffix so tools that infer the format from the name still work, and it
    lives in the same directory so ``os.replace`` is a same-filesystem atomic rename.
    """
    dst = Path(dst)
    tmp = dst.with_name(f".{dst.stem}.{uuid.uuid4().hex[:12]}.tmp{dst.suffix}")
    try:
        yield tmp
        os.replace(tmp, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
