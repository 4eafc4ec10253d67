"""The video stage's quality gate: each newly rendered segment is checked before it is stored as good; a failing one
is rendered once more; failing again, the lecture stops at NEEDS_REVIEW once every segment has been tried, with the
video part of the quality report (``generated/video/<id>/quality/video.json``). Stored segments passed when made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lecturer_pipeline.engines.base import VideoEngine
from lecturer_pipeline.quality import report as r
from lecturer_pipeline.quality.video import SegmentVerdict, check_segment, portrait_has_face
from lecturer_pipeline.storage.objects import ObjectStore


class SegmentGate:
    def __init__(self, store: ObjectStore, engine: VideoEngine, lecture_id: str, portrait_png: Path) -> None:
        self.store, self.engine, self.lecture_id = store, engine, lecture_id
        self.lip_sync = bool(getattr(engine, "lip_sync", False))
        self.expect_face = portrait_has_face(portrait_png)
        self.verdicts: list[SegmentVerdict] = []

    def render_checked(self, index: int, portrait_png: Path, wav: Path, clip: Path, key: str) -> int:
        """Render, check, render once more on failure; store the clip under ``key`` only if it passes. Returns
        the renders spent."""
        self.engine.render(portrait_png, wav, clip)
        verdict = check_segment(index, clip, wav, lip_sync=self.lip_sync, expect_face=self.expect_face)
        renders = 1
        if not verdict.passed:
            first = verdict.problems
            self.engine.render(portrait_png, wav, clip)
            verdict = check_segment(index, clip, wav, lip_sync=self.lip_sync, expect_face=self.expect_face)
            verdict.notes.append(f"first render failed: {'; '.join(first)}")
            renders = 2
        if verdict.passed:
            self.store.put_file(key, clip, content_type="video/mp4")
        self.verdicts.append(verdict)
        return renders

    def finish(self) -> dict[str, Any]:
        failing = [v for v in self.verdicts if not v.passed]
        qa_seconds = round(sum(v.qa_seconds for v in self.verdicts), 3)
        part = {
            "lecture_id": self.lecture_id,
            "engine": self.engine.name,
            "lip_sync": self.lip_sync,
            "passed": not failing,
            "qa_seconds": qa_seconds,
            "segments": [v.to_json() for v in self.verdicts],
        }
        advice = "Check the portrait and the renderer, then run it again"
        r.store_part(self.store, r.video_report_key(self.lecture_id), part, failing, "video segment", advice)
        return {"qa_video_passed": True, "qa_video_seconds": qa_seconds, "qa_segments_checked": len(self.verdicts)}
