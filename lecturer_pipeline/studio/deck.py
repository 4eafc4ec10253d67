"""A lecture's deck in the studio: the uploaded file checked before anything is written, and, once the pipeline
has rendered it, each page as a thumbnail captioned with the script line that shows it.

The check is the pipeline's own (``media.deck``: a real PDF, not password-protected, at most 200 pages, or a PPTX
LibreOffice converts), run at submission so a lecturer hears about a broken deck at once, in words naming the file,
instead of from a failed lecture later. The thumbnails only read: ``deck.json`` (made by the ``slide_deck`` asset)
and the rendered pages from the store; small JPEGs go into the studio's own folder for the browser.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from PIL import Image

from lecturer_pipeline.errors import LecturerError
from lecturer_pipeline.ids import split_lecture_id
from lecturer_pipeline.media.deck import count_pages, pptx_to_pdf
from lecturer_pipeline.storage.layout import DECK_UPLOAD_EXTENSIONS, deck_manifest_key
from lecturer_pipeline.storage.objects import ObjectStore
from lecturer_pipeline.studio.files import _extension

THUMBNAIL = (320, 180)


def check_deck(deck: Path, workdir: Path) -> int:
    """The deck's page count, after the pipeline's checks; an ``InputError`` naming the file (its name as uploaded,
    never the server's path) otherwise. A PPTX is converted to find its pages, in a folder removed afterwards."""
    _extension(deck, DECK_UPLOAD_EXTENSIONS, "deck")
    try:
        if deck.suffix.lower() != ".pptx":
            return count_pages(deck)
        workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=workdir, prefix="deck-check-") as folder:
            return count_pages(pptx_to_pdf(deck, Path(folder)))
    except LecturerError as error:
        raise error.with_context(file=deck.name) from error


def deck_thumbnails(store: ObjectStore, lecture_id: str, folder: Path) -> list[tuple[str, str]]:
    """(thumbnail path, caption) per page of the lecture's deck; empty when it has none (or none rendered yet)."""
    split_lecture_id(lecture_id)
    key = deck_manifest_key(lecture_id)
    if not store.exists(key):
        return []
    deck = json.loads(store.get_bytes(key))
    markers = deck.get("markers") or {}
    folder = folder / "deck" / lecture_id
    folder.mkdir(parents=True, exist_ok=True)
    shown = []
    for page in deck.get("pages") or []:
        number = page["page"]
        thumb = folder / f"page-{number:04d}-{page['sha256'][:12]}.jpg"
        if not thumb.exists():
            picture = store.get_file(page["key"], folder / f".page-{number:04d}.png")
            with Image.open(picture) as im:
                small = im.convert("RGB")
                small.thumbnail(THUMBNAIL)
                small.save(thumb, format="JPEG", quality=80)
            picture.unlink()
        marker = markers.get(str(number))
        caption = f"page {number} — " + (f"shown from {marker}" if marker else "not shown by the script")
        shown.append((str(thumb), caption))
    return shown
