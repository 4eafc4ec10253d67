"""A ten-minute, twenty-paragraph lecture through the Zyphra and KDTalker stand-ins, then an edit of one paragraph:
only that paragraph's chunks are spoken again and only its segment is rendered again."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.zyphra import ZyphraStandIn
from lecturer_pipeline.storage.layout import speech_key
from lecturer_pipeline_tests.pipeline_helpers import (
    assert_playable_lecture_video,
    materialization_metadata,
    run,
    submit_sample,
)

TOPICS = [
    "sets",
    "functions",
    "relations",
    "graphs",
    "trees",
    "proofs",
    "induction",
    "recursion",
    "counting",
    "probability",
    "logic",
    "quantifiers",
    "cardinality",
    "orders",
    "lattices",
    "groups",
    "rings",
    "fields",
    "matrices",
    "algorithms",
]


def paragraph(topic: str, variant: str = "") -> str:
    """About 75 words (~28 s at the stand-in's speaking rate): two chunks of at most 400 characters."""
    return (
        f"Today we look at {topic}{variant}. Mathematicians have studied {topic} for a long time, and the ideas "
        f"behind {topic} appear again and again in computer science. First we define {topic} carefully, then we "
        f"look at three small examples, and finally we prove one property that every example shares. Take your "
        f"time with each step, write the examples down yourself, and check every claim before moving on to the "
        f"next part of the lecture about {topic}."
    )


@pytest.fixture(scope="module")
def services():
    with ZyphraStandIn() as zyphra, KDTalkerStandIn() as kdtalker:
        yield zyphra, kdtalker


def test_ten_minute_lecture_and_a_one_paragraph_edit(tmp_path: Path, sample_media, services) -> None:
    zyphra, kdtalker = services
    defs = build_definitions(
        Settings(
            lecturer_home=tmp_path / "home",
            zyphra_api_key=zyphra.api_key,
            zyphra_base_url=zyphra.base_url,
            kdtalker_url=kdtalker.url,
        )
    )
    paragraphs = [paragraph(topic) for topic in TOPICS]
    with dg.instance_for_test() as instance:
        lecture_id = submit_sample(defs, sample_media, lecture="long", script="\n\n".join(paragraphs))
        first = run(defs, instance, lecture_id)
        assert first.success, first.error
        speech = materialization_metadata(instance, first.run_id, "speech")
        video = materialization_metadata(instance, first.run_id, "video")
        assert 540 <= speech["duration_seconds"] <= 900, "a lecture of about ten minutes"
        assert speech["chunks"] == 40 and speech["segments"] == 20
        assert video["segments"] == 20 and video["renders"] == 20
        store = defs.resources["objects"].get_store()
        wav = tmp_path / "speech.wav"
        store.get_file(speech_key(lecture_id), wav)
        assert_playable_lecture_video(Path(first.video), wav)

        calls_before, renders_before = zyphra.calls, kdtalker.renders
        paragraphs[7] = paragraph(TOPICS[7], " and its cousin, iteration")
        submit_sample(defs, sample_media, lecture="long", script="\n\n".join(paragraphs))
        edited = run(defs, instance, lecture_id)
        assert edited.success, edited.error
        speech2 = materialization_metadata(instance, edited.run_id, "speech")
        video2 = materialization_metadata(instance, edited.run_id, "video")

    # The edit touches the paragraph's first sentence: its first chunk is spoken again. Chunks are now sized from the
    # speaking rate (text/pacing.py), and a longer first sentence can move the paragraph's one chunk boundary, so
    # at most that paragraph's chunks are asked for — never another paragraph's.
    assert zyphra.calls - calls_before == speech2["requests"] <= 2, "only the edited paragraph's chunks"
    assert kdtalker.renders - renders_before == video2["renders"] == 1, "only the edited paragraph's segment"
    chars = speech2["tts_chars_sent"] + speech2["tts_chars_cached"]
    seconds = video2["render_seconds_sent"] + video2["render_seconds_cached"]
    assert speech2["tts_chars_sent"] / chars <= 1.5 / 20
    assert video2["render_seconds_sent"] / seconds <= 1.5 / 20
    store.get_file(speech_key(lecture_id), wav)
    assert_playable_lecture_video(Path(edited.video), wav)
