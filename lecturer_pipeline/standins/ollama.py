"""A local stand-in for an Ollama server that speaks its real HTTP API and writes a deterministic lecture.

Why a real server and not a mocked client: the official ``ollama`` client must be tested on the wire — JSON bodies,
status codes with ``{"error": …}``, NDJSON streams, HTML pages from a proxy, reset connections and timeouts — as it
meets them in production. Like the Go server it speaks HTTP/1.1 with keep-alive, so a client's pooled connections
are exercised too. The "model" writes sentences about the prompt's topic, sized to the number of words the prompt
asks for, and honours ``num_predict`` (cutting the answer short with ``done_reason: "length"``) as a model does.

It imports neither Dagster nor pytest, and nothing from the client under test. What it mirrors: the client is
ollama-python 0.6.3 (pinned in pyproject.toml; ``ollama/_client.py`` ``Client._request`` raises ``ResponseError`` from
a failed status's body, and with ``stream=True`` reads NDJSON line by line, raising on an ``{"error": …}`` line;
``ollama/_types.py`` names the fields);
the server's words and statuses are Ollama's (``llm/server.go``, ``server/routes.go``). The "model" is in
``ollama_model.py``, the HTTP handler in ``ollama_http.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
from collections.abc import Iterable
from typing import Any

from lecturer_pipeline.standins.faults import HTTP_FAILURE_KINDS
from lecturer_pipeline.standins.http_standin import HTTPStandIn
from lecturer_pipeline.standins.ollama_http import OllamaHTTPServer
from lecturer_pipeline.standins.ollama_model import DEFAULT_WORDS, canonical_model, lecture_text, topic_of, words_asked

__all__ = ["DEFAULT_FAILURE_MIX", "DEFAULT_WORDS", "OUT_OF_MEMORY", "OllamaStandIn", "lecture_text"]

#: What ``fail_rate`` draws from: every failure that a retry can cure, none that slows a test down.
DEFAULT_FAILURE_MIX: tuple[tuple[Any, ...], ...] = (("status", 500), ("status", 503), ("status", 429), ("reset",))
FAILURE_KINDS = {**HTTP_FAILURE_KINDS, "empty": (1,), "stall": (3,), "slow": (2,)}
#: Ollama's own words when a model does not fit in memory (llm/server.go), answered as HTTP 500.
OUT_OF_MEMORY = "model requires more system memory (5.5 GiB) than is available (3.2 GiB)"


class OllamaStandIn(HTTPStandIn):
    """An Ollama server on 127.0.0.1 (free port, daemon thread), with counters and failure switches.

    Counters: ``calls`` (every generate/chat request, failed ones too), ``generations`` (answers the "model"
    produced — the work a real server would have spent, whether or not the client was still there to receive it),
    ``last_bodies`` (the last parsed body per endpoint) and ``last_body`` (the most recent of them); ``injected``
    counts the requests that met a failure behaviour, queued or random, and ``injections`` lists those behaviours.
    Set ``answer`` to make the model say exactly that (e.g. markdown, to test cleanup); ``models`` is what is pulled.
    """

    service = "Ollama"

    def __init__(self, models: Iterable[str] = ("llama3:8b",), *, answer: str | None = None) -> None:
        self.models: set[str] = set(models)
        self.answer = answer
        self._plan_faults(FAILURE_KINDS, DEFAULT_FAILURE_MIX)
        self._connections: set[socket.socket] = set()
        self.reset()

    # Lifecycle (start, stop and the context manager: http_standin.py) --------------------------------------

    def _make_server(self) -> OllamaHTTPServer:
        return OllamaHTTPServer(self)

    def _after_close(self) -> None:
        """Cut kept-alive connections, so a pooled client sees the server gone, as in reality."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    @property
    def host(self) -> str:
        """The value for OLLAMA_HOST."""
        return self._address()

    # Failure switches ---------------------------------------------------------------------------------------

    def fail_next(self, *behaviours: tuple[Any, ...]) -> None:
        """Queue behaviours for the next generate/chat requests, one each, in order.

        ``("status", code)`` (JSON ``{"error": …}``), ``("html", code)`` (a proxy's HTML page), ``("reset",)``,
        ``("delay", seconds)`` (then answer normally), ``("empty",)`` (answer 200 with no text),
        ``("status", 500, OUT_OF_MEMORY)`` (a status with a message of its own), ``("stall", after, seconds)`` (a
        stream that stops for ``seconds`` after ``after`` chunks, then goes on), ``("slow", seconds)`` (a stream
        whose every chunk takes ``seconds``).
        """
        self._faults.queue(*behaviours)

    def reset(self) -> None:
        """Zero the counters, forget bodies and the ``answer`` override, and drop every queued or random failure."""
        with self._lock:
            self._calls = self._generations = 0
            self._faults.clear()
            self._bodies: dict[str, dict[str, Any]] = {}
            self._last_path: str | None = None
            self._errors = []
        self.answer = None

    # Counters -----------------------------------------------------------------------------------------------

    @property
    def generations(self) -> int:
        with self._lock:
            return self._generations

    @property
    def last_bodies(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._bodies)

    @property
    def last_body(self) -> dict[str, Any] | None:
        with self._lock:
            return self._bodies.get(self._last_path) if self._last_path else None

    # Called by the handler ----------------------------------------------------------------------------------

    def _begin(self) -> tuple[Any, ...] | None:
        """Count a generation request and pick the failure behaviour it meets, if any."""
        with self._lock:
            self._calls += 1
            return self._faults.begin()

    def _answer_for(self, system: str, prompt: str) -> str:
        """What the model says: the ``answer`` override, or a lecture on the prompt's topic of the length asked."""
        answer = self.answer
        return answer if answer is not None else lecture_text(topic_of(prompt), words_asked(system, prompt))

    def _generated(self) -> None:
        with self._lock:
            self._generations += 1

    def _log_body(self, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._bodies[path] = body
            self._last_path = path

    def _pulled(self) -> set[str]:
        return {canonical_model(model) for model in self.models}

    def _tags(self) -> list[dict[str, Any]]:
        """``/api/tags`` entries shaped like Ollama's (sizes and digests are made up but stable)."""
        return [
            {
                "name": name,
                "model": name,
                "modified_at": "2024-05-01T12:00:00.000000000Z",
                "size": 4_661_224_676,
                "digest": hashlib.sha256(name.encode()).hexdigest(),
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "llama",
                    "families": ["llama"],
                    "parameter_size": "8.0B",
                    "quantization_level": "Q4_0",
                },
            }
            for name in sorted(self._pulled())
        ]

    def _track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)
