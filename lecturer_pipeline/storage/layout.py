"""The object-store key layout (DESIGN.md §3), in one place so every reader and writer agrees."""

from __future__ import annotations

from collections.abc import Callable

VOICE_UPLOAD_EXTENSIONS = ("wav", "mp3", "webm", "ogg", "m4a", "flac")
PORTRAIT_UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "gif")


# The four areas of the store: what people upload, sealed voices, normalised portraits, and what the pipeline makes.
UPLOADS_PREFIX = "uploads/"
VOICES_PREFIX = "voices/"
SPEAKERS_PREFIX = "speakers/"
GENERATED_PREFIX = "generated/"
# Prefixes intake lists once per tick: lecture uploads, speakers' uploads and their sealed voices (``VOICES_PREFIX``).
LECTURE_UPLOADS_PREFIX = f"{UPLOADS_PREFIX}lectures/"
VOICE_UPLOADS_PREFIX = f"{UPLOADS_PREFIX}voice/"
PORTRAIT_UPLOADS_PREFIX = f"{UPLOADS_PREFIX}portrait/"
CONSENT_UPLOADS_PREFIX = f"{UPLOADS_PREFIX}consent/"


def lecture_upload_keys(course: str, lecture: str) -> tuple[str, str]:
    """The manifest and plain-script keys a lecture may be uploaded under (the manifest wins if both exist)."""
    base = f"{LECTURE_UPLOADS_PREFIX}{course}/{lecture}"
    return f"{base}.json", f"{base}.txt"


def voice_upload_keys(speaker: str) -> list[str]:
    return [f"{VOICE_UPLOADS_PREFIX}{speaker}.{ext}" for ext in VOICE_UPLOAD_EXTENSIONS]


def portrait_upload_keys(speaker: str) -> list[str]:
    return [f"{PORTRAIT_UPLOADS_PREFIX}{speaker}.{ext}" for ext in PORTRAIT_UPLOAD_EXTENSIONS]


def consent_upload_key(speaker: str) -> str:
    """The consent record a speaker may upload beside the voice (``security/consent.py`` reads it)."""
    return f"{CONSENT_UPLOADS_PREFIX}{speaker}.json"


def voice_prefix(speaker: str) -> str:
    """The speaker's sealed voice and profile; the trailing slash keeps ``ada`` from matching ``ada-2``."""
    return f"{VOICES_PREFIX}{speaker}/"


def reference_voice_key(speaker: str) -> str:
    return f"{voice_prefix(speaker)}reference.enc"


def speaker_profile_key(speaker: str) -> str:
    return f"{voice_prefix(speaker)}profile.enc"


def portrait_key(speaker: str) -> str:
    return f"{SPEAKERS_PREFIX}{speaker}/portrait.png"


# A lecture's generated media: four folders, each key a fixed name or a content hash inside one of them. The keys
# are made by the three factories below, so each is declared once, as the folder and the name it has there.
LectureKey = Callable[[str], str]  # a lecture ID → a key, or a folder (ending in "/")
HashedKey = Callable[[str, str], str]  # a lecture ID and a hash of what the object was made from → a key


def _folder(area: str) -> LectureKey:
    """``generated/<area>/<lecture ID>/``: the trailing slash keeps ``cs101--intro`` from matching
    ``cs101--intro-2``."""

    def folder(lecture_id: str) -> str:
        return f"{GENERATED_PREFIX}{area}/{lecture_id}/"

    return folder


def _named(folder: LectureKey, name: str) -> LectureKey:
    """The object (or, ending in "/", the sub-folder) called ``name`` in a lecture's ``folder``."""

    def key(lecture_id: str) -> str:
        return f"{folder(lecture_id)}{name}"

    return key


def _hashed(folder: LectureKey, ext: str) -> HashedKey:
    """Objects in ``folder`` stored under the hash of what each was made from (reused while that is unchanged)."""

    def key(lecture_id: str, content_hash: str) -> str:
        return f"{folder(lecture_id)}{content_hash}.{ext}"

    return key


