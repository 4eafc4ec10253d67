"""``python -m bench.run``: every figure of the performance brief, one table on stdout, ``bench/results.json``.

Servers are real (PostgreSQL, Ceph RGW as the tests find or start them); the Zyphra and KDTalker stand-ins take
the modelled service time (``--tts-latency`` s per second of audio, ``--render-latency`` s per second of video).
Progress goes to stderr. ``--markdown`` prints the table of an existing results file as Markdown instead.
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
from pathlib import Path
from typing import Any

from bench.common import REPO, log, machine, modelled_services, real_servers, sample_media
from bench.deployment import POOL_LIMITS

FIGURES = ("media", "quality", "compose", "celery", "memory", "intake", "edit", "overhead", "backfill")  # run order
ORDER = ("backfill", "edit", "memory", "overhead", "media", "celery", "intake", "compose", "quality")  # table order
TITLES = {
    "backfill": "1. Backfill efficiency (wall ÷ busiest-service bound)",
    "edit": "2. Edit re-spend (one paragraph of 20)",
    "memory": "3. Memory, storing + loading a video artefact",
    "overhead": "4. Orchestration overhead per lecture",
    "media": "5. Media vs ffmpeg CLI (convert, join)",
    "celery": "6. Render workers through Celery (wall ÷ bound)",
    "intake": "7. Intake, 15,000 uploads of 3,000 speakers on S3",
    "compose": "8. Composition of the 1080p lecture video (wall ÷ lecture length; re-compose after an edit)",
    "quality": "9. QA time per lecture (÷ modelled TTS time)",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", default=",".join(FIGURES), help=f"comma-separated subset of {', '.join(FIGURES)}")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results.json")
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


# -- the table -----------------------------------------------------------------------------------------------


def shown(name: str, figure: dict[str, Any]) -> str:
    """The figure's value as the table shows it."""
    value, details = figure["value"], figure.get("details", {})
    if name == "backfill":
        return (
            f"{value:.2f}× ({details['wall_seconds']:.0f} s vs {details['bound_seconds']:.0f} s; "
            f"{details['ratio_after_daemon_pickup']:.2f}× from the first run's creation); "
            f"naive loop {details['naive_sequential_ratio']:.2f}×"
        )
    if name == "edit":
        return f"TTS {details['tts_fraction']:.3f}, render {details['render_fraction']:.3f}"
    if name == "memory":
        size = figure["inputs"]["artefact_megabytes"]
        size_text = f"{size / 1024:g} GiB" if size >= 1024 else f"{size} MiB"
        return (
            f"{size_text}: S3 +{details['s3_io_manager_mb']:.0f} MB, local +{details['local_io_manager_mb']:.0f} MB "
            f"(naive +{details['s3_naive_mb']:.0f} / +{details['local_naive_mb']:.0f} MB)"
        )
    if name == "overhead":
        return f"{value:.1%} ({details['overhead_seconds']:.1f} s per lecture)"
    if name == "media":
        return (
            f"convert {details['convert_pipeline_x_realtime']:.0f}× RT (ratio {details['convert_ratio']:.2f}), "
            f"join {details['join_pipeline_x_realtime']:.0f}× RT (ratio {details['join_ratio']:.2f})"
        )
    if name == "celery":
        one, two = details["one_render_worker"], details["two_render_workers"]
        return (
            f"two workers {two['ratio']:.2f}× ({two['wall_seconds']:.0f} s vs {two['bound_seconds']:.0f} s), "
            f"one {one['ratio']:.2f}× ({one['wall_seconds']:.0f} s vs {one['bound_seconds']:.0f} s); "
            f"throughput ×{details['throughput_gain']:.2f}"
        )
    if name == "intake":
        return (
            f"{details['ticks']} ticks, longest {details['longest_tick_seconds']:.1f} s; idle tick "
            f"{details['idle_tick_seconds']:.2f} s; cursor {details['cursor_bytes']} B; status --course "
            f"{details['status_course_ms']:.0f} ms, --status FAILED --limit 50 {details['status_failed_ms']:.0f} ms"
        )
    if name == "compose":
        return (
            f"{value:.2f}× real time ({details['wall_seconds']:.0f} s for {figure['inputs']['lecture_seconds']:.0f} s;"
            f" CPU {details['cpu_seconds_per_lecture_second']:.2f} s per s, load {details['load_average'][0]:.0f});"
            f" re-compose {details['recompose_fraction']:.3f}"
        )
    if name == "quality":
        return (
            f"{value:.1%} ({details['speech_qa_seconds'] + details['video_qa_seconds']:.1f} s QA for "
            f"{details['audio_seconds']:.0f} s of speech; models load in {details['model_load_seconds']:.1f} s once)"
        )
    return str(value)


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    found = []
    for name in ORDER:
        figure = results["figures"].get(name)
        if figure is None:
            continue
        if "error" in figure:
            found.append((TITLES[name], f"error: {figure['error'][:60]}", "", "no"))
        else:
            found.append((TITLES[name], shown(name, figure), figure["goal"], "yes" if figure["met"] else "NO"))
    return found


