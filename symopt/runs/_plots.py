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


def plot_progress(records: Iterable[HistoryRecord], path: str | os.PathLike[str], title: str = "") -> None:
    """Draws the campaign's progress to ``path`` (PNG), replacing it atomically."""
    # A bare Figure renders with Agg and never touches pyplot's global state or a display.
    from matplotlib.figure import Figure  # matplotlib loads in ~0.5 s: only when drawing

    xs, ys, best = _points(records)
    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    ax.scatter(xs, ys, s=6, alpha=0.4, color="tab:blue", label="trained child")
    finite = np.isfinite(best)
    ax.step(np.arange(len(best))[finite], best[finite], where="post", color="tab:red", label="best so far")
    ax.axhline(0.0, color="gray", linestyle="--", linewidth=1, label="baseline (AdamW) = 0")
    if len(ys):
        # Most children are far worse than their parents; a symmetric-log axis keeps
        # the band between the baseline and the best linear and squeezes the rest.
        top = float(np.nanmax(best[finite])) if finite.any() else 0.0
        linthresh = max(abs(top), 0.05)
        ax.set_yscale("symlog", linthresh=linthresh, linscale=2.0)
        # Decade ticks inside the linear band crowd around 0: keep 0 and those outside.
        limits = ax.get_ylim()
        ax.set_yticks([t for t in ax.get_yticks() if t == 0 or abs(t) >= 0.99 * linthresh])
        ax.set_ylim(limits)
    ax.set_xlabel("evaluation (history line)")
    ax.set_ylabel("fitness (higher is better; symlog)")
    ax.set_title(title or "search progress")
    ax.legend(loc="lower right", fontsize="small")
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
