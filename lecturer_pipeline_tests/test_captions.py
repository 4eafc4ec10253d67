"""Captions, chapters and transcript from the script: the pure functions, then a lecture run on the embedded default
whose WebVTT files are parsed back with webvtt-py."""

from __future__ import annotations

import html
import itertools
import re
import wave

import dagster as dg
import pytest
import webvtt

from lecturer_pipeline.storage.layout import captions_key, chapters_key, speech_key, transcript_key
from lecturer_pipeline.text.captions import (
    MAX_LINE_CHARS,
    build_transcript,
    caption_cues,
    chapter_cues,
    format_vtt,
    script_blocks,
    split_phrases,
    wrap_cue,
)
from lecturer_pipeline.text.chunks import plan_chunks
from lecturer_pipeline_tests.pipeline_helpers import (
    CARDS_SECONDS,
    definitions,
    local_settings,
    materialization_metadata,
    run,
    submit_sample,
)

LONG = (
    "A set is a collection of distinct objects, called its members, and we usually write one by listing "
    "those members between curly braces, separated by commas, in whatever order we find convenient."
)
HEADED_SCRIPT = (
    "# What a set is\n"
    "Sets are collections of distinct objects. We write them with curly braces, listing every member once, "
    "separated by commas, in any order we like.\n\n"
    "# Equality\n"
    "Two sets are equal when they have the same members. Order does not matter & neither does repetition.\n\n"
    "# Operations on sets\n"
    "The union holds every member of either set; the intersection holds only the members both share."
)


def split_words(text: str) -> list[str]:
    return text.split()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _seconds(stamp) -> float:
    return stamp.hours * 3600 + stamp.minutes * 60 + stamp.seconds + stamp.milliseconds / 1000


def _assert_cue_layout(lines: list[str]) -> None:
    assert 1 <= len(lines) <= 2, lines
    assert all(0 < len(line) <= MAX_LINE_CHARS for line in lines), lines


# --- pure functions ---------------------------------------------------------------------------------------------


def test_wrap_cue_uses_one_line_or_two_balanced_ones() -> None:
    assert wrap_cue(["Order", "does", "not", "matter."]) == ["Order does not matter."]
    two = wrap_cue(split_words("Two sets are equal when they have the same members."))
    assert two == ["Two sets are equal when", "they have the same members."]
    assert wrap_cue(split_words(LONG)) is None


def test_long_sentences_become_phrases_that_fit_and_cut_at_commas() -> None:
    phrases = split_phrases(LONG)
    assert len(phrases) >= 3
    for lines in phrases:
        _assert_cue_layout(lines)
    assert " ".join(" ".join(lines) for lines in phrases) == LONG
    assert sum(" ".join(lines).endswith(",") for lines in phrases[:-1]) >= 2, phrases


def test_a_word_longer_than_a_line_is_cut() -> None:
    word = "x" * 100
    phrases = split_phrases(f"See {word} now.")
    for lines in phrases:
        _assert_cue_layout(lines)
    assert _squash("".join("".join(lines) for lines in phrases)) == f"See{word}now."


def test_cues_share_each_chunk_by_characters_and_stay_inside_it() -> None:
    timeline = [
        {"start": 0.0, "end": 4.0, "text": "Alpha beta gamma. Delta epsilon zeta.", "paragraph": 0, "section": None},
        {"start": 4.25, "end": 10.0, "text": LONG, "paragraph": 1, "section": None},
    ]
    cues = caption_cues(timeline)
    first = [c for c in cues if c.end <= 4.0]
    assert [c.text for c in first] == ["Alpha beta gamma.", "Delta epsilon zeta."]
    assert first[0].start == 0.0 and first[1].end == 4.0
    assert first[0].end == pytest.approx(4.0 * 17 / 36, abs=0.001)  # 17 of the 36 characters
    rest = cues[len(first) :]
    assert rest[0].start == 4.25 and rest[-1].end == 10.0
    for earlier, later in itertools.pairwise(cues):
        assert earlier.start < earlier.end <= later.start
    assert _squash("".join(c.text for c in rest)) == _squash(LONG)


def test_vtt_escapes_text_and_writes_hour_timestamps() -> None:
    vtt = format_vtt(caption_cues([{"start": 3600.5, "end": 3602.0, "text": "If a < b & b < c, then a < c."}]))
    assert vtt.startswith("WEBVTT\n\n1\n01:00:00.500 --> 01:00:02.000\n")
    assert "a &lt; b &amp; b &lt; c" in vtt
    (caption,) = webvtt.from_string(vtt).captions
    assert html.unescape(caption.text) == "If a < b & b < c, then a < c."


def test_captions_for_a_language_without_spaces_still_fit() -> None:
    text = "集合是由不同对象组成的整体，我们用花括号把它的成员一个一个地写出来，并用逗号分开它们，成员的顺序并不重要。"
    cues = caption_cues([{"start": 0.0, "end": 6.0, "text": text}], "cmn")
    for cue in cues:
        _assert_cue_layout(list(cue.lines))
    assert _squash("".join(c.text for c in cues)) == text


