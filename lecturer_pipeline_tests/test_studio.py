"""The instructor studio: the page driven through ``gradio_client`` and in headless Chromium, over a running app.

The studio only writes uploads and reads the catalog; in deployment the upload sensor then starts the runs. Here the
tests run the pipeline in-process at the point where the sensor would (``pipeline_helpers.run``), with Ollama's
stand-in drafting the prompted scripts, so the page's view of a drafted, approved and finished lecture is real.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, AuthenticationError
from PIL import Image

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.errors import ConfigurationError, InputError
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.ollama import OllamaStandIn
from lecturer_pipeline.storage.accounts import User
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.studio.access import studio_access
from lecturer_pipeline.studio.actions import Studio
from lecturer_pipeline.studio.app import MODE_PROMPT, MODE_SCRIPT, launch
from lecturer_pipeline.studio.lectures import LectureRequest, list_lectures, submit_from_page
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files
from lecturer_pipeline_tests.pipeline_helpers import CONSENT, SCRIPT, ffprobe, run

AUTH = ("lecturer", "s3cret-pass")
OPERATOR = User("ops", "admin")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Gradio's queue trips pandas' deprecation warnings on every event; they are Gradio's, not this project's.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
]


@dataclass
class Running:
    url: str
    settings: Settings
    defs: dg.Definitions
    instance: dg.DagsterInstance
    store: ObjectStore
    catalog: Catalog

    def client(self) -> Client:
        return Client(self.url, auth=AUTH, verbose=False)

    def keys(self) -> set[str]:
        return {info.key for info in self.store.list("")}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ollama() -> Iterator[OllamaStandIn]:
    with OllamaStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory, ollama: OllamaStandIn) -> Iterator[Running]:
    """The studio on a free loopback port, password-protected, over an embedded-default home with Ollama."""
    settings = Settings(lecturer_home=tmp_path_factory.mktemp("studio") / "home", ollama_host=ollama.host)
    defs = build_definitions(settings)
    port = _free_port()
    app = launch(settings, port=port, auth=AUTH, block=False, quiet=True)
    try:
        with dg.instance_for_test() as instance:
            yield Running(
                f"http://127.0.0.1:{port}/",
                settings,
                defs,
                instance,
                defs.resources["objects"].get_store(),
                defs.resources["catalog"].get_catalog(),
            )
    finally:
        app.close()


def _tone(path: Path, seconds: float) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}", str(path)],
        check=True,
    )
    return path


def _value(output):
    """An output's value: Gradio sends a component update (a dict with ``__type__``) when visibility changes too."""
    return output.get("value") if isinstance(output, dict) and output.get("__type__") == "update" else output


def _rows(table: dict) -> dict[str, dict[str, str]]:
    return {row[0]: dict(zip(table["headers"], row, strict=True)) for row in table["data"] if row[0]}


def test_access_is_open_on_loopback_and_password_protected_elsewhere() -> None:
    assert studio_access("127.0.0.1", None).credentials is None
    assert studio_access("::1", None).credentials is None
    assert studio_access("localhost", None).credentials is None
    exposed = studio_access("0.0.0.0", None)
    assert exposed.credentials is not None and exposed.credentials[0] == "lecturer"
    assert len(exposed.credentials[1]) >= 16 and exposed.credentials[1] in exposed.note
    assert studio_access("0.0.0.0", None).credentials != exposed.credentials, "a fresh password every start"
    assert studio_access("studio.example.org", "ada:pa:ss").credentials == ("ada", "pa:ss")
    assert studio_access("127.0.0.1", "ada:pw").credentials == ("ada", "pw"), "configured means on, even locally"
    with pytest.raises(ConfigurationError, match="LECTURER_STUDIO_AUTH must be user:password"):
        studio_access("0.0.0.0", "no-colon")


