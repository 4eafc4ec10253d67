"""Where a measurement's CPU went, by process group: the service stand-ins (what would run beside the GPUs), the
Celery workers, Dagster's run workers, daemon and webserver, and the servers (PostgreSQL, Ceph, RabbitMQ, Redis).

Why: figure 6 shares two cores between everything a deployment spreads over several machines — the renderers'
stand-ins, the general workers' composition and checks, Dagster's processes and the servers. A wall time above the
GPU bound can be the GPUs idling for want of work or the cores being full; only the cores' own account tells which.

It samples ``/proc`` every half second: each process's own user + system time (``/proc/<pid>/stat``), grouped by the
nearest ancestor whose command line names a group. A process that lives less than a sample (an ``ffprobe``) is not
seen; ``unaccounted`` is the machine's busy time (``/proc/stat``) that no sampled process explains, the kernel's
own work included.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK")
#: (group, words of a command line that put a process in it), first match from the process up through its parents.
_GROUPS = (
    ("render workers", ("-n render",)),
    ("general workers", ("-n general",)),
    # A run's process: the code server starts it through multiprocessing (spawn), or `dagster api execute_run`.
    ("run workers (executor loops)", ("execute_run", "multiprocessing-fork", "spawn_main")),
    ("daemon", ("dagster-daemon",)),
    ("webserver", ("dagster-webserver", "dagster_webserver")),
    ("servers", ("postgres", "radosgw", "ceph-mon", "ceph-osd", "beam.smp", "redis-server", "rabbitmq")),
)
STANDINS = "stand-ins and the bench"


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, own CPU seconds) of a process, or None if it has gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, …; utime, stime are 14th, 15th
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _machine_busy() -> float:
    """Seconds of CPU the whole machine has been busy (not idle, not waiting on I/O) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / _TICKS


class CpuUse:
    """``with CpuUse() as use: …`` then ``use.report()``: CPU seconds by group over the block."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._first: dict[str, float] = {}  # pid → own CPU seconds when first seen (0 for those born meanwhile)
        self._last: dict[str, float] = {}
        self._group: dict[str, str] = {}
        self._parents: dict[str, int] = {}
        self._commands: dict[str, str] = {}  # what each process in "other" was, for the report
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-use", daemon=True)
        self._bench = os.getpid()

    def __enter__(self) -> CpuUse:
        self._busy0, self._wall0 = _machine_busy(), time.monotonic()
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._busy1, self._wall1 = _machine_busy(), time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self, *, first: bool = False) -> None:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            stat = _stat(pid)
            if stat is None:
                continue
            self._parents[pid], seconds = stat
            self._first.setdefault(pid, seconds if first else 0.0)
            self._last[pid] = seconds
            if pid not in self._group:  # while it lives: its command line and parents are gone once it ends
                self._group[pid] = self._group_of(pid)

    def _group_of(self, pid: str) -> str:
        """The group of the nearest process up the tree that names one; the bench's own descendants otherwise."""
        current, hops = pid, 0
        while current not in ("0", "1") and hops < 64:
            if int(current) == self._bench:
                return STANDINS
            if current in self._group and current != pid:
                return self._group[current]
            command = _cmdline(int(current))
            group = next((name for name, words in _GROUPS if any(word in command for word in words)), None)
            if group:
                return group
            if current == pid:
                self._commands[pid] = " ".join(command.split()[:3])[:80]
            parent = self._parents.get(current) or (_stat(current) or (0, 0.0))[0]
            current, hops = str(parent), hops + 1
        return "other"

    def report(self) -> dict[str, Any]:
        groups: dict[str, float] = {}
        others: dict[str, float] = {}
        for pid, last in self._last.items():
            used = last - self._first.get(pid, 0.0)
            if used > 0:
                group = self._group.get(pid, "other")
                groups[group] = groups.get(group, 0.0) + used
                if group == "other":
                    command = self._commands.get(pid, "?")
                    others[command] = others.get(command, 0.0) + used
        wall, busy = self._wall1 - self._wall0, self._busy1 - self._busy0
        cores = os.cpu_count() or 1
        return {
            "wall_seconds": round(wall, 1),
            "cores": cores,
            "busy_fraction": round(busy / (wall * cores), 3),
            "cpu_seconds": {name: round(seconds, 1) for name, seconds in sorted(groups.items(), key=lambda x: -x[1])},
            "unaccounted_seconds": round(busy - sum(groups.values()), 1),
            "other_commands": {
                name: round(seconds, 1) for name, seconds in sorted(others.items(), key=lambda x: -x[1])[:5]
            },
        }
