"""Plain-text output helpers: aligned tables that fit 100 columns, numbers to 4 significant digits.

Numbers are right-aligned and text left-aligned; when a table is too wide, the
widest text column is cut (ending in ``...``), never a number.

Example:
    >>> print(format_table(("rank", "fitness", "family"), [(1, 7.48489, "adam"), (2, -0.5, "sgd")]))
    rank  fitness  family
       1    7.485  adam
       2     -0.5  sgd
    >>> fmt_number(0.000875326), fmt_number(None), fmt_seconds(4321.0)
    ('0.0008753', '-', '1 h 12 min')
"""

from __future__ import annotations

import math
from typing import Any, Sequence

__all__ = ["WIDTH", "fmt_number", "fmt_percent", "fmt_seconds", "format_table"]

WIDTH = 100
"""The widest a line of command output may be."""

_GAP = "  "
_MIN_CUT = 8  # a text column is never cut narrower than this


def fmt_number(value: Any) -> str:
    """A number with 4 significant digits (integers whole); ``-`` for ``None``."""
    if value is None:
        return "-"
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(value, ".4g") if math.isfinite(value) else str(value)
    return str(value)


def fmt_percent(share: float) -> str:
    """A share as a percentage with 4 significant digits: ``fmt_percent(0.086667) == '8.667%'``."""
    return f"{share * 100:.4g}%"


def fmt_seconds(seconds: float) -> str:
    """A duration for people: ``4.183 s``, ``12 min 3 s``, ``3 h 12 min``."""
    if seconds < 60:
        return f"{seconds:.4g} s"
    whole = int(round(seconds))
    if whole < 3600:
        return f"{whole // 60} min" + (f" {whole % 60} s" if whole % 60 else "")
    return f"{whole // 3600} h" + (f" {whole % 3600 // 60} min" if whole % 3600 // 60 else "")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int = WIDTH) -> str:
    """Aligns ``rows`` under ``headers``; numbers are formatted with :func:`fmt_number`.

    A column is right-aligned when all its non-empty cells are numbers.
    """
    cells = [[fmt_number(v) for v in row] for row in rows]
    numeric = [
        all(_is_number(row[i]) or row[i] is None for row in rows) and any(_is_number(row[i]) for row in rows)
        for i in range(len(headers))
    ]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    excess = sum(widths) + len(_GAP) * (len(widths) - 1) - width
    while excess > 0:
        text_cols = [i for i in range(len(widths)) if not numeric[i] and widths[i] > _MIN_CUT]
        if not text_cols:
            break  # only numbers left: wider than asked beats wrong numbers
        widest = max(text_cols, key=lambda i: widths[i])
        cut = min(excess, widths[widest] - _MIN_CUT)
        widths[widest] -= cut
        excess -= cut

    def line(values: Sequence[str]) -> str:
        parts = [
            _cut(v, w).rjust(w) if numeric[i] else _cut(v, w).ljust(w)
            for i, (v, w) in enumerate(zip(values, widths))
        ]
        return _GAP.join(parts).rstrip()

    return "\n".join([line(list(headers))] + [line(row) for row in cells])
