"""The artefact kinds, named once: each is the name of the Dagster asset that makes it, the ``kind`` of its catalog
row and the ``stage`` a lecture's row shows while that asset runs or after it failed.

Being a ``StrEnum``, a kind compares equal to the plain string read back from the catalog, so rows written before
this module existed still match. ``lecturer_pipeline_tests/test_kinds.py`` checks that every asset is a kind and
every kind an asset.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """One lecture asset, its artefact row and its stage (DESIGN.md §2), in the order a lecture is made."""

    LECTURE_SCRIPT = "lecture_script"
    REFERENCE_VOICE = "reference_voice"
    SPEAKER_EMBED = "speaker_embed"
    PORTRAIT = "portrait"
    SLIDE_DECK = "slide_deck"
    SPEECH = "speech"
    VIDEO_SEGMENTS = "video_segments"
    VIDEO = "video"
    QUALITY_REPORT = "quality_report"
    LECTURE_VIDEO = "lecture_video"
    CAPTIONS = "captions"
    TRANSCRIPT = "transcript"
    LMS_PACKAGE = "lms_package"
    PUBLISHED_LECTURE = "published_lecture"


# The asset group every lecture asset belongs to (and ``lecture_job`` selects); a course backfill selects it too.
LECTURE_GROUP = "lecture"

# The stage a lecture fails at when intake refuses its upload, before any asset ran.
UPLOAD_STAGE = "upload"

# Everything made from the speaker's voice or face: what erasing a speaker removes from every lecture of theirs.
# The slide deck lies under generated/video/<lecture>/ with the videos, so it goes with them.
VOICE_DERIVED_KINDS: tuple[Kind, ...] = (
    Kind.REFERENCE_VOICE,
    Kind.SPEAKER_EMBED,
    Kind.PORTRAIT,
    Kind.SPEECH,
    Kind.VIDEO_SEGMENTS,
    Kind.VIDEO,
    Kind.SLIDE_DECK,
    Kind.LECTURE_VIDEO,
    Kind.LMS_PACKAGE,
)
