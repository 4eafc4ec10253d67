"""User text on the page: always shown as plain text, never as markdown or HTML.

Titles, speaker and signer names, drafts, file names and error texts come from users (and from services that echo
them). The page's own sentences are markdown; anything a user wrote goes into them through ``plain``, which turns
every character markdown or HTML would act on into a numeric character reference. The browser shows the character;
no parser sees syntax — so ``![x](http://…)`` in a title is shown as those characters and fetches nothing, ``<img>``
is text, and a bare address is not made into a link.
"""

from __future__ import annotations

import re

# HTML's specials; markdown's link, image, emphasis, code, heading, table, strike-through and escape characters; '$'
# (Gradio's math delimiters). Parentheses, dots and quotes stay: without '[', ']', '!' and '<' they start nothing.
_SPECIAL = re.compile(r"[&<>`*_\[\]!#|~\\$]")
_AUTOLINK = re.compile(r"(?<=[A-Za-z]):(?=//)|(?<=www)\.", re.IGNORECASE)  # http://… and www.… would become links
_LINE_START = re.compile(r"^[-+=>\d]")  # a list, a quote or a heading underline, if the text starts a line


def plain(text: object) -> str:
    """``text`` as literal characters inside markdown or HTML, on one line."""
    value = " ".join(("" if text is None else str(text)).split("\n"))
    value = _SPECIAL.sub(lambda match: f"&#{ord(match.group())};", value)
    value = _AUTOLINK.sub(lambda match: f"&#{ord(match.group())};", value)
    return _LINE_START.sub(lambda match: f"&#{ord(match.group())};", value)
