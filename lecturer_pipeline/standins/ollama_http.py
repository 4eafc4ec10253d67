"""The Ollama stand-in on the wire: Ollama's HTTP API (``/``, ``/api/version``, ``/api/tags``, ``/api/generate``,
``/api/chat``) as the Go server answers it — HTTP/1.1 keep-alive, ``{"error": …}`` bodies, NDJSON streams in chunked
encoding — and the failure behaviours the stand-in can perform (statuses, proxy pages, resets, stalls).
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from lecturer_pipeline.standins.http_standin import StandInHTTPServer
from lecturer_pipeline.standins.ollama_model import accounting, canonical_model, limit_tokens

if TYPE_CHECKING:
    from lecturer_pipeline.standins.ollama import OllamaStandIn

_MAX_BODY = 10 * 1024 * 1024
_STREAM_WORDS = 8  # words per streamed chunk
_GENERATION_ENDPOINTS = ("/api/generate", "/api/chat")
_STATUS_MESSAGES = {
    429: "too many requests, please try again later",
    500: "llama runner process has terminated: signal: killed",
    503: "server busy, please try again.  maximum pending requests exceeded",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def _html_page(status: int) -> bytes:
    """An nginx-style error page, as a reverse proxy in front of Ollama answers."""
    title = f"{status} {'Bad Gateway' if status == 502 else 'Error'}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


# --- HTTP ----------------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: OllamaHTTPServer
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
        if canonical_model(body["model"]) not in standin._pulled():
            raise _Problem(404, f'model "{body["model"]}" not found, try pulling it first')
        options = body.get("options") or {}
        content, reason = "", "stop"
        if not empty:
            content, reason = limit_tokens(standin._answer_for(system, prompt), options.get("num_predict"))
        standin._generated()
        final = {"model": body["model"], "created_at": _now(), "done": True, "done_reason": reason}
        final |= accounting(system, prompt, content)
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


class OllamaHTTPServer(StandInHTTPServer):
    """The stand-in's server, answering with this module's handler."""

    standin: OllamaStandIn
    handler = _Handler
