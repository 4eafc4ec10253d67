"""The operator's deployment, for the measurements that need real concurrency across runs: dagster-webserver and
dagster-daemon over workspace.yaml (as ``make dev`` runs them, through the tests' ``dagster_services``), the repo's
dagster.yaml with Dagster's storage on PostgreSQL, objects on S3 (Ceph RGW), the catalog on PostgreSQL, pools set
with ``lecturer-pipeline pools``, and every run a subprocess of Dagster's default run launcher."""

from __future__ import annotations

import base64
import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from bench.common import REPO, Servers, Services
from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.instance import postgres_storage_config
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.runner import run_lecture
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.sample_lecture import CONSENT
from lecturer_pipeline.standins.servers.dagster_services import Dagster, dagster_services, run_cli
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

POOL_LIMITS = "zyphra=2,kdtalker=1,ollama=1"
TERMINAL = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
SPEAKER = "ada"

_RUNS_QUERY = """query($key: String!, $value: String!) {
  runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
    __typename ... on Runs { results { runId status creationTime startTime endTime tags { key value } } }
    ... on PythonError { message } } }"""

_STEP_STATS = """query($runId: ID!) { runOrError(runId: $runId) {
  __typename ... on Run { stepStats { stepKey status startTime endTime } } ... on PythonError { message } } }"""

_LAUNCH_RUN = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } }
  ... on PythonError { message } ... on RunConfigValidationInvalid { errors { message } } } }"""


def dagster_yaml(database_url: str, *, max_concurrent_runs: int | None) -> str:
    """The repo's dagster.yaml with Dagster's storage on PostgreSQL (its documented deployment block) and, if
    given, another run-queue limit."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    if max_concurrent_runs is not None:
        config.setdefault("concurrency", {}).setdefault("runs", {})["max_concurrent_runs"] = max_concurrent_runs
    config.update(postgres_storage_config(database_url))
    return yaml.safe_dump(config, sort_keys=False)


