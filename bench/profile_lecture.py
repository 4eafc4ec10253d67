"""``python -m bench.profile_lecture``: where one lecture's time goes, beyond the services' own work.

One lecture runs in this process (``runner.run_lecture``) on S3 (Ceph RGW) with the catalog and Dagster's storage on
PostgreSQL, against zero-latency stand-ins, under cProfile (the stand-ins serve from other threads, which cProfile
does not see). It prints the wall time, the stand-ins' time, each step's duration and the costliest calls of the
pipeline, of boto3/s3transfer, of gradio_client, of ffmpeg subprocesses and of Dagster's PostgreSQL storage; the raw
profile is kept for ``python -m pstats`` or snakeviz. This is how the fixes named in ``bench/README.md`` were found.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

import dagster as dg

from bench.common import modelled_services, real_servers, sample_media, script_of
from bench.deployment import dagster_yaml
from lecturer_pipeline.definitions import build_definitions
from lecturer_pipeline.runner import run_lecture
from lecturer_pipeline.settings import Settings
from lecturer_pipeline.standins.sample_lecture import submit_sample

FOCUS = (
    r"lecturer_pipeline/|s3transfer/futures.py.*result|gradio_client/client.py.*result"
    r"|subprocess.py.*communicate|dagster_postgres/utils.py.*create_pg_connection"
)


def step_durations(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    marks: dict[str, dict[str, float]] = {}
    for record in instance.get_records_for_run(run_id).records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event and entry.step_key and event.event_type_value in ("STEP_START", "STEP_SUCCESS"):
            marks.setdefault(entry.step_key, {})[event.event_type_value] = entry.timestamp
    ordered = sorted(marks.items(), key=lambda item: item[1].get("STEP_START", 0.0))
    return {key: stamps.get("STEP_SUCCESS", 0.0) - stamps.get("STEP_START", 0.0) for key, stamps in ordered}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_lecture", description=__doc__)
    parser.add_argument("--seconds", type=float, default=360.0, help="speech of the profiled lecture (360)")
    parser.add_argument("--lines", type=int, default=40, help="calls listed (40)")
    parser.add_argument("--output", type=Path, help="where to keep the raw profile (default: a temp directory)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="lecturer-profile-"))
    with real_servers() as servers, contextlib.ExitStack() as stack, modelled_services(0.0, 0.0) as services:
        media = sample_media(workdir / "media")
        home = workdir / "dagster"
        home.mkdir()
        (home / "dagster.yaml").write_text(dagster_yaml(servers.new_database(stack), max_concurrent_runs=None))
        instance = stack.enter_context(dg.DagsterInstance.from_config(str(home)))
        settings = Settings(
            lecturer_home=workdir / "home",
            lecturer_s3_endpoint_url=servers.s3.endpoint_url,
            lecturer_s3_bucket=f"bench-profile-{uuid.uuid4().hex[:10]}",
            aws_access_key_id=servers.s3.access_key,
            aws_secret_access_key=servers.s3.secret_key,
            lecturer_database_url=servers.new_database(stack),
            zyphra_api_key=services.zyphra.api_key,
            zyphra_base_url=services.zyphra.base_url,
            kdtalker_url=services.kdtalker.url,
        )
        defs = build_definitions(settings)
        sink = stack.enter_context(open(workdir / "runs.log", "a"))  # Dagster's console log of the runs
        with contextlib.redirect_stderr(sink):
            warm_up = submit_sample(defs, media, lecture="warm-up", script=script_of("warming up", 10))
            run_lecture(defs, instance, warm_up)
        lecture_id = submit_sample(defs, media, lecture="profiled", script=script_of("profiling", args.seconds))
        services.reset()
        profiler = cProfile.Profile()
        started = time.time()
        with contextlib.redirect_stderr(sink):
            profiler.enable()
            outcome = run_lecture(defs, instance, lecture_id)
            profiler.disable()
        wall = time.time() - started
        if not outcome.success:
            print(f"the lecture failed: {outcome.error}", file=sys.stderr)
            return 1
        tts, render = services.tts.busy_seconds(), services.render.busy_seconds()
        print(f"lecture {lecture_id}: {services.render.media_seconds():.0f} s of speech")
        print(f"wall {wall:.2f} s = stand-ins {tts + render:.2f} s (TTS {tts:.2f}, render {render:.2f}) ", end="")
        print(f"+ pipeline and Dagster {wall - tts - render:.2f} s")
        for step, seconds in step_durations(instance, outcome.run_id).items():
            print(f"  step {step:<20} {seconds:6.2f} s")
    output = args.output or workdir / "lecture.pstats"
    profiler.dump_stats(output)
    stats = pstats.Stats(str(output))
    stats.sort_stats("cumulative").print_stats(FOCUS, args.lines)
    print(f"raw profile: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
