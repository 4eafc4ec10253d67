"""The catalog's schema: lectures, speakers, artefacts and the upload intake, as SQLAlchemy Core tables.

These describe the schema at the newest migration (``migrations/versions``); the migrations, not ``create_all``,
build and change real databases, so a column added here needs a migration beside it. The column factories
(``name``, ``lecture_id``, ``sha256``, ``moment``, ``timestamps``) are the migrations' own, so both spell a type alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa

from lecturer_pipeline.storage.migrations.columns import lecture_id, moment, name, sha256, timestamps
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
    lecture_id("id", primary_key=True),
    name("course", nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False, default=""),
    name("speaker", nullable=True, index=True),
    sa.Column("language", sa.String(16), nullable=False, default=DEFAULT_LANGUAGE),
    sa.Column("status", sa.String(24), nullable=False, default=Status.PENDING.value),
    sa.Column("stage", sa.String(32), nullable=True),
    sa.Column("script", sa.Text, nullable=True),
    sha256("script_sha256", nullable=True),
    sa.Column("script_source", sa.String(16), nullable=True),
    sha256("script_input_hash", nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),  # the Dagster run that last set the status
    sa.Column("video_url", sa.Text, nullable=True),
    sha256("upload_sha256", nullable=True),  # the upload content the script was read from
    moment("completed_at", nullable=True),  # last publication; prune keeps its media
    *timestamps(now_utc),
    sa.Index("ix_lectures_status_id", "status", "id"),
    sa.Index("ix_lectures_status_updated", "status", "updated_at"),
)

speakers = sa.Table(
    "speakers",
    metadata,
    name("id", primary_key=True),
    sa.Column("voice_key", sa.Text, nullable=True),
    sha256("upload_sha256", nullable=True),
    sha256("voice_sha256", nullable=True),
    sa.Column("voice_seconds", sa.Float, nullable=True),
    sa.Column("consent", sa.JSON, nullable=True),
    moment("delete_after", nullable=True),
    moment("voice_deleted_at", nullable=True),
    *timestamps(now_utc),
)

artefacts = sa.Table(
    "artefacts",
    metadata,
    lecture_id("lecture_id", primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
    sha256("sha256", nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("duration", sa.Float, nullable=True),
    sha256("input_hash", nullable=True),
    sa.Column("details", sa.JSON, nullable=True),
    moment("created_at", nullable=False, default=now_utc, onupdate=now_utc),
    sa.Index("ix_artefacts_key", "key"),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("etag", sa.String(128), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sha256("sha256", nullable=True),
    lecture_id("lecture_id", nullable=True, index=True),
    name("course", nullable=True),
    name("speaker", nullable=True),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("run_key", sa.String(240), nullable=True),
    moment("first_seen", nullable=False, default=now_utc),
    moment("last_seen", nullable=False, default=now_utc, onupdate=now_utc),
)

# Studio accounts, speaker ownership and the append-only consent history (read and written by ``storage.accounts``).
studio_users = sa.Table(
    "studio_users",
    metadata,
    name("name", primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("role", sa.String(16), nullable=False, default="lecturer"),
    *timestamps(now_utc),
)

speaker_owners = sa.Table(
    "speaker_owners",
    metadata,
    name("speaker", primary_key=True),
    name("owner", nullable=False, index=True),
    moment("created_at", nullable=False, default=now_utc),
)

consent_history = sa.Table(
    "consent_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    name("speaker", nullable=False, index=True),
    name("account", nullable=True),  # the studio login that signed; NULL from the command line
    sa.Column("signed_name", sa.String(200), nullable=False),
    sa.Column("statement", sa.Text, nullable=False),
    moment("given_at", nullable=False),
    sha256("voice_sha256", nullable=True),  # NULL: given for the next new voice (CLI, manifest)
    sa.Column("source", sa.Text, nullable=False),
)
