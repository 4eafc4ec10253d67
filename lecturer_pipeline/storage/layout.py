"""The object-store key layout (DESIGN.md §3), in one place so every reader and writer agrees."""

from __future__ import annotations

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


# A lecture's generated media, in four folders; the trailing slash keeps ``cs101--intro`` from matching
# ``cs101--intro-2``.
def audio_prefix(lecture_id: str) -> str:
    return f"{GENERATED_PREFIX}audio/{lecture_id}/"


def video_prefix(lecture_id: str) -> str:
    return f"{GENERATED_PREFIX}video/{lecture_id}/"


def captions_prefix(lecture_id: str) -> str:
    return f"{GENERATED_PREFIX}captions/{lecture_id}/"


def lms_prefix(lecture_id: str) -> str:
    return f"{GENERATED_PREFIX}lms/{lecture_id}/"


def generated_prefixes(lecture_id: str) -> tuple[str, ...]:
    """Every folder a lecture's generated media live under (what pruning a stale lecture deletes)."""
    return audio_prefix(lecture_id), video_prefix(lecture_id), captions_prefix(lecture_id), lms_prefix(lecture_id)


def voice_derived_prefixes(lecture_id: str) -> tuple[str, ...]:
    """The folders of a lecture holding the speaker's cloned voice or face — audio, video (with the slides and the
    quality verdicts) and the LMS package, which holds the video — what erasing the speaker deletes. The captions
    and transcript are the script's words, not the voice, and stay."""
    return audio_prefix(lecture_id), video_prefix(lecture_id), lms_prefix(lecture_id)


def speech_key(lecture_id: str) -> str:
    return f"{audio_prefix(lecture_id)}speech.wav"


def speech_chunk_key(lecture_id: str, chunk_hash: str) -> str:
    return f"{speech_chunks_prefix(lecture_id)}{chunk_hash}.wav"


def speech_chunks_prefix(lecture_id: str) -> str:
    return f"{audio_prefix(lecture_id)}chunks/"


def video_key(lecture_id: str) -> str:
    return f"{video_prefix(lecture_id)}video.mp4"


def video_segment_key(lecture_id: str, segment_hash: str) -> str:
    return f"{video_segments_prefix(lecture_id)}{segment_hash}.mp4"


def video_segments_manifest_key(lecture_id: str) -> str:
    """The list of a lecture's current render segments (keys and lengths, in order) and its sound track."""
    return f"{video_prefix(lecture_id)}segments.json"


def video_sound_key(lecture_id: str) -> str:
    """The video's sound track (AAC), encoded from the speech while the segments render."""
    return f"{video_prefix(lecture_id)}sound.m4a"


def video_segments_prefix(lecture_id: str) -> str:
    return f"{video_prefix(lecture_id)}segments/"


def poster_key(lecture_id: str) -> str:
    return f"{video_prefix(lecture_id)}poster.jpg"


def captions_key(lecture_id: str) -> str:
    return f"{captions_prefix(lecture_id)}captions.vtt"


def chapters_key(lecture_id: str) -> str:
    return f"{captions_prefix(lecture_id)}chapters.vtt"


def transcript_key(lecture_id: str) -> str:
    return f"{captions_prefix(lecture_id)}transcript.txt"


def lms_package_key(lecture_id: str) -> str:
    return f"{lms_prefix(lecture_id)}{lecture_id}-scorm12.zip"


# --- the composed lecture video (DESIGN.md §10) -----------------------------------------------------------------
DECK_UPLOAD_EXTENSIONS = ("pdf", "pptx")


def deck_upload_keys(course: str, lecture: str) -> list[str]:
    """Where a lecture's slide deck may be uploaded (the PDF wins if both exist)."""
    return [f"{LECTURE_UPLOADS_PREFIX}{course}/{lecture}.{ext}" for ext in DECK_UPLOAD_EXTENSIONS]


def deck_manifest_key(lecture_id: str) -> str:
    """The deck's pages (keys, hashes) and which page each paragraph of the script shows."""
    return f"{video_prefix(lecture_id)}deck/deck.json"


def deck_page_key(lecture_id: str, page_sha256: str) -> str:
    return f"{deck_pages_prefix(lecture_id)}{page_sha256}.png"


def deck_pages_prefix(lecture_id: str) -> str:
    return f"{video_prefix(lecture_id)}deck/pages/"


def composed_prefix(lecture_id: str) -> str:
    """The composed 1920×1080 segments, cards and sound track, each under a hash of what it was made from."""
    return f"{video_prefix(lecture_id)}composed/"


def composed_part_key(lecture_id: str, part_hash: str, ext: str = "mp4") -> str:
    return f"{composed_prefix(lecture_id)}{part_hash}.{ext}"


def lecture_video_key(lecture_id: str) -> str:
    """The lecture as viewers see it: slides, talking head, cards, disclosure, C2PA manifest."""
    return f"{video_prefix(lecture_id)}lecture.mp4"


def lecture_poster_key(lecture_id: str) -> str:
    return f"{video_prefix(lecture_id)}lecture-poster.jpg"


# --- the quality verdicts (DESIGN.md §8): under the lecture's audio and video, so erasure removes them too -------
def chunk_verdict_key(lecture_id: str, chunk_hash: str) -> str:
    """The verdict on the speech chunk stored under the same hash."""
    return f"{audio_prefix(lecture_id)}quality/chunks/{chunk_hash}.json"


def review_audio_key(lecture_id: str, chunk_hash: str) -> str:
    """A chunk's second answer that failed, kept for the operator (still the speaker's cloned voice)."""
    return f"{audio_prefix(lecture_id)}quality/review/{chunk_hash}.wav"


def speech_report_key(lecture_id: str) -> str:
    return f"{audio_prefix(lecture_id)}quality/speech.json"


def video_report_key(lecture_id: str) -> str:
    return f"{video_prefix(lecture_id)}quality/video.json"


def report_key(lecture_id: str) -> str:
    """The lecture's whole quality report (the ``quality_report`` asset)."""
    return f"{video_prefix(lecture_id)}quality/report.json"
