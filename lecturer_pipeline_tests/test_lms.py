"""The SCORM 1.2 export: a lecture run on the embedded default, its package checked file by file, then its player
opened in headless Chromium (Debian's ``chromium``, driven by Playwright) inside an LMS-like frame set with a stub
SCORM API, and standalone."""

from __future__ import annotations

import mimetypes
import re
import shutil
import threading
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import dagster as dg
import pytest
from playwright.sync_api import Browser, sync_playwright

from lecturer_pipeline.lms.scorm import ADLCP_NS, IMSCP_NS, build_manifest
from lecturer_pipeline.operations.erasure import forget_speaker
from lecturer_pipeline.operations.prune import lecture_prefixes
from lecturer_pipeline.storage.layout import lms_package_key, lms_prefix
from lecturer_pipeline_tests.pipeline_helpers import (
    definitions,
    local_settings,
    materialization_metadata,
    run,
    submit_sample,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCRIPT = (
    "# Members\nSets are collections of distinct objects. We write them with curly braces.\n\n"
    "# Equality\nTwo sets are equal when they have the same members."
)
NS = {"cp": IMSCP_NS, "adlcp": ADLCP_NS}
TEXT_ENTRIES = ("index.html", "player.js", "scorm12.js", "player.css", "captions.vtt", "chapters.vtt", "transcript.txt")

# An LMS's launch page: the SCORM 1.2 API object two frames above the content, recording every call.
HOST_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>LMS</title><script>
window.scormCalls = [];
window.scormData = {"cmi.core.lesson_status": "not attempted"};
function record(name) { window.scormCalls.push(Array.prototype.slice.call(arguments)); }
window.API = {
  LMSInitialize: function (a) { record("LMSInitialize", a); return "true"; },
  LMSFinish: function (a) { record("LMSFinish", a); return "true"; },
  LMSGetValue: function (k) { record("LMSGetValue", k); return window.scormData[k] || ""; },
  LMSSetValue: function (k, v) { record("LMSSetValue", k, v); window.scormData[k] = v; return "true"; },
  LMSCommit: function (a) { record("LMSCommit", a); return "true"; },
  LMSGetLastError: function () { return "0"; },
  LMSGetErrorString: function () { return "No error"; },
  LMSGetDiagnostic: function () { return ""; }
};
</script></head>
<body><iframe src="course-frame.html" width="1000" height="800"></iframe></body></html>
"""
COURSE_FRAME = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>course</title></head>
<body><iframe src="package/index.html" width="960" height="760"></iframe></body></html>
"""
PLAY_TO_THE_END = """async () => {
  const video = document.getElementById("lecture-video");
  video.muted = true;
  video.currentTime = Math.max(0, video.duration - 1.0);
  await video.play();
}"""
TRACKS = """() => Array.from(document.getElementById("lecture-video").textTracks).map(t => ({
  kind: t.kind, label: t.label, language: t.language, mode: t.mode, cues: t.cues ? t.cues.length : 0
}))"""


class _RangeHandler(SimpleHTTPRequestHandler):
    """Static files with single byte ranges (media elements seek with them); quiet."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".vtt": "text/vtt",
        ".mp4": "video/mp4",
        ".js": "text/javascript",
    }

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not match or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start = int(match[1])
        end = min(int(match[2]) if match[2] else size - 1, size - 1)
        if start > end:
            self.send_error(416)
            return None
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller, as super().send_head's file is
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)) or mimetypes.guess_type(path.name)[0])
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._remaining = end - start + 1
        return handle

    def copyfile(self, source, outputfile):
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        self._remaining = None
        while remaining > 0 and (block := source.read(min(remaining, 64 * 1024))):
            outputfile.write(block)
            remaining -= len(block)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def lecture(tmp_path_factory: pytest.TempPathFactory, sample_media):
    home = tmp_path_factory.mktemp("lms") / "home"
    defs = definitions(local_settings(home))
    with dg.instance_for_test() as instance:
        lecture_id = submit_sample(defs, sample_media, lecture="sets-scorm", script=SCRIPT)
        outcome = run(defs, instance, lecture_id)
        assert outcome.success, outcome.error
        yield defs, instance, outcome


@pytest.fixture(scope="module")
def package(lecture) -> Path:
    defs, _, outcome = lecture
    return defs.resources["objects"].get_store().root / lms_package_key(outcome.lecture_id)


@pytest.fixture(scope="module")
def site(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The package extracted under an LMS-like frame set, served on 127.0.0.1; yields the base URL."""
    root = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(package) as archive:
        archive.extractall(root / "package")
    (root / "lms.html").write_text(HOST_PAGE, encoding="utf-8")
    (root / "course-frame.html").write_text(COURSE_FRAME, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_RangeHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), "Debian's chromium is needed (make test installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


def _watch_errors(page) -> list[str]:
    """Script errors, console errors and failed requests of the page and its frames. Not errors: the browser asking
    for /favicon.ico, and the media element abandoning a range request when the test seeks."""
    errors: list[str] = []

    def failed(request) -> None:
        if not (request.url.endswith("/video.mp4") and request.failure == "net::ERR_ABORTED"):
            errors.append(f"request failed: {request.url} {request.failure}")

    def console(message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console: {message.text} at {message.location}")

    def response(answer) -> None:
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            errors.append(f"response: {answer.url} {answer.status}")

    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("requestfailed", failed)
    page.on("console", console)
    page.on("response", response)
    return errors


def test_the_package_is_a_valid_scorm_12_content_package(lecture, package: Path) -> None:
    _, instance, outcome = lecture
    with zipfile.ZipFile(package) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        infos = {info.filename: info for info in archive.infolist()}
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        texts = {name: archive.read(name).decode("utf-8") for name in TEXT_ENTRIES}

    assert names[0] == "imsmanifest.xml" and len(names) == len(set(names))
    assert infos["video.mp4"].compress_type == zipfile.ZIP_STORED
    assert infos["captions.vtt"].compress_type == zipfile.ZIP_DEFLATED
    assert {"poster.jpg", "chapters.vtt", "transcript.txt", "captions.vtt", "video.mp4"} <= set(names)

    assert manifest.tag == f"{{{IMSCP_NS}}}manifest" and manifest.get("identifier")
    assert manifest.findtext("cp:metadata/cp:schema", namespaces=NS) == "ADL SCORM"
    assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "1.2"
    organizations = manifest.find("cp:organizations", NS)
    (organization,) = organizations.findall("cp:organization", NS)
    assert organizations.get("default") == organization.get("identifier")
    assert organization.findtext("cp:title", namespaces=NS) == "Sets"
    (item,) = organization.findall("cp:item", NS)
    assert item.findtext("cp:title", namespaces=NS) == "Sets"
    (resource,) = manifest.findall("cp:resources/cp:resource", NS)
    assert item.get("identifierref") == resource.get("identifier")
    assert resource.get(f"{{{ADLCP_NS}}}scormtype") == "sco"
    assert resource.get("type") == "webcontent" and resource.get("href") == "index.html"
    identifiers = [element.get("identifier") for element in manifest.iter() if element.get("identifier")]
    assert len(identifiers) == len(set(identifiers)) == 4
    listed = [element.get("href") for element in resource.findall("cp:file", NS)]
    assert "index.html" in listed
    assert set(listed) == set(names) - {"imsmanifest.xml"}, "every file is listed and every listed file is there"

    page = texts["index.html"]
    for name in ("index.html", "player.js", "scorm12.js", "player.css"):
        assert not re.search(r"(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", texts[name]), f"{name} refers to the network"
    assert '<track kind="captions" src="captions.vtt" srclang="en-US" label="English" default>' in page
    assert '<track kind="chapters" src="chapters.vtt"' in page and 'poster="poster.jpg"' in page
    assert "<h3>Equality</h3>" in page and "Two sets are equal when they have the same members." in page
    assert texts["captions.vtt"].startswith("WEBVTT")

    meta = materialization_metadata(instance, outcome.run_id, "lms_package")
    assert meta["entries"] == len(names) and meta["standard"] == "SCORM 1.2"
    assert meta["package_bytes"] == package.stat().st_size and meta["reused"] is False


def test_manifest_escapes_titles() -> None:
    manifest = ET.fromstring(build_manifest("lecture-x", "Sets & <Maps>", ["index.html"]))
    assert manifest.findtext("cp:organizations/cp:organization/cp:title", namespaces=NS) == "Sets & <Maps>"


def test_an_unchanged_lecture_reuses_its_package(lecture, package: Path) -> None:
    defs, instance, outcome = lecture
    built = package.stat().st_mtime_ns
    again = run(defs, instance, outcome.lecture_id)
    assert again.success, again.error
    assert materialization_metadata(instance, again.run_id, "lms_package")["reused"] is True
    assert package.stat().st_mtime_ns == built
    assert defs.resources["catalog"].get_catalog().get_lecture(outcome.lecture_id)["status"] == "COMPLETED"


def test_the_player_reports_completion_to_the_lms(site: str, browser: Browser, package: Path) -> None:
    page = browser.new_page()
    errors = _watch_errors(page)
    page.goto(f"{site}/lms.html", wait_until="load")
    frame = page.frame(url=re.compile(r"/package/index\.html$"))
    assert frame is not None
    frame.wait_for_function("() => document.getElementById('lecture-video').readyState >= 1", timeout=15_000)
    assert frame.evaluate("() => document.body.dataset.scorm") == "connected"
    assert frame.evaluate("() => document.getElementById('lecture-video').duration") > 2

    # Captions (shown) and chapters (hidden, listed on the page) are loaded from the package.
    frame.wait_for_function(
        "() => Array.from(document.getElementById('lecture-video').textTracks).every(t => t.cues && t.cues.length)",
        timeout=10_000,
    )
    tracks = {track["kind"]: track for track in frame.evaluate(TRACKS)}
    assert tracks["captions"]["mode"] == "showing" and tracks["captions"]["label"] == "English"
    with zipfile.ZipFile(package) as archive:
        cues = archive.read("captions.vtt").decode().count(" --> ")
    assert tracks["captions"]["cues"] == cues
    assert tracks["chapters"]["cues"] == 2
    chapters = frame.locator("#chapters li").all_inner_texts()
    assert [re.sub(r"^\d+:\d\d", "", text) for text in chapters] == ["Members", "Equality"]
    assert chapters[0].startswith("0:00") and frame.locator("#chapters").is_visible()

    calls = page.evaluate("() => window.scormCalls")
    assert calls[0] == ["LMSInitialize", ""]
    assert ["LMSSetValue", "cmi.core.lesson_status", "incomplete"] in calls
    assert ["LMSFinish", ""] not in calls

    frame.evaluate(PLAY_TO_THE_END)
    frame.wait_for_function("() => document.body.dataset.completed === 'true'", timeout=20_000)
    calls = page.evaluate("() => window.scormCalls")
    completed = calls.index(["LMSSetValue", "cmi.core.lesson_status", "completed"])
    commit = max(i for i, call in enumerate(calls) if call == ["LMSCommit", ""])
    assert completed < commit < len(calls) - 1 and calls[-1] == ["LMSFinish", ""]
    assert [call[0] for call in calls].count("LMSInitialize") == 1
    assert [call[0] for call in calls].count("LMSFinish") == 1
    session_time = next(call[2] for call in calls if call[:2] == ["LMSSetValue", "cmi.core.session_time"])
    assert re.fullmatch(r"\d{4}:\d{2}:\d{2}\.\d{2}", session_time)
    assert page.evaluate("() => window.scormData['cmi.core.lesson_status']") == "completed"
    assert not errors, errors
    page.close()


def test_the_player_plays_standalone_without_an_lms(site: str, browser: Browser) -> None:
    page = browser.new_page()
    errors = _watch_errors(page)
    page.goto(f"{site}/package/index.html", wait_until="load")
    page.wait_for_function("() => document.getElementById('lecture-video').readyState >= 1", timeout=15_000)
    assert page.evaluate("() => document.body.dataset.scorm") == "standalone"
    page.evaluate(PLAY_TO_THE_END)
    page.wait_for_function("() => document.body.dataset.completed === 'true'", timeout=20_000)
    assert page.locator("#player-status").inner_text() == "Completed."
    page.locator("#transcript summary").click()
    assert page.locator("#transcript h3").all_inner_texts() == ["Members", "Equality"]
    assert not errors, errors
    page.close()


def test_the_package_goes_with_the_speaker_and_with_pruning(lecture) -> None:
    defs, _, outcome = lecture
    store, catalog = defs.resources["objects"].get_store(), defs.resources["catalog"].get_catalog()
    assert lms_prefix(outcome.lecture_id) in lecture_prefixes(outcome.lecture_id), "pruning removes packages too"
    report = forget_speaker(store, catalog, "ada", now=datetime.now(UTC))
    assert lms_package_key(outcome.lecture_id) in report.keys, "the package holds the voice"
    assert not list(store.list(lms_prefix(outcome.lecture_id)))
    assert catalog.get_artefact(outcome.lecture_id, "lms_package") is None
