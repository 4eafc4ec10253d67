"""Media assets: ``speech`` (speech.wav), ``video_segments`` (the rendered segments) and ``video`` (video.mp4)."""

from collections.abc import Iterator

import dagster as dg

from lecturer_pipeline.defs.assets import (
    artefact_output,
    check_result,
    lecture_asset,
    poster_markdown,
    run_stage,
)
from lecturer_pipeline.defs.resources import CatalogResource, EnginesResource, ObjectStoreResource, PipelineResource
from lecturer_pipeline.defs.tracking import lecture_stage
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.security.licence import check_licence
from lecturer_pipeline.stages.checks import (
    speech_duration_plausible,
    speech_quality_outcome,
    video_is_h264_aac,
    video_matches_speech,
    video_quality_outcome,
)
from lecturer_pipeline.stages.speech import synthesize_speech
from lecturer_pipeline.stages.video import assemble_video, render_segments
from lecturer_pipeline.stages.voice import profile_from_json
from lecturer_pipeline.workdir import step_dir


@lecture_asset(
    io_manager_key="object_io_manager",
    pool="zyphra",
    # A refused portrait, deck or slide marker fails the lecture before any speech is paid for or stored.
    deps=["portrait", "slide_deck"],
    kinds={"wav"},
    checks=("speech_duration_plausible",),
    blocking_checks=("speech_quality",),  # speech that failed its quality checks is never rendered nor published
)
def speech(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    speaker_embed: Artefact,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    engines: EnginesResource,
) -> Iterator[dg.Output[Artefact] | dg.AssetCheckResult]:
    """The script spoken in the speaker's voice: ``speech.wav``, 16 kHz mono PCM, chunk by chunk with caching."""
    assert speaker_embed.path is not None
    profile = profile_from_json(speaker_embed.path.read_bytes())
    speaker_embed.path.unlink(missing_ok=True)
    with lecture_stage(context, catalog.get_catalog(), "speech"):
        # The licence gate, before any TTS call is paid for: a renderer the deployment may not use fails it here.
        for engine in (engines.speech_engine(), engines.video_engine()):
            check_licence(engine.name, engine.licence, commercial=engines.commercial)
        audio = synthesize_speech(
            objects.get_store(),
            catalog.get_catalog(),
            engines.speech_engine(log=context.log.warning, first_attempt=context.retry_number == 0),
            lecture_script,
            profile,
            step_dir("speech"),
            fps=engines.video_engine().fps,  # each segment's sound ends on a whole frame of the video engine
            segment_seconds=engines.segment_seconds,
            chunk_seconds=engines.chunk_seconds,
            log=context.log.warning,
            quality=True,
        )
    yield artefact_output(audio)
    yield check_result("speech_duration_plausible", speech_duration_plausible(audio, len(lecture_script.text.split())))
    yield check_result(
        "speech_quality", speech_quality_outcome(objects.get_store(), audio, lecture_script), blocking=True
    )


@lecture_asset(
    io_manager_key="object_io_manager",
    # Only the records: the stage downloads the media if (and only if) it has to render.
    ins={name: dg.AssetIn(metadata={"reference_only": True}) for name in ("speech", "portrait")},
    pool="kdtalker",
    renders=True,  # the Celery render queue (LECTURER_RENDER_QUEUE), on the workers beside the GPUs
    kinds={"mp4"},
)
def video_segments(
    context: dg.AssetExecutionContext,
    speech: Artefact,
    portrait: Artefact,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    engines: EnginesResource,
) -> dg.Output[Artefact]:
    """The speech's render segments, each stored once; the manifest lists them. Only this step holds the
    ``kdtalker`` pool slot, so the renderer goes on to the next lecture while this one's video is joined."""
    with lecture_stage(context, catalog.get_catalog(), Kind.VIDEO_SEGMENTS) as lecture_id:
        segments = render_segments(
            objects.get_store(),
            catalog.get_catalog(),
            engines.video_engine(log=context.log.warning, first_attempt=context.retry_number == 0),
            lecture_id,
            speech,
            portrait,
            step_dir("video_segments"),
            commercial=engines.commercial,
        )
    return artefact_output(segments)


@lecture_asset(
    io_manager_key="object_io_manager",
    ins={"speech": dg.AssetIn(metadata={"reference_only": True})},
    kinds={"mp4"},
    checks=("video_matches_speech", "video_is_h264_aac"),
    blocking_checks=("video_quality",),  # a video whose segments failed their checks is not captioned nor published
)
def video(
    context: dg.AssetExecutionContext,
    speech: Artefact,
    video_segments: Artefact,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    pipeline: PipelineResource,
) -> Iterator[dg.Output[Artefact] | dg.AssetCheckResult]:
    """The talking-head video: ``video.mp4`` (H.264 + AAC, faststart), as long as the speech."""
    lecture_id = context.partition_key
    clip = run_stage(context, objects, catalog, assemble_video, lecture_id, speech, video_segments)
    yield artefact_output(clip, preview=poster_markdown(objects.get_store(), clip, pipeline.signed_url_seconds))
    yield check_result("video_matches_speech", video_matches_speech(clip, speech))
    yield check_result("video_is_h264_aac", video_is_h264_aac(clip))
    yield check_result("video_quality", video_quality_outcome(objects.get_store(), lecture_id), blocking=True)
