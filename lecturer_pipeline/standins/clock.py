"""A service's clock: every call a stand-in served, and the service time it is made to take.

Why in the stand-ins: the benchmark models the real services' cost (seconds of work per second of media made) and
reads back when each call ran. A stand-in given a ``ServiceClock`` paces each successful call itself — its own
espeak-ng or ffmpeg work counts towards the modelled time, so a call costs what the real service would, not that plus
the stand-in's encoding — and records it; nothing is patched from outside.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class ServiceClock:
    """Every call a service served: (start, end) in epoch seconds and the seconds of media it made."""

    name: str
    per_second: float  # modelled service time per second of output (the stand-in's own work is absorbed in it)
    calls: list[tuple[float, float, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def started() -> tuple[float, float]:
        """When a call starts, as (monotonic, epoch) seconds; hand it to ``served`` when the call is done."""
        return time.monotonic(), time.time()

    def served(self, started: tuple[float, float], seconds: float) -> None:
        """Sleep until the call has taken ``per_second × seconds`` in all, then record it."""
        pause = self.per_second * seconds - (time.monotonic() - started[0])
        if pause > 0:
            time.sleep(pause)
        self.record(started[1], time.time(), seconds)

    def record(self, start: float, end: float, seconds: float) -> None:
        with self._lock:
            self.calls.append((start, end, seconds))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def snapshot(self) -> list[tuple[float, float, float]]:
        with self._lock:
            return sorted(self.calls)

    def busy_seconds(self) -> float:
        return sum(end - start for start, end, _ in self.snapshot())

    def media_seconds(self) -> float:
        return sum(seconds for _, _, seconds in self.snapshot())