def test_the_page_refuses_bad_input_in_words_and_writes_nothing(studio: Running, tmp_path: Path, sample_media) -> None:
    with pytest.raises(AuthenticationError):
        Client(studio.url, verbose=False)
    client = studio.client()
    before = studio.keys()

    short = client.predict(handle_file(str(_tone(tmp_path / "short.wav", 4))), api_name="/check_voice")
    assert short.startswith("✗") and "4.0 s" in short and "10–30 s" in short and "record a little more" in short
    good = client.predict(handle_file(str(sample_media["voice"])), api_name="/check_voice")
    assert good.startswith("✓") and "passes the 10–30 s rule" in good
    notes = tmp_path / "notes.txt"
    notes.write_text("not a recording")
    assert "must be one of .wav" in client.predict(handle_file(str(notes)), api_name="/check_voice")

    fake = tmp_path / "face.png"
    fake.write_text("not an image")
    cropped, message = client.predict(handle_file(str(fake)), api_name="/preview_portrait")
    assert cropped is None and "not an image" in message
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\x89PNG" + bytes(21 * 1024 * 1024))
    with pytest.raises(AppError, match=r"huge\.png is 21\.0 MB; a portrait may be at most 20 MB") as refused:
        client.predict("ada", None, handle_file(str(huge)), "Ada", CONSENT.statement, True, api_name="/save_speaker")
    assert "/tmp" not in str(refused.value), "no server-side path in the message"

    for name in ("../etc", "uploads/voice/x", "ada.json"):
        with pytest.raises(AppError, match=r"speaker name .* is not allowed"):
            client.predict(
                name,
                None,
                handle_file(str(sample_media["portrait"])),
                "A",
                CONSENT.statement,
                True,
                api_name="/save_speaker",
            )
    with pytest.raises(AppError, match="consent"):
        client.predict("ada", handle_file(str(sample_media["voice"])), None, "", "", False, api_name="/save_speaker")
    with pytest.raises(AppError, match=r"4\.0 s long; a reference voice must be 10–30 s"):
        client.predict(
            "ada",
            handle_file(str(tmp_path / "short.wav")),
            None,
            "Ada",
            CONSENT.statement,
            True,
            api_name="/save_speaker",
        )
    with pytest.raises(AppError, match="speaker nobody needs a voice recording and a portrait and your signed consent"):
        client.predict(
            "nobody", "cs101", "Sets", "", MODE_SCRIPT, SCRIPT, "", 5, "", "", "en-us", api_name="/submit_lecture"
        )

    # The server itself caps an upload's size (25 MB), whatever client sends it.
    with httpx.Client(base_url=studio.url, timeout=60) as http:
        assert http.post("login", data={"username": AUTH[0], "password": AUTH[1]}).status_code == 200
        answer = http.post("gradio_api/upload", files={"files": ("big.wav", bytes(26 * 1024 * 1024), "audio/wav")})
    assert answer.status_code == 413 and "maximum allowed size" in answer.text

    assert studio.keys() == before, "a refused input writes nothing"


