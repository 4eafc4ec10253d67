"""The verdict on one speech chunk, and the ask-once-more rule (DESIGN.md §8).

A chunk passes when it says its text (WER at most ``MAX_WER``; a language without a recogniser is reported as "WER
not available", and judged on the other checks), is in the speaker's voice (cloning engines only: similarity at
least ``MIN_SIMILARITY``) and sounds like speech. A failing chunk is asked for once more (with a new seed where the
engine takes one); the better-judged answer is kept, and a second failure is left for an operator to review.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lecturer_pipeline.engines.base import SpeakerProfile, SpeechEngine
from lecturer_pipeline.quality import asr, sound, voice
from lecturer_pipeline.quality import thresholds as t


@dataclass
class ChunkVerdict:
    index: int
    text: str
    passed: bool
    wer: float | None
    similarity: float | None
    seconds: float
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hypothesis: str = ""
    attempts: int = 1
    accepted: bool = False  # an operator approved it as it is
    qa_seconds: float = 0.0
    hash: str = ""  # the chunk's input hash: its key in the store

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChunkVerdict:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class SpeechChecker:
    """Checks the chunks of one lecture: holds its language, engine and the reference clip's embedding."""

    def __init__(self, engine: SpeechEngine, profile: SpeakerProfile, language: str, workdir: Path) -> None:
        self.engine = engine
        self.language = language
        self.clones = bool(getattr(engine, "clones_voice", False))
        self.reference = None
        self.seconds = 0.0  # time spent checking, for the cost figure
        if self.clones and profile.speaker_audio_b64:
            clip = workdir / "qa-reference.wav"
            clip.write_bytes(base64.b64decode(profile.speaker_audio_b64))
            started = time.perf_counter()
            self.reference = voice.reference_embedding(profile.fingerprint, clip)
            self.seconds += time.perf_counter() - started
            clip.unlink()

    def check(self, index: int, text: str, wav: Path) -> ChunkVerdict:
        started = time.perf_counter()
        figures = sound.measure(wav, text)
        found = sound.problems(figures, self.engine.name)
        notes: list[str] = []
        heard = asr.recognise(wav, text, language=self.language)
        if heard.wer is None:
            notes.append(heard.note)
        elif heard.wer > t.MAX_WER:
            found.append(f"says other words: WER {heard.wer:.2f} > {t.MAX_WER} (heard: {heard.hypothesis!r})")
        if heard.unknown_words:
            notes.append(f"{heard.unknown_words} words not in the recogniser's dictionary were not scored")
        similarity = None
        if self.clones:
            if self.reference is None:
                notes.append("speaker similarity not available: the profile has no reference clip (a saved voice)")
            elif figures.seconds < t.MIN_SIMILARITY_SECONDS:
                notes.append(
                    f"speaker similarity not judged: {figures.seconds:.1f} s is too short for the voice encoder "
                    f"(it needs {t.MIN_SIMILARITY_SECONDS:g} s)"
                )
            else:
                similarity = voice.similarity(wav, self.reference)
                if similarity < t.MIN_SIMILARITY:
                    found.append(f"another voice: similarity {similarity:.2f} < {t.MIN_SIMILARITY}")
        spent = time.perf_counter() - started
        self.seconds += spent
        return ChunkVerdict(
            index=index,
            text=text,
            passed=not found,
            wer=heard.wer,
            similarity=similarity,
            seconds=figures.seconds,
            problems=found,
            notes=notes,
            hypothesis=heard.hypothesis,
            qa_seconds=round(spent, 3),
        )


def ask_again(
    speak: Callable[[Path, int], int], checker: SpeechChecker, first: ChunkVerdict, dst: Path
) -> tuple[ChunkVerdict, int]:
    """A chunk whose first answer at ``dst`` failed: ask once more with ``speak(dst, 1)`` (a new seed where the
    engine takes one), check that, and leave it at ``dst``. Returns its verdict and the requests spent."""
    retry = dst.with_name(f"{dst.stem}.retry.wav")
    requests = speak(retry, 1)
    second = checker.check(first.index, first.text, retry)
    second.attempts = 2
    second.notes = [*second.notes, f"first answer failed: {'; '.join(first.problems)}"]
    retry.replace(dst)
    return second, requests
