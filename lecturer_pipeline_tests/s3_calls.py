"""Counting the real requests an S3 client sends (botocore's own event hook: every API call, on the wire)."""

from __future__ import annotations

from collections import Counter
from typing import Any


class S3CallCounter:
    """Counts requests by operation name (``GetObject``, ``HeadObject``, ``ListObjectsV2`` …) while registered."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self._client = client
        client.meta.events.register("before-call.s3", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def take(self) -> Counter[str]:
        """The counts since the last ``take``, and start again."""
        taken, self.calls = self.calls, Counter()
        return taken

    def close(self) -> None:
        self._client.meta.events.unregister("before-call.s3", self._count)
