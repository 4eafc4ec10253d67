"""The operator's Dagster for tests: dagster-webserver and dagster-daemon over workspace.yaml and the repo's
dagster.yaml, run as two processes as ``make dev`` runs them, and a small GraphQL client to drive and watch them.

``dagster_services(tmp_path, env=…, dagster_yaml=…)`` starts both (with extra environment for them and the runs
they launch, and optionally another instance config), waits for the webserver, yields a ``Dagster`` and stops both
with SIGTERM, as a service manager would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from lecturer_pipeline.standins.ports import free_port

REPO = Path(__file__).resolve().parents[3]  # the checkout: workspace.yaml, dagster.yaml and celery.yaml live there
BIN = Path(sys.executable).parent
REPOSITORY = "__repository__"  # the name Dagster gives the repository of a module's Definitions
BACKFILL_TAG = "dagster/backfill"
PARTITION_TAG = "dagster/partition"
FINISHED_BACKFILL = frozenset({"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"})

T = TypeVar("T")


def run_cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``lecturer-pipeline`` as a user would, in a clean environment plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LECTURER_", "DAGSTER_HOME"))}
    clean.update(env or {}, LECTURER_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "lecturer_pipeline.cli", *args], env=clean, capture_output=True, text=True, timeout=300
    )


def wait_for(what: str, predicate: Callable[[], T], timeout: float = 240.0, interval: float = 1.0) -> T:
    """Poll ``predicate`` until it returns something truthy and return that; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Dagster:
    """A running webserver + daemon: its URL, the environment its processes got, LECTURER_HOME, and GraphQL."""

    def __init__(self, url: str, env: dict[str, str], home: Path) -> None:
        self.url, self.env, self.home = url, env, home

    def graphql(self, query: str, **variables: Any) -> dict:
        response = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=30)
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def runs_tagged(self, key: str, value: str) -> list[dict]:
        query = """query($key: String!, $value: String!) {
            runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
            ... on Runs { results { runId status tags { key value } } } } }"""
        return self.graphql(query, key=key, value=value)["runsOrError"]["results"]

    def runs_for(self, lecture_id: str) -> list[dict]:
        return self.runs_tagged(PARTITION_TAG, lecture_id)

    def backfill_status(self, backfill_id: str) -> str:
        query = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
            __typename ... on PartitionBackfill { status } ... on PythonError { message } } }"""
        return self.graphql(query, id=backfill_id)["partitionBackfillOrError"]["status"]

    def wait_for_backfill(self, backfill_id: str, timeout: float = 240.0) -> str:
        """The backfill's final status (the daemon looks at backfills every 30 s, so this takes at least that).

        On a timeout the error lists the backfill's runs as they stand, so a slow machine (runs still going one
        after another) tells itself apart from a stuck run (one run STARTED for minutes, or runs left QUEUED)."""
        try:
            return wait_for(
                f"backfill {backfill_id} to finish",
                lambda: (status := self.backfill_status(backfill_id)) in FINISHED_BACKFILL and status,
                timeout=timeout,
            )
        except AssertionError as timed_out:
            runs = self.describe_runs(BACKFILL_TAG, backfill_id)
            raise AssertionError(f"{timed_out}; its runs now:\n{runs}") from None

    def describe_runs(self, key: str, value: str) -> str:
        """One line per run with this tag: partition, status and seconds since start or from start to end."""
        query = """query($key: String!, $value: String!) {
            runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
            ... on Runs { results { runId status startTime endTime tags { key value } } } } }"""
        now, lines = time.time(), []
        for run in self.graphql(query, key=key, value=value)["runsOrError"]["results"]:
            partition = next((t["value"] for t in run["tags"] if t["key"] == PARTITION_TAG), "?")
            start, end = run["startTime"], run["endTime"]
            took = "not started" if start is None else f"{(end or now) - start:.0f} s{'' if end else ' so far'}"
            lines.append(f"  {run['runId'][:8]} {partition} {run['status']} ({took})")
        return "\n".join(lines) or "  (none)"

    def repository_selector(self) -> dict[str, str]:
        """The one code location's repository, as GraphQL selectors name it."""
        query = """{ repositoriesOrError { __typename ... on RepositoryConnection {
            nodes { name location { name } } } ... on PythonError { message } } }"""
        found = self.graphql(query)["repositoriesOrError"]
        assert found["__typename"] == "RepositoryConnection", found
        (node,) = found["nodes"]
        return {"repositoryName": node["name"], "repositoryLocationName": node["location"]["name"]}

    def _sensor(self, name: str) -> dict:
        query = """query($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
            __typename ... on Sensor { id sensorState { status ticks(limit: 1) { status } } }
            ... on PythonError { message } } }"""
        sensor = self.graphql(query, selector={**self.repository_selector(), "sensorName": name})["sensorOrError"]
        assert sensor["__typename"] == "Sensor", sensor
        return sensor

    def stop_sensor(self, name: str) -> None:
        """Stop a sensor as the UI's toggle does, and wait until no tick of it is still being evaluated."""
        mutation = """mutation($id: String!) { stopSensor(id: $id) {
            __typename ... on StopSensorMutationResult { instigationState { status } }
            ... on PythonError { message } ... on UnauthorizedError { message } } }"""
        stopped = self.graphql(mutation, id=self._sensor(name)["id"])["stopSensor"]
        assert stopped["__typename"] == "StopSensorMutationResult", stopped
        assert stopped["instigationState"]["status"] == "STOPPED", stopped

        def settled() -> bool:
            state = self._sensor(name)["sensorState"]
            return state["status"] == "STOPPED" and all(tick["status"] != "STARTED" for tick in state["ticks"])

        # A tick already being evaluated runs to its end; on a loaded machine (load 12 seen) that took over 60 s.
        wait_for(f"sensor {name} to stop", settled, timeout=180, interval=0.5)

    def add_dynamic_partitions(self, partitions_def: str, keys: list[str]) -> None:
        mutation = """mutation($selector: RepositorySelector!, $name: String!, $key: String!) {
            addDynamicPartition(repositorySelector: $selector, partitionsDefName: $name, partitionKey: $key) {
            __typename ... on AddDynamicPartitionSuccess { partitionKey }
            ... on PythonError { message } ... on UnauthorizedError { message } } }"""
        selector = self.repository_selector()
        for key in keys:
            added = self.graphql(mutation, selector=selector, name=partitions_def, key=key)["addDynamicPartition"]
            assert added == {"__typename": "AddDynamicPartitionSuccess", "partitionKey": key}, added

    def materialization_metadata(self, asset: str, partition: str) -> dict[str, Any]:
        """The metadata of the latest materialisation of one asset partition, as plain values."""
        query = """query($path: [String!]!, $partition: String!) { assetOrError(assetKey: {path: $path}) {
            __typename ... on Asset { assetMaterializations(partitions: [$partition], limit: 1) {
            metadataEntries { label __typename
                ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
                ... on BoolMetadataEntry { boolValue } ... on TextMetadataEntry { text } } } } } }"""
        asset_node = self.graphql(query, path=[asset], partition=partition)["assetOrError"]
        assert asset_node["__typename"] == "Asset", asset_node
        (materialization,) = asset_node["assetMaterializations"]
        values = {}
        for entry in materialization["metadataEntries"]:
            for field in ("intValue", "floatValue", "boolValue", "text"):
                if field in entry:
                    values[entry["label"]] = entry[field]
        return values


