"""The catalog's erasure queries: a speaker's lectures, and removing every row of theirs in one transaction.

``operations/erasure.py`` deletes the speaker's objects first and then calls ``erase_speaker``, so an erasure that was
interrupted is finished by running it again: the lectures are found again by their speaker, whatever their status.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from lecturer_pipeline.storage.tables import Status, artefacts, consent_history, lectures, speaker_owners, speakers


@dataclass(frozen=True)
class ErasedRows:
    """What ``erase_speaker`` removed from the catalog."""

    artefact_rows: int
    speaker_row: bool
    consent_rows: int


class ErasureQueries:
    """Mixed into ``Catalog`` (which provides ``_transaction``)."""

    def speaker_lecture_ids(self, speaker: str, *, limit: int | None = None) -> list[str]:
        """The IDs of the lectures spoken by ``speaker``, in ID order (at most ``limit``)."""
        query = sa.select(lectures.c.id).where(lectures.c.speaker == speaker).order_by(lectures.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self._transaction(f"read of the lectures of speaker {speaker}") as connection:
            return list(connection.execute(query).scalars())

    def erase_speaker(
        self, speaker: str, *, lecture_ids: Collection[str], kinds: Collection[str], reason: str, now: datetime
    ) -> ErasedRows:
        """In one transaction: drop the artefact rows of ``kinds`` of the lectures, mark those lectures ERASED with
        ``reason`` (their rows stay, so a course shows what was removed), and delete the speaker's row, consent
        history and studio owner."""
        with self._transaction(f"erasure of speaker {speaker}") as connection:
            artefact_rows = 0
            if lecture_ids:
                artefact_rows = connection.execute(
                    artefacts.delete().where(
                        artefacts.c.lecture_id.in_(list(lecture_ids)), artefacts.c.kind.in_([str(k) for k in kinds])
                    )
                ).rowcount
                connection.execute(
                    lectures.update()
                    .where(lectures.c.id.in_(list(lecture_ids)))
                    .values(status=Status.ERASED.value, error=reason, video_url=None, updated_at=now)
                )
            speaker_row = connection.execute(speakers.delete().where(speakers.c.id == speaker)).rowcount > 0
            consent_rows = connection.execute(
                consent_history.delete().where(consent_history.c.speaker == speaker)
            ).rowcount
            connection.execute(speaker_owners.delete().where(speaker_owners.c.speaker == speaker))
        return ErasedRows(artefact_rows, speaker_row, consent_rows)
