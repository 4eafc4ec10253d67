"""Nightly pruning: unfinished lectures that went stale, and reference voices past their retention period.

A lecture that neither completed nor moved for ``stale_days`` holds media nobody will publish: its generated objects
and artefact rows go, its row stays (marked PRUNED, with the reason) so operators can still see what happened.
COMPLETED lectures are never touched. A speaker's sealed voice and profile go once ``delete_after`` (set when the voice
was ingested, DESIGN.md §4 LECTURER_VOICE_RETENTION_DAYS) has passed, as the speaker's consent promised; the speaker
row records when, so a later lecture can tell the operator to upload the voice again.

Objects are deleted before the catalog is updated, so a crash half-way leaves rows that the next run finds again and
finishes — never a row claiming deletion while the media is still stored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from lecturer_pipeline.errors import StorageError
from lecturer_pipeline.storage.catalog import Catalog, Status, artefacts, lectures, speakers
from lecturer_pipeline.storage.layout import reference_voice_key, speaker_profile_key
from lecturer_pipeline.storage.objects import ObjectStore

VOICE_KINDS = ("reference_voice", "speaker_embed")
_KEEP = (Status.COMPLETED.value, Status.PRUNED.value)


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime: SQLite hands back naive values (stored as UTC), PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def lecture_prefixes(lecture_id: str) -> tuple[str, ...]:
    """Every folder a lecture's generated media lives under (DESIGN.md §3); the trailing slash keeps
    ``cs101--intro`` from matching ``cs101--intro-2``."""
    return tuple(f"generated/{kind}/{lecture_id}/" for kind in ("audio", "video", "captions", "lms"))


def voice_keys(speaker: str) -> tuple[str, str]:
    """The speaker's sealed reference voice and the profile built from it."""
    return reference_voice_key(speaker), speaker_profile_key(speaker)


@dataclass(frozen=True)
class PrunedItem:
    """One lecture or speaker whose objects were (or, in a dry run, would be) deleted."""

    owner: str
    keys: tuple[str, ...]
    bytes: int
    reason: str


@dataclass
class PruneReport:
    """What one prune run deleted — or, with ``dry_run``, would delete."""

    now: datetime
    stale_days: int
    dry_run: bool = False
    lectures: list[PrunedItem] = field(default_factory=list)
    voices: list[PrunedItem] = field(default_factory=list)
    artefact_rows: int = 0

    @property
    def lecture_ids(self) -> list[str]:
        return [item.owner for item in self.lectures]

    @property
    def speaker_ids(self) -> list[str]:
        return [item.owner for item in self.voices]

    @property
    def lecture_keys(self) -> list[str]:
        return [key for item in self.lectures for key in item.keys]

    @property
    def voice_keys(self) -> list[str]:
        return [key for item in self.voices for key in item.keys]

    @property
    def lecture_bytes(self) -> int:
        return sum(item.bytes for item in self.lectures)

    @property
    def voice_bytes(self) -> int:
        return sum(item.bytes for item in self.voices)

    @property
    def objects_deleted(self) -> int:
        return len(self.lecture_keys) + len(self.voice_keys)

    @property
    def bytes_freed(self) -> int:
        return self.lecture_bytes + self.voice_bytes

    def as_metadata(self) -> dict[str, int | str | float]:
        """Flat numbers for run metadata, so operators can chart what each night freed."""
        return {
            "dry_run": self.dry_run,
            "now": self.now.isoformat(),
            "stale_days": self.stale_days,
            "lectures_pruned": len(self.lectures),
            "lecture_objects_deleted": len(self.lecture_keys),
            "lecture_bytes_freed": self.lecture_bytes,
            "voices_deleted": len(self.voices),
            "voice_objects_deleted": len(self.voice_keys),
            "voice_bytes_freed": self.voice_bytes,
            "objects_deleted": self.objects_deleted,
            "bytes_freed": self.bytes_freed,
            "artefact_rows_deleted": self.artefact_rows,
        }

    def as_markdown(self) -> str:
        """The listing an operator reads before (dry run) or after pruning: each owner, why, and its keys."""
        verb = "Would delete" if self.dry_run else "Deleted"
        lines = [f"**{verb}** {self.objects_deleted} objects, {self.bytes_freed} bytes."]
        for title, items in (("Stale lectures", self.lectures), ("Expired voices", self.voices)):
            lines.append(f"\n### {title} ({len(items)})")
            lines += [_item_markdown(item) for item in items] or ["- none"]
        return "\n".join(lines)


def _item_markdown(item: PrunedItem) -> str:
    keys = "".join(f"\n  - `{key}`" for key in item.keys) or "\n  - (no objects)"
    return f"- **{item.owner}** — {item.reason}; {item.bytes} bytes{keys}"


def voice_deleted_message(speaker: str, deleted_at: datetime, *, retention_days: int) -> str:
    """What a lecture that needs a pruned voice tells its operator: what happened, and the one fix."""
    return (
        f"the reference voice of speaker {speaker} was deleted on {utc(deleted_at):%Y-%m-%d} after the "
        f"{retention_days}-day retention period; upload 10–30 s of their speech again to uploads/voice/{speaker}.wav"
    )


@contextmanager
def _transaction(catalog: Catalog, action: str) -> Iterator[sa.Connection]:
    """One transaction on the catalog, with database errors reported as StorageError like Catalog's own."""
    try:
        with catalog.engine.begin() as connection:
            yield connection
    except SQLAlchemyError as error:
        raise StorageError(f"catalog {action} failed at {catalog.describe()}: {error}") from error


