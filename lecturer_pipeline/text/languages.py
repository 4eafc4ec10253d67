"""The lecture languages, in one registry: everything the pipeline knows about a language is a field here.

A lecture's language is given by its code (``en-us``, ``fr-fr``, …) in the manifest, the studio or ``submit
--language``; the code is Zyphra's ``language_iso_code`` and the catalog stores it. Each stage reads what it needs
from the registry — the espeak-ng voice, the code Zonos's dropdown offers, the sentence splitter's rules, the pace of
speech, the disclosure wording, the BCP 47 tag of the captions, the name the script prompt uses — so adding a
language is one entry in ``languages.toml`` beside this module (and a test that its espeak-ng voice is installed:
``test_engines_espeak.py``).

Pacing (``text/pacing.py``): characters per phoneme were measured with espeak-ng, the phonemizer Zonos conditions
on, on ``pacing_sample`` (``test_speech_pacing.py`` measures them again); espeak-ng cannot phonemize kanji or hanzi,
so Japanese and Mandarin carry reading rates from the literature instead (Japanese about 7.5 morae/s at about 1.5
morae per character, Mandarin about 4.5 syllables, i.e. characters, per second).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any


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


def _load() -> tuple[Language, ...]:
    """The entries of ``languages.toml``, shipped beside this module as package data: the registry is data (what a
    translator or operator edits), this module only the code that reads it."""
    with resources.files(__package__).joinpath("languages.toml").open("rb") as handle:
        return tuple(_entry(entry) for entry in tomllib.load(handle)["language"])


def _entry(entry: dict[str, Any]) -> Language:
    """One ``[[language]]`` table as a Language, refused at import when a field is unknown, missing or of the wrong
    type (a TOML integer is taken for a float field), so a bad entry never reaches a stage."""
    code = entry.get("code", "?")
    unknown = entry.keys() - _FIELD_TYPES.keys()
    if unknown:
        raise ValueError(f"languages.toml: {code} has unknown fields {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, value in entry.items():
        allowed = _FIELD_TYPES[name]
        value = float(value) if type(value) is int and float in allowed else value
        if type(value) not in allowed:
            names = " or ".join(kind.__name__ for kind in allowed)
            raise ValueError(f"languages.toml: {code}.{name} = {value!r} is not {names}")
        values[name] = value
    try:
        return Language(**values)
    except TypeError as error:  # a required field is missing
        raise ValueError(f"languages.toml: {code}: {error}") from error


# Each field's annotation (a string, under ``from __future__ import annotations``) as the types a value may have.
_TYPES_BY_NAME = {"str": str, "float": float, "bool": bool, "None": type(None)}
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    field.name: tuple(_TYPES_BY_NAME[part.strip()] for part in str(field.type).split("|")) for field in fields(Language)
}
_REGISTRY = _load()

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
