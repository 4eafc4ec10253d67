"""The studio over a running app: a deck submitted with the lecture (as ``submit --deck`` takes it, checked first),
its pages shown with the markers that bring them up, and a NEEDS_REVIEW lecture approved as it is with the button
behind which ``accept-quality``'s operation runs — by the lecture's owner, never by another lecturer.

Two lecturers (ann, ben) and an admin (ops) sign in through ``gradio_client``. Speech comes from the Zyphra stand-in,
which can answer 200 OK with bad audio; the pipeline runs in-process where the upload sensor would start it.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.quality import report
from lecturer_pipeline.security.passwords import hash_password
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.zyphra import ZyphraStandIn
from lecturer_pipeline.storage.accounts import Accounts
from lecturer_pipeline.storage.catalog import Catalog, Status
from lecturer_pipeline.studio.app import MODE_SCRIPT, launch
from lecturer_pipeline_tests.pipeline_helpers import CONSENT, run
from lecturer_pipeline_tests.studio_running import PASSWORDS, ROLES, Running, free_port

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Two paragraphs, two pages: the heading brings up page 1, the [slide] line page 2.
SCRIPT = (
    "# Sets\nSets are collections of distinct objects. We write them with curly braces.\n\n"
    "[slide]\nTwo sets are equal when they have the same members. Order does not matter."
)
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def zyphra() -> Iterator[ZyphraStandIn]:
    with ZyphraStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory, zyphra: ZyphraStandIn) -> Iterator[Running]:
    """A studio with the accounts of `studio_running`, over a home whose speech engine is the Zyphra stand-in."""
    settings = Settings(
        lecturer_home=tmp_path_factory.mktemp("review") / "home",
        zyphra_api_key=zyphra.api_key,
        zyphra_base_url=zyphra.base_url,
        lecturer_zyphra_mime_type="audio/wav",
    )
    settings.lecturer_home.mkdir(parents=True)
    defs = build_definitions(settings)
    catalog = defs.resources["catalog"].get_catalog()
    accounts = Accounts(catalog)
    for name, password in PASSWORDS.items():
        accounts.add_user(name, ROLES[name], hash_password(password))
    port = free_port()
    app = launch(settings, port=port, environ={}, block=False, quiet=True)
    try:
        with dg.instance_for_test() as instance:
            yield Running(f"http://127.0.0.1:{port}/", defs, instance, defs.resources["objects"].get_store(), catalog)
    finally:
        app.close()


@pytest.fixture(scope="module")
def ann(studio: Running, sample_media) -> Client:
    """ann's client, with her speaker saved (so she owns it) from the sample voice and portrait."""
    client = studio.client("ann")
    saved = client.predict(
        "ann",
        handle_file(str(sample_media["voice"])),
        handle_file(str(sample_media["portrait"])),
        "Ann Example",
        CONSENT.statement,
        True,
        api_name="/save_speaker",
    )
    assert "ready for lectures" in saved
    return client


def _pdf(path: Path, pages: int, size: tuple[int, int] = (640, 360)) -> Path:
    """A PDF of ``pages`` coloured pages, written by Pillow."""
    images = [Image.new("RGB", size, (40 * n % 256, 200 - 30 * n % 200, 90)) for n in range(pages)]
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


def _submit(client: Client, lecture: str, deck: Path | None):
    return client.predict(
        "ann",
        "cs101",
        "Sets",
        lecture,
        MODE_SCRIPT,
        SCRIPT,
        "",
        5,
        "",
        "",
        "en-us",
        handle_file(str(deck)) if deck else None,
        api_name="/submit_lecture",
    )


