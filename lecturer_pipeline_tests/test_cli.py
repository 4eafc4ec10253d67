"""The ``lecturer-pipeline`` command as a user runs it: a real process, its stdout lines and exit codes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dagster as dg

from lecturer_pipeline.storage.catalog import Catalog, Status
from lecturer_pipeline_tests.pipeline_helpers import SCRIPT, assert_playable_lecture_video, run_cli, submit_cli_args
from lecturer_pipeline_tests.webserver_standin import webserver_standin


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(home, *args)


def test_demo_prints_the_path_of_a_playable_video(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _cli(home, "demo")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "lecture: demo--welcome"
    assert lines[-1].startswith("video: ")
    mp4 = Path(lines[-1].removeprefix("video: "))
    assert mp4.is_absolute() and mp4.is_file()
    assert_playable_lecture_video(mp4, home / "objects/generated/audio/demo--welcome/speech.wav")
    assert (home / "dagster" / "dagster.yaml").read_text().count("enabled: false") == 1


def test_submit_then_materialize_chain_by_lecture_line(tmp_path: Path, sample_media) -> None:
    home = tmp_path / "home"
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT)
    submitted = _cli(home, *submit_cli_args("CS101", "Sets", script=script, media=sample_media))
    assert submitted.returncode == 0, submitted.stderr
    assert submitted.stdout.strip() == "lecture: cs101--sets"
    made = _cli(home, "materialize", "cs101--sets")
    assert made.returncode == 0, made.stderr[-2000:]
    assert Path(made.stdout.strip().splitlines()[-1].removeprefix("video: ")).is_file()


def test_input_errors_go_to_stderr_without_a_traceback(tmp_path: Path) -> None:
    bad_id = _cli(tmp_path, "materialize", "../x")
    assert bad_id.returncode == 2
    assert "is not a lecture ID" in bad_id.stderr and "Traceback" not in bad_id.stderr
    assert bad_id.stdout == ""

    missing = _cli(tmp_path, "materialize", "cs101--nothing")
    assert missing.returncode == 1
    assert missing.stdout.strip() == "lecture: cs101--nothing"
    assert "error: lecture cs101--nothing" in missing.stderr and "uploads/lectures/cs101/nothing.txt" in missing.stderr
    assert "Traceback" not in missing.stderr and "Stack Trace" not in missing.stderr
    log = Path(missing.stderr.split("run log: ")[1].split(" (run")[0])
    assert "STEP_FAILURE" in log.read_text(), "the full event log is kept for the operator"

    bad_name = _cli(tmp_path, "submit", "--course", "cs/101", "--lecture", "x", "--prompt", "p")
    assert bad_name.returncode == 2 and "course name" in bad_name.stderr and "Traceback" not in bad_name.stderr

    script = tmp_path / "script.txt"
    script.write_text(SCRIPT)
    shaped = _cli(tmp_path, "submit", "--course", "cs101", "--lecture", "x", "--script", str(script), "--minutes", "2")
    assert shaped.returncode == 2 and "use them with --prompt" in shaped.stderr and "cs101--x" in shaped.stderr
    assert not (tmp_path / "objects/uploads/lectures/cs101").exists(), "nothing written"


def test_backfill_from_failure_takes_only_the_courses_failed_lectures(tmp_path: Path, pg_url: str) -> None:
    """README: "`--from-failure` takes only the course's FAILED lectures" — from the catalog, whatever Dagster lists."""
    statuses = {
        "cs101--sets": Status.FAILED,
        "cs101--logic": Status.COMPLETED,
        "cs101--proofs": Status.FAILED,
        "cs101--graphs": Status.RUNNING,
        "cs102--sets": Status.FAILED,  # another course
    }
    catalog = Catalog(pg_url)
    for lecture_id, status in statuses.items():
        catalog.upsert_lecture(lecture_id, course=lecture_id.split("--")[0], speaker="ada", status=status.value)
    catalog.dispose()
    with webserver_standin(sorted(statuses)) as webserver:
        env = {"LECTURER_DATABASE_URL": pg_url, "LECTURER_DAGSTER_URL": webserver.url}
        failed_only = run_cli(tmp_path / "home", "backfill", "--course", "cs101", "--from-failure", env=env)
        every = run_cli(tmp_path / "home", "backfill", "--course", "cs101", env=env)
    assert failed_only.returncode == 0, failed_only.stderr
    assert failed_only.stdout.splitlines() == ["lecture: cs101--proofs", "lecture: cs101--sets", "backfill: bf1"]
    assert every.returncode == 0, every.stderr
    launched = [sorted(params["partitionNames"]) for params in webserver.launched]
    assert launched == [
        ["cs101--proofs", "cs101--sets"],
        ["cs101--graphs", "cs101--logic", "cs101--proofs", "cs101--sets"],
    ]


def test_pools_sets_the_limits_on_the_dagster_instance(tmp_path: Path) -> None:
    """README: "`lecturer-pipeline pools` sets the concurrency pool limits on the instance" (`LECTURER_POOL_LIMITS`)."""
    home = tmp_path / "home"
    done = run_cli(home, "pools", env={"LECTURER_POOL_LIMITS": "zyphra=3,kdtalker=2,ollama=5"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["pool zyphra: 3", "pool kdtalker: 2", "pool ollama: 5"]
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        limits = {
            pool: instance.event_log_storage.get_concurrency_info(pool).slot_count
            for pool in ("zyphra", "kdtalker", "ollama")
        }
    assert limits == {"zyphra": 3, "kdtalker": 2, "ollama": 5}