@contextlib.contextmanager
def dagster_services(
    tmp_path: Path,
    *,
    env: dict[str, str] | None = None,
    dagster_yaml: str | None = None,
    dagster_home: Path | None = None,
) -> Iterator[Dagster]:
    """dagster-webserver and dagster-daemon over ``workspace.yaml``, on a fresh LECTURER_HOME under ``tmp_path``.

    ``env`` is added to the processes' environment (the runs inherit it); ``dagster_yaml`` replaces the repo's
    ``dagster.yaml`` as the instance's config; ``dagster_home`` puts DAGSTER_HOME there instead of inside LECTURER_HOME
    (which is then left empty). The pools are set first with ``lecturer-pipeline pools``, as
    ``make dev`` does; the processes' logs are kept in ``tmp_path/logs``.
    """
    home = tmp_path / "home"
    home.mkdir(parents=True)
    dagster_home = dagster_home or home / "dagster"
    dagster_home.mkdir(parents=True)
    if dagster_yaml is None:
        shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    else:
        (dagster_home / "dagster.yaml").write_text(dagster_yaml)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LECTURER_", "DAGSTER_"))}
    environment.update(
        LECTURER_HOME=str(home),
        DAGSTER_HOME=str(dagster_home),
        LECTURER_SENSOR_INTERVAL_SECONDS="2",
        LECTURER_DAGSTER_URL=url,
    )
    environment.update(env or {})
    pools = run_cli(home, "pools", env=environment)
    assert pools.returncode == 0, pools.stderr
    logs = tmp_path / "logs"
    logs.mkdir()
    commands = {
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        "webserver": [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
    }
    with contextlib.ExitStack() as stack:
        processes = []
        for name, command in commands.items():
            log = stack.enter_context(open(logs / f"{name}.log", "w"))
            processes.append(subprocess.Popen(command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT))

        def answers() -> bool:
            try:
                return httpx.get(f"{url}/server_info", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for("the webserver", answers, timeout=90)
            yield Dagster(url, environment, home)
        finally:
            for process in processes:  # SIGTERM, as an operator's service manager would
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