def _approve_in_chromium(studio: Running, user: str) -> str:
    """Sign in as ``user``, open the My lectures tab, press *Approve as it is*; returns the lecture view's text after.
    The button must be visible before (the lecture is NEEDS_REVIEW) and hidden after (it is PENDING)."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            page.goto(studio.url)
            page.get_by_label("username").fill(user)
            page.get_by_label("password").fill(PASSWORDS[user])
            page.get_by_role("button", name="Login").click()
            page.locator("#speaker-name textarea").fill("ann")
            page.locator("#load-speaker").click()
            page.get_by_role("tab", name="3 · My lectures").click()
            detail, button = page.locator("#lecture-detail"), page.locator("#accept-quality")
            expect(detail).to_contain_text("NEEDS_REVIEW", timeout=30_000)
            expect(detail).to_contain_text("did not sound right twice")
            expect(button).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "studio-needs-review.png"), full_page=True)
            button.click()
            expect(detail).to_contain_text("Approved as it is", timeout=30_000)
            expect(button).to_be_hidden()
            return detail.inner_text()
        finally:
            browser.close()


def _captions(gallery) -> list[str]:
    return [item["caption"] if isinstance(item, dict) else item[1] for item in gallery or []]


def test_a_broken_or_too_long_deck_is_refused_naming_the_file_and_nothing_is_written(
    studio: Running, ann: Client, tmp_path: Path
) -> None:
    before = studio.keys()
    broken = tmp_path / "broken-slides.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not a PDF body")
    with pytest.raises(AppError, match=r"file broken-slides\.pdf: the deck is a broken PDF") as refused:
        _submit(ann, "refused", broken)
    assert "/tmp" not in str(refused.value), "no server-side path in the message"
    long = _pdf(tmp_path / "long-slides.pdf", 201, size=(32, 18))
    with pytest.raises(AppError, match=r"file long-slides\.pdf: the deck has 201 pages; at most 200 are allowed"):
        _submit(ann, "refused", long)
    notes = tmp_path / "notes.txt"
    notes.write_text("not slides")
    with pytest.raises(AppError, match=r"notes\.txt has \.txt; a deck must be one of \.pdf, \.pptx"):
        _submit(ann, "refused", notes)
    assert studio.keys() == before, "a refused deck writes neither the deck nor the lecture"


def test_a_deck_lecture_held_for_review_is_approved_as_it_is_by_its_owner_only(
    studio: Running, ann: Client, zyphra: ZyphraStandIn, tmp_path: Path
) -> None:
    deck = _pdf(tmp_path / "sets.pdf", 2)
    submitted = _submit(ann, "sets", deck)
    assert "lecture: cs101--sets — submitted" in submitted and "Its deck has 2 pages." in submitted
    stored = studio.store.get_bytes("uploads/lectures/cs101/sets.pdf")
    assert hashlib.sha256(stored).digest() == hashlib.sha256(deck.read_bytes()).digest()
    assert studio.store.exists("uploads/lectures/cs101/sets.json")

    # The first chunk comes back as other words, then (asked again after the second chunk's request) in another
    # voice: the lecture is held for review. ("delay", 0) answers normally.
    zyphra.reset()
    zyphra.fail_next(("garble",), ("delay", 0), ("wrongvoice",))
    held = run(studio.defs, studio.instance, "cs101--sets")
    assert not held.success
    assert studio.catalog.get_lecture("cs101--sets")["status"] == Status.NEEDS_REVIEW.value
    failing = [c for c in report.get_json(studio.store, report.speech_report_key("cs101--sets"))["chunks"]]
    assert [c["passed"] for c in failing] == [False, True]
    review_audio = report.review_audio_key("cs101--sets", failing[0]["hash"])
    assert studio.store.exists(review_audio)

    # The deck was rendered before speech: its pages, each with the script line that brings it up.
    pages = ann.predict("cs101--sets", api_name="/deck_pages")
    assert _captions(pages) == ["page 1 — shown from line 1: # Sets", "page 2 — shown from line 4: [slide]"]

    detail, *_ = ann.predict("cs101--sets", api_name="/open_lecture")
    assert "NEEDS_REVIEW" in detail and "**Quality check:** " in detail
    assert "sentence group(s) did not sound right twice (wrong words or another voice)" in detail

    # Another lecturer can neither open it nor approve it; nothing changes.
    ben = studio.client("ben")
    for api in ("/open_lecture", "/accept_quality", "/deck_pages"):
        with pytest.raises(AppError, match="belongs to another lecturer's speaker"):
            ben.predict("cs101--sets", api_name=api)
    assert studio.catalog.get_lecture("cs101--sets")["status"] == Status.NEEDS_REVIEW.value
    assert studio.store.exists(review_audio)
    # An admin sees the verdict too (the button is offered to the owner and to operators).
    assert "did not sound right twice" in studio.client("ops").predict("cs101--sets", api_name="/open_lecture")[0]

    # In the browser, ann's lecture view offers the button beside the verdict; pressing it approves the lecture.
    detail = _approve_in_chromium(studio, "ann")
    assert "Approved as it is: part(s) 1 are kept" in detail and "PENDING" in detail
    row = studio.catalog.get_lecture("cs101--sets")
    assert (row["status"], row["stage"]) == (Status.PENDING.value, "speech"), "as accept-quality leaves it"
    accepted = report.get_json(studio.store, report.speech_report_key("cs101--sets"))["chunks"][0]
    assert accepted["accepted"] is True and accepted["accepted_by"] == "ann"
    assert not studio.store.exists(review_audio), "the reviewed answer became the stored chunk"
    with pytest.raises(AppError, match=r"is not held for review \(status: PENDING\)"):
        ann.predict("cs101--sets", api_name="/accept_quality")

    # The next run reuses the approved answer: nothing is asked for again, and the lecture completes.
    zyphra.reset()
    again = run(studio.defs, studio.instance, "cs101--sets")
    assert again.success, again.error
    assert zyphra.calls == 0
    assert studio.catalog.get_lecture("cs101--sets")["status"] == Status.COMPLETED.value
    detail, *_ = ann.predict("cs101--sets", api_name="/open_lecture")
    assert "COMPLETED" in detail and "1 part(s) approved as they are" in detail


def test_a_pptx_deck_is_converted_to_count_its_pages_and_stored_as_uploaded(
    studio: Running, ann: Client, tmp_path: Path
) -> None:
    from pptx import Presentation

    deck = Presentation()
    for title in ("Sets", "Equality", "Functions"):
        deck.slides.add_slide(deck.slide_layouts[1]).shapes.title.text = title
    pptx = tmp_path / "sets-slides.pptx"
    deck.save(pptx)
    submitted = _submit(ann, "from-pptx", pptx)
    assert "lecture: cs101--from-pptx — submitted" in submitted and "Its deck has 3 pages." in submitted
    stored = studio.store.get_bytes("uploads/lectures/cs101/from-pptx.pptx")
    assert stored == pptx.read_bytes(), "the PPTX itself is uploaded; the pipeline converts it again when it runs"
    assert not studio.store.exists("uploads/lectures/cs101/from-pptx.pdf")


def test_approving_as_it_is_starts_the_lectures_run_through_the_webserver(tmp_path: Path) -> None:
    """With a webserver (LECTURER_DAGSTER_URL), *Approve as it is* launches the lecture's one-partition backfill, as
    `backfill` would; without one, it says so and names the command that runs it."""
    from lecturer_pipeline.storage.local import LocalObjectStore
    from lecturer_pipeline.studio import review
    from lecturer_pipeline.studio.actions import Studio
    from lecturer_pipeline_tests.webserver_standin import webserver_standin

    lid, chunk = "cs101--sets", {"index": 0, "text": "Sets.", "passed": False, "hash": "c" * 64}
    store, catalog = LocalObjectStore(tmp_path / "objects"), Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    accounts = Accounts(catalog)
    ann = accounts.add_user("ann", "lecturer", None)
    accounts.give("ada", "ann")

    def held() -> None:
        catalog.upsert_lecture(lid, course="cs101", speaker="ada", status=Status.NEEDS_REVIEW.value)
        report.put_json(store, report.speech_report_key(lid), {"lecture_id": lid, "passed": False, "chunks": [chunk]})
        store.put_bytes(report.review_audio_key(lid, chunk["hash"]), b"RIFF", content_type="audio/wav")

    held()
    with webserver_standin([lid]) as webserver:
        approved = review.approve_as_is(Studio(store, catalog, tmp_path, dagster_url=webserver.url), ann, lid)
    assert approved.backfill == "bf1" and "runs now (Dagster backfill bf1)" in approved.message
    assert [params["partitionNames"] for params in webserver.launched] == [[lid]]
    assert catalog.get_lecture(lid)["status"] == Status.PENDING.value

    held()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound, never listening: refused at once
    approved = review.approve_as_is(Studio(store, catalog, tmp_path, dagster_url=url), ann, lid)
    closed.close()
    assert approved.backfill is None and f"lecturer-pipeline materialize {lid}" in approved.message
    assert "cannot reach the Dagster webserver" in approved.message
    catalog.dispose()