def test_chapters_follow_the_sections() -> None:
    timeline = [
        {"start": 0.2, "end": 2.0, "text": "Welcome.", "section": None},
        {"start": 2.25, "end": 4.0, "text": "One.", "section": "First"},
        {"start": 4.25, "end": 6.0, "text": "Two.", "section": "First"},
        {"start": 6.25, "end": 8.0, "text": "Three.", "section": "Second"},
    ]
    chapters = webvtt.from_string(format_vtt(chapter_cues(timeline, 8.3, untitled="Sets"))).captions
    assert [c.text for c in chapters] == ["Sets", "First", "Second"]
    assert [(_seconds(c.start_time), _seconds(c.end_time)) for c in chapters] == [
        (0.0, 2.25),
        (2.25, 6.25),
        (6.25, 8.3),
    ]
    assert chapter_cues([{**t, "section": None} for t in timeline], 8.3) == []


def test_transcript_keeps_headings_and_paragraphs() -> None:
    transcript = build_transcript("Sets", HEADED_SCRIPT)
    assert transcript.startswith("Sets\n====\n\nWhat a set is\n-------------\n\nSets are collections")
    assert "\nEquality\n--------\n" in transcript and "\nOperations on sets\n------------------\n" in transcript
    assert all(len(line) <= 80 for line in transcript.splitlines())
    assert "#" not in transcript
    blocks = script_blocks(HEADED_SCRIPT)
    assert [b.kind for b in blocks] == ["heading", "paragraph"] * 3
    for block in blocks:
        assert _squash(block.text) in _squash(transcript)


# --- a lecture run --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def headed_lecture(tmp_path_factory: pytest.TempPathFactory, sample_media):
    home = tmp_path_factory.mktemp("captions") / "home"
    defs = definitions(local_settings(home))
    with dg.instance_for_test() as instance:
        lecture_id = submit_sample(defs, sample_media, lecture="set-basics", script=HEADED_SCRIPT)
        outcome = run(defs, instance, lecture_id)
        assert outcome.success, outcome.error
        yield defs, instance, outcome


def test_captions_of_a_lecture_cover_its_speech(headed_lecture) -> None:
    defs, instance, outcome = headed_lecture
    store = defs.resources["objects"].get_store()
    lecture_id = outcome.lecture_id
    with wave.open(str(store.root / speech_key(lecture_id))) as wav:
        speech_seconds = wav.getnframes() / wav.getframerate()

    captions = webvtt.read(str(store.root / captions_key(lecture_id)))
    assert len(captions.captions) >= 6
    previous_end = 0.0
    for caption in captions.captions:
        _assert_cue_layout([html.unescape(line) for line in caption.lines])
        start, end = _seconds(caption.start_time), _seconds(caption.end_time)
        assert previous_end <= start < end, caption
        previous_end = end
    # Timed on the composed lecture video's clock: the speech starts after the title card, the end card follows.
    title, end = CARDS_SECONDS / 2, CARDS_SECONDS / 2
    assert _seconds(captions.captions[0].start_time) >= title
    assert previous_end <= title + speech_seconds

    spoken = " ".join(chunk.text for chunk in plan_chunks(HEADED_SCRIPT))
    assert _squash(html.unescape("".join(c.text for c in captions.captions))) == _squash(spoken)
    assert "What a set is" not in html.unescape(" ".join(c.text for c in captions.captions)), "headings are not spoken"

    chapters = webvtt.read(str(store.root / chapters_key(lecture_id))).captions
    assert [c.text for c in chapters] == ["What a set is", "Equality", "Operations on sets"]
    assert _seconds(chapters[0].start_time) == 0.0
    for earlier, later in itertools.pairwise(chapters):
        assert earlier.end_time == later.start_time
    assert abs(_seconds(chapters[-1].end_time) - (title + speech_seconds + end)) <= 0.05

    transcript = (store.root / transcript_key(lecture_id)).read_text(encoding="utf-8")
    assert transcript.startswith("Sets\n====\n") and "\nEquality\n--------\n" in transcript
    assert all(_squash(block.text) in _squash(transcript) for block in script_blocks(HEADED_SCRIPT))

    meta = materialization_metadata(instance, outcome.run_id, "captions")
    assert meta["cues"] == len(captions.captions) and meta["chapters"] == 3
    assert meta["chapters_key"] == chapters_key(lecture_id) and "Equality" in meta["chapter_titles"]
    assert meta["max_line_chars"] <= MAX_LINE_CHARS and meta["reused"] is False
    assert materialization_metadata(instance, outcome.run_id, "transcript")["headings"] == 3
    row = defs.resources["catalog"].get_catalog().get_artefact(lecture_id, "captions")
    assert row is not None and row.key == captions_key(lecture_id)


def test_captions_are_reused_and_follow_an_edited_script(headed_lecture, sample_media) -> None:
    defs, instance, outcome = headed_lecture
    store = defs.resources["objects"].get_store()
    lecture_id = outcome.lecture_id
    again = run(defs, instance, lecture_id)
    assert again.success, again.error
    for asset in ("captions", "transcript"):
        assert materialization_metadata(instance, again.run_id, asset)["reused"] is True, asset

    # Without headings: new captions, and the chapters track is gone.
    plain = re.sub(r"^#.*\n", "", HEADED_SCRIPT, flags=re.MULTILINE)
    submit_sample(defs, sample_media, lecture="set-basics", script=plain)
    edited = run(defs, instance, lecture_id)
    assert edited.success, edited.error
    meta = materialization_metadata(instance, edited.run_id, "captions")
    assert meta["reused"] is False and meta["chapters"] == 0
    assert not store.exists(chapters_key(lecture_id))
    assert "\n----" not in (store.root / transcript_key(lecture_id)).read_text(encoding="utf-8")
