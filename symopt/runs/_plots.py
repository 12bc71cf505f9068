"""``progress.png``: the fitness of every trained child, the best so far, and the baseline.

Drawn with matplotlib's Agg backend (no display needed) from history records.

Example:
    >>> import tempfile, os
    >>> from symopt.runs._records import HistoryRecord as R
    >>> recs = [R(0, status="ok", fitness=0.0), R(1, status="cached", fitness=0.0),
    ...         R(2, status="ok", fitness=0.2), R(3, status="failed", fitness=None)]
    >>> path = os.path.join(tempfile.mkdtemp(), "progress.png")
    >>> plot_progress(recs, path, title="demo")
    >>> os.path.getsize(path) > 0
    True
"""

from __future__ import annotations

import io
import math
import os
from typing import TYPE_CHECKING, Iterable

import numpy as np

from symopt.runs._atomic import atomic_write
from symopt.runs._records import HistoryRecord

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_progress", "save_png"]


def _points(records: Iterable[HistoryRecord]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluation index and fitness of trained children; best-so-far over all evaluations."""
    xs, ys, best = [], [], []
    top = -math.inf
    for i, rec in enumerate(records):
        fit = rec.fitness
        finite = isinstance(fit, (int, float)) and math.isfinite(fit)
        if finite:
            top = max(top, fit)
            if rec.status == "ok":
                xs.append(i)
                ys.append(fit)
        best.append(top)
    return np.asarray(xs, float), np.asarray(ys, float), np.asarray(best, float)


def fitness_window(ys: np.ndarray, best: np.ndarray) -> tuple[float, float]:
    """The y range of ``progress.png``: the band from the baseline to the best, and as much below.

    Most children are far worse than their parents (fitness -10 and lower next to a
    best of 0.3); a linear axis over all of them would squash the band that matters.

    Example:
        >>> fitness_window(np.array([-50.0, 0.1, 0.3]), np.array([0.1, 0.1, 0.3]))
        (-0.3, 0.345)
    """
    finite = best[np.isfinite(best)]
    top = float(finite.max()) if finite.size else 0.0
    scale = max(abs(top), 0.05)
    low = min(top, 0.0) - scale
    if ys.size and float(ys.min()) > low:  # nothing below: no empty space either
        low = min(float(ys.min()), 0.0) - 0.1 * scale
    return round(low, 12), round(max(top, 0.0) + 0.15 * scale, 12)


def plot_progress(records: Iterable[HistoryRecord], path: str | os.PathLike[str], title: str = "") -> None:
    """Draws the campaign's progress to ``path`` (PNG), replacing it atomically.

    A linear fitness axis over :func:`fitness_window`; children below it are drawn
    as markers on its lower edge and counted in the legend, which sits outside the axes.
    """
    # A bare Figure renders with Agg and never touches pyplot's global state or a display.
    from matplotlib.figure import Figure  # matplotlib loads in ~0.5 s: only when drawing

    xs, ys, best = _points(records)
    low, high = fitness_window(ys, best)
    fig = Figure(figsize=(9, 4.5), dpi=100)
    ax = fig.add_subplot()
    inside = ys >= low
    ax.scatter(xs[inside], ys[inside], s=6, alpha=0.4, color="tab:blue", label="trained child")
    if (~inside).any():
        ax.scatter(xs[~inside], np.full((~inside).sum(), low), s=10, marker="v", alpha=0.3, color="tab:gray",
                   clip_on=False, label=f"below {low:.3g} ({(~inside).sum()})")
    finite = np.isfinite(best)
    ax.step(np.arange(len(best))[finite], best[finite], where="post", color="tab:red", label="best so far")
    if finite.any():
        ax.annotate(f"best {best[finite][-1]:.4f}", (len(best) - 1, best[finite][-1]), xytext=(4, 4),
                    textcoords="offset points", color="tab:red", fontsize="small", ha="right")
    ax.axhline(0.0, color="gray", linestyle="--", linewidth=1, label="baseline (AdamW) = 0")
    ax.set_ylim(low, high)
    ax.set_xlabel("evaluation (history line)")
    ax.set_ylabel("fitness (higher is better)")
    ax.set_title(title or "search progress")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0.0)
    ax.grid(alpha=0.3)
    save_png(fig, path)


def save_png(fig: "Figure", path: str | os.PathLike[str]) -> None:
    """Lays out ``fig`` and writes it to ``path`` as PNG, atomically.

    Rendered in memory, then swapped in: a reader never sees a half-written image.
    """
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write(path, buf.getvalue())
