"""Splitting a script into chunks a TTS call can speak (the Zyphra model makes at most ~30 s, ~400–500 characters).

Chunks follow sentence boundaries (pysbd, a rule-based splitter that works offline and knows abbreviations such as
"Dr." and "e.g.") and never span a paragraph, so editing one paragraph changes only that paragraph's chunks. A line
starting with ``#`` is a section heading: it is not spoken, it names the chapter its paragraphs belong to. A line
``[slide]`` or ``[slide N]`` is not spoken either; like a heading it begins a new paragraph (``text.slides``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pysbd

from lecturer_pipeline.text.languages import DEFAULT, DEFAULT_LANGUAGE, find
from lecturer_pipeline.text.slides import script_paragraphs

MAX_CHUNK_CHARS = 400


@lru_cache(maxsize=8)
def _segmenter(language: str) -> pysbd.Segmenter:
    """pysbd's rules for the language (``sentence_rules`` in the registry); an unknown language gets English's."""
    return pysbd.Segmenter(language=(find(language) or DEFAULT).sentence_rules, clean=False)


def split_sentences(paragraph: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Sentences of one paragraph, whitespace-trimmed."""
    return [s.strip() for s in _segmenter(language).segment(paragraph) if s.strip()]


def _split_long(sentence: str, max_chars: int) -> list[str]:
    """A sentence over the limit is cut at the last comma/semicolon, else the last space, before the limit."""
    pieces = []
    while len(sentence) > max_chars:
        window = sentence[: max_chars + 1]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
        cut = cut + 1 if cut > max_chars // 3 else window.rfind(" ")
        if cut <= 0:
            cut = max_chars
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces


@dataclass(frozen=True)
class Chunk:
    """Words for one TTS call, with the paragraph (counted from 0) and section heading they belong to."""

    text: str
    paragraph: int
    section: str | None = None


def _paragraphs(text: str) -> list[tuple[str, str | None]]:
    """(paragraph text, section heading) pairs; heading and slide-marker lines are taken out of the spoken text."""
    return [(paragraph.text, paragraph.section) for paragraph in script_paragraphs(text)]


def plan_chunks(text: str, *, language: str = DEFAULT_LANGUAGE, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_chars``, paragraph by paragraph."""
    chunks: list[Chunk] = []
    for number, (paragraph, section) in enumerate(_paragraphs(text)):
        current = ""
        for sentence in split_sentences(paragraph, language):
            for piece in _split_long(sentence, max_chars):
                if current and len(current) + 1 + len(piece) > max_chars:
                    chunks.append(Chunk(current, number, section))
                    current = piece
                else:
                    current = f"{current} {piece}" if current else piece
        if current:
            chunks.append(Chunk(current, number, section))
    return chunks
