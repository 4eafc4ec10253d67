"""Retries per service call: each transient failure of one call is retried inside the step, where it happened.

Why here and not in Dagster: the stage's RetryPolicy is a budget per step (4 attempts in all), however many calls the
step makes; a 17-chunk lecture against a service failing 30 % of calls at random ran out of it. So every call made
through ``Retrying`` gets its own budget:

- a transient ``ServiceError`` (429, 5xx, Cloudflare pages, resets, timeouts, a busy GPU) is retried up to
  ``retries`` times (3), waiting ``base_delay · 2ⁿ`` with ±50 % jitter, or exactly what the service said
  (Retry-After, a ZeroGPU quota's "retry in 0:09:48"), never longer than ``max_wait``;
- an error with ``retry_limit`` is retried at most that often (KDTalker's undisclosed crash: once);
- a permanent error (bad key, refused input) is never retried;
- each retry is logged through ``log`` (the assets pass the Dagster step log, so it shows in the run's events);
- a call that succeeded is never made again (the stages persist its result before the next call).

The rule between the two levels, so that one fault is never retried 3 × 3: when a call has used up its retries, the
error reaches the step as transient (and Dagster's RetryPolicy retries the step, which resumes after the persisted
work) only if **this is the step's first attempt, or another call of this attempt succeeded** (the service is up
and the faults are random). Otherwise the service looks down and the step fails at once: a fault that never heals
costs at most 2 × 4 tries of one call, not 4 × 4. The stage's RetryPolicy stays for failures of the step itself
(storage, a lost worker), which never pass through here.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lecturer_pipeline.errors import ServiceError

T = TypeVar("T")
Log = Callable[[str], None]
_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallRetry:
    """How one service call is retried (defaults: DESIGN.md §5; tests shorten the delays through settings)."""

    retries: int = 3
    base_delay: float = 2.0
    max_wait: float = 900.0
    jitter: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (counted from 0): exponential, with ±``jitter`` spread."""
        spread = 1 + self.jitter * (2 * self.random() - 1)
        return self.base_delay * (2**retry) * spread

    def wait_for(self, error: ServiceError, retry: int) -> float:
        stated = error.retry_after
        return min(self.max_wait, stated if stated is not None else self.backoff(retry))


class Retrying:
    """An engine whose calls are retried per call (see the module docstring); everything else is the engine's own.

    ``synthesize``, ``render`` and ``draft`` are wrapped; ``name``, ``licence``, ``params()`` and the rest pass
    through, so artefacts record the engine itself. One ``Retrying`` serves one step: it counts the step's
    successful calls for the rule above.
    """

    def __init__(
        self, engine: Any, policy: CallRetry | None = None, log: Log | None = None, *, first_attempt: bool = True
    ) -> None:
        self.engine = engine
        self.policy = policy or CallRetry()
        self.first_attempt = first_attempt  # False in a step Dagster is already retrying
        self._log = log or _logger.warning
        self.succeeded = 0
        self.retried = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def __repr__(self) -> str:
        return f"Retrying({self.engine!r})"

    def synthesize(self, text: str, *args: Any, **kwargs: Any) -> Any:
        what = f"{self.engine.name} speech of {len(text)} characters ({text[:40]!r}…)"
        return self.call(what, lambda: self.engine.synthesize(text, *args, **kwargs))

    def render(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(f"{self.engine.name} render", lambda: self.engine.render(*args, **kwargs))

    def draft(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(f"{self.engine.name} draft", lambda: self.engine.draft(*args, **kwargs))

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """``fn()``, retried per the policy; raises the last ServiceError, classed by the step rule."""
        retry = 0
        while True:
            try:
                result = fn()
            except ServiceError as error:
                limit = min(
                    self.policy.retries, self.policy.retries if error.retry_limit is None else error.retry_limit
                )
                if not error.transient:
                    raise
                if retry >= limit:
                    raise self._give_up(error, retry + 1) from error
                wait = self.policy.wait_for(error, retry)
                retry += 1
                self.retried += 1
                self._log(f"{what} failed: {error.message} — retry {retry} of {limit} in {wait:.1f} s")
                self.policy.sleep(wait)
                continue
            self.succeeded += 1
            if retry:
                self._log(f"{what} succeeded on retry {retry}")
            return result

    def _give_up(self, error: ServiceError, tries: int) -> ServiceError:
        """The error after its last try: transient for the step only when the service is known to be up."""
        limited = error.retry_limit is not None
        step_may_retry = (self.succeeded > 0 or self.first_attempt) and not limited
        if step_may_retry:
            outcome = "the step is retried, from the work already stored"
        elif limited:
            outcome = "not retried further"
        else:
            outcome = "no call succeeded in this retry of the step, so the service looks down; not retried further"
        return ServiceError(
            f"{error.message} (gave up after {tries} tries; {outcome})",
            transient=step_may_retry,
            retry_after=error.retry_after if step_may_retry else None,
        )
