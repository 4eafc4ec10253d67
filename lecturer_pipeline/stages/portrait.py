"""The speaker's portrait: validated, converted to a 512×512 RGB PNG, checked for a face KDTalker can animate (the
same detector, on the very PNG it will be sent: ``media/faces.py``), stored once per distinct upload.

The face preflight runs in this stage because it comes first: a portrait no renderer can animate fails the lecture
before a single character is sent to a paid TTS service."""

from __future__ import annotations

from pathlib import Path

from lecturer_pipeline.errors import InputError, LecturerError
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.media.faces import PREFLIGHT_VERSION, check_face
from lecturer_pipeline.media.image import PORTRAIT_SIZE, normalise_portrait
from lecturer_pipeline.model import Artefact
from lecturer_pipeline.stages.common import file_artefact, find_first, input_hash, reusable
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import portrait_key, portrait_upload_keys
from lecturer_pipeline.storage.objects import ObjectStore, sha256_file


def prepare_portrait(store: ObjectStore, catalog: Catalog, speaker: str, workdir: Path, *, lecture_id: str) -> Artefact:
    """Normalise the speaker's uploaded portrait, unless this lecture already has it from the same upload."""
    upload = find_first(store, portrait_upload_keys(speaker))
    if upload is None:
        raise InputError(
            f"speaker {speaker} has no portrait: upload a photo to {portrait_upload_keys(speaker)[0]} (or .jpg)",
            lecture_id=lecture_id,
        )
    suffix = upload.key.rsplit(".", 1)[-1]
    raw = store.get_file(upload.key, workdir / f"{speaker}-portrait-upload.{suffix}")
    wanted = input_hash(upload=sha256_file(raw), size=PORTRAIT_SIZE, faces=PREFLIGHT_VERSION)
    existing = reusable(store, catalog, lecture_id, Kind.PORTRAIT, wanted)
    if existing:
        raw.unlink()
        return existing
    out = workdir / f"{speaker}-portrait.png"
    try:
        info = normalise_portrait(raw, out)
        face = check_face(out, where=upload.key)
    except LecturerError as error:
        out.unlink(missing_ok=True)
        raise error.with_context(lecture_id=lecture_id, file=upload.key) from error
    finally:
        raw.unlink(missing_ok=True)
    return file_artefact(
        Kind.PORTRAIT,
        portrait_key(speaker),
        out,
        wanted,
        content_type="image/png",
        details={
            "speaker": speaker,
            "upload": upload.key,
            "source": f"{info.source_format} {info.source_width}×{info.source_height} {info.source_mode}",
            "converted": list(info.converted),
            **face.details(),
        },
    )
