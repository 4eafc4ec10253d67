"""Validation of lecture scripts: what a TTS engine can speak, refused early with a reason when it is not."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from lecturer_pipeline.errors import InputError

# ~60 000 characters is about 9 000 words: an hour of speech at 150 words a minute, far past any lecture we expect.
MAX_SCRIPT_CHARS = 60_000
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>|&[A-Za-z]+;|&#\d+;")


def clean_script(text: str) -> str:
    """Return the script with normalised newlines and Unicode (NFC), or raise InputError saying what to fix."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise InputError("the script is empty: give the words the lecturer should speak")
    if len(text) > MAX_SCRIPT_CHARS:
        raise InputError(
            f"the script is {len(text)} characters; at most {MAX_SCRIPT_CHARS} (about an hour of speech) are allowed — "
            "split it into several lectures"
        )
    bad = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"})
    if bad:
        raise InputError(f"the script contains control characters ({', '.join(bad[:5])}); remove them")
    markup = _MARKUP.search(text)
    if markup:
        raise InputError(
            f"the script contains markup ({markup.group(0)!r}); give plain spoken text without HTML or SSML tags"
        )
    return text


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
