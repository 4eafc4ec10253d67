"""Captions, chapters and transcript built from the script itself (not from speech recognition).

The speech stage records when each chunk of the script is spoken (``details["timeline"]``: ``start``/``end`` in
seconds of the final ``speech.wav``, the chunk's ``text``, its ``paragraph`` and ``section``). Captions split every
chunk into sentences, and long sentences into phrases, so that each cue fits :data:`MAX_LINES` lines of at most
:data:`MAX_LINE_CHARS` characters (the usual broadcast limit); the chunk's measured time is shared among its cues in
proportion to their characters. Cues therefore never leave their chunk's span and never overlap.

Section headings (lines starting with ``#``, not spoken) become a WebVTT chapters track and headings of the
transcript.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lecturer_pipeline.text.chunks import split_sentences
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE
from lecturer_pipeline.text.slides import is_slide_marker

MAX_LINE_CHARS = 42
MAX_LINES = 2
# Long sentences are cut into phrases of about this many characters (a cue holds up to 2 × 42): a little under the
# limit, so a long sentence becomes cues of similar length rather than full ones and a stub.
TARGET_CUE_CHARS = 70
# A cut after a comma, semicolon or colon, or before a dash, reads better: it may stray this far from the target.
PUNCTUATION_BONUS = 20
TRANSCRIPT_WIDTH = 80
_BREAK_AFTER = (",", ";", ":")
_DASHES = ("-", "–", "—")


@dataclass(frozen=True)
class Cue:
    """One caption on screen: its time span in seconds and its (at most two) lines."""

    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass(frozen=True)
class Block:
    """A piece of the script as written: a section heading or a paragraph (whitespace normalised)."""

    kind: Literal["heading", "paragraph"]
    text: str


# --- line breaking ---------------------------------------------------------------------------------------------


def _words(text: str, width: int = MAX_LINE_CHARS) -> list[str]:
    """The words of ``text``; a "word" longer than a line (a URL, or a script without spaces) is cut into lines."""
    words: list[str] = []
    for word in text.split():
        words += [word[i : i + width] for i in range(0, len(word), width)]
    return words


def wrap_cue(words: Sequence[str], width: int = MAX_LINE_CHARS) -> list[str] | None:
    """The words as one line, or as two lines of similar length, each at most ``width``; None if they do not fit."""
    text = " ".join(words)
    if len(text) <= width:
        return [text]
    best: tuple[int, list[str]] | None = None
    for cut in range(1, len(words)):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        if len(first) <= width and len(second) <= width:
            longest = max(len(first), len(second))
            if best is None or longest < best[0]:
                best = (longest, [first, second])
    return best[1] if best else None


def _cut_score(words: Sequence[str], cut: int, target: float) -> float:
    """How good cutting before ``words[cut]`` is: near the target length, better still at punctuation."""
    score = abs(len(" ".join(words[:cut])) - target)
    if words[cut - 1].endswith(_BREAK_AFTER) or words[cut] in _DASHES:
        score -= PUNCTUATION_BONUS
    return score


def split_phrases(sentence: str, width: int = MAX_LINE_CHARS) -> list[list[str]]:
    """A sentence as cues' lines (at most two each): one cue if it fits, else phrases cut at word boundaries
    (preferably after a comma, semicolon or colon, or before a dash)."""
    words = _words(sentence, width)
    cues: list[list[str]] = []
    while words:
        wrapped = wrap_cue(words, width)
        if wrapped is not None:
            cues.append(wrapped)
            break
        # The longest prefix that still fits is an upper bound for the cut (fitting is monotone in the prefix).
        fits = 1
        while fits < len(words) and wrap_cue(words[: fits + 1], width) is not None:
            fits += 1
        remaining = len(" ".join(words))
        target = remaining / math.ceil(remaining / TARGET_CUE_CHARS)
        cut = min(range(1, fits + 1), key=lambda c: (_cut_score(words, c, target), -c))
        cues.append(wrap_cue(words[:cut], width) or [])
        words = words[cut:]
    return cues


# --- captions and chapters -------------------------------------------------------------------------------------


def caption_cues(timeline: Iterable[Mapping[str, Any]], language: str = DEFAULT_LANGUAGE) -> list[Cue]:
    """Cues for every spoken chunk of the timeline, in order and without overlap."""
    cues: list[Cue] = []
    floor = 0.0
    for chunk in sorted(timeline, key=lambda c: float(c["start"])):
        start = max(float(chunk["start"]), floor)
        end = max(float(chunk["end"]), start)
        phrases = [lines for sentence in split_sentences(chunk["text"], language) for lines in split_phrases(sentence)]
        weights = [len(" ".join(lines)) for lines in phrases]
        total = sum(weights) or 1
        # Boundaries are rounded once, so one cue ends exactly where the next begins.
        bounds = [start]
        running = 0
        for weight in weights:
            running += weight
            bounds.append(round(start + (end - start) * running / total, 3))
        bounds[-1] = round(end, 3)
        cues += [Cue(bounds[i], bounds[i + 1], tuple(lines)) for i, lines in enumerate(phrases)]
        floor = end
    return cues


def _timestamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _escape(text: str) -> str:
    """Cue text escaping (WebVTT §4.2.2): ``&``, ``<`` and ``>`` as character references."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_vtt(cues: Iterable[Cue], *, note: str | None = None) -> str:
    """A WebVTT file: the header, an optional ``NOTE`` block (a comment players do not show), then numbered cues."""
    parts = ["WEBVTT", ""]
    if note:  # a NOTE may not contain "-->" (WebVTT §4.1)
        parts += [f"NOTE {' '.join(note.replace('-->', '->').split())}", ""]
    for number, cue in enumerate(cues, start=1):
        parts += [str(number), f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}", *map(_escape, cue.lines), ""]
    return "\n".join(parts)


