"""(6) Render workers through the Celery executor: a course backfilled on one render worker (pool ``kdtalker=1``, one
KDTalker stand-in) and on two (``kdtalker=2``, two stand-ins, like two GPUs), wall ÷ bound for each.

The cluster is the Celery test's (``lecturer_pipeline/standins/servers/cluster.py``): webserver and daemon over
RabbitMQ and Redis, sharing PostgreSQL and S3, with ``--general-workers`` workers on the ``dagster`` queue and the
render workers on ``render`` only (as beside a GPU: a render worker busy with another kind of step leaves its GPU idle),
each ``--concurrency 1``. Each stand-in renders one call at a time and every call takes ``--render-latency`` × its
seconds of video in all (KDTalker's own speed, about 21 frames per second of a 25 fps video), its own encoding
absorbed; the bound is the renderers' busy time ÷ their number. The clock runs from ``lecturer-pipeline backfill``
to the last run's end. ``details`` says where each step's time went (from Dagster's event log) and how long each
worker was busy with steps.

Run alone: ``python -m bench.celery_renders --lectures 4 --lecture-seconds 8``."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr

from bench.common import log, real_servers, sample_media, script_of, wav_seconds
from bench.cpu_use import CpuUse
from bench.event_log import dagster_db_url, step_breakdown
from lecturer_pipeline.manifest import LectureManifest
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.sample_lecture import CONSENT
from lecturer_pipeline.standins.servers import broker
from lecturer_pipeline.standins.servers.cluster import DEFAULT_QUEUE, RENDER_QUEUE, celery_cluster
from lecturer_pipeline.standins.servers.dagster_services import run_cli, wait_for
from lecturer_pipeline.uploads import submit_lecture, submit_speaker_files

GOAL = 1.10  # two render workers: within 1.10× their bound, about twice the throughput of one
SPEAKER = "ada"
#: Speech per lecture. Long enough that the renders, not each lecture's fixed cost, set the wall time: a course's
#: first lecture is prepared before any render starts and its last one composed after the last render ends, and
#: every lecture's dozen non-render steps must keep up with the renders (bench/README.md, figure 6).
LECTURE_SECONDS = 60.0
GENERAL_WORKERS = 4  # workers on the dagster queue, beside the render workers (which take renders only)
_RUN_TIMES = """query($runId: ID!) { runOrError(runId: $runId) { ... on Run { creationTime endTime } } }"""


class TimedKDTalker(KDTalkerStandIn):
    """The KDTalker stand-in as one GPU: each call takes ``render_per_second`` × the seconds of video in all, its
    own crop and ffmpeg encoding absorbed in that (it sleeps only for what is left), so the bound is the modelled
    GPU time and not the load of the machine the bench shares; records each call's start and end."""

    def __init__(self, *, render_per_second: float) -> None:
        super().__init__()
        self.render_per_second = render_per_second
        self.spans: list[tuple[float, float]] = []
        self._spans_lock = threading.Lock()

    def gradio_infer(self, source_image: str | None, driven_audio: str | None, request: gr.Request) -> str:
        started, start = time.monotonic(), time.time()
        try:
            result = super().gradio_infer(source_image, driven_audio, request)
            pause = self.render_per_second * wav_seconds(driven_audio or "") - (time.monotonic() - started)
            time.sleep(max(pause, 0.0))
            return result
        finally:
            with self._spans_lock:
                self.spans.append((start, time.time()))

    def busy(self) -> float:
        return sum(end - start for start, end in self.spans)


