"""The operator's setup for real: dagster-webserver and dagster-daemon over workspace.yaml and the repo's
dagster.yaml. Two lectures are submitted with the CLI, the upload sensor starts them, a course backfill is launched
with the CLI through GraphQL, and everything is awaited through GraphQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lecturer_pipeline_tests.pipeline_helpers import CONSENT, SCRIPT, run_cli

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dagster:
    def __init__(self, url: str, env: dict[str, str], home: Path) -> None:
        self.url, self.env, self.home = url, env, home

    def graphql(self, query: str, **variables) -> dict:
        response = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=30)
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def runs_for(self, lecture_id: str) -> list[dict]:
        query = """query($value: String!) { runsOrError(filter: {tags: [{key: "dagster/partition", value: $value}]}) {
            ... on Runs { results { runId status tags { key value } } } } }"""
        return self.graphql(query, value=lecture_id)["runsOrError"]["results"]

    def backfill_status(self, backfill_id: str) -> str:
        query = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
            __typename ... on PartitionBackfill { status } ... on PythonError { message } } }"""
        return self.graphql(query, id=backfill_id)["partitionBackfillOrError"]["status"]


def _wait(what: str, predicate, timeout: float = 240.0, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def dagster(tmp_path: Path) -> Iterator[Dagster]:
    home = tmp_path / "home"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LECTURER_", "DAGSTER_"))}
    env.update(
        LECTURER_HOME=str(home),
        DAGSTER_HOME=str(dagster_home),
        LECTURER_SENSOR_INTERVAL_SECONDS="2",
        LECTURER_DAGSTER_URL=f"http://127.0.0.1:{port}",
    )
    assert run_cli(home, "pools", env=env).returncode == 0
    logs = tmp_path / "logs"
    logs.mkdir()
    url = f"http://127.0.0.1:{port}"
    commands = {
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        "webserver": [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
    }
    with contextlib.ExitStack() as stack:
        processes = []
        for name, command in commands.items():
            log = stack.enter_context(open(logs / f"{name}.log", "w"))
            processes.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))

        def answers() -> bool:
            try:
                return httpx.get(f"{url}/server_info", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            _wait("the webserver", answers, timeout=90)
            yield Dagster(url, env, home)
        finally:
            for process in processes:  # SIGTERM, as an operator's service manager would
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def test_sensor_then_course_backfill_through_webserver_and_daemon(dagster: Dagster, tmp_path: Path, sample_media):
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT)
    for lecture in ("sets", "logic"):
        submitted = run_cli(
            dagster.home,
            "submit",
            "--course",
            "cs101",
            "--lecture",
            lecture,
            "--script",
            str(script),
            "--speaker",
            "ada",
            "--voice",
            str(sample_media["voice"]),
            "--portrait",
            str(sample_media["portrait"]),
            "--consent",
            CONSENT.statement,
            env=dagster.env,
        )
        assert submitted.returncode == 0, submitted.stderr

    def both_succeeded() -> bool:
        runs = [dagster.runs_for(lid) for lid in ("cs101--sets", "cs101--logic")]
        failed = [r for rs in runs for r in rs if r["status"] == "FAILURE"]
        assert not failed, f"a sensor run failed: {failed}"
        return all(any(r["status"] == "SUCCESS" for r in rs) for rs in runs)

    _wait("the sensor's runs to succeed", both_succeeded)
    sensor_runs = dagster.runs_for("cs101--sets")
    assert len(sensor_runs) == 1, "the sensor starts a lecture once per upload"
    assert {"key": "lecturer/course", "value": "cs101"} in sensor_runs[0]["tags"]

    launched = run_cli(dagster.home, "backfill", "--course", "cs101", env=dagster.env)
    assert launched.returncode == 0, launched.stderr
    lines = launched.stdout.strip().splitlines()
    assert sorted(lines[:-1]) == ["lecture: cs101--logic", "lecture: cs101--sets"]
    backfill_id = lines[-1].removeprefix("backfill: ")
    status = _wait(
        "the backfill to finish",
        lambda: (
            (s := dagster.backfill_status(backfill_id))
            in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED"}
            and s
        ),
    )
    assert status in {"COMPLETED", "COMPLETED_SUCCESS"}
    assert all(len(dagster.runs_for(lid)) >= 2 for lid in ("cs101--sets", "cs101--logic"))

    listed = run_cli(dagster.home, "status", "--course", "cs101", env=dagster.env)
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert {(row[0], row[1]) for row in rows} == {("cs101--logic", "COMPLETED"), ("cs101--sets", "COMPLETED")}

    refused = run_cli(dagster.home, "backfill", "--course", "cs101", "--from-failure", env=dagster.env)
    assert refused.returncode == 2 and "no failed lectures" in refused.stderr
