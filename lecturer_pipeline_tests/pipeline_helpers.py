"""Helpers for tests that run the whole asset graph: settings, uploads and inspection of the results."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import dagster as dg

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.runner import LectureOutcome, run_lecture
from lecturer_pipeline.security.consent import ConsentRecord
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.sample_lecture import (  # noqa: F401
    CONSENT,
    SCRIPT,
    materialization_metadata,
    submit_sample,
)
from lecturer_pipeline.standins.servers.dagster_services import run_cli  # noqa: F401


def run(defs: dg.Definitions, instance: dg.DagsterInstance, lecture_id: str) -> LectureOutcome:
    return run_lecture(defs, instance, lecture_id)


def check_evaluations(instance: dg.DagsterInstance, run_id: str) -> dict[str, bool]:
    """Asset check name -> passed, for the checks evaluated in a run."""
    found = {}
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event and event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            found[evaluation.check_name] = evaluation.passed
    return found


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


# The composed lecture video (lecture.mp4) has a title and an end card around the speech (3 s each by default).
CARDS_SECONDS = 6.0


def assert_playable_lecture_video(mp4: Path, speech_wav: Path, *, cards_seconds: float | None = None) -> None:
    """The mp4 is H.264 (yuv420p, even size) + AAC, faststart, and as long as the speech (±0.1 s) — plus the cards
    for the composed lecture video (1920×1080; the talking head alone is the portrait's size)."""
    info = ffprobe(mp4)
    streams = {s["codec_type"]: s for s in info["streams"]}
    if cards_seconds is None:
        composed = (streams["video"]["width"], streams["video"]["height"]) == (1920, 1080)
        cards_seconds = CARDS_SECONDS if composed else 0.0
    assert streams["video"]["codec_name"] == "h264"
    assert streams["video"]["pix_fmt"] == "yuv420p"
    assert streams["video"]["width"] % 2 == 0 and streams["video"]["height"] % 2 == 0
    assert streams["audio"]["codec_name"] == "aac"
    with wave.open(str(speech_wav)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        speech_seconds = wav.getnframes() / wav.getframerate()
    assert abs(float(info["format"]["duration"]) - speech_seconds - cards_seconds) <= 0.1
    head = mp4.read_bytes()[:1_000_000]
    assert 0 <= head.find(b"moov") < head.find(b"mdat"), "moov must precede mdat (+faststart)"


def local_settings(home: Path) -> Settings:
    return Settings(lecturer_home=home)


def definitions(settings: Settings) -> dg.Definitions:
    return build_definitions(settings)


def submit_cli_args(
    course: str,
    lecture: str,
    *,
    script: Path | str | None = None,
    prompt: str | None = None,
    speaker: str = "ada",
    media: dict[str, Path],
    consent: ConsentRecord = CONSENT,
) -> list[str]:
    """``lecturer-pipeline submit`` arguments for a lecture (a script file and/or a prompt) with its speaker's voice
    and portrait from ``media`` and the speaker's consent."""
    args = ["submit", "--course", course, "--lecture", lecture]
    if script is not None:
        args += ["--script", str(script)]
    if prompt is not None:
        args += ["--prompt", prompt]
    args += ["--speaker", speaker, "--voice", str(media["voice"]), "--portrait", str(media["portrait"])]
    return [*args, "--consent", consent.statement]
