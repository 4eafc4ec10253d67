"""Intake: which lecture uploads are new, ready to run, waiting for their speaker's files, or malformed.

The upload sensor calls ``scan_uploads`` on every tick with what it remembered from the last one (its cursor). An
upload is read only when its size or time changed, and it counts as new only when its content changed, so a
lecture is started once per distinct upload however often the sensor looks. A lecture whose speaker has no voice
or portrait yet is not remembered, so it is looked at again on the next tick and starts when the files arrive.
A malformed upload is remembered with its reason, so it is reported once, not on every tick.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from lecturer_pipeline.errors import InputError, LecturerError
from lecturer_pipeline.ids import lecture_id as make_lecture_id
from lecturer_pipeline.ids import normalise_name
from lecturer_pipeline.manifest import parse_manifest, parse_plain_script
from lecturer_pipeline.stages.common import find_first
from lecturer_pipeline.stages.script import MAX_UPLOAD_BYTES
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import DECK_UPLOAD_EXTENSIONS, portrait_upload_keys, voice_upload_keys
from lecturer_pipeline.storage.objects import ObjectStore

LECTURE_UPLOADS = "uploads/lectures/"


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


@dataclass(frozen=True)
class Rejected:
    key: str
    lecture_id: str | None
    course: str | None
    reason: str


@dataclass
class IntakeScan:
    ready: list[ReadyLecture] = field(default_factory=list)
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (lecture ID, what it waits for)
    rejected: list[Rejected] = field(default_factory=list)
    seen: dict[str, list] = field(default_factory=dict)  # the next cursor: key -> [size, modified, sha256]


def _split_key(key: str) -> tuple[str, str, str] | None:
    """uploads/lectures/<course>/<lecture>.<ext> -> (course, lecture, ext); None for other shapes."""
    parts = key[len(LECTURE_UPLOADS) :].split("/")
    if len(parts) != 2 or "." not in parts[1]:
        return None
    lecture, ext = parts[1].rsplit(".", 1)
    return parts[0], lecture, ext


def speaker_waits_for(store: ObjectStore, catalog: Catalog, speaker: str) -> str | None:
    """What the speaker still lacks before a lecture can start (None when nothing)."""
    missing = []
    if find_first(store, voice_upload_keys(speaker)) is None:
        row = catalog.get_speaker(speaker) or {}
        if not (row.get("voice_key") and store.exists(row["voice_key"])):
            missing.append(f"a reference voice at uploads/voice/{speaker}.wav")
    if find_first(store, portrait_upload_keys(speaker)) is None:
        missing.append(f"a portrait at uploads/portrait/{speaker}.png")
    return " and ".join(missing) or None


def scan_uploads(store: ObjectStore, catalog: Catalog, previous: dict[str, list]) -> IntakeScan:
    """Classify every lecture upload against the previous scan (see the module docstring)."""
    scan = IntakeScan()
    infos = {info.key: info for info in store.list(LECTURE_UPLOADS)}
    for key, info in infos.items():
        version = [info.size, info.modified.isoformat()]
        before = previous.get(key)
        if before and before[:2] == version:
            scan.seen[key] = before
            continue
        shape = _split_key(key)
        if shape is not None and shape[2] in DECK_UPLOAD_EXTENSIONS:
            continue  # a lecture's slide deck, read by its slide_deck asset
        if shape is None or shape[2] not in {"txt", "json"}:
            scan.rejected.append(
                Rejected(key, None, None, "not a lecture upload: expected <course>/<lecture>.txt or .json")
            )
            scan.seen[key] = [*version, ""]
            continue
        course, lecture, ext = shape
        if ext == "txt" and key[:-3] + "json" in infos:
            continue  # the manifest of the same lecture wins
        try:
            lid = make_lecture_id(course, lecture)
        except InputError as error:
            scan.rejected.append(Rejected(key, None, None, str(error)))
            scan.seen[key] = [*version, ""]
            continue
        if info.size > MAX_UPLOAD_BYTES:
            scan.rejected.append(
                Rejected(key, lid, course, f"the upload is {info.size} bytes; at most {MAX_UPLOAD_BYTES}")
            )
            scan.seen[key] = [*version, ""]
            continue
        raw = store.get_bytes(key)
        digest = hashlib.sha256(raw).hexdigest()
        if before and before[2] == digest:
            scan.seen[key] = [*version, digest]  # touched, not changed
            continue
        try:
            manifest = parse_manifest(raw) if ext == "json" else parse_plain_script(raw)
            speaker = normalise_name(manifest.speaker or course, what="speaker name")
        except LecturerError as error:
            scan.rejected.append(Rejected(key, lid, course, str(error.with_context(lecture_id=lid, file=key))))
            scan.seen[key] = [*version, digest]
            continue
        waits = speaker_waits_for(store, catalog, speaker)
        if waits:
            scan.waiting.append((lid, f"speaker {speaker} needs {waits}"))
            continue
        scan.ready.append(ReadyLecture(lid, course, key, digest, speaker))
        scan.seen[key] = [*version, digest]
    return scan
