"""A local stand-in for an Ollama server that speaks its real HTTP API and writes a deterministic lecture.

Why a real server and not a mocked client: the official ``ollama`` client must be tested on the wire — JSON bodies,
status codes with ``{"error": …}``, NDJSON streams, HTML pages from a proxy, reset connections and timeouts — as it
meets them in production. Like the Go server it speaks HTTP/1.1 with keep-alive, so a client's pooled connections
are exercised too. The "model" writes sentences about the prompt's topic, sized to the number of words the prompt
asks for, and honours ``num_predict`` (cutting the answer short with ``done_reason: "length"``) as a model does.

It imports neither Dagster nor pytest, and nothing from the client under test.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import socketserver
import struct
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lecturer_pipeline_tests.standins.faults import FailurePlan

__all__ = ["DEFAULT_FAILURE_MIX", "DEFAULT_WORDS", "OllamaStandIn", "lecture_text"]

DEFAULT_WORDS = 120
TOKENS_PER_WORD = 1.3  # what the stand-in reports as token counts, close to Llama 3 on English
_MAX_WORDS = 20_000
_MAX_BODY = 10 * 1024 * 1024
_STREAM_WORDS = 8  # words per streamed chunk
_GENERATION_ENDPOINTS = ("/api/generate", "/api/chat")

#: What ``fail_rate`` draws from: every failure that a retry can cure, none that slows a test down.
DEFAULT_FAILURE_MIX: tuple[tuple[Any, ...], ...] = (("status", 500), ("status", 503), ("status", 429), ("reset",))
_ARITY = {"status": (2, 3), "html": (2,), "reset": (1,), "delay": (2,), "empty": (1,), "stall": (3,), "slow": (2,)}
#: Ollama's own words when a model does not fit in memory (llm/server.go), answered as HTTP 500.
OUT_OF_MEMORY = "model requires more system memory (5.5 GiB) than is available (3.2 GiB)"
_STATUS_MESSAGES = {
    429: "too many requests, please try again later",
    500: "llama runner process has terminated: signal: killed",
    503: "server busy, please try again.  maximum pending requests exceeded",
}

_OPENING = "Today we are going to talk about {topic}."
_MIDDLE = (
    "To understand {topic}, it helps to start with a simple question.",
    "Many people meet {topic} long before they learn its name.",
    "The central idea behind {topic} is easier to grasp than it first appears.",
    "Let us look at an example that shows {topic} at work.",
    "Notice how each step follows naturally from the one before it.",
    "People have argued about {topic} for a long time, and the arguments taught us a great deal.",
    "When you think about {topic}, try to picture where it shows up in your own life.",
    "This is the point where {topic} becomes genuinely interesting.",
    "Keep that picture in mind as we move on to the next idea.",
    "A good way to check your understanding is to explain {topic} to a friend in a few sentences.",
)
_CLOSING = "Thank you for listening, and I hope {topic} now feels a little more familiar."
_SENTENCES_PER_PARAGRAPH = 4


# --- the "model" ---------------------------------------------------------------------------------------------------


def lecture_text(topic: str, words: int) -> str:
    """A lecture of about ``words`` words on ``topic``: plain paragraphs, always the same for the same inputs."""
    sentences = [_OPENING.format(topic=topic)]
    closing = _CLOSING.format(topic=topic)
    count = _word_count(sentences[0]) + _word_count(closing)
    index = 0
    while count < words:
        sentence = _MIDDLE[index % len(_MIDDLE)].format(topic=topic)
        sentences.append(sentence)
        count += _word_count(sentence)
        index += 1
    sentences.append(closing)
    size = _SENTENCES_PER_PARAGRAPH
    return "\n\n".join(" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size))


def topic_of(prompt: str) -> str:
    """The lecture's topic: a ``Topic:`` line if the prompt has one, else its first line; short and speakable."""
    match = re.search(r"(?im)^\s*topic\s*:\s*(.+)$", prompt)
    line = match.group(1) if match else next((s for s in prompt.splitlines() if s.strip()), "")
    words = re.sub(r"[<>&\x00-\x1f\x7f]", " ", line).split()[:12]
    return " ".join(words).rstrip(".!?:;,") or "this subject"