@dataclass
class Operator:
    dagster: Dagster
    settings: Settings
    max_concurrent_runs: int
    services: Services
    instance: dg.DagsterInstance  # for runs in the bench's own process: same storage kind, a database of its own
    log_dir: Path
    speaker_submitted: bool = False

    @property
    def store(self) -> Any:
        return build_definitions(self.settings).resources["objects"].get_store()

    def submit(self, course: str, lectures: dict[str, str], media: dict[str, Path]) -> list[str]:
        """Upload the speaker's files and the lectures, and register the lectures as partitions (what the upload
        sensor would do; it is stopped so that only the measured launch starts runs)."""
        store = self.store
        if not self.speaker_submitted:  # once: a lecturer records one voice and one portrait for many lectures
            submit_speaker_files(store, SPEAKER, voice=media["voice"], portrait=media["portrait"], consent=CONSENT)
            self.speaker_submitted = True
        ids = []
        for name, script in lectures.items():
            lecture_id, _ = submit_lecture(
                store, course, name, LectureManifest(title=name, speaker=SPEAKER, script=script)
            )
            ids.append(lecture_id)
        self.dagster.add_dynamic_partitions("lectures", ids)
        return ids

    def run_in_process(self, lecture_id: str) -> float:
        """Run one lecture in this process as ``lecturer-pipeline materialize`` does (``runner.run_lecture``, the
        naive loop's body) on the same S3 and catalog; return its wall time."""
        defs = build_definitions(
            self.settings.model_copy(
                update={
                    "zyphra_api_key": self.services.zyphra.api_key,
                    "zyphra_base_url": self.services.zyphra.base_url,
                    "kdtalker_url": self.services.kdtalker.url,
                }
            )
        )
        started = time.time()
        # Dagster's console log of the run goes to a file, as `lecturer-pipeline materialize` keeps it.
        with open(self.log_dir / f"{lecture_id}.log", "a") as sink, contextlib.redirect_stderr(sink):
            outcome = run_lecture(defs, self.instance, lecture_id)
        if not outcome.success:
            raise RuntimeError(f"{lecture_id} failed in process: {outcome.error}")
        return time.time() - started

    def runs_tagged(self, key: str, value: str) -> list[dict]:
        found = self.dagster.graphql(_RUNS_QUERY, key=key, value=value)["runsOrError"]
        if found["__typename"] != "Runs":
            raise RuntimeError(f"the webserver could not list runs: {found}")
        return found["results"]

    def step_stats(self, run_id: str) -> dict[str, dict]:
        """Step key -> {status, startTime, endTime} of one run."""
        found = self.dagster.graphql(_STEP_STATS, runId=run_id)["runOrError"]
        if found["__typename"] != "Run":
            raise RuntimeError(f"the webserver could not find run {run_id}: {found}")
        return {step["stepKey"]: step for step in found["stepStats"]}

    def launch_backfill(self, course: str) -> tuple[float, str]:
        """``lecturer-pipeline backfill --course`` as an operator types it; returns (when it was typed, its ID)."""
        launched_at = time.time()
        done = run_cli(self.dagster.home, "backfill", "--course", course, env=self.dagster.env)
        if done.returncode != 0:
            raise RuntimeError(f"lecturer-pipeline backfill failed: {done.stderr}")
        return launched_at, done.stdout.strip().splitlines()[-1].removeprefix("backfill: ")

    def launch_run(self, lecture_id: str) -> tuple[float, str]:
        """Launch ``lecture_job`` for one lecture as the UI's "Materialize" does (GraphQL ``launchRun``; the run
        goes through the run queue and Dagster's run launcher)."""
        selector = {**self.dagster.repository_selector(), "jobName": "lecture_job"}
        params = {
            "selector": selector,
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": lecture_id}]},
        }
        launched_at = time.time()
        result = self.dagster.graphql(_LAUNCH_RUN, params=params)["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launchRun refused: {result}")
        return launched_at, result["run"]["runId"]

    def wait_runs(self, key: str, value: str, count: int, timeout: float) -> list[dict]:
        """Wait until ``count`` runs tagged ``key=value`` exist and all have finished; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs_tagged(key, value)
            if len(runs) >= count and all(run["status"] in TERMINAL for run in runs):
                return runs
            time.sleep(1.0)
        raise TimeoutError(f"runs tagged {key}={value} did not finish within {timeout:.0f} s")


@contextlib.contextmanager
def operator_deployment(
    servers: Servers, services: Services, workdir: Path, *, max_concurrent_runs: int | None, pools: str = POOL_LIMITS
) -> Iterator[Operator]:
    """Webserver + daemon on S3 + PostgreSQL, pools set, the upload sensor stopped."""
    with contextlib.ExitStack() as stack:
        dagster_db = servers.new_database(stack)
        catalog_db = servers.new_database(stack)
        bucket = f"bench-{uuid.uuid4().hex[:10]}"
        master_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        env = {
            **servers.s3_env(bucket),
            **services.env(),
            "LECTURER_DATABASE_URL": catalog_db,
            "LECTURER_MASTER_KEYS": master_key,
            "LECTURER_POOL_LIMITS": pools,
            "LECTURER_SENSOR_INTERVAL_SECONDS": "3600",
        }
        config = dagster_yaml(dagster_db, max_concurrent_runs=max_concurrent_runs)
        limit = yaml.safe_load(config)["concurrency"]["runs"]["max_concurrent_runs"]
        dagster = stack.enter_context(dagster_services(workdir, env=env, dagster_yaml=config))
        dagster.stop_sensor("lecture_uploads_sensor")
        settings = Settings(
            lecturer_home=dagster.home,
            lecturer_s3_endpoint_url=servers.s3.endpoint_url,
            lecturer_s3_bucket=bucket,
            aws_access_key_id=servers.s3.access_key,
            aws_secret_access_key=servers.s3.secret_key,
            lecturer_database_url=catalog_db,
            lecturer_master_keys=master_key,
        )
        instance_home = workdir / "in-process-dagster"
        instance_home.mkdir(parents=True, exist_ok=True)
        in_process_db = servers.new_database(stack)
        (instance_home / "dagster.yaml").write_text(dagster_yaml(in_process_db, max_concurrent_runs=None))
        instance = stack.enter_context(dg.DagsterInstance.from_config(str(instance_home)))
        yield Operator(dagster, settings, limit, services, instance, workdir / "logs")