def test_speaker_lectures_draft_approval_and_video_through_gradio_client(
    studio: Running, sample_media, ollama: OllamaStandIn
) -> None:
    """A speaker from generated media, a scripted and a prompted lecture, the draft approved, the video fetched."""
    client = studio.client()
    saved = client.predict(
        "Ada",
        handle_file(str(sample_media["voice"])),
        handle_file(str(sample_media["portrait"])),
        "Ada Lovelace",
        CONSENT.statement,
        True,
        api_name="/save_speaker",
    )
    assert "Speaker ada** — ready for lectures" in saved and "signed by Ada Lovelace" in saved
    written = studio.keys()
    assert {"uploads/voice/ada.wav", "uploads/portrait/ada.png"} <= written, "the consent goes to the history"
    assert all(key.startswith("uploads/") for key in written), written
    with Image.open(studio.store.root / "uploads/portrait/ada.png") as uploaded:
        assert uploaded.size == (512, 512) and uploaded.mode == "RGB", "the checked square is what is uploaded"

    scripted = client.predict(
        "ada", "CS101", "Intro to sets", "", MODE_SCRIPT, SCRIPT, "", 5, "", "", "en-us", api_name="/submit_lecture"
    )
    assert "lecture: cs101--intro-to-sets — submitted" in scripted
    prompted = client.predict(
        "ada",
        "cs101",
        "Where sets came from",
        "history",
        MODE_PROMPT,
        "",
        "the birth of set theory",
        0.2,
        "first-years",
        "friendly",
        "en-us",
        api_name="/submit_lecture",
    )
    assert "lecture: cs101--history — submitted" in prompted and "Nothing is spoken before you approve" in prompted
    listed = _rows(client.predict("ada", "", None, api_name="/list_lectures")[0])
    assert {lid: row["status"] for lid, row in listed.items()} == {
        "cs101--intro-to-sets": "SUBMITTED",
        "cs101--history": "SUBMITTED",
    }

    # Where the sensor would start them:
    drafts_before = ollama.generations
    assert run(studio.defs, studio.instance, "cs101--intro-to-sets").success
    held = run(studio.defs, studio.instance, "cs101--history")
    assert not held.success and ollama.generations == drafts_before + 1

    table, chooser, *_ = client.predict("ada", "cs101", None, api_name="/list_lectures")
    listed = _rows(table)
    assert listed["cs101--intro-to-sets"]["status"] == "COMPLETED"
    assert listed["cs101--history"]["status"] == "AWAITING_APPROVAL"
    assert listed["cs101--history"]["stage"] == "slide_deck" and "approve" in listed["cs101--history"]["what now"]
    for lid, row in listed.items():
        catalogued = studio.catalog.get_lecture(lid)
        assert (row["status"], row["stage"], row["title"]) == (
            catalogued["status"],
            catalogued["stage"],
            catalogued["title"],
        )
    assert _value(chooser) in listed

    detail, draft, video, files = map(_value, client.predict("cs101--history", api_name="/open_lecture"))
    drafted = studio.catalog.get_lecture("cs101--history")["script"]
    assert "AWAITING_APPROVAL" in detail and draft == drafted and "set theory" in draft
    assert video is None and files is None
    edited = drafted + "\n\nThat is all for today."
    detail, *_ = client.predict("cs101--history", edited, api_name="/approve_draft")
    assert "SUBMITTED" in detail and "Approved" in detail
    with pytest.raises(AppError, match="no draft waiting for review"):
        client.predict("cs101--history", edited, api_name="/approve_draft")
    approved = run(studio.defs, studio.instance, "cs101--history")
    assert approved.success, approved.error
    assert studio.catalog.get_lecture("cs101--history")["script"] == edited, "speech is made from the reviewed text"
    assert ollama.generations == drafts_before + 1, "approval does not draft again"

    detail, draft, video, files = map(_value, client.predict("cs101--intro-to-sets", api_name="/open_lecture"))
    assert "COMPLETED" in detail and draft == ""
    mp4 = Path(video["video"] if isinstance(video, dict) else video)
    streams = {s["codec_type"]: s["codec_name"] for s in ffprobe(mp4)["streams"]}
    assert streams == {"video": "h264", "audio": "aac"}
    assert sorted(Path(f).name for f in files) == sorted(
        [
            "cs101--intro-to-sets.mp4",
            "cs101--intro-to-sets.vtt",
            "cs101--intro-to-sets-transcript.txt",
            "cs101--intro-to-sets-scorm12.zip",
        ]
    )
    vtt = next(Path(f) for f in files if f.endswith(".vtt")).read_text()
    assert vtt.startswith("WEBVTT") and "Sets are collections" in vtt

    # The speaker is kept for every later lecture: the voice is now sealed, the upload gone.
    status, portrait, *_ = client.predict("ada", api_name="/load_speaker")
    assert "ready for lectures" in status and "encrypted" in status and portrait is not None
    assert not studio.store.exists("uploads/voice/ada.wav")