def words_asked(*texts: str) -> int:
    """The first "<number> words" in the prompts (system first), or DEFAULT_WORDS when none asks for a length."""
    for text in texts:
        match = re.search(r"(\d[\d,]*)\s*(?:-\s*)?words?\b", text or "", re.IGNORECASE)
        if match:
            return max(1, min(_MAX_WORDS, int(match.group(1).replace(",", ""))))
    return DEFAULT_WORDS


def _word_count(text: str) -> int:
    return len(text.split())


def _tokens(text: str) -> int:
    return round(_word_count(text) * TOKENS_PER_WORD)


def _limit_tokens(text: str, num_predict: Any) -> tuple[str, str]:
    """Cut ``text`` at ``num_predict`` tokens as a model does; returns (text, done_reason)."""
    if not isinstance(num_predict, int) or isinstance(num_predict, bool) or num_predict < 0:
        return text, "stop"
    if _tokens(text) <= num_predict:
        return text, "stop"
    words = text.split(" ")
    return " ".join(words[: int(num_predict / TOKENS_PER_WORD)]), "length"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(model: str) -> str:
    """Ollama's model names: a name without a tag means ``:latest``."""
    return model if ":" in model else f"{model}:latest"


class _Problem(Exception):
    """A request Ollama refuses: the status and message to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message


# --- requests ------------------------------------------------------------------------------------------------------


def _parse_request(raw: bytes, path: str) -> tuple[dict[str, Any], str, str]:
    """Validate a generate or chat body as Ollama does; returns (body, system, prompt)."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise _Problem(400, f"invalid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise _Problem(400, "json: cannot unmarshal non-object into Go value of type api.Request")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _Problem(400, "model is required")
    if "options" in body and not isinstance(body["options"], dict | None):
        raise _Problem(400, "options must be an object")
    if path == "/api/chat":
        return body, *_chat_prompts(body.get("messages"))
    system, prompt = body.get("system", ""), body.get("prompt", "")
    if not isinstance(system, str) or not isinstance(prompt, str):
        raise _Problem(400, "prompt and system must be strings")
    return body, system, prompt


def _chat_prompts(messages: Any) -> tuple[str, str]:
    """The system text and the last user message of a chat."""
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content", ""), str)
        for m in messages
    ):
        raise _Problem(400, "messages must be a list of objects with a role and a content")
    system = "\n".join(m.get("content", "") for m in messages if m["role"] == "system")
    users = [m.get("content", "") for m in messages if m["role"] == "user"]
    return system, users[-1] if users else ""


def _accounting(system: str, prompt: str, content: str) -> dict[str, Any]:
    """Token counts and durations (ns) as Ollama reports them, derived from the texts so they are reproducible."""
    prompt_eval = _tokens(system) + _tokens(prompt) + 10  # the chat template's own tokens
    evals = _tokens(content) + 1  # the end-of-sequence token
    load, prompt_ns, eval_ns = 5_000_000, prompt_eval * 1_000_000, evals * 25_000_000
    return {
        "total_duration": load + prompt_ns + eval_ns + 1_000_000,
        "load_duration": load,
        "prompt_eval_count": prompt_eval,
        "prompt_eval_duration": prompt_ns,
        "eval_count": evals,
        "eval_duration": eval_ns,
    }


def _html_page(status: int) -> bytes:
    """An nginx-style error page, as a reverse proxy in front of Ollama answers."""
    title = f"{status} {'Bad Gateway' if status == 502 else 'Error'}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


