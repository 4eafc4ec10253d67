"""(6) Render workers through the Celery executor: a course backfilled on one render worker (pool ``kdtalker=1``, one
KDTalker stand-in) and on two (``kdtalker=2``, two stand-ins, like two GPUs), wall ÷ bound for each.

The cluster is the Celery test's (``lecturer_pipeline/standins/servers/cluster.py``): webserver and daemon, a
general worker on the ``dagster`` queue and the render workers on ``dagster,render``, each ``--concurrency 1``,
over RabbitMQ and Redis, sharing PostgreSQL and S3. The bound is the renderers' busy time ÷ the number of renderers
(each stand-in renders one call at a time, like one GPU); the clock runs from ``lecturer-pipeline backfill`` to the
last run's end.

Run alone: ``python -m bench.celery_renders --lectures 4 --lecture-seconds 8``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import log, real_servers, sample_media, script_of
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.standins.clock import ServiceClock
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.sample_lecture import CONSENT
from lecturer_pipeline.standins.servers import broker
from lecturer_pipeline.standins.servers.cluster import DEFAULT_QUEUE, RENDER_QUEUE, celery_cluster
from lecturer_pipeline.standins.servers.dagster_services import run_cli, wait_for
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

GOAL = 1.10  # two render workers: within 1.10× their bound, about twice the throughput of one
SPEAKER = "ada"
_RUN_END = """query($runId: ID!) { runOrError(runId: $runId) { ... on Run { endTime } } }"""


def _one(
    servers: Any,
    workdir: Path,
    media: dict[str, Path],
    *,
    renderers: int,
    lectures: int,
    seconds: float,
    render_per_second: float,
) -> dict[str, Any]:
    broker_url, stop_broker = broker.broker_vhost()
    redis_url, stop_redis = broker.redis_server()
    with contextlib.ExitStack() as stack:
        stack.callback(stop_broker)
        stack.callback(stop_redis)
        clocks = [ServiceClock(f"kdtalker-{n}", 0.0) for n in range(renderers)]  # records each render's span
        talkers = [
            stack.enter_context(KDTalkerStandIn(latency_per_second=render_per_second, clock=clock)) for clock in clocks
        ]
        cluster = stack.enter_context(
            celery_cluster(
                workdir,
                pg_admin_url=servers.pg_admin_url,
                s3=servers.s3,
                broker_url=broker_url,
                backend_url=redis_url,
                kdtalker_url=talkers[0].url,
                extra_env={"LECTURER_POOL_LIMITS": f"zyphra=2,kdtalker={renderers},ollama=1"},
            )
        )
        for index, talker in enumerate(talkers[1:], start=2):
            env = {**cluster.worker_env, "KDTALKER_URL": talker.url}
            cluster.start_worker(f"render{index}", (DEFAULT_QUEUE, RENDER_QUEUE), env)
        dagster = cluster.dagster
        try:  # stopped before anything is uploaded, so a tick still in flight finds nothing to start
            dagster.stop_sensor("lecture_uploads_sensor")
        except AssertionError as error:
            log(f"celery: {error}; the sensor is stopped, carrying on")
        submit_speaker_files(cluster.store, SPEAKER, voice=media["voice"], portrait=media["portrait"], consent=CONSENT)
        ids = []
        for i in range(lectures):
            manifest = LectureManifest(title=f"part {i}", speaker=SPEAKER, script=script_of(f"topic {i}", seconds))
            ids.append(submit_lecture(cluster.store, "course", f"part-{i}", manifest)[0])
        dagster.add_dynamic_partitions("lectures", ids)
        log(f"celery: {lectures} lectures, {renderers} render worker(s); launching the course backfill")
        launched_at = time.time()
        done = run_cli(dagster.home, "backfill", "--course", "course", env=dagster.env)
        if done.returncode != 0:
            raise RuntimeError(f"backfill failed to launch: {done.stderr}")
        backfill_id = done.stdout.strip().splitlines()[-1].removeprefix("backfill: ")

        def finished() -> list[dict] | None:
            runs = dagster.runs_tagged("dagster/backfill", backfill_id)
            done = len(runs) == lectures and all(r["status"] in {"SUCCESS", "FAILURE", "CANCELED"} for r in runs)
            return runs if done else None

        runs = wait_for("the backfill's runs", finished, timeout=3600, interval=1.0)
        failed = [r["runId"] for r in runs if r["status"] != "SUCCESS"]
        if failed:
            raise RuntimeError(f"backfill runs failed: {failed}")
        ends = [dagster.graphql(_RUN_END, runId=run["runId"])["runOrError"]["endTime"] for run in runs]
        wall = max(ends) - launched_at
        busy = [clock.busy_seconds() for clock in clocks]
        bound = sum(busy) / renderers
        return {
            "renderers": renderers,
            "wall_seconds": round(wall, 1),
            "bound_seconds": round(bound, 1),
            "ratio": round(wall / bound, 3),
            "render_busy_seconds": [round(b, 1) for b in busy],
            "renders": [len(clock.snapshot()) for clock in clocks],
        }


def measure(
    servers: Any, workdir: Path, media: dict[str, Path], *, lectures: int, seconds: float, render_per_second: float
) -> dict[str, Any]:
    one = _one(
        servers,
        workdir / "one",
        media,
        renderers=1,
        lectures=lectures,
        seconds=seconds,
        render_per_second=render_per_second,
    )
    two = _one(
        servers,
        workdir / "two",
        media,
        renderers=2,
        lectures=lectures,
        seconds=seconds,
        render_per_second=render_per_second,
    )
    log(f"celery: one render worker {one['ratio']}× bound, two {two['ratio']}× bound")
    return {
        "value": two["ratio"],
        "goal": f"two render workers ≤ {GOAL}× bound",
        "met": two["ratio"] <= GOAL,
        "unit": "× bound",
        "inputs": {
            "lectures": lectures,
            "target_seconds_per_lecture": seconds,
            "render_seconds_per_video_second": render_per_second,
            "workers": "general (dagster) + 1 or 2 render workers (dagster,render), --concurrency 1 each",
            "executor": "dagster-celery celery_executor, RabbitMQ broker, Redis backend",
        },
        "details": {
            "one_render_worker": one,
            "two_render_workers": two,
            "throughput_gain": round(one["wall_seconds"] / two["wall_seconds"], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lectures", type=int, default=12)
    parser.add_argument("--lecture-seconds", type=float, default=15.0)
    parser.add_argument("--render-latency", type=float, default=1.2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-celery-"))
    try:
        with real_servers() as servers:
            media = sample_media(workdir / "media")
            result = measure(
                servers,
                workdir,
                media,
                lectures=args.lectures,
                seconds=args.lecture_seconds,
                render_per_second=args.render_latency,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
