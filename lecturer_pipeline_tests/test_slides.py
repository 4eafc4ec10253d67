"""Slide markers in scripts, and deck files checked, converted and rendered (no pipeline run)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from lecturer_pipeline.deck_uploads import submit_deck
from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media.deck import count_pages, render_pages
from lecturer_pipeline.model import LectureScript
from lecturer_pipeline.stages.deck import prepare_deck
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.text.captions import build_transcript
from lecturer_pipeline.text.chunks import plan_chunks
from lecturer_pipeline.text.script import text_sha256
from lecturer_pipeline.text.slides import marker_for_pages, paragraph_pages

SCRIPT = """# Welcome
Sets are collections. They hold members.
[slide]
Members are distinct.

[slide 5]

Order does not matter.
# Equality
Two sets are equal when their members are."""


def test_markers_move_pages_and_are_never_spoken() -> None:
    chunks = plan_chunks(SCRIPT)
    assert [c.text for c in chunks] == [
        "Sets are collections. They hold members.",
        "Members are distinct.",
        "Order does not matter.",
        "Two sets are equal when their members are.",
    ]
    assert [c.paragraph for c in chunks] == [0, 1, 2, 3], "a marker inside a block starts a paragraph of its own"
    assert [c.section for c in chunks] == ["Welcome", "Welcome", "Welcome", "Equality"]
    # The heading at the top brings up page 1; [slide] the next; [slide 5] page 5; the next heading page 6.
    assert paragraph_pages(SCRIPT, 10) == [1, 2, 5, 6]
    assert paragraph_pages(SCRIPT, 10, headings=False) == [1, 2, 5, 5]
    assert marker_for_pages(SCRIPT, 10) == {
        1: "line 1: # Welcome",
        2: "line 3: [slide]",
        5: "line 6: [slide 5]",
        6: "line 9: # Equality",
    }
    assert "[slide" not in build_transcript("Sets", SCRIPT)


def test_a_page_the_deck_lacks_is_refused_with_both_counts() -> None:
    refused = r"line 3 of the script \(.\[slide 12\].\) shows slide 12, but the deck has 10"
    with pytest.raises(InputError, match=refused):
        paragraph_pages("Intro.\n\n[slide 12]\nToo far.", 10)
    with pytest.raises(InputError, match=r"shows the next slide \(3\), but the deck has 2 pages"):
        paragraph_pages("One.\n[slide]\nTwo.\n[slide]\nThree.", 2)
    with pytest.raises(InputError, match="slide 4"):  # a marker after the last words is checked too
        paragraph_pages("One.\n\n[slide 4]", 3)


def _pdf(path: Path, pages: int) -> Path:
    images = [Image.new("RGB", (1280, 720), (20 * n, 200 - 15 * n, 90)) for n in range(pages)]
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


def _pptx(path: Path, titles: list[str]) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for title in titles:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = f"Notes about {title.lower()}"
    deck.save(path)
    return path


def test_pdf_pages_render_to_1080p_letterboxed(tmp_path: Path) -> None:
    square = tmp_path / "square.pdf"
    Image.new("RGB", (800, 800), (250, 250, 250)).save(square)
    picture = Image.open(render_pages(square, tmp_path)[0])
    assert picture.size == (1920, 1080)
    assert picture.getpixel((960, 540)) == (250, 250, 250)  # the page, centred
    assert picture.getpixel((100, 540)) == (17, 17, 17)  # the letterbox beside it, never a stretched page


def test_broken_encrypted_and_oversized_decks_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not a PDF body")
    with pytest.raises(InputError, match="broken PDF"):
        count_pages(broken)
    words = tmp_path / "words.pdf"
    words.write_text("just text with a .pdf name")
    with pytest.raises(InputError, match="not a PDF"):
        count_pages(words)
    # A genuinely password-protected PDF, written by LibreOffice's own PDF export.
    pptx = _pptx(tmp_path / "secret.pptx", ["Secret"])
    export = 'pdf:impress_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},' + (
        '"DocumentOpenPassword":{"type":"string","value":"hunter2"}}'
    )
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    subprocess.run(
        [
            shutil.which("soffice") or "soffice",
            profile,
            "--headless",
            "--convert-to",
            export,
            "--outdir",
            str(tmp_path),
            str(pptx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    with pytest.raises(InputError, match="password-protected"):
        count_pages(tmp_path / "secret.pdf")
    with pytest.raises(InputError, match="at most 200"):
        count_pages(_pdf(tmp_path / "long.pdf", 201))


def _script(lecture_id: str, text: str) -> LectureScript:
    course, _ = lecture_id.split("--")
    return LectureScript(lecture_id, course, "Sets", "ada", "en-us", text, text_sha256(text))


def test_a_pptx_deck_goes_through_libreoffice(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    key = submit_deck(store, "cs101", "sets", _pptx(tmp_path / "deck.pptx", ["Sets", "Members", "Equality"]))
    assert key == "uploads/lectures/cs101/sets.pptx"
    script = _script("cs101--sets", "Sets.\n\n[slide 3]\nEquality.\n\n[slide 2]\nMembers.")
    work = tmp_path / "work"
    work.mkdir()
    deck = prepare_deck(store, catalog, script, work)
    manifest = json.loads(deck.path.read_text())
    assert manifest["source"]["converted"] is True and manifest["source"]["pages"] == 3
    assert manifest["paragraph_pages"] == [1, 3, 2]
    pages = [Image.open(store.root / page["key"]) for page in manifest["pages"]]
    assert all(page.size == (1920, 1080) for page in pages)
    # LibreOffice drew the slides: each page has its (dark) title text on the (white) default background.
    assert all(page.convert("L").getextrema()[0] < 100 for page in pages)
    assert len({page["sha256"] for page in manifest["pages"]}) == 3

    with pytest.raises(InputError, match=r"slide 4, but the deck has 3 pages.*sets\.pptx") as refused:
        prepare_deck(store, catalog, _script("cs101--sets", "Sets.\n[slide 4]\nNo such page."), work)
    assert refused.value.lecture_id == "cs101--sets" and refused.value.file == "uploads/lectures/cs101/sets.json"


def test_submit_takes_a_deck_and_the_sensor_leaves_it_to_its_lecture(tmp_path: Path, sample_media) -> None:
    from lecturer_pipeline.operations.intake import plan_intake
    from lecturer_pipeline_tests.pipeline_helpers import run_cli, submit_cli_args

    home = tmp_path / "home"
    script = tmp_path / "sets.txt"
    script.write_text("Sets.\n\n[slide 2]\nMembers.")
    args = submit_cli_args("cs101", "sets", script=script, media=sample_media)
    done = run_cli(home, *args, "--deck", str(_pdf(tmp_path / "slides.pdf", 2)))
    assert done.returncode == 0, done.stderr
    store = LocalObjectStore(home / "objects")
    assert store.exists("uploads/lectures/cs101/sets.pdf") and store.exists("uploads/lectures/cs101/sets.json")
    scan = plan_intake(store, Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}"))
    assert [lecture.lecture_id for lecture in scan.ready] == ["cs101--sets"] and not scan.refused
    assert [row.key for row in scan.records] == ["uploads/lectures/cs101/sets.json"], "the deck is left to its lecture"
    refused = run_cli(home, *args, "--deck", str(script))
    assert refused.returncode != 0 and "a deck must be a .pdf or .pptx file" in refused.stderr