def text_table(results: dict[str, Any]) -> str:
    header = ("figure", "value", "goal", "met")
    table = [header, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(results: dict[str, Any]) -> str:
    lines = ["| figure | value | goal | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines)


def machine_line(results: dict[str, Any]) -> str:
    m = results["machine"]
    return (
        f"{m['cpu_count']} × {m['cpu_model']}, {m['memory_gb']} GB, Python {m['python']}, Dagster {m['dagster']}, "
        f"ffmpeg {m['ffmpeg']}, PostgreSQL {m['postgresql']}, Ceph RGW {m['radosgw']}; {m['date']}; "
        f"{results['total_seconds']:.0f} s in all; load average {m['load_average_at_start'][0]:.1f} at the start"
    )


# -- running -------------------------------------------------------------------------------------------------


def _attempt(results: dict[str, Any], name: str, action) -> Any:
    """Run one measurement; a failure is recorded in the results (and the others still run)."""
    started = time.perf_counter()
    log(f"{TITLES[name]}: starting")
    try:
        figure = action()
    except Exception as error:  # a broken measurement must not hide the others
        log(f"{name} failed: {type(error).__name__}: {error}")
        figure = {"error": f"{type(error).__name__}: {error}", "met": False}
    figure["seconds_taken"] = round(time.perf_counter() - started, 1)
    results["figures"][name] = figure
    return figure


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench import backfill, celery_renders, compose, edit, intake, media, memory, overhead, quality
    from bench.deployment import operator_deployment

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
                lambda: media.measure(
                    workdir / "media", seconds=args.media_seconds, segment_seconds=60.0, runs=args.media_runs
                ),
            )
        if "compose" in wanted:
            _attempt(
                results,
                "compose",
                lambda: compose.measure(
                    workdir / "compose", seconds=args.compose_seconds, paragraphs=args.compose_paragraphs
                ),
            )
        if "quality" in wanted:
            _attempt(
                results,
                "quality",
                lambda: quality.measure(
                    workdir / "quality",
                    sample_media(workdir / "quality-media"),
                    seconds=args.quality_seconds,
                    tts_latency=args.tts_latency,
                ),
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
                    lambda: celery_renders.measure(
                        servers,
                        workdir / "celery",
                        celery_media,
                        lectures=args.lectures,
                        seconds=args.celery_lecture_seconds,
                        render_per_second=args.render_latency,
                    ),
                )
            if "memory" in wanted:
                _attempt(results, "memory", lambda: memory.measure(servers, workdir, megabytes=args.memory_mb))
            if "intake" in wanted:
                _attempt(results, "intake", lambda: intake.measure(servers, workdir, uploads=args.intake_uploads))
            if not set(wanted) & {"edit", "overhead", "backfill"}:
                return results
            samples = sample_media(workdir / "sample-media")
            services = stack.enter_context(modelled_services(args.tts_latency, args.render_latency))
            if "edit" in wanted:
                _attempt(
                    results,
                    "edit",
                    lambda: edit.measure(
                        servers, services, workdir / "edit", samples, paragraph_seconds=args.paragraph_seconds
                    ),
                )
            if not set(wanted) & {"overhead", "backfill"}:
                return results
            log("starting dagster-webserver and dagster-daemon")
            deployment = stack.enter_context(
                operator_deployment(
                    servers,
                    services,
                    workdir / "deployment",
                    max_concurrent_runs=args.max_concurrent_runs,
                    pools=args.pools,
                )
            )
            if "overhead" in wanted:
                _attempt(
                    results,
                    "overhead",
                    lambda: overhead.measure(
                        deployment,
                        services,
                        samples,
                        seconds=args.overhead_seconds,
                        samples=args.overhead_samples,
                        tts_per_second=args.tts_latency,
                        render_per_second=args.render_latency,
                    ),
                )
            if "backfill" in wanted:
                _attempt(
                    results,
                    "backfill",
                    lambda: backfill.measure(
                        deployment,
                        services,
                        samples,
                        lectures=args.lectures,
                        seconds=args.lecture_seconds,
                        tts_per_second=args.tts_latency,
                        render_per_second=args.render_latency,
                    ),
                )
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
