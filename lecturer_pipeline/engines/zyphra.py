"""Zyphra's hosted text-to-speech (Zonos models): clones the lecturer's voice from the reference clip.

The client makes exactly one HTTP call per ``synthesize``; every failure becomes a ``ServiceError`` whose
``transient`` flag (and ``retry_after``, from the Retry-After header) tells ``engines/retry.py`` whether and when
to try that call again. The pipeline persists every finished chunk, so nothing that succeeded is asked for twice.

The success body is raw audio, but proxies in front of the API (Cloudflare) answer with HTML pages, sometimes with
status 200. The first bytes are therefore checked against the magic numbers of the requested format before
anything is kept, so an error page can never be saved as a lecture's speech.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.service_messages import body_message, read_at_most, retry_after_seconds
from lecturer_pipeline.errors import InputError, ServiceError
from lecturer_pipeline.media.audio import to_wav_16k_mono, wav_duration
from lecturer_pipeline.security.transport import warn_if_plain_http
from lecturer_pipeline.text.languages import LANGUAGE_CODES
from lecturer_pipeline.text.languages import LANGUAGES as REGISTRY
from lecturer_pipeline.text.pacing import MAX_SECONDS

ENDPOINT = "/v1/audio/text-to-speech"
LANGUAGES = tuple(lang.zyphra_code for lang in REGISTRY.values())  # the API's language_iso_code values
MIME_TYPES = ("audio/webm", "audio/ogg", "audio/wav", "audio/mp3", "audio/mp4")
MODELS = ("zonos-v0.1-transformer", "zonos-v0.1-hybrid")
SPEAKING_RATE_RANGE = (5.0, 35.0)

_SUFFIXES = {"audio/webm": ".webm", "audio/ogg": ".ogg", "audio/wav": ".wav", "audio/mp3": ".mp3", "audio/mp4": ".m4a"}
_HEAD_BYTES = 12  # enough for every magic number below (mp4's "ftyp" ends at byte 8, WAV's "WAVE" at 12)
_ERROR_BODY_BYTES = 64 * 1024  # an error page is read only this far: enough for its message, never a flood
_PERMANENT_ADVICE = {
    401: "check ZYPHRA_API_KEY",
    403: "check ZYPHRA_API_KEY and that the account may use this model",
    404: "check ZYPHRA_BASE_URL (and the voice name, if one is used)",
}


def sniff_audio(head: bytes) -> str | None:
    """The audio mime type whose magic number ``head`` starts with, or None (HTML, JSON, empty, unknown)."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"  # EBML: WebM / Matroska
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mp3"  # ID3 tag, or an MPEG audio frame sync
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    return None


def _check_choice(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"Zyphra TTS does not accept {what} {value!r}; use one of: {', '.join(allowed)}")


def _check_rate(rate: float) -> None:
    low, high = SPEAKING_RATE_RANGE
    if not low <= rate <= high:
        raise ValueError(f"Zyphra TTS speaking_rate must be {low:g}–{high:g}, not {rate:g}")


