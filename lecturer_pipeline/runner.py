"""Running one lecture's assets in-process on a Dagster instance (what ``materialize`` and ``demo`` do)."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from lecturer_pipeline.defs.jobs import LECTURE_JOB
from lecturer_pipeline.defs.partitions import LECTURES
from lecturer_pipeline.errors import LecturerError, StorageError
from lecturer_pipeline.ids import split_lecture_id
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.storage.catalog import Catalog, Status
from lecturer_pipeline.storage.local import LocalObjectStore
from lecturer_pipeline.storage.objects import ObjectStore


@dataclass(frozen=True)
class LectureOutcome:
    lecture_id: str
    success: bool
    run_id: str
    video: str | None  # a local path (embedded store) or a URL (S3)
    error: str | None


def run_lecture(defs: dg.Definitions, instance: dg.DagsterInstance, lecture_id: str) -> LectureOutcome:
    """Register the lecture's partition and materialise every asset of it, in this process.

    The run is recorded on ``instance`` like any other, so it shows in the Dagster UI over the same instance.
    """
    split_lecture_id(lecture_id)  # refuse malformed IDs before touching the instance
    if not instance.has_dynamic_partition(LECTURES, lecture_id):
        instance.add_dynamic_partitions(LECTURES, [lecture_id])
    job = defs.resolve_job_def(LECTURE_JOB)
    result = job.execute_in_process(instance=instance, partition_key=lecture_id, raise_on_error=False, resources=None)
    resources = defs.resources or {}
    store: ObjectStore = resources["objects"].get_store()
    try:
        catalog: Catalog = resources["catalog"].get_catalog()
        row = catalog.get_lecture(lecture_id) or {}
        video = None
        if row.get("status") == Status.COMPLETED.value:  # the composed lecture video, else the talking head
            video = catalog.get_artefact(lecture_id, Kind.LECTURE_VIDEO) or catalog.get_artefact(lecture_id, Kind.VIDEO)
    except StorageError as error:  # the catalog itself is down: say so rather than crash after the run
        return LectureOutcome(lecture_id, False, result.run_id, None, _first_failure(result) or str(error))
    if result.success and video is not None:
        location = str(store.root / video.key) if isinstance(store, LocalObjectStore) else row["video_url"]
        return LectureOutcome(lecture_id, True, result.run_id, location, None)
    error = row.get("error") or _first_failure(result) or "the run failed; see the Dagster UI for details"
    return LectureOutcome(lecture_id, False, result.run_id, None, error)


def _first_failure(result: dg.ExecuteInProcessResult) -> str | None:
    """The first failed step's own error — the pipeline's message, not Dagster's wrapper around it (such as "Exceeded
    max_retries of 3") nor the driver's exception underneath it."""
    ours = {cls.__name__ for cls in _subclasses(LecturerError)}
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error, chosen = event.step_failure_data.error, event.step_failure_data.error
            while error is not None:
                if error.cls_name in ours:
                    chosen = error
                error = error.cause
            return chosen.message.split(": ", 1)[-1].strip() if chosen.cls_name in ours else chosen.message.strip()
    return None


def _subclasses(cls: type) -> list[type]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _subclasses(child))]
