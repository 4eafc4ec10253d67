"""The speech stage's quality gate: checks each new chunk, keeps only good ones as cached, holds the lecture for
review when a chunk fails twice, and lets an operator approve such chunks as they are.

A chunk that passes is stored under its hash as before (so it is never asked for again). A chunk that fails twice
is NOT stored there: its second answer goes to ``quality/review/``, and the lecture stops at NEEDS_REVIEW once
every chunk has been tried — so one run reports all the bad chunks, and the next run (after an edit, or just again)
asks only for those. ``accept_quality`` moves the reviewed answers to their chunk keys: the next run then reuses
them and spends nothing on speech.

The checks run beside the service calls (``quality/beside.py``): a chunk is checked while the next one is being
spoken, and a failing chunk is asked for again as soon as its verdict is known, on the caller's thread, so one step
never has two requests in flight (the service's pool counts steps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lecturer_pipeline.engines.base import SpeakerProfile, SpeechEngine
from lecturer_pipeline.errors import InputError
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.quality import report as r
from lecturer_pipeline.quality import thresholds as t
from lecturer_pipeline.quality.beside import CheckQueue
from lecturer_pipeline.quality.speech import ChunkVerdict, SpeechChecker, ask_again
from lecturer_pipeline.storage.catalog import Catalog, Status
from lecturer_pipeline.storage.layout import speech_chunk_key
from lecturer_pipeline.storage.objects import ObjectStore


@dataclass
class _Answer:
    """A chunk's first answer, waiting for its verdict."""

    index: int
    text: str
    chunk_key: str
    chunk_hash: str
    local: Path
    speak: Callable[[Path, int], int]


class SpeechGate:
    """One lecture's chunks through the checks: ``produce`` per new chunk, ``cached`` per stored one, ``settle``
    once every chunk is asked for, then ``finish``. Use it as a context manager so its thread always stops."""

    def __init__(
        self,
        store: ObjectStore,
        engine: SpeechEngine,
        profile: SpeakerProfile,
        lecture_id: str,
        language: str,
        workdir: Path,
    ) -> None:
        self.store, self.engine, self.profile, self.lecture_id = store, engine, profile, lecture_id
        self.checker = SpeechChecker(engine, profile, language, workdir)
        self.verdicts: list[ChunkVerdict] = []
        self.requests_again = 0  # requests spent asking failing chunks once more
        self.chars_again = 0
        self._queue: CheckQueue[_Answer, ChunkVerdict] = CheckQueue(self._check, "speech-qa")

    def __enter__(self) -> SpeechGate:
        return self

    def __exit__(self, *_: object) -> None:
        """Waits for a check still running: a passing answer is stored by its check, so after a failure (a service
        error on a later chunk, say) the retried step does not pay for it again."""
        self._queue.close()

    def _check(self, answer: _Answer) -> ChunkVerdict:
        """On the checks' thread: check an answer and, if it passes, store it at once as good."""
        verdict = self.checker.check(answer.index, answer.text, answer.local)
        if verdict.passed:
            self._store(answer, verdict)
        return verdict

    def produce(
        self, index: int, text: str, chunk_key: str, chunk_hash: str, local: Path, speak: Callable[[Path, int], int]
    ) -> int:
        """Make one chunk's first answer (with ``speak(dst, attempt)``) while the previous one is checked, settle
        the previous one (asking it once more if it failed), and queue this one for its check. Returns the requests
        spent on this answer."""
        requests = speak(local, 0)
        self.settle()
        self._queue.submit(_Answer(index, text, chunk_key, chunk_hash, local, speak))
        return requests

    def settle(self) -> None:
        """Wait for the pending verdicts, asking a failing chunk once more: every chunk's file is final after it."""
        for answer, verdict in self._queue.drain():
            if not verdict.passed:
                verdict, requests = ask_again(answer.speak, self.checker, verdict, answer.local)
                self.requests_again += requests
                self.chars_again += requests * len(answer.text)
                self._store(answer, verdict)
            self.verdicts.append(verdict)

    def _store(self, answer: _Answer, verdict: ChunkVerdict) -> None:
        """Store a checked chunk: as good under its hash, or, failing twice, under ``quality/review/``."""
        verdict.hash = answer.chunk_hash
        if verdict.passed:
            self.store.put_file(answer.chunk_key, answer.local, content_type="audio/wav")
        else:
            key = r.review_audio_key(self.lecture_id, answer.chunk_hash)
            self.store.put_file(key, answer.local, content_type="audio/wav")
        r.put_json(self.store, r.chunk_verdict_key(self.lecture_id, answer.chunk_hash), verdict.to_json())

    def cached(self, index: int, chunk_hash: str) -> None:
        """A chunk found stored: it passed (or was approved) when it was made; its verdict is read back."""
        data = r.get_json(self.store, r.chunk_verdict_key(self.lecture_id, chunk_hash))
        verdict = ChunkVerdict.from_json(data) if data else ChunkVerdict(index, "", True, None, None, 0.0)
        verdict.index, verdict.hash = index, chunk_hash
        if not data:
            verdict.notes = ["stored before quality checks were recorded"]
        self.verdicts.append(verdict)

    def finish(self) -> dict[str, Any]:
        """Store the speech part of the report; raise NeedsReview when a chunk failed twice."""
        self.settle()
        self.verdicts.sort(key=lambda verdict: verdict.index)
        failing = [v for v in self.verdicts if not v.passed and not v.accepted]
        part = {
            "lecture_id": self.lecture_id,
            "engine": self.engine.name,
            "cloned": self.checker.clones,
            "language": self.checker.language,
            "thresholds": {"max_wer": t.MAX_WER, "min_similarity": t.MIN_SIMILARITY},
            "passed": not failing,
            "qa_seconds": round(self.checker.seconds, 3),
            "qa_waited_seconds": round(self._queue.waited_seconds, 3),
            "chunks": [v.to_json() for v in self.verdicts],
        }
        advice = (
            f"Approve them as they are with `lecturer-pipeline accept-quality {self.lecture_id}`, or edit the "
            "script; the next run asks only for these chunks"
        )
        r.store_part(self.store, r.speech_report_key(self.lecture_id), part, failing, "speech chunk", advice)
        return summary(part)


