"""``published_lecture``: the catalog row set to COMPLETED with a URL to the video."""

import dagster as dg

from lecturer_pipeline.defs.assets import lecture_asset
from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource, PipelineResource
from lecturer_pipeline.defs.tracking import lecture_stage
from lecturer_pipeline.model import Artefact, Publication
from lecturer_pipeline.stages.publish import publish_video


@lecture_asset(
    retried=False,
    io_manager_key="catalog_io_manager",
    ins={"lecture_video": dg.AssetIn(metadata={"reference_only": True})},
    # A lecture is published, and COMPLETED, once everything handed to learners exists.
    deps=["captions", "transcript", "lms_package"],
    kinds={"s3"},
)
def published_lecture(
    context: dg.AssetExecutionContext,
    lecture_video: Artefact,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    pipeline: PipelineResource,
) -> dg.Output[Publication]:
    """The finished lecture: a URL to the composed ``lecture.mp4`` (pre-signed on S3) recorded in the catalog as
    COMPLETED."""
    with lecture_stage(context, catalog.get_catalog(), "published_lecture") as lecture_id:
        publication = publish_video(
            objects.get_store(), lecture_id, lecture_video, expires_seconds=pipeline.signed_url_seconds
        )
    return dg.Output(
        publication,
        metadata={
            "video_key": publication.video_key,
            "url": dg.MetadataValue.url(publication.url),
            "duration_seconds": round(publication.duration, 3),
            "url_expires_seconds": pipeline.signed_url_seconds,
        },
    )
