"""Helpers for tests that run the whole asset graph: settings, uploads and inspection of the results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import dagster as dg

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.runner import LectureOutcome, run_lecture
from lecturer_pipeline.security.consent import ConsentRecord
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

CONSENT = ConsentRecord(by="Ada Lovelace", statement="I agree that my voice is cloned to make this course's lectures.")

SCRIPT = (
    "Sets are collections of distinct objects. We write them with curly braces.\n\n"
    "Two sets are equal when they have the same members. Order does not matter."
)


def submit_sample(
    defs: dg.Definitions,
    media: dict[str, Path],
    *,
    course: str = "cs101",
    lecture: str = "sets",
    speaker: str = "ada",
    script: str = SCRIPT,
    voice: Path | None = None,
    portrait: Path | None = None,
) -> str:
    store = defs.resources["objects"].get_store()
    submit_speaker_files(
        store, speaker, voice=voice or media["voice"], portrait=portrait or media["portrait"], consent=CONSENT
    )
    lecture_id, _ = submit_lecture(
        store, course, lecture, LectureManifest(title="Sets", speaker=speaker, script=script)
    )
    return lecture_id


def run(defs: dg.Definitions, instance: dg.DagsterInstance, lecture_id: str) -> LectureOutcome:
    return run_lecture(defs, instance, lecture_id)


def materialization_metadata(instance: dg.DagsterInstance, run_id: str, asset: str) -> dict:
    """The metadata of one asset's materialisation in a run, as plain values."""
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event and event.is_step_materialization and event.asset_key == dg.AssetKey(asset):
            return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"no materialisation of {asset} in run {run_id}")


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


def run_cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``lecturer-pipeline`` as a user would, in a clean environment plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LECTURER_", "DAGSTER_HOME"))}
    clean.update(env or {}, LECTURER_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "lecturer_pipeline.cli", *args], env=clean, capture_output=True, text=True, timeout=300
    )
