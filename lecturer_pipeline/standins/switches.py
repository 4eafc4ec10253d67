"""What every service stand-in offers a test besides its protocol: random failures, their log, calls in flight and
its own unexpected errors — one implementation over the stand-in's ``FailurePlan``.

Each stand-in keeps ``fail_next`` itself, because its docstring is where the behaviours that stand-in can perform
are listed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Self

from lecturer_pipeline.standins.faults import Behaviour, FailurePlan


class FailureSwitches:
    """``fail_rate``, ``injected``, ``injections``, ``wait_idle`` and ``errors`` for a stand-in (call ``_plan_faults``
    from its ``__init__``)."""

    _faults: FailurePlan
    _errors: list[BaseException]

    def _plan_faults(self, kinds: Mapping[str, Collection[int] | None], default_mix: Iterable[Behaviour]) -> None:
        self._faults = FailurePlan(kinds, default_mix)
        self._lock = self._faults.lock
        self._errors = []

    def fail_rate(self, p: float, seed: int = 0, behaviours: Iterable[tuple[Any, ...]] | None = None) -> None:
        """Fail a fraction ``p`` of later calls at random (reproducibly, from ``seed``) with a mix of failures (default:
        the stand-in's own, every one a retry can cure). Queued ``fail_next`` behaviours still come first; ``p=0``
        turns random failures off."""
        self._faults.set_rate(p, seed, behaviours)

    @property
    def injected(self) -> int:
        """Calls that met a failure behaviour (queued or random); a ``delay`` counts, even one a client outlasts."""
        return len(self._faults.injections)

    @property
    def injections(self) -> list[tuple[Any, ...]]:
        """The behaviours calls met, in arrival order."""
        return self._faults.injections

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no call is being handled (e.g. a delayed one its client gave up on); False on timeout."""
        return self._faults.wait_idle(timeout)

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions inside the stand-in (not clients hanging up); tests can assert it is empty."""
        with self._lock:
            return list(self._errors)

    def _record_error(self, exc: BaseException | None) -> None:
        if exc is not None:
            with self._lock:
                self._errors.append(exc)

    def _end(self) -> None:
        """A call is no longer in flight."""
        self._faults.end()


class StandIn(FailureSwitches):
    """A service stand-in: the failure switches, and a context manager over its ``start()`` and ``stop()``."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
