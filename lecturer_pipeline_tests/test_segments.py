"""Cutting speech into render segments between sentences, and joining the rendered segments without drift."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dagster as dg
import pytest

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.kdtalker import KDTalkerVideoEngine
from lecturer_pipeline.engines.local import EspeakSpeechEngine, PreviewVideoEngine
from lecturer_pipeline.media.audio import concat_wavs, split_wav, wav_duration
from lecturer_pipeline.model import LectureScript
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.stages.speech import group_segments, synthesize_speech
from lecturer_pipeline.stages.video import cut_points
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.text.chunks import Chunk
from lecturer_pipeline_tests.pipeline_helpers import (
    assert_playable_lecture_video,
    definitions,
    materialization_metadata,
    run,
    submit_sample,
)


def test_segments_hold_whole_chunks_of_one_paragraph() -> None:
    chunks = [Chunk("a", 0), Chunk("b", 0), Chunk("c", 0), Chunk("d", 1), Chunk("e", 1), Chunk("f", 2)]
    seconds = [10.0, 10.0, 45.0, 70.0, 5.0, 3.0]
    # a+b fit in 25 s; c would pass it; d alone is longer than the limit; a paragraph change always cuts
    assert group_segments(chunks, seconds, max_seconds=25.0) == [[0, 1], [2], [3], [4], [5]]
    assert cut_points([20.52, 45.28, 70.28]) == [20.52, 65.8]


@pytest.mark.parametrize("engine", [PreviewVideoEngine(fps=8), KDTalkerVideoEngine("http://kdtalker.invalid:7860/")])
def test_speech_segments_end_on_whole_frames_of_the_video_engine(tmp_path: Path, engine) -> None:
    """The frame rate comes from the video engine: each segment's sound is padded to a whole frame of it."""
    text = "Sets are collections of distinct objects.\n\nA set has no order and no repeated members at all."
    script = LectureScript("cs101--fps", "cs101", "Frames", "ada", "en-us", text, "sha-of-the-text")
    store, catalog = LocalObjectStore(tmp_path / "objects"), Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    work = tmp_path / "work"
    work.mkdir()
    profile = SpeakerProfile("ada", "fingerprint")
    try:
        speech = synthesize_speech(store, catalog, EspeakSpeechEngine(), script, profile, work, fps=engine.fps)
    finally:
        catalog.dispose()
    lengths = speech.details["segment_seconds"]
    assert len(lengths) == 2, "one segment per paragraph"
    for length in lengths:
        frames = length * engine.fps
        assert frames == pytest.approx(round(frames), abs=1e-3), f"{length} s is not a whole number of frames"
    assert speech.duration == pytest.approx(sum(lengths), abs=1e-3)


def test_split_then_concat_restores_every_sample(tmp_path: Path) -> None:
    src = tmp_path / "tone.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:duration=7",
            "-ar",
            "16000",
            "-ac",
            "1",
            str(src),
        ],
        check=True,
    )
    parts = split_wav(src, [2.0, 4.52], tmp_path / "parts")
    assert [round(wav_duration(p), 3) for p in parts] == [2.0, 2.52, 2.48]
    joined = tmp_path / "joined.wav"
    concat_wavs(parts, joined, gap_seconds=0.0, fade_ms=0.0)
    import wave

    with wave.open(str(src)) as a, wave.open(str(joined)) as b:
        assert a.readframes(a.getnframes()) == b.readframes(b.getnframes())


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_long_speech_renders_in_segments_and_an_edit_rerenders_one(tmp_path: Path, sample_media, instance) -> None:
    defs = definitions(Settings(lecturer_home=tmp_path / "home", lecturer_segment_seconds=6.0))
    paragraphs = [f"Paragraph {n} explains one more property of sets, slowly and clearly." for n in range(1, 7)]
    lecture_id = submit_sample(defs, sample_media, script="\n\n".join(paragraphs))
    first = run(defs, instance, lecture_id)
    assert first.success, first.error
    meta = materialization_metadata(instance, first.run_id, "video")
    assert meta["segments"] >= 3 and meta["renders"] == meta["segments"]
    store = defs.resources["objects"].get_store()
    assert_playable_lecture_video(Path(first.video), store.root / f"generated/audio/{lecture_id}/speech.wav")

    paragraphs[2] = "The third paragraph now says something else entirely, and at greater length than before."
    submit_sample(defs, sample_media, script="\n\n".join(paragraphs))
    again = run(defs, instance, lecture_id)
    assert again.success, again.error
    edited = materialization_metadata(instance, again.run_id, "video")
    assert edited["renders"] == 1, "only the segment of the edited paragraph is rendered again, not those after it"
    assert edited["render_seconds_cached"] > edited["render_seconds_sent"] > 0
    assert len(list(store.list(f"generated/video/{lecture_id}/segments/"))) == edited["segments"]
    assert_playable_lecture_video(Path(again.video), store.root / f"generated/audio/{lecture_id}/speech.wav")
