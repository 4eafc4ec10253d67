"""Jobs: one lecture, all stages."""

import dagster as dg

from lecturer_pipeline.defs.assets import GROUP

LECTURE_JOB = "lecture_job"

lecture_job = dg.define_asset_job(
    LECTURE_JOB,
    selection=dg.AssetSelection.groups(GROUP),
    description="Every stage of one lecture: script → voice → profile → speech → portrait → video → published.",
)
