"""The studio's security model over a running app: accounts, ownership, consent bound to each voice, sign-in modes.

Two lecturers (ann, ben) and an admin (ops) in the catalog, signed in through ``gradio_client`` and in headless
Chromium. The pipeline runs in-process where the upload sensor would start it (``pipeline_helpers.run``).
"""

from __future__ import annotations

import http.server
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import dagster as dg
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media.audio import validate_reference_voice
from lecturer_pipeline.operations.erasure import forget_speaker
from lecturer_pipeline.security.passwords import hash_password
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.accounts import Accounts
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import sha256_file
from lecturer_pipeline.studio.app import MODE_SCRIPT, launch
from lecturer_pipeline.studio.auth import TRUSTED_HEADER_VARIABLE, TRUSTED_PROXIES_VARIABLE
from lecturer_pipeline.studio.files import check_voice
from lecturer_pipeline_tests.pipeline_helpers import SCRIPT, run
from lecturer_pipeline_tests.studio_running import PASSWORDS, ROLES, Running, free_port

STATEMENT = "I agree that this recording of my voice is cloned to make my lectures."
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A studio with four accounts in its catalog (no shared password: accounts mode)."""
    settings = Settings(lecturer_home=tmp_path_factory.mktemp("secured") / "home")
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
            yield Running(
                f"http://127.0.0.1:{port}/", defs, instance, defs.resources["objects"].get_store(), catalog, accounts
            )
    finally:
        app.close()


@pytest.fixture(scope="module")
def voices(sample_media, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three different recordings of the sample voice (other gains, so other bytes and fingerprints)."""
    folder = tmp_path_factory.mktemp("voices")
    made = []
    for i, gain in enumerate((1.0, 0.8, 0.6)):
        path = folder / f"voice{i + 1}.wav"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(sample_media["voice"]), "-af", f"volume={gain}", str(path)],
            check=True,
        )
        made.append(path)
    return made


def _save(client: Client, speaker: str, voice: Path | None, portrait: Path | None, signer: str = "", agree=False):
    return client.predict(
        speaker,
        handle_file(str(voice)) if voice else None,
        handle_file(str(portrait)) if portrait else None,
        signer,
        STATEMENT,
        agree,
        api_name="/save_speaker",
    )


def _submit(client: Client, speaker: str, course: str, title: str, name: str = "") -> str:
    return client.predict(
        speaker, course, title, name, MODE_SCRIPT, SCRIPT, "", 5, "", "", "en-us", api_name="/submit_lecture"
    )


def _value(output):
    return output.get("value") if isinstance(output, dict) and output.get("__type__") == "update" else output


