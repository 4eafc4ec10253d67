"""Nightly pruning: unfinished lectures that went stale, and reference voices past their retention period.

A lecture that was never published and did not move for ``stale_days`` holds media nobody will publish: its
generated objects and artefact rows go, its row stays (marked PRUNED, with the reason) so operators can still see what
happened. A lecture that has ever been COMPLETED is never pruned — whatever a later run left in its status — so its
published media stay. A speaker's sealed voice and profile go once ``delete_after`` (set when the voice was ingested,
LECTURER_VOICE_RETENTION_DAYS) has passed, as the speaker's consent promised; the speaker row records when, so a later
lecture can tell the operator to upload the voice again.

At a university's size a night may find thousands of lectures: objects go in batches (S3 DeleteObjects, 1,000 keys a
request, no HEAD first), the report keeps counts and the first 100 keys of each lecture, and one night prunes at most
``max_lectures`` (the oldest first), leaving the rest for the next. Objects are deleted before the catalog is
updated, so a crash half-way leaves rows that the next run finds again and finishes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lecturer_pipeline.stages.voice import voice_deleted_message
from lecturer_pipeline.storage.catalog import Catalog, utc
from lecturer_pipeline.storage.layout import generated_prefixes, reference_voice_key, speaker_profile_key
from lecturer_pipeline.storage.objects import ObjectStore

LISTED_KEYS = 100  # keys per lecture or speaker kept in the report
DEFAULT_MAX_LECTURES = 500

__all__ = ["PruneReport", "PrunedItem", "prune", "utc", "voice_deleted_message"]


def lecture_prefixes(lecture_id: str) -> tuple[str, ...]:
    """Every folder a lecture's generated media live under (see ``storage.layout.generated_prefixes``)."""
    return generated_prefixes(lecture_id)


@dataclass(frozen=True)
class PrunedItem:
    """One lecture or speaker whose objects were (or, in a dry run, would be) deleted."""

    owner: str
    keys: tuple[str, ...]  # the first LISTED_KEYS of them
    objects: int
    bytes: int
    reason: str


@dataclass
class PruneReport:
    """What one prune run deleted — or, with ``dry_run``, would delete."""

    now: datetime
    stale_days: int
    dry_run: bool = False
    max_lectures: int = DEFAULT_MAX_LECTURES
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
        return self._sum(self.lectures, "bytes")

    @property
    def voice_bytes(self) -> int:
        return self._sum(self.voices, "bytes")

    @property
    def objects_deleted(self) -> int:
        return self._sum(self.lectures, "objects") + self._sum(self.voices, "objects")

    @property
    def bytes_freed(self) -> int:
        return self.lecture_bytes + self.voice_bytes

    @property
    def capped(self) -> bool:
        """True when the night's cap was reached: more stale lectures may wait for the next run."""
        return len(self.lectures) >= self.max_lectures

    def _sum(self, items: list[PrunedItem], what: str) -> int:
        return sum(getattr(item, what) for item in items)

    def as_metadata(self) -> dict[str, int | str | float | bool]:
        """Flat numbers for run metadata, so operators can chart what each night freed."""
        lecture_objects, voice_objects = self._sum(self.lectures, "objects"), self._sum(self.voices, "objects")
        lecture_bytes, voice_bytes = self._sum(self.lectures, "bytes"), self._sum(self.voices, "bytes")
        return {
            "dry_run": self.dry_run,
            "now": self.now.isoformat(),
            "stale_days": self.stale_days,
            "max_lectures": self.max_lectures,
            "capped": self.capped,
            "lectures_pruned": len(self.lectures),
            "lecture_objects_deleted": lecture_objects,
            "lecture_bytes_freed": lecture_bytes,
            "voices_deleted": len(self.voices),
            "voice_objects_deleted": voice_objects,
            "voice_bytes_freed": voice_bytes,
            "objects_deleted": lecture_objects + voice_objects,
            "bytes_freed": lecture_bytes + voice_bytes,
            "artefact_rows_deleted": self.artefact_rows,
        }

    def as_markdown(self) -> str:
        """The listing an operator reads before (dry run) or after pruning: each owner, why, and its first keys."""
        numbers = self.as_metadata()
        verb = "Would delete" if self.dry_run else "Deleted"
        lines = [f"**{verb}** {numbers['objects_deleted']} objects, {numbers['bytes_freed']} bytes."]
        if self.capped:
            lines.append(f"Stopped at the nightly cap of {self.max_lectures} lectures; the next run goes on.")
        for title, items in (("Stale lectures", self.lectures), ("Expired voices", self.voices)):
            lines.append(f"\n### {title} ({len(items)})")
            lines += [_item_markdown(item) for item in items] or ["- none"]
        return "\n".join(lines)


