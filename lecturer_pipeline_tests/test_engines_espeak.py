"""The embedded default's espeak-ng voice: every mapped language speaks, and failures are explicit."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest

from lecturer_pipeline.engines import espeak
from lecturer_pipeline.engines.espeak import ESPEAK_VOICES, synthesize
from lecturer_pipeline.media.audio import SAMPLE_RATE, wav_duration

SAMPLES = {
    "en-us": "Good morning, everyone.",
    "fr-fr": "Bonjour à toutes et à tous.",
    "de": "Guten Morgen zusammen.",
    "ja": "みなさん、おはようございます。",
    "ko": "여러분, 안녕하세요.",
    "cmn": "大家早上好。",
}


def test_every_zyphra_language_is_mapped_to_an_installed_voice() -> None:
    assert set(ESPEAK_VOICES) == set(SAMPLES)
    listing = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=True).stdout
    installed = {line.split()[1] for line in listing.splitlines()[1:] if line.strip()}
    assert set(ESPEAK_VOICES.values()) <= installed


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_synthesize_speaks_each_language(tmp_path: Path, language: str) -> None:
    dst = tmp_path / "out.wav"
    seconds = synthesize(SAMPLES[language], dst, language=language)
    with wave.open(str(dst), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)
        frames = w.readframes(w.getnframes())
    assert seconds == pytest.approx(wav_duration(dst))
    assert 0.5 < seconds < 10
    assert frames.count(0) < len(frames) * 0.9  # actual sound, not silence
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]  # espeak's raw wav is cleaned up


def test_text_starting_with_dash_is_spoken_not_parsed(tmp_path: Path) -> None:
    seconds = synthesize("-w /dev/null --version is what it says", tmp_path / "out.wav")
    assert seconds > 1.0


def test_rate_changes_duration(tmp_path: Path) -> None:
    text = "This sentence is spoken at two different speeds."
    slow = synthesize(text, tmp_path / "slow.wav", words_per_minute=100)
    fast = synthesize(text, tmp_path / "fast.wav", words_per_minute=250)
    assert slow > 1.8 * fast


def test_unknown_language_lists_supported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="supported: en-us, fr-fr, de, ja, ko, cmn"):
        synthesize("Hallo", tmp_path / "out.wav", language="nl")


def test_empty_text_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        synthesize("  \n", tmp_path / "out.wav")


def test_espeak_failure_raises_with_its_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(espeak.ESPEAK_VOICES, "en-us", "qqqq")
    with pytest.raises(RuntimeError, match="voice does not exist"):
        synthesize("Hello", tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()
