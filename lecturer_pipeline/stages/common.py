"""Helpers shared by the stages: hashing inputs and reusing artefacts stored for the same inputs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from lecturer_pipeline.media.probe import MediaInfo
from lecturer_pipeline.model import Artefact
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.objects import ObjectInfo, ObjectStore, sha256_file


def input_hash(**parts: Any) -> str:
    """A stable hash of everything an artefact was made from."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def find_first(store: ObjectStore, keys: list[str]) -> ObjectInfo | None:
    """The first of several candidate keys that exists (uploads may come in several formats)."""
    for key in keys:
        info = store.stat(key)
        if info is not None:
            return info
    return None


def reusable(store: ObjectStore, catalog: Catalog, lecture_id: str, kind: str, wanted_hash: str) -> Artefact | None:
    """The artefact stored for this lecture and kind, if it was made from the same inputs and is still there."""
    row = catalog.get_artefact(lecture_id, kind)
    if row is None or row.input_hash != wanted_hash or not store.exists(row.key):
        return None
    return Artefact(
        kind=kind,
        key=row.key,
        sha256=row.sha256,
        bytes=row.bytes,
        input_hash=wanted_hash,
        duration=row.duration,
        details={**(row.details or {}), "reused": True},
    )


def file_artefact(kind: str, key: str, path: Path, wanted_hash: str, **extra: Any) -> Artefact:
    """An artefact for a freshly made local file, to be uploaded by the IO manager."""
    return Artefact(
        kind=kind,
        key=key,
        sha256=sha256_file(path),
        bytes=path.stat().st_size,
        input_hash=wanted_hash,
        path=path,
        **extra,
    )


def video_details(info: MediaInfo) -> dict[str, Any]:
    """What an operator reads first about a made video: its resolution and codecs."""
    video, audio = info.video, info.audio
    return {
        "resolution": f"{video.width}×{video.height}" if video else None,
        "codecs": f"{video.codec_name if video else '-'} + {audio.codec_name if audio else '-'}",
    }
