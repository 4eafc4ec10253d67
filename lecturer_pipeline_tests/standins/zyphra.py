"""A local stand-in for Zyphra's text-to-speech API that speaks its real HTTP protocol and makes real audio.

Why a real server and not a mocked client: the pipeline's client must be tested on the wire — headers, JSON body,
streamed raw-audio answers, status codes, HTML error pages from a proxy, reset connections and timeouts — exactly
as it meets them in production. The stand-in validates requests as the real API does (key, field names, ranges),
speaks the text with espeak-ng and encodes the requested mime type with ffmpeg, so what comes back decodes like
the real thing. Counters and queued failures let tests prove retries, resumption and that no work is re-spent.

It imports neither Dagster nor pytest, and nothing from the client under test.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lecturer_pipeline_tests.standins.faults import FailurePlan

__all__ = ["DEFAULT_FAILURE_MIX", "ENDPOINT", "ZyphraStandIn"]

ENDPOINT = "/v1/audio/text-to-speech"
LANGUAGES = ("en-us", "fr-fr", "de", "ja", "ko", "cmn")  # espeak-ng has a voice of the same name for each
MIME_TYPES = ("audio/webm", "audio/ogg", "audio/wav", "audio/mp3", "audio/mp4")
MODELS = ("zonos-v0.1-transformer", "zonos-v0.1-hybrid")
EMOTIONS = ("happiness", "sadness", "disgust", "fear", "surprise", "anger", "other", "neutral")
_RANGES = {"speaking_rate": (5.0, 35.0), "pitch_std": (0.0, 500.0), "fmax": (0.0, 24000.0), "vqscore": (0.6, 0.8)}
_FIELDS = frozenset(
    {"text", "speaker_audio", "voice_name", "language_iso_code", "mime_type", "model", "emotion", *_RANGES}
)
_MAX_BODY = 50 * 1024 * 1024
_BASE_WPM = 160  # espeak-ng words per minute at the API's default speaking_rate of 15
# The model stops at 30 s of audio (Zyphra/Zonos gradio_interface.py, commit 15e40406: max_new_tokens = 86 * 30),
# whatever the text still holds, and says nothing: the stand-in cuts its speech there too.
MAX_SECONDS = 30.0

#: What ``fail_rate`` draws from: every failure that a retry can cure, none that slows a test down.
DEFAULT_FAILURE_MIX: tuple[tuple[Any, ...], ...] = (
    ("status", 429, 0),
    ("status", 500),
    ("html", 502),
    ("html", 524),
    ("reset",),
    ("garbage",),
)
_ARITY = {
    "status": (2, 3),
    "html": (2,),
    "reset": (1,),
    "delay": (2,),
    "garbage": (1,),
    "garble": (1, 2),
    "wrongvoice": (1,),
}
# 200 OK with bad audio, as open TTS models fail: other words (``("garble",)``), only the first half of the text
# (``("garble", "half")``), or the right words in a clearly different voice (``("wrongvoice",)``).
OTHER_WORDS = "The quick brown fox jumps over the lazy dog while seven bakers sing about purple mountains."
WRONG_VOICE_VARIANT = "f3"  # an espeak-ng voice variant far from the default (similarity ~0.7, see the README)
_CLOUDFLARE_TITLES = {502: "Bad gateway", 520: "Web server is returning an unknown error", 524: "A timeout occurred"}


class _RequestProblem(Exception):
    """A request the API refuses: carries the status and JSON body to answer with."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def _field_error(field: str, message: str, kind: str = "value_error") -> _RequestProblem:
    """A 422 naming the field, shaped like FastAPI's validation errors."""
    return _RequestProblem(422, {"detail": [{"loc": ["body", field], "msg": message, "type": kind}]})


def validate_request(body: Any) -> dict[str, Any]:
    """Check a request body as the real API does; return it with defaults filled in or raise a 422 problem."""
    if not isinstance(body, dict):
        raise _RequestProblem(422, {"detail": "request body must be a JSON object"})
    for field in body:
        if field not in _FIELDS:
            raise _field_error(field, "extra fields not permitted", "extra_forbidden")
    text = body.get("text")
    if "text" not in body:
        raise _field_error("text", "field required", "missing")
    if not isinstance(text, str) or not text.strip():
        raise _field_error("text", "text must be a non-empty string")
    for field, (low, high) in _RANGES.items():
        if field in body and not _number_in(body[field], low, high):
            raise _field_error(field, f"{field} must be a number from {low:g} to {high:g}")
    for field, allowed in (("language_iso_code", LANGUAGES), ("mime_type", MIME_TYPES), ("model", MODELS)):
        if field in body and body[field] not in allowed:
            raise _field_error(field, f"{field} must be one of: {', '.join(allowed)}")
    _validate_voice(body)
    _validate_emotion(body)
    return {"speaking_rate": 15.0, "language_iso_code": "en-us", "mime_type": "audio/webm", **body}


