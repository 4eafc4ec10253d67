"""The lecture as viewers see it: ``slide_deck`` (the optional deck, matched to the script) and ``lecture_video``
(1920×1080: slides, talking head picture-in-picture, title and end cards, AI disclosure, C2PA manifest)."""

from collections.abc import Iterator

import dagster as dg

from lecturer_pipeline.defs.assets import artefact_output, check_result, lecture_asset, poster_markdown, run_stage
from lecturer_pipeline.defs.composition import CompositionResource
from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource, PipelineResource
from lecturer_pipeline.defs.tracking import lecture_stage
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.stages.checks import CheckOutcome, video_is_h264_aac
from lecturer_pipeline.stages.compose import compose_lecture
from lecturer_pipeline.stages.deck import prepare_deck
from lecturer_pipeline.workdir import step_dir


@lecture_asset(
    io_manager_key="object_io_manager",
    # After the voice and the portrait were accepted: a lecture refused for those writes nothing under generated/.
    deps=["speaker_embed", "portrait"],
    kinds={"pdf"},
)
def slide_deck(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    composition: CompositionResource,
) -> dg.Output[Artefact]:
    """The lecture's deck (``uploads/lectures/<course>/<lecture>.pdf`` or ``.pptx``, optional), its pages rendered,
    and the page each paragraph of the script shows (``[slide N]`` markers and ``#`` headings)."""
    deck = run_stage(context, objects, catalog, prepare_deck, lecture_script, headings=composition.slides_from_headings)
    return artefact_output(deck)


@lecture_asset(
    io_manager_key="object_io_manager",
    ins={"speech": dg.AssetIn(metadata={"reference_only": True})},
    kinds={"mp4"},
    checks=("lecture_video_is_1080p_h264_aac",),
)
def lecture_video(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    speech: Artefact,
    video_segments: Artefact,
    slide_deck: Artefact,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    composition: CompositionResource,
    pipeline: PipelineResource,
) -> Iterator[dg.Output[Artefact] | dg.AssetCheckResult]:
    """The lecture video (``lecture.mp4``, 1920×1080 H.264 + AAC, faststart), composed per render segment and
    joined by stream copy; tagged and signed with a C2PA manifest that is verified after writing."""
    with lecture_stage(context, catalog.get_catalog(), "lecture_video"):
        made = compose_lecture(
            objects.get_store(),
            catalog.get_catalog(),
            lecture_script,
            speech,
            video_segments,
            slide_deck,
            step_dir("lecture_video"),
            options=composition.options(),
            signing=composition.signing_pair(),
        )
    yield artefact_output(made, preview=poster_markdown(objects.get_store(), made, pipeline.signed_url_seconds))
    outcome = video_is_h264_aac(made)
    if made.details.get("resolution") != "1920×1080":
        outcome = CheckOutcome(False, f"the lecture video is {made.details.get('resolution')}, not 1920×1080")
    yield check_result("lecture_video_is_1080p_h264_aac", outcome)
