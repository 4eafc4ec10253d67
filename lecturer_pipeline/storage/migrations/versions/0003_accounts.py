"""Studio accounts, speaker ownership and the append-only consent history.

- ``studio_users``: name, password hash (scrypt; NULL for a single-sign-on user), role (lecturer or admin).
- ``speaker_owners``: the account that created a speaker in the studio.
- ``consent_history``: one row per consent given — account, signed name, statement, time, voice fingerprint.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from lecturer_pipeline.storage.migrations.columns import moment, name, sha256, timestamps

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "studio_users",
        name("name", primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        *timestamps(),
    )
    op.create_table(
        "speaker_owners",
        name("speaker", primary_key=True),
        name("owner", nullable=False),
        moment("created_at", nullable=False),
    )
    op.create_index("ix_speaker_owners_owner", "speaker_owners", ["owner"])
    op.create_table(
        "consent_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        name("speaker", nullable=False),
        name("account", nullable=True),
        sa.Column("signed_name", sa.String(200), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        moment("given_at", nullable=False),
        sha256("voice_sha256", nullable=True),
        sa.Column("source", sa.Text, nullable=False),
    )
    op.create_index("ix_consent_history_speaker", "consent_history", ["speaker"])
