"""``python -m bench.run``: every figure of the performance brief, one table on stdout, ``bench/results.json``.

Servers are real (PostgreSQL, Ceph RGW as the tests find or start them); the Zyphra and KDTalker stand-ins take
the modelled service time (``--tts-latency`` s per second of audio, ``--render-latency`` s per second of video).
Each timing figure is measured ``--repeats`` times (3) and reported as the median run with the range of all runs
(``bench/repeats.py``). Progress goes to stderr. ``--markdown`` prints the table of an existing results file as
Markdown instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.common import REPO, log, machine, modelled_services, real_servers, sample_media
from bench.deployment import POOL_LIMITS
from bench.repeats import TIMED, median_run
from bench.table import TITLES, machine_line, markdown_table, text_table

FIGURES = ("media", "quality", "compose", "celery", "memory", "intake", "edit", "overhead", "backfill")  # run order


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", default=",".join(FIGURES), help=f"comma-separated subset of {', '.join(FIGURES)}")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each timing figure, median reported (3)")
    parser.add_argument("--tts-latency", type=float, default=0.5, help="TTS seconds per second of audio (0.5)")
    parser.add_argument("--render-latency", type=float, default=1.2, help="render seconds per second of video (1.2)")
    parser.add_argument("--lectures", type=int, default=12, help="(1, 6) lectures in the course (12)")
    parser.add_argument("--lecture-seconds", type=float, default=15.0, help="(1) speech per lecture, seconds (15)")
    parser.add_argument(
        "--celery-lecture-seconds", type=float, default=None, help="(6) speech per lecture, seconds (60)"
    )
    parser.add_argument(
        "--max-concurrent-runs", type=int, default=None, help="(1) the run queue's limit (dagster.yaml's: 4)"
    )
    parser.add_argument("--pools", default=POOL_LIMITS, help=f"LECTURER_POOL_LIMITS of the deployment ({POOL_LIMITS})")
    parser.add_argument("--paragraph-seconds", type=float, default=8.0, help="(2) speech per paragraph (8)")
    parser.add_argument("--memory-mb", type=int, default=1024, help="(3) artefact size in MiB (1024)")
    parser.add_argument("--overhead-seconds", type=float, default=360.0, help="(4) speech of the lecture (360)")
    parser.add_argument("--overhead-samples", type=int, default=3, help="(4) launched runs, median taken (3)")
    parser.add_argument("--media-seconds", type=float, default=360.0, help="(5) speech length, seconds (360)")
    parser.add_argument("--media-runs", type=int, default=3, help="(5) runs of each command, median taken (3)")
    parser.add_argument("--intake-uploads", type=int, default=15000, help="(7) lecture uploads (15000)")
    parser.add_argument("--compose-seconds", type=float, default=120.0, help="(8) speech of the lecture (120)")
    parser.add_argument("--compose-paragraphs", type=int, default=10, help="(8) paragraphs, one slide each (10)")
    parser.add_argument("--quality-seconds", type=float, default=60.0, help="(9) speech checked, seconds (60)")
    parser.add_argument("--markdown", type=Path, metavar="RESULTS", help="print RESULTS' table as Markdown and exit")
    return parser.parse_args(argv)


# -- running -------------------------------------------------------------------------------------------------


def _attempt(results: dict[str, Any], name: str, action: Callable[[int], dict[str, Any]], repeats: int) -> None:
    """Run one measurement (``repeats`` times if it is a timing figure, each run given its index) and keep the median
    run; a failure is recorded in the results (and the others still run)."""
    started = time.perf_counter()
    runs = repeats if name in TIMED else 1
    figures: list[dict[str, Any]] = []
    try:
        for index in range(runs):
            log(f"{TITLES[name]}: starting" + (f" (run {index + 1} of {runs})" if runs > 1 else ""))
            figures.append(action(index))
        figure = median_run(figures)
    except Exception as error:  # a broken measurement must not hide the others
        log(f"{name} failed: {type(error).__name__}: {error}")
        figure = {"error": f"{type(error).__name__}: {error}", "met": False, "runs": [f["value"] for f in figures]}
    figure["seconds_taken"] = round(time.perf_counter() - started, 1)
    results["figures"][name] = figure


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench import backfill, celery_renders, compose, edit, intake, media, memory, overhead, quality
    from bench.deployment import Operator, operator_deployment

    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(wanted) - set(FIGURES)
    if unknown:
        raise SystemExit(f"unknown figure(s): {', '.join(sorted(unknown))}; choose from {', '.join(FIGURES)}")
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv), "arguments": {}, "figures": {}}
    results["arguments"] = {key: str(value) for key, value in vars(args).items()}
    workdir = Path(tempfile.mkdtemp(prefix="lecturer-bench-"))
    try:
        if "media" in wanted:
            _attempt(
                results,
                "media",
                lambda i: media.measure(
                    workdir / f"media-{i}", seconds=args.media_seconds, segment_seconds=60.0, runs=args.media_runs
                ),
                args.repeats,
            )
        if "compose" in wanted:
            _attempt(
                results,
                "compose",
                lambda i: compose.measure(
                    workdir / f"compose-{i}", seconds=args.compose_seconds, paragraphs=args.compose_paragraphs
                ),
                args.repeats,
            )
        if "quality" in wanted:
            quality_media = sample_media(workdir / "quality-media")
            _attempt(
                results,
                "quality",
                lambda i: quality.measure(
                    workdir / f"quality-{i}",
                    quality_media,
                    seconds=args.quality_seconds,
                    tts_latency=args.tts_latency,
                    render_latency=args.render_latency,
                ),
                args.repeats,
            )
        if not set(wanted) - {"media", "compose", "quality"}:
            return results
        log("starting PostgreSQL and Ceph RGW (S3)")
        with real_servers() as servers, contextlib.ExitStack() as stack:
            results["machine"]["postgresql"] = servers.postgres_version()
            if "celery" in wanted:
                celery_media = sample_media(workdir / "celery-media")
                _attempt(
                    results,
                    "celery",
                    lambda i: celery_renders.measure(
                        servers,
                        workdir / f"celery-{i}",
                        celery_media,
                        lectures=args.lectures,
                        seconds=args.celery_lecture_seconds,
                        render_per_second=args.render_latency,
                    ),
                    args.repeats,
                )
            if "memory" in wanted:
                _attempt(results, "memory", lambda i: memory.measure(servers, workdir, megabytes=args.memory_mb), 1)
            if "intake" in wanted:
                _attempt(
                    results,
                    "intake",
                    lambda i: intake.measure(servers, workdir / f"intake-{i}", uploads=args.intake_uploads),
                    args.repeats,
                )
            if not set(wanted) & {"edit", "overhead", "backfill"}:
                return results
            samples = sample_media(workdir / "sample-media")
            services = stack.enter_context(modelled_services(args.tts_latency, args.render_latency))
            if "edit" in wanted:
                _attempt(
                    results,
                    "edit",
                    lambda i: edit.measure(
                        servers, services, workdir / "edit", samples, paragraph_seconds=args.paragraph_seconds
                    ),
                    1,
                )
            if not set(wanted) & {"overhead", "backfill"}:
                return results

            @contextlib.contextmanager
            def deployment(figure: str, index: int) -> Iterator[Operator]:
                """A fresh webserver + daemon over fresh databases and bucket for each run: no run sees another's."""
                log(f"starting dagster-webserver and dagster-daemon for {figure} run {index + 1}")
                with operator_deployment(
                    servers,
                    services,
                    workdir / f"deployment-{figure}-{index}",
                    max_concurrent_runs=args.max_concurrent_runs,
                    pools=args.pools,
                ) as operator:
                    yield operator

            def overhead_run(index: int) -> dict[str, Any]:
                with deployment("overhead", index) as operator:
                    return overhead.measure(
                        operator,
                        services,
                        samples,
                        seconds=args.overhead_seconds,
                        samples=args.overhead_samples,
                        tts_per_second=args.tts_latency,
                        render_per_second=args.render_latency,
                    )

            def backfill_run(index: int) -> dict[str, Any]:
                with deployment("backfill", index) as operator:
                    return backfill.measure(
                        operator,
                        services,
                        samples,
                        lectures=args.lectures,
                        seconds=args.lecture_seconds,
                        tts_per_second=args.tts_latency,
                        render_per_second=args.render_latency,
                    )

            if "overhead" in wanted:
                _attempt(results, "overhead", overhead_run, args.repeats)
            if "backfill" in wanted:
                _attempt(results, "backfill", backfill_run, args.repeats)
    finally:
        results["total_seconds"] = round(time.perf_counter() - started, 1)
        results["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.markdown:
        results = json.loads(args.markdown.read_text())
        print(markdown_table(results))
        print(f"\nMeasured on {machine_line(results)}.")
        return 0
    results = run(args)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(text_table(results))
    print(f"\n{machine_line(results)}")
    print(f"results: {args.output}")
    # A missed goal is a finding, not a failure of the benchmark; a measurement that could not run is.
    return 1 if any("error" in figure for figure in results["figures"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