def _number_in(value: Any, low: float, high: float) -> bool:
    """A JSON number (not a boolean, which Python counts as an int) within [low, high]."""
    return not isinstance(value, bool) and isinstance(value, int | float) and low <= value <= high


def _validate_voice(body: dict[str, Any]) -> None:
    if "speaker_audio" in body:
        audio = body["speaker_audio"]
        try:
            if not isinstance(audio, str) or not base64.b64decode(audio, validate=True):
                raise ValueError("empty")
        except (binascii.Error, ValueError) as exc:
            raise _field_error("speaker_audio", "speaker_audio must be base64-encoded audio") from exc
    if "voice_name" in body and (not isinstance(body["voice_name"], str) or not body["voice_name"].strip()):
        raise _field_error("voice_name", "voice_name must be a non-empty string")


def _validate_emotion(body: dict[str, Any]) -> None:
    if "emotion" not in body:
        return
    emotion = body["emotion"]
    if not isinstance(emotion, dict) or any(
        key not in EMOTIONS or not _number_in(v, 0, 1) for key, v in emotion.items()
    ):
        raise _field_error("emotion", f"emotion must map {', '.join(EMOTIONS)} to weights from 0 to 1")


def _encoders() -> set[str]:
    """Names of the audio encoders this ffmpeg has (so mp3 can fall back when libmp3lame is missing)."""
    listing = subprocess.run(
        ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return {parts[1] for line in listing.splitlines() if len(parts := line.split()) > 1 and parts[0].startswith("A")}


def _codec_args(mime_type: str, encoders: set[str]) -> list[str]:
    """ffmpeg output options producing ``mime_type`` as the real service sends it."""
    if mime_type in ("audio/webm", "audio/ogg"):
        container = "webm" if mime_type == "audio/webm" else "ogg"
        return ["-c:a", "libopus", "-b:a", "32k", "-ar", "48000", "-f", container]
    if mime_type == "audio/wav":
        return ["-c:a", "pcm_s16le", "-ar", "44100", "-f", "wav"]
    if mime_type == "audio/mp3":
        codec = next((c for c in ("libmp3lame", "libshine", "mp3") if c in encoders), "libmp3lame")
        return ["-c:a", codec, "-b:a", "64k", "-ar", "44100", "-f", "mp3"]
    return ["-c:a", "aac", "-b:a", "64k", "-ar", "44100", "-movflags", "+faststart", "-f", "mp4"]


def speak(
    text: str, *, language: str, speaking_rate: float, mime_type: str, encoders: set[str], variant: str | None = None
) -> tuple[bytes, float]:
    """Speak ``text`` with espeak-ng (text on stdin), cut at ``MAX_SECONDS`` as the model stops there, and encode it
    as ``mime_type``; return (bytes, seconds). ``variant`` picks another espeak-ng voice variant (a different-sounding
    speaker)."""
    wpm = max(80, min(450, round(_BASE_WPM * speaking_rate / 15)))
    voice = f"{language}+{variant}" if variant else language
    with tempfile.TemporaryDirectory(prefix="zyphra-standin-") as work:
        raw, out = Path(work) / "speech.wav", Path(work) / "speech.out"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(wpm), "-b", "1", "-w", str(raw), "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            check=True,
            timeout=120,
        )
        with wave.open(str(raw), "rb") as w:
            seconds = min(MAX_SECONDS, w.getnframes() / w.getframerate())
        command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(raw), "-ac", "1"]
        command += ["-t", f"{MAX_SECONDS:g}"]
        subprocess.run([*command, *_codec_args(mime_type, encoders), str(out)], capture_output=True, check=True)
        return out.read_bytes(), seconds


def cloudflare_page(status: int) -> bytes:
    """An HTML error page like the ones Cloudflare puts in front of the API (502 bad gateway, 524 timeout)."""
    title = _CLOUDFLARE_TITLES.get(status, "Error")
    ray = secrets.token_hex(8)
    return (
        '<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="UTF-8">'
        f"<title>api.zyphra.com | {status}: {title}</title>"
        "<style>body{font-family:sans-serif}#cf-wrapper{margin:0 auto}</style>"
        "<script>window._cf_chl_opt={cvId:'3'};</script></head>"
        f'<body><div id="cf-wrapper"><h1><span>{title}</span> <span>Error code {status}</span></h1>'
        f'<p>Visit <a href="https://www.cloudflare.com/">cloudflare.com</a> for more information.</p>'
        f"<p>Cloudflare Ray ID: <strong>{ray}</strong> &bull; Performance &amp; security by Cloudflare</p>"
        "</div></body></html>\n"
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: ZyphraStandIn) -> None:
        self.standin = standin
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client that hung up is expected here; anything else is kept for tests to inspect."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            self.standin._record_error(exc)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
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
        body = _parse(raw)
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
        if int(length) > _MAX_BODY:
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
        except _RequestProblem as problem:
            self._json(problem.status, problem.body)
            return
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


