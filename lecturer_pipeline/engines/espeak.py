"""espeak-ng text-to-speech: the embedded default's voice, which works offline but does NOT clone the lecturer.

It exists so a fresh install produces a complete (if robotic) lecture with no model service; runs that use it
must say so rather than pass it off as the reference voice.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from lecturer_pipeline.media.audio import to_wav_16k_mono, wav_duration
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE, LANGUAGES

ENGINE = "espeak-ng"
LICENCE = "GPL-3.0-or-later"

# The pipeline's language codes -> espeak-ng voice names (the registry's ``espeak_voice``).
ESPEAK_VOICES: dict[str, str] = {code: lang.espeak_voice for code, lang in LANGUAGES.items()}

_TIMEOUT_SECONDS = 600


def synthesize(
    text: str,
    dst_wav: Path,
    *,
    language: str = DEFAULT_LANGUAGE,
    words_per_minute: int = 160,
    pitch: int = 50,
) -> float:
    """Speak ``text`` into a 16 kHz mono WAV at ``dst_wav`` and return its duration in seconds.

    The text goes in on stdin, never argv, so a sentence starting with '-' cannot be read as an option.
    """
    voice = ESPEAK_VOICES.get(language)
    if voice is None:
        raise ValueError(f"espeak-ng has no voice for language {language!r}; supported: {', '.join(ESPEAK_VOICES)}")
    if not text.strip():
        raise ValueError("nothing to speak: the text is empty")
    dst_wav = Path(dst_wav)
    with tempfile.TemporaryDirectory(dir=dst_wav.parent, prefix=".espeak-") as work:
        raw = Path(work) / "espeak.wav"
        command = ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-p", str(pitch), "-b", "1"]
        command += ["-w", str(raw), "--stdin"]
        try:
            done = subprocess.run(
                command, input=text.encode("utf-8"), capture_output=True, timeout=_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"espeak-ng took longer than {_TIMEOUT_SECONDS} s") from exc
        stderr = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode != 0:
            raise RuntimeError(f"espeak-ng exited with code {done.returncode}: {stderr or 'no message'}")
        if not raw.exists() or raw.stat().st_size == 0:
            raise RuntimeError(f"espeak-ng wrote no audio: {stderr or 'no message'}")
        to_wav_16k_mono(raw, dst_wav)
    return wav_duration(dst_wav)
