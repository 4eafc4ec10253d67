"""Quality checks on what the media stages made, as plain functions (the Dagster asset checks call these).

Each returns whether it passed, a sentence for the operator, and the figures it looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lecturer_pipeline.model import Artefact

# Lecture speech runs ~150 words a minute; TTS engines and speaking rates vary, so only gross errors are flagged
# (a truncated answer, silence, a model reading markup aloud).
MIN_WORDS_PER_MINUTE = 70
MAX_WORDS_PER_MINUTE = 280
DURATION_TOLERANCE = 0.1


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
