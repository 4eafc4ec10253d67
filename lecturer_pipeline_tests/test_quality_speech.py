"""The speech checks on real audio: the embedded engine's own output passes; other words, half the text, another
voice, a long dropout and clipping fail; a language without a recogniser says so instead of passing silently."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.local import EspeakSpeechEngine
from lecturer_pipeline.engines.zyphra import ZyphraSpeechEngine
from lecturer_pipeline.quality import sound
from lecturer_pipeline.quality import thresholds as t
from lecturer_pipeline.quality.speech import SpeechChecker
from lecturer_pipeline.standins.zyphra import ZyphraStandIn

TEXT = "Two sets are equal when they have the same members. Order does not matter."
PROFILE = SpeakerProfile(speaker="ada", fingerprint="f" * 64)


def _espeak(text: str, dst: Path, **kwargs) -> Path:
    EspeakSpeechEngine().synthesize(text, PROFILE, dst, language=kwargs.get("language", "en-us"))
    return dst


def test_the_embedded_engines_own_speech_passes(tmp_path: Path) -> None:
    checker = SpeechChecker(EspeakSpeechEngine(), PROFILE, "en-us", tmp_path)
    verdict = checker.check(0, TEXT, _espeak(TEXT, tmp_path / "good.wav"))
    assert verdict.passed, verdict.problems
    assert verdict.wer is not None and verdict.wer <= t.MAX_WER
    assert verdict.similarity is None  # espeak-ng clones nothing: no similarity is claimed


def test_other_words_or_half_the_text_fail(tmp_path: Path) -> None:
    checker = SpeechChecker(EspeakSpeechEngine(), PROFILE, "en-us", tmp_path)
    other = checker.check(0, TEXT, _espeak("The quick brown fox jumps over the lazy dog again.", tmp_path / "o.wav"))
    half = checker.check(1, TEXT, _espeak("Two sets are equal when they", tmp_path / "h.wav"))
    assert not other.passed and any("says other words" in problem for problem in other.problems)
    assert not half.passed and any("per character" in problem for problem in half.problems)


def test_a_language_without_a_recogniser_is_reported_not_passed_silently(tmp_path: Path) -> None:
    checker = SpeechChecker(EspeakSpeechEngine(), PROFILE, "de", tmp_path)
    verdict = checker.check(0, "Zwei Mengen sind gleich.", _espeak("Zwei Mengen sind gleich.", tmp_path / "de.wav"))
    assert verdict.wer is None
    assert "WER not available for de" in verdict.notes


def _tone_with_gap(dst: Path, *, gap: float, amplitude: float) -> Path:
    rate = 16000
    burst = amplitude * np.sin(2 * np.pi * 200 * np.arange(rate) / rate)
    samples = np.concatenate([burst, np.zeros(int(gap * rate)), burst])
    with wave.open(str(dst), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return dst


def test_a_long_inner_silence_and_clipping_are_problems(tmp_path: Path) -> None:
    text = "x" * 60
    dropout = sound.measure(_tone_with_gap(tmp_path / "gap.wav", gap=2.5, amplitude=0.3), text)
    clipped = sound.measure(_tone_with_gap(tmp_path / "clip.wav", gap=0.2, amplitude=3.0), text)
    assert any("silence of 2.5 s" in p for p in sound.problems(dropout, "espeak-ng"))
    assert any("clipped" in p for p in sound.problems(clipped, "espeak-ng"))
    assert not any("clipped" in p for p in sound.problems(dropout, "espeak-ng"))


@pytest.fixture(scope="module")
def zyphra():
    with ZyphraStandIn() as server:
        yield server


def test_a_cloning_engine_answering_in_another_voice_fails(tmp_path: Path, sample_media, zyphra) -> None:
    import base64

    profile = SpeakerProfile(
        "ada", "a" * 64, speaker_audio_b64=base64.b64encode(sample_media["voice"].read_bytes()).decode()
    )
    engine = ZyphraSpeechEngine(zyphra.api_key, zyphra.base_url, mime_type="audio/wav")
    checker = SpeechChecker(engine, profile, "en-us", tmp_path)
    engine.synthesize(TEXT, profile, tmp_path / "same.wav", language="en-us")
    zyphra.fail_next(("wrongvoice",))
    engine.synthesize(TEXT, profile, tmp_path / "other.wav", language="en-us")
    same, other = checker.check(0, TEXT, tmp_path / "same.wav"), checker.check(1, TEXT, tmp_path / "other.wav")
    assert same.passed, same.problems
    assert same.similarity is not None and same.similarity >= t.MIN_SIMILARITY
    assert not other.passed and other.similarity is not None and other.similarity < t.MIN_SIMILARITY
    assert other.wer is not None and other.wer <= t.MAX_WER  # the right words, the wrong voice


def test_chunks_made_before_a_failure_are_kept_for_the_retry(tmp_path: Path, sample_media, zyphra) -> None:
    """Chunk 2 is still being checked (beside chunk 3's request) when chunk 3 fails: it is stored all the same."""
    import base64
    import hashlib

    from lecturer_pipeline.errors import ServiceError
    from lecturer_pipeline.model import LectureScript
    from lecturer_pipeline.stages.speech import synthesize_speech
    from lecturer_pipeline.storage.catalog import Catalog
    from lecturer_pipeline.storage.layout import speech_chunks_prefix
    from lecturer_pipeline.storage.local import LocalObjectStore

    text = "Sets are collections.\n\nTwo sets can be equal.\n\nOrder does not matter at all."
    script = LectureScript(
        "cs101--sets", "cs101", "Sets", "ada", "en-us", text, hashlib.sha256(text.encode()).hexdigest()
    )
    profile = SpeakerProfile(
        "ada", "a" * 64, speaker_audio_b64=base64.b64encode(sample_media["voice"].read_bytes()).decode()
    )
    store, catalog = LocalObjectStore(tmp_path / "objects"), Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    engine = ZyphraSpeechEngine(zyphra.api_key, zyphra.base_url, mime_type="audio/wav")
    zyphra.reset()
    zyphra.fail_next(("delay", 0), ("delay", 0), ("status", 400))
    with pytest.raises(ServiceError):
        synthesize_speech(store, catalog, engine, script, profile, tmp_path, fps=25, quality=True)
    assert len(list(store.list(speech_chunks_prefix(script.lecture_id)))) == 2
    catalog.dispose()
