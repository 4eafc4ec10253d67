"""Where the quality verdicts live in the object store, and the lecture's report built from them.

Keys sit under the lecture's generated audio and video, so erasing a speaker's lectures erases them too (a rejected
answer is still the speaker's cloned voice):
- ``generated/audio/<id>/quality/chunks/<hash>.json`` — the verdict on the chunk stored under the same hash;
- ``generated/audio/<id>/quality/review/<hash>.wav`` — a chunk's second answer that failed, kept for the operator;
- ``generated/audio/<id>/quality/speech.json`` and ``generated/video/<id>/quality/video.json`` — each stage's part;
- ``generated/video/<id>/quality/report.json`` — the lecture's whole report (the ``quality_report`` asset).
"""

from __future__ import annotations

import json
from typing import Any

from lecturer_pipeline.errors import NeedsReview
from lecturer_pipeline.storage.layout import (  # noqa: F401 — the verdicts' keys (storage/layout.py), for the checks
    chunk_verdict_key,
    report_key,
    review_audio_key,
    speech_report_key,
    video_report_key,
)
from lecturer_pipeline.storage.objects import ObjectStore


def put_json(store: ObjectStore, key: str, data: dict[str, Any]) -> None:
    store.put_bytes(key, json.dumps(data, indent=1).encode(), content_type="application/json")


def get_json(store: ObjectStore, key: str) -> dict[str, Any] | None:
    return json.loads(store.get_bytes(key)) if store.exists(key) else None


def store_part(store: ObjectStore, key: str, part: dict[str, Any], failing: list[Any], what: str, advice: str) -> None:
    """Store a stage's part of the report at ``key``; then, if any of its ``what`` (chunks, segments) failed twice,
    stop the lecture at NEEDS_REVIEW naming the first three with their problems, where the report is, and ``advice``.

    The part is stored first so the operator can read why, whatever happens next.
    """
    put_json(store, key, part)
    if failing:
        listed = "; ".join(f"{what.split()[-1]} {v.index + 1}: {', '.join(v.problems)}" for v in failing[:3])
        raise NeedsReview(
            f"{len(failing)} {what}(s) failed the quality checks twice ({listed}); the report is at {key}. {advice}",
            lecture_id=part["lecture_id"],
        )


def _cell(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|")


def verdict_word(passed: bool, accepted: bool = False) -> str:
    if accepted:
        return "accepted by operator"
    return "pass" if passed else "FAIL"


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown tables: per chunk WER, similarity, verdict; per segment face, sync, verdict."""
    lines = [f"**Quality: {report.get('verdict', 'unknown')}**", ""]
    speech = report.get("speech") or {}
    if speech.get("chunks"):
        lines += ["| chunk | WER | similarity | seconds | tries | verdict | notes |", "|---|---|---|---|---|---|---|"]
        for c in speech["chunks"]:
            notes = "; ".join([*c.get("problems", []), *c.get("notes", [])])
            row = [c["index"], c.get("wer"), c.get("similarity"), c.get("seconds"), c.get("attempts", 1)]
            row += [verdict_word(c["passed"], c.get("accepted", False)), notes]
            lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
        lines.append("")
    video = report.get("video") or {}
    if video.get("segments"):
        lines += ["| segment | face | frozen s | black s | sync lag s (proxy) | verdict | notes |"]
        lines += ["|---|---|---|---|---|---|---|"]
        for s in video["segments"]:
            sync = s.get("sync_lag") if s.get("sync_applicable", True) else "not applicable"
            row = [s["index"], s.get("face_fraction"), s.get("frozen_seconds"), s.get("black_seconds"), sync]
            row += [verdict_word(s["passed"]), "; ".join([*s.get("problems", []), *s.get("notes", [])])]
            lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
        lines.append("")
    lines.append(f"QA time: {report.get('qa_seconds', 0):.1f} s")
    return "\n".join(lines)


def plain_verdict(report: dict[str, Any] | None) -> str:
    """One sentence for the studio."""
    if not report:
        return "Not checked yet."
    speech, video = report.get("speech") or {}, report.get("video") or {}
    bad = [c for c in speech.get("chunks", []) if not c["passed"] and not c.get("accepted")]
    faces = [s for s in video.get("segments", []) if not s["passed"]]
    if bad:
        return (
            f"{len(bad)} sentence group(s) did not sound right twice (wrong words or another voice): listen to the "
            "report, then approve it as it is or edit the script."
        )
    if faces:
        return f"{len(faces)} video part(s) lost the face or froze twice: check the portrait or approve it as it is."
    accepted = [c for c in speech.get("chunks", []) if c.get("accepted")]
    if accepted:
        return f"Checked: {len(accepted)} part(s) approved as they are by an operator; the rest passed."
    return "Checked: the speech says the script in the speaker's voice and the video keeps a face."


def build_report(store: ObjectStore, lecture_id: str) -> dict[str, Any]:
    """The lecture's whole report from the speech and video parts; stored at ``report_key``."""
    speech = get_json(store, speech_report_key(lecture_id))
    video = get_json(store, video_report_key(lecture_id))
    passed = bool(speech and speech.get("passed")) and bool(video and video.get("passed"))
    whole = {
        "lecture_id": lecture_id,
        "verdict": "pass" if passed else "needs review",
        "passed": passed,
        "qa_seconds": round(sum(float((p or {}).get("qa_seconds", 0.0)) for p in (speech, video)), 3),
        "speech": speech,
        "video": video,
        "sync_note": "sync is a proxy (mouth-region motion vs the speech envelope), not SyncNet LSE-C",
    }
    whole["summary"] = plain_verdict(whole)
    put_json(store, report_key(lecture_id), whole)
    return whole