class ZyphraSpeechEngine:
    """Speech in the lecturer's own voice from Zyphra's API (a SpeechEngine per ``engines/base.py``)."""

    name = "zyphra"
    licence = "Zyphra API terms (Zonos models Apache-2.0)"
    clones_voice = True
    max_seconds = MAX_SECONDS  # the model stops there, silently (text/pacing.py)

    def __init__(
        self,
        api_key: str,
        base_url: str = "http://api.zyphra.com",
        *,
        model: str = "zonos-v0.1-transformer",
        mime_type: str = "audio/webm",
        speaking_rate: float = 15,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("Zyphra TTS needs an API key; set ZYPHRA_API_KEY")
        _check_choice("model", model, MODELS)
        _check_choice("mime_type", mime_type, MIME_TYPES)
        _check_rate(speaking_rate)
        self._api_key = api_key  # private, and kept out of repr, params and every message
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.mime_type = mime_type
        self.speaking_rate = speaking_rate
        self.timeout = timeout
        self._transport = transport
        warn_if_plain_http(
            self.base_url, secret="the Zyphra API key and the speaker's voice", variable="ZYPHRA_BASE_URL"
        )

    def __repr__(self) -> str:
        return f"ZyphraSpeechEngine(base_url={self.base_url!r}, model={self.model!r}, mime_type={self.mime_type!r})"

    def params(self) -> dict[str, Any]:
        """What changes the audio (and so the artefact's input hash); the key and URL do not, and are left out."""
        return {"model": self.model, "mime_type": self.mime_type, "speaking_rate": self.speaking_rate}

    def synthesize(self, text: str, profile: SpeakerProfile, dst_wav: Path, *, language: str) -> float:
        """Speak ``text`` in the profile's voice into a 16 kHz mono WAV at ``dst_wav``; return its seconds.

        Raises ValueError for a request the API would refuse anyway (so no call is spent on it) and ServiceError
        for anything the service does wrong.
        """
        body = self.request_body(text, profile, language=language)
        dst_wav = Path(dst_wav)
        with tempfile.TemporaryDirectory(dir=dst_wav.parent, prefix=".zyphra-") as work:
            encoded = Path(work) / f"speech{_SUFFIXES[self.mime_type]}"
            self._download(body, encoded)
            self._convert(encoded, dst_wav)
        seconds = wav_duration(dst_wav)
        if seconds <= 0:
            dst_wav.unlink(missing_ok=True)
            raise ServiceError("Zyphra TTS returned audio with no samples; retry later", transient=True)
        return seconds

    def request_body(self, text: str, profile: SpeakerProfile, *, language: str) -> dict[str, Any]:
        """The JSON body, with only the fields that are set, after refusing locally what the API would refuse."""
        if not text.strip():
            raise ValueError("nothing to speak: the text is empty")
        _check_choice("language_iso_code", language, LANGUAGE_CODES)
        if not profile.speaker_audio_b64:
            raise ValueError(f"speaker {profile.speaker!r} has no reference clip: nothing to clone")
        body: dict[str, Any] = {"text": text, "speaker_audio": profile.speaker_audio_b64}
        body |= {
            "speaking_rate": self.speaking_rate,
            "language_iso_code": REGISTRY[language].zyphra_code,
            "mime_type": self.mime_type,
            "model": self.model,
        }
        return body

    def _download(self, body: dict[str, Any], dst: Path) -> None:
        """POST the request and stream the audio into ``dst``; every failure becomes a ServiceError."""
        headers = {"X-API-Key": self._api_key, "Content-Type": "application/json"}
        try:
            with (
                httpx.Client(timeout=self.timeout, transport=self._transport) as client,
                client.stream("POST", self.base_url + ENDPOINT, headers=headers, content=json.dumps(body)) as response,
            ):
                if response.status_code != 200:
                    raise self._status_error(response)
                self._save_audio(response, dst)
        except httpx.TimeoutException as exc:
            raise ServiceError(
                f"Zyphra TTS did not answer within {self.timeout:g} s ({type(exc).__name__}); retry later",
                transient=True,
            ) from None  # the message says it all; a chained cause could carry what the service echoed
        except httpx.TransportError as exc:
            raise ServiceError(
                f"Zyphra TTS connection failed ({type(exc).__name__}: {self._scrub(str(exc)) or 'no detail'}); "
                "retry later",
                transient=True,
            ) from None

    def _save_audio(self, response: httpx.Response, dst: Path) -> None:
        """Write the body to ``dst`` chunk by chunk, but only once its first bytes prove it is the audio asked for."""
        chunks = response.iter_bytes()
        head = b""
        for chunk in chunks:
            head += chunk
            if len(head) >= _HEAD_BYTES:
                break
        found = sniff_audio(head)
        if found != self.mime_type:
            raise self._not_audio(response, head + b"".join(read_at_most(chunks, _ERROR_BODY_BYTES)), found)
        with dst.open("wb") as out:
            out.write(head)
            for chunk in chunks:
                out.write(chunk)

    def _not_audio(self, response: httpx.Response, head: bytes, found: str | None) -> ServiceError:
        """A 200 whose body (``head``: its first bytes) is not the requested audio: a proxy's error page, so retry."""
        if not head:
            what = "an empty body"
        elif found:
            what = f"{found} audio"
        else:
            content_type = response.headers.get("content-type", "none")
            what = f"a body that is not audio (Content-Type {content_type}: {self._detail(head) or 'no text'})"
        return ServiceError(
            f"Zyphra TTS answered 200 with {what} instead of {self.mime_type} audio; nothing was saved, retry later",
            transient=True,
        )

    def _status_error(self, response: httpx.Response) -> ServiceError:
        """Map a non-200 answer: 429 and 5xx are worth a retry, the rest are not (the request itself is wrong)."""
        status = response.status_code
        raw = b"".join(read_at_most(response.iter_bytes(), _ERROR_BODY_BYTES))
        detail = self._detail(raw) or response.reason_phrase or "no message"
        transient = status == 429 or status >= 500
        if transient:
            advice = "retry later"
        elif 300 <= status < 400:
            location = response.headers.get("location")
            advice = f"set ZYPHRA_BASE_URL to {self._scrub(location)}" if location else "check ZYPHRA_BASE_URL"
        else:
            advice = _PERMANENT_ADVICE.get(status, "the request was refused; fix it before running again")
        return ServiceError(
            f"Zyphra TTS returned HTTP {status}: {detail}; {advice}",
            transient=transient,
            retry_after=retry_after_seconds(response.headers.get("retry-after")) if transient else None,
        )

    def _detail(self, raw: bytes) -> str:
        """The service's own message from an error body, without the API key."""
        return body_message(raw, self._scrub)

    def _convert(self, encoded: Path, dst_wav: Path) -> None:
        """Decode to the pipeline's WAV; audio that passed the magic check but will not decode was cut short."""
        try:
            to_wav_16k_mono(encoded, dst_wav)
        except InputError as exc:
            raise ServiceError(
                f"Zyphra TTS returned {self.mime_type} audio that cannot be decoded ({exc.message}); retry later",
                transient=True,
            ) from None

    def _scrub(self, text: str) -> str:
        """Remove the API key from anything that may reach a message or log (a service may echo it back)."""
        return text.replace(self._api_key, "***")
