"""Checks run beside the service calls, not after them.

A speech chunk or a video segment is checked while the step waits for the service's next answer: the step spends
most of its time waiting on the network (Zyphra, Zonos, KDTalker), and the checks (speech recognition, the voice
encoder, frame decoding) need the CPU that waiting leaves idle. One background thread checks the answers in the
order they were made, so the checks never compete with each other. What the checks still add to a step is the time
it waits for verdicts (``waited_seconds``): the last answer's, and any check that outlasts the next service call.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

Item = TypeVar("Item")
Verdict = TypeVar("Verdict")


class CheckQueue(Generic[Item, Verdict]):
    """Answers waiting for their checks. The caller makes answer n, then takes the verdict on answer n-1 (checked
    while n was being made) with ``drain``, then ``submit``s n: a one-deep pipeline, so the order of the service
    calls never depends on timing — retries of answer n-1 always come right after answer n."""

    def __init__(self, check: Callable[[Item], Verdict], name: str) -> None:
        self._check = check
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: deque[tuple[Item, Future[Verdict]]] = deque()
        self.waited_seconds = 0.0  # how long the caller waited for verdicts: what the checks added to its step

    def submit(self, item: Item) -> None:
        self._pending.append((item, self._pool.submit(self._check, item)))

    def drain(self) -> Iterator[tuple[Item, Verdict]]:
        """Every answer still pending, oldest first, waiting for each verdict."""
        while self._pending:
            item, future = self._pending.popleft()
            started = time.perf_counter()
            verdict = future.result()
            self.waited_seconds += time.perf_counter() - started
            yield item, verdict

    def close(self) -> None:
        """Stop the thread once the checks already submitted have run (a check stores what passes: a failed step
        keeps those answers)."""
        self._pool.shutdown(wait=True)
        self._pending.clear()
