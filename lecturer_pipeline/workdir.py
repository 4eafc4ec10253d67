"""Scratch space for media in flight: one private temp directory per process, removed when the process exits.

Stages pass paths, not bytes; the files behind those paths live here between download, processing and upload.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_scratch: Path | None = None


def scratch_dir() -> Path:
    """This process's scratch directory (created on first use, mode 0700)."""
    global _scratch
    if _scratch is None or not _scratch.exists():
        _scratch = Path(tempfile.mkdtemp(prefix="lecturer-"))
        atexit.register(shutil.rmtree, _scratch, True)
    return _scratch


def step_dir(name: str) -> Path:
    """A fresh sub-directory for one step's files."""
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch_dir()))
