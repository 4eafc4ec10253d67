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
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr
import sqlalchemy as sa

from bench.common import log, median, real_servers, sample_media, script_of, wav_seconds
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
_WORKER_NAME = re.compile(r'"text": "([^"]+@[^"]+)"')  # the "Celery worker" metadata of a step's pickup event
_RUN_END = """query($runId: ID!) { runOrError(runId: $runId) { ... on Run { endTime } } }"""


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
        busy = [talker.busy() for talker in talkers]
        steps = step_breakdown(_dagster_db_url(cluster.worker_env), [run["runId"] for run in runs])
        bound = sum(busy) / renderers
        spans = [span for talker in talkers for span in talker.spans]
        result = {
            "renderers": renderers,
            "wall_seconds": round(wall, 1),
            "bound_seconds": round(bound, 1),
            "ratio": round(wall / bound, 3),
            "render_busy_seconds": [round(b, 1) for b in busy],
            "first_render_to_last_seconds": round(max(e for _, e in spans) - min(b for b, _ in spans), 1),
            "renders": [len(t.spans) for t in talkers],
            "steps": steps,
        }
        log(f"celery: {renderers} render worker(s): {json.dumps(result)}")
        return result


def _dagster_db_url(env: dict[str, str]) -> str:
    user, password = env["DAGSTER_PG_USERNAME"], env["DAGSTER_PG_PASSWORD"]
    auth = f"{user}:{password}" if password else user
    return f"postgresql+psycopg2://{auth}@{env['DAGSTER_PG_HOST']}:{env['DAGSTER_PG_PORT']}/{env['DAGSTER_PG_DB']}"


def step_breakdown(db_url: str, run_ids: list[str]) -> dict[str, Any]:
    """Where each step's time went, from Dagster's event log (medians over the runs, seconds): ``queued`` from the
    run sending the Celery task to a worker picking it up, ``setup`` from then to STEP_START (plan, resources),
    ``body`` the step itself, ``handoff`` from the last step success before a send to that send (the worker's
    teardown, the result's way back and the executor loop's tick)."""
    engine = sa.create_engine(db_url)
    per_step: dict[str, dict[str, list[float]]] = {}
    handoffs: list[float] = []
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT run_id, step_key, event FROM event_logs WHERE run_id = ANY(:ids) ORDER BY id"),
                {"ids": run_ids},
            ).all()
    finally:
        engine.dispose()
    marks: dict[tuple[str, str], dict[str, float]] = {}
    workers: dict[tuple[str, str], str] = {}
    last_success: dict[str, float] = {}
    for run_id, step_key, raw in rows:
        entry = json.loads(raw)
        event = entry.get("dagster_event") or {}
        when, kind = entry.get("timestamp"), event.get("event_type_value")
        message = entry.get("user_message") or event.get("message") or ""  # a worker's engine event has only the latter
        if not step_key or when is None:
            continue
        mark = marks.setdefault((run_id, step_key), {})
        if "Submitting celery task" in message:
            mark.setdefault("submit", when)
            if run_id in last_success:
                handoffs.append(when - last_success.pop(run_id))
        elif "in celery worker" in message:
            mark.setdefault("pickup", when)
            worker = _WORKER_NAME.search(raw)
            workers[(run_id, step_key)] = worker.group(1).split("@")[0] if worker else "?"
        elif kind == "STEP_START":
            mark.setdefault("start", when)
        elif kind == "STEP_SUCCESS":
            mark.setdefault("success", when)
            last_success[run_id] = when
    spans = {"queued": ("submit", "pickup"), "setup": ("pickup", "start"), "body": ("start", "success")}
    for (_run, step_key), mark in marks.items():
        for name, (first, last) in spans.items():
            if first in mark and last in mark:
                per_step.setdefault(step_key, {}).setdefault(name, []).append(mark[last] - mark[first])
    busy: dict[str, float] = {}
    for key, worker in workers.items():
        mark = marks[key]
        if "success" in mark:
            busy[worker] = busy.get(worker, 0.0) + mark["success"] - mark["pickup"]
    return {
        "worker_step_seconds": {worker: round(seconds, 1) for worker, seconds in sorted(busy.items())},
        "per_step_median": {
            step: {name: round(median(values), 2) for name, values in spans_of.items()}
            for step, spans_of in sorted(per_step.items())
        },
        "handoff_median": round(median(handoffs), 2),
        "steps_per_run": round(len(marks) / max(len(run_ids), 1), 1),
    }


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
) -> dict[str, Any]:
    render_queues = (RENDER_QUEUE,) if render_only else (DEFAULT_QUEUE, RENDER_QUEUE)
    seconds = LECTURE_SECONDS if seconds is None else seconds
    common = {
        "lectures": lectures,
        "seconds": seconds,
        "render_per_second": render_per_second,
        "general_workers": general_workers,
        "render_queues": render_queues,
    }
    one = _one(servers, workdir / "one", media, renderers=1, **common)
    two = _one(servers, workdir / "two", media, renderers=2, **common)
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
            "workers": f"{general_workers} general (dagster) + 1 or 2 render workers ({','.join(render_queues)}), "
            "--concurrency 1 each",
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
    parser.add_argument("--lecture-seconds", type=float, default=LECTURE_SECONDS)
    parser.add_argument("--render-latency", type=float, default=1.2)
    parser.add_argument("--general-workers", type=int, default=GENERAL_WORKERS)
    parser.add_argument(
        "--render-also-general",
        action="store_true",
        help="render workers also take the dagster queue's steps (the Celery test's layout)",
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
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
