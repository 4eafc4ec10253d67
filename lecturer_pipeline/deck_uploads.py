"""Writing a lecture's slide deck into ``uploads/lectures/<course>/<lecture>.pdf|.pptx`` (``submit --deck``)."""

from __future__ import annotations

from pathlib import Path

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.ids import lecture_id as make_lecture_id
from lecturer_pipeline.media.deck import MAX_DECK_BYTES
from lecturer_pipeline.storage.layout import DECK_UPLOAD_EXTENSIONS, deck_upload_keys
from lecturer_pipeline.storage.objects import ObjectStore

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def submit_deck(store: ObjectStore, course: str, lecture: str, deck: Path) -> str:
    """Upload the deck (replacing a deck of the other format); returns its key. Write it before the lecture's
    script or manifest: the upload sensor starts the lecture when that arrives."""
    ext = deck.suffix.lower().lstrip(".")
    if ext not in DECK_UPLOAD_EXTENSIONS:
        raise InputError(f"a deck must be a .{' or .'.join(DECK_UPLOAD_EXTENSIONS)} file", file=str(deck))
    if not deck.is_file():
        raise InputError("no such deck file", file=str(deck))
    if deck.stat().st_size > MAX_DECK_BYTES:
        raise InputError(f"the deck is larger than {MAX_DECK_BYTES >> 20} MB", file=str(deck))
    course, lecture = make_lecture_id(course, lecture).split("--", 1)
    keys = deck_upload_keys(course, lecture)
    target = next(key for key in keys if key.endswith(f".{ext}"))
    for stale in keys:
        if stale != target:
            store.delete(stale)
    store.put_file(target, deck, content_type=CONTENT_TYPES[ext])
    return target
