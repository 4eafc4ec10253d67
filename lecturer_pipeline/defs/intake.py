"""The intake job: the one place where what the upload sensor found is written (DESIGN.md §7).

The sensor only reads; each tick that finds something new asks for one small run of this job carrying the tick's
upload records as run config. It writes them to the catalog's ``uploads`` table, creates a PENDING row for each
newly accepted lecture (an existing row is left to its runs) and records refused uploads as FAILED lectures.
Its runs carry a high ``dagster/priority`` so the run queue starts them before waiting lecture runs.
"""

import dagster as dg
from pydantic import Field

from lecturer_pipeline.defs.resources import CatalogResource
from lecturer_pipeline.operations.intake import record_intake
from lecturer_pipeline.storage.catalog_intake import UploadRow

INTAKE_JOB = "intake_job"
INTAKE_PRIORITY = "10"


class UploadRecord(dg.Config):
    """One upload row (``storage.catalog_intake.UploadRow``) as run config."""

    key: str
    etag: str
    size: int
    sha256: str | None = None
    state: str
    lecture_id: str | None = None
    course: str | None = None
    speaker: str | None = None
    reason: str | None = None
    run_key: str | None = None


class IntakeConfig(dg.Config):
    records: list[UploadRecord] = Field(default_factory=list)
    forgotten: list[str] = Field(default_factory=list)


def intake_run_config(records: list[UploadRow], forgotten: list[str]) -> dict:
    """The run config the sensor sends with a tick's records."""
    rows = [{**row.__dict__, "state": str(row.state)} for row in records]  # plain strings: run config is serialised
    return {"ops": {"record_uploads": {"config": {"records": rows, "forgotten": forgotten}}}}


@dg.op(description="Write the upload sensor's findings to the catalog (uploads table, new and refused lectures).")
def record_uploads(context: dg.OpExecutionContext, config: IntakeConfig, catalog: CatalogResource) -> None:
    rows = [UploadRow(**record.model_dump()) for record in config.records]
    counts = record_intake(catalog.get_catalog(), rows, list(config.forgotten))
    for row in rows:
        if row.reason:
            context.log.info(f"{row.key}: {row.state}: {row.reason}")
    context.add_output_metadata(counts)


@dg.job(name=INTAKE_JOB, description="Records what the upload sensor found; started by the sensor, never by hand.")
def intake_job() -> None:
    record_uploads()
