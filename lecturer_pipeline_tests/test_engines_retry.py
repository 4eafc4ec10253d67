"""Retries per service call (``engines/retry.py``): budget, waits, logging and the rule that keeps one fault from
being retried by both the engine and Dagster. The engine here is a plain object failing as told."""

from __future__ import annotations

from typing import Any

import pytest

from lecturer_pipeline.engines.retry import CallRetry, Retrying
from lecturer_pipeline.errors import ServiceError


class Flaky:
    """An engine whose next calls raise the given errors, then succeed; it counts its calls."""

    name = "flaky"
    licence = "MIT"

    def __init__(self, *errors: ServiceError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def params(self) -> dict[str, Any]:
        return {"version": 1}

    def synthesize(self, text: str, *args: Any, **kwargs: Any) -> float:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return 1.5


def transient(message: str = "HTTP 503", **extra: Any) -> ServiceError:
    return ServiceError(message, transient=True, **extra)


def wrapped(engine: Flaky, **kwargs: Any) -> tuple[Retrying, list[float], list[str]]:
    waits: list[float] = []
    lines: list[str] = []
    policy = CallRetry(base_delay=1.0, sleep=waits.append, random=lambda: 0.5)  # jitter centred: exact back-off
    return Retrying(engine, policy, lines.append, **kwargs), waits, lines


def test_three_transient_failures_are_retried_with_exponential_back_off_and_logged() -> None:
    engine = Flaky(transient(), transient("reset"), transient("HTTP 524"))
    retrying, waits, lines = wrapped(engine)
    assert retrying.synthesize("Hello there.") == 1.5
    assert engine.calls == 4 and waits == [1.0, 2.0, 4.0]
    assert lines[0].startswith("flaky speech of 12 characters") and "HTTP 503 — retry 1 of 3 in 1.0 s" in lines[0]
    assert "retry 3 of 3 in 4.0 s" in lines[2] and lines[3].endswith("succeeded on retry 3")
    assert (retrying.name, retrying.licence, retrying.params()) == ("flaky", "MIT", {"version": 1})


def test_jitter_spreads_each_wait_by_half_either_way() -> None:
    low = CallRetry(base_delay=2.0, random=lambda: 0.0)
    high = CallRetry(base_delay=2.0, random=lambda: 1.0)
    assert (low.backoff(0), high.backoff(0), low.backoff(2), high.backoff(2)) == (1.0, 3.0, 4.0, 12.0)


def test_retry_after_is_waited_exactly_and_capped() -> None:
    engine = Flaky(transient(retry_after=7.0), transient(retry_after=5000.0))
    retrying, waits, _ = wrapped(engine)
    retrying.synthesize("x")
    assert waits == [7.0, 900.0]


def test_a_permanent_error_is_never_retried() -> None:
    engine = Flaky(ServiceError("HTTP 401: check ZYPHRA_API_KEY", transient=False))
    retrying, waits, _ = wrapped(engine)
    with pytest.raises(ServiceError, match="ZYPHRA_API_KEY") as caught:
        retrying.synthesize("x")
    assert engine.calls == 1 and waits == [] and not caught.value.transient


def test_an_error_worth_one_retry_gets_one_and_then_fails_the_step() -> None:
    engine = Flaky(transient("undisclosed", retry_limit=1), transient("undisclosed", retry_limit=1))
    retrying, waits, _ = wrapped(engine)
    with pytest.raises(ServiceError) as caught:
        retrying.synthesize("x")
    assert engine.calls == 2 and len(waits) == 1
    assert not caught.value.transient and "gave up after 2 tries; not retried further" in str(caught.value)


def test_a_step_retry_follows_exhaustion_on_the_first_attempt_or_after_progress_only() -> None:
    """The 3 × 3 rule: Dagster retries the step after a call ran out of retries only when that can help."""
    down = [transient() for _ in range(4)]
    first, _, _ = wrapped(Flaky(*down))
    with pytest.raises(ServiceError) as caught:
        first.synthesize("x")
    assert caught.value.transient and "gave up after 4 tries; the step is retried" in str(caught.value)

    again, _, _ = wrapped(Flaky(*(transient() for _ in range(4))), first_attempt=False)
    with pytest.raises(ServiceError) as caught:
        again.synthesize("x")
    assert not caught.value.transient and "the service looks down" in str(caught.value)

    engine = Flaky()
    progressed, _, _ = wrapped(engine, first_attempt=False)
    progressed.synthesize("first chunk")
    engine.errors = [transient() for _ in range(4)]
    with pytest.raises(ServiceError) as caught:
        progressed.synthesize("second chunk")
    assert caught.value.transient, "a step that made progress may be retried: it resumes after the stored work"
