"""Zyphra's text-to-speech API as the stand-in speaks it: the endpoint, what a request may hold, how it is refused.

The real API validates requests with FastAPI (a 422 naming the field), sits behind Cloudflare (HTML error pages) and
answers raw audio; the stand-in (``zyphra.py``) refuses and fails the same ways. The failure kinds it can perform are
listed here with their sizes, the HTTP side (``zyphra_http.py``) performs them.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from lecturer_pipeline.standins.espeak import MAX_SECONDS
from lecturer_pipeline.standins.faults import HTTP_FAILURE_KINDS

__all__ = ["DEFAULT_FAILURE_MIX", "ENDPOINT", "MAX_SECONDS", "cloudflare_page", "validate_request"]

ENDPOINT = "/v1/audio/text-to-speech"
LANGUAGES = ("en-us", "fr-fr", "de", "ja", "ko", "cmn")  # espeak-ng has a voice of the same name for each
MIME_TYPES = ("audio/webm", "audio/ogg", "audio/wav", "audio/mp3", "audio/mp4")
MODELS = ("zonos-v0.1-transformer", "zonos-v0.1-hybrid")
EMOTIONS = ("happiness", "sadness", "disgust", "fear", "surprise", "anger", "other", "neutral")
_RANGES = {"speaking_rate": (5.0, 35.0), "pitch_std": (0.0, 500.0), "fmax": (0.0, 24000.0), "vqscore": (0.6, 0.8)}
_FIELDS = frozenset(
    {"text", "speaker_audio", "voice_name", "language_iso_code", "mime_type", "model", "emotion", *_RANGES}
)
MAX_BODY = 50 * 1024 * 1024

#: What ``fail_rate`` draws from: every failure that a retry can cure, none that slows a test down.
DEFAULT_FAILURE_MIX: tuple[tuple[Any, ...], ...] = (
    ("status", 429, 0),
    ("status", 500),
    ("html", 502),
    ("html", 524),
    ("reset",),
    ("garbage",),
)
#: The failure behaviours the stand-in can perform, with the tuple sizes each may have (see ``fail_next``).
FAILURE_KINDS = {**HTTP_FAILURE_KINDS, "garbage": (1,), "garble": (1, 2), "wrongvoice": (1,)}
# 200 OK with bad audio, as open TTS models fail: other words (``("garble",)``), only the first half of the text
# (``("garble", "half")``), or the right words in a clearly different voice (``("wrongvoice",)``).
OTHER_WORDS = "The quick brown fox jumps over the lazy dog while seven bakers sing about purple mountains."
WRONG_VOICE_VARIANT = "f3"  # an espeak-ng voice variant far from the default (similarity ~0.7, see the README)
_CLOUDFLARE_TITLES = {502: "Bad gateway", 520: "Web server is returning an unknown error", 524: "A timeout occurred"}


class RequestProblem(Exception):
    """A request the API refuses: carries the status and JSON body to answer with."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def _field_error(field: str, message: str, kind: str = "value_error") -> RequestProblem:
    """A 422 naming the field, shaped like FastAPI's validation errors."""
    return RequestProblem(422, {"detail": [{"loc": ["body", field], "msg": message, "type": kind}]})


def validate_request(body: Any) -> dict[str, Any]:
    """Check a request body as the real API does; return it with defaults filled in or raise a 422 problem."""
    if not isinstance(body, dict):
        raise RequestProblem(422, {"detail": "request body must be a JSON object"})
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


def parse_body(raw: bytes) -> Any:
    """The JSON body, or None when it is not JSON (validation then refuses it with a 422)."""
    try:
        return json.loads(raw)
    except ValueError:
        return None
