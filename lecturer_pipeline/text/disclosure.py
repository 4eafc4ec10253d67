"""The AI-disclosure wording shown on screen, written into the captions, the MP4 tags and the C2PA manifest.

Article 50 of the EU AI Act asks that AI-generated video of a real person be disclosed as such. The sentence names
the speaker; a deployment may give its own wording with ``LECTURER_DISCLOSURE`` (``{speaker}`` is replaced).
"""

from __future__ import annotations

from lecturer_pipeline.text.languages import DEFAULT, LANGUAGES

# The wording of each language is its registry entry's ``disclosure`` (``text/languages.py``).
DISCLOSURE = {code: lang.disclosure for code, lang in LANGUAGES.items()}


def disclosure_text(speaker: str, language: str, template: str | None = None) -> str:
    """The disclosure sentence in the lecture's language (English for a language without its own wording)."""
    wording = template or DISCLOSURE.get(language, DEFAULT.disclosure)
    return wording.replace("{speaker}", speaker)


def english_disclosure(speaker: str) -> str:
    return DEFAULT.disclosure.replace("{speaker}", speaker)
