"""The failure switches every stand-in shares: queued failures, seeded random ones, their log and in-flight calls.

A stand-in names the behaviour kinds it can perform (with the sizes each may have) and its default random mix, and
keeps to itself what each behaviour does on the wire. Queued behaviours come first; only when none is queued is a
random one drawn from ``random.Random(seed)``: one ``random()`` per call, then one ``choice(mix)`` if it fails.

It imports neither Dagster nor pytest, and nothing from the clients under test.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from typing import Any

__all__ = ["HTTP_FAILURE_KINDS", "Behaviour", "FailurePlan"]

Behaviour = tuple[Any, ...]

#: The behaviours every HTTP stand-in performs, with their sizes: an error status (``("status", code)``, with a
#: third item of the service's own), a proxy's HTML error page (``("html", code)``), a reset connection
#: (``("reset",)``) and a delay before answering normally (``("delay", seconds)``).
HTTP_FAILURE_KINDS: dict[str, tuple[int, ...]] = {"status": (2, 3), "html": (2,), "reset": (1,), "delay": (2,)}


class FailurePlan:
    """Which calls fail and how, and which calls are still being handled.

    ``kinds`` maps each behaviour kind to the tuple sizes it may have (``None``: any size); anything else is refused
    when queued or mixed in, not when a call happens to meet it. ``lock`` is reentrant so that a stand-in can hold it
    while it counts a call and draws its behaviour in one step (e.g. to log the call's text beside the behaviour).
    """

    def __init__(self, kinds: Mapping[str, Collection[int] | None], default_mix: Iterable[Behaviour]) -> None:
        self.kinds = dict(kinds)
        self.lock = threading.RLock()
        self._idle = threading.Condition(self.lock)
        self.default_mix = tuple(self.check(b) for b in default_mix)
        self._queue: deque[Behaviour] = deque()
        self._rate = 0.0
        self._mix = self.default_mix
        self._random = random.Random(0)
        self._injections: list[Behaviour] = []
        self._in_flight = 0

    def check(self, behaviour: Iterable[Any]) -> Behaviour:
        """The behaviour as a tuple, or ValueError when this stand-in cannot perform it."""
        behaviour = tuple(behaviour)
        known = bool(behaviour) and behaviour[0] in self.kinds
        if not known or (self.kinds[behaviour[0]] is not None and len(behaviour) not in self.kinds[behaviour[0]]):
            raise ValueError(f"unknown failure behaviour {behaviour!r}; kinds and sizes: {self.kinds}")
        return behaviour

    def queue(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next calls, one each, in order (all checked before any is queued)."""
        checked = [self.check(b) for b in behaviours]
        with self.lock:
            self._queue.extend(checked)

    def set_rate(self, p: float, seed: int = 0, mix: Iterable[Behaviour] | None = None) -> None:
        """Fail a fraction ``p`` of later calls at random, reproducibly from ``seed``, with ``mix`` (default: the
        stand-in's own); ``p=0`` turns random failures off."""
        if not 0 <= p <= 1:
            raise ValueError(f"p must be from 0 to 1, not {p}")
        checked = tuple(self.check(b) for b in (mix or self.default_mix))
        with self.lock:
            self._rate, self._mix, self._random = p, checked, random.Random(seed)

    def draw(self) -> Behaviour | None:
        """The behaviour the next call meets — the first queued, else a random one, else None — logged if any."""
        with self.lock:
            behaviour = None
            if self._queue:
                behaviour = self._queue.popleft()
            elif self._rate and self._random.random() < self._rate:
                behaviour = self._random.choice(self._mix)
            if behaviour is not None:
                self._injections.append(behaviour)
            return behaviour

    def clear(self) -> None:
        """Drop queued and random failures and forget the injections (calls in flight stay counted)."""
        with self.lock:
            self._queue.clear()
            self._rate = 0.0
            self._injections = []

    @property
    def injections(self) -> list[Behaviour]:
        """The behaviours calls met, in the order they were drawn."""
        with self.lock:
            return list(self._injections)

    # In-flight calls: a call a client gave up on (a ``delay``) may still be running when the test moves on.

    def begin(self) -> Behaviour | None:
        """Count a call as in flight and draw its behaviour; pair with ``end()``."""
        with self.lock:
            self._in_flight += 1
            return self.draw()

    def end(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no call is in flight; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)
