"""``build_lecture_assets(settings)``: the stage modules' ``@lecture_asset`` functions as Dagster assets.

The arguments every lecture asset shares are written here once: partitioned by lecture, in the ``lecture`` group,
the scratch-release hooks, the step's RetryPolicy (``STEP_RETRIES`` retries, exponential back-off with jitter from
``LECTURER_RETRY_DELAY_SECONDS``; see ``lecturer_pipeline/retries.py``) and, for the render step, the Celery queue
``LECTURER_RENDER_QUEUE``.
"""

from types import ModuleType

import dagster as dg

from lecturer_pipeline.defs.assets import (
    GROUP,
    LectureAssetSpec,
    captions,
    lecture,
    media,
    publish,
    quality,
    script,
    speaker,
)
from lecturer_pipeline.defs.executors import RELEASE_SCRATCH_HOOKS, render_op_tags
from lecturer_pipeline.defs.partitions import lectures_partitions
from lecturer_pipeline.retries import STEP_RETRIES
from lecturer_pipeline.settings import Settings

STAGE_MODULES: tuple[ModuleType, ...] = (script, speaker, media, publish, captions, lecture, quality)


def step_retry_policy(settings: Settings) -> dg.RetryPolicy:
    """How a failed lecture step is retried: what no inner retrier handles (``lecturer_pipeline/retries.py``)."""
    return dg.RetryPolicy(
        max_retries=STEP_RETRIES,
        delay=settings.lecturer_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def build_lecture_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """Every lecture asset of the stage modules, configured by ``settings``."""
    policy = step_retry_policy(settings)
    assets = []
    for module in STAGE_MODULES:
        for fn in vars(module).values():
            spec = getattr(fn, "lecture_asset", None)
            if not isinstance(spec, LectureAssetSpec) or fn.__module__ != module.__name__:
                continue
            build = dg.asset(
                partitions_def=lectures_partitions,
                group_name=GROUP,
                hooks=set(RELEASE_SCRATCH_HOOKS),
                retry_policy=policy if spec.retried else None,
                op_tags=render_op_tags(settings) if spec.renders else None,
                check_specs=spec.check_specs(fn.__name__) or None,
                **spec.arguments,
            )
            assets.append(build(fn))
    return assets
