"""The composed lecture video end to end: a 10-page deck, a 12-paragraph script with slide markers, the embedded
default engines. Frames of the mp4 are compared with the deck's pages at the markers' times."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import dagster as dg
import pytest
import webvtt
from PIL import Image, ImageChops, ImageDraw, ImageStat

from lecturer_pipeline.deck_uploads import submit_deck
from lecturer_pipeline.media.cards import PipLayout
from lecturer_pipeline.security.c2pa_sign import TRAINED_ALGORITHMIC_MEDIA, verify_mp4
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.studio.deck import deck_thumbnails
from lecturer_pipeline_tests.pipeline_helpers import (
    assert_playable_lecture_video,
    definitions,
    ffprobe,
    materialization_metadata,
    run,
    submit_sample,
)

COLOURS = [(200, 40, 40), (40, 160, 60), (40, 70, 200), (220, 170, 30), (150, 50, 170),
           (30, 170, 170), (240, 120, 20), (90, 90, 90), (240, 240, 240), (120, 70, 30)]  # fmt: skip
MARKERS = ["", "[slide 2]", "# Properties", "[slide]", "[slide 5]", "[slide 7]",
           "[slide 6]", "", "[slide 8]", "# Summary", "[slide 10]", "[slide 1]"]  # fmt: skip
EXPECTED_PAGES = [1, 2, 3, 4, 5, 7, 6, 6, 8, 9, 10, 1]
WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


def _script(words: list[str]) -> str:
    blocks = [f"{marker}\nParagraph {word} is short." if marker else f"Paragraph {word} is short."
              for marker, word in zip(MARKERS, words, strict=True)]  # fmt: skip
    return "\n\n".join(blocks)


def _deck(path: Path, colours: list[tuple[int, int, int]]) -> Path:
    pages = []
    for number, colour in enumerate(colours, start=1):
        page = Image.new("RGB", (1280, 720), colour)
        ImageDraw.Draw(page).text((40, 40), f"page {number}", fill=(0, 0, 0))
        pages.append(page)
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


def _frame(mp4: Path, seconds: float) -> Image.Image:
    png = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", f"{seconds:.3f}", "-i", str(mp4), "-frames:v", "1",
         "-f", "image2pipe", "-vcodec", "png", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return Image.open(io.BytesIO(png)).convert("RGB")


def _difference(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Mean absolute difference of two pictures inside ``box`` (0–255)."""
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3


def _seconds(stamp: str) -> float:
    """A WebVTT timestamp in seconds (webvtt-py's ``*_in_seconds`` drop the milliseconds)."""
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


