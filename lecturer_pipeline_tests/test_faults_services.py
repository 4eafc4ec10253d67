"""The issue's two promises about faults, proved on the real processes:

1. "Services failing a third of their calls at random (429, 500, 524 HTML, resets, timeouts) during a backfill of six
   lectures: all six complete; service call counts show only failed calls were repeated." — a course backfill
   launched with the CLI through dagster-webserver and run by dagster-daemon, against the three stand-ins.
2. "The run killed (SIGKILL of the run process) while the video is rendering: materialising again completes without
   a new TTS request." — ``lecturer-pipeline materialize`` killed with SIGKILL while KDTalker renders, then run again.

A drafted script is spoken only once a person approved it, so a prompted lecture cannot go from prompt to video in
one backfill: its draft is made first (here by the upload sensor's run, with Ollama failing a third of its calls),
approved with ``lecturer-pipeline approve``, and then backfilled with the rest of the course.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.ollama import OllamaStandIn
from lecturer_pipeline.standins.servers.dagster_services import (
    BACKFILL_TAG,
    PARTITION_TAG,
    REPO,
    Dagster,
    dagster_services,
    wait_for,
)
from lecturer_pipeline.standins.zyphra import ZyphraStandIn
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files
from lecturer_pipeline_tests.pipeline_helpers import CONSENT, assert_playable_lecture_video, run_cli, submit_cli_args

COURSE = "math200"
SPEAKER = "ada"
# One sentence each: one Zyphra request and one KDTalker segment per lecture (see the seeds below).
SCRIPTS = {
    "sets": "Sets are collections of distinct objects.",
    "logic": "A proposition is a statement that is either true or false.",
    "relations": "A relation links the members of one set to the members of another.",
    "functions": "A function gives every input exactly one output.",
}
# Drafted by Ollama: 0.1 minutes asks for 15 words, which the stand-in answers with two sentences (one chunk).
PROMPTS = {"counting": "the pigeonhole principle", "graphs": "graphs and their vertices"}

FAIL_RATE = 1 / 3
# Timeouts far above what a call takes here (Zyphra ~0.3 s, Ollama ~0 s, a KDTalker render of a sentence ~1 s), so
# only an injected stall times out, even on a busy machine.
CLIENT_TIMEOUT = 4.0  # LECTURER_ZYPHRA_TIMEOUT and LECTURER_OLLAMA_TIMEOUT
KDTALKER_TIMEOUT = 6.0  # LECTURER_KDTALKER_TIMEOUT
STALL = 7.0  # ("delay", STALL) outlasts every client's timeout: the call fails as a timeout, the work is still done
ZYPHRA_FAULTS = (
    ("status", 429, 0),
    ("status", 500),
    ("html", 524),
    ("html", 502),
    ("reset",),
    ("garbage",),
    ("delay", STALL),
)
OLLAMA_FAULTS = (("status", 429), ("status", 500), ("status", 503), ("html", 502), ("reset",), ("delay", STALL))
KDTALKER_FAULTS = (("crash",), ("delay", STALL))
# Each failing call is drawn with probability 1/3; a step fails for good only when its call and its 3 retries all
# fail: (1/3)^4 ≈ 1.2 % per step. There are 14 steps that call a service (2 drafts in the sensor's runs, 6 speech
# and 6 video in the backfill), so an arbitrary seed sinks a lecture about 16 % of the time (1 - (80/81)^14). The
# runs are therefore made sequential (one run at a time, one call per step), which makes each stand-in's seeded
# draws fall on the same calls every time, and these seeds were chosen by replaying the draws: no step runs out of
# retries, every service fails at least once, and together they meet every fault the issue names.
#   zyphra 27: 429 (Retry-After: 0), reset, 524 page, 500   ollama 32: 500, timeout   kdtalker 30: crash, timeout
# (Seeds 0-26 for Zyphra either let a step exhaust its retries or miss one of 429, 500, 524 and reset.)
SEEDS = {"zyphra": 27, "ollama": 32, "kdtalker": 30}


@pytest.fixture(scope="module")
def zyphra() -> Iterator[ZyphraStandIn]:
    with ZyphraStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def ollama() -> Iterator[OllamaStandIn]:
    with OllamaStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def kdtalker() -> Iterator[KDTalkerStandIn]:
    with KDTalkerStandIn() as server:
        yield server


def _one_run_at_a_time() -> str:
    """The repo's dagster.yaml with the run queue narrowed to one run, dequeued every second instead of every 5."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    config["concurrency"]["runs"]["max_concurrent_runs"] = 1
    config["run_coordinator"] = {
        "module": "dagster._core.run_coordinator",
        "class": "QueuedRunCoordinator",
        "config": {"dequeue_interval_seconds": 1},
    }
    return yaml.safe_dump(config)


def _kind(behaviour: tuple[Any, ...]) -> str:
    """A fault as the issue names it: the status code of a JSON error or an HTML page, else its kind."""
    return str(behaviour[1]) if behaviour[0] in ("status", "html") else behaviour[0]


def _stalled(injections: list[tuple[Any, ...]]) -> int:
    """Calls the client gave up on (a timeout) but the service went on to complete."""
    return sum(behaviour[0] == "delay" for behaviour in injections)


