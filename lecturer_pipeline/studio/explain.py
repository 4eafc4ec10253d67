"""A lecture's status in plain words, with what the lecturer can do next (no Gradio, no store: strings in, out)."""

from __future__ import annotations

from datetime import UTC, datetime

from lecturer_pipeline.kinds import UPLOAD_STAGE, Kind
from lecturer_pipeline.storage.catalog import Status

STAGE_WORDS: dict[str, str] = {
    UPLOAD_STAGE: "reading the upload",
    Kind.LECTURE_SCRIPT: "reading or drafting the script",
    Kind.REFERENCE_VOICE: "checking your voice",
    Kind.SPEAKER_EMBED: "preparing your voice profile",
    Kind.PORTRAIT: "preparing your portrait",
    Kind.SLIDE_DECK: "reading your slides",
    Kind.SPEECH: "speaking the script",
    Kind.VIDEO_SEGMENTS: "rendering the video",
    Kind.VIDEO: "joining the video",
    Kind.QUALITY_REPORT: "checking the quality",
    Kind.LECTURE_VIDEO: "composing the lecture video",
    Kind.CAPTIONS: "writing the captions",
    Kind.TRANSCRIPT: "writing the transcript",
    Kind.LMS_PACKAGE: "packaging it for your LMS",
    Kind.PUBLISHED_LECTURE: "publishing it",
}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _plain_error(error: str | None, lecture_id: str) -> str:
    text = (error or "it failed without saying why").strip()
    for prefix in (f"lecture {lecture_id}, ", f"lecture {lecture_id}: "):
        text = text.removeprefix(prefix)
    return text if len(text) <= 400 else text[:400] + "…"


def _what_to_do(stage: str | None, error: str) -> str:
    if "consent" in error:
        return "Sign the consent statement on the Speaker tab, then submit the lecture again."
    if "OLLAMA_HOST" in error:
        return "Drafting is not set up on this server: paste the finished script instead, or ask your operator."
    if stage in (UPLOAD_STAGE, Kind.LECTURE_SCRIPT):
        return "Fix the script or prompt on the Lecture tab and submit the lecture again."
    if stage in (Kind.REFERENCE_VOICE, Kind.SPEAKER_EMBED):
        return "Record or upload your voice again on the Speaker tab, then submit the lecture again."
    if stage == Kind.PORTRAIT:
        return "Upload another portrait on the Speaker tab, then submit the lecture again."
    return (
        "This is usually a problem on the server's side: submit the lecture again in a while; if it keeps failing, "
        "tell your operator (the Dagster UI shows what happened)."
    )


def explain(status: str, stage: str | None, error: str | None, lecture_id: str) -> str:
    """The status in plain words, with what to do next."""
    if status == Status.COMPLETED.value:
        return "Finished: open it to watch and download it."
    if status == Status.AWAITING_APPROVAL.value:
        return "Draft ready: open it, read and edit the script, then approve it. Nothing is spoken before you do."
    if status == Status.PENDING.value:
        return "Queued: the pipeline starts it shortly."
    if status == Status.RUNNING.value:
        return f"Being made: {STAGE_WORDS.get(stage or '', stage or 'working')}…"
    if status == Status.FAILED.value:
        message = _plain_error(error, lecture_id)
        doing = STAGE_WORDS.get(stage or "", stage or "working")
        return f"Failed while {doing}: {message} — {_what_to_do(stage, message)}"
    if status == Status.NEEDS_REVIEW.value:
        return (
            "Held for review: part of the generated speech or video did not pass the quality checks twice (wrong "
            "words, another voice, or a lost face). Open it to read the verdict, then approve it as it is (you or "
            "your operator), or edit the script and submit it again; only the failing parts are made again."
        )
    if status == Status.PRUNED.value:
        return "It stayed unfinished for too long and its partial files were cleared: submit it again."
    if status == Status.ERASED.value:
        return "Its speaker was erased, and with it the speech and video: save the speaker again and resubmit."
    return status
