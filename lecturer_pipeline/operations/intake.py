"""Intake: which lecture uploads are new, ready to run, waiting for their speaker's files, or malformed.

The upload sensor calls ``plan_intake`` on every tick. It compares one listing of ``uploads/lectures/`` with what the
catalog's ``uploads`` table records, by ETag and size, so an upload is read (one GET) only when it is new or changed,
and at most ``batch`` of them per tick — the rest on the next tick, continuing after the cursor's key. Each speaker's
files are known from one listing each of ``uploads/voice/``, ``uploads/portrait/`` and ``voices/``, so a lecture
waiting for its speaker is re-checked on every tick at no cost and starts when the files arrive.

Planning writes nothing: the plan's ``records`` are written by the intake run the sensor requests
(``record_intake``), so a sensor preview, a reset cursor or a skipped run request changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lecturer_pipeline.errors import InputError, LecturerError
from lecturer_pipeline.ids import lecture_id as make_lecture_id
from lecturer_pipeline.ids import normalise_name
from lecturer_pipeline.kinds import UPLOAD_STAGE
from lecturer_pipeline.manifest import parse_manifest, parse_plain_script
from lecturer_pipeline.stages.script import MAX_UPLOAD_BYTES
from lecturer_pipeline.storage.catalog import Catalog, Status, UploadState
from lecturer_pipeline.storage.catalog_intake import UploadRow
from lecturer_pipeline.storage.layout import (
    DECK_UPLOAD_EXTENSIONS,
    LECTURE_UPLOADS_PREFIX,
    PORTRAIT_UPLOADS_PREFIX,
    VOICE_UPLOADS_PREFIX,
    VOICES_PREFIX,
    portrait_upload_keys,
    reference_voice_key,
    voice_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectInfo, ObjectStore
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE

DEFAULT_BATCH = 1000  # uploads read per tick: ~2 s on a local S3 server with 8 readers, far under Dagster's 60 s
READERS = 8  # GETs in flight at once


@dataclass(frozen=True)
class ReadyLecture:
    lecture_id: str
    course: str
    key: str
    sha256: str
    speaker: str

    @property
    def run_key(self) -> str:
        """Stable per lecture and upload content: Dagster never starts the same upload twice."""
        return f"{self.lecture_id}:{self.sha256[:16]}"


@dataclass
class IntakePlan:
    """What one tick found; ``records`` and ``forgotten`` are for the intake run to write."""

    ready: list[ReadyLecture] = field(default_factory=list)
    records: list[UploadRow] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)  # recorded uploads that no longer exist
    next_after: str = ""  # the cursor: continue after this key next tick ("" = from the start)
    read: int = 0  # GETs made
    pending: int = 0  # new or changed uploads left for later ticks

    @property
    def refused(self) -> list[UploadRow]:
        return [row for row in self.records if row.state == UploadState.REFUSED]

    @property
    def waiting(self) -> list[UploadRow]:
        return [row for row in self.records if row.state == UploadState.WAITING]

    def digest(self) -> str:
        """Names the records' content, so a repeated tick asks for the same intake run (deduplicated by run key)."""
        text = (
            "|".join(f"{r.key}:{r.etag}:{r.state}:{r.sha256}" for r in self.records) + "|-" + "|".join(self.forgotten)
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]


class SpeakerFiles:
    """Which speakers have a voice (an upload or a sealed one) and a portrait, from one listing of each prefix."""

    def __init__(self, store: ObjectStore) -> None:
        self.voice_uploads = _names(store.list(VOICE_UPLOADS_PREFIX), VOICE_UPLOADS_PREFIX)
        self.portraits = _names(store.list(PORTRAIT_UPLOADS_PREFIX), PORTRAIT_UPLOADS_PREFIX)
        self.sealed = {
            info.key.split("/")[1]
            for info in store.list(VOICES_PREFIX)
            if info.key == reference_voice_key(info.key.split("/")[1])
        }

    def waits_for(self, speaker: str) -> str | None:
        """What the speaker still lacks before a lecture can start (None when nothing)."""
        missing = []
        if speaker not in self.voice_uploads and speaker not in self.sealed:
            missing.append(f"a reference voice at {voice_upload_keys(speaker)[0]}")
        if speaker not in self.portraits:
            missing.append(f"a portrait at {portrait_upload_keys(speaker)[0]}")
        return f"speaker {speaker} needs {' and '.join(missing)}" if missing else None


def _names(infos: Iterable[ObjectInfo], prefix: str) -> set[str]:
    return {info.key[len(prefix) :].rsplit(".", 1)[0] for info in infos if "/" not in info.key[len(prefix) :]}


def _split_key(key: str) -> tuple[str, str, str] | None:
    """uploads/lectures/<course>/<lecture>.<ext> -> (course, lecture, ext); None for other shapes."""
    parts = key[len(LECTURE_UPLOADS_PREFIX) :].split("/")
    if len(parts) != 2 or "." not in parts[1]:
        return None
    lecture, ext = parts[1].rsplit(".", 1)
    return parts[0], lecture, ext


def _refusal(info: ObjectInfo) -> tuple[str | None, str | None, str | None]:
    """(lecture ID, course, reason) when the key or size alone refuses the upload; (id, course, None) otherwise."""
    shape = _split_key(info.key)
    if shape is None or shape[2] not in {"txt", "json"}:
        return None, None, "not a lecture upload: expected <course>/<lecture>.txt or .json"
    course, lecture, _ = shape
    try:
        lid = make_lecture_id(course, lecture)
    except InputError as error:
        return None, None, str(error)
    if info.size > MAX_UPLOAD_BYTES:
        return lid, course, f"the upload is {info.size} bytes; at most {MAX_UPLOAD_BYTES}"
    return lid, course, None


