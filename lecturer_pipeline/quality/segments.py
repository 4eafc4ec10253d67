"""The video stage's quality gate: each newly rendered segment is checked before it is stored as good; a failing one
is rendered once more; failing again, the lecture stops at NEEDS_REVIEW once every segment has been tried, with the
video part of the quality report (``generated/video/<id>/quality/video.json``). Stored segments passed when made.

A segment is checked while the next one renders (``quality/beside.py``); one that fails is rendered again as soon as
its verdict is known, on the caller's thread, so the renderer never has two renders of one step in flight."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lecturer_pipeline.engines.base import VideoEngine
from lecturer_pipeline.quality import report as r
from lecturer_pipeline.quality.beside import CheckQueue
from lecturer_pipeline.quality.video import SegmentVerdict, check_segment, portrait_has_face
from lecturer_pipeline.storage.objects import ObjectStore


@dataclass
class _Render:
    """A segment's first render, waiting for its verdict."""

    index: int
    portrait_png: Path
    wav: Path
    clip: Path
    key: str


class SegmentGate:
    """One lecture's new segments through the checks: ``render`` each, then ``finish`` (which waits for the last
    verdicts). Use it as a context manager so its thread always stops."""

    def __init__(self, store: ObjectStore, engine: VideoEngine, lecture_id: str, portrait_png: Path) -> None:
        self.store, self.engine, self.lecture_id = store, engine, lecture_id
        self.lip_sync = bool(getattr(engine, "lip_sync", False))
        self.expect_face = portrait_has_face(portrait_png)
        self.verdicts: list[SegmentVerdict] = []
        self.rendered_again: list[Path] = []  # the speech of each segment rendered a second time
        self._queue: CheckQueue[_Render, SegmentVerdict] = CheckQueue(self._check, "video-qa")

    def __enter__(self) -> SegmentGate:
        return self

    def __exit__(self, *_: object) -> None:
        """Waits for a check still running: a passing segment is stored by its check, so after a failure a retry
        renders only the rest."""
        self._queue.close()

    def _check(self, render: _Render) -> SegmentVerdict:
        """On the checks' thread: check a render and, if it passes, store it at once as good."""
        verdict = check_segment(
            render.index, render.clip, render.wav, lip_sync=self.lip_sync, expect_face=self.expect_face
        )
        if verdict.passed:
            self.store.put_file(render.key, render.clip, content_type="video/mp4")
        return verdict

    def render(self, index: int, portrait_png: Path, wav: Path, clip: Path, key: str) -> None:
        """Render one segment while the previous one is checked (and, passing, stored), settle the previous one
        (rendering it once more if it failed), and queue this one for its check (``wav`` must stay until
        ``finish``)."""
        self.engine.render(portrait_png, wav, clip)
        self._settle()
        self._queue.submit(_Render(index, portrait_png, wav, clip, key))

    def _settle(self) -> None:
        for render, verdict in self._queue.drain():
            if not verdict.passed:
                first = verdict.problems
                self.engine.render(render.portrait_png, render.wav, render.clip)
                self.rendered_again.append(render.wav)
                verdict = self._check(render)  # stores it if it passes now
                verdict.notes.append(f"first render failed: {'; '.join(first)}")
            self.verdicts.append(verdict)

    def finish(self) -> dict[str, Any]:
        """Wait for the last verdicts; store the video part of the report; raise NeedsReview when a segment failed
        twice."""
        self._settle()
        failing = [v for v in self.verdicts if not v.passed]
        qa_seconds = round(sum(v.qa_seconds for v in self.verdicts), 3)
        part = {
            "lecture_id": self.lecture_id,
            "engine": self.engine.name,
            "lip_sync": self.lip_sync,
            "passed": not failing,
            "qa_seconds": qa_seconds,
            "qa_waited_seconds": round(self._queue.waited_seconds, 3),
            "segments": [v.to_json() for v in self.verdicts],
        }
        advice = "Check the portrait and the renderer, then run it again"
        r.store_part(self.store, r.video_report_key(self.lecture_id), part, failing, "video segment", advice)
        return {
            "qa_video_passed": True,
            "qa_video_seconds": qa_seconds,
            "qa_video_waited_seconds": part["qa_waited_seconds"],
            "qa_segments_checked": len(self.verdicts),
        }