def test_lecturers_see_and_change_only_their_own_speakers_and_consent_binds_each_voice(
    studio: Running, sample_media, voices: list[Path]
) -> None:
    ann, ben, ops = studio.client("ann"), studio.client("ben"), studio.client("ops")
    assert "Signed in as **ann** — a lecturer" in ann.predict(api_name="/signed_in")
    assert "Signed in as **ops** — an admin" in ops.predict(api_name="/signed_in")

    saved = _save(ann, "ann-voice", voices[0], sample_media["portrait"], "Ann Example", True)
    assert "ready for lectures" in saved and "signed by Ann Example (signed in as ann)" in saved
    assert studio.accounts.owner_of("ann-voice") == "ann"
    assert "lecture: bio--cells — submitted" in _submit(ann, "ann-voice", "bio", "Cells")
    first = run(studio.defs, studio.instance, "bio--cells")
    assert first.success, first.error
    history = studio.accounts.consents("ann-voice")
    assert [(c.account, c.signed_name, c.voice_sha256) for c in history] == [
        ("ann", "Ann Example", sha256_file(voices[0]))
    ]
    sealed = studio.catalog.get_speaker("ann-voice")["consent"]
    assert sealed["consent_id"] == history[0].id and sealed["voice_sha256"] == sha256_file(voices[0])

    # Ben has a speaker of his own, and nothing of Ann's.
    assert "ready for lectures" in _save(ben, "ben-voice", voices[2], sample_media["portrait"], "Ben Other", True)
    before = studio.keys()
    refusals = [
        lambda: ben.predict("ann-voice", api_name="/load_speaker"),
        lambda: _save(ben, "ann-voice", voices[1], None, "Mallory", True),
        lambda: _save(ben, "ann-voice", None, sample_media["portrait"]),
        lambda: _submit(ben, "ann-voice", "bio", "Membranes"),
        lambda: ben.predict("ann-voice", "", None, api_name="/list_lectures"),
    ]
    for attempt in refusals:
        with pytest.raises(AppError, match="speaker ann-voice belongs to another lecturer"):
            attempt()
    lecture_refusals = [
        lambda: _submit(ben, "ben-voice", "bio", "Cells"),  # his own speaker, but Ann's lecture ID
        lambda: ben.predict("bio--cells", api_name="/open_lecture"),
        lambda: ben.predict("bio--cells", "my words now", api_name="/approve_draft"),
    ]
    for attempt in lecture_refusals:
        with pytest.raises(AppError, match="lecture bio--cells: this lecture belongs to another lecturer"):
            attempt()
    assert studio.keys() == before, "a refused act writes nothing"
    assert studio.catalog.get_lecture("bio--cells")["speaker"] == "ann-voice"
    ben_rows = ben.predict("ben-voice", "", None, api_name="/list_lectures")[0]["data"]
    assert all("bio--cells" not in row for row in ben_rows), "Ben's list shows none of Ann's lectures"

    # The admin sees and opens everything; Ann opens and downloads her own.
    status, portrait, table, _ = ops.predict("ann-voice", api_name="/load_speaker")
    assert "signed by Ann Example" in status and portrait is not None
    assert any(row[0] == "bio--cells" for row in table["data"])
    for client in (ops, ann):
        detail, _draft, video, files = map(_value, client.predict("bio--cells", api_name="/open_lecture"))
        assert "COMPLETED" in detail and video and len(files) == 4

    # A second voice needs a consent of its own.
    with pytest.raises(AppError, match="every new voice needs a fresh one"):
        _save(ann, "ann-voice", voices[1], None)
    assert "Consent history: 2 records" in _save(ann, "ann-voice", voices[1], None, "Ann Example", True)
    second = run(studio.defs, studio.instance, "bio--cells")
    assert second.success, second.error
    history = studio.accounts.consents("ann-voice")
    assert [c.voice_sha256 for c in history] == [sha256_file(voices[0]), sha256_file(voices[1])], "both kept"
    assert studio.catalog.get_speaker("ann-voice")["consent"]["consent_id"] == history[1].id
    assert studio.catalog.get_speaker("ann-voice")["upload_sha256"] == sha256_file(voices[1])

    # A voice dropped into the uploads with no consent for it is refused by the pipeline itself.
    studio.store.put_file("uploads/voice/ann-voice.wav", voices[2])
    third = run(studio.defs, studio.instance, "bio--cells")
    assert not third.success and "no consent was given for it" in third.error
    assert studio.catalog.get_speaker("ann-voice")["upload_sha256"] == sha256_file(voices[1]), "voice 2 stays"
    assert len(studio.accounts.consents("ann-voice")) == 2

    # Erasure takes the history and the ownership with the voice.
    report = forget_speaker(studio.store, studio.catalog, "ann-voice", now=history[1].given_at)
    assert report.consent_rows == 2 and studio.accounts.consents("ann-voice") == []
    assert studio.accounts.owner_of("ann-voice") is None


def test_twenty_wrong_passwords_lock_the_user_out(studio: Running) -> None:
    with httpx.Client(base_url=studio.url, timeout=60) as http:
        assert http.post("login", data={"username": "cara", "password": PASSWORDS["cara"]}).status_code == 200
        for attempt in range(20):
            answer = http.post("login", data={"username": "cara", "password": f"guess-{attempt}"})
            assert answer.status_code == 400
        locked = http.post("login", data={"username": "cara", "password": PASSWORDS["cara"]})
        assert locked.status_code == 400, "locked out: even the right password is refused for a while"
        other = http.post("login", data={"username": "ben", "password": PASSWORDS["ben"]})
        assert other.status_code == 200, "the lock is on that user (and, after more failures, on the address)"


