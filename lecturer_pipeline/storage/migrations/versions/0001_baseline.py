"""Baseline: the schema of the last release before Alembic (lectures, speakers, artefacts).

A new database gets the three tables. A catalog made before Alembic has them already, perhaps without columns added
since its first release; the hand-written migration of those releases only ever added nullable columns, so adding
the missing ones brings any of them to this baseline.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from lecturer_pipeline.storage.migrations.columns import lecture_id, moment, name, sha256, timestamps

revision = "0001"
down_revision = None


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    return [
        sa.Table(
            "lectures",
            metadata,
            lecture_id("id", primary_key=True),
            name("course", nullable=False, index=True),
            sa.Column("title", sa.Text, nullable=False),
            name("speaker", nullable=True, index=True),
            sa.Column("language", sa.String(16), nullable=False),
            sa.Column("status", sa.String(24), nullable=False),
            sa.Column("stage", sa.String(32), nullable=True),
            sa.Column("script", sa.Text, nullable=True),
            sha256("script_sha256", nullable=True),
            sa.Column("script_source", sa.String(16), nullable=True),
            sha256("script_input_hash", nullable=True),
            sa.Column("error", sa.Text, nullable=True),
            sa.Column("run_id", sa.String(64), nullable=True),
            sa.Column("video_url", sa.Text, nullable=True),
            *timestamps(),
        ),
        sa.Table(
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
            *timestamps(),
        ),
        sa.Table(
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
            moment("created_at", nullable=False),
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    present = set(inspector.get_table_names())
    for table in _tables(sa.MetaData()):
        if table.name not in present:
            table.create(bind)
            continue
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns and column.nullable:
                op.add_column(table.name, sa.Column(column.name, column.type, nullable=True))
