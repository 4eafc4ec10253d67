"""The operator's setup for real: dagster-webserver and dagster-daemon over workspace.yaml and the repo's
dagster.yaml. Two lectures are submitted with the CLI, the upload sensor starts them, a course backfill is launched
with the CLI through GraphQL, and everything is awaited through GraphQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lecturer_pipeline.standins.servers.dagster_services import Dagster, dagster_services, wait_for
from lecturer_pipeline_tests.pipeline_helpers import SCRIPT, run_cli, submit_cli_args


@pytest.fixture
def dagster(tmp_path: Path) -> Iterator[Dagster]:
    with dagster_services(tmp_path) as services:
        yield services


def test_sensor_then_course_backfill_through_webserver_and_daemon(dagster: Dagster, tmp_path: Path, sample_media):
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT)
    for lecture in ("sets", "logic"):
        args = submit_cli_args("cs101", lecture, script=script, media=sample_media)
        submitted = run_cli(dagster.home, *args, env=dagster.env)
        assert submitted.returncode == 0, submitted.stderr

    def both_succeeded() -> bool:
        runs = [dagster.runs_for(lid) for lid in ("cs101--sets", "cs101--logic")]
        failed = [r for rs in runs for r in rs if r["status"] == "FAILURE"]
        assert not failed, f"a sensor run failed: {failed}"
        return all(any(r["status"] == "SUCCESS" for r in rs) for rs in runs)

    wait_for("the sensor's runs to succeed", both_succeeded)
    sensor_runs = dagster.runs_for("cs101--sets")
    assert len(sensor_runs) == 1, "the sensor starts a lecture once per upload"
    assert {"key": "lecturer/course", "value": "cs101"} in sensor_runs[0]["tags"]

    launched = run_cli(dagster.home, "backfill", "--course", "cs101", env=dagster.env)
    assert launched.returncode == 0, launched.stderr
    lines = launched.stdout.strip().splitlines()
    assert sorted(lines[:-1]) == ["lecture: cs101--logic", "lecture: cs101--sets"]
    backfill_id = lines[-1].removeprefix("backfill: ")
    status = wait_for(
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
