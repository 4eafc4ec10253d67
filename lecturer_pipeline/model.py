"""Values passed between the pipeline's stages: small, serialisable, and holding paths rather than media bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LectureScript:
    """The words to speak and who speaks them; stored as TEXT in the catalog."""

    lecture_id: str
    course: str
    title: str
    speaker: str
    language: str
    text: str
    sha256: str
    source: str = "text"  # "text" (supplied) or "prompt" (drafted by a model)
    input_hash: str = ""  # hash of what the text was made from: a drafted script is reused while it is unchanged
    upload_sha256: str = ""  # the upload's content it was read from (intake never restarts a lecture for the same)


@dataclass(frozen=True)
class Artefact:
    """A binary artefact in the object store.

    ``path`` is a local file: on output, the file to upload (None when the stored object was reused); on input, the
    downloaded (and, if ``encrypted``, decrypted) copy. Encrypted artefacts are written by the voice vault itself, so
    they always arrive here with ``path=None``.
    """

    kind: str
    key: str
    sha256: str
    bytes: int
    input_hash: str
    duration: float | None = None
    path: Path | None = None
    encrypted: bool = False
    content_type: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Publication:
    """A finished lecture: where its video is and the URL handed to people."""

    lecture_id: str
    video_key: str
    url: str
    duration: float
