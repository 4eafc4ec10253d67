"""One way in for configuration: ``build_definitions(settings)`` builds from the settings it is given, secrets reach
Dagster as references to their variables, the stores come from a wiring module without Dagster, and each kind of
failure has one retrier (``lecturer_pipeline/retries.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from lecturer_pipeline import wiring
from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.defs.executors import CELERY_QUEUE_TAG
from lecturer_pipeline.defs.jobs import LECTURE_JOB
from lecturer_pipeline.defs.partitions import LECTURES
from lecturer_pipeline.defs.resources import build_resources
from lecturer_pipeline.retries import S3_MAX_ATTEMPTS, STEP_RETRIES
from lecturer_pipeline.security.envelope import new_master_key
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.storage.s3 import make_s3_client

# Assets a failed step of which Dagster retries; the others (publishing, the report, the speaker's profile and
# portrait) fail at once.
RETRIED = {
    "lecture_script",
    "reference_voice",
    "speech",
    "video_segments",
    "video",
    "captions",
    "transcript",
    "lms_package",
    "slide_deck",
    "lecture_video",
}


def _assets(defs: dg.Definitions) -> dict[str, dg.AssetsDefinition]:
    return {asset.key.to_user_string(): asset for asset in defs.assets}


def test_build_definitions_takes_the_retry_policy_and_queue_from_its_settings(tmp_path: Path) -> None:
    slow = _assets(
        build_definitions(Settings(lecturer_home=tmp_path, lecturer_retry_delay_seconds=7.5, lecturer_render_queue="a"))
    )
    fast = _assets(
        build_definitions(Settings(lecturer_home=tmp_path, lecturer_retry_delay_seconds=0.3, lecturer_render_queue="b"))
    )
    assert {name for name, asset in slow.items() if asset.op.retry_policy is not None} == RETRIED
    for name in RETRIED:
        assert slow[name].op.retry_policy.delay == 7.5 and fast[name].op.retry_policy.delay == 0.3, name
        assert slow[name].op.retry_policy.max_retries == STEP_RETRIES
    assert slow["video_segments"].op.tags[CELERY_QUEUE_TAG] == "a"
    assert fast["video_segments"].op.tags[CELERY_QUEUE_TAG] == "b"
    for asset in slow.values():  # what every lecture asset shares, written once in the factory
        assert asset.partitions_def.name == "lectures"
        assert set(asset.group_names_by_key.values()) == {"lecture"}
        assert {hook.name for hook in asset.hook_defs} == {"release_scratch_on_success", "release_scratch_on_failure"}


def test_a_secret_read_from_its_variable_is_an_env_var_of_that_name(tmp_path: Path, monkeypatch) -> None:
    master, token = new_master_key(), "hf_" + "x" * 20
    monkeypatch.setenv("LECTURER_MASTER_KEYS", master)
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment")
    settings = Settings(lecturer_home=tmp_path, aws_secret_access_key="given-in-code")
    resources = build_resources(settings)

    for field, variable in (
        (resources["vault"].master_keys, "LECTURER_MASTER_KEYS"),
        (resources["engines"].hf_token, "HF_TOKEN"),
    ):
        assert isinstance(field, dg.EnvVar) and field.env_var_name == variable
    assert master not in repr(resources["vault"]) and token not in repr(resources["engines"])
    # A value passed in code is the one used, whatever the environment holds.
    assert resources["objects"].aws_secret_access_key == "given-in-code"
    assert not isinstance(resources["objects"].aws_secret_access_key, dg.EnvVar)
    assert resources["engines"].zyphra_api_key is None, "an unset secret stays unset"
    # Dagster resolves the reference when it initialises the resource for a run.
    with dg.build_resources({"vault": resources["vault"]}) as initialised:
        assert initialised.vault.master_keys == master
        assert initialised.vault.get_envelope().master_keys == wiring.envelope(settings).master_keys


def test_the_wiring_module_builds_the_stores_without_dagster(tmp_path: Path) -> None:
    code = (
        "import sys; from lecturer_pipeline import wiring; from lecturer_pipeline.settings import Settings\n"
        f"s = Settings(lecturer_home={str(tmp_path)!r})\n"
        "print(wiring.object_store(s).describe()); print(wiring.catalog(s).describe())\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'dagster'], 'dagster was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert str(tmp_path / "objects") in done.stdout and "catalog.sqlite" in done.stdout


def test_s3_requests_are_retried_by_botocore_only(tmp_path: Path) -> None:
    client = make_s3_client("http://127.0.0.1:1", access_key="k", secret_key="s")
    assert client.meta.config.retries == {"total_max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"}
    settings = Settings(
        lecturer_home=tmp_path,
        lecturer_s3_endpoint_url="http://127.0.0.1:1",  # nothing listens: every request is refused
        aws_access_key_id="k",
        aws_secret_access_key="s",
        lecturer_retry_delay_seconds=0.1,
    )
    resource = build_resources(settings)["objects"]
    assert resource.max_attempts == S3_MAX_ATTEMPTS
    assert resource.get_client().meta.config.retries == {"total_max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"}

    # A lecture's step that meets the refused store fails once, not once per RetryPolicy retry.
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(LECTURES, ["cs101--intro"])
        job = build_definitions(settings).resolve_job_def(LECTURE_JOB)
        result = job.execute_in_process(instance=instance, partition_key="cs101--intro", raise_on_error=False)
    assert not result.success
    failures = [event for event in result.all_events if event.is_step_failure]
    assert [event.step_key for event in failures] == ["lecture_script"]
    assert "s3 bucket lecturer at http://127.0.0.1:1" in str(failures[0].step_failure_data.error)
    retried = [event for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert retried == [], "botocore retried each request; the step is not retried on top"