def _changed(listing: dict[str, ObjectInfo], known: dict[str, UploadRow], after: str) -> list[ObjectInfo]:
    """New or changed uploads, those after the cursor's key first; a .txt beside its lecture's .json is not one."""
    changed = []
    for key, info in listing.items():
        row = known.get(key)
        if row is not None and (row.etag, row.size) == (info.etag, info.size):
            continue
        if key.rsplit(".", 1)[-1] in DECK_UPLOAD_EXTENSIONS:
            continue  # a lecture's slide deck: read by its slide_deck asset in the lecture's run
        if key.endswith(".txt") and key[:-3] + "json" in listing:
            continue  # the manifest of the same lecture wins
        changed.append(info)
    changed.sort(key=lambda info: (info.key <= after, info.key))
    return changed


def _classify(
    info: ObjectInfo, raw: bytes, lid: str, course: str, before: UploadRow | None, files: SpeakerFiles
) -> UploadRow:
    digest = hashlib.sha256(raw).hexdigest()
    base = {"key": info.key, "etag": info.etag, "size": info.size, "sha256": digest, "lecture_id": lid}
    if before is not None and before.sha256 == digest and before.state != UploadState.WAITING:
        return UploadRow(**{**before.__dict__, **base})  # touched, not changed
    try:
        manifest = parse_manifest(raw) if info.key.endswith(".json") else parse_plain_script(raw)
        speaker = normalise_name(manifest.speaker or course, what="speaker name")
    except LecturerError as error:
        reason = str(error.with_context(lecture_id=lid, file=info.key))
        return UploadRow(**base, state=UploadState.REFUSED, course=course, speaker=None, reason=reason)
    waits = files.waits_for(speaker)
    state = UploadState.WAITING if waits else UploadState.ACCEPTED
    return UploadRow(**base, state=state, course=course, speaker=speaker, reason=waits)


def plan_intake(store: ObjectStore, catalog: Catalog, *, after: str = "", batch: int = DEFAULT_BATCH) -> IntakePlan:
    """One tick's plan (see the module docstring); reads, never writes."""
    plan = IntakePlan()
    listing = {info.key: info for info in store.list(LECTURE_UPLOADS_PREFIX)}
    known = catalog.upload_rows()
    plan.forgotten = sorted(set(known) - set(listing))
    changed = _changed(listing, known, after)
    waiting = [row for row in known.values() if row.state == UploadState.WAITING and row.key not in plan.forgotten]
    if not changed and not waiting:
        return plan
    files = SpeakerFiles(store)
    to_read: list[tuple[ObjectInfo, str, str]] = []
    for info in changed:
        lid, course, reason = _refusal(info)
        if reason is not None:
            plan.records.append(
                UploadRow(info.key, info.etag, info.size, None, UploadState.REFUSED, lid, course, None, reason)
            )
        elif len(to_read) < batch:
            to_read.append((info, lid, course))
            plan.next_after = info.key
        else:
            plan.pending += 1
    if not plan.pending:
        plan.next_after = ""
    with ThreadPoolExecutor(READERS) as readers:
        bodies = list(readers.map(lambda item: store.get_bytes(item[0].key), to_read))
    plan.read = len(bodies)
    for (info, lid, course), raw in zip(to_read, bodies, strict=True):
        plan.records.append(_classify(info, raw, lid, course, known.get(info.key), files))
    rechecked = {row.key for row in plan.records}
    for row in waiting:
        if row.key not in rechecked and files.waits_for(row.speaker or "") is None:
            plan.records.append(UploadRow(**{**row.__dict__, "state": UploadState.ACCEPTED, "reason": None}))
    _request_runs(plan, catalog, known)
    return plan


def _request_runs(plan: IntakePlan, catalog: Catalog, known: dict[str, UploadRow]) -> None:
    """A run for each newly accepted content — not for a lecture already published from this very upload."""
    accepted = [row for row in plan.records if row.state == UploadState.ACCEPTED]
    states = catalog.lecture_states(row.lecture_id for row in accepted)
    for row in accepted:
        before = known.get(row.key)
        if before is not None and before.state == UploadState.ACCEPTED and before.sha256 == row.sha256:
            continue  # touched, not changed: its run was requested when the content was new
        state = states.get(row.lecture_id or "", {})
        if state.get("status") == Status.COMPLETED.value and state.get("upload_sha256") == row.sha256:
            continue
        ready = ReadyLecture(row.lecture_id or "", row.course or "", row.key, row.sha256 or "", row.speaker or "")
        plan.ready.append(ready)
        plan.records[plan.records.index(row)] = UploadRow(**{**row.__dict__, "run_key": ready.run_key})


def record_intake(catalog: Catalog, records: list[UploadRow], forgotten: list[str]) -> dict[str, int]:
    """What the intake run writes: the upload rows, a PENDING row for each lecture accepted for the first time (an
    existing lecture's row is left as it is until its run moves it), and a FAILED row for a refused lecture upload."""
    catalog.record_uploads(records)
    new = [
        {
            "id": row.lecture_id,
            "speaker": row.speaker,
            "status": Status.PENDING.value,
            "title": "",
            "language": DEFAULT_LANGUAGE,
        }
        for row in records
        if row.state == UploadState.ACCEPTED and row.run_key and row.lecture_id
    ]
    created = catalog.insert_lectures_if_absent(new)
    refused = [row for row in records if row.state == UploadState.REFUSED and row.lecture_id and row.course]
    for row in refused:
        catalog.mark_failed(
            row.lecture_id or "", row.course or "", UPLOAD_STAGE, row.reason or "the upload was refused"
        )
    forgotten_rows = catalog.forget_uploads(forgotten)
    return {"recorded": len(records), "lectures_created": created, "refused": len(refused), "forgotten": forgotten_rows}
