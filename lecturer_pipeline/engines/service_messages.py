"""What a web service's failed answer says, made fit for a log line: the message it carries, when to come back.

Every remote engine turns a failure into a ``ServiceError`` with the service's own words in it. Those words arrive as
JSON (``error``, ``detail``, FastAPI's validation lists), as a proxy's HTML page, or as a flood of text; this module
reads them the same way for every engine, so no message is ever a whole HTML page or longer than a line.
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

DETAIL_CHARS = 300  # the longest a service's message gets in one of ours


def shorten(text: str) -> str:
    """``text`` with white space folded, cut to :data:`DETAIL_CHARS` (ending in an ellipsis when cut)."""
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def body_message(raw: bytes, scrub: Callable[[str], str] = lambda text: text) -> str:
    """The service's own message from an error body (JSON ``error``/``detail``/``message``, else its text with any
    HTML removed); ``scrub`` removes secrets before it is shortened, so a cut never leaves half a key behind."""
    text = raw.decode("utf-8", "replace")
    try:
        message = json_message(json.loads(text))
    except ValueError:
        message = None
    if message is None:
        message = strip_html(text)
    return shorten(scrub(" ".join(message.split())))


def read_at_most(chunks: Iterable[bytes], limit: int) -> list[bytes]:
    """At most ``limit`` bytes from a byte-chunk iterator, so an error page is never read in full."""
    taken: list[bytes] = []
    size = 0
    for chunk in chunks:
        taken.append(chunk[: limit - size])
        size += len(taken[-1])
        if size >= limit:
            break
    return taken


def json_message(data: Any) -> str | None:
    """The message in a JSON error body: ``error``, ``detail`` (FastAPI's lists too) or ``message``."""
    if not isinstance(data, dict):
        return None
    for key in ("error", "detail", "message"):
        value = data.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value.get("msg") or json.dumps(value)
        if isinstance(value, list):
            value = "; ".join(_validation_item(item) for item in value)
        if value:
            return str(value)
    return None


def _validation_item(item: Any) -> str:
    """One FastAPI validation error (``{"loc": [...], "msg": …}``) as ``field: message``."""
    if not isinstance(item, dict):
        return str(item)
    field = ".".join(str(part) for part in item.get("loc", []) if part != "body")
    message = str(item.get("msg", item))
    return f"{field}: {message}" if field else message


def strip_html(text: str) -> str:
    """Readable text from an HTML error page: scripts and styles dropped, tags removed, entities decoded."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", text)
    text = re.sub(r"(?s)<[^>]*>", " ", text)
    return html.unescape(text)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds, or an HTTP date); None when absent or bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
