"""The object-store key layout (DESIGN.md §3), in one place so every reader and writer agrees."""

from __future__ import annotations

VOICE_UPLOAD_EXTENSIONS = ("wav", "mp3", "webm", "ogg", "m4a", "flac")
PORTRAIT_UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "gif")


def lecture_upload_keys(course: str, lecture: str) -> tuple[str, str]:
    """The manifest and plain-script keys a lecture may be uploaded under (the manifest wins if both exist)."""
    base = f"uploads/lectures/{course}/{lecture}"
    return f"{base}.json", f"{base}.txt"


def voice_upload_keys(speaker: str) -> list[str]:
    return [f"uploads/voice/{speaker}.{ext}" for ext in VOICE_UPLOAD_EXTENSIONS]


def portrait_upload_keys(speaker: str) -> list[str]:
    return [f"uploads/portrait/{speaker}.{ext}" for ext in PORTRAIT_UPLOAD_EXTENSIONS]


def reference_voice_key(speaker: str) -> str:
    return f"voices/{speaker}/reference.enc"


def speaker_profile_key(speaker: str) -> str:
    return f"voices/{speaker}/profile.enc"


def portrait_key(speaker: str) -> str:
    return f"speakers/{speaker}/portrait.png"


def speech_key(lecture_id: str) -> str:
    return f"generated/audio/{lecture_id}/speech.wav"


def speech_chunk_key(lecture_id: str, chunk_hash: str) -> str:
    return f"{speech_chunks_prefix(lecture_id)}{chunk_hash}.wav"


def speech_chunks_prefix(lecture_id: str) -> str:
    return f"generated/audio/{lecture_id}/chunks/"


def video_key(lecture_id: str) -> str:
    return f"generated/video/{lecture_id}/video.mp4"


def video_segment_key(lecture_id: str, segment_hash: str) -> str:
    return f"{video_segments_prefix(lecture_id)}{segment_hash}.mp4"


def video_segments_manifest_key(lecture_id: str) -> str:
    """The list of a lecture's current render segments (keys and lengths, in order) and its sound track."""
    return f"generated/video/{lecture_id}/segments.json"


def video_sound_key(lecture_id: str) -> str:
    """The video's sound track (AAC), encoded from the speech while the segments render."""
    return f"generated/video/{lecture_id}/sound.m4a"


def video_segments_prefix(lecture_id: str) -> str:
    return f"generated/video/{lecture_id}/segments/"


def poster_key(lecture_id: str) -> str:
    return f"generated/video/{lecture_id}/poster.jpg"


def captions_prefix(lecture_id: str) -> str:
    return f"generated/captions/{lecture_id}/"


def captions_key(lecture_id: str) -> str:
    return f"{captions_prefix(lecture_id)}captions.vtt"


def chapters_key(lecture_id: str) -> str:
    return f"{captions_prefix(lecture_id)}chapters.vtt"


def transcript_key(lecture_id: str) -> str:
    return f"{captions_prefix(lecture_id)}transcript.txt"


def lms_prefix(lecture_id: str) -> str:
    return f"generated/lms/{lecture_id}/"


def lms_package_key(lecture_id: str) -> str:
    return f"{lms_prefix(lecture_id)}{lecture_id}-scorm12.zip"


# Prefixes intake lists once per tick: lecture uploads, speakers' uploads and their sealed voices.
LECTURE_UPLOADS_PREFIX = "uploads/lectures/"
VOICE_UPLOADS_PREFIX = "uploads/voice/"
PORTRAIT_UPLOADS_PREFIX = "uploads/portrait/"
VOICES_PREFIX = "voices/"


def generated_prefixes(lecture_id: str) -> tuple[str, ...]:
    """Every folder a lecture's generated media live under; the trailing slash keeps ``cs101--intro`` from
    matching ``cs101--intro-2``."""
    return tuple(f"generated/{kind}/{lecture_id}/" for kind in ("audio", "video", "captions", "lms"))


# --- the composed lecture video (DESIGN.md §10) -----------------------------------------------------------------
DECK_UPLOAD_EXTENSIONS = ("pdf", "pptx")


def deck_upload_keys(course: str, lecture: str) -> list[str]:
    """Where a lecture's slide deck may be uploaded (the PDF wins if both exist)."""
    return [f"uploads/lectures/{course}/{lecture}.{ext}" for ext in DECK_UPLOAD_EXTENSIONS]


def deck_manifest_key(lecture_id: str) -> str:
    """The deck's pages (keys, hashes) and which page each paragraph of the script shows."""
    return f"generated/video/{lecture_id}/deck/deck.json"


def deck_page_key(lecture_id: str, page_sha256: str) -> str:
    return f"{deck_pages_prefix(lecture_id)}{page_sha256}.png"


def deck_pages_prefix(lecture_id: str) -> str:
    return f"generated/video/{lecture_id}/deck/pages/"


def composed_prefix(lecture_id: str) -> str:
    """The composed 1920×1080 segments, cards and sound track, each under a hash of what it was made from."""
    return f"generated/video/{lecture_id}/composed/"


def composed_part_key(lecture_id: str, part_hash: str, ext: str = "mp4") -> str:
    return f"{composed_prefix(lecture_id)}{part_hash}.{ext}"


def lecture_video_key(lecture_id: str) -> str:
    """The lecture as viewers see it: slides, talking head, cards, disclosure, C2PA manifest."""
    return f"generated/video/{lecture_id}/lecture.mp4"


def lecture_poster_key(lecture_id: str) -> str:
    return f"generated/video/{lecture_id}/lecture-poster.jpg"
