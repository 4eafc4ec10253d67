"""Keeps the catalog's lecture status in step with the assets, and maps domain errors to Dagster's retry rules.

Bad input and permanent service errors fail at once (``dg.Failure(allow_retries=False)``): retrying cannot fix a
10-second voice sample. So does an S3 request that failed after botocore's own retries (``lecturer_pipeline/retries.py``
says why). A transient error that says when to retry (HTTP Retry-After) asks Dagster for a retry after exactly that
delay; anything else propagates, so the asset's RetryPolicy retries it with back-off and jitter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from lecturer_pipeline.errors import (
    AwaitingApproval,
    ConfigurationError,
    InputError,
    LecturerError,
    NeedsReview,
    ServiceError,
    StorageError,
)
from lecturer_pipeline.ids import split_lecture_id
from lecturer_pipeline.retries import STEP_RETRIES
from lecturer_pipeline.storage.catalog import Catalog, Status
from lecturer_pipeline.storage.s3 import S3RequestError

HELD = (Status.FAILED.value, Status.AWAITING_APPROVAL.value, Status.NEEDS_REVIEW.value)


def _is_permanent(error: Exception) -> bool:
    """Not retried by the step: bad input, a permanent service error, or an S3 request botocore already retried."""
    if isinstance(error, ServiceError):
        return not error.transient
    return isinstance(error, InputError | ConfigurationError | S3RequestError)


@contextmanager
def s3_not_retried_by_step() -> Iterator[None]:
    """An S3 request botocore gave up on fails the step for good (the IO managers' reads and writes)."""
    try:
        yield
    except S3RequestError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error


@contextmanager
def lecture_stage(context: dg.AssetExecutionContext, catalog: Catalog, stage: str) -> Iterator[str]:
    """Mark the lecture RUNNING at ``stage``; on failure mark it FAILED with the reason and re-raise suitably."""
    lecture_id, run_id = context.partition_key, context.run.run_id
    try:
        row = catalog.get_lecture(lecture_id)
        # A failure (or a draft held for review) recorded by an earlier step of this same run stays visible while
        # the run's independent steps go on; a new run starts afresh.
        settled = row is not None and row["status"] in HELD and row.get("run_id") == run_id
        if row is not None and not settled:
            catalog.set_status(lecture_id, Status.RUNNING, stage=stage, run_id=run_id)
        yield lecture_id
    except AwaitingApproval as error:
        catalog.set_status(lecture_id, Status.AWAITING_APPROVAL, stage=stage, error=str(error), run_id=run_id)
        raise dg.Failure(description=str(error), allow_retries=False) from error
    except NeedsReview as error:
        catalog.set_status(lecture_id, Status.NEEDS_REVIEW, stage=stage, error=str(error), run_id=run_id)
        raise dg.Failure(description=str(error), allow_retries=False) from error
    except Exception as error:
        message = str(error.with_context(lecture_id=lecture_id)) if isinstance(error, LecturerError) else str(error)
        try:
            catalog.mark_failed(lecture_id, split_lecture_id(lecture_id)[0], stage, message, run_id=run_id)
        except (StorageError, InputError) as record_error:
            context.log.warning(f"could not record the failure in the catalog: {record_error}")
        if _is_permanent(error):
            raise dg.Failure(description=message, allow_retries=False) from error
        if isinstance(error, ServiceError) and error.retry_after:
            # The service said when to come back (Retry-After): wait that long instead of the policy's back-off.
            raise dg.RetryRequested(max_retries=STEP_RETRIES, seconds_to_wait=error.retry_after) from error
        raise
