"""``lecturer-pipeline standins`` as a user runs it: it prints the variables to export, the services they point at
answer the pipeline's own clients, and Ctrl-C (SIGINT) stops them all."""

from __future__ import annotations

import base64
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.kdtalker import KDTalkerVideoEngine
from lecturer_pipeline.engines.ollama import OllamaScriptWriter
from lecturer_pipeline.engines.zyphra import ZyphraSpeechEngine
from lecturer_pipeline.media.audio import wav_duration
from lecturer_pipeline.media.probe import probe

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")

SERVICE_VARIABLES = ("ZYPHRA_BASE_URL", "OLLAMA_HOST", "KDTALKER_URL")
_OUTSIDE = ("LECTURER_", "ZYPHRA_", "ZONOS_", "OLLAMA_", "KDTALKER_")  # the user's own settings stay out


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class StandinsCommand:
    """The command running in a subprocess, its stdout read line by line on a thread (so reads can time out)."""

    def __init__(self, home: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OUTSIDE)} | {"LECTURER_HOME": str(home)}
        self.stderr = home / "standins.stderr"
        with open(self.stderr, "w") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lecturer_pipeline.cli", "standins", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=sink,
                text=True,
                # Started as a shell's background job is (and as some test runners' workers start it): SIGINT
                # ignored, which Python keeps unless the command installs its own handler. Ctrl-C must still stop it.
                preexec_fn=_ignore_sigint,
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def exports(self, count: int, timeout: float = 180.0) -> dict[str, str]:
        """The first ``count`` ``export NAME=value`` lines, as the shell would set them."""
        found: dict[str, str] = {}
        while len(found) < count:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no export lines within {timeout:.0f} s; stderr: {self.stderr.read_text()}")
            if line is None:
                pytest.fail(f"the command ended early ({self.process.wait()}); stderr: {self.stderr.read_text()}")
            assert line.startswith("export "), f"stdout holds only export lines, not {line!r}"
            name, value = line.removeprefix("export ").split("=", 1)
            (found[name],) = shlex.split(value)  # unquoted as the shell would
        return found

    def interrupt(self, timeout: float = 60.0) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)  # the command dumps its threads' stacks to stderr
            time.sleep(2)
            self.process.kill()
            self.process.wait()
            pytest.fail(f"still running {timeout:.0f} s after Ctrl-C; stderr:\n{self.stderr.read_text()}")


@pytest.fixture
def command(tmp_path: Path) -> Iterator[StandinsCommand]:
    running = StandinsCommand(tmp_path)
    yield running
    if running.process.poll() is None:  # a failed test still stops what it started
        running.process.kill()
        running.process.wait()


def _refuses(url: str) -> bool:
    try:
        httpx.get(url, timeout=5)
    except httpx.ConnectError:
        return True
    return False


def test_standins_serve_the_remote_path_until_sigint(command: StandinsCommand, sample_media, tmp_path) -> None:
    variables = command.exports(4)
    assert set(variables) == {"ZYPHRA_API_KEY", *SERVICE_VARIABLES}
    assert all(urlsplit(variables[name]).hostname == "127.0.0.1" for name in SERVICE_VARIABLES), variables

    clip = base64.b64encode(sample_media["voice"].read_bytes()).decode()
    profile = SpeakerProfile("ada", "a" * 64, speaker_audio_b64=clip)
    speech = tmp_path / "speech.wav"
    zyphra = ZyphraSpeechEngine(variables["ZYPHRA_API_KEY"], variables["ZYPHRA_BASE_URL"], mime_type="audio/wav")
    seconds = zyphra.synthesize("Sets are collections of distinct objects.", profile, speech, language="en-us")
    assert 1.0 < seconds < 8.0 and abs(wav_duration(speech) - seconds) < 0.1

    draft = OllamaScriptWriter(variables["OLLAMA_HOST"], timeout=60).draft("Topic: ocean tides", target_minutes=0.5)
    assert "ocean tides" in draft.text and draft.model == "llama3:8b"

    video = tmp_path / "segment.mp4"
    kdtalker = KDTalkerVideoEngine(variables["KDTALKER_URL"], timeout=120)
    try:
        kdtalker.render(sample_media["portrait"], speech, video)
    finally:
        kdtalker.close()
    info = probe(video)
    assert info.video is not None and (info.video.width, info.video.height) == (512, 512)
    assert abs(info.duration - wav_duration(speech)) <= 0.1

    assert command.interrupt() == 0
    assert "stopping the stand-ins" in command.stderr.read_text()
    assert all(_refuses(variables[name]) for name in SERVICE_VARIABLES), "every stand-in stopped listening"
