"""The catalog's column types, one factory each, shared by the migrations and ``storage/tables.py``.

A migration freezes the schema it builds, so what a factory here makes must never change: each is a primitive (a
name is ``String(64)``, a lecture ID ``String(160)``, a sha256 a 64-character hex digest, a moment a time-zone aware
DateTime), and a column that needs another type gets a migration and, if it is a new kind of value, a new factory.
The lengths are written here rather than taken from ``ids.py``, whose limits may change without changing a schema.
Keyword arguments go to ``sa.Column`` as they are (``nullable``, ``primary_key``, ``index``, ``default``, …).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa


def name(column: str, **options: Any) -> sa.Column:
    """A course, speaker or account name (``ids.normalise_name`` holds them to 64 characters)."""
    return sa.Column(column, sa.String(64), **options)


def lecture_id(column: str, **options: Any) -> sa.Column:
    """A lecture ID, ``<course>--<lecture>``: two names and the separator, with room to spare."""
    return sa.Column(column, sa.String(160), **options)


def sha256(column: str, **options: Any) -> sa.Column:
    """A sha256 as 64 hex digits (of content, or of what an artefact was made from)."""
    return sa.Column(column, sa.String(64), **options)


def moment(column: str, **options: Any) -> sa.Column:
    """A point in time, stored with its time zone (the catalog writes UTC)."""
    return sa.Column(column, sa.DateTime(timezone=True), **options)


def timestamps(default: Callable[[], datetime] | None = None) -> tuple[sa.Column, sa.Column]:
    """``created_at`` and ``updated_at``, never NULL. ``tables.py`` passes ``now_utc``, which a new row takes for both
    and an update for ``updated_at``; the migrations pass nothing, as such a default is Python's, not the database's."""
    return (
        moment("created_at", nullable=False, default=default),
        moment("updated_at", nullable=False, default=default, onupdate=default),
    )
