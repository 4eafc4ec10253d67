"""Stage 5: the portrait animated with the speech into ``video.mp4``, checked against the speech's duration."""

from __future__ import annotations

from pathlib import Path

from lecturer_pipeline.engines.base import VideoEngine
from lecturer_pipeline.errors import LecturerError
from lecturer_pipeline.media.probe import probe
from lecturer_pipeline.media.video import extract_frame
from lecturer_pipeline.model import Artefact
from lecturer_pipeline.stages.common import file_artefact, input_hash, reusable
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import poster_key, video_key
from lecturer_pipeline.storage.objects import ObjectStore

DURATION_TOLERANCE = 0.1


def render_video(
    store: ObjectStore,
    catalog: Catalog,
    engine: VideoEngine,
    lecture_id: str,
    speech: Artefact,
    portrait: Artefact,
    workdir: Path,
) -> Artefact:
    """Render (or reuse) the lecture video and store a poster frame beside it for previews.

    ``speech`` and ``portrait`` may come as records without local files: they are downloaded only when rendering.
    """
    wanted = input_hash(speech=speech.sha256, portrait=portrait.sha256, engine=engine.name, params=engine.params())
    existing = reusable(store, catalog, lecture_id, "video", wanted)
    if existing:
        return existing
    speech_wav = speech.path or store.get_file(speech.key, workdir / "speech.wav")
    portrait_png = portrait.path or store.get_file(portrait.key, workdir / "portrait.png")
    out = workdir / "video.mp4"
    engine.render(portrait_png, speech_wav, out)
    speech_wav.unlink()
    portrait_png.unlink()
    info = probe(out)
    if speech.duration is not None and abs(info.duration - speech.duration) > DURATION_TOLERANCE:
        out.unlink()
        raise LecturerError(
            f"{engine.name} made a {info.duration:.2f} s video for {speech.duration:.2f} s of speech",
            lecture_id=lecture_id,
        )
    poster = workdir / "poster.jpg"
    extract_frame(out, poster, at_seconds=min(1.0, info.duration / 2))
    store.put_file(poster_key(lecture_id), poster, content_type="image/jpeg")
    video, audio = info.video, info.audio
    return file_artefact(
        "video",
        video_key(lecture_id),
        out,
        wanted,
        duration=info.duration,
        content_type="video/mp4",
        details={
            "engine": engine.name,
            "licence": engine.licence,
            "lip_sync": engine.lip_sync,
            "resolution": f"{video.width}×{video.height}" if video else None,
            "codecs": f"{video.codec_name if video else '-'} + {audio.codec_name if audio else '-'}",
            "poster_key": poster_key(lecture_id),
        },
    )
