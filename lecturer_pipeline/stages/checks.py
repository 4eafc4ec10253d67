"""Quality checks on what the media stages made, as plain functions (the Dagster asset checks call these).

Each returns whether it passed, a sentence for the operator, and the figures it looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lecturer_pipeline.media._ffmpeg import DURATION_TOLERANCE  # the one tolerance for a video's length
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.quality import report
from lecturer_pipeline.storage.objects import ObjectStore

# Lecture speech runs ~150 words a minute; TTS engines and speaking rates vary, so only gross errors are flagged
# (a truncated answer, silence, a model reading markup aloud).
MIN_WORDS_PER_MINUTE = 70
MAX_WORDS_PER_MINUTE = 280


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    description: str
    metadata: dict[str, float | str] = field(default_factory=dict)


def speech_duration_plausible(speech: Artefact, words: int) -> CheckOutcome:
    seconds = speech.duration or 0.0
    rate = words / (seconds / 60) if seconds else float("inf")
    passed = MIN_WORDS_PER_MINUTE <= rate <= MAX_WORDS_PER_MINUTE
    return CheckOutcome(
        passed,
        f"{words} words in {seconds:.1f} s is {rate:.0f} words a minute "
        f"({'within' if passed else 'outside'} {MIN_WORDS_PER_MINUTE}–{MAX_WORDS_PER_MINUTE})",
        {"words": words, "seconds": round(seconds, 2), "words_per_minute": round(rate, 1)},
    )


def video_matches_speech(video: Artefact, speech: Artefact) -> CheckOutcome:
    difference = abs((video.duration or 0.0) - (speech.duration or 0.0))
    passed = difference <= DURATION_TOLERANCE
    return CheckOutcome(
        passed,
        f"video and speech differ by {difference:.3f} s (tolerance {DURATION_TOLERANCE} s)",
        {"difference_seconds": round(difference, 3)},
    )


def video_is_h264_aac(video: Artefact) -> CheckOutcome:
    codecs = str(video.details.get("codecs", ""))
    passed = codecs == "h264 + aac"
    return CheckOutcome(passed, f"codecs: {codecs or 'unknown'} (want h264 + aac, with audio)", {"codecs": codecs})


def speech_quality_outcome(store: ObjectStore, speech: Artefact, script: LectureScript) -> CheckOutcome:
    """What the speech part of the quality report says (``quality/gate.py`` wrote it while the chunks were made)."""
    part = report.get_json(store, report.speech_report_key(script.lecture_id))
    if part is None:
        return CheckOutcome(False, "no speech quality report was written", {})
    chunks = part.get("chunks", [])
    bad = [c for c in chunks if not c["passed"] and not c.get("accepted")]
    accepted = sum(1 for c in chunks if c.get("accepted"))
    again = sum(1 for c in chunks if c.get("attempts", 1) > 1)
    notes = sorted({n for c in chunks for n in c.get("notes", []) if n.startswith("WER not available")})
    description = (
        f"{len(chunks) - len(bad)} of {len(chunks)} chunks pass (WER <= {part['thresholds']['max_wer']}"
        + (f", similarity >= {part['thresholds']['min_similarity']}" if part.get("cloned") else "")
        + f"); {again} asked for again, {accepted} approved as they are by an operator"
        + (f"; {'; '.join(notes)}" if notes else "")
    )
    metadata: dict[str, float | str] = {"chunks": len(chunks), "failing": len(bad), "asked_again": again}
    metadata["accepted"] = accepted
    metadata["qa_seconds"] = float(part.get("qa_seconds", 0.0))
    return CheckOutcome(not bad, description, metadata)


def video_quality_outcome(store: ObjectStore, lecture_id: str) -> CheckOutcome:
    """What the video part of the quality report says (``quality/segments.py`` wrote it while rendering)."""
    part = report.get_json(store, report.video_report_key(lecture_id))
    if part is None:
        # A video rendered before the checks existed: say so (it is not claimed to have passed them).
        return CheckOutcome(True, "not checked: its segments were rendered before quality checks existed", {})
    segments = part.get("segments", [])
    bad = [s for s in segments if not s["passed"]]
    sync = "sync proxy (not SyncNet LSE-C)" if part.get("lip_sync") else "sync not applicable (no lip-sync renderer)"
    description = f"{len(segments) - len(bad)} of {len(segments)} newly rendered segments keep a face and move; {sync}"
    return CheckOutcome(not bad, description, {"segments": len(segments), "failing": len(bad)})
