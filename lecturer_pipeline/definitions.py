"""The Dagster code location: assets, jobs and resources over the environment's configuration."""

import dagster as dg

from lecturer_pipeline.defs.assets import captions, lecture, media, publish, quality, script, speaker
from lecturer_pipeline.defs.composition import build_composition_resource
from lecturer_pipeline.defs.executors import RELEASE_SCRATCH_HOOKS, build_executor
from lecturer_pipeline.defs.intake import intake_job
from lecturer_pipeline.defs.io_managers import CatalogIOManager, ObjectIOManager
from lecturer_pipeline.defs.jobs import lecture_job
from lecturer_pipeline.defs.prune import prune_job, prune_schedule
from lecturer_pipeline.defs.resources import build_resources
from lecturer_pipeline.defs.sensors import build_upload_sensor
from lecturer_pipeline.deployment import check_deployment
from lecturer_pipeline.settings import Settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Definitions for the given settings (the environment's by default); tests pass their own."""
    settings = settings or Settings()
    check_deployment(settings)  # distributed mode: refuse local fallbacks before anything connects
    resources = build_resources(settings)
    return dg.Definitions(
        assets=[
            asset.with_hooks(RELEASE_SCRATCH_HOOKS)
            for asset in dg.load_assets_from_modules([script, speaker, media, publish, captions, lecture, quality])
        ],
        jobs=[lecture_job, intake_job, prune_job],
        schedules=[prune_schedule],
        sensors=[build_upload_sensor(settings.lecturer_sensor_interval_seconds)],
        # LECTURER_EXECUTOR: in_process by default (defs/executors.py); every job, backfills' runs included.
        executor=build_executor(settings),
        resources={
            **resources,
            "composition": build_composition_resource(settings.lecturer_home),
            "object_io_manager": ObjectIOManager(
                objects=resources["objects"], catalog=resources["catalog"], vault=resources["vault"]
            ),
            "catalog_io_manager": CatalogIOManager(catalog=resources["catalog"]),
        },
    )


defs = build_definitions()
