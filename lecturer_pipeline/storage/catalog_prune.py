"""The catalog's prune queries: which lectures went stale and which voices expired, and recording their deletion.

"Stale" is judged from the catalog's own timestamps: a lecture that was never published (``completed_at`` is empty)
and has not moved for the cut-off. A lecture that has ever been published is never stale, whatever a later run left
in its status, so its published media are never pruned.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lecturer_pipeline.storage.tables import Status, artefacts, lectures, speakers

# Statuses prune leaves alone: finished, already pruned, or erased on request.
KEEP_STATUSES = (Status.COMPLETED.value, Status.PRUNED.value, Status.ERASED.value)


class PruneQueries:
    """Mixed into ``Catalog`` (which provides ``_transaction``)."""

    def stale_lectures(self, cutoff: datetime, *, skip: Collection[str] = (), limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` never-published lectures without progress since ``cutoff``, oldest first."""
        query = (
            sa.select(lectures.c.id, lectures.c.status, lectures.c.updated_at)
            .where(
                lectures.c.status.not_in(KEEP_STATUSES),
                lectures.c.completed_at.is_(None),
                lectures.c.updated_at < cutoff,
            )
            .order_by(lectures.c.updated_at, lectures.c.id)
            .limit(limit)
        )
        if skip:
            query = query.where(lectures.c.id.not_in(sorted(skip)))
        with self._transaction("read of stale lectures") as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    def expired_speakers(self, now: datetime) -> list[dict[str, Any]]:
        query = (
            sa.select(speakers.c.id, speakers.c.delete_after)
            .where(speakers.c.delete_after < now, speakers.c.voice_deleted_at.is_(None))
            .order_by(speakers.c.id)
        )
        with self._transaction("read of expired voices") as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    def count_artefacts(
        self, *, lecture_id: str | None = None, keys: Sequence[str] = (), but: Sequence[str] = ()
    ) -> int:
        """Artefact rows of a lecture, or those pointing at ``keys`` outside the lectures ``but``."""
        condition = artefacts.c.lecture_id == lecture_id if lecture_id else artefacts.c.key.in_(list(keys))
        if but:
            condition = sa.and_(condition, artefacts.c.lecture_id.not_in(list(but)))
        with self._transaction("count of artefact rows") as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(artefacts).where(condition)).scalar_one()

    def mark_pruned(self, lecture_id: str, *, reason: str, now: datetime) -> int:
        """Drop a stale lecture's artefact rows and mark it PRUNED (unless a run moved it meanwhile); rows deleted."""
        with self._transaction(f"pruning of lecture {lecture_id}") as connection:
            deleted = connection.execute(artefacts.delete().where(artefacts.c.lecture_id == lecture_id)).rowcount
            connection.execute(
                lectures.update()
                .where(
                    lectures.c.id == lecture_id,
                    lectures.c.status.not_in(KEEP_STATUSES),
                    lectures.c.completed_at.is_(None),
                )
                .values(status=Status.PRUNED.value, error=reason, updated_at=now)
            )
        return deleted

    def mark_voice_deleted(self, speaker_id: str, *, keys: Sequence[str], now: datetime) -> int:
        """Drop the artefact rows pointing at a speaker's deleted voice and record when; rows deleted."""
        with self._transaction(f"deletion of the voice of speaker {speaker_id}") as connection:
            deleted = connection.execute(artefacts.delete().where(artefacts.c.key.in_(list(keys)))).rowcount
            connection.execute(
                speakers.update()
                .where(speakers.c.id == speaker_id)
                .values(voice_deleted_at=now, voice_key=None, voice_sha256=None, upload_sha256=None, updated_at=now)
            )
        return deleted