def summary(part: dict[str, Any]) -> dict[str, Any]:
    """Figures for the speech artefact's metadata."""
    chunks = part["chunks"]
    wers = [c["wer"] for c in chunks if c.get("wer") is not None]
    sims = [c["similarity"] for c in chunks if c.get("similarity") is not None]
    notes = sorted({n for c in chunks for n in c.get("notes", []) if n.startswith("WER not available")})
    return {
        "qa_passed": part["passed"],
        "qa_seconds": part["qa_seconds"],
        "qa_waited_seconds": part.get("qa_waited_seconds"),
        "qa_asked_again": sum(1 for c in chunks if c.get("attempts", 1) > 1),
        "qa_accepted": sum(1 for c in chunks if c.get("accepted")),
        "qa_max_wer": max(wers) if wers else None,
        "qa_min_similarity": min(sims) if sims else None,
        "qa_notes": "; ".join(notes) or None,
    }


def accept_quality(store: ObjectStore, catalog: Catalog, lecture_id: str, *, by: str = "operator") -> list[int]:
    """Approve a lecture's failing chunks as they are: their reviewed answers become the stored chunks. Returns the
    chunk numbers approved (1-based). The next run reuses them and goes on to the video."""
    part = r.get_json(store, r.speech_report_key(lecture_id))
    if part is None:
        raise InputError("has no speech quality report: nothing to accept", lecture_id=lecture_id)
    row = catalog.get_lecture(lecture_id) or {}
    approved = []
    for chunk in part["chunks"]:
        if chunk["passed"] or chunk.get("accepted"):
            continue
        review = r.review_audio_key(lecture_id, chunk["hash"])
        if not store.exists(review):
            gone = f"the reviewed answer of chunk {chunk['index'] + 1} is gone ({review})"
            raise InputError(gone, lecture_id=lecture_id)
        store.put_bytes(speech_chunk_key(lecture_id, chunk["hash"]), store.get_bytes(review), content_type="audio/wav")
        store.delete(review)
        chunk.update(accepted=True, accepted_by=by, accepted_at=datetime.now(UTC).isoformat())
        r.put_json(store, r.chunk_verdict_key(lecture_id, chunk["hash"]), chunk)
        approved.append(chunk["index"] + 1)
    part["passed"] = True
    r.put_json(store, r.speech_report_key(lecture_id), part)
    if row.get("status") == Status.NEEDS_REVIEW.value:
        catalog.set_status(lecture_id, Status.PENDING, stage=Kind.SPEECH, error=None)
    return approved
