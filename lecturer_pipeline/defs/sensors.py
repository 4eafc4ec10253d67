"""The upload sensor: new or changed lecture uploads become partitions and runs (running by default).

It only reads (DESIGN.md §7): each tick plans from the object store's listing and the catalog's ``uploads`` table
and returns run requests, partition requests and a cursor of one key. Whatever must be written — the uploads it saw,
refusals, new lectures' rows — travels as the config of an ``intake_job`` run. A sensor preview, a cursor reset or
a repeated evaluation therefore changes nothing, and a published lecture stays published.
"""

from __future__ import annotations

import json

import dagster as dg

from lecturer_pipeline.defs.intake import INTAKE_JOB, INTAKE_PRIORITY, intake_job, intake_run_config
from lecturer_pipeline.defs.jobs import LECTURE_JOB, lecture_job
from lecturer_pipeline.defs.partitions import lectures_partitions
from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource, PipelineResource
from lecturer_pipeline.operations.backfill import COURSE_TAG
from lecturer_pipeline.operations.intake import IntakePlan, plan_intake


def cursor_after(cursor: str | None) -> str:
    """The key a tick continues after ("" from the start, also for a reset or an older cursor)."""
    try:
        value = json.loads(cursor) if cursor else {}
    except json.JSONDecodeError:
        return ""
    return value.get("after", "") if isinstance(value, dict) else ""


def _run_requests(plan: IntakePlan) -> list[dg.RunRequest]:
    requests = [
        dg.RunRequest(job_name=LECTURE_JOB, partition_key=r.lecture_id, run_key=r.run_key, tags={COURSE_TAG: r.course})
        for r in plan.ready
    ]
    if plan.records or plan.forgotten:
        requests.insert(
            0,
            dg.RunRequest(
                job_name=INTAKE_JOB,
                run_key=f"intake:{plan.digest()}",
                run_config=intake_run_config(plan.records, plan.forgotten),
                tags={"dagster/priority": INTAKE_PRIORITY},
            ),
        )
    return requests


def build_upload_sensor(interval_seconds: int = 30) -> dg.SensorDefinition:
    """The sensor, evaluated at most every ``interval_seconds`` (LECTURER_SENSOR_INTERVAL_SECONDS)."""

    @dg.sensor(
        name="lecture_uploads_sensor",
        jobs=[lecture_job, intake_job],
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a lecture when its upload (uploads/lectures/<course>/<lecture>.txt or .json) changes.",
    )
    def lecture_uploads_sensor(
        context: dg.SensorEvaluationContext,
        objects: ObjectStoreResource,
        catalog: CatalogResource,
        pipeline: PipelineResource,
    ) -> dg.SensorResult:
        plan = plan_intake(
            objects.get_store(), catalog.get_catalog(), after=cursor_after(context.cursor), batch=pipeline.intake_batch
        )
        for row in plan.refused:
            context.log.warning(f"refused {row.key}: {row.reason}")
        for row in plan.waiting:
            context.log.info(f"lecture {row.lecture_id} waits: {row.reason}")
        if plan.read or plan.pending:
            context.log.info(f"read {plan.read} uploads; {plan.pending} new or changed left for the next ticks")
        wanted = sorted({r.lecture_id for r in plan.ready})
        known = set(context.instance.get_dynamic_partitions(lectures_partitions.name)) if wanted else set()
        new = [lid for lid in wanted if lid not in known]
        return dg.SensorResult(
            run_requests=_run_requests(plan),
            dynamic_partitions_requests=[lectures_partitions.build_add_request(new)] if new else [],
            cursor=json.dumps({"after": plan.next_after}),
        )

    return lecture_uploads_sensor