class _Counter(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_in_chromium_ownership_and_plain_text_titles(studio: Running, sample_media) -> None:
    from playwright.sync_api import expect, sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bait = f"http://127.0.0.1:{server.server_address[1]}"
    title = f"![pixel]({bait}/md.png) <img src='{bait}/html.png'> [link]({bait}/link) {bait}/bare.png"
    ann = studio.client("ann")
    _save(ann, "ann-chrome", sample_media["voice"], sample_media["portrait"], f"![sig]({bait}/sig.png)", True)
    assert "lecture: art--bait — submitted" in _submit(ann, "ann-chrome", "art", title, "bait")

    def sign_in(page, user: str) -> None:
        page.goto(studio.url)
        page.get_by_label("username").fill(user)
        page.get_by_label("password").fill(PASSWORDS[user])
        page.get_by_role("button", name="Login").click()
        expect(page.locator("#signed-in")).to_contain_text(f"Signed in as {user}", timeout=30_000)

    def load(page, speaker: str) -> None:
        page.locator("#speaker-name textarea").fill(speaker)
        page.locator("#load-speaker").click()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            sign_in(page, "ann")
            load(page, "ann-chrome")
            expect(page.locator("#speaker-status")).to_contain_text("signed by ![sig](", timeout=30_000)
            page.get_by_role("tab", name="3 · My lectures").click()
            expect(page.locator("#lecture-detail")).to_contain_text(f"![pixel]({bait}/md.png)", timeout=30_000)
            expect(page.locator("#lecture-detail")).to_contain_text("<img src=")
            expect(page.locator("#lectures")).to_contain_text("![pixel](")
            assert page.locator("#lecture-detail img, #speaker-status img, #lecture-detail a").count() == 0

            other = browser.new_page(viewport={"width": 1280, "height": 1000})
            sign_in(other, "ben")
            load(other, "ann-chrome")
            expect(other.get_by_text("speaker ann-chrome belongs to another lecturer").first).to_be_visible(
                timeout=30_000
            )
            expect(other.locator("#speaker-status")).not_to_contain_text("ready")
            other.get_by_role("tab", name="3 · My lectures").click()
            other.wait_for_timeout(2_000)
            expect(other.locator("#lectures")).not_to_contain_text("art--bait")

            admin = browser.new_page(viewport={"width": 1280, "height": 1000})
            sign_in(admin, "ops")
            load(admin, "ann-chrome")
            expect(admin.locator("#speaker-status")).to_contain_text("ready for lectures", timeout=30_000)
            admin.get_by_role("tab", name="3 · My lectures").click()
            expect(admin.locator("#lectures")).to_contain_text("art--bait", timeout=30_000)
            page.wait_for_timeout(1_000)
        finally:
            browser.close()
            server.shutdown()
    assert _Counter.requests == [], "user text made the browser fetch something"


def test_open_loopback_serves_only_loopback_host_names(tmp_path: Path) -> None:
    port = free_port()
    app = launch(Settings(lecturer_home=tmp_path / "home"), port=port, environ={}, block=False, quiet=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
                assert http.get("/", headers={"Host": host}).status_code == 200, host
            for host in (f"attacker.example:{port}", "127.0.0.1.nip.io", "localhost.attacker.example", ""):
                answer = http.get("/", headers={"Host": host})
                assert 400 <= answer.status_code < 500, host
            assert http.post("/gradio_api/queue/join", headers={"Host": "rebind.example"}).status_code == 421
        assert "Signed in as **local** — an admin" in Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            api_name="/signed_in"
        )
    finally:
        app.close()


def test_single_sign_on_believes_the_header_only_from_the_trusted_proxy(tmp_path: Path) -> None:
    port, home = free_port(), tmp_path / "home"
    environ = {TRUSTED_HEADER_VARIABLE: "X-Forwarded-User", TRUSTED_PROXIES_VARIABLE: "127.0.0.1"}
    app = launch(Settings(lecturer_home=home), port=port, environ=environ, block=False, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        named = Client(url, headers={"X-Forwarded-User": "Dora@Uni.example"}, verbose=False)
        assert "Signed in as **dora@uni.example** — a lecturer" in named.predict(api_name="/signed_in")
        assert httpx.get(url, timeout=30).status_code == 401, "no header: not signed in"
    finally:
        app.close()
    environ[TRUSTED_PROXIES_VARIABLE] = "10.9.8.7"
    app = launch(Settings(lecturer_home=home), port=port, environ=environ, block=False, quiet=True)
    try:
        answer = httpx.get(url, headers={"X-Forwarded-User": "ops"}, timeout=30)
        assert answer.status_code == 401, "the header from anywhere but the proxy is ignored"
    finally:
        app.close()


def test_a_two_hour_voice_with_no_length_in_its_header_is_refused_after_31_seconds_of_decoding(
    tmp_path: Path,
) -> None:
    segment, long = tmp_path / "segment.webm", tmp_path / "lecture-recording.webm"
    tone = "sine=frequency=300:duration=30:sample_rate=16000"
    encode = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", tone, "-c:a", "libopus", "-b:a", "8k", str(segment)]
    subprocess.run(encode, check=True)
    # 240 copies piped out with no metadata, as a browser's MediaRecorder writes it: no duration in the header.
    loop = ["ffmpeg", "-v", "error", "-stream_loop", "239", "-i", str(segment), "-map_metadata", "-1", "-c", "copy"]
    with open(long, "wb") as out:
        subprocess.run([*loop, "-f", "webm", "-"], check=True, stdout=out)
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"longer than 31 s \(its header gives no length; decoding stopped there\)"):
        validate_reference_voice(long)
    print(f"2-hour headerless voice refused after {time.perf_counter() - started:.2f} s")  # figure for the README
    verdict = check_voice(long)
    assert not verdict.passes and "longer than 31 s" in verdict.message


def test_eight_concurrent_writes_of_one_object_in_the_local_store_all_succeed(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    payloads = [bytes([i]) * (256 * 1024 + i) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        infos = list(pool.map(lambda data: store.put_bytes("generated/same/object.bin", data), payloads))
    assert len(infos) == 8 and store.get_bytes("generated/same/object.bin") in payloads
    dest = tmp_path / "fetched" / "object.bin"
    with ThreadPoolExecutor(8) as pool:
        fetched = list(pool.map(lambda _: store.get_file("generated/same/object.bin", dest), range(8)))
    assert fetched == [dest] * 8 and dest.read_bytes() in payloads
    assert [p.name for p in dest.parent.iterdir()] == ["object.bin"], "no temp file left behind"
    assert [info.key for info in store.list("")] == ["generated/same/object.bin"]


def test_the_users_command_manages_accounts_in_the_catalog(tmp_path: Path, monkeypatch, capsys) -> None:
    import io

    from lecturer_pipeline.cli import main
    from lecturer_pipeline.security.passwords import verify_password

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LECTURER_HOME", str(home))
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["users", "add", "Ada", "--role", "admin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "bob"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert main(["users", "passwd", "ada"]) == 0
    assert main(["users", "add", "sso-user", "--sso"]) == 0
    assert main(["users", "give", "ada-voice", "ada"]) == 0
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ada" in listed and "admin" in listed and "speakers: ada-voice" in listed and "single sign-on" in listed
    accounts = Accounts(Catalog(f"sqlite:///{home / 'catalog.sqlite'}"))
    ada = accounts.get_user("ada")
    assert ada.role == "admin" and verify_password("another-password", ada.password_hash)
    assert not verify_password("a-long-password", ada.password_hash) and "password" not in ada.password_hash
    assert main(["users", "remove", "ada"]) == 0
    assert accounts.get_user("ada") is None and accounts.owner_of("ada-voice") is None, "speakers go back to admins"
    assert main(["users", "remove", "ada"]) == 2


def test_failed_logins_from_one_address_lock_the_address() -> None:
    from lecturer_pipeline.studio.auth import LoginLimiter

    limiter = LoginLimiter(per_user=20, per_address=100)
    for attempt in range(99):
        limiter.failed(f"user-{attempt % 10}", "192.0.2.7")
    assert not limiter.locked("someone", "192.0.2.7") and not limiter.locked("user-1", "198.51.100.1")
    limiter.failed("user-x", "192.0.2.7")
    assert limiter.locked("someone", "192.0.2.7"), "the 100th failure from the address locks it for everyone"
    assert not limiter.locked("someone", "198.51.100.1")
