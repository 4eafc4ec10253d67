"""Distributed mode's refusals, the executor LECTURER_EXECUTOR picks, and scratch directories released per step."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.defs.executors import build_executor
from lecturer_pipeline.deployment import check_deployment, is_distributed
from lecturer_pipeline.errors import ConfigurationError
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.workdir import release_step_dirs, scratch_dir, step_dir
from lecturer_pipeline_tests.pipeline_helpers import definitions, local_settings, run, run_cli, submit_sample

KEY = "A" * 43  # 32 bytes of URL-safe base64


def test_embedded_default_needs_nothing(tmp_path: Path) -> None:
    settings = Settings(lecturer_home=tmp_path)
    assert not is_distributed(settings)
    check_deployment(settings)


def test_distributed_mode_names_every_missing_variable(tmp_path: Path) -> None:
    settings = Settings(lecturer_home=tmp_path, lecturer_executor="celery")
    with pytest.raises(ConfigurationError) as refused:
        check_deployment(settings)
    for name in (
        "LECTURER_S3_ENDPOINT_URL",
        "LECTURER_DATABASE_URL",
        "LECTURER_MASTER_KEYS",
        "LECTURER_CELERY_BROKER_URL",
        "LECTURER_CELERY_BACKEND_URL",
    ):
        assert name in str(refused.value)
    assert "5 missing variables" in str(refused.value)


def test_deployment_distributed_refuses_sqlite_and_passes_when_complete(tmp_path: Path) -> None:
    common = {"lecturer_home": tmp_path, "lecturer_deployment": "distributed", "lecturer_master_keys": KEY}
    sqlite = Settings(**common, lecturer_s3_endpoint_url="http://127.0.0.1:1", lecturer_database_url="sqlite:///x.db")
    with pytest.raises(ConfigurationError, match=r"LECTURER_DATABASE_URL .*not a PostgreSQL URL"):
        check_deployment(sqlite)
    complete = Settings(
        **common, lecturer_s3_endpoint_url="http://127.0.0.1:1", lecturer_database_url="postgresql://h/db"
    )
    check_deployment(complete)
    with pytest.raises(ConfigurationError, match="LECTURER_MASTER_KEYS"):
        build_definitions(Settings(lecturer_home=tmp_path, lecturer_executor="multiprocess"))


def test_cli_refuses_before_connecting(tmp_path: Path) -> None:
    # The catalog URL points nowhere: a connection attempt would fail differently (and slowly).
    env = {"LECTURER_DEPLOYMENT": "distributed", "LECTURER_DATABASE_URL": "postgresql+psycopg2://u@127.0.0.1:1/x"}
    done = run_cli(tmp_path / "home", "status", env=env)
    assert done.returncode == 2
    assert "LECTURER_S3_ENDPOINT_URL" in done.stderr and "LECTURER_MASTER_KEYS" in done.stderr
    assert "LECTURER_DATABASE_URL" not in done.stderr and "connection" not in done.stderr.lower()
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(
    ("executor", "name"),
    [("in_process", "in_process"), ("multiprocess", "multiprocess"), ("celery", "lecturer_celery")],
)
def test_executor_from_settings(tmp_path: Path, executor: str, name: str) -> None:
    chosen = build_executor(Settings(lecturer_home=tmp_path, lecturer_executor=executor))
    assert chosen.name == name


def test_release_step_dirs_removes_what_this_thread_made() -> None:
    made = [step_dir("a"), step_dir("b")]
    (made[0] / "file.bin").write_bytes(b"x")
    assert release_step_dirs() == 2
    assert not any(path.exists() for path in made) and scratch_dir().is_dir()


def test_scratch_is_empty_after_a_run_that_succeeded_and_one_that_failed(tmp_path: Path, sample_media) -> None:
    defs = definitions(local_settings(tmp_path / "home"))
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    with dg.instance_for_test() as instance:
        good = run(defs, instance, submit_sample(defs, sample_media))
        assert good.success, good.error
        assert not list(scratch_dir().iterdir()), "a finished step left its scratch behind"
        lid = submit_sample(defs, sample_media, lecture="broken", speaker="bob", portrait=broken)
        bad = run(defs, instance, lid)
        assert not bad.success
        assert not list(scratch_dir().iterdir()), "a failed step left its scratch behind"
