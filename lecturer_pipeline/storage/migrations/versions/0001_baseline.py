"""Baseline: the schema of the last release before Alembic (lectures, speakers, artefacts).

A new database gets the three tables. A catalog made before Alembic has them already, perhaps without columns added
since its first release; the hand-written migration of those releases only ever added nullable columns, so adding
the missing ones brings any of them to this baseline.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    when = {"timezone": True}
    return [
        sa.Table(
            "lectures",
            metadata,
            sa.Column("id", sa.String(160), primary_key=True),
            sa.Column("course", sa.String(64), nullable=False, index=True),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("speaker", sa.String(64), nullable=True, index=True),
            sa.Column("language", sa.String(16), nullable=False),
            sa.Column("status", sa.String(24), nullable=False),
            sa.Column("stage", sa.String(32), nullable=True),
            sa.Column("script", sa.Text, nullable=True),
            sa.Column("script_sha256", sa.String(64), nullable=True),
            sa.Column("script_source", sa.String(16), nullable=True),
            sa.Column("script_input_hash", sa.String(64), nullable=True),
            sa.Column("error", sa.Text, nullable=True),
            sa.Column("run_id", sa.String(64), nullable=True),
            sa.Column("video_url", sa.Text, nullable=True),
            sa.Column("created_at", sa.DateTime(**when), nullable=False),
            sa.Column("updated_at", sa.DateTime(**when), nullable=False),
        ),
        sa.Table(
            "speakers",
            metadata,
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("voice_key", sa.Text, nullable=True),
            sa.Column("upload_sha256", sa.String(64), nullable=True),
            sa.Column("voice_sha256", sa.String(64), nullable=True),
            sa.Column("voice_seconds", sa.Float, nullable=True),
            sa.Column("consent", sa.JSON, nullable=True),
            sa.Column("delete_after", sa.DateTime(**when), nullable=True),
            sa.Column("voice_deleted_at", sa.DateTime(**when), nullable=True),
            sa.Column("created_at", sa.DateTime(**when), nullable=False),
            sa.Column("updated_at", sa.DateTime(**when), nullable=False),
        ),
        sa.Table(
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
            sa.Column("created_at", sa.DateTime(**when), nullable=False),
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
