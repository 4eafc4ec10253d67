"""LMS export: the lecture as a SCORM 1.2 zip under ``generated/lms/<lecture_id>/<lecture_id>-scorm12.zip``.

The package is rebuilt only when the video, captions, chapters, transcript, title or player changed; otherwise the
stored one is reused without downloading anything. The video arrives as a record and is downloaded (streamed to a
file) only when a package has to be built.
"""

from __future__ import annotations

from pathlib import Path

from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.lms.scorm import lecture_package, player_version
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.stages.common import file_artefact, input_hash, reusable
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import lms_package_key
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.text.captions import script_blocks

PACKAGE_FORMAT = 1


def build_lms_package(
    store: ObjectStore,
    catalog: Catalog,
    script: LectureScript,
    video: Artefact,
    captions: Artefact,
    transcript: Artefact,
    workdir: Path,
) -> Artefact:
    """Build (or reuse) the SCORM 1.2 package; ``captions`` and ``transcript`` may come with or without files."""
    lecture_id = script.lecture_id
    chapters_key = captions.details.get("chapters_key")
    poster_key = video.details.get("poster_key")
    has_poster = bool(poster_key) and store.exists(poster_key)
    wanted = input_hash(
        video=video.sha256,
        captions=captions.sha256,
        chapters=captions.details.get("chapters_sha256"),
        transcript=transcript.sha256,
        poster=has_poster,  # the poster is a frame of the video: its hash covers the picture
        title=script.title,
        language=script.language,
        script=script.sha256,
        player=player_version(),
        format=PACKAGE_FORMAT,
    )
    existing = reusable(store, catalog, lecture_id, Kind.LMS_PACKAGE, wanted)
    if existing:
        return existing

    video_mp4 = store.get_file(video.key, workdir / "video.mp4")
    captions_vtt = captions.path or store.get_file(captions.key, workdir / "captions.vtt")
    transcript_txt = transcript.path or store.get_file(transcript.key, workdir / "transcript.txt")
    chapters_vtt = store.get_file(chapters_key, workdir / "chapters.vtt") if chapters_key else None
    poster_jpg = store.get_file(poster_key, workdir / "poster.jpg") if has_poster else None
    out = workdir / f"{lecture_id}-scorm12.zip"
    summary = lecture_package(
        out,
        lecture_id=lecture_id,
        title=script.title,
        language=script.language,
        blocks=script_blocks(script.text),
        video=video_mp4,
        captions=captions_vtt,
        transcript=transcript_txt,
        chapters=chapters_vtt,
        poster=poster_jpg,
    )
    for path in (video_mp4, captions_vtt, transcript_txt, chapters_vtt, poster_jpg):
        if path is not None:
            path.unlink(missing_ok=True)
    return file_artefact(
        Kind.LMS_PACKAGE,
        lms_package_key(lecture_id),
        out,
        wanted,
        duration=video.duration,
        content_type="application/zip",
        details={
            "standard": "SCORM 1.2",
            "entries": len(summary.entries),
            "files": ", ".join(summary.entries),
            "chapters": chapters_vtt is not None,
            "video_bytes": video.bytes,
            "player": player_version()[:12],
        },
    )
