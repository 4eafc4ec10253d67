"""Lecture, course and speaker identifiers.

A lecture ID is ``<course>--<lecture>``: it is the Dagster partition key and part of every object key, so each name is
held to a small ASCII set. Names are lower-cased and spaces become hyphens; anything else outside the set (path
separators, dots, unicode look-alikes) is refused rather than silently rewritten, so two different inputs never map
to the same key and no name can reach outside its folder.
"""

from __future__ import annotations

import re

from lecturer_pipeline.errors import InputError

MAX_NAME_LENGTH = 64
SEPARATOR = "--"
_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def normalise_name(raw: str, *, what: str = "name") -> str:
    """Return the canonical form of a course, lecture or speaker name, or raise InputError saying why not."""
    name = re.sub(r"\s+", "-", raw.strip().lower())
    if not name:
        raise InputError(f"the {what} is empty; use letters a-z, digits, '-' or '_'")
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(f"the {what} {raw[:80]!r}… is {len(name)} characters; at most {MAX_NAME_LENGTH} are allowed")
    if not name.isascii() or not _NAME.fullmatch(name) or SEPARATOR in name:
        raise InputError(
            f"the {what} {raw!r} is not allowed: use letters a-z, digits and single '-' or '_' between them "
            "(no spaces at the ends, no '/', '.', '--' or non-ASCII characters)"
        )
    return name


def lecture_id(course: str, lecture: str) -> str:
    """Derive the lecture ID (the partition key) from its course and lecture names."""
    return f"{normalise_name(course, what='course name')}{SEPARATOR}{normalise_name(lecture, what='lecture name')}"


def split_lecture_id(value: str) -> tuple[str, str]:
    """Split a lecture ID into (course, lecture), checking it is one this module could have made."""
    course, sep, lecture = value.partition(SEPARATOR)
    if not sep:
        raise InputError(f"{value!r} is not a lecture ID: expected <course>{SEPARATOR}<lecture>, e.g. cs101--intro")
    if lecture_id(course, lecture) != value:
        raise InputError(f"{value!r} is not a lecture ID: names must already be lower-case with no spaces")
    return course, lecture
