"""Run a command with a private HOME, TMPDIR, LECTURER_HOME and DAGSTER_HOME, as a process on another machine would.

``python -m lecturer_pipeline.standins.servers.sandbox ROOT [--tmpfs] -- COMMAND...``: with ``--tmpfs`` (only ever under
``unshare -m --propagation private``) a fresh tmpfs is mounted over ``/tmp`` first, so nothing the launching side
keeps there (its LECTURER_HOME, its DAGSTER_HOME, the test's files) is visible to the command, and nothing it writes
lands on the launching side's disk. ROOT (under ``/tmp``) then lives in that tmpfs.
The checkout and its virtualenv (``LECTURER_SANDBOX_KEEP``) stay visible when they live under ``/tmp``.
``LECTURER_SANDBOX_DAGSTER_YAML`` becomes the private ``DAGSTER_HOME/dagster.yaml``. The command replaces this
process (``exec``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _mount_private_tmp(keep: str) -> None:
    """A fresh tmpfs over ``/tmp``, with the directories in ``keep`` (``os.pathsep``-separated: the checkout and
    its virtualenv) bound back where they were when they live under ``/tmp`` — a CI clone in ``/tmp/ci-check``
    must still find its code. Each is opened before the mount and bound through ``/proc/<pid>/fd`` after it."""
    tmp = Path("/tmp")
    kept = sorted({Path(path) for path in keep.split(os.pathsep) if path and Path(path).is_relative_to(tmp)})
    kept = [path for path in kept if not any(path != other and path.is_relative_to(other) for other in kept)]
    handles = {path: os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in kept}
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777", "lecturer-sandbox", "/tmp"], check=True)
    for path, handle in handles.items():
        path.mkdir(parents=True, exist_ok=True)
        source = f"/proc/{os.getpid()}/fd/{handle}"
        subprocess.run(["mount", "--no-canonicalize", "--bind", source, str(path)], check=True, pass_fds=(handle,))
        os.close(handle)


def main(argv: list[str]) -> None:
    separator = argv.index("--")
    options, command = argv[:separator], argv[separator + 1 :]
    root = Path(options[0])
    if "--tmpfs" in options:
        _mount_private_tmp(os.environ.pop("LECTURER_SANDBOX_KEEP", ""))
    dirs = {name: root / name.lower() for name in ("HOME", "TMPDIR", "LECTURER_HOME", "DAGSTER_HOME")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    (dirs["DAGSTER_HOME"] / "dagster.yaml").write_text(os.environ.pop("LECTURER_SANDBOX_DAGSTER_YAML", ""))
    os.environ.update({name: str(path) for name, path in dirs.items()})
    os.chdir(dirs["HOME"])
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
