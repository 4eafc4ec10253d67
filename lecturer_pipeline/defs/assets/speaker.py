"""Speaker assets: ``reference_voice``, ``speaker_embed`` and ``portrait`` (made once per speaker, reused)."""

import base64
from datetime import UTC, datetime

import dagster as dg

from lecturer_pipeline.defs.assets import artefact_output, lecture_asset, run_stage
from lecturer_pipeline.defs.resources import CatalogResource, ObjectStoreResource, PipelineResource, VaultResource
from lecturer_pipeline.defs.tracking import lecture_stage
from lecturer_pipeline.media.faces import FaceCheck, draw_face_boxes
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.stages.portrait import prepare_portrait
from lecturer_pipeline.stages.voice import build_speaker_profile, ingest_reference_voice
from lecturer_pipeline.workdir import step_dir


@lecture_asset(  # retried: the catalog or local disk may fail for a moment; bad input fails at once
    io_manager_key="object_io_manager",
    kinds={"wav"},
)
def reference_voice(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    vault: VaultResource,
    pipeline: PipelineResource,
) -> dg.Output[Artefact]:
    """The speaker's 10–30 s reference voice: validated, loudness-normalised to 16 kHz mono, sealed (AES-256-GCM)."""
    with lecture_stage(context, catalog.get_catalog(), "reference_voice"):
        voice = ingest_reference_voice(
            vault.vault(objects.get_store(), context.log),
            catalog.get_catalog(),
            lecture_script.speaker,
            step_dir("reference_voice"),
            now=datetime.now(UTC),
            retention_days=pipeline.voice_retention_days,
        )
    return artefact_output(voice, encrypted=True)


@lecture_asset(retried=False, io_manager_key="object_io_manager", kinds={"json"})
def speaker_embed(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    reference_voice: Artefact,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
    vault: VaultResource,
) -> dg.Output[Artefact]:
    """The speaker profile a TTS engine clones from (the normalised clip plus its sha256 fingerprint), sealed."""
    with lecture_stage(context, catalog.get_catalog(), "speaker_embed"):
        profile = build_speaker_profile(vault.vault(objects.get_store()), reference_voice, lecture_script.speaker)
    if reference_voice.path:
        reference_voice.path.unlink(missing_ok=True)
    return artefact_output(profile)


@lecture_asset(retried=False, io_manager_key="object_io_manager", kinds={"png"})
def portrait(
    context: dg.AssetExecutionContext,
    lecture_script: LectureScript,
    objects: ObjectStoreResource,
    catalog: CatalogResource,
) -> dg.Output[Artefact]:
    """The speaker's portrait as a 512×512 RGB PNG (animated, CMYK and alpha images converted; bombs refused), with
    a face KDTalker's detector finds (faceless or tiny faces refused); the face box is drawn on the preview."""
    image = run_stage(
        context, objects, catalog, prepare_portrait, lecture_script.speaker, lecture_id=context.partition_key
    )
    details = image.details
    context.log.info(f"portrait face: {details.get('face_choice')} at {details.get('face_box')} (x0,y0,x1,y1 px)")
    return artefact_output(image, preview=_face_preview(image))


def _face_preview(image: Artefact) -> dg.MetadataValue | None:
    """The 512×512 portrait with its face box, inline (a data URI), when the PNG was made in this run."""
    check = FaceCheck.from_details(image.details)
    if image.path is None or check is None:
        return None
    framed = draw_face_boxes(image.path, check, image.path.with_name("face-preview.png"))
    encoded = base64.b64encode(framed.read_bytes()).decode()
    framed.unlink()
    return dg.MetadataValue.md(f"![portrait with the face KDTalker will animate](data:image/png;base64,{encoded})")
