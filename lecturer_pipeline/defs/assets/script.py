"""``lecture_script``: the words of the lecture, stored as TEXT in the catalog."""

import dagster as dg

from lecturer_pipeline.defs.assets import GROUP, SERVICE_RETRY
from lecturer_pipeline.defs.partitions import lectures_partitions
from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource
from lecturer_pipeline.defs.tracking import lecture_stage
from lecturer_pipeline.model import LectureScript
from lecturer_pipeline.stages.script import supplied_script


@dg.asset(
    partitions_def=lectures_partitions,
    io_manager_key="catalog_io_manager",
    retry_policy=SERVICE_RETRY,
    group_name=GROUP,
    kinds={"text"},
)
def lecture_script(
    context: dg.AssetExecutionContext, objects: ObjectStoreResource, catalog: CatalogResource
) -> dg.Output[LectureScript]:
    """The lecture's script, from its upload (``uploads/lectures/<course>/<lecture>.txt`` or ``.json``)."""
    with lecture_stage(context, catalog.get_catalog(), "lecture_script") as lecture_id:
        script = supplied_script(objects.get_store(), lecture_id)
    words = len(script.text.split())
    return dg.Output(
        script,
        metadata={
            "title": script.title,
            "speaker": script.speaker,
            "language": script.language,
            "source": script.source,
            "characters": len(script.text),
            "words": words,
            "estimated_minutes": round(words / 150, 1),
            "sha256": script.sha256,
            "preview": dg.MetadataValue.md(script.text[:600] + ("…" if len(script.text) > 600 else "")),
        },
    )