# --- HTTP ----------------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: OllamaStandIn) -> None:
        self.standin = standin
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address, which can stall on some hosts."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client that hung up is expected here; anything else is kept for tests to inspect."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            self.standin._record_error(exc)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as the Go server
    server_version = "OllamaStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read counters, not access logs."""

    def setup(self) -> None:
        super().setup()
        self.server.standin._track(self.request)

    def finish(self) -> None:
        self.server.standin._untrack(self.request)
        super().finish()

    def do_HEAD(self) -> None:
        self._send(200 if self.path == "/" else 404, "text/plain; charset=utf-8", b"", head=True)

    def do_GET(self) -> None:
        if self.path == "/":
            self._send(200, "text/plain; charset=utf-8", b"Ollama is running")
        elif self.path == "/api/version":
            self._json(200, {"version": "0.6.3"})
        elif self.path == "/api/tags":
            self._json(200, {"models": self.server.standin._tags()})
        else:
            self._send(404, "text/plain", b"404 page not found")

    def do_POST(self) -> None:
        raw = self._read_body()
        if raw is None:
            return
        if self.path not in _GENERATION_ENDPOINTS:
            self._send(404, "text/plain", b"404 page not found")
            return
        standin = self.server.standin
        behaviour = standin._begin()
        self._pace = None
        try:
            if behaviour and self._misbehave(behaviour):
                return
            self._generate(raw, empty=behaviour == ("empty",))
        except _Problem as problem:
            self._json(problem.status, {"error": problem.message})
        finally:
            standin._end()

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > _MAX_BODY:
            self._json(413 if length.isdigit() else 400, {"error": "bad request body length"})
            self.close_connection = True
            return None
        return self.rfile.read(int(length))

    def _generate(self, raw: bytes, *, empty: bool) -> None:
        """Answer a valid request for a pulled model with the lecture, whole or streamed."""
        standin = self.server.standin
        body, system, prompt = _parse_request(raw, self.path)
        standin._log_body(self.path, body)
        if _canonical(body["model"]) not in standin._pulled():
            raise _Problem(404, f'model "{body["model"]}" not found, try pulling it first')
        options = body.get("options") or {}
        content, reason = "", "stop"
        if not empty:
            content, reason = _limit_tokens(standin._answer_for(system, prompt), options.get("num_predict"))
        standin._generated()
        final = {"model": body["model"], "created_at": _now(), "done": True, "done_reason": reason}
        final |= _accounting(system, prompt, content)
        if body.get("stream", True) is False:
            self._json(200, {**final, **self._payload(content)})
        else:
            self._stream([*self._chunks(body["model"], content), {**final, **self._payload("")}])

    def _payload(self, text: str) -> dict[str, Any]:
        """The generated text in the endpoint's own field."""
        if self.path == "/api/chat":
            return {"message": {"role": "assistant", "content": text}}
        return {"response": text} | ({} if text else {"context": [128006, 9125, 128007, 271]})

    def _chunks(self, model: str, content: str) -> Iterator[dict[str, Any]]:
        words = content.split(" ")
        for start in range(0, len(words) if content else 0, _STREAM_WORDS):
            piece = " ".join(words[start : start + _STREAM_WORDS])
            if start + _STREAM_WORDS < len(words):
                piece += " "
            yield {"model": model, "created_at": _now(), **self._payload(piece), "done": False}

    def _misbehave(self, behaviour: tuple[Any, ...]) -> bool:
        """Apply one failure behaviour; return False when the request should then be answered (delay, empty)."""
        kind = behaviour[0]
        if kind == "delay":
            time.sleep(behaviour[1])
            return False
        if kind == "status":
            code = behaviour[1]
            message = behaviour[2] if len(behaviour) > 2 else _STATUS_MESSAGES.get(code, f"stand-in failure {code}")
            self._json(code, {"error": message})
        elif kind == "html":
            self._send(behaviour[1], "text/html", _html_page(behaviour[1]))
        elif kind == "reset":
            self._reset()
        if kind in ("stall", "slow"):
            self._pace = behaviour  # applied while the answer streams
            return False
        return kind in ("status", "html", "reset")

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no response, as a crashed server or a proxy does."""
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()
        self.close_connection = True

    def _json(self, status: int, body: Any) -> None:
        self._send(status, "application/json; charset=utf-8", json.dumps(body).encode())

    def _send(self, status: int, content_type: str, payload: bytes, *, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not head:
            self.wfile.write(payload)

    def _stream(self, objects: list[dict[str, Any]]) -> None:
        """NDJSON in chunked transfer encoding, one object per line, as the Go server streams."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pace = getattr(self, "_pace", None)
        for index, obj in enumerate(objects):
            if pace and pace[0] == "stall" and index == pace[1]:
                time.sleep(pace[2])  # the model stops producing tokens for a while, the connection stays open
            elif pace and pace[0] == "slow" and index:
                time.sleep(pace[1])  # tokens keep coming, slowly: a long draft on a modest GPU
            line = (json.dumps(obj) + "\n").encode()
            self.wfile.write(f"{len(line):X}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


# --- the stand-in --------------------------------------------------------------------------------------------------


class OllamaStandIn:
    """An Ollama server on 127.0.0.1 (free port, daemon thread), with counters and failure switches.

    Counters: ``calls`` (every generate/chat request, failed ones too), ``generations`` (answers the "model"
    produced — the work a real server would have spent, whether or not the client was still there to receive it),
    ``last_bodies`` (the last parsed body per endpoint) and ``last_body`` (the most recent of them); ``injected``
    counts the requests that met a failure behaviour, queued or random, and ``injections`` lists those behaviours.
    Set ``answer`` to make the model say exactly that (e.g. markdown, to test cleanup); ``models`` is what is pulled.
    """

    def __init__(self, models: Iterable[str] = ("llama3:8b",), *, answer: str | None = None) -> None:
        self.models: set[str] = set(models)
        self.answer = answer
        self._faults = FailurePlan(_ARITY, DEFAULT_FAILURE_MIX)
        self._lock = self._faults.lock
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # Lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> OllamaStandIn:
        """Listen on a free 127.0.0.1 port; returns self so ``OllamaStandIn().start()`` reads naturally."""
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="ollama-standin", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut kept-alive connections, so a pooled client sees the server gone, as in reality."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> OllamaStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """The value for OLLAMA_HOST."""
        if self._server is None:
            raise RuntimeError("the Ollama stand-in is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

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

    def fail_rate(self, p: float, seed: int = 0, behaviours: Iterable[tuple[Any, ...]] | None = None) -> None:
        """Fail a fraction ``p`` of later requests at random (reproducibly, from ``seed``) with a mix of failures.

        Queued ``fail_next`` behaviours still come first; ``p=0`` turns random failures off.
        """
        self._faults.set_rate(p, seed, behaviours)

    def reset(self) -> None:
        """Zero the counters, forget bodies and the ``answer`` override, and drop every queued or random failure."""
        with self._lock:
            self._calls = self._generations = 0
            self._faults.clear()
            self._bodies: dict[str, dict[str, Any]] = {}
            self._last_path: str | None = None
            self._errors: list[BaseException] = []
        self.answer = None

    # Counters -----------------------------------------------------------------------------------------------

    @property
    def calls(self) -> int:
        with self._lock:
            return self._calls

    @property
    def injected(self) -> int:
        """Requests that met a failure behaviour (queued or random); a ``delay`` counts, even one a client outlasts."""
        return self._faults.injected

    @property
    def injections(self) -> list[tuple[Any, ...]]:
        """The behaviours requests met, in arrival order."""
        return self._faults.injections

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

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions inside the stand-in (not clients hanging up); tests can assert it is empty."""
        with self._lock:
            return list(self._errors)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no request is being handled (e.g. a delayed one the client gave up on); False on timeout."""
        return self._faults.wait_idle(timeout)

    # Called by the handler ----------------------------------------------------------------------------------

    def _begin(self) -> tuple[Any, ...] | None:
        """Count a generation request and pick the failure behaviour it meets, if any."""
        with self._lock:
            self._calls += 1
            return self._faults.begin()

    def _end(self) -> None:
        self._faults.end()

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
        return {_canonical(model) for model in self.models}

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

    def _record_error(self, exc: BaseException | None) -> None:
        if exc is not None:
            with self._lock:
                self._errors.append(exc)
