"""The lecture languages, in one registry: everything the pipeline knows about a language is a field here.

A lecture's language is given by its code (``en-us``, ``fr-fr``, …) in the manifest, the studio or ``submit
--language``; the code is Zyphra's ``language_iso_code`` and the catalog stores it. Each stage reads what it needs
from the registry — the espeak-ng voice, the code Zonos's dropdown offers, the sentence splitter's rules, the pace of
speech, the disclosure wording, the BCP 47 tag of the captions, the name the script prompt uses — so adding a
language is one entry here (and a test that its espeak-ng voice is installed: ``test_engines_espeak.py``).

Pacing (``text/pacing.py``): characters per phoneme were measured with espeak-ng, the phonemizer Zonos conditions
on, on ``pacing_sample`` (``test_speech_pacing.py`` measures them again); espeak-ng cannot phonemize kanji or hanzi,
so Japanese and Mandarin carry reading rates from the literature instead (Japanese about 7.5 morae/s at about 1.5
morae per character, Mandarin about 4.5 syllables, i.e. characters, per second).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # the pipeline's code: manifests, the catalog, the studio
    name: str  # in English, as the script prompt names it
    native_name: str  # the captions track's label in the LMS player
    bcp47: str  # ``<html lang>`` and the captions track's ``srclang``
    espeak_voice: str  # ``espeak-ng -v``, as listed by ``espeak-ng --voices``
    zyphra_code: str  # Zyphra's API ``language_iso_code``
    zonos_code: str  # the espeak code Zonos's language dropdown offers
    sentence_rules: str  # pysbd's language for splitting sentences ("en" where pysbd has none)
    disclosure: str  # the AI disclosure shown and embedded ({speaker} is replaced), EU AI Act art. 50
    tokens_per_word: float  # Llama 3's tokens per word, to size a draft's token budget
    chars_per_phoneme: float | None = None  # measured on ``pacing_sample``
    pacing_sample: str | None = None
    chars_per_second_at_15: float | None = None  # where espeak-ng cannot phonemize: a reading rate at rate 15
    recogniser: bool = False  # pocketsphinx bundles an acoustic model and dictionary for it (the WER check)


_REGISTRY = (
    Language(
        code="en-us",
        name="English",
        native_name="English",
        bcp47="en-US",
        espeak_voice="en-us",
        zyphra_code="en-us",
        zonos_code="en-us",
        sentence_rules="en",
        disclosure="AI-generated voice and video of {speaker}",
        tokens_per_word=1.4,
        chars_per_phoneme=1.419,
        pacing_sample="Welcome to the course. In this first lecture we will see how a written script becomes a video. "
        "First the script is split into sentences, then each sentence is spoken.",
        recogniser=True,
    ),
    Language(
        code="fr-fr",
        name="French",
        native_name="Français",
        bcp47="fr-FR",
        espeak_voice="fr-fr",
        zyphra_code="fr-fr",
        zonos_code="fr-fr",
        sentence_rules="fr",
        disclosure="Voix et vidéo de {speaker} générées par IA",
        tokens_per_word=2.0,
        chars_per_phoneme=1.757,
        pacing_sample="Bienvenue dans ce cours. Dans cette première leçon, nous verrons comment un texte écrit devient "
        "une vidéo. D'abord le texte est découpé en phrases, puis chaque phrase est prononcée.",
    ),
    Language(
        code="de",
        name="German",
        native_name="Deutsch",
        bcp47="de",
        espeak_voice="de",
        zyphra_code="de",
        zonos_code="de",
        sentence_rules="de",
        disclosure="KI-generierte Stimme und KI-generiertes Video von {speaker}",
        tokens_per_word=2.0,
        chars_per_phoneme=1.307,
        pacing_sample="Willkommen zum Kurs. In dieser ersten Vorlesung sehen wir, wie aus einem geschriebenen Text ein "
        "Video wird. Zuerst wird der Text in Sätze geteilt, dann wird jeder Satz gesprochen.",
    ),
    Language(
        code="ja",
        name="Japanese",
        native_name="日本語",
        bcp47="ja",
        espeak_voice="ja",
        zyphra_code="ja",
        zonos_code="ja",
        sentence_rules="ja",
        disclosure="{speaker}のAI生成の音声と映像",
        tokens_per_word=3.0,
        chars_per_second_at_15=5.0,
    ),
    Language(
        code="ko",
        name="Korean",
        native_name="한국어",
        bcp47="ko",
        espeak_voice="ko",
        zyphra_code="ko",
        zonos_code="ko",
        sentence_rules="en",  # pysbd has no Korean rules; Korean ends sentences with the same marks
        disclosure="AI로 생성된 {speaker}의 음성과 영상",
        tokens_per_word=3.0,
        chars_per_phoneme=0.540,
        pacing_sample="이 강좌에 오신 것을 환영합니다. 첫 번째 강의에서는 글로 쓴 원고가 어떻게 영상이 되는지 "
        "살펴보겠습니다. 먼저 원고를 문장으로 나누고 각 문장을 읽습니다.",
    ),
    Language(
        code="cmn",
        name="Mandarin Chinese (simplified characters)",
        native_name="中文",
        bcp47="zh",
        espeak_voice="cmn",
        zyphra_code="cmn",
        zonos_code="cmn",
        sentence_rules="zh",
        disclosure="由AI生成的{speaker}的语音和视频",
        tokens_per_word=3.0,
        chars_per_second_at_15=4.5,
    ),
)

LANGUAGES: dict[str, Language] = {language.code: language for language in _REGISTRY}
LANGUAGE_CODES: tuple[str, ...] = tuple(LANGUAGES)
DEFAULT_LANGUAGE = "en-us"
DEFAULT = LANGUAGES[DEFAULT_LANGUAGE]


def find(code: str) -> Language | None:
    """The language of ``code``, or None for a code the pipeline does not know."""
    return LANGUAGES.get(code)


def language(code: str) -> Language:
    """The language of ``code``; a ValueError naming the known codes otherwise."""
    found = LANGUAGES.get(code)
    if found is None:
        raise ValueError(f"unknown language {code!r}; use one of: {', '.join(LANGUAGE_CODES)}")
    return found


def by_espeak_voice(voice: str) -> Language:
    """The language espeak-ng speaks with ``voice``."""
    return _by("espeak_voice", voice)


def by_zyphra_code(code: str) -> Language:
    """The language of Zyphra's ``language_iso_code``."""
    return _by("zyphra_code", code)


def _by(field: str, value: str) -> Language:
    for candidate in _REGISTRY:
        if getattr(candidate, field) == value:
            return candidate
    raise ValueError(f"no language has {field} {value!r}")
