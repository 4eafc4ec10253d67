"""Stage 6: the finished lecture handed out as a URL (pre-signed on S3, file:// on the local store)."""

from __future__ import annotations

from lecturer_pipeline.model import Artefact, Publication
from lecturer_pipeline.storage.objects import ObjectStore


def publish_video(store: ObjectStore, lecture_id: str, video: Artefact, *, expires_seconds: int) -> Publication:
    return Publication(
        lecture_id=lecture_id,
        video_key=video.key,
        url=store.url(video.key, expires_seconds=expires_seconds),
        duration=video.duration or 0.0,
    )