def _statuses(dagster: Dagster) -> dict[str, str]:
    """Lecture ID -> status, as ``lecturer-pipeline status`` lists them."""
    listed = run_cli(dagster.home, "status", "--course", COURSE, env=dagster.env)
    assert listed.returncode == 0, listed.stderr
    return {row[0]: row[1] for row in (line.split() for line in listed.stdout.splitlines()[1:])}


def _runs_finished(dagster: Dagster, lecture: str) -> bool:
    runs = dagster.runs_for(lecture)
    return bool(runs) and all(run["status"] in {"SUCCESS", "FAILURE", "CANCELED"} for run in runs)


def test_backfill_of_six_lectures_completes_while_services_fail_a_third_of_calls(
    tmp_path: Path, sample_media, zyphra: ZyphraStandIn, ollama: OllamaStandIn, kdtalker: KDTalkerStandIn
) -> None:
    env = {
        "ZYPHRA_API_KEY": zyphra.api_key,
        "ZYPHRA_BASE_URL": zyphra.base_url,
        "KDTALKER_URL": kdtalker.url,
        "OLLAMA_HOST": ollama.host,
        "LECTURER_ZYPHRA_TIMEOUT": str(CLIENT_TIMEOUT),
        "LECTURER_OLLAMA_TIMEOUT": str(CLIENT_TIMEOUT),
        "LECTURER_KDTALKER_TIMEOUT": str(KDTALKER_TIMEOUT),
        "LECTURER_RETRY_DELAY_SECONDS": "0.2",
        # Retried calls back off from 2 s (1-3 s with jitter): a render the client gave up on (STALL) still holds
        # KDTalker's one GPU for about a second after the timeout, and a retry sent at once would queue behind it.
        "LECTURER_CALL_RETRY_DELAY_SECONDS": "2",
    }
    standins = (zyphra, ollama, kdtalker)
    for standin in standins:  # counters from zero: the accounting below is absolute
        standin.reset()
    with dagster_services(tmp_path, env=env, dagster_yaml=_one_run_at_a_time()) as dagster:
        store = LocalObjectStore(dagster.home / "objects")  # where `lecturer-pipeline submit` writes uploads
        try:
            zyphra.fail_rate(FAIL_RATE, seed=SEEDS["zyphra"], behaviours=ZYPHRA_FAULTS)
            ollama.fail_rate(FAIL_RATE, seed=SEEDS["ollama"], behaviours=OLLAMA_FAULTS)
            kdtalker.fail_rate(FAIL_RATE, seed=SEEDS["kdtalker"], behaviours=KDTALKER_FAULTS)

            # The prompted lectures: the sensor starts them, Ollama drafts, and they wait for review.
            submit_speaker_files(
                store, SPEAKER, voice=sample_media["voice"], portrait=sample_media["portrait"], consent=CONSENT
            )
            drafted = [
                submit_lecture(
                    store, COURSE, name, LectureManifest(speaker=SPEAKER, prompt=prompt, target_minutes=0.1)
                )[0]
                for name, prompt in PROMPTS.items()
            ]
            wait_for("the drafts", lambda: all(_runs_finished(dagster, d) for d in drafted), timeout=120, interval=0.5)
            assert {_statuses(dagster)[lecture] for lecture in drafted} == {"AWAITING_APPROVAL"}
            assert (zyphra.calls, kdtalker.calls) == (0, 0), "nothing is spoken or rendered before approval"
            drafting_calls = ollama.calls

            # The operator pauses the sensor, approves the drafts, adds four scripted lectures and backfills all six.
            dagster.stop_sensor("lecture_uploads_sensor")
            for lecture in drafted:
                approved = run_cli(dagster.home, "approve", lecture, env=dagster.env)
                assert approved.returncode == 0, approved.stderr
            scripted = [
                submit_lecture(store, COURSE, name, LectureManifest(speaker=SPEAKER, script=text))[0]
                for name, text in SCRIPTS.items()
            ]
            dagster.add_dynamic_partitions("lectures", scripted)
            lectures = sorted(drafted + scripted)
            launched = run_cli(dagster.home, "backfill", "--course", COURSE, env=dagster.env)
            assert launched.returncode == 0, launched.stderr
            lines = launched.stdout.strip().splitlines()
            assert lines[:-1] == [f"lecture: {lecture}" for lecture in lectures]
            backfill_id = lines[-1].removeprefix("backfill: ")
            status = dagster.wait_for_backfill(backfill_id, timeout=900)  # 6 runs in turn: the test took 470 s in CI
        finally:
            for standin in standins:
                standin.fail_rate(0)
        assert status in {"COMPLETED", "COMPLETED_SUCCESS"}, status

        # All six complete, each in one run of the backfill (retries happen inside the run).
        runs = dagster.runs_tagged(BACKFILL_TAG, backfill_id)
        assert [run["status"] for run in runs] == ["SUCCESS"] * len(lectures)
        partitions = [tag["value"] for run in runs for tag in run["tags"] if tag["key"] == PARTITION_TAG]
        assert sorted(partitions) == lectures
        assert _statuses(dagster) == dict.fromkeys(lectures, "COMPLETED")
        speech = {lecture: dagster.materialization_metadata("speech", lecture) for lecture in lectures}
        video = {lecture: dagster.materialization_metadata("video", lecture) for lecture in lectures}

    for standin in standins:  # a call the client gave up on may still be finishing
        assert standin.wait_idle(timeout=30)
    assert {meta["engine"] for meta in speech.values()} == {"zyphra"}
    assert {meta["engine"] for meta in video.values()} == {"kdtalker"}
    chunks = sum(meta["chunks"] for meta in speech.values())
    segments = sum(meta["segments"] for meta in video.values())
    assert (chunks, segments) == (len(lectures), len(lectures)), "one request and one render per lecture"

    # Every fault the issue names was met.
    met = Counter(_kind(b) for standin in standins for b in standin.injections)
    assert {"429", "500", "524", "reset", "delay"} <= set(met), met

    # Ollama: each draft generated once (plus any generation a timed-out client never received), and never again
    # once approved.
    assert ollama.injected > 0
    assert ollama.calls == drafting_calls == ollama.injected + len(PROMPTS)
    assert ollama.generations == len(PROMPTS) + _stalled(ollama.injections)
    assert ollama.errors == []

    # Zyphra: every call beyond one per chunk was a failed one; each chunk's text was spoken once, and again only
    # where the first answer went to a client that had already timed out.
    assert zyphra.injected > 0
    assert zyphra.calls == zyphra.injected + chunks
    served = Counter(zyphra.served_texts)
    lost = Counter(text for b, text in zip(zyphra.injections, zyphra.injected_texts, strict=True) if b[0] == "delay")
    assert len(served) == chunks
    assert served == Counter(set(served)) + lost
    assert zyphra.successes == chunks + _stalled(zyphra.injections)
    assert zyphra.errors == []

    # KDTalker: every segment rendered once (plus any render a timed-out client never received).
    assert kdtalker.injected > 0
    assert kdtalker.calls == kdtalker.injected + segments
    # A render whose client gave up can still be coming when this counts (seen once in CI): wait, don't race it.
    stalled = _stalled(kdtalker.injections)
    wait_for("the render a client gave up on", lambda: kdtalker.renders >= segments + stalled, timeout=30, interval=0.2)
    assert kdtalker.renders == segments + stalled
    assert kdtalker.errors == []


