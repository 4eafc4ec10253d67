"""The Dagster code location: assets, jobs, sensors and resources, all built from one ``Settings``."""

import dagster as dg

from lecturer_pipeline.compose_settings import CompositionSettings
from lecturer_pipeline.defs.assets.factory import build_lecture_assets
from lecturer_pipeline.defs.composition import build_composition_resource
from lecturer_pipeline.defs.executors import build_executor
from lecturer_pipeline.defs.intake import intake_job
from lecturer_pipeline.defs.io_managers import CatalogIOManager, ObjectIOManager
from lecturer_pipeline.defs.jobs import lecture_job
from lecturer_pipeline.defs.prune import prune_job, prune_schedule
from lecturer_pipeline.defs.resources import build_resources
from lecturer_pipeline.defs.sensors import build_upload_sensor
from lecturer_pipeline.deployment import check_deployment
from lecturer_pipeline.settings import Settings, get_settings


def build_definitions(
    settings: Settings | None = None, composition: CompositionSettings | None = None
) -> dg.Definitions:
    """Definitions for the given settings (the environment's by default); tests pass their own. Nothing here reads
    the environment again: the assets' retry policy and queue tags, the sensor and the resources come from these."""
    settings = settings or get_settings()
    check_deployment(settings)  # distributed mode: refuse local fallbacks before anything connects
    resources = build_resources(settings)
    return dg.Definitions(
        assets=build_lecture_assets(settings),
        jobs=[lecture_job, intake_job, prune_job],
        schedules=[prune_schedule],
        sensors=[build_upload_sensor(settings.lecturer_sensor_interval_seconds)],
        # LECTURER_EXECUTOR: in_process by default (defs/executors.py); every job, backfills' runs included.
        executor=build_executor(settings),
        resources={
            **resources,
            "composition": build_composition_resource(settings.lecturer_home, composition),
            "object_io_manager": ObjectIOManager(
                objects=resources["objects"], catalog=resources["catalog"], vault=resources["vault"]
            ),
            "catalog_io_manager": CatalogIOManager(catalog=resources["catalog"]),
        },
    )


defs = build_definitions()
