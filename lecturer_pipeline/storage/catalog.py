"""The catalog: lectures, speakers, artefacts and upload intake in SQL (SQLite by default, PostgreSQL in deployment).

SQLAlchemy Core, not an ORM: small tables read and written by the assets, the CLI and the operators' tools. The
script is stored here as TEXT; media only as keys into the object store. The schema is Alembic's (``migrate.py``),
applied when a catalog is opened. Every write of a row is one ``INSERT … ON CONFLICT`` statement, so runs writing the
same new row at once never collide; SQL lives here and in the mixins beside it (intake, prune, erasure), nowhere else.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from lecturer_pipeline.errors import StorageError
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.storage.catalog_erasure import ErasedRows, ErasureQueries
from lecturer_pipeline.storage.catalog_intake import IntakeQueries
from lecturer_pipeline.storage.catalog_prune import PruneQueries
from lecturer_pipeline.storage.migrate import upgrade
from lecturer_pipeline.storage.tables import Status, UploadState, artefacts, lectures, metadata, now_utc, speakers

__all__ = [
    "ArtefactRow",
    "Catalog",
    "ErasedRows",
    "Status",
    "UploadState",
    "artefacts",
    "lectures",
    "metadata",
    "speakers",
]

# What ``status`` prints: never the script (up to 60 k characters a lecture).
SUMMARY_COLUMNS = (lectures.c.id, lectures.c.status, lectures.c.stage, lectures.c.video_url, lectures.c.error)


@dataclass(frozen=True)
class ArtefactRow:
    lecture_id: str
    kind: str
    key: str
    sha256: str
    bytes: int
    duration: float | None
    input_hash: str | None
    details: dict[str, Any] | None


class Catalog(IntakeQueries, PruneQueries, ErasureQueries):
    """Reads and writes the tables; every database error becomes a StorageError naming what was attempted."""

    def __init__(self, url: str) -> None:
        self.url = url
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {"connect_timeout": 10}
        try:
            self.engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
            upgrade(self.engine)
        except SQLAlchemyError as error:
            raise StorageError(f"cannot open the catalog at {self.describe()}: {error}") from error

    def describe(self) -> str:
        """The database URL without its password."""
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def _run(self, action: str, statement: Any) -> sa.CursorResult:
        try:
            with self.engine.begin() as connection:
                return connection.execute(statement)
        except SQLAlchemyError as error:
            raise StorageError(f"catalog {action} failed at {self.describe()}: {error}") from error

    @contextmanager
    def _transaction(self, action: str) -> Iterator[sa.Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as error:
            raise StorageError(f"catalog {action} failed at {self.describe()}: {error}") from error

    def _insert(self, table: sa.Table) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    def _upsert_statement(self, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> Any:
        """One atomic insert-or-update of the row ``key`` (``INSERT … ON CONFLICT DO UPDATE``)."""
        statement = self._insert(table).values(**key, **values)
        changes = dict(values)
        for column in table.columns:  # ON CONFLICT does not fire SQLAlchemy's onupdate: set those columns here
            if column.onupdate is not None and column.name not in changes:
                changes[column.name] = now_utc()
        return statement.on_conflict_do_update(index_elements=list(key), set_=changes)

    def _upsert(self, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        self._run(f"write to {table.name}", self._upsert_statement(table, key, values))

    # lectures
    def upsert_lecture(self, lecture_id: str, **values: Any) -> None:
        """Create or update a lecture's row; a new row takes its course from the lecture ID."""
        statement = self._insert(lectures).values(id=lecture_id, **{"course": lecture_id.split("--", 1)[0], **values})
        changes = {"updated_at": now_utc(), **values}
        self._run("write to lectures", statement.on_conflict_do_update(index_elements=["id"], set_=changes))

    def insert_lecture_if_absent(self, lecture_id: str, **values: Any) -> bool:
        """Create a lecture's row unless one exists (an existing row is never changed); True if created."""
        values.setdefault("course", lecture_id.split("--", 1)[0])
        statement = self._insert(lectures).values(id=lecture_id, **values).on_conflict_do_nothing()
        return self._run("write to lectures", statement).rowcount == 1

    def insert_lectures_if_absent(self, rows: list[dict[str, Any]]) -> int:
        """``insert_lecture_if_absent`` for many lectures (each a dict with ``id``) in one transaction."""
        if not rows:
            return 0
        now = now_utc()
        values = [{"course": r["id"].split("--", 1)[0], "created_at": now, "updated_at": now, **r} for r in rows]
        statement = self._insert(lectures).on_conflict_do_nothing()
        with self._transaction("write to lectures") as connection:
            before = connection.execute(sa.select(sa.func.count()).select_from(lectures)).scalar_one()
            connection.execute(statement, values)
            return connection.execute(sa.select(sa.func.count()).select_from(lectures)).scalar_one() - before

    def get_lecture(self, lecture_id: str) -> dict[str, Any] | None:
        row = self._run("read", sa.select(lectures).where(lectures.c.id == lecture_id)).mappings().first()
        return dict(row) if row else None

    def list_lectures(self, course: str | None = None, *, speaker: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(lectures).order_by(lectures.c.id)
        if course:
            query = query.where(lectures.c.course == course)
        if speaker:
            query = query.where(lectures.c.speaker == speaker)
        return [dict(row) for row in self._run("read", query).mappings()]

    def lecture_summaries(
        self, *, course: str | None = None, status: str | None = None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """What ``status`` prints, streamed in ID order: only the columns it shows, served by the indexes."""
        query = sa.select(*SUMMARY_COLUMNS).order_by(lectures.c.id)
        if course:
            query = query.where(lectures.c.course == course)
        if status:
            query = query.where(lectures.c.status == status)
        if limit:
            query = query.limit(limit)
        try:
            with self.engine.connect() as connection:
                for row in connection.execution_options(yield_per=500).execute(query).mappings():
                    yield dict(row)
        except SQLAlchemyError as error:
            raise StorageError(f"catalog read of lectures failed at {self.describe()}: {error}") from error

    def lecture_ids(self, *, course: str, status: str | None = None) -> list[str]:
        query = sa.select(lectures.c.id).where(lectures.c.course == course).order_by(lectures.c.id)
        if status:
            query = query.where(lectures.c.status == status)
        return list(self._run("read", query).scalars())

    def set_status(
        self,
        lecture_id: str,
        status: Status,
        *,
        stage: str | None = None,
        error: str | None = None,
        run_id: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status.value, "error": error}
        if stage:
            values["stage"] = stage
        if run_id:
            values["run_id"] = run_id
        self._run("status update", lectures.update().where(lectures.c.id == lecture_id).values(**values))

    def mark_failed(self, lecture_id: str, course: str, stage: str, error: str, *, run_id: str | None = None) -> None:
        """Record a failure, creating the lecture's row if the failure came before its script was stored."""
        values = {"status": Status.FAILED.value, "stage": stage, "error": error, "run_id": run_id}
        self._upsert(lectures, {"id": lecture_id}, {"course": course, **values})

    def mark_published(self, lecture_id: str, *, video_url: str, run_id: str | None) -> None:
        """COMPLETED, with the URL and the time of publication (what prune reads to keep the lecture's media)."""
        values = {"status": Status.COMPLETED.value, "stage": Kind.PUBLISHED_LECTURE, "video_url": video_url}
        self.upsert_lecture(lecture_id, **values, error=None, run_id=run_id, completed_at=now_utc())

    # speakers
    def upsert_speaker(self, speaker_id: str, **values: Any) -> None:
        self._upsert(speakers, {"id": speaker_id}, values)

    def get_speaker(self, speaker_id: str) -> dict[str, Any] | None:
        row = self._run("read", sa.select(speakers).where(speakers.c.id == speaker_id)).mappings().first()
        return dict(row) if row else None

    @contextmanager
    def speaker_lock(self, speaker_id: str) -> Iterator[None]:
        """Hold the speaker exclusively across processes (voice ingestion: one run seals a new voice, the lectures
        started beside it wait and then reuse it): a PostgreSQL advisory lock, or a file lock beside a SQLite file."""
        number = int.from_bytes(hashlib.sha256(f"speaker:{speaker_id}".encode()).digest()[:8], "big", signed=True)
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as connection:
                connection.execute(sa.select(sa.func.pg_advisory_lock(number)))
                connection.commit()
                try:
                    yield
                finally:
                    connection.execute(sa.select(sa.func.pg_advisory_unlock(number)))
                    connection.commit()
            return
        folder = Path(self.engine.url.database or ".").resolve().parent / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"speaker-{speaker_id}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # artefacts
    def record_artefact(self, row: ArtefactRow) -> None:
        values = {k: v for k, v in row.__dict__.items() if k not in {"lecture_id", "kind"}}
        self._upsert(artefacts, {"lecture_id": row.lecture_id, "kind": row.kind}, values)

    def get_artefact(self, lecture_id: str, kind: str) -> ArtefactRow | None:
        query = sa.select(artefacts).where(artefacts.c.lecture_id == lecture_id, artefacts.c.kind == kind)
        row = self._run("read", query).mappings().first()
        if not row:
            return None
        return ArtefactRow(**{k: row[k] for k in ArtefactRow.__dataclass_fields__})

    def dispose(self) -> None:
        self.engine.dispose()


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime: SQLite hands back naive values (stored as UTC), PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
