"""The nightly prune: a job with one op over the domain's ``prune``, and a schedule that runs it at 03:00 UTC.

An op job, not an asset: pruning produces no data, only deletions, and must not appear in the lecture asset graph.
Deleting a pruned lecture's dynamic partition is the one thing the domain code cannot do, so it happens here.
(No ``from __future__ import annotations``: Dagster reads the op's annotations at definition time.)
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from lecturer_pipeline.defs.jobs import LECTURE_JOB
from lecturer_pipeline.defs.partitions import LECTURES
from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource, PipelineResource
from lecturer_pipeline.operations.prune import PruneReport, prune, utc

PRUNE_JOB = "prune_job"
# Runs that may still write a lecture's objects: never prune under them.
ACTIVE_RUN_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class PruneConfig(dg.Config):
    """Run config of ``prune_stale``."""

    dry_run: bool = False
    now: str | None = None  # ISO timestamp to prune as of (tests, replays); default: the run's current UTC time

    def clock(self) -> datetime:
        return utc(datetime.fromisoformat(self.now)) if self.now else datetime.now(UTC)


def _lectures_in_progress(instance: dg.DagsterInstance, cutoff: datetime) -> set[str]:
    """Partition keys of lecture runs that are active, or that ended after the cut-off: a lecture being (re)built
    right now, or worked on recently by any run, is not stale, whatever its catalog row says."""
    active = instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE_RUN_STATUSES))
    recent = instance.get_runs(filters=dg.RunsFilter(job_name=LECTURE_JOB, updated_after=cutoff))
    return {run.tags["dagster/partition"] for run in [*active, *recent] if "dagster/partition" in run.tags}


def _forget_partitions(context: dg.OpExecutionContext, report: PruneReport) -> None:
    for lecture_id in report.lecture_ids:
        if context.instance.has_dynamic_partition(LECTURES, lecture_id):
            context.instance.delete_dynamic_partition(LECTURES, lecture_id)


@dg.op(description="Delete stale unfinished lectures' media and expired reference voices; report what went.")
def prune_stale(
    context: dg.OpExecutionContext,
    config: PruneConfig,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    pipeline: PipelineResource,
) -> None:
    now = config.clock()
    report = prune(
        objects.get_store(),
        catalog.get_catalog(),
        now=now,
        stale_days=pipeline.stale_days,
        dry_run=config.dry_run,
        skip=_lectures_in_progress(context.instance, now - timedelta(days=pipeline.stale_days)),
        max_lectures=pipeline.prune_max_lectures,
    )
    if not config.dry_run:
        _forget_partitions(context, report)
    context.log.info(report.as_markdown())
    context.add_output_metadata({**report.as_metadata(), "listing": dg.MetadataValue.md(report.as_markdown())})


@dg.job(name=PRUNE_JOB, description="Prune lectures unfinished for LECTURER_STALE_DAYS and expired voices.")
def prune_job() -> None:
    prune_stale()


prune_schedule = dg.ScheduleDefinition(
    name="nightly_prune",
    job=prune_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 03:00 UTC, run prune_job.",
)
