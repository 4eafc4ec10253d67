"""Jobs: one lecture, all stages."""

import dagster as dg

from lecturer_pipeline.defs.assets import GROUP
from lecturer_pipeline.defs.partitions import lectures_partitions

LECTURE_JOB = "lecture_job"

lecture_job = dg.define_asset_job(
    LECTURE_JOB,
    selection=dg.AssetSelection.groups(GROUP),
    partitions_def=lectures_partitions,
    description="Every stage of one lecture: script → voice → profile → speech → portrait → video → published.",
)
