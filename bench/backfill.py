"""(1) Backfill efficiency: a course backfilled through the webserver and the daemon, against the lower bound set by
its busiest service (that service's total work ÷ its pool size), and against a naive one-at-a-time loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import ServiceClock, Services, log, script_of
from bench.deployment import Operator

GOAL = 1.15
TOPICS = (
    "sets",
    "functions",
    "relations",
    "graphs",
    "trees",
    "proofs",
    "induction",
    "recursion",
    "counting",
    "probability",
    "logic",
    "matrices",
    "groups",
    "rings",
    "fields",
    "orders",
)


def _work(clock: ServiceClock) -> float:
    """The service's modelled work: its latency per second × the seconds of media it made."""
    return clock.per_second * clock.media_seconds()


def _render_gaps(clock: ServiceClock) -> float:
    """Seconds the renderer sat idle between its first call's start and its last call's end."""
    calls = clock.snapshot()
    if not calls:
        return 0.0
    idle, last_end = 0.0, calls[0][0]
    for start, end, _ in calls:
        idle += max(0.0, start - last_end)
        last_end = max(last_end, end)
    return idle


def _kdtalker_slot(runs: list[dict], steps: dict[str, dict], renders: list[tuple[float, float, float]]) -> dict:
    """Where the KDTalker pool slot's time went, lecture after lecture: the ``video_segments`` step holds the slot
    from its start to its end; within it, the renders, and around them the step's own work before the first render
    (start, download speech and portrait, cut the segments, connect) and after the last (store the segment and the
    manifest, end); between two steps, the time Dagster took to hand the slot to the next waiting run."""
    spans = sorted(
        (step["startTime"], step["endTime"])
        for run in runs
        if (step := steps[run["runId"]].get("video_segments")) and step["startTime"] and step["endTime"]
    )
    before = after = handover = 0.0
    for index, (start, end) in enumerate(spans):
        inside = [(s, e) for s, e, _ in renders if start - 0.5 <= s and e <= end + 0.5]
        if inside:
            before += max(0.0, inside[0][0] - start)
            after += max(0.0, end - inside[-1][1])
        if index:
            handover += max(0.0, start - spans[index - 1][1])
    return {
        "video_steps": len(spans),
        "video_step_before_first_render_seconds": round(before, 1),
        "video_step_after_last_render_seconds": round(after, 1),
        "slot_handover_seconds": round(handover, 1),
    }


def measure(
    deployment: Operator,
    services: Services,
    media: dict[str, Path],
    *,
    lectures: int,
    seconds: float,
    tts_per_second: float,
    render_per_second: float,
) -> dict[str, Any]:
    # The naive loop's per-lecture overhead: one lecture of the same size in this process, zero-latency stand-ins.
    services.set_latency(0.0, 0.0)
    services.reset()
    (probe,) = deployment.submit("loop", {"probe": script_of("a loop", seconds)}, media)
    in_process = deployment.run_in_process(probe) - services.tts.busy_seconds() - services.render.busy_seconds()
    log(f"backfill: one lecture in process adds {in_process:.1f} s to its service time")

    course = "course"
    scripts = {TOPICS[i % len(TOPICS)] + f"-{i}": script_of(TOPICS[i % len(TOPICS)], seconds) for i in range(lectures)}
    services.set_latency(tts_per_second, render_per_second)
    services.reset()
    ids = deployment.submit(course, scripts, media)
    log(f"backfill: {lectures} lectures of ~{seconds:g} s submitted; launching the course backfill")
    launched_at, backfill_id = deployment.launch_backfill(course)
    bound_guess = lectures * seconds * max(render_per_second, tts_per_second / 2)
    runs = deployment.wait_runs("dagster/backfill", backfill_id, lectures, timeout=3 * bound_guess + 600)
    failed = [run["runId"] for run in runs if run["status"] != "SUCCESS"]
    if failed:
        raise RuntimeError(f"backfill runs failed: {failed}")
    tts, render = services.tts, services.render
    finished = max(run["endTime"] for run in runs)
    wall = finished - launched_at
    tts_work, render_work = _work(tts), _work(render)
    bound = max(tts_work / 2, render_work / 1)
    busy_bound = max(tts.busy_seconds() / 2, render.busy_seconds() / 1)
    renders = render.snapshot()
    sequential = tts_work + render_work + lectures * in_process
    audio = render.media_seconds()
    steps = {run["runId"]: deployment.step_stats(run["runId"]) for run in runs}
    first_created = min(run["creationTime"] for run in runs)
    first_started = min(run["startTime"] for run in runs)
    result = {
        "value": round(wall / bound, 3),
        "goal": f"≤ {GOAL}× bound",
        "met": wall / bound <= GOAL,
        "unit": "× bound",
        "inputs": {
            "lectures": lectures,
            "target_seconds_per_lecture": seconds,
            "speech_seconds_total": round(audio, 1),
            "speech_seconds_per_lecture": round(audio / lectures, 1),
            "tts_seconds_per_audio_second": tts_per_second,
            "render_seconds_per_video_second": render_per_second,
            "pools": deployment.dagster.env["LECTURER_POOL_LIMITS"],
            "max_concurrent_runs": deployment.max_concurrent_runs,
            "launched_with": "lecturer-pipeline backfill --course (GraphQL launchPartitionBackfill); partitions "
            "added beforehand, upload sensor stopped; timed from the command's start to the last run's end",
            "storage": "objects on Ceph RGW (S3), catalog and Dagster storage on PostgreSQL",
            "lectures_ids": ids,
        },
        "details": {
            "wall_seconds": round(wall, 1),
            "bound_seconds": round(bound, 1),
            "bound_from": "kdtalker" if render_work >= tts_work / 2 else "zyphra",
            "tts_work_seconds": round(tts_work, 1),
            "render_work_seconds": round(render_work, 1),
            "measured_busy_bound_seconds": round(busy_bound, 1),
            "naive_sequential_seconds": round(sequential, 1),
            "naive_sequential_ratio": round(sequential / bound, 3),
            "naive_sequential_how": "computed: Σ each lecture's TTS + render service time + lectures × the overhead "
            "of one such lecture run in one process (runner.run_lecture, zero-latency stand-ins)",
            "naive_loop_overhead_per_lecture_seconds": round(in_process, 2),
            "ratio_after_daemon_pickup": round((finished - first_created) / bound, 3),
            "launch_to_first_run_created_seconds": round(first_created - launched_at, 1),
            "launch_to_first_run_started_seconds": round(first_started - launched_at, 1),
            "launch_to_first_render_seconds": round(renders[0][0] - launched_at, 1),
            "renderer_idle_between_renders_seconds": round(_render_gaps(render), 1),
            "last_render_to_end_seconds": round(finished - max(end for _, end, _ in renders), 1),
            **_kdtalker_slot(runs, steps, renders),
            "renders": len(renders),
            "tts_calls": len(tts.snapshot()),
            "backfill_id": backfill_id,
        },
    }
    log(f"backfill: wall {wall:.1f} s, bound {bound:.1f} s → {wall / bound:.3f}×")
    return result