def _stale_lectures(catalog: Catalog, cutoff: datetime, skip: Collection[str]) -> list[dict[str, Any]]:
    query = (
        sa.select(lectures.c.id, lectures.c.status, lectures.c.updated_at)
        .where(lectures.c.status.not_in(_KEEP), lectures.c.updated_at < cutoff)
        .order_by(lectures.c.id)
    )
    with _transaction(catalog, "read of stale lectures") as connection:
        rows = [dict(row) for row in connection.execute(query).mappings()]
    return [row for row in rows if row["id"] not in skip and utc(row["updated_at"]) < cutoff]


def _expired_speakers(catalog: Catalog, now: datetime) -> list[dict[str, Any]]:
    query = (
        sa.select(speakers.c.id, speakers.c.delete_after)
        .where(speakers.c.delete_after < now, speakers.c.voice_deleted_at.is_(None))
        .order_by(speakers.c.id)
    )
    with _transaction(catalog, "read of expired voices") as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def _collect(store: ObjectStore, prefixes: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """The keys under ``prefixes`` and their total size."""
    found = [info for prefix in prefixes for info in store.list(prefix)]
    return tuple(info.key for info in found), sum(info.size for info in found)


def _present(store: ObjectStore, keys: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """Those of ``keys`` that exist, and their total size."""
    found = [info for info in (store.stat(key) for key in keys) if info is not None]
    return tuple(info.key for info in found), sum(info.size for info in found)


def _count(catalog: Catalog, condition: sa.ColumnElement[bool]) -> int:
    with _transaction(catalog, "count of artefact rows") as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(artefacts).where(condition)).scalar_one()


def _lecture_reason(row: dict[str, Any], now: datetime, stale_days: int) -> str:
    return (
        f"pruned on {now:%Y-%m-%d}: status {row['status']} and no progress since {utc(row['updated_at']):%Y-%m-%d}, "
        f"more than {stale_days} days; its generated media were deleted — submit the lecture again to rebuild it"
    )


def _prune_lecture(
    store: ObjectStore, catalog: Catalog, row: dict[str, Any], *, now: datetime, stale_days: int, dry_run: bool
) -> tuple[PrunedItem, int]:
    """Delete one stale lecture's media and artefact rows and mark it PRUNED; returns the item and rows deleted."""
    lecture_id = row["id"]
    keys, size = _collect(store, lecture_prefixes(lecture_id))
    reason = _lecture_reason(row, now, stale_days)
    item = PrunedItem(owner=lecture_id, keys=keys, bytes=size, reason=reason)
    if dry_run:
        return item, _count(catalog, artefacts.c.lecture_id == lecture_id)
    for key in keys:
        store.delete(key)
    with _transaction(catalog, f"pruning of lecture {lecture_id}") as connection:
        deleted = connection.execute(artefacts.delete().where(artefacts.c.lecture_id == lecture_id)).rowcount
        connection.execute(
            lectures.update()
            .where(lectures.c.id == lecture_id, lectures.c.status.not_in(_KEEP))
            .values(status=Status.PRUNED.value, error=reason, updated_at=now)
        )
    return item, deleted


def _prune_voice(
    store: ObjectStore,
    catalog: Catalog,
    row: dict[str, Any],
    *,
    now: datetime,
    dry_run: bool,
    pruned_lectures: Collection[str] = (),
) -> tuple[PrunedItem, int]:
    """Delete one speaker's sealed voice and profile, the artefact rows that point at them, and record it.

    A dry run does not count rows of ``pruned_lectures``: the real run would already have deleted them.
    """
    speaker = row["id"]
    owned = voice_keys(speaker)
    keys, size = _present(store, owned)
    reason = f"retention period ended on {utc(row['delete_after']):%Y-%m-%d}"
    item = PrunedItem(owner=speaker, keys=keys, bytes=size, reason=reason)
    pointing = sa.and_(artefacts.c.kind.in_(VOICE_KINDS), artefacts.c.key.in_(owned))
    if dry_run:
        return item, _count(catalog, sa.and_(pointing, artefacts.c.lecture_id.not_in(pruned_lectures)))
    for key in keys:
        store.delete(key)
    with _transaction(catalog, f"deletion of the voice of speaker {speaker}") as connection:
        deleted = connection.execute(artefacts.delete().where(pointing)).rowcount
        connection.execute(
            speakers.update()
            .where(speakers.c.id == speaker)
            .values(voice_deleted_at=now, voice_key=None, voice_sha256=None, upload_sha256=None, updated_at=now)
        )
    return item, deleted


def prune(
    store: ObjectStore,
    catalog: Catalog,
    *,
    now: datetime,
    stale_days: int,
    dry_run: bool = False,
    skip: Collection[str] = (),
) -> PruneReport:
    """Prune stale unfinished lectures and expired voices as of ``now``; ``dry_run`` lists without changing anything.

    ``skip`` names lectures to leave alone whatever their age (the caller passes those with a run in progress).
    The report's ``lecture_ids`` are the lectures whose Dagster partitions the caller should now delete.
    """
    now = utc(now)
    report = PruneReport(now=now, stale_days=stale_days, dry_run=dry_run)
    for row in _stale_lectures(catalog, now - timedelta(days=stale_days), set(skip)):
        item, rows = _prune_lecture(store, catalog, row, now=now, stale_days=stale_days, dry_run=dry_run)
        report.lectures.append(item)
        report.artefact_rows += rows
    for row in _expired_speakers(catalog, now):
        item, rows = _prune_voice(store, catalog, row, now=now, dry_run=dry_run, pruned_lectures=report.lecture_ids)
        report.voices.append(item)
        report.artefact_rows += rows
    return report