def _item_markdown(item: PrunedItem) -> str:
    keys = "".join(f"\n  - `{key}`" for key in item.keys) or "\n  - (no objects)"
    more = f"\n  - … and {item.objects - len(item.keys)} more" if item.objects > len(item.keys) else ""
    return f"- **{item.owner}** — {item.reason}; {item.objects} objects, {item.bytes} bytes{keys}{more}"


def _collect(store: ObjectStore, prefixes: Sequence[str]) -> tuple[list[str], int]:
    """The keys under ``prefixes`` (one listing each) and their total size."""
    found = [info for prefix in prefixes for info in store.list(prefix)]
    return [info.key for info in found], sum(info.size for info in found)


def _item(owner: str, keys: list[str], size: int, reason: str) -> PrunedItem:
    return PrunedItem(owner=owner, keys=tuple(keys[:LISTED_KEYS]), objects=len(keys), bytes=size, reason=reason)


def _lecture_reason(row: dict[str, Any], now: datetime, stale_days: int) -> str:
    return (
        f"pruned on {now:%Y-%m-%d}: status {row['status']} and no progress since {utc(row['updated_at']):%Y-%m-%d}, "
        f"more than {stale_days} days; its generated media were deleted — submit the lecture again to rebuild it"
    )


def _prune_lectures(store: ObjectStore, catalog: Catalog, report: PruneReport, skip: Collection[str]) -> None:
    cutoff = report.now - timedelta(days=report.stale_days)
    for row in catalog.stale_lectures(cutoff, skip=skip, limit=report.max_lectures):
        lecture_id = row["id"]
        keys, size = _collect(store, generated_prefixes(lecture_id))
        reason = _lecture_reason(row, report.now, report.stale_days)
        report.lectures.append(_item(lecture_id, keys, size, reason))
        if report.dry_run:
            report.artefact_rows += catalog.count_artefacts(lecture_id=lecture_id)
            continue
        store.delete_many(keys)
        report.artefact_rows += catalog.mark_pruned(lecture_id, reason=reason, now=report.now)


def _prune_voices(store: ObjectStore, catalog: Catalog, report: PruneReport) -> None:
    for row in catalog.expired_speakers(report.now):
        speaker = row["id"]
        owned = [reference_voice_key(speaker), speaker_profile_key(speaker)]
        present = [info for info in (store.stat(key) for key in owned) if info is not None]
        reason = f"retention period ended on {utc(row['delete_after']):%Y-%m-%d}"
        item = _item(speaker, [info.key for info in present], sum(info.size for info in present), reason)
        report.voices.append(item)
        if report.dry_run:  # the real run would already have deleted the pruned lectures' rows
            report.artefact_rows += catalog.count_artefacts(keys=owned, but=report.lecture_ids)
            continue
        store.delete_many(owned)
        report.artefact_rows += catalog.mark_voice_deleted(speaker, keys=owned, now=report.now)


def prune(
    store: ObjectStore,
    catalog: Catalog,
    *,
    now: datetime,
    stale_days: int,
    dry_run: bool = False,
    skip: Collection[str] = (),
    max_lectures: int = DEFAULT_MAX_LECTURES,
) -> PruneReport:
    """Prune stale unfinished lectures and expired voices as of ``now``; ``dry_run`` lists without changing anything.

    ``skip`` names lectures to leave alone whatever their age (the caller passes those with a run in progress or one
    that ended after the cut-off). The report's ``lecture_ids`` are the lectures whose Dagster partitions the caller
    should now delete.
    """
    report = PruneReport(now=utc(now), stale_days=stale_days, dry_run=dry_run, max_lectures=max_lectures)
    _prune_lectures(store, catalog, report, skip)
    _prune_voices(store, catalog, report)
    return report
