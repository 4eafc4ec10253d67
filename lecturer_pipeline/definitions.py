"""The Dagster code location: assets, jobs and resources over the environment's configuration."""

import dagster as dg

from lecturer_pipeline.defs.assets import captions, media, publish, quality, script, speaker
from lecturer_pipeline.defs.io_managers import CatalogIOManager, ObjectIOManager
from lecturer_pipeline.defs.jobs import lecture_job
from lecturer_pipeline.defs.prune import prune_job, prune_schedule
from lecturer_pipeline.defs.resources import build_resources
from lecturer_pipeline.defs.sensors import build_upload_sensor
from lecturer_pipeline.settings import Settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Definitions for the given settings (the environment's by default); tests pass their own."""
    settings = settings or Settings()
    resources = build_resources(settings)
    return dg.Definitions(
        assets=dg.load_assets_from_modules([script, speaker, media, publish, captions, quality]),
        jobs=[lecture_job, prune_job],
        schedules=[prune_schedule],
        sensors=[build_upload_sensor(settings.lecturer_sensor_interval_seconds)],
        # Stages wait on remote services or ffmpeg, not on Python: running them in the run's own process saves a
        # process start per step (seconds on a small machine); pools still limit each service across runs.
        executor=dg.in_process_executor,
        resources={
            **resources,
            "object_io_manager": ObjectIOManager(
                objects=resources["objects"], catalog=resources["catalog"], vault=resources["vault"]
            ),
            "catalog_io_manager": CatalogIOManager(catalog=resources["catalog"]),
        },
    )


defs = build_definitions()