def test_the_lecture_list_explains_each_state_in_plain_words(tmp_path: Path) -> None:
    """Gradio-free: rows from the catalog and uploads not yet picked up, each with what to do next."""
    store, catalog = LocalObjectStore(tmp_path / "objects"), Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    studio = Studio(store, catalog, tmp_path / "work", drafting=False, sensor_seconds=30)
    for lecture in ("voice", "portrait", "fresh", "resent"):
        submit_lecture(store, "cs101", lecture, LectureManifest(title=lecture.title(), speaker="ada", script="Hello."))
    submit_lecture(store, "cs101", "other", LectureManifest(speaker="bob", script="Hello."))
    catalog.upsert_lecture("cs101--voice", course="cs101", title="Voice", speaker="ada")
    catalog.mark_failed(
        "cs101--voice",
        "cs101",
        "reference_voice",
        "lecture cs101--voice, file uploads/voice/ada.wav: ada.wav is 4.1 s long",
    )
    catalog.upsert_lecture("cs101--portrait", course="cs101", title="Portrait", speaker="ada")
    catalog.mark_failed("cs101--portrait", "cs101", "portrait", "lecture cs101--portrait: face.png is not an image")
    catalog.upsert_lecture("cs101--resent", course="cs101", title="Resent", speaker="ada")
    catalog.mark_failed("cs101--resent", "cs101", "speech", "lecture cs101--resent: Zyphra answered 502")
    time.sleep(0.05)
    submit_lecture(store, "cs101", "resent", LectureManifest(title="Resent", speaker="ada", script="Hello again."))

    views = {v.lecture_id: v for v in list_lectures(studio, OPERATOR, "ada")}
    assert set(views) == {"cs101--voice", "cs101--portrait", "cs101--fresh", "cs101--resent"}, "only ada's lectures"
    voice = views["cs101--voice"]
    assert voice.status == "FAILED" and "lecture cs101--voice" not in voice.note
    assert "4.1 s long" in voice.note and "Record or upload your voice again on the Speaker tab" in voice.note
    assert "Upload another portrait" in views["cs101--portrait"].note
    fresh = views["cs101--fresh"]
    assert fresh.status == "SUBMITTED" and "still needs a voice recording and a portrait and your signed consent" in (
        fresh.note
    )
    assert views["cs101--resent"].status == "SUBMITTED", "a re-submission after a failure waits for the pipeline"
    with pytest.raises(InputError, match="needs a voice recording"):
        submit_from_page(studio, OPERATOR, "ada", LectureRequest(course="cs101", title="More", script="Hi."))
    assert all(key.startswith("uploads/") for key in (info.key for info in store.list("")))
    catalog.dispose()


def test_the_pipeline_refuses_to_speak_an_unapproved_draft(tmp_path: Path, sample_media, ollama) -> None:
    """The approval gate is the pipeline's, not the page's: a drafted script stops the run before any speech."""
    defs = build_definitions(Settings(lecturer_home=tmp_path / "home", ollama_host=ollama.host))
    store = defs.resources["objects"].get_store()
    submit_speaker_files(store, "ada", voice=sample_media["voice"], portrait=sample_media["portrait"], consent=CONSENT)
    lecture_id, _ = submit_lecture(
        store, "math", "drafted", LectureManifest(speaker="ada", prompt="prime numbers", target_minutes=0.2)
    )
    with dg.instance_for_test() as instance:
        outcome = run(defs, instance, lecture_id)
    assert not outcome.success and f"lecturer-pipeline approve {lecture_id}" in outcome.error
    row = defs.resources["catalog"].get_catalog().get_lecture(lecture_id)
    # The gate is met at slide_deck, the first step after the script that writes under generated/ (before speech).
    assert row["status"] == "AWAITING_APPROVAL" and row["stage"] == "slide_deck" and "prime numbers" in row["script"]
    assert list(store.list("generated/audio/")) == [] and list(store.list("generated/video/")) == []


