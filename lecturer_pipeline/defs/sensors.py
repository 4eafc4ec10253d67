"""The upload sensor: new lecture uploads in the object store become partitions and runs (running by default)."""

from __future__ import annotations

import json

import dagster as dg

from lecturer_pipeline.defs.jobs import lecture_job
from lecturer_pipeline.defs.partitions import lectures_partitions
from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource
from lecturer_pipeline.operations.backfill import COURSE_TAG
from lecturer_pipeline.operations.intake import scan_uploads
from lecturer_pipeline.storage.catalog import Status


def build_upload_sensor(interval_seconds: int = 30) -> dg.SensorDefinition:
    """The sensor, evaluated at most every ``interval_seconds`` (LECTURER_SENSOR_INTERVAL_SECONDS)."""

    @dg.sensor(
        name="lecture_uploads_sensor",
        job=lecture_job,
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a lecture when its upload (uploads/lectures/<course>/<lecture>.txt or .json) changes.",
    )
    def lecture_uploads_sensor(
        context: dg.SensorEvaluationContext, objects: ObjectStoreResource, catalog: CatalogResource
    ) -> dg.SensorResult:
        store, records = objects.get_store(), catalog.get_catalog()
        scan = scan_uploads(store, records, json.loads(context.cursor) if context.cursor else {})
        for rejected in scan.rejected:
            context.log.warning(f"refused {rejected.key}: {rejected.reason}")
            if rejected.lecture_id and rejected.course:
                records.mark_failed(rejected.lecture_id, rejected.course, "upload", rejected.reason)
        for lecture_id, waits in scan.waiting:
            context.log.info(f"lecture {lecture_id} waits: {waits}")
        known = set(context.instance.get_dynamic_partitions(lectures_partitions.name))
        new = sorted({r.lecture_id for r in scan.ready} - known)
        for ready in scan.ready:
            records.upsert_lecture(ready.lecture_id, course=ready.course, status=Status.PENDING.value, error=None)
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(partition_key=r.lecture_id, run_key=r.run_key, tags={COURSE_TAG: r.course})
                for r in scan.ready
            ],
            dynamic_partitions_requests=[lectures_partitions.build_add_request(new)] if new else [],
            cursor=json.dumps(scan.seen, sort_keys=True),
        )

    return lecture_uploads_sensor
