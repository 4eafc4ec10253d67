"""Slide changes written in the script: which page of the lecture's deck is on screen while each paragraph is spoken.

A line ``[slide]`` moves to the next page, ``[slide N]`` to page N; by default every ``#`` heading moves to the next
page too. Neither is spoken. A marker ends the paragraph before it (as a heading does), so the chunk where it
stands begins a paragraph — and therefore a render segment — of its own: each segment shows exactly one page, and
a changed page re-composes only the segments that show it.

Before the first spoken paragraph the deck shows no page yet, so a heading or ``[slide]`` at the top of the script
brings up page 1 (not 2); a script without markers shows page 1 throughout. A marker naming a page the deck lacks
(or moving past its last page) is refused with the line, the page and the deck's page count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lecturer_pipeline.errors import InputError

SLIDE_MARKER = re.compile(r"^\s*\[\s*slide(?:\s+(\d{1,5}))?\s*\]\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Mark:
    """One slide change as written: a heading (next page), ``[slide]`` (next page) or ``[slide N]``."""

    kind: Literal["heading", "next", "page"]
    line: int  # 1-based line of the script
    source: str  # the line as written, stripped
    page: int | None = None  # for ``[slide N]``


@dataclass(frozen=True)
class Paragraph:
    """A spoken paragraph, the section heading it belongs to and the slide marks written just before it."""

    text: str
    section: str | None
    marks: tuple[Mark, ...] = ()


def is_slide_marker(line: str) -> bool:
    return SLIDE_MARKER.match(line) is not None


def _mark(line: str, number: int) -> Mark:
    if line.lstrip().startswith("#"):
        return Mark("heading", number, line.strip())
    found = SLIDE_MARKER.match(line)
    assert found is not None
    page = found.group(1)
    return Mark("page", number, line.strip(), int(page)) if page else Mark("next", number, line.strip())


def script_paragraphs(text: str) -> list[Paragraph]:
    """The script's spoken paragraphs in order. Blank lines separate paragraphs; a ``#`` heading or slide marker
    line is not spoken and ends the paragraph before it. Marks after the last paragraph are returned on a final
    paragraph with empty text (so they are still checked), which callers that speak skip."""
    found: list[Paragraph] = []
    section: str | None = None
    pending: list[Mark] = []
    spoken: list[str] = []

    def close() -> None:
        nonlocal spoken, pending
        paragraph = " ".join(" ".join(spoken).split())
        if paragraph:
            found.append(Paragraph(paragraph, section, tuple(pending)))
            pending = []
        spoken = []

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            close()
        elif line.lstrip().startswith("#") or is_slide_marker(line):
            close()
            if not is_slide_marker(line):
                section = line.strip().lstrip("#").strip() or section
            pending.append(_mark(line, number))
        else:
            spoken.append(line)
    close()
    return found


def trailing_marks(text: str) -> tuple[Mark, ...]:
    """Marks written after the last spoken paragraph (they show nothing, but a wrong page is still an error)."""
    lines = text.splitlines()
    marks: list[Mark] = []
    for number in range(len(lines), 0, -1):
        line = lines[number - 1]
        if not line.strip():
            continue
        if line.lstrip().startswith("#") or is_slide_marker(line):
            marks.insert(0, _mark(line, number))
            continue
        break
    return tuple(marks)


def _apply(mark: Mark, current: int, pages: int, *, headings: bool) -> int:
    if mark.kind == "heading" and not headings:
        return current
    page = mark.page if mark.kind == "page" else current + 1
    assert page is not None
    if page < 1 or page > pages:
        wanted = f"slide {page}" if mark.kind == "page" else f"the next slide ({page})"
        raise InputError(
            f"line {mark.line} of the script ({mark.source!r}) shows {wanted}, but the deck has {pages} "
            f"page{'s' if pages != 1 else ''}: name a page from 1 to {pages}"
            + (
                " (each # heading moves to the next page; set LECTURER_SLIDES_FROM_HEADINGS=false to stop that)"
                if mark.kind == "heading"
                else ""
            )
        )
    return page


def paragraph_pages(text: str, pages: int, *, headings: bool = True) -> list[int]:
    """The deck page (1-based) on screen during each spoken paragraph, in the order of ``script_paragraphs``.

    Raises InputError (without lecture or file: the caller adds them) for a page the deck lacks.
    """
    if pages < 1:
        raise ValueError("paragraph_pages needs a deck of at least one page")
    shown: list[int] = []
    current = 0
    for paragraph in script_paragraphs(text):
        for mark in paragraph.marks:
            current = _apply(mark, current, pages, headings=headings)
        current = max(current, 1)
        shown.append(current)
    for mark in trailing_marks(text):
        current = _apply(mark, current, pages, headings=headings)
    return shown


def marker_for_pages(text: str, pages: int, *, headings: bool = True) -> dict[int, str]:
    """For each page that is shown, the marker line that first brings it up (``the start`` for page 1 shown from the
    beginning without one) — what the studio prints under each thumbnail."""
    first: dict[int, str] = {}
    current = 0
    for paragraph in script_paragraphs(text):
        source = "the start"
        for mark in paragraph.marks:
            before = current
            current = _apply(mark, current, pages, headings=headings)
            if current != before:
                source = f"line {mark.line}: {mark.source}"
        current = max(current, 1)
        first.setdefault(current, source)
    return first
