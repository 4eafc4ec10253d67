"""The lecture assets, one module per stage; every asset is partitioned by lecture."""

import base64

import dagster as dg

from lecturer_pipeline.defs.tracking import SERVICE_RETRIES
from lecturer_pipeline.kinds import LECTURE_GROUP
from lecturer_pipeline.model import Artefact
from lecturer_pipeline.settings import get_settings
from lecturer_pipeline.stages.checks import CheckOutcome
from lecturer_pipeline.storage.objects import ObjectStore

# Transient service and storage failures: 3 retries, exponential back-off with jitter (DESIGN.md §5), starting at
# LECTURER_RETRY_DELAY_SECONDS (2 s; the fault tests shorten it).
SERVICE_RETRY = dg.RetryPolicy(
    max_retries=SERVICE_RETRIES,
    delay=get_settings().lecturer_retry_delay_seconds,
    backoff=dg.Backoff.EXPONENTIAL,
    jitter=dg.Jitter.PLUS_MINUS,
)
GROUP = LECTURE_GROUP


def artefact_output(artefact: Artefact, **extra: object) -> dg.Output[Artefact]:
    """Wrap an Artefact as an Output with the metadata an operator reads at a glance."""
    metadata = {
        "key": artefact.key,
        "bytes": artefact.bytes,
        "sha256": artefact.sha256,
        "reused": bool(artefact.details.get("reused", False)),
    }
    if artefact.duration is not None:
        metadata["duration_seconds"] = round(artefact.duration, 3)
    for name, value in {**artefact.details, **extra}.items():
        if name != "reused" and value is not None and not isinstance(value, (list, dict)):
            metadata[name] = value if isinstance(value, (str, int, float, bool, dg.MetadataValue)) else str(value)
    return dg.Output(artefact, metadata=metadata)


def check_result(name: str, outcome: CheckOutcome) -> dg.AssetCheckResult:
    """An asset check's result from a domain check; failures are warnings, the artefact is still usable."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=outcome.description,
        metadata=outcome.metadata,
    )


def blocking_check_result(name: str, outcome: CheckOutcome) -> dg.AssetCheckResult:
    """A quality check that blocks what comes after: a failure is an ERROR (the spec says ``blocking=True``)."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=outcome.description,
        metadata=outcome.metadata,
    )


def poster_markdown(store: ObjectStore, video: Artefact, expires_seconds: int) -> dg.MetadataValue:
    """The video's poster frame inline (a data URI: the UI needs no access to the store) with a link to the video."""
    poster = video.details.get("poster_key")
    lines = []
    if poster and store.exists(poster):
        encoded = base64.b64encode(store.get_bytes(poster)).decode()
        lines.append(f"![poster frame](data:image/jpeg;base64,{encoded})")
    lines.append(f"[open the video]({store.url(video.key, expires_seconds=expires_seconds)})")
    return dg.MetadataValue.md("\n\n".join(lines))
