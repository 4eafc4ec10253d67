"""Scratch space for media in flight: one private temp directory per process, and one sub-directory per use.

Stages pass paths, not bytes; the files behind those paths live here between download, processing and upload.
A step's directories are removed when the step ends, success or failure (``release_step_dirs``, called by the
Dagster hook every lecture asset carries): a long-lived Celery worker runs thousands of steps and never reaches
process exit, where the process's own directory is removed.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

_scratch: Path | None = None
_local = threading.local()  # each thread's directories in use: runs in threads of one process never share


def scratch_dir() -> Path:
    """This process's scratch directory (created on first use, mode 0700)."""
    global _scratch
    if _scratch is None or not _scratch.exists():
        _scratch = Path(tempfile.mkdtemp(prefix="lecturer-"))
        atexit.register(shutil.rmtree, _scratch, True)
    return _scratch


def step_dir(name: str) -> Path:
    """A fresh sub-directory for one step's files, removed by the next ``release_step_dirs``."""
    path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch_dir()))
    _in_use().append(path)
    return path


def release_step_dirs() -> int:
    """Remove every directory ``step_dir`` made since the last call; returns how many.

    A process runs one step at a time (the in-process executor runs them in turn, the multiprocess executor and each
    Celery worker process one per process at a time), so everything this thread made since the last release is the
    ending step's.
    """
    released, in_use = 0, _in_use()
    while in_use:
        shutil.rmtree(in_use.pop(), ignore_errors=True)
        released += 1
    return released


def _in_use() -> list[Path]:
    if not hasattr(_local, "dirs"):
        _local.dirs = []
    return _local.dirs
