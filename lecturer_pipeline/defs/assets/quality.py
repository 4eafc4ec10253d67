"""``quality_report``: the lecture's quality verdicts (DESIGN.md §8) as JSON in the object store and a Markdown table
in the Dagster UI. The checks themselves run inside ``speech`` and ``video_segments``, beside the service calls."""

import dagster as dg

from lecturer_pipeline.defs.assets import lecture_asset
from lecturer_pipeline.defs.resources import ObjectStoreResource
from lecturer_pipeline.quality.report import build_report, markdown, report_key


@lecture_asset(
    retried=False,
    deps=["speech", "video_segments"],
    kinds={"json"},
)
def quality_report(context: dg.AssetExecutionContext, objects: ObjectStoreResource) -> dg.MaterializeResult:
    """Per chunk: WER, speaker similarity, verdict; per segment: face, frozen/black, sync proxy, verdict."""
    whole = build_report(objects.get_store(), context.partition_key)
    return dg.MaterializeResult(
        metadata={
            "key": report_key(context.partition_key),
            "verdict": whole["verdict"],
            "summary": whole["summary"],
            "qa_seconds": whole["qa_seconds"],
            "report": dg.MetadataValue.md(markdown(whole)),
        }
    )