def chapter_cues(
    timeline: Iterable[Mapping[str, Any]], total_seconds: float, *, untitled: str = "Introduction"
) -> list[Cue]:
    """One cue per section, from its first chunk to the next section (the first from 0 s, the last to the end).

    Speech before the first heading becomes a chapter named ``untitled``. No headings at all: no chapters.
    """
    chunks = sorted(timeline, key=lambda c: float(c["start"]))
    if not any(chunk.get("section") for chunk in chunks):
        return []
    starts: list[tuple[float, str]] = []
    current: object = object()
    for chunk in chunks:
        if chunk.get("section") != current:
            current = chunk.get("section")
            starts.append((float(chunk["start"]), current or untitled))
    end = max(float(total_seconds), float(chunks[-1]["end"]))
    cues = []
    for index, (start, title) in enumerate(starts):
        begin = 0.0 if index == 0 else round(start, 3)
        finish = round(starts[index + 1][0], 3) if index + 1 < len(starts) else round(end, 3)
        cues.append(Cue(begin, finish, (" ".join(title.split()),)))
    return cues


# --- transcript ------------------------------------------------------------------------------------------------


def script_blocks(script_text: str) -> list[Block]:
    """Headings and paragraphs in script order, read as ``text.chunks`` reads them (``#`` lines are headings,
    blank lines separate paragraphs)."""
    blocks: list[Block] = []
    for block in re.split(r"\n\s*\n", script_text):
        spoken: list[str] = []
        for line in block.splitlines():
            if line.lstrip().startswith("#"):
                if spoken:
                    blocks.append(Block("paragraph", " ".join(" ".join(spoken).split())))
                    spoken = []
                heading = " ".join(line.strip().lstrip("#").split())
                if heading:
                    blocks.append(Block("heading", heading))
            elif line.strip() and not is_slide_marker(line):  # slide markers are directions, not words
                spoken.append(line)
        if spoken:
            blocks.append(Block("paragraph", " ".join(" ".join(spoken).split())))
    return blocks


def _underlined(text: str, mark: str) -> str:
    return f"{text}\n{mark * max(3, len(text))}"


def build_transcript(title: str, script_text: str, *, width: int = TRANSCRIPT_WIDTH) -> str:
    """``transcript.txt``: the title and the section headings underlined, the paragraphs wrapped at ``width``."""
    parts = [_underlined(" ".join(title.split()), "=")] if title.strip() else []
    for block in script_blocks(script_text):
        if block.kind == "heading":
            parts.append(_underlined(block.text, "-"))
        else:
            parts.append(textwrap.fill(block.text, width, break_long_words=False, break_on_hyphens=False))
    return "\n\n".join(parts) + "\n"
