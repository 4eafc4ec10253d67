"""The lecture assets, one module per stage; every asset is partitioned by lecture."""

import dagster as dg

from lecturer_pipeline.defs.tracking import SERVICE_RETRIES
from lecturer_pipeline.model import Artefact

# Transient service and storage failures: 3 retries, exponential back-off with jitter (DESIGN.md §5).
SERVICE_RETRY = dg.RetryPolicy(
    max_retries=SERVICE_RETRIES, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
GROUP = "lecture"


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
