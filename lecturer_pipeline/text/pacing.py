"""How much text fits in one TTS call, and whether an answer holds all of its text.

The open Zonos model stops generating at 30 s (``gradio_interface.py``: ``max_new_tokens = 86 * 30``; Zyphra's API
runs the same model), silently: a chunk whose speech needs 34 s comes back as 30 s with its end missing. So:

- a chunk is sized from the speaking rate and the language — ``chars_per_second`` × ``MAX_SECONDS`` × ``HEADROOM``
  — instead of a fixed 400 characters (which at rate 8 needs ~56 s);
- each answer's duration is compared with what its text needs (``answer_problem``): one that ends at the cap, or is
  far too short for its text, is not kept — the stage splits its text and asks again (``stages/speaking.py``).

Characters per second at speaking rate 15 (Zonos's default; the rate scales it linearly):

- en-us 13.3: Zonos's own UI estimate (``estimated_generation_duration = 30 * len(text) / 400``), the anchor;
- fr-fr, de, ko: English's figure times the ratio of characters per phoneme, measured with espeak-ng (the
  phonemizer Zonos conditions on) on the sample texts in ``SAMPLES`` (en-us 1.419, fr-fr 1.757, de 1.307, ko 0.540
  characters per phoneme; ``test_text_pacing.py`` measures them again);
- ja, cmn: espeak-ng cannot phonemize kanji or hanzi, so these are reading rates from the literature (Japanese about
  7.5 morae/s at about 1.5 morae per character, Mandarin about 4.5 syllables, i.e. characters, per second).
"""

from __future__ import annotations

MAX_SECONDS = 30.0  # Zonos: max_new_tokens = 86 * 30 (86 codec frames per second)
HEADROOM = 0.75  # chunks are planned to need at most 22.5 s at the estimated pace
DEFAULT_RATE = 15.0
MIN_CHUNK_CHARS = 20
# An answer is cut short when it ends within this of the cap, or lasts under this share of what its text needs.
CAP_MARGIN_SECONDS = 0.3
TOO_SHORT_SHARE = 0.4

CHARS_PER_PHONEME = {"en-us": 1.419, "fr-fr": 1.757, "de": 1.307, "ko": 0.540}
_ENGLISH_AT_15 = 400 / 30
CHARS_PER_SECOND_AT_15 = {
    **{lang: round(_ENGLISH_AT_15 * cpp / CHARS_PER_PHONEME["en-us"], 2) for lang, cpp in CHARS_PER_PHONEME.items()},
    "ja": 5.0,
    "cmn": 4.5,
}

SAMPLES = {
    "en-us": "Welcome to the course. In this first lecture we will see how a written script becomes a video. First the "
    "script is split into sentences, then each sentence is spoken.",
    "fr-fr": "Bienvenue dans ce cours. Dans cette première leçon, nous verrons comment un texte écrit devient une "
    "vidéo. D'abord le texte est découpé en phrases, puis chaque phrase est prononcée.",
    "de": "Willkommen zum Kurs. In dieser ersten Vorlesung sehen wir, wie aus einem geschriebenen Text ein Video wird. "
    "Zuerst wird der Text in Sätze geteilt, dann wird jeder Satz gesprochen.",
    "ko": "이 강좌에 오신 것을 환영합니다. 첫 번째 강의에서는 글로 쓴 원고가 어떻게 영상이 되는지 살펴보겠습니다. 먼저 "
    "원고를 문장으로 나누고 각 문장을 읽습니다.",
}


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
