"""The segment checks on real renders: the embedded preview passes its own checks (sync labelled not applicable);
a KDTalker stand-in answering 200 OK with a faceless or frozen clip is caught, rendered once more, and held for
review when the second render is bad too."""

from __future__ import annotations

from pathlib import Path

import pytest

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.kdtalker import KDTalkerVideoEngine
from lecturer_pipeline.engines.local import EspeakSpeechEngine, PreviewVideoEngine
from lecturer_pipeline.errors import NeedsReview
from lecturer_pipeline.quality import report
from lecturer_pipeline.quality.segments import SegmentGate
from lecturer_pipeline.quality.video import check_segment, portrait_has_face
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.storage.local import LocalObjectStore

TEXT = "Sets are collections of distinct objects. We write them with curly braces. Order does not matter."


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    wav = tmp_path_factory.mktemp("speech") / "speech.wav"
    EspeakSpeechEngine().synthesize(TEXT, SpeakerProfile("ada", "f" * 64), wav, language="en-us")
    return wav


@pytest.fixture(scope="module")
def kdtalker():
    with KDTalkerStandIn() as server:
        yield server


def test_the_embedded_preview_passes_its_own_checks(tmp_path: Path, sample_media, speech: Path) -> None:
    clip = tmp_path / "preview.mp4"
    PreviewVideoEngine().render(sample_media["portrait"], speech, clip)
    verdict = check_segment(0, clip, speech, lip_sync=False, expect_face=portrait_has_face(sample_media["portrait"]))
    assert verdict.passed, verdict.problems
    assert verdict.frozen_seconds <= 2.0  # it zooms slowly: never a frozen stretch
    assert verdict.sync_lag is None and any("not applicable" in note for note in verdict.notes)


@pytest.mark.parametrize("fault", ["blank", "frozen"])
def test_a_faceless_or_frozen_render_is_caught(tmp_path: Path, sample_media, speech: Path, kdtalker, fault) -> None:
    kdtalker.reset()
    kdtalker.fail_next((fault,))
    clip = tmp_path / "bad.mp4"
    KDTalkerVideoEngine(kdtalker.url).render(sample_media["portrait"], speech, clip)
    verdict = check_segment(0, clip, speech, lip_sync=True, expect_face=True)
    assert not verdict.passed
    assert verdict.frozen_seconds > 2.0
    if fault == "blank":
        assert verdict.face_fraction == 0.0


def test_a_segment_bad_twice_holds_the_lecture_for_review(tmp_path: Path, sample_media, speech, kdtalker) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    engine = KDTalkerVideoEngine(kdtalker.url)
    kdtalker.reset()
    # Renders come in this order: both first renders, then each segment's second (a segment is checked while the
    # next one renders). Segment 1 is bad once, segment 2 bad twice; ("delay", 0) is a good render.
    kdtalker.fail_next(("blank",), ("frozen",), ("delay", 0), ("blank",))
    with SegmentGate(store, engine, "cs101--sets", sample_media["portrait"]) as gate:
        gate.render(0, sample_media["portrait"], speech, tmp_path / "a.mp4", "segments/a.mp4")
        gate.render(1, sample_media["portrait"], speech, tmp_path / "b.mp4", "segments/b.mp4")
        with pytest.raises(NeedsReview, match="1 video segment"):
            gate.finish()
    assert kdtalker.calls == 4 and gate.rendered_again == [speech, speech]
    assert store.exists("segments/a.mp4")
    assert not store.exists("segments/b.mp4")  # never stored as good
    part = report.get_json(store, report.video_report_key("cs101--sets"))
    assert [s["passed"] for s in part["segments"]] == [True, False]
