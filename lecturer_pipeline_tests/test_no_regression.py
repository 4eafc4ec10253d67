"""Nothing a lecture has earned is lost: the operator's read-only actions change nothing, and prune keeps what was
published (issue: a sensor preview once set a published lecture back to PENDING and the prune deleted its video).

Played as an operator would: ``lecturer-pipeline demo``, Dagster's read-only ``dagster sensor preview``, a sensor
evaluated with no cursor (a reset in the UI, a renamed sensor, a fresh Dagster database), then ``prune_job`` with
``LECTURER_STALE_DAYS=0``. Then the upload changes, and the lecture is run again to COMPLETED with the new words.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.defs.intake import INTAKE_JOB
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.runner import run_lecture
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.catalog import Status
from lecturer_pipeline.storage.layout import video_key
from lecturer_pipeline.uploads import submit_lecture
from lecturer_pipeline_tests.pipeline_helpers import run_cli

LECTURE = "demo--welcome"


def _sensor_preview(home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LECTURER_", "DAGSTER_HOME"))}
    env.update(LECTURER_HOME=str(home), DAGSTER_HOME=str(home / "dagster"))
    command = [Path(sys.executable).with_name("dagster"), "sensor", "preview", "lecture_uploads_sensor"]
    return subprocess.run(
        [*map(str, command), "-m", "lecturer_pipeline.definitions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_published_lecture_survives_preview_reset_and_prune_then_reruns_on_change(tmp_path: Path) -> None:
    home = tmp_path / "home"
    demo = run_cli(home, "demo")
    assert demo.returncode == 0, demo.stderr
    defs = build_definitions(Settings(lecturer_home=home))
    store, catalog = defs.resources["objects"].get_store(), defs.resources["catalog"].get_catalog()
    published = catalog.get_lecture(LECTURE)
    assert published["status"] == Status.COMPLETED.value and published["completed_at"] is not None

    preview = _sensor_preview(home)
    assert preview.returncode == 0, preview.stderr
    assert catalog.get_lecture(LECTURE)["status"] == Status.COMPLETED.value, "a preview changes nothing"

    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    sensor = defs.resolve_sensor_def("lecture_uploads_sensor")
    with dg.build_sensor_context(instance=instance, resources=defs.resources, cursor=None) as context:
        reset = sensor(context)
    assert [r.job_name for r in reset.run_requests] == [INTAKE_JOB], "the published upload is not run again"
    assert catalog.get_lecture(LECTURE)["updated_at"] == published["updated_at"], "evaluating wrote nothing"
    recorded = defs.resolve_job_def(INTAKE_JOB).execute_in_process(
        run_config=reset.run_requests[0].run_config, instance=instance
    )
    assert recorded.success and catalog.get_lecture(LECTURE)["status"] == Status.COMPLETED.value

    # A later run of the lecture failed and nothing moved since: prune still keeps what was published.
    catalog.set_status(LECTURE, Status.FAILED, stage="speech", error="a later edit failed")
    pruning = build_definitions(Settings(lecturer_home=home, lecturer_stale_days=0))
    pruned = pruning.resolve_job_def("prune_job").execute_in_process(instance=instance)
    assert pruned.success
    assert store.exists(video_key(LECTURE)), "prune never deletes a published lecture's video"
    assert catalog.get_lecture(LECTURE)["status"] == Status.FAILED.value

    old = catalog.get_lecture(LECTURE)["script"]
    manifest = LectureManifest(title="Welcome", speaker="demo-lecturer", script="A new first sentence. And a second.")
    submit_lecture(store, "demo", "welcome", manifest)
    with dg.build_sensor_context(instance=instance, resources=defs.resources, cursor=None) as context:
        changed = sensor(context)
    jobs = sorted(r.job_name for r in changed.run_requests)
    assert jobs == [INTAKE_JOB, "lecture_job"]
    rerun = run_lecture(defs, instance, LECTURE)
    assert rerun.success, rerun.error
    row = catalog.get_lecture(LECTURE)
    assert row["status"] == Status.COMPLETED.value and row["script"] != old and row["script"].startswith("A new")
    instance.dispose()
