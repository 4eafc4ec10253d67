"""The catalog's intake queries: what is known of each lecture upload (``uploads``), read by the upload sensor and
written by the intake run.

The sensor reads these rows to tell new and changed uploads from known ones by the listing's ETag and size alone,
without reading the objects; only a run writes them (``record_uploads``), so a sensor preview or a reset cursor
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lecturer_pipeline.storage.tables import lectures, now_utc, uploads

_IN_BATCH = 500  # ids per IN (...) list


@dataclass(frozen=True)
class UploadRow:
    """One upload as intake last recorded it."""

    key: str
    etag: str
    size: int
    sha256: str | None
    state: str
    lecture_id: str | None
    course: str | None
    speaker: str | None
    reason: str | None = None
    run_key: str | None = None


class IntakeQueries:
    """Mixed into ``Catalog`` (which provides ``_run``, ``_insert`` and ``_transaction``)."""

    def upload_rows(self) -> dict[str, UploadRow]:
        """Every recorded upload, by key (small columns only: one row is ~200 bytes)."""
        columns = [uploads.c[name] for name in UploadRow.__dataclass_fields__]
        result = self._run("read of uploads", sa.select(*columns))
        return {row.key: UploadRow(**row._asdict()) for row in result}

    def upload_row(self, key: str) -> UploadRow | None:
        columns = [uploads.c[name] for name in UploadRow.__dataclass_fields__]
        row = self._run("read of uploads", sa.select(*columns).where(uploads.c.key == key)).first()
        return UploadRow(**row._asdict()) if row else None

    def record_uploads(self, rows: Sequence[UploadRow]) -> None:
        """Insert or update the rows in one transaction; ``first_seen`` keeps the first time an upload was recorded."""
        if not rows:
            return
        now = now_utc()
        statement = self._insert(uploads)
        changes = {name: statement.excluded[name] for name in UploadRow.__dataclass_fields__ if name != "key"}
        statement = statement.on_conflict_do_update(index_elements=["key"], set_={**changes, "last_seen": now})
        values = [{**row.__dict__, "first_seen": now, "last_seen": now} for row in rows]
        with self._transaction("write to uploads") as connection:
            connection.execute(statement, values)

    def forget_uploads(self, keys: Iterable[str]) -> int:
        """Drop the rows of uploads that no longer exist (the intake run tidies them)."""
        keys = list(keys)
        deleted = 0
        with self._transaction("delete from uploads") as connection:
            for start in range(0, len(keys), _IN_BATCH):
                batch = keys[start : start + _IN_BATCH]
                deleted += connection.execute(uploads.delete().where(uploads.c.key.in_(batch))).rowcount
        return deleted

    def upload_speakers(self, course: str | None = None) -> dict[str, str | None]:
        """Lecture ID -> the speaker its upload names, for uploads intake has read (of one course, or all)."""
        query = sa.select(uploads.c.lecture_id, uploads.c.speaker).where(uploads.c.lecture_id.is_not(None))
        if course:
            query = query.where(uploads.c.course == course)
        return {row.lecture_id: row.speaker for row in self._run("read of uploads", query)}

    def lecture_states(self, lecture_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Status and upload hash of each of these lectures that has a row."""
        ids = sorted(set(lecture_ids))
        found: dict[str, dict[str, Any]] = {}
        query = sa.select(lectures.c.id, lectures.c.status, lectures.c.upload_sha256)
        with self._transaction("read of lectures") as connection:
            for start in range(0, len(ids), _IN_BATCH):
                batch = query.where(lectures.c.id.in_(ids[start : start + _IN_BATCH]))
                found.update({row.id: row._asdict() for row in connection.execute(batch)})
        return found
