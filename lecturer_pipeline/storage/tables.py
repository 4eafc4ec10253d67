"""The catalog's schema: lectures, speakers, artefacts and the upload intake, as SQLAlchemy Core tables.

These describe the schema at the newest migration (``migrations/versions``); the migrations, not ``create_all``,
build and change real databases, so a column added here needs a migration beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa

from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE

metadata = sa.MetaData()


def now_utc() -> datetime:
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


class UploadState(StrEnum):
    """What intake decided about one lecture upload (one row of ``uploads``)."""

    ACCEPTED = "accepted"  # a lecture run was requested for this content
    WAITING = "waiting"  # its speaker lacks a voice or portrait; looked at again when the speaker's files change
    REFUSED = "refused"  # malformed; reported once, looked at again only when the upload changes


lectures = sa.Table(
    "lectures",
    metadata,
    sa.Column("id", sa.String(160), primary_key=True),
    sa.Column("course", sa.String(64), nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("speaker", sa.String(64), nullable=True, index=True),
    sa.Column("language", sa.String(16), nullable=False, default=DEFAULT_LANGUAGE),
    sa.Column("status", sa.String(24), nullable=False, default=Status.PENDING.value),
    sa.Column("stage", sa.String(32), nullable=True),
    sa.Column("script", sa.Text, nullable=True),
    sa.Column("script_sha256", sa.String(64), nullable=True),
    sa.Column("script_source", sa.String(16), nullable=True),
    sa.Column("script_input_hash", sa.String(64), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),  # the Dagster run that last set the status
    sa.Column("video_url", sa.Text, nullable=True),
    sa.Column("upload_sha256", sa.String(64), nullable=True),  # the upload content the script was read from
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),  # last publication; prune keeps its media
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=now_utc),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, default=now_utc, onupdate=now_utc),
    sa.Index("ix_lectures_status_id", "status", "id"),
    sa.Index("ix_lectures_status_updated", "status", "updated_at"),
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
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=now_utc),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, default=now_utc, onupdate=now_utc),
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
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=now_utc, onupdate=now_utc),
    sa.Index("ix_artefacts_key", "key"),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("etag", sa.String(128), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("lecture_id", sa.String(160), nullable=True, index=True),
    sa.Column("course", sa.String(64), nullable=True),
    sa.Column("speaker", sa.String(64), nullable=True),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("run_key", sa.String(240), nullable=True),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False, default=now_utc),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False, default=now_utc, onupdate=now_utc),
)

# Studio accounts, speaker ownership and the append-only consent history (read and written by ``storage.accounts``).
studio_users = sa.Table(
    "studio_users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("role", sa.String(16), nullable=False, default="lecturer"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=now_utc),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, default=now_utc, onupdate=now_utc),
)

speaker_owners = sa.Table(
    "speaker_owners",
    metadata,
    sa.Column("speaker", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=now_utc),
)

consent_history = sa.Table(
    "consent_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("speaker", sa.String(64), nullable=False, index=True),
    sa.Column("account", sa.String(64), nullable=True),  # the studio login that signed; NULL from the command line
    sa.Column("signed_name", sa.String(200), nullable=False),
    sa.Column("statement", sa.Text, nullable=False),
    sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("voice_sha256", sa.String(64), nullable=True),  # NULL: given for the next new voice (CLI, manifest)
    sa.Column("source", sa.Text, nullable=False),
)
