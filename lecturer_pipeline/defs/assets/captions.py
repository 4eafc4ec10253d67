"""Accessibility and LMS assets: ``captions`` (+ chapters), ``transcript`` and ``lms_package`` (SCORM 1.2 zip)."""

import dagster as dg

from lecturer_pipeline.defs.assets import artefact_output, lecture_asset, run_stage
from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.stages.captions import make_captions, make_transcript
from lecturer_pipeline.stages.lms import build_lms_package


@lecture_asset(
    io_manager_key="object_io_manager",
    # The speech's record carries the timeline of its chunks, the lecture video's its clock, slides and disclosure:
    # neither file is needed.
    ins={name: dg.AssetIn(metadata={"reference_only": True}) for name in ("speech", "lecture_video")},
    kinds={"webvtt"},
)
def captions(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    speech: Artefact,
    lecture_video: Artefact,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
) -> dg.Output[Artefact]:
    """WebVTT captions from the script, timed by the measured length of each spoken chunk (``captions.vtt``), and a
    chapters track (``chapters.vtt``) when the script has ``#`` section headings."""
    made = run_stage(context, objects, catalog, make_captions, lecture_script, speech, lecture_video=lecture_video)
    titles = made.details.get("chapter_titles") or []
    listing = dg.MetadataValue.md("\n".join(f"1. {title}" for title in titles)) if titles else None
    return artefact_output(made, chapter_titles=listing)


@lecture_asset(
    io_manager_key="object_io_manager",
    # Made once the script has been spoken: a lecture whose voice or script is refused (or awaits approval) writes
    # nothing under generated/.
    deps=["speech"],
    kinds={"text"},
)
def transcript(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
) -> dg.Output[Artefact]:
    """The lecture's transcript (``transcript.txt``): title, section headings and paragraphs of the script."""
    made = run_stage(context, objects, catalog, make_transcript, lecture_script)
    return artefact_output(made)


@lecture_asset(
    io_manager_key="object_io_manager",
    # Only the video's record: the stage streams the mp4 into the zip if (and only if) it has to build one.
    ins={"lecture_video": dg.AssetIn(metadata={"reference_only": True})},
    kinds={"zip"},
)
def lms_package(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    lecture_video: Artefact,
    captions: Artefact,
    transcript: Artefact,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
) -> dg.Output[Artefact]:
    """A SCORM 1.2 package for learning management systems (with the composed lecture video; its slides are the
    chapters): an offline HTML5 player with captions, chapters and
    transcript that reports completion to the LMS when the video ends."""
    made = run_stage(context, objects, catalog, build_lms_package, lecture_script, lecture_video, captions, transcript)
    for upstream in (captions, transcript):  # downloaded by the IO manager; the zip has its own copies
        if upstream.path is not None:
            upstream.path.unlink(missing_ok=True)
    return artefact_output(made, package_bytes=made.bytes)
