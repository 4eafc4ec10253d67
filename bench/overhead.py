"""(4) Orchestration overhead: what Dagster and the pipeline add to one lecture, with zero-latency stand-ins, as a
fraction of a realistic 6-minute lecture's service time.

A lecture is launched as the UI does (GraphQL ``launchRun``): it waits in the run queue, Dagster's run launcher
starts a process for it, and that process runs every step. Its wall time, from the launch to the run's end, less
the time the stand-ins spent making the media (their own espeak-ng and ffmpeg work, which stands for the
services' work), is what Dagster and the pipeline add. The lecture is the realistic one itself (6 minutes of
speech by default): the pipeline's own media work (conversions, joins, uploads) grows with the lecture, Dagster's
does not.

Two stages that came after this figure's goal was set do work of their own that has its own figure and goal: the
1080p composition (``lecture_video``, figure 8) and the quality checks (figure 9; with zero-latency stand-ins there
is no service call to check beside, so the steps wait for every verdict). The figure's value is the orchestration
overhead without them — the ``lecture_video`` step's duration and the time the steps waited for verdicts (their
``qa_waited_seconds``) are taken off — and ``details`` keeps everything that was added (``added_seconds``) beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import Services, log, median, script_of
from bench.deployment import Operator
from lecturer_pipeline import wiring
from lecturer_pipeline.kinds import Kind

GOAL = 0.02
REALISTIC_SECONDS = 360.0


def _service_seconds(services: Services) -> float:
    return services.tts.busy_seconds() + services.render.busy_seconds()


def _step_seconds(deployment: Operator, run_id: str) -> dict[str, float]:
    """Each step's duration in the run (Dagster's step statistics)."""
    stats = deployment.step_stats(run_id).items()
    return {key: step["endTime"] - step["startTime"] for key, step in stats if step["startTime"] and step["endTime"]}


def _qa_waited(deployment: Operator, lecture_id: str) -> float:
    """Seconds the speech and render steps waited for quality verdicts (their artefacts' ``qa_…waited_seconds``)."""
    catalog = wiring.catalog(deployment.settings)
    try:
        speech, segments = (catalog.get_artefact(lecture_id, kind) for kind in (Kind.SPEECH, Kind.VIDEO_SEGMENTS))
    finally:
        catalog.dispose()
    speech_details = (speech.details if speech else None) or {}
    segment_details = (segments.details if segments else None) or {}
    return (speech_details.get("qa_waited_seconds") or 0.0) + (segment_details.get("qa_video_waited_seconds") or 0.0)


def measure(
    deployment: Operator,
    services: Services,
    media: dict[str, Path],
    *,
    seconds: float,
    samples: int,
    tts_per_second: float,
    render_per_second: float,
) -> dict[str, Any]:
    services.set_latency(0.0, 0.0)
    launched: list[dict[str, float]] = []
    for sample in range(samples):
        (lecture_id,) = deployment.submit(
            "overhead", {f"launched-{sample}": script_of(f"cost {sample}", seconds)}, media
        )
        services.reset()
        launched_at, run_id = deployment.launch_run(lecture_id)
        (run,) = deployment.wait_runs("dagster/partition", lecture_id, 1, timeout=600)
        if run["status"] != "SUCCESS":
            raise RuntimeError(f"overhead run {run_id} failed")
        wall = run["endTime"] - launched_at
        service = _service_seconds(services)
        steps = _step_seconds(deployment, run_id)
        composing, checking = steps[Kind.LECTURE_VIDEO], _qa_waited(deployment, lecture_id)
        launched.append(
            {
                "wall": wall,
                "service": service,
                "added": wall - service,
                "composition": composing,
                "qa_waited": checking,
                "overhead": wall - service - composing - checking,
                "queued": run["startTime"] - launched_at,
                "executing": run["endTime"] - run["startTime"],
                "speech_seconds": services.render.media_seconds(),
                "steps": steps,
            }
        )
        log(
            f"overhead: launched run {sample + 1}/{samples}: wall {wall:.1f} s, stand-ins {service:.1f} s, "
            f"composition {composing:.1f} s, waiting for checks {checking:.1f} s"
        )

    services.set_latency(tts_per_second, render_per_second)

    overhead = median([sample["overhead"] for sample in launched])
    realistic = REALISTIC_SECONDS * (tts_per_second + render_per_second)
    return {
        "value": round(overhead / realistic, 4),
        "goal": f"≤ {GOAL:.0%}",
        "met": overhead / realistic <= GOAL,
        "unit": "of a 6-min lecture's service time",
        "inputs": {
            "lecture_seconds": round(median([sample["speech_seconds"] for sample in launched]), 1),
            "samples": samples,
            "statistic": "median",
            "realistic_lecture_seconds": REALISTIC_SECONDS,
            "realistic_service_seconds": realistic,
            "launched_with": "GraphQL launchRun of lecture_job for one partition: run queue, default run launcher "
            "(a process per run), in-process executor; S3 (Ceph RGW), catalog and Dagster storage on PostgreSQL",
            "stand_ins": "zero latency; their own espeak-ng/ffmpeg time is subtracted as service time",
            "not_counted": "the lecture_video step (figure 8) and the steps' waits for quality verdicts (figure 9)",
        },
        "details": {
            "overhead_seconds": round(overhead, 2),
            "added_seconds": round(median([sample["added"] for sample in launched]), 2),
            "added_fraction": round(median([sample["added"] for sample in launched]) / realistic, 4),
            "composition_seconds": round(median([sample["composition"] for sample in launched]), 2),
            "qa_waited_seconds": round(median([sample["qa_waited"] for sample in launched]), 2),
            "wall_seconds": round(median([sample["wall"] for sample in launched]), 2),
            "stand_in_seconds": round(median([sample["service"] for sample in launched]), 2),
            "launch_to_run_start_seconds": round(median([sample["queued"] for sample in launched]), 2),
            "run_start_to_end_seconds": round(median([sample["executing"] for sample in launched]), 2),
            "step_seconds": {
                key: round(median([sample["steps"].get(key, 0.0) for sample in launched]), 2)
                for key in sorted(launched[0]["steps"], key=lambda key: -launched[0]["steps"][key])
            },
            "samples": [
                {key: round(value, 2) for key, value in sample.items() if key != "steps"} for sample in launched
            ],
        },
    }
