"""The Zyphra TTS client: what it sends, how each failure maps to a transient or permanent ServiceError, and that
the API key never leaks — first against canned answers (``httpx.MockTransport``), then on the wire against the
stand-in, which validates requests like the real API and answers with real audio."""

from __future__ import annotations

import base64
import email.utils
import io
import json
import logging
import math
import struct
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.retry import CallRetry, Retrying
from lecturer_pipeline.engines.zyphra import ENDPOINT, ZyphraSpeechEngine, sniff_audio
from lecturer_pipeline.errors import ServiceError
from lecturer_pipeline.media.audio import SAMPLE_RATE, wav_duration
from lecturer_pipeline.standins.zyphra import ZyphraStandIn

KEY = "zsk-unit-SECRET-4f9a2c"
SENTENCE = "Good morning, everyone. Today we meet the empty set."
PROFILE = SpeakerProfile("ada", "fp-1", speaker_audio_b64=base64.b64encode(b"RIFF-ada-reference-clip").decode())
Handler = Callable[[httpx.Request], httpx.Response]


def _tone_wav(seconds: float = 0.5, rate: int = 22050) -> bytes:
    """A real WAV (a 440 Hz tone) for canned success answers."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buffer.getvalue()


def _engine(handler: Handler, **options) -> ZyphraSpeechEngine:
    return ZyphraSpeechEngine(KEY, "http://zyphra.test", transport=httpx.MockTransport(handler), **options)


def _fail(handler: Handler, tmp_path: Path, **options) -> ServiceError:
    """Run one synthesis that must fail; check nothing was left behind and the key is nowhere in the error."""
    with pytest.raises(ServiceError) as caught:
        _engine(handler, **options).synthesize(SENTENCE, PROFILE, tmp_path / "out.wav", language="en-us")
    assert list(tmp_path.iterdir()) == [], "a failed call must leave no file behind"
    err = caught.value
    assert KEY not in str(err) and KEY not in repr(err.args)
    assert err.__cause__ is None or KEY not in str(err.__cause__)  # Dagster records the cause chain too
    return err


def _answer(status: int, content: bytes = b"", content_type: str = "application/json", **headers: str) -> Handler:
    return lambda request: httpx.Response(
        status, content=content, headers={"Content-Type": content_type, **headers}, request=request
    )


CLOUDFLARE_524 = (
    b"<!DOCTYPE html><html><head><title>api.zyphra.com | 524: A timeout occurred</title>"
    b"<style>body{color:red}</style><script>var x = '<b>';</script></head>"
    b"<body><h1>A timeout occurred</h1><p>Error code 524 &bull; Cloudflare</p></body></html>"
)


# --- Requests ----------------------------------------------------------------------------------------------------


def test_sends_only_the_set_fields_with_key_header_and_saves_16k_mono_wav(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=_tone_wav(), headers={"Content-Type": "audio/wav"})

    engine = _engine(handler, mime_type="audio/wav", speaking_rate=12, model="zonos-v0.1-hybrid")
    seconds = engine.synthesize(SENTENCE, PROFILE, tmp_path / "out.wav", language="fr-fr")

    (request,) = seen
    assert request.method == "POST" and request.url == "http://zyphra.test" + ENDPOINT
    assert request.headers["X-API-Key"] == KEY and request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "text": SENTENCE,
        "speaker_audio": PROFILE.speaker_audio_b64,
        "speaking_rate": 12,
        "language_iso_code": "fr-fr",
        "mime_type": "audio/wav",
        "model": "zonos-v0.1-hybrid",
    }
    with wave.open(str(tmp_path / "out.wav"), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)
    assert seconds == pytest.approx(0.5, abs=0.01)
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_params_are_what_changes_the_audio_and_never_the_key() -> None:
    engine = ZyphraSpeechEngine(KEY, mime_type="audio/ogg", speaking_rate=20)
    assert engine.params() == {"model": "zonos-v0.1-transformer", "mime_type": "audio/ogg", "speaking_rate": 20}
    assert KEY not in repr(engine) and KEY not in json.dumps(engine.params())
    assert (engine.name, engine.clones_voice) == ("zyphra", True)


@pytest.mark.parametrize(
    ("options", "call", "fragment"),
    [
        ({}, {"text": "   "}, "empty"),
        ({}, {"language": "es"}, "language_iso_code"),
        ({}, {"profile": SpeakerProfile("ada", "fp")}, "nothing to clone"),
        ({"mime_type": "audio/flac"}, {}, "mime_type"),
        ({"model": "zonos-v2"}, {}, "model"),
        ({"speaking_rate": 4}, {}, "speaking_rate"),
        ({"speaking_rate": 36}, {}, "speaking_rate"),
    ],
)
def test_what_the_api_would_refuse_is_refused_locally_without_a_call(
    tmp_path: Path, options: dict, call: dict, fragment: str
) -> None:
    calls: list[httpx.Request] = []
    with pytest.raises(ValueError, match=fragment):
        engine = _engine(lambda request: calls.append(request) or httpx.Response(500), **options)
        engine.synthesize(
            call.get("text", SENTENCE),
            call.get("profile", PROFILE),
            tmp_path / "o.wav",
            language=call.get("language", "en-us"),
        )
    assert calls == []


# --- Error mapping -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "content_type", "transient", "fragments"),
    [
        (429, b'{"error": "Rate limit exceeded"}', "application/json", True, ["429", "Rate limit exceeded"]),
        (500, b'{"error": "model crashed"}', "application/json", True, ["500", "model crashed"]),
        (502, b"<html><title>502: Bad gateway</title></html>", "text/html", True, ["502", "Bad gateway"]),
        (503, b"Service Unavailable", "text/plain", True, ["503", "Service Unavailable"]),
        (524, CLOUDFLARE_524, "text/html", True, ["524", "A timeout occurred"]),
        (400, b'{"error": "text too long"}', "application/json", False, ["400", "text too long"]),
        (401, b'{"error": "Invalid API key"}', "application/json", False, ["Invalid API key", "ZYPHRA_API_KEY"]),
        (403, b'{"detail": "Forbidden"}', "application/json", False, ["Forbidden", "ZYPHRA_API_KEY"]),
        (404, b'{"detail": "Not Found"}', "application/json", False, ["Not Found", "ZYPHRA_BASE_URL"]),
        (
            422,
            b'{"detail": [{"loc": ["body", "speaking_rate"], "msg": "must be 5 to 35", "type": "value_error"}]}',
            "application/json",
            False,
            ["422", "speaking_rate: must be 5 to 35"],
        ),
        (418, b"", "text/plain", False, ["418", "I'm a teapot"]),
    ],
)
def test_status_codes_map_to_transient_or_permanent_with_the_services_message(
    tmp_path: Path, status: int, body: bytes, content_type: str, transient: bool, fragments: list[str]
) -> None:
    err = _fail(_answer(status, body, content_type), tmp_path)
    assert err.transient is transient
    assert str(err).startswith("Zyphra TTS")
    for fragment in fragments:
        assert fragment in str(err)
    assert "<" not in str(err) and "color:red" not in str(err) and "var x" not in str(err)


def test_a_long_error_page_is_trimmed(tmp_path: Path) -> None:
    err = _fail(_answer(502, b"<p>" + b"overloaded " * 5000 + b"</p>", "text/html"), tmp_path)
    assert len(str(err)) < 400 and "…" in str(err)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("http-date in 30 s", 30),  # made when the test runs, not when it is collected
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_is_read_in_seconds(tmp_path: Path, header: str | None, expected: float | None) -> None:
    if header == "http-date in 30 s":
        header = email.utils.formatdate(time.time() + 30, usegmt=True)
    headers = {"Retry-After": header} if header else {}
    err = _fail(_answer(429, b'{"error": "slow down"}', **headers), tmp_path)
    assert err.transient
    if expected is None:
        assert err.retry_after is None
    else:
        assert err.retry_after == pytest.approx(expected, abs=2)


def test_a_permanent_error_carries_no_retry_after(tmp_path: Path) -> None:
    assert _fail(_answer(400, b"{}", **{"Retry-After": "5"}), tmp_path).retry_after is None


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (CLOUDFLARE_524, "audio/webm", "A timeout occurred"),
        (b'{"error": "queued"}', "application/json", "queued"),
        (b"", "audio/webm", "empty body"),
        (b"OggS\x00\x02" + bytes(64), "audio/ogg", "audio/ogg audio instead of audio/webm"),
    ],
)
def test_a_200_that_is_not_the_requested_audio_is_never_saved(
    tmp_path: Path, body: bytes, content_type: str, fragment: str
) -> None:
    err = _fail(_answer(200, body, content_type), tmp_path)
    assert err.transient and fragment in str(err) and "nothing was saved" in str(err)


def test_audio_that_passes_the_magic_check_but_does_not_decode_is_transient(tmp_path: Path) -> None:
    err = _fail(_answer(200, b"\x1a\x45\xdf\xa3" + b"\x00truncated" * 10, "audio/webm"), tmp_path)
    assert err.transient and "cannot be decoded" in str(err)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_network_failures_are_transient(tmp_path: Path, exc: httpx.TransportError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    assert _fail(handler, tmp_path).transient


def test_a_redirect_is_permanent_and_names_the_setting_to_fix(tmp_path: Path) -> None:
    err = _fail(_answer(301, b"", "text/html", Location="https://api.zyphra.com" + ENDPOINT), tmp_path)
    assert not err.transient and "ZYPHRA_BASE_URL" in str(err) and "https://api.zyphra.com" in str(err)


def test_the_key_is_scrubbed_even_when_the_service_echoes_it(tmp_path: Path) -> None:
    echo = f'{{"error": "key {KEY} is revoked"}}'.encode()
    for status in (401, 422, 500):
        assert "***" in str(_fail(_answer(status, echo), tmp_path))

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"proxy refused {request.headers['X-API-Key']}")

    assert "***" in str(_fail(handler, tmp_path))


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81", "audio/webm"),
        (b"OggS\x00\x02\x00\x00\x00\x00\x00\x00", "audio/ogg"),
        (b"RIFF\x24\x08\x00\x00WAVE", "audio/wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE", "audio/mp3"),
        (b"\xff\xfb\x90\x64\x00\x00\x00\x00\x00\x00\x00\x00", "audio/mp3"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "audio/mp4"),
        (b"<!DOCTYPE html>", None),
        (b'{"error": "x"}', None),
        (b"RIFF\x24\x08\x00\x00AVI ", None),
        (b"", None),
    ],
)
def test_magic_numbers(head: bytes, mime: str | None) -> None:
    assert sniff_audio(head) == mime


# --- On the wire, against the stand-in ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[ZyphraStandIn]:
    with ZyphraStandIn() as standin:
        yield standin


@pytest.fixture
def zyphra(server: ZyphraStandIn) -> Iterator[ZyphraStandIn]:
    """The shared stand-in with zeroed counters; afterwards it must be idle, with no failure left and no error."""
    server.reset()
    yield server
    assert server.wait_idle(timeout=30)
    assert server.errors == []
    server.reset()


def _speak(zyphra: ZyphraStandIn, dst: Path, text: str = SENTENCE, language: str = "en-us", **options) -> float:
    engine = ZyphraSpeechEngine(zyphra.api_key, zyphra.base_url, **options)
    return engine.synthesize(text, PROFILE, dst, language=language)


@pytest.mark.parametrize("mime_type", ["audio/webm", "audio/ogg", "audio/wav", "audio/mp3", "audio/mp4"])
def test_every_mime_type_becomes_a_16k_mono_wav(zyphra: ZyphraStandIn, tmp_path: Path, mime_type: str) -> None:
    dst = tmp_path / "speech.wav"
    seconds = _speak(zyphra, dst, mime_type=mime_type)
    with wave.open(str(dst), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)
        frames = w.readframes(w.getnframes())
    assert seconds == pytest.approx(wav_duration(dst))
    assert 2.0 < seconds < 8.0  # nine words at a natural rate
    assert frames.count(0) < len(frames) * 0.9  # speech, not silence
    assert [p.name for p in tmp_path.iterdir()] == ["speech.wav"]
    assert (zyphra.calls, zyphra.successes) == (1, 1)


def test_speaking_rate_changes_the_length(zyphra: ZyphraStandIn, tmp_path: Path) -> None:
    slow = _speak(zyphra, tmp_path / "slow.wav", speaking_rate=8, mime_type="audio/wav")
    fast = _speak(zyphra, tmp_path / "fast.wav", speaking_rate=30, mime_type="audio/wav")
    assert slow > 1.5 * fast


@pytest.mark.parametrize(
    ("behaviour", "retry_after", "fragment"),
    [
        (("status", 429, 2), 2.0, "429"),
        (("status", 500), None, "500"),
        (("html", 502), None, "Bad gateway"),
        (("html", 524), None, "A timeout occurred"),
        (("reset",), None, "connection failed"),
        (("garbage",), None, "not audio"),
    ],
)
def test_each_failure_is_transient_and_the_next_call_succeeds(
    zyphra: ZyphraStandIn, tmp_path: Path, behaviour: tuple, retry_after: float | None, fragment: str
) -> None:
    zyphra.fail_next(behaviour)
    with pytest.raises(ServiceError) as caught:
        _speak(zyphra, tmp_path / "speech.wav")
    assert caught.value.transient and caught.value.retry_after == retry_after
    assert fragment in str(caught.value) and zyphra.api_key not in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    assert _speak(zyphra, tmp_path / "speech.wav") > 1
    assert (zyphra.calls, zyphra.successes) == (2, 1)


def test_a_slow_answer_is_a_transient_client_timeout(zyphra: ZyphraStandIn, tmp_path: Path) -> None:
    zyphra.fail_next(("delay", 1.0))
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        _speak(zyphra, tmp_path / "speech.wav", timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert caught.value.transient and "0.3 s" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_wrong_key_is_permanent_says_what_to_fix_and_never_shows_the_key(
    zyphra: ZyphraStandIn, tmp_path: Path
) -> None:
    wrong = "zsk-wrong-0123456789abcdef"
    records: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with pytest.raises(ServiceError) as caught:
            ZyphraSpeechEngine(wrong, zyphra.base_url).synthesize(
                SENTENCE, PROFILE, tmp_path / "o.wav", language="en-us"
            )
        _speak(zyphra, tmp_path / "o.wav")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    err = caught.value
    assert not err.transient and err.retry_after is None
    assert "ZYPHRA_API_KEY" in str(err) and "401" in str(err) and wrong not in str(err)
    assert records, "httpx logs its requests at DEBUG/INFO; the check below must have something to read"
    assert not any(wrong in r or zyphra.api_key in r for r in records)
    assert (zyphra.calls, zyphra.successes) == (2, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": None}, "text"),  # None: leave the field out
        ({"speaking_rate": 40}, "speaking_rate"),
        ({"speaking_rate": True}, "speaking_rate"),
        ({"language_iso_code": "es"}, "language_iso_code"),
        ({"mime_type": "audio/flac"}, "mime_type"),
        ({"model": "zonos-v2"}, "model"),
        ({"speaker_audio": "not base64!"}, "speaker_audio"),
        ({"text": ""}, "text"),
        ({"pitch_std": 900}, "pitch_std"),
        ({"emotion": {"joy": 1}}, "emotion"),
        ({"voice": "ada"}, "voice"),
    ],
)
def test_the_stand_in_validates_like_the_real_api(zyphra: ZyphraStandIn, change: dict, field: str) -> None:
    body = {"text": "Hello.", "speaking_rate": 15, "language_iso_code": "en-us", "mime_type": "audio/wav", **change}
    body = {name: value for name, value in body.items() if value is not None}
    response = httpx.post(zyphra.base_url + ENDPOINT, json=body, headers={"X-API-Key": zyphra.api_key}, timeout=10)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert zyphra.successes == 0


def test_the_stand_in_refuses_a_missing_key_and_a_non_json_body(zyphra: ZyphraStandIn) -> None:
    url = zyphra.base_url + ENDPOINT
    assert httpx.post(url, json={"text": "Hi"}, timeout=10).status_code == 401
    bad = httpx.post(url, content=b"text=Hi", headers={"X-API-Key": zyphra.api_key}, timeout=10)
    assert bad.status_code == 422 and "JSON" in bad.json()["detail"]


def test_counters_and_request_log(zyphra: ZyphraStandIn, tmp_path: Path) -> None:
    zyphra.fail_next(("status", 500))
    with pytest.raises(ServiceError):
        _speak(zyphra, tmp_path / "a.wav", text="First try.")
    _speak(zyphra, tmp_path / "a.wav", text="First try.", mime_type="audio/wav")
    _speak(zyphra, tmp_path / "b.wav", text="Second sentence.", mime_type="audio/wav")
    assert (zyphra.calls, zyphra.successes) == (3, 2)
    assert zyphra.chars_served == len("First try.") + len("Second sentence.")
    assert zyphra.texts == ["First try.", "First try.", "Second sentence."]
    assert zyphra.served_texts == ["First try.", "Second sentence."]


def test_fail_rate_is_reproducible_and_can_be_turned_off(zyphra: ZyphraStandIn) -> None:
    """Failures strike before authentication (they come from the proxy), so a keyless call shows them cheaply."""

    def outcomes() -> list[str]:
        seen = []
        for _ in range(12):
            try:
                seen.append(str(httpx.post(zyphra.base_url + ENDPOINT, json={"text": "Hi"}, timeout=10).status_code))
            except httpx.TransportError as exc:
                seen.append(type(exc).__name__)
        return seen

    zyphra.fail_rate(0.5, seed=7)
    first = outcomes()
    zyphra.fail_rate(0.5, seed=7)
    assert outcomes() == first
    assert "401" in first and len(set(first)) > 2
    zyphra.fail_rate(0)
    assert set(outcomes()) == {"401"}
    with pytest.raises(ValueError):
        zyphra.fail_next(("explode",))


def test_latency_grows_with_the_audio_produced(tmp_path: Path) -> None:
    with ZyphraStandIn(latency=0.1, latency_per_audio_second=0.1) as slow:
        started = time.monotonic()
        seconds = _speak(slow, tmp_path / "speech.wav", mime_type="audio/wav")
        assert time.monotonic() - started >= 0.1 + 0.1 * seconds * 0.95


def test_a_retried_call_waits_exactly_the_retry_after_or_a_jittered_back_off(
    zyphra: ZyphraStandIn, tmp_path: Path
) -> None:
    """README: a transient failure is retried "waiting LECTURER_CALL_RETRY_DELAY_SECONDS × 2ⁿ with ±50 % jitter, or
    exactly what the service said (Retry-After)". Real HTTP answers from the stand-in; the waits are measured through
    the policy's injected sleep, with the real random jitter."""
    waits: list[float] = []
    policy = CallRetry(retries=3, base_delay=2.0, sleep=waits.append)
    engine = Retrying(ZyphraSpeechEngine(zyphra.api_key, zyphra.base_url), policy, lambda line: None)

    zyphra.fail_next(("status", 429, 7), ("status", 429, 3))
    assert engine.synthesize(SENTENCE, PROFILE, tmp_path / "a.wav", language="en-us") > 1
    assert waits == [7.0, 3.0], "the Retry-After seconds, exactly, whatever the back-off would be"

    backoffs: list[list[float]] = []
    for attempt in range(4):
        waits.clear()
        zyphra.fail_next(("status", 503), ("html", 502))
        engine.synthesize(SENTENCE, PROFILE, tmp_path / f"b{attempt}.wav", language="en-us")
        assert 1.0 <= waits[0] <= 3.0 and 2.0 <= waits[1] <= 6.0, f"2 s × 2ⁿ ± 50 %: {waits}"
        backoffs.append(list(waits))
    assert len({first for first, _ in backoffs}) > 1, "jittered: four first waits are not all the same"
    assert zyphra.successes == 5 and zyphra.calls == 5 + 2 + 4 * 2
