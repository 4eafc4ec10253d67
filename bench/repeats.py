"""Each timing figure is measured several times (three by default) and reported as the median run and the range.

Why: on a shared machine one run of a timing figure moves by more than its goal's margin (the backfill measured 1.12×
in one run and 1.24× in another of the same code), so a single run cannot say whether a goal is met. The median run's
own figure is kept whole — its breakdown belongs to its value — with every run's value and their range beside it.
"""

from __future__ import annotations

from typing import Any

#: The figures whose value is a time (or a ratio of times); the others (re-spend counts, memory) do not vary by load.
TIMED = frozenset({"backfill", "overhead", "media", "celery", "intake", "compose", "quality"})
#: How each figure's value reads in the table's range.
VALUE_FORMATS = {
    "backfill": "{:.2f}×",
    "overhead": "{:.1%}",
    "media": "{:.2f}",
    "celery": "{:.2f}×",
    "intake": "{:.1f} s",
    "compose": "{:.2f}×",
    "quality": "{:.1%}",
}


def median_run(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose value is the median (the lower middle one for an even count, so it is a real run), with
    ``runs`` (every run's value, in order), ``range`` ([min, max]) and ``statistic`` added."""
    if not figures:
        raise ValueError("no runs to take the median of")
    values = [figure["value"] for figure in figures]
    middle = sorted(range(len(values)), key=values.__getitem__)[(len(values) - 1) // 2]
    return {
        **figures[middle],
        "runs": values,
        "range": [min(values), max(values)],
        "statistic": f"median of {len(values)} runs" if len(values) > 1 else "one run",
    }


def range_text(name: str, figure: dict[str, Any]) -> str:
    """``median of 3, range 1.10×–1.24×`` for the table (empty for a figure measured once)."""
    runs = figure.get("runs", [])
    if len(runs) < 2:
        return ""
    low, high = (VALUE_FORMATS.get(name, "{}").format(value) for value in figure["range"])
    return f"median of {len(runs)}, range {low}–{high}"
