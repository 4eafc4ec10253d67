"""Intake state in the catalog, publication kept on the lecture, and the indexes status and prune need.

- ``uploads``: one row per lecture upload (ETag, size, sha256, lecture, state, reason), so the upload sensor's cursor
  stays O(1) and a tick reads only new or changed uploads.
- ``lectures.completed_at`` (last publication: prune never deletes a published lecture's media) and
  ``lectures.upload_sha256`` (the upload content the script came from). Lectures already COMPLETED count as
  published at their last update.
- Indexes: lectures by status (and id, for ``status --status``; and age, for prune), artefacts by key.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from lecturer_pipeline.storage.migrations.columns import lecture_id, moment, name, sha256

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("lectures") as batch:
        batch.add_column(sha256("upload_sha256", nullable=True))
        batch.add_column(moment("completed_at", nullable=True))
    op.execute("UPDATE lectures SET completed_at = updated_at WHERE status = 'COMPLETED'")
    op.create_index("ix_lectures_status_id", "lectures", ["status", "id"])
    op.create_index("ix_lectures_status_updated", "lectures", ["status", "updated_at"])
    op.create_index("ix_artefacts_key", "artefacts", ["key"])
    op.create_table(
        "uploads",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("etag", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sha256("sha256", nullable=True),
        lecture_id("lecture_id", nullable=True),
        name("course", nullable=True),
        name("speaker", nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("run_key", sa.String(240), nullable=True),
        moment("first_seen", nullable=False),
        moment("last_seen", nullable=False),
    )
    op.create_index("ix_uploads_lecture_id", "uploads", ["lecture_id"])
    op.create_index("ix_uploads_state", "uploads", ["state"])
