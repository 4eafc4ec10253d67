"""The Zyphra stand-in on the wire: an HTTP/1.0 server answering ``POST /v1/audio/text-to-speech`` as the API does.

Auth first (``X-API-Key``), then validation, then raw audio bytes; or one of the queued failure behaviours: a status
with JSON, a Cloudflare page, a TCP reset, HTML sent as audio, or 200 OK with bad audio (other words, half the text,
another voice).
"""

from __future__ import annotations

import json
import secrets
import socket
import struct
import subprocess
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from lecturer_pipeline.standins.clock import ServiceClock
from lecturer_pipeline.standins.http_standin import StandInHTTPServer
from lecturer_pipeline.standins.zyphra_audio import speak
from lecturer_pipeline.standins.zyphra_protocol import (
    ENDPOINT,
    MAX_BODY,
    MIME_TYPES,
    OTHER_WORDS,
    WRONG_VOICE_VARIANT,
    RequestProblem,
    cloudflare_page,
    parse_body,
    validate_request,
)

if TYPE_CHECKING:
    from lecturer_pipeline.standins.zyphra import ZyphraStandIn


class _Handler(BaseHTTPRequestHandler):
    server: ZyphraHTTPServer
    server_version = "ZyphraStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read counters, not access logs."""

    def do_GET(self) -> None:
        self._json(405 if self.path == ENDPOINT else 404, {"detail": "Method Not Allowed"})

    def do_POST(self) -> None:
        standin = self.server.standin
        raw = self._read_body()
        if raw is None:
            return
        body = parse_body(raw)
        behaviour = standin._begin(body.get("text") if isinstance(body, dict) else None)
        try:
            if behaviour and self._misbehave(behaviour, body):
                return
            self._serve(body)
        finally:
            standin._end()

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._json(411, {"detail": "Content-Length required"})
            return None
        if int(length) > MAX_BODY:
            self._json(413, {"detail": "request body too large"})
            return None
        return self.rfile.read(int(length))

    def _serve(self, body: Any, *, say: str | None = None, variant: str | None = None) -> None:
        """Answer as the real API: auth, then validation, then raw audio bytes (of ``say`` instead of the text, or
        in another voice ``variant``, for the bad-audio behaviours)."""
        standin = self.server.standin
        if self.path != ENDPOINT:
            self._json(404, {"detail": "Not Found"})
            return
        if not secrets.compare_digest(self.headers.get("X-API-Key", ""), standin.api_key):
            self._json(401, {"error": "Invalid or missing API key"})
            return
        try:
            request = validate_request(body)
        except RequestProblem as problem:
            self._json(problem.status, problem.body)
            return
        started = ServiceClock.started()
        try:
            audio, seconds = speak(
                say or request["text"],
                language=request["language_iso_code"],
                speaking_rate=request["speaking_rate"],
                mime_type=request["mime_type"],
                encoders=standin._encoders,
                variant=variant,
            )
        except (subprocess.SubprocessError, OSError) as exc:  # a broken stand-in must show, not pass as a 200
            standin._record_error(exc)
            self._json(500, {"error": f"synthesis failed: {exc}"})
            return
        standin._served(request["text"])
        time.sleep(standin.latency + standin.latency_per_audio_second * seconds)
        if standin.clock is not None:
            standin.clock.served(started, seconds)
        self._send(200, request["mime_type"], audio)

    def _misbehave(self, behaviour: tuple[Any, ...], body: Any) -> bool:
        """Apply one failure behaviour; return False when the request should then be answered normally."""
        kind = behaviour[0]
        if kind == "delay":
            time.sleep(behaviour[1])
            return False
        if kind == "status":
            headers = {"Retry-After": str(behaviour[2])} if len(behaviour) > 2 else {}
            message = "Rate limit exceeded" if behaviour[1] == 429 else "Internal server error"
            self._json(behaviour[1], {"error": message}, headers)
        elif kind == "html":
            self._send(behaviour[1], "text/html; charset=UTF-8", cloudflare_page(behaviour[1]))
        elif kind == "garbage":
            mime = body.get("mime_type") if isinstance(body, dict) else None
            page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking</body></html>"
            self._send(200, mime if mime in MIME_TYPES else "audio/webm", page)
        elif kind == "reset":
            self._reset()
        elif kind == "garble":
            text = body.get("text") if isinstance(body, dict) and isinstance(body.get("text"), str) else ""
            words = text.split()
            self._serve(body, say=" ".join(words[: max(1, len(words) // 2)]) if behaviour[1:] else OTHER_WORDS)
        elif kind == "wrongvoice":
            self._serve(body, variant=WRONG_VOICE_VARIANT)
        return True

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no response, as an overloaded proxy does."""
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()
        self.close_connection = True

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, "application/json", json.dumps(body).encode(), headers)

    def _send(self, status: int, content_type: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class ZyphraHTTPServer(StandInHTTPServer):
    """The stand-in's server, answering with this module's handler."""

    standin: ZyphraStandIn
    handler = _Handler