def _parse(raw: bytes) -> Any:
    """The JSON body, or None when it is not JSON (validation then refuses it with a 422)."""
    try:
        return json.loads(raw)
    except ValueError:
        return None


class ZyphraStandIn:
    """Zyphra's TTS API on 127.0.0.1 (free port, daemon thread), with counters and failure switches.

    Counters: ``calls`` (every request, failed ones too), ``successes`` (audio produced — what the real service
    would bill, whether or not the client was still there to receive it), ``chars_served`` (sum of ``len(text)``
    over successes), ``texts`` (every request's text, in arrival order) and ``served_texts`` (successes only).
    ``injected`` counts the requests that met a failure behaviour, queued or random; ``injections`` lists those
    behaviours and ``injected_texts`` the requests' texts, in the same order (so a test can tell which served text
    went to a client that had already timed out on a ``delay``).
    """

    def __init__(
        self, *, api_key: str | None = None, latency: float = 0.0, latency_per_audio_second: float = 0.0
    ) -> None:
        self.api_key = api_key or f"zsk-test-{secrets.token_urlsafe(24)}"
        self.latency = latency
        self.latency_per_audio_second = latency_per_audio_second
        self._faults = FailurePlan(_ARITY, DEFAULT_FAILURE_MIX)
        self._lock = self._faults.lock
        self._encoders: set[str] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # Lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> ZyphraStandIn:
        """Listen on a free 127.0.0.1 port; returns self so ``ZyphraStandIn().start()`` reads naturally."""
        if self._server is None:
            self._encoders = _encoders()
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="zyphra-standin", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = self._thread = None

    def __enter__(self) -> ZyphraStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Zyphra stand-in is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # Failure switches ---------------------------------------------------------------------------------------

    def fail_next(self, *behaviours: tuple[Any, ...]) -> None:
        """Queue behaviours for the next requests, one each, in order.

        ``("status", code[, retry_after_seconds])``, ``("html", code)`` (a Cloudflare-like page), ``("reset",)``,
        ``("delay", seconds)`` (then answer normally), ``("garbage",)`` (200, audio content type, HTML body),
        ``("garble",)`` / ``("garble", "half")`` (200, audio of other words / of the first half of the text) and
        ``("wrongvoice",)`` (200, the text in a clearly different espeak-ng voice).
        """
        self._faults.queue(*behaviours)

    def fail_rate(self, p: float, seed: int = 0, behaviours: Iterable[tuple[Any, ...]] | None = None) -> None:
        """Fail a fraction ``p`` of later requests at random (reproducibly, from ``seed``) with a mix of failures.

        Queued ``fail_next`` behaviours still come first; ``p=0`` turns random failures off.
        """
        self._faults.set_rate(p, seed, behaviours)

    def reset(self) -> None:
        """Zero the counters and logs and drop every queued or random failure."""
        with self._lock:
            self._calls = self._successes = self._chars = 0
            self._faults.clear()
            self._injected_texts: list[str | None] = []
            self._texts: list[str] = []
            self._served_texts: list[str] = []
            self._errors: list[BaseException] = []

    # Counters -----------------------------------------------------------------------------------------------

    @property
    def calls(self) -> int:
        with self._lock:
            return self._calls

    @property
    def successes(self) -> int:
        with self._lock:
            return self._successes

    @property
    def injected(self) -> int:
        """Requests that met a failure behaviour (queued or random); a ``delay`` counts, even one a client outlasts."""
        return self._faults.injected

    @property
    def injections(self) -> list[tuple[Any, ...]]:
        """The behaviours requests met, in arrival order."""
        return self._faults.injections

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

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions inside the stand-in (not clients hanging up); tests can assert it is empty."""
        with self._lock:
            return list(self._errors)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no request is being handled (e.g. a delayed one the client gave up on); False on timeout."""
        return self._faults.wait_idle(timeout)

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

    def _end(self) -> None:
        self._faults.end()

    def _served(self, text: str) -> None:
        with self._lock:
            self._successes += 1
            self._chars += len(text)
            self._served_texts.append(text)

    def _record_error(self, exc: BaseException | None) -> None:
        if exc is not None:
            with self._lock:
                self._errors.append(exc)
