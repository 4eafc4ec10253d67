"""How much text fits in one TTS call, and whether an answer holds all of its text.

The open Zonos model stops generating at 30 s (``gradio_interface.py``: ``max_new_tokens = 86 * 30``; Zyphra's API
runs the same model), silently: a chunk whose speech needs 34 s comes back as 30 s with its end missing. So:

- a chunk is sized from the speaking rate and the language — ``chars_per_second`` × ``MAX_SECONDS`` × ``HEADROOM``
  — instead of a fixed 400 characters (which at rate 8 needs ~56 s);
- each answer's duration is compared with what its text needs (``answer_problem``): one that ends at the cap, or is
  far too short for its text, is not kept — the stage splits its text and asks again (``stages/speaking.py``).

Characters per second at speaking rate 15 (Zonos's default; the rate scales it linearly):

- English 13.3: Zonos's own UI estimate (``estimated_generation_duration = 30 * len(text) / 400``), the anchor;
- a language with a measured ``chars_per_phoneme`` (``text/languages.py``): English's figure times its ratio of
  characters per phoneme to English's (espeak-ng, the phonemizer Zonos conditions on, on its ``pacing_sample``);
- a language espeak-ng cannot phonemize (Japanese, Mandarin): its ``chars_per_second_at_15`` reading rate.
"""

from __future__ import annotations

from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE, LANGUAGES, Language

_ENGLISH = LANGUAGES[DEFAULT_LANGUAGE]  # the anchor of the pace (Zonos's own estimate is for English)
MAX_SECONDS = 30.0  # Zonos: max_new_tokens = 86 * 30 (86 codec frames per second)
HEADROOM = 0.75  # chunks are planned to need at most 22.5 s at the estimated pace
DEFAULT_RATE = 15.0
MIN_CHUNK_CHARS = 20
# An answer is cut short when it ends within this of the cap, or lasts under this share of what its text needs.
CAP_MARGIN_SECONDS = 0.3
TOO_SHORT_SHARE = 0.4

_ENGLISH_AT_15 = 400 / 30
# Views of the registry (``text/languages.py``), by language code.
CHARS_PER_PHONEME = {code: lang.chars_per_phoneme for code, lang in LANGUAGES.items() if lang.chars_per_phoneme}
SAMPLES = {code: lang.pacing_sample for code, lang in LANGUAGES.items() if lang.pacing_sample}


def _at_15(lang: Language) -> float:
    if lang.chars_per_second_at_15 is not None:
        return lang.chars_per_second_at_15
    if lang.chars_per_phoneme is None:
        return _ENGLISH_AT_15
    return round(_ENGLISH_AT_15 * lang.chars_per_phoneme / _ENGLISH.chars_per_phoneme, 2)


CHARS_PER_SECOND_AT_15 = {code: _at_15(lang) for code, lang in LANGUAGES.items()}


def chars_per_second(language: str, speaking_rate: float = DEFAULT_RATE) -> float:
    """Estimated characters spoken per second (unknown languages are paced as English)."""
    return CHARS_PER_SECOND_AT_15.get(language, _ENGLISH_AT_15) * speaking_rate / DEFAULT_RATE


def chunk_chars(
    language: str,
    speaking_rate: float = DEFAULT_RATE,
    *,
    max_seconds: float = MAX_SECONDS,
    headroom: float = HEADROOM,
) -> int:
    """The most characters one call should carry so that its speech stays well below the engine's cap."""
    return max(MIN_CHUNK_CHARS, int(chars_per_second(language, speaking_rate) * max_seconds * headroom))


def needed_seconds(text: str, language: str, speaking_rate: float = DEFAULT_RATE) -> float:
    """About how long ``text`` takes to say at this pace."""
    return len(text) / chars_per_second(language, speaking_rate)


def answer_problem(
    text: str,
    seconds: float,
    *,
    language: str,
    speaking_rate: float = DEFAULT_RATE,
    max_seconds: float = MAX_SECONDS,
) -> str | None:
    """Why an answer of ``seconds`` cannot hold all of ``text`` (None when it plausibly does)."""
    if seconds >= max_seconds - CAP_MARGIN_SECONDS:
        return f"its audio ends at the engine's {max_seconds:g} s cap ({seconds:.2f} s), so its end was cut off"
    needed = needed_seconds(text, language, speaking_rate)
    if seconds < TOO_SHORT_SHARE * needed:
        return f"its audio lasts {seconds:.2f} s, far less than the ~{needed:.1f} s its {len(text)} characters need"
    return None
