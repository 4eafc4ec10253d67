"""A local stand-in for Zyphra's text-to-speech API that speaks its real HTTP protocol and makes real audio.

Why a real server and not a mocked client: the pipeline's client must be tested on the wire — headers, JSON body,
streamed raw-audio answers, status codes, HTML error pages from a proxy, reset connections and timeouts — exactly
as it meets them in production. The stand-in validates requests as the real API does (key, field names, ranges),
speaks the text with espeak-ng and encodes the requested mime type with ffmpeg, so what comes back decodes like
the real thing; it stops at 30 s of audio as the model does (``Zyphra/Zonos`` ``gradio_interface.py``, commit
15e40406: ``max_new_tokens = 86 * 30``). Counters and queued failures let tests prove retries, resumption and that
no work is re-spent; a ``ServiceClock`` makes each call take a modelled service time (the benchmark's).

It imports neither Dagster nor pytest, and nothing from the client under test. The protocol is in
``zyphra_protocol.py``, the audio in ``zyphra_audio.py``, the HTTP handler in ``zyphra_http.py``.
"""

from __future__ import annotations

import secrets
from typing import Any

from lecturer_pipeline.standins.clock import ServiceClock
from lecturer_pipeline.standins.http_standin import HTTPStandIn
from lecturer_pipeline.standins.zyphra_audio import available_encoders
from lecturer_pipeline.standins.zyphra_http import ZyphraHTTPServer
from lecturer_pipeline.standins.zyphra_protocol import DEFAULT_FAILURE_MIX, ENDPOINT, FAILURE_KINDS, MAX_SECONDS

__all__ = ["DEFAULT_FAILURE_MIX", "ENDPOINT", "MAX_SECONDS", "ZyphraStandIn"]


class ZyphraStandIn(HTTPStandIn):
    """Zyphra's TTS API on 127.0.0.1 (free port, daemon thread), with counters and failure switches.

    Counters: ``calls`` (every request, failed ones too), ``successes`` (audio produced — what the real service
    would bill, whether or not the client was still there to receive it), ``chars_served`` (sum of ``len(text)``
    over successes), ``texts`` (every request's text, in arrival order) and ``served_texts`` (successes only).
    ``injected`` counts the requests that met a failure behaviour, queued or random; ``injections`` lists those
    behaviours and ``injected_texts`` the requests' texts, in the same order (so a test can tell which served text
    went to a client that had already timed out on a ``delay``).
    """

    service = "Zyphra"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        latency: float = 0.0,
        latency_per_audio_second: float = 0.0,
        clock: ServiceClock | None = None,
    ) -> None:
        """``latency`` (+ ``latency_per_audio_second`` × seconds of audio) is added to each answer; a ``clock``
        instead makes each successful call take its modelled time in all, the stand-in's own work included, and
        records it."""
        self.clock = clock
        self.api_key = api_key or f"zsk-test-{secrets.token_urlsafe(24)}"
        self.latency = latency
        self.latency_per_audio_second = latency_per_audio_second
        self._plan_faults(FAILURE_KINDS, DEFAULT_FAILURE_MIX)
        self._encoders: set[str] = set()
        self.reset()

    # Lifecycle (start, stop and the context manager: http_standin.py) --------------------------------------

    def _make_server(self) -> ZyphraHTTPServer:
        self._encoders = available_encoders()
        return ZyphraHTTPServer(self)

    @property
    def base_url(self) -> str:
        return self._address()

    # Failure switches ---------------------------------------------------------------------------------------

    def fail_next(self, *behaviours: tuple[Any, ...]) -> None:
        """Queue behaviours for the next requests, one each, in order.

        ``("status", code[, retry_after_seconds])``, ``("html", code)`` (a Cloudflare-like page), ``("reset",)``,
        ``("delay", seconds)`` (then answer normally), ``("garbage",)`` (200, audio content type, HTML body),
        ``("garble",)`` / ``("garble", "half")`` (200, audio of other words / of the first half of the text) and
        ``("wrongvoice",)`` (200, the text in a clearly different espeak-ng voice).
        """
        self._faults.queue(*behaviours)

    def reset(self) -> None:
        """Zero the counters and logs and drop every queued or random failure."""
        with self._lock:
            self._calls = self._successes = self._chars = 0
            self._faults.clear()
            self._injected_texts: list[str | None] = []
            self._texts: list[str] = []
            self._served_texts: list[str] = []
            self._errors = []

    # Counters -----------------------------------------------------------------------------------------------

    @property
    def successes(self) -> int:
        with self._lock:
            return self._successes

    @property
    def injected_texts(self) -> list[str | None]:
        """The text of each request in ``injections`` (None when its body had no text)."""
        with self._lock:
            return list(self._injected_texts)

    @property
    def chars_served(self) -> int:
        with self._lock:
            return self._chars

    @property
    def texts(self) -> list[str]:
        with self._lock:
            return list(self._texts)

    @property
    def served_texts(self) -> list[str]:
        with self._lock:
            return list(self._served_texts)

    # Called by the handler ----------------------------------------------------------------------------------

    def _begin(self, text: Any) -> tuple[Any, ...] | None:
        """Count a request, log its text and pick the failure behaviour it meets, if any."""
        with self._lock:
            self._calls += 1
            if isinstance(text, str):
                self._texts.append(text)
            behaviour = self._faults.begin()
            if behaviour is not None:
                self._injected_texts.append(text if isinstance(text, str) else None)
            return behaviour

    def _served(self, text: str) -> None:
        with self._lock:
            self._successes += 1
            self._chars += len(text)
            self._served_texts.append(text)
