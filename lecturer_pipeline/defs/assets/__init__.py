"""The lecture assets, one module per stage, and what they share.

Each stage module declares its assets with ``@lecture_asset(...)``: only what that asset has of its own (IO manager,
inputs, pool, checks, kinds). ``factory.build_lecture_assets(settings)`` makes them Dagster assets with what every
lecture asset shares — the lecture partitions, the ``lecture`` group, the scratch-release hooks, the step's
RetryPolicy from these settings and the render queue's tag — so ``build_definitions(settings)`` means its settings.
"""

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dagster as dg

from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource
from lecturer_pipeline.defs.tracking import lecture_stage
from lecturer_pipeline.kinds import LECTURE_GROUP
from lecturer_pipeline.model import Artefact
from lecturer_pipeline.stages.checks import CheckOutcome
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.workdir import step_dir

GROUP = LECTURE_GROUP
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class LectureAssetSpec:
    """What ``@lecture_asset`` recorded on a function: its own ``dg.asset`` arguments, whether a failed step is
    retried (RetryPolicy), whether it renders (its steps go to the Celery render queue), and the names of its asset
    checks (``blocking_checks`` stop everything downstream when they fail)."""

    arguments: dict[str, Any] = field(default_factory=dict)
    retried: bool = True
    renders: bool = False
    checks: tuple[str, ...] = ()
    blocking_checks: tuple[str, ...] = ()

    def check_specs(self, asset: str) -> list[dg.AssetCheckSpec]:
        """The asset's checks as Dagster declares them, each on ``asset``."""
        return [dg.AssetCheckSpec(name, asset=asset) for name in self.checks] + [
            dg.AssetCheckSpec(name, asset=asset, blocking=True) for name in self.blocking_checks
        ]


def lecture_asset(
    *,
    retried: bool = True,
    renders: bool = False,
    checks: tuple[str, ...] = (),
    blocking_checks: tuple[str, ...] = (),
    **arguments: Any,
) -> Callable[[F], F]:
    """Mark a function as a lecture asset; ``factory.build_lecture_assets`` builds it (the function stays plain)."""

    def mark(fn: F) -> F:
        spec = LectureAssetSpec(arguments, retried, renders, checks, blocking_checks)
        fn.lecture_asset = spec  # type: ignore[attr-defined]
        return fn

    return mark


def run_stage(
    context: dg.AssetExecutionContext,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    stage: Callable[..., Artefact],
    *inputs: Any,
    **options: Any,
) -> Artefact:
    """The asset's step as most steps are: ``stage(store, catalog, *inputs, scratch_dir, **options)`` as stage
    ``<asset name>`` of the lecture (``lecture_stage``: RUNNING, or FAILED with the reason). A step that builds an
    engine or loads keys first keeps its own ``lecture_stage``, so that a failure there is recorded too."""
    name = context.asset_key.path[-1]
    with lecture_stage(context, catalog.get_catalog(), name):
        return stage(objects.get_store(), catalog.get_catalog(), *inputs, step_dir(name), **options)


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


def check_result(name: str, outcome: CheckOutcome, *, blocking: bool = False) -> dg.AssetCheckResult:
    """An asset check's result from a domain check. A failure is a warning (the artefact is still usable), or, for a
    quality check that blocks what comes after (its spec says ``blocking=True``), an ERROR."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
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
