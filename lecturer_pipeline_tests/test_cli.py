"""The ``lecturer-pipeline`` command as a user runs it: a real process, its stdout lines and exit codes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lecturer_pipeline_tests.pipeline_helpers import SCRIPT, assert_playable_lecture_video, run_cli, submit_cli_args


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
