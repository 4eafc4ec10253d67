"""Speech never cut short: chunks paced below the model's 30 s cap, and cut answers asked again in halves — against
the Zyphra stand-in, which stops at 30 s as the real model does (``max_new_tokens = 86 * 30``)."""

from __future__ import annotations

import base64
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.local import PreviewVideoEngine
from lecturer_pipeline.engines.zyphra import ZyphraSpeechEngine
from lecturer_pipeline.media.audio import wav_duration
from lecturer_pipeline.model import LectureScript
from lecturer_pipeline.stages.speaking import max_chunk_chars, speak_fully, split_in_two
from lecturer_pipeline.stages.speech import synthesize_speech
from lecturer_pipeline.standins.zyphra import MAX_SECONDS, ZyphraStandIn
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.text.chunks import MAX_CHUNK_CHARS
from lecturer_pipeline.text.pacing import (
    CHARS_PER_PHONEME,
    SAMPLES,
    answer_problem,
    chars_per_second,
    chunk_chars,
)

PROFILE = SpeakerProfile("ada", "fp-1", speaker_audio_b64=base64.b64encode(b"RIFF-ada-reference-clip").decode())
SENTENCES = [
    "A set is a collection of distinct objects, called its elements or members.",
    "We write a set by listing its elements between curly braces, separated by commas.",
    "Two sets are equal when they have exactly the same elements, whatever their order.",
    "The empty set has no elements at all, and it is a subset of every other set.",
    "A subset of a set holds only elements that also belong to the larger set.",
    "The union of two sets holds every element that belongs to either one of them.",
    "The intersection of two sets holds the elements that belong to both of them.",
]
PARAGRAPH = " ".join(SENTENCES)  # ~540 characters: one paragraph, ~70 s at speaking rate 8


@pytest.fixture(scope="module")
def zyphra() -> Iterator[ZyphraStandIn]:
    with ZyphraStandIn() as server:
        yield server


def _engine(zyphra: ZyphraStandIn, rate: float) -> ZyphraSpeechEngine:
    return ZyphraSpeechEngine(zyphra.api_key, zyphra.base_url, mime_type="audio/wav", speaking_rate=rate)


def _espeak_seconds(text: str, rate: float, tmp_path: Path) -> float:
    """How long the stand-in's voice takes for ``text`` uncut (espeak-ng at the stand-in's words per minute)."""
    wav = tmp_path / "uncut.wav"
    wpm = max(80, min(450, round(160 * rate / 15)))
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(wpm), "-w", str(wav), text], check=True)
    with wave.open(str(wav), "rb") as w:
        return w.getnframes() / w.getframerate()


def test_the_old_fixed_chunk_loses_its_end_at_rate_8(zyphra: ZyphraStandIn, tmp_path: Path) -> None:
    """Why the pacing exists: 400 characters at rate 8 need ~50 s; the model answers 30 s and says nothing."""
    text = PARAGRAPH[:MAX_CHUNK_CHARS].rsplit(" ", 1)[0]
    seconds = _engine(zyphra, 8).synthesize(text, PROFILE, tmp_path / "cut.wav", language="en-us")
    assert seconds == pytest.approx(MAX_SECONDS, abs=0.05)
    assert _espeak_seconds(text, 8, tmp_path) > 40
    assert "cap" in (answer_problem(text, seconds, language="en-us", speaking_rate=8) or "")


def test_a_cut_answer_is_asked_again_in_halves_and_nothing_is_lost(zyphra: ZyphraStandIn, tmp_path: Path) -> None:
    text = " ".join(SENTENCES[:4])  # ~320 characters: ~39 s at rate 8, each half (two sentences) ~20 s
    assert _espeak_seconds(text, 8, tmp_path) > MAX_SECONDS + 1
    zyphra.reset()
    lines: list[str] = []
    dst = tmp_path / "chunk.wav"
    calls = speak_fully(_engine(zyphra, 8), text, PROFILE, dst, language="en-us", log=lines.append)
    halves = split_in_two(text)
    assert halves is not None and calls == 3
    assert zyphra.served_texts == [text, *halves], "the whole text once (cut), then each half"
    assert wav_duration(dst) > MAX_SECONDS + 5 and wav_duration(dst) >= 0.95 * _espeak_seconds(text, 8, tmp_path)
    assert "not kept" in lines[0] and "30 s cap" in lines[0]
    assert not list(tmp_path.glob("chunk-*.wav")), "the halves are joined, then deleted"


def test_a_lecture_at_rate_8_is_planned_below_the_cap_and_keeps_every_word(
    zyphra: ZyphraStandIn, tmp_path: Path
) -> None:
    engine = _engine(zyphra, 8)
    limit = max_chunk_chars(engine, "en-us")
    assert limit == chunk_chars("en-us", 8) < MAX_CHUNK_CHARS
    assert limit / chars_per_second("en-us", 8) == pytest.approx(0.75 * MAX_SECONDS, abs=0.2)
    text = f"{PARAGRAPH}\n\n{' '.join(reversed(SENTENCES))}"  # two paragraphs, no chunk alike
    script = LectureScript("cs101--sets", "cs101", "Sets", "ada", "en-us", text, "sha-of-the-script")
    store, catalog = LocalObjectStore(tmp_path / "objects"), Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    work = tmp_path / "work"
    work.mkdir()
    zyphra.reset()
    try:
        speech = synthesize_speech(store, catalog, engine, script, PROFILE, work, fps=PreviewVideoEngine().fps)
    finally:
        catalog.dispose()
    served = zyphra.served_texts
    assert speech.details["requests"] == len(served) == speech.details["chunks"], "no answer was cut"
    assert all(len(chunk) <= limit for chunk in served)
    assert " ".join(served).split() == text.split(), "every word was asked for, once, in order"
    assert speech.duration >= 0.95 * 2 * _espeak_seconds(PARAGRAPH, 8, tmp_path)


def test_characters_per_phoneme_are_what_espeak_ng_measures() -> None:
    """The calibration behind the pacing of French, German and Korean, measured again (text/pacing.py)."""
    import unicodedata

    for language, sample in SAMPLES.items():
        ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", language, sample], capture_output=True, text=True)
        phonemes = [
            c for c in ipa.stdout if not c.isspace() and c not in "ˈˌː_,.-" and unicodedata.category(c)[0] not in "MP"
        ]
        assert len(sample) / len(phonemes) == pytest.approx(CHARS_PER_PHONEME[language], rel=0.05), language