def _cli_env(home: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment ``pipeline_helpers.run_cli`` gives the CLI (a clean one plus ``env``), for a Popen."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LECTURER_", "DAGSTER_HOME"))}
    clean.update(env, LECTURER_HOME=str(home))
    return clean


def test_materialize_killed_while_rendering_resumes_without_new_speech(
    tmp_path: Path, sample_media, zyphra: ZyphraStandIn, kdtalker: KDTalkerStandIn
) -> None:
    env = {"ZYPHRA_API_KEY": zyphra.api_key, "ZYPHRA_BASE_URL": zyphra.base_url, "KDTALKER_URL": kdtalker.url}
    home = tmp_path / "home"
    script = tmp_path / "script.txt"
    script.write_text("Sets are collections of distinct objects. We write them with curly braces.")
    args = submit_cli_args("cs101", "killed", script=script, speaker=SPEAKER, media=sample_media)
    submitted = run_cli(home, *args, env=env)
    assert submitted.returncode == 0, submitted.stderr
    lecture = submitted.stdout.split()[-1]
    tts_before, renders_before, kd_before = zyphra.calls, kdtalker.renders, kdtalker.calls

    kdtalker.latency_per_second = 1.0  # a few seconds of "GPU" for the sentence: time to kill the run mid-render
    try:
        run = subprocess.Popen(
            [sys.executable, "-m", "lecturer_pipeline.cli", "materialize", lecture],
            env=_cli_env(home, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def rendering() -> bool:
            assert run.poll() is None, f"materialize ended before the video stage: {run.communicate()}"
            return kdtalker.calls > kd_before

        try:
            wait_for("KDTalker to be asked for the video", rendering, timeout=120, interval=0.05)
        finally:
            run.send_signal(signal.SIGKILL)  # the run process itself: `materialize` runs every step in-process
            run.communicate(timeout=30)
        assert run.returncode == -signal.SIGKILL
        assert kdtalker.renders == renders_before, "the run was killed before the render finished"
        tts_at_kill, kd_at_kill = zyphra.calls, kdtalker.calls
        assert tts_at_kill > tts_before, "the speech was made before the video stage"
    finally:
        kdtalker.latency_per_second = 0.0

    again = run_cli(home, "materialize", lecture, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    lines = again.stdout.splitlines()
    assert lines[0] == f"lecture: {lecture}" and lines[-1].startswith("video: ")
    assert_playable_lecture_video(
        Path(lines[-1].removeprefix("video: ")), home / f"objects/generated/audio/{lecture}/speech.wav"
    )
    assert zyphra.calls == tts_at_kill, "no new TTS request: the stored speech was reused"
    assert kdtalker.calls == kd_at_kill + 1, "only the segment the killed run lost was rendered again"
