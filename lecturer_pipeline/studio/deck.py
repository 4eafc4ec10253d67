"""The studio's view of a lecture's deck: each page as a thumbnail, captioned with the script line that shows it.

Read-only, like the rest of the studio: it reads ``deck.json`` (made by the ``slide_deck`` asset) and the rendered
pages from the store, and writes small JPEG thumbnails into the studio's own folder for the browser.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from lecturer_pipeline.ids import split_lecture_id
from lecturer_pipeline.storage.layout import deck_manifest_key
from lecturer_pipeline.storage.objects import ObjectStore

THUMBNAIL = (320, 180)


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
