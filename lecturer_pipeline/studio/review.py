"""A lecture held at NEEDS_REVIEW in the studio: the quality report's verdict in plain words, and *Approve as it is*.

The button does what ``lecturer-pipeline accept-quality <lecture>`` does — it calls the same operation,
``quality.gate.accept_quality``, recording the signed-in account as the approver — and only for a lecture that is
NEEDS_REVIEW and belongs to one of the user's speakers (an admin: any; see ``ownership``). The lecture is PENDING
again; the studio then asks the Dagster webserver (``LECTURER_DAGSTER_URL``) to run it, as a one-lecture backfill —
what ``backfill`` launches, so it goes through the run queue and the pools. Where no webserver answers, the message
says so and names the command that runs it; either way the next run reuses the approved answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.operations.backfill import BackfillError, DagsterGraphQL
from lecturer_pipeline.quality import report
from lecturer_pipeline.quality.gate import accept_quality
from lecturer_pipeline.storage.accounts import User
from lecturer_pipeline.storage.catalog import Status
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.studio.actions import Studio
from lecturer_pipeline.studio.ownership import chosen_lecture

APPROVED_TAGS = {"lecturer/approved-as-is": "true"}


def quality_verdict(store: ObjectStore, lecture_id: str) -> str:
    """The report's verdict in one plain sentence (``report.plain_verdict``). A lecture held for review has no whole
    report yet (the ``quality_report`` asset comes after the video), so it is read from the speech and video parts."""
    whole = report.get_json(store, report.report_key(lecture_id))
    speech = report.get_json(store, report.speech_report_key(lecture_id))
    video = report.get_json(store, report.video_report_key(lecture_id))
    if speech is not None or video is not None:
        whole = {**(whole or {}), "speech": speech, "video": video}
    return report.plain_verdict(whole)


@dataclass(frozen=True)
class Approved:
    lecture_id: str
    chunks: list[int]  # the chunk numbers (1-based) approved as they are
    backfill: str | None = None  # the webserver's backfill that runs it now
    not_started: str | None = None  # why no run was started (the webserver did not answer)

    @property
    def message(self) -> str:
        chunks = ", ".join(map(str, self.chunks)) or "none (nothing was failing)"
        kept = f"Approved as it is: part(s) {chunks} are kept as they were made. The lecture is PENDING again"
        if self.backfill:
            return f"{kept} and runs now (Dagster backfill {self.backfill}); nothing is spoken again."
        return (
            f"{kept}; the studio could not start its run ({self.not_started}), so run "
            f"`lecturer-pipeline materialize {self.lecture_id}`; nothing is spoken again."
        )


def approve_as_is(studio: Studio, user: User, lecture_id: str) -> Approved:
    """Approve a NEEDS_REVIEW lecture of ``user``'s as it is, through the operation behind ``accept-quality``, then
    start its run through the webserver."""
    lid, row = chosen_lecture(studio.store, studio.catalog, studio.accounts, user, lecture_id)
    status = row["status"] if row else "not made yet"
    if status != Status.NEEDS_REVIEW.value:
        raise InputError(
            f"is not held for review (status: {status}): there is nothing to approve as it is", lecture_id=lid
        )
    chunks = accept_quality(studio.store, studio.catalog, lid, by=user.name)
    if not studio.dagster_url:
        return Approved(lid, chunks, not_started="no LECTURER_DAGSTER_URL")
    try:
        webserver = DagsterGraphQL(studio.dagster_url, timeout=10.0)
        title = f"{lid} approved as it is by {user.name}"
        return Approved(lid, chunks, backfill=webserver.launch_backfill([lid], tags=APPROVED_TAGS, title=title))
    except BackfillError as error:
        return Approved(lid, chunks, not_started=str(error))
