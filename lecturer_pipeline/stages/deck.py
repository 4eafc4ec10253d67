"""The lecture's slide deck: found among its uploads, checked, rendered once, and matched to the script.

``deck.json`` lists the rendered pages (each stored under the hash of its picture, so an unchanged page keeps its
key when the deck is re-uploaded) and the page each spoken paragraph shows (``text.slides``). A lecture without a
deck gets a ``deck.json`` without pages: the video then shows the talking head on a plain background.

A script that names a page the deck lacks is refused here, before any speech is paid for.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lecturer_pipeline.errors import InputError, LecturerError
from lecturer_pipeline.ids import split_lecture_id
from lecturer_pipeline.kinds import Kind
from lecturer_pipeline.media.deck import MAX_DECK_BYTES, count_pages, pptx_to_pdf, render_pages
from lecturer_pipeline.model import Artefact, LectureScript
from lecturer_pipeline.stages.common import file_artefact, find_first, input_hash, reusable
from lecturer_pipeline.stages.speech import require_approved
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import (
    deck_manifest_key,
    deck_page_key,
    deck_pages_prefix,
    deck_upload_keys,
    lecture_upload_keys,
)
from lecturer_pipeline.storage.objects import ObjectInfo, ObjectStore, sha256_file
from lecturer_pipeline.text.slides import marker_for_pages, paragraph_pages

RENDER_FORMAT = 1  # bump when pages are rendered differently


def _script_file(store: ObjectStore, lecture_id: str) -> str:
    keys = list(lecture_upload_keys(*split_lecture_id(lecture_id)))
    found = find_first(store, keys)
    return found.key if found else keys[0]


def prepare_deck(
    store: ObjectStore, catalog: Catalog, script: LectureScript, workdir: Path, *, headings: bool = True
) -> Artefact:
    """``deck.json`` for the lecture (see the module docstring); errors name the lecture and the file.

    A drafted script waiting for review stops the lecture here, as it would at ``speech``: nothing is written
    under ``generated/`` before a person approved the words."""
    require_approved(script)
    lecture_id = script.lecture_id
    upload = find_first(store, deck_upload_keys(*split_lecture_id(lecture_id)))
    pages: list[dict] = []
    source: dict | None = None
    if upload is not None:
        try:
            pages, source = _pages(store, catalog, lecture_id, upload, workdir)
        except LecturerError as error:
            raise error.with_context(lecture_id=lecture_id, file=upload.key) from error
    else:  # the deck was taken away: its pages belong to no lecture video any more
        for info in list(store.list(deck_pages_prefix(lecture_id))):
            store.delete(info.key)
    shown: list[int] = []
    markers: dict[int, str] = {}
    if pages:
        try:
            shown = paragraph_pages(script.text, len(pages), headings=headings)
            markers = marker_for_pages(script.text, len(pages), headings=headings)
        except InputError as error:
            deck_note = f" (deck {upload.key})" if upload else ""
            script_file = _script_file(store, lecture_id)
            raise InputError(str(error) + deck_note, lecture_id=lecture_id, file=script_file) from error
    manifest = {
        "source": source,
        "pages": pages,
        "paragraph_pages": shown,
        "markers": {str(page): text for page, text in markers.items()},
        "headings_advance": headings,
    }
    wanted = input_hash(deck=source and source["sha256"], script=script.sha256, headings=headings, f=RENDER_FORMAT)
    existing = reusable(store, catalog, lecture_id, Kind.SLIDE_DECK, wanted)
    if existing and (source is None or source.get("reused") == "unchanged"):
        return existing  # nothing to write: the stored deck.json says the same
    out = workdir / "deck.json"
    out.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return file_artefact(
        Kind.SLIDE_DECK,
        deck_manifest_key(lecture_id),
        out,
        wanted,
        content_type="application/json",
        details={
            "upload": upload.key if upload else None,
            "pages": len(pages),
            "slides_shown": len(set(shown)),
            "rendered": bool(source and not source.get("reused")),
        },
    )


def _pages(
    store: ObjectStore, catalog: Catalog, lecture_id: str, upload: ObjectInfo, workdir: Path
) -> tuple[list[dict], dict]:
    """The deck's rendered pages, reused from the last ``deck.json`` while the upload is the same: not even
    downloaded while its size and time are unchanged, else while its bytes are."""
    key, size = upload.key, upload.size
    if size > MAX_DECK_BYTES:
        raise InputError(f"the deck is {size} bytes; at most {MAX_DECK_BYTES} ({MAX_DECK_BYTES >> 20} MB) are allowed")
    version = {"key": key, "size": size, "modified": upload.modified.isoformat(), "format": RENDER_FORMAT}
    before: dict = {}
    previous = catalog.get_artefact(lecture_id, Kind.SLIDE_DECK)
    if previous is not None and store.exists(previous.key):
        before = json.loads(store.get_bytes(previous.key))
    old = before.get("source") or {}
    stored = bool(before) and all(store.exists(page["key"]) for page in before["pages"])
    if stored and all(old.get(name) == value for name, value in version.items()):
        return before["pages"], {**old, "reused": "unchanged"}
    local = store.get_file(key, workdir / f"upload.{key.rsplit('.', 1)[-1]}")
    digest = sha256_file(local)
    if stored and old.get("sha256") == digest and old.get("format") == RENDER_FORMAT:
        local.unlink()
        return before["pages"], {**old, **version, "reused": "same bytes"}
    try:
        pdf = pptx_to_pdf(local, workdir) if key.endswith(".pptx") else local
        count = count_pages(pdf)
        pictures = render_pages(pdf, workdir)
    finally:
        local.unlink(missing_ok=True)
    pages = []
    for number, picture in enumerate(pictures, start=1):
        page_sha = hashlib.sha256(picture.read_bytes()).hexdigest()
        page_key = deck_page_key(lecture_id, page_sha)
        if not store.exists(page_key):
            store.put_file(page_key, picture, content_type="image/png")
        picture.unlink()
        pages.append({"page": number, "key": page_key, "sha256": page_sha})
    if pdf != local:
        pdf.unlink(missing_ok=True)
    keep = {page["key"] for page in pages}
    for info in list(store.list(deck_pages_prefix(lecture_id))):
        if info.key not in keep:
            store.delete(info.key)
    return pages, {**version, "sha256": digest, "pages": count, "converted": key.endswith(".pptx")}