# Away from the page number, the head (lower right) and the disclosure mark (lower left).
MIDDLE = (300, 200, 1400, 650)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_a_deck_and_slide_markers_make_a_1080p_lecture_video(tmp_path: Path, sample_media, instance) -> None:
    defs = definitions(Settings(lecturer_home=tmp_path / "home"))
    store = defs.resources["objects"].get_store()
    submit_deck(store, "cs101", "sets", _deck(tmp_path / "deck.pdf", COLOURS))
    lecture_id = submit_sample(defs, sample_media, script=_script(WORDS))
    first = run(defs, instance, lecture_id)
    assert first.success, first.error
    mp4 = Path(first.video)
    assert mp4.name == "lecture.mp4", "materialize names the composed video"
    speech_wav = store.root / f"generated/audio/{lecture_id}/speech.wav"
    assert_playable_lecture_video(mp4, speech_wav)
    video_stream = next(s for s in ffprobe(mp4)["streams"] if s["codec_type"] == "video")
    assert (video_stream["width"], video_stream["height"]) == (1920, 1080)
    talking_head = next(s for s in ffprobe(store.root / f"generated/video/{lecture_id}/video.mp4")["streams"])
    assert (talking_head["width"], talking_head["height"]) == (512, 512), "the talking head stays its own artefact"

    catalog = defs.resources["catalog"].get_catalog()
    assert catalog.get_lecture(lecture_id)["video_url"].endswith("/lecture.mp4")
    meta = materialization_metadata(instance, first.run_id, "lecture_video")
    assert meta["parts"] == 14 and meta["parts_composed"] == 14  # title card, 12 paragraphs, end card
    deck = json.loads((store.root / f"generated/video/{lecture_id}/deck/deck.json").read_text())
    assert deck["paragraph_pages"] == EXPECTED_PAGES
    pages = [Image.open(store.root / page["key"]).convert("RGB") for page in deck["pages"]]

    # Each page is on screen from its marker's time: the paragraph's first spoken chunk, after the title card.
    timeline = catalog.get_artefact(lecture_id, "speech").details["timeline"]
    offset = 3.0
    starts = [offset + next(c["start"] for c in timeline if c["paragraph"] == p) for p in range(12)]
    for paragraph, page in enumerate(EXPECTED_PAGES):
        shown = _frame(mp4, starts[paragraph] + 0.1)
        differences = [_difference(shown, other, MIDDLE) for other in pages]
        assert differences.index(min(differences)) == page - 1 and min(differences) < 6, (paragraph, differences)
        if paragraph and EXPECTED_PAGES[paragraph - 1] != page:  # just before the marker: still the previous page
            before = _frame(mp4, starts[paragraph] - 0.2)
            assert _difference(before, pages[EXPECTED_PAGES[paragraph - 1] - 1], MIDDLE) < 6
    title_frame = _frame(mp4, 1.0)
    assert min(_difference(title_frame, page, MIDDLE) for page in pages) > 30, "the title card comes first"

    # The head sits in the lower right corner, inside its circle; the slide shows everywhere else.
    x, y, side = PipLayout().box()
    assert (x, y, side) == (1560, 720, 324)
    shown = _frame(mp4, starts[2] + 0.5)
    page = pages[2]
    assert _difference(shown, page, (x + side // 4, y + side // 4, x + 3 * side // 4, y + 3 * side // 4)) > 40
    assert _difference(shown, page, (x - 80, y, x - 20, y + side)) < 6
    assert _difference(shown, page, (1560, 40, 1880, 360)) < 6, "no head in the upper right"
    assert _difference(shown, page, (x + 4, y + 4, x + 24, y + 24)) < 12, "the circle's corner shows the slide"

    # Captions are timed on the composed video's clock and cover the speech; chapters are the slides.
    captions = store.root / f"generated/captions/{lecture_id}/captions.vtt"
    assert "NOTE AI-generated voice and video of ada" in captions.read_text()
    cues = webvtt.read(str(captions))
    spoken = [(offset + c["start"], offset + c["end"]) for c in timeline]
    assert abs(_seconds(cues[0].start) - spoken[0][0]) < 0.01
    assert abs(_seconds(cues[-1].end) - spoken[-1][1]) < 0.01
    for start, end in spoken:
        inside = [cue for cue in cues if _seconds(cue.start) < end and _seconds(cue.end) > start]
        assert inside and _seconds(inside[0].start) <= start + 0.01 and _seconds(inside[-1].end) >= end - 0.01
    chapters = webvtt.read(str(store.root / f"generated/captions/{lecture_id}/chapters.vtt"))
    assert [c.text for c in chapters][:3] == ["Slide 1", "Slide 2", "Slide 3: Properties"]
    assert len(chapters) == 11  # paragraphs 7 and 8 share page 6
    assert abs(_seconds(chapters[5].start) - starts[5]) < 0.01

    # The SCORM package carries the composed video, and its player's chapters are the slides.
    with zipfile.ZipFile(store.root / f"generated/lms/{lecture_id}/{lecture_id}-scorm12.zip") as package:
        assert hashlib.sha256(package.read("video.mp4")).hexdigest() == hashlib.sha256(mp4.read_bytes()).hexdigest()
        assert "Slide 3: Properties" in package.read("chapters.vtt").decode()

    # Disclosure: MP4 tags and a C2PA manifest that validates and names the engines and the source type.
    tags = ffprobe(mp4)["format"]["tags"]
    assert (tags["title"], tags["artist"]) == ("Sets", "ada")
    assert tags["comment"] == "AI-generated voice and video of ada"
    check = verify_mp4(mp4)
    assert check.valid and check.state == "Valid", check.codes
    text = json.dumps(check.manifest)
    assert "espeak-ng" in text and "ffmpeg-preview" in text and TRAINED_ALGORITHMIC_MEDIA in text
    assert "self-signed embedded default" in text
    assert check.manifest["claim_generator_info"][0]["name"] == "lecturer_pipeline"

    # The studio shows each page with the script line that brings it up.
    thumbnails = deck_thumbnails(store, lecture_id, tmp_path / "studio")
    assert len(thumbnails) == 10 and all(Image.open(path).size == (320, 180) for path, _ in thumbnails)
    assert thumbnails[0][1] == "page 1 — shown from the start"
    assert thumbnails[2][1].startswith("page 3 — shown from line ") and thumbnails[2][1].endswith(": # Properties")

    # One paragraph edited: one segment rendered and composed again, every other part reused.
    edited = [*WORDS]
    edited[4] = "five, now with a few more words"
    submit_sample(defs, sample_media, script=_script(edited))
    again = run(defs, instance, lecture_id)
    assert again.success, again.error
    assert materialization_metadata(instance, again.run_id, "video_segments")["renders"] == 1
    recomposed = materialization_metadata(instance, again.run_id, "lecture_video")
    assert recomposed["parts_composed"] == 1 and recomposed["compose_seconds_cached"] > 0
    assert_playable_lecture_video(Path(again.video), speech_wav)
    assert verify_mp4(Path(again.video)).valid

    # One page of the deck changed: only the segment showing it is composed again.
    changed = [*COLOURS]
    changed[6] = (10, 10, 10)
    submit_deck(store, "cs101", "sets", _deck(tmp_path / "deck2.pdf", changed))
    third = run(defs, instance, lecture_id)
    assert third.success, third.error
    assert materialization_metadata(instance, third.run_id, "lecture_video")["parts_composed"] == 1
    timeline = catalog.get_artefact(lecture_id, "speech").details["timeline"]  # paragraph 5 is longer now
    page_7 = offset + next(c["start"] for c in timeline if c["paragraph"] == 5)
    shown = _frame(Path(third.video), page_7 + 0.3)
    assert ImageStat.Stat(shown.crop(MIDDLE)).mean[0] < 20, "the new page 7 is on screen"


def test_a_script_naming_a_page_the_deck_lacks_is_refused(tmp_path: Path, sample_media, instance) -> None:
    defs = definitions(Settings(lecturer_home=tmp_path / "home"))
    store = defs.resources["objects"].get_store()
    submit_deck(store, "cs101", "far", _deck(tmp_path / "deck.pdf", COLOURS))
    lecture_id = submit_sample(defs, sample_media, lecture="far", script="Intro.\n\n[slide 12]\nToo far.")
    outcome = run(defs, instance, lecture_id)
    assert not outcome.success
    assert "shows slide 12, but the deck has 10 pages" in outcome.error
    assert "uploads/lectures/cs101/far.json" in outcome.error and "uploads/lectures/cs101/far.pdf" in outcome.error
    row = defs.resources["catalog"].get_catalog().get_lecture(lecture_id)
    assert (row["status"], row["stage"]) == ("FAILED", "slide_deck")
    assert not list(store.list(f"generated/audio/{lecture_id}/")), "no speech is made for a refused script"
