"""The catalog: lectures, speakers and artefacts in SQL (SQLite by default, PostgreSQL in deployment).

SQLAlchemy Core, not an ORM: three small tables read and written by the assets, the CLI and the operators' tools.
The script is stored here as TEXT; media only as keys into the object store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from lecturer_pipeline.errors import StorageError

metadata = sa.MetaData()


def _now() -> datetime:
    return datetime.now(UTC)


class Status(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    PRUNED = "PRUNED"
    ERASED = "ERASED"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    NEEDS_REVIEW = "NEEDS_REVIEW"  # generated media failed its quality checks twice; see its quality report


lectures = sa.Table(
    "lectures",
    metadata,
    sa.Column("id", sa.String(160), primary_key=True),
    sa.Column("course", sa.String(64), nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("speaker", sa.String(64), nullable=True, index=True),
    sa.Column("language", sa.String(16), nullable=False, default="en-us"),
    sa.Column("status", sa.String(24), nullable=False, default=Status.PENDING.value),
    sa.Column("stage", sa.String(32), nullable=True),
    sa.Column("script", sa.Text, nullable=True),
    sa.Column("script_sha256", sa.String(64), nullable=True),
    sa.Column("script_source", sa.String(16), nullable=True),
    sa.Column("script_input_hash", sa.String(64), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),  # the Dagster run that last set the status
    sa.Column("video_url", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=_now),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, default=_now, onupdate=_now),
)

speakers = sa.Table(
    "speakers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("voice_key", sa.Text, nullable=True),
    sa.Column("upload_sha256", sa.String(64), nullable=True),
    sa.Column("voice_sha256", sa.String(64), nullable=True),
    sa.Column("voice_seconds", sa.Float, nullable=True),
    sa.Column("consent", sa.JSON, nullable=True),
    sa.Column("delete_after", sa.DateTime(timezone=True), nullable=True),
    sa.Column("voice_deleted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=_now),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, default=_now, onupdate=_now),
)

artefacts = sa.Table(
    "artefacts",
    metadata,
    sa.Column("lecture_id", sa.String(160), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("duration", sa.Float, nullable=True),
    sa.Column("input_hash", sa.String(64), nullable=True),
    sa.Column("details", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=_now, onupdate=_now),
)


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


class Catalog:
    """Reads and writes the three tables; every database error becomes a StorageError naming what was attempted."""

    def __init__(self, url: str) -> None:
        self.url = url
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {"connect_timeout": 10}
        try:
            self.engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
            metadata.create_all(self.engine)
            self._add_missing_columns()
        except SQLAlchemyError as error:
            raise StorageError(f"cannot open the catalog at {self.describe()}: {error}") from error

    def _add_missing_columns(self) -> None:
        """Bring a catalog made by an earlier version up to date: ``create_all`` creates missing tables but never
        adds columns, and every column added since the first release is nullable, so ``ADD COLUMN`` suffices."""
        inspector = sa.inspect(self.engine)
        with self.engine.begin() as connection:
            for table in metadata.sorted_tables:
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in present and column.nullable:
                        kind = column.type.compile(dialect=self.engine.dialect)
                        connection.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))

    def describe(self) -> str:
        """The database URL without its password."""
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def _run(self, action: str, statement: Any) -> sa.CursorResult:
        try:
            with self.engine.begin() as connection:
                return connection.execute(statement)
        except SQLAlchemyError as error:
            raise StorageError(f"catalog {action} failed at {self.describe()}: {error}") from error

    def _upsert(self, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        """Insert or update one row; a transaction per call keeps each stage's record atomic."""
        condition = sa.and_(*(table.c[name] == value for name, value in key.items()))
        try:
            with self.engine.begin() as connection:
                exists = connection.execute(sa.select(sa.literal(1)).select_from(table).where(condition)).first()
                if exists:
                    connection.execute(table.update().where(condition).values(**values))
                else:
                    connection.execute(table.insert().values(**key, **values))
        except SQLAlchemyError as error:
            raise StorageError(f"catalog write to {table.name} failed at {self.describe()}: {error}") from error

    # lectures
    def upsert_lecture(self, lecture_id: str, **values: Any) -> None:
        self._upsert(lectures, {"id": lecture_id}, values)

    def get_lecture(self, lecture_id: str) -> dict[str, Any] | None:
        row = self._run("read", sa.select(lectures).where(lectures.c.id == lecture_id)).mappings().first()
        return dict(row) if row else None

    def list_lectures(self, course: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(lectures).order_by(lectures.c.id)
        if course:
            query = query.where(lectures.c.course == course)
        return [dict(row) for row in self._run("read", query).mappings()]

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
        values: dict[str, Any] = {"status": Status.FAILED.value, "stage": stage, "error": error, "run_id": run_id}
        if self.get_lecture(lecture_id) is None:
            values["course"] = course
        self.upsert_lecture(lecture_id, **values)

    # speakers
    def upsert_speaker(self, speaker_id: str, **values: Any) -> None:
        self._upsert(speakers, {"id": speaker_id}, values)

    def get_speaker(self, speaker_id: str) -> dict[str, Any] | None:
        row = self._run("read", sa.select(speakers).where(speakers.c.id == speaker_id)).mappings().first()
        return dict(row) if row else None

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

    def list_artefacts(self, lecture_id: str) -> list[ArtefactRow]:
        query = sa.select(artefacts).where(artefacts.c.lecture_id == lecture_id).order_by(artefacts.c.kind)
        return [
            ArtefactRow(**{k: r[k] for k in ArtefactRow.__dataclass_fields__})
            for r in self._run("read", query).mappings()
        ]

    def dispose(self) -> None:
        self.engine.dispose()