def test_in_headless_chromium_upload_submit_and_watch(studio: Running, sample_media, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        # A fake microphone that plays the sample voice, so recording in the page can be tried too.
        microphone = [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={sample_media['voice']}",
        ]
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *microphone]
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000}, permissions=["microphone"])
            page = context.new_page()
            page.goto(studio.url)
            page.get_by_label("username").fill(AUTH[0])
            page.get_by_label("password").fill(AUTH[1])
            page.get_by_role("button", name="Login").click()
            # The page's own load event answered: the app is mounted and its queue reachable, so a click now is
            # not lost on a page still starting (CI at load 12 once saw Load pressed and no answer within 20 s).
            expect(page.locator("#signed-in")).to_contain_text("Signed in as", timeout=60_000)

            page.locator("#speaker-name textarea").fill("grace")
            page.locator("#load-speaker").click()
            expect(page.locator("#speaker-status")).to_contain_text("not ready yet", timeout=60_000)
            # A recording made in the browser reaches the same check: 3 s is measured and refused in words.
            page.locator("#voice .record-button").click()
            page.wait_for_timeout(3_000)
            page.locator("#voice .stop-button").first.click()
            expect(page.locator("#voice-check")).to_contain_text(
                re.compile(r"✗ \d\.\d s — .* \d\.\d s long; a reference voice must be 10–30 s"), timeout=30_000
            )
            page.locator("#voice").get_by_label("Clear").click()
            page.locator("#voice").get_by_label("Upload file").click()
            page.locator("#voice input[type=file]").set_input_files(str(sample_media["voice"]))
            expect(page.locator("#voice-check")).to_contain_text(re.compile(r"✓ 1\d\.\d s — passes the 10–30 s rule"))
            page.locator("#portrait input[type=file]").set_input_files(str(sample_media["portrait"]))
            expect(page.locator("#portrait-cropped img")).to_be_visible(timeout=30_000)
            page.locator("#consent-by textarea").fill("Grace Hopper")
            page.screenshot(path=str(ARTIFACTS / "studio-speaker.png"), full_page=True)
            page.locator("#consent-agree input[type=checkbox]").check()
            page.locator("#save-speaker").click()
            expect(page.locator("#speaker-status")).to_contain_text("ready for lectures", timeout=30_000)

            page.get_by_role("tab", name="2 · Lecture").click()
            page.locator("#course textarea").fill("navy")
            page.locator("#title textarea").fill("Compilers")
            page.locator("#script textarea").fill(SCRIPT)
            page.locator("#submit-lecture").click()
            expect(page.locator("#submit-result")).to_contain_text("lecture: navy--compilers", timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "studio-submitted.png"), full_page=True)
            assert studio.store.exists("uploads/lectures/navy/compilers.json")

            # Where the sensor would start it; in a thread of its own, away from Playwright's event loop.
            with ThreadPoolExecutor(1) as pool:
                outcome = pool.submit(run, studio.defs, studio.instance, "navy--compilers").result(timeout=120)
            assert outcome.success, outcome.error

            page.get_by_role("tab", name="3 · My lectures").click()
            expect(page.locator("#lecture-detail")).to_contain_text("COMPLETED", timeout=30_000)
            player = page.locator("#video video")
            expect(player).to_be_visible(timeout=30_000)
            expect(page.locator("#video track")).to_have_count(1)
            player.evaluate("v => { v.muted = true; v.currentTime = 2; return v.play(); }")
            page.wait_for_function("() => document.querySelector('#video video').currentTime > 2.2", timeout=20_000)
            page.locator("#video").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "studio-finished.png"), full_page=True)
        finally:
            browser.close()
    for shot in ("studio-speaker.png", "studio-submitted.png", "studio-finished.png"):
        assert (ARTIFACTS / shot).stat().st_size > 20_000