audio_prefix = _folder("audio")
video_prefix = _folder("video")
captions_prefix = _folder("captions")
lms_prefix = _folder("lms")


def generated_prefixes(lecture_id: str) -> tuple[str, ...]:
    """Every folder a lecture's generated media live under (what pruning a stale lecture deletes)."""
    return audio_prefix(lecture_id), video_prefix(lecture_id), captions_prefix(lecture_id), lms_prefix(lecture_id)


def voice_derived_prefixes(lecture_id: str) -> tuple[str, ...]:
    """The folders of a lecture holding the speaker's cloned voice or face — audio, video (with the slides and the
    quality verdicts) and the LMS package, which holds the video — what erasing the speaker deletes. The captions
    and transcript are the script's words, not the voice, and stay."""
    return audio_prefix(lecture_id), video_prefix(lecture_id), lms_prefix(lecture_id)


# audio: the speech, the chunks it is joined from, and their quality verdicts (DESIGN.md §8), kept with the audio so
# that erasing the voice removes them too
speech_key = _named(audio_prefix, "speech.wav")
speech_chunks_prefix = _named(audio_prefix, "chunks/")
speech_chunk_key = _hashed(speech_chunks_prefix, "wav")
speech_report_key = _named(audio_prefix, "quality/speech.json")
chunk_verdict_key = _hashed(_named(audio_prefix, "quality/chunks/"), "json")
"""The verdict on the speech chunk stored under the same hash."""
review_audio_key = _hashed(_named(audio_prefix, "quality/review/"), "wav")
"""A chunk's second answer that failed, kept for the operator (still the speaker's cloned voice)."""

# video: the talking head, rendered in segments, and its quality verdicts
video_key = _named(video_prefix, "video.mp4")
poster_key = _named(video_prefix, "poster.jpg")
video_segments_prefix = _named(video_prefix, "segments/")
video_segment_key = _hashed(video_segments_prefix, "mp4")
video_segments_manifest_key = _named(video_prefix, "segments.json")
"""The list of a lecture's current render segments (keys and lengths, in order) and its sound track."""
video_sound_key = _named(video_prefix, "sound.m4a")
"""The video's sound track (AAC), encoded from the speech while the segments render."""
video_report_key = _named(video_prefix, "quality/video.json")
report_key = _named(video_prefix, "quality/report.json")
"""The lecture's whole quality report (the ``quality_report`` asset)."""

# captions: the script's words, timed
captions_key = _named(captions_prefix, "captions.vtt")
chapters_key = _named(captions_prefix, "chapters.vtt")
transcript_key = _named(captions_prefix, "transcript.txt")


def lms_package_key(lecture_id: str) -> str:
    return f"{lms_prefix(lecture_id)}{lecture_id}-scorm12.zip"


# --- the composed lecture video (DESIGN.md §10) -----------------------------------------------------------------
DECK_UPLOAD_EXTENSIONS = ("pdf", "pptx")


def deck_upload_keys(course: str, lecture: str) -> list[str]:
    """Where a lecture's slide deck may be uploaded (the PDF wins if both exist)."""
    return [f"{LECTURE_UPLOADS_PREFIX}{course}/{lecture}.{ext}" for ext in DECK_UPLOAD_EXTENSIONS]


deck_manifest_key = _named(video_prefix, "deck/deck.json")
"""The deck's pages (keys, hashes) and which page each paragraph of the script shows."""
deck_pages_prefix = _named(video_prefix, "deck/pages/")
deck_page_key = _hashed(deck_pages_prefix, "png")
composed_prefix = _named(video_prefix, "composed/")
"""The composed 1920×1080 segments, cards and sound track, each under a hash of what it was made from."""


def composed_part_key(lecture_id: str, part_hash: str, ext: str = "mp4") -> str:
    return f"{composed_prefix(lecture_id)}{part_hash}.{ext}"


lecture_video_key = _named(video_prefix, "lecture.mp4")
"""The lecture as viewers see it: slides, talking head, cards, disclosure, C2PA manifest."""
lecture_poster_key = _named(video_prefix, "lecture-poster.jpg")
