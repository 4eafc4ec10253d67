"""``lecture_script``: the words of the lecture, stored as TEXT in the catalog."""

import dagster as dg

from lecturer_pipeline.defs.assets import lecture_asset
from lecturer_pipeline.defs.resources import CatalogResource, EnginesResource, ObjectStoreResource
from lecturer_pipeline.defs.tracking import lecture_stage
from lecturer_pipeline.model import LectureScript
from lecturer_pipeline.stages.script import prepare_script


@lecture_asset(
    io_manager_key="catalog_io_manager",
    pool="ollama",
    kinds={"text"},
)
def lecture_script(
    context: dg.AssetExecutionContext,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    engines: EnginesResource,
) -> dg.Output[LectureScript]:
    """The lecture's script: the text of its upload (``uploads/lectures/<course>/<lecture>.txt`` or ``.json``), or
    the spoken words Llama-3-8B drafts through Ollama from the manifest's ``prompt``."""
    with lecture_stage(context, catalog.get_catalog(), "lecture_script") as lecture_id:
        script, made = prepare_script(
            objects.get_store(),
            catalog.get_catalog(),
            lecture_id,
            engines.script_writer(log=context.log.warning, first_attempt=context.retry_number == 0),
        )
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
            **{name: value for name, value in made.items() if value is not None},
            "preview": dg.MetadataValue.md(script.text[:600] + ("…" if len(script.text) > 600 else "")),
        },
    )