def _one(
    servers: Any,
    workdir: Path,
    media: dict[str, Path],
    *,
    renderers: int,
    lectures: int,
    seconds: float,
    render_per_second: float,
    general_workers: int,
    render_queues: tuple[str, ...],
    max_concurrent_runs: int = 8,
) -> dict[str, Any]:
    broker_url, stop_broker = broker.broker_vhost()
    redis_url, stop_redis = broker.redis_server()
    with contextlib.ExitStack() as stack:
        stack.callback(stop_broker)
        stack.callback(stop_redis)
        talkers = [stack.enter_context(TimedKDTalker(render_per_second=render_per_second)) for _ in range(renderers)]
        cluster = stack.enter_context(
            celery_cluster(
                workdir,
                pg_admin_url=servers.pg_admin_url,
                s3=servers.s3,
                broker_url=broker_url,
                backend_url=redis_url,
                kdtalker_url=talkers[0].url,
                extra_env={"LECTURER_POOL_LIMITS": f"zyphra=2,kdtalker={renderers},ollama=1"},
                render_queues=render_queues,
                max_concurrent_runs=max_concurrent_runs,
            )
        )
        for index in range(2, general_workers + 1):
            cluster.start_worker(f"general{index}", (DEFAULT_QUEUE,), cluster.worker_env)
        for index, talker in enumerate(talkers[1:], start=2):
            env = {**cluster.worker_env, "KDTALKER_URL": talker.url}
            cluster.start_worker(f"render{index}", render_queues, env)
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
        with CpuUse() as cpu:
            done = run_cli(dagster.home, "backfill", "--course", "course", env=dagster.env)
            if done.returncode != 0:
                raise RuntimeError(f"backfill failed to launch: {done.stderr}")
            backfill_id = done.stdout.strip().splitlines()[-1].removeprefix("backfill: ")

            def finished() -> list[dict] | None:
                runs = dagster.runs_tagged("dagster/backfill", backfill_id)
                over = {"SUCCESS", "FAILURE", "CANCELED"}
                return runs if len(runs) == lectures and all(r["status"] in over for r in runs) else None

            runs = wait_for("the backfill's runs", finished, timeout=3600, interval=1.0)
        failed = [r["runId"] for r in runs if r["status"] != "SUCCESS"]
        if failed:
            raise RuntimeError(f"backfill runs failed: {failed}")
        times = [dagster.graphql(_RUN_TIMES, runId=run["runId"])["runOrError"] for run in runs]
        ends = [run["endTime"] for run in times]
        wall = max(ends) - launched_at
        busy = [talker.busy() for talker in talkers]
        steps = step_breakdown(dagster_db_url(cluster.worker_env), [run["runId"] for run in runs])
        bound = sum(busy) / renderers
        spans = [span for talker in talkers for span in talker.spans]
        first_render, last_render = min(start for start, _ in spans), max(end for _, end in spans)
        result = {
            "renderers": renderers,
            "wall_seconds": round(wall, 1),
            "bound_seconds": round(bound, 1),
            "ratio": round(wall / bound, 3),
            "render_busy_seconds": [round(b, 1) for b in busy],
            "first_render_to_last_seconds": round(last_render - first_render, 1),
            "launch_to_first_run_seconds": round(min(run["creationTime"] for run in times) - launched_at, 1),
            "launch_to_first_render_seconds": round(first_render - launched_at, 1),
            "last_render_to_end_seconds": round(max(ends) - last_render, 1),
            "renders": [len(t.spans) for t in talkers],
            "cpu": cpu.report(),
            "steps": steps,
        }
        log(f"celery: {renderers} render worker(s): {json.dumps(result)}")
        return result


def measure(
    servers: Any,
    workdir: Path,
    media: dict[str, Path],
    *,
    lectures: int,
    seconds: float | None,
    render_per_second: float,
    general_workers: int = GENERAL_WORKERS,
    render_only: bool = True,
    with_one: bool = True,
) -> dict[str, Any]:
    """Both layouts, or (``with_one=False``) only the two-GPU one the goal is about: at long lectures the one-GPU
    half takes twice as long and is only the throughput's reference."""
    render_queues = (RENDER_QUEUE,) if render_only else (DEFAULT_QUEUE, RENDER_QUEUE)
    seconds = LECTURE_SECONDS if seconds is None else seconds
    common = {
        "lectures": lectures,
        "seconds": seconds,
        "render_per_second": render_per_second,
        "general_workers": general_workers,
        "render_queues": render_queues,
    }
    one = _one(servers, workdir / "one", media, renderers=1, **common) if with_one else None
    two = _one(servers, workdir / "two", media, renderers=2, **common)
    log(f"celery: one render worker {one and one['ratio']}× bound, two {two['ratio']}× bound")
    return {
        "value": two["ratio"],
        "goal": f"two render workers ≤ {GOAL}× bound",
        "met": two["ratio"] <= GOAL,
        "unit": "× bound",
        "inputs": {
            "lectures": lectures,
            "target_seconds_per_lecture": seconds,
            "render_seconds_per_video_second": render_per_second,
            "workers": f"{general_workers} general (dagster) + 1 or 2 render workers ({','.join(render_queues)}), "
            "--concurrency 1 each",
            "executor": "dagster-celery celery_executor, RabbitMQ broker, Redis backend",
        },
        "details": {
            "one_render_worker": one,
            "two_render_workers": two,
            "throughput_gain": one and round(one["wall_seconds"] / two["wall_seconds"], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lectures", type=int, default=12)
    parser.add_argument("--lecture-seconds", type=float, default=LECTURE_SECONDS)
    parser.add_argument("--render-latency", type=float, default=1.2)
    parser.add_argument("--general-workers", type=int, default=GENERAL_WORKERS)
    parser.add_argument(
        "--render-also-general",
        action="store_true",
        help="render workers also take the dagster queue's steps (the Celery test's layout)",
    )
    parser.add_argument(
        "--two-only", action="store_true", help="measure only two render workers (the goal), not the one-GPU reference"
    )
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
                general_workers=args.general_workers,
                render_only=not args.render_also_general,
                with_one=not args.two_only,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
