"""The table ``python -m bench.run`` prints: one row a figure, each value as the run's breakdown reads it, with the
range of the runs beside a timing figure's median."""

from __future__ import annotations

from typing import Any

from bench.repeats import range_text

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
    "quality": "9. QA time added per lecture (÷ modelled TTS time)",
}


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
        added = details.get("added_fraction")
        beside = (
            f"; with composition {details['composition_seconds']:.0f} s and check waits "
            f"{details['qa_waited_seconds']:.0f} s, {added:.1%} added in all"
            if added is not None
            else ""
        )
        return f"{value:.1%} ({details['overhead_seconds']:.1f} s per lecture{beside})"
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
            f"{value:.1%} added ({details['speech_qa_added_seconds'] + details['video_qa_added_seconds']:.1f} s of "
            f"{details['speech_qa_seconds'] + details['video_qa_seconds']:.1f} s QA, beside the calls, for "
            f"{details['audio_seconds']:.0f} s of speech; compute {details['qa_compute_fraction_of_tts']:.0%} of TTS; "
            f"models load in {details['model_load_seconds']:.1f} s once)"
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
            value = "; ".join(part for part in (shown(name, figure), range_text(name, figure)) if part)
            found.append((TITLES[name], value, figure["goal"], "yes" if figure["met"] else "NO"))
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
