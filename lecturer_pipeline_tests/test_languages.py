"""One language registry: every per-language table in the code is a view of ``text/languages.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lecturer_pipeline
from lecturer_pipeline.cli import build_parser
from lecturer_pipeline.engines import zyphra
from lecturer_pipeline.engines.espeak import ESPEAK_VOICES
from lecturer_pipeline.engines.zonos import ESPEAK_CODES, espeak_code
from lecturer_pipeline.errors import InputError
from lecturer_pipeline.lms.scorm import language_tag
from lecturer_pipeline.manifest import parse_manifest
from lecturer_pipeline.quality.asr import recognise
from lecturer_pipeline.text import languages
from lecturer_pipeline.text.disclosure import disclosure_text
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES, LANGUAGES
from lecturer_pipeline.text.pacing import CHARS_PER_SECOND_AT_15

PACKAGE = Path(lecturer_pipeline.__file__).parent


@pytest.mark.parametrize("code", LANGUAGE_CODES)
def test_each_language_round_trips_through_its_espeak_voice_and_zyphra_code(code: str) -> None:
    language = languages.language(code)
    assert languages.by_espeak_voice(language.espeak_voice) is language
    assert languages.by_zyphra_code(language.zyphra_code) is language
    assert ESPEAK_VOICES[code] == language.espeak_voice and espeak_code(code) == language.zonos_code
    assert language.zyphra_code in zyphra.LANGUAGES
    assert language_tag(code) == (language.bcp47, language.native_name)
    assert disclosure_text("Ada", code) == language.disclosure.replace("{speaker}", "Ada")
    assert parse_manifest(f'{{"script": "Hi.", "language": "{code}"}}'.encode()).language == code
    assert CHARS_PER_SECOND_AT_15[code] > 0 and (language.chars_per_phoneme or language.chars_per_second_at_15)
    submit = build_parser().parse_args(["submit", "--course", "cs101", "--lecture", "sets", "--language", code])
    assert submit.language == code


def test_the_engines_and_the_manifest_know_exactly_the_registry() -> None:
    assert tuple(ESPEAK_VOICES) == tuple(ESPEAK_CODES) == LANGUAGE_CODES == tuple(CHARS_PER_SECOND_AT_15)
    assert tuple(lang.zyphra_code for lang in LANGUAGES.values()) == zyphra.LANGUAGES
    assert DEFAULT_LANGUAGE in LANGUAGES
    with pytest.raises(InputError, match="unknown language 'xx'"):
        parse_manifest(b'{"script": "Hi.", "language": "xx"}')
    with pytest.raises(ValueError, match="unknown language"):
        languages.language("xx")


def test_a_language_without_a_bundled_recogniser_reports_no_wer(tmp_path: Path) -> None:
    without = [lang.code for lang in LANGUAGES.values() if not lang.recogniser]
    assert without and [lang.code for lang in LANGUAGES.values() if lang.recogniser] == ["en-us"]
    heard = recognise(tmp_path / "never-read.wav", "Bonjour.", language=without[0])
    assert heard.wer is None and "not available" in heard.note


def test_no_module_but_the_registry_lists_the_languages() -> None:
    """A second copy of the list would drift: no other module names a language code the default does not."""
    others = [code for code in LANGUAGE_CODES if code != DEFAULT_LANGUAGE]
    pattern = re.compile("|".join(rf"[\"']{re.escape(code)}[\"']" for code in others))
    copies = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        # The stand-ins mirror what the real services accept (upstream's lists, not ours): they may not import the
        # registry (import-linter), and a copy of ours there would hide a language the service refuses.
        if path.name != "languages.py"
        and "standins" not in path.parts
        and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert copies == []


def test_the_registry_is_read_from_languages_toml_and_a_bad_entry_is_refused() -> None:
    """The entries are data beside the module (shipped as package data); a typo in them fails at import."""
    assert (PACKAGE / "text" / "languages.toml").is_file()
    entry = {field: "x" for field in ("code", "name", "native_name", "bcp47", "espeak_voice", "zyphra_code")}
    entry |= {"zonos_code": "x", "sentence_rules": "en", "disclosure": "{speaker}", "tokens_per_word": 2}
    assert languages._entry(entry).tokens_per_word == 2.0  # a TOML integer is taken for a float
    for bad, message in [
        ({**entry, "recogniser": "yes"}, "recogniser = 'yes' is not bool"),
        ({**entry, "tokens": 2.0}, "unknown fields"),
        ({k: v for k, v in entry.items() if k != "name"}, "missing"),
    ]:
        with pytest.raises(ValueError, match=message):
            languages._entry(bad)
