"""Script validation, manifests, chunking and IDs."""

from __future__ import annotations

import pytest

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.ids import lecture_id, normalise_name, split_lecture_id
from lecturer_pipeline.manifest import parse_manifest, parse_plain_script
from lecturer_pipeline.text.chunks import plan_chunks
from lecturer_pipeline.text.script import MAX_SCRIPT_CHARS, clean_script


def test_lecture_ids_derive_from_names() -> None:
    assert lecture_id("CS101", "Intro to Sets") == "cs101--intro-to-sets"
    assert split_lecture_id("cs101--intro-to-sets") == ("cs101", "intro-to-sets")


@pytest.mark.parametrize("bad", ["../x", "/etc", "a/b", "", "   ", "x" * 65, "саfe", "a--b", "a.b", "-a"])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        normalise_name(bad)


@pytest.mark.parametrize("bad", ["cs101", "CS101--Intro", "cs101--../x", "--x"])
def test_bad_lecture_ids_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        split_lecture_id(bad)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("  \n\t ", "empty"),
        ("x" * (MAX_SCRIPT_CHARS + 1), "at most"),
        ("Hello\x07 world", "control characters"),
        ("Hello <b>world</b>", "markup"),
        ("<speak>Hi</speak>", "markup"),
    ],
)
def test_bad_scripts_are_refused_with_reason(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        clean_script(text)


def test_clean_script_normalises_newlines() -> None:
    assert clean_script("  One.\r\nTwo.\r\n") == "One.\nTwo."


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not valid UTF-8 JSON"),
        (b"[]", "JSON object"),
        (b'{"script": "Hi.", "colour": "red"}', "colour"),
        (b'{"script": 42}', "script"),
        (b'{"title": "No text"}', "exactly one of"),
        (b'{"script": "Hi.", "language": "xx"}', "language"),
    ],
)
def test_bad_manifests_name_the_field(raw: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_manifest(raw)


def test_manifest_and_plain_script_parse() -> None:
    manifest = parse_manifest(b'{"title": "Sets", "speaker": "ada", "script": "Hello.", "language": "de"}')
    assert (manifest.title, manifest.speaker, manifest.language) == ("Sets", "ada", "de")
    assert parse_plain_script(b"Plain text.").script == "Plain text."


def test_chunks_keep_sentences_whole_and_respect_paragraphs() -> None:
    paragraph_one = "Dr. Smith arrived at 3 p.m. on Monday. " * 20
    text = paragraph_one + "\n\nA second paragraph stands alone."
    chunks = [chunk.text for chunk in plan_chunks(text, max_chars=200)]
    assert all(len(c) <= 200 for c in chunks)
    assert chunks[-1] == "A second paragraph stands alone."
    assert all(c.endswith("Monday.") for c in chunks[:-1])  # "Dr." and "p.m." did not split a sentence
    assert " ".join(chunks[:-1]) == " ".join(paragraph_one.split())


def test_a_sentence_longer_than_a_chunk_is_cut_at_a_comma_or_space() -> None:
    sentence = ", ".join(f"item number {i}" for i in range(60)) + "."
    chunks = [chunk.text for chunk in plan_chunks(sentence, max_chars=120)]
    assert len(chunks) > 1 and all(len(c) <= 120 for c in chunks)
    assert " ".join(chunks).replace(" ", "") == sentence.replace(" ", "")


def test_speech_check_flags_implausible_durations() -> None:
    from lecturer_pipeline.model import Artefact
    from lecturer_pipeline.stages.checks import speech_duration_plausible, video_is_h264_aac, video_matches_speech

    speech = Artefact(kind="speech", key="k", sha256="s", bytes=1, input_hash="h", duration=60.0)
    assert speech_duration_plausible(speech, 150).passed
    assert not speech_duration_plausible(speech, 20).passed  # far too slow: silence or a truncated script
    assert not speech_duration_plausible(speech, 600).passed  # far too fast: text missing from the audio
    video = Artefact(
        kind="video", key="v", sha256="s", bytes=1, input_hash="h", duration=60.08, details={"codecs": "h264 + aac"}
    )
    assert video_matches_speech(video, speech).passed and video_is_h264_aac(video).passed
    late = Artefact(**{**video.__dict__, "duration": 60.3, "details": {"codecs": "h264 + -"}})
    assert not video_matches_speech(late, speech).passed and not video_is_h264_aac(late).passed
