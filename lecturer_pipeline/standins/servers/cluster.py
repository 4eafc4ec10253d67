"""A deployment past one machine, on one machine: what the Celery test and ``make cluster`` start.

- the **launching side**: dagster-webserver and dagster-daemon (whose run workers run the celery executor's loop,
  claim pool slots and send steps to the broker), and the CLI, with LECTURER_HOME left empty and DAGSTER_HOME beside it;
- **two dagster-celery workers** (``--concurrency 1``), ``general`` on the default queue ``dagster`` and ``render`` on
  ``dagster`` and the render queue, each with its own HOME, TMPDIR, LECTURER_HOME and DAGSTER_HOME — under
  ``unshare -m`` with a private tmpfs over ``/tmp`` where that works, so they see nothing of the launching side's
  disk and it sees nothing they write;
- shared only through the servers: Dagster's storage and the catalog in two PostgreSQL databases, objects and
  compute logs in one S3 bucket, steps through a RabbitMQ vhost, results in Redis.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import yaml

from lecturer_pipeline.security.envelope import new_master_key
from lecturer_pipeline.standins.servers import postgres
from lecturer_pipeline.standins.servers.dagster_services import BIN, REPO, Dagster, dagster_services
from lecturer_pipeline.standins.servers.s3_server import S3Server
from lecturer_pipeline.storage.s3 import S3ObjectStore, make_s3_client

RENDER_QUEUE = "render"
DEFAULT_QUEUE = "dagster"
WORKER_APP = "lecturer_pipeline.defs.celery_app"


def sandbox_works() -> bool:
    """Whether ``unshare -m`` with a tmpfs mount works here (root, or a user namespace with mount rights)."""
    probe = ["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs probe /tmp && test -d /tmp"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class Worker:
    """One ``dagster-celery worker`` process: its Celery node name, queues and private directories."""

    name: str
    queues: tuple[str, ...]
    root: Path  # its HOME, TMPDIR, LECTURER_HOME, DAGSTER_HOME are sub-directories (inside its tmpfs if sandboxed)
    process: subprocess.Popen
    log: Path
    sandboxed: bool

    @property
    def visible_root(self) -> Path:
        """The worker's root as this process can reach it (through its mount namespace when sandboxed)."""
        return Path(f"/proc/{self.process.pid}/root") / self.root.relative_to("/") if self.sandboxed else self.root

    def stop(self) -> None:
        """SIGTERM to the worker's process group (dagster-celery and the celery worker it starts): a warm shutdown."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Cluster:
    dagster: Dagster
    env: dict[str, str]  # the launching side's variables (the CLI's too)
    worker_env: dict[str, str]  # what every worker gets (the render worker also gets KDTALKER_URL)
    dagster_home: Path  # the launching side's DAGSTER_HOME (outside its LECTURER_HOME)
    dagster_yaml: str
    bucket: str
    store: S3ObjectStore
    workdir: Path
    sandboxed: bool
    workers: dict[str, Worker] = field(default_factory=dict)

    def start_worker(self, name: str, queues: tuple[str, ...], env: dict[str, str]) -> Worker:
        """``dagster-celery worker start -A lecturer_pipeline.defs.celery_app -y celery.yaml -q <queues>``.

        The queues go as one comma-separated ``-q``: dagster-celery turns each ``-q`` into a ``-Q`` of its own, and
        Celery 5 keeps only the last ``-Q`` it is given.
        """
        root = self.workdir / f"worker-{name}"
        command = [
            sys.executable,
            "-m",
            "lecturer_pipeline.standins.servers.sandbox",
            str(root),
            *(["--tmpfs"] if self.sandboxed else []),
            "--",
            str(BIN / "dagster-celery"),
            "worker",
            "start",
            "-A",
            WORKER_APP,
            "-y",
            str(REPO / "celery.yaml"),
            "-q",
            ",".join(queues),
            "-n",
            name,
            "--",
            "--concurrency",
            "1",
        ]
        if self.sandboxed:
            command = ["unshare", "-m", "--propagation", "private", *command]
        log = self.workdir / "logs" / f"worker-{name}.log"
        log.parent.mkdir(exist_ok=True)
        keep = os.pathsep.join(str(path) for path in (REPO, Path(sys.prefix)))  # code the worker runs, even in /tmp
        environment = {**env, "LECTURER_SANDBOX_DAGSTER_YAML": self.dagster_yaml, "LECTURER_SANDBOX_KEEP": keep}
        with open(log, "w") as sink:
            process = subprocess.Popen(
                command, cwd=REPO, env=environment, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(name, queues, root, process, log, self.sandboxed)
        self.workers[name] = worker
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers.values():
            worker.stop()


def deployment_dagster_yaml(max_concurrent_runs: int | None = None) -> str:
    """The repo's ``dagster.yaml`` with its deployment blocks uncommented, exactly as the README tells an operator:
    storage on PostgreSQL and compute logs in S3, every value an ``{env: ...}`` reference; and, if given, another
    limit of the run queue."""
    lines, inside = [], False
    for line in (REPO / "dagster.yaml").read_text().splitlines():
        if line.startswith("# --- deployment blocks ---"):
            inside = True
        elif line.startswith("# --- end of deployment blocks ---"):
            inside = False
        elif inside:
            assert line.startswith("#   "), f"dagster.yaml deployment block line is not commented as documented: {line}"
            lines.append(line.removeprefix("#   "))
        elif max_concurrent_runs is not None and line.strip().startswith("max_concurrent_runs:"):
            lines.append(f"{line.split(':')[0]}: {max_concurrent_runs}")
        else:
            lines.append(line)
    config = yaml.safe_load("\n".join(lines))
    assert {"run_storage", "event_log_storage", "schedule_storage", "compute_logs"} <= config.keys()
    if max_concurrent_runs is not None:
        assert config["concurrency"]["runs"]["max_concurrent_runs"] == max_concurrent_runs
    return "\n".join(lines) + "\n"


def dagster_pg_env(url: str) -> dict[str, str]:
    """The DAGSTER_PG_* variables the deployment blocks read, for a database URL."""
    parsed = sa.engine.make_url(url)
    return {
        "DAGSTER_PG_USERNAME": parsed.username or "",
        "DAGSTER_PG_PASSWORD": parsed.password or "",
        "DAGSTER_PG_HOST": parsed.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(parsed.port or 5432),
        "DAGSTER_PG_DB": parsed.database or "",
    }


def _clean_environment() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LECTURER_", "DAGSTER_"))}
    base["PATH"] = f"{BIN}{os.pathsep}{base.get('PATH', '')}"  # dagster-celery starts `celery` from PATH
    return base


@contextlib.contextmanager
def celery_cluster(
    workdir: Path,
    *,
    pg_admin_url: str,
    s3: S3Server,
    broker_url: str,
    backend_url: str,
    kdtalker_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    render_queues: tuple[str, ...] = (DEFAULT_QUEUE, RENDER_QUEUE),
    max_concurrent_runs: int | None = None,
) -> Iterator[Cluster]:
    """Webserver, daemon and the two workers over fresh databases and a fresh bucket; everything stopped after.

    ``render_queues``: the render worker's queues (``(RENDER_QUEUE,)``: renders only, as beside a GPU);
    ``max_concurrent_runs``: the run queue's limit instead of ``dagster.yaml``'s, sized to the GPUs."""
    bucket = f"lecturer-cluster-{uuid.uuid4().hex[:10]}"
    with contextlib.ExitStack() as stack:
        dagster_db, drop_dagster = postgres.create_database(pg_admin_url)
        stack.callback(drop_dagster)
        catalog_db, drop_catalog = postgres.create_database(pg_admin_url)
        stack.callback(drop_catalog)
        client = make_s3_client(s3.endpoint_url, access_key=s3.access_key, secret_key=s3.secret_key)
        store = S3ObjectStore(client, bucket)  # creates the bucket, which the compute logs go to as well
        shared = {
            "LECTURER_S3_ENDPOINT_URL": s3.endpoint_url,
            "LECTURER_S3_BUCKET": bucket,
            "AWS_ACCESS_KEY_ID": s3.access_key,
            "AWS_SECRET_ACCESS_KEY": s3.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "LECTURER_DATABASE_URL": catalog_db,
            "LECTURER_MASTER_KEYS": new_master_key(),
            "LECTURER_CELERY_BROKER_URL": broker_url,
            "LECTURER_CELERY_BACKEND_URL": backend_url,
            "LECTURER_RENDER_QUEUE": RENDER_QUEUE,
            **dagster_pg_env(dagster_db),
            "LECTURER_RETRY_DELAY_SECONDS": os.environ.get("LECTURER_RETRY_DELAY_SECONDS", "2"),
            **(extra_env or {}),
        }
        launch_env = {**shared, "LECTURER_EXECUTOR": "celery"}
        config = deployment_dagster_yaml(max_concurrent_runs)
        dagster_home = workdir / "launch-dagster-home"
        dagster = stack.enter_context(
            dagster_services(workdir / "launch", env=launch_env, dagster_yaml=config, dagster_home=dagster_home)
        )
        cluster = Cluster(
            dagster=dagster,
            env=dagster.env,
            worker_env={**_clean_environment(), **shared},
            dagster_home=dagster_home,
            dagster_yaml=config,
            bucket=bucket,
            store=store,
            workdir=workdir,
            sandboxed=sandbox_works(),
        )
        stack.callback(cluster.stop_workers)
        cluster.start_worker("general", (DEFAULT_QUEUE,), cluster.worker_env)
        render_env = {**cluster.worker_env, **({"KDTALKER_URL": kdtalker_url} if kdtalker_url else {})}
        cluster.start_worker("render", render_queues, render_env)
        yield cluster


def main() -> None:
    """``make cluster``: the test's cluster for a user to try, until Ctrl-C (which stops and removes all of it)."""
    import shutil
    import signal as signals
    import tempfile
    import time

    from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
    from lecturer_pipeline.standins.servers import broker
    from lecturer_pipeline.standins.servers.s3_server import start_rgw, stop_rgw

    signals.signal(signals.SIGTERM, signals.default_int_handler)  # SIGTERM stops it as Ctrl-C does
    workdir = Path(tempfile.mkdtemp(prefix="lecturer-cluster-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        print(f"starting PostgreSQL, Ceph RGW (S3), RabbitMQ and Redis; everything under {workdir}", flush=True)
        pg_url, stop_pg = postgres.admin_server()
        stack.callback(stop_pg)
        (workdir / "rgw").mkdir()
        s3 = start_rgw(workdir / "rgw")
        stack.callback(stop_rgw, workdir / "rgw")
        broker_url, stop_broker = broker.broker_vhost()
        stack.callback(stop_broker)
        redis_url, stop_redis = broker.redis_server()
        stack.callback(stop_redis)
        kdtalker = stack.enter_context(KDTalkerStandIn(latency_per_second=0.3))
        cluster = stack.enter_context(
            celery_cluster(
                workdir,
                pg_admin_url=pg_url,
                s3=s3,
                broker_url=broker_url,
                backend_url=redis_url,
                kdtalker_url=kdtalker.url,
            )
        )
        env_file = workdir / "cluster.env"
        keep = ("LECTURER_", "DAGSTER_", "AWS_")
        env_file.write_text(
            "".join(f"export {k}='{v}'\n" for k, v in sorted(cluster.env.items()) if k.startswith(keep))
        )
        print(f"Dagster UI: {cluster.dagster.url} (webserver and daemon: the launching side)")
        for worker in cluster.workers.values():
            print(f"worker {worker.name}: queues {','.join(worker.queues)}; log {worker.log}")
        print(f"KDTalker stand-in (render steps): {kdtalker.url}")
        print(f"for the CLI: source {env_file}   (then e.g. lecturer-pipeline submit ... / backfill --course ...)")
        print("Ctrl-C stops all of it.", flush=True)
        try:
            while all(w.process.poll() is None for w in cluster.workers.values()):
                time.sleep(1)
            print("a worker stopped; stopping the cluster", file=sys.stderr)
        except KeyboardInterrupt:
            print("\nstopping the cluster", flush=True)


if __name__ == "__main__":
    main()
