"""Several runs on one figure: the paper's Figure 2 (evolution vs random search vs tuning).

Three panels share the x axis, evaluations (history lines):

1. the best fitness so far (the warm start's baseline is 0);
2. the cache hit rate so far: the share of children that needed no training;
3. the redundant-statement ratio so far: the mean share of statements in the
   children that do not affect the update.

Rates are cumulative, so each curve ends at the value ``stats.json`` reports.
Drawn with matplotlib's Agg backend (no display needed).

Example:
    >>> import tempfile, os
    >>> from symopt.runs._records import HistoryRecord as R
    >>> recs = [R(0, mutation="warm_start", status="ok", fitness=0.0, length=9, reduced_length=9),
    ...         R(1, mutation="delete", status="cached", fitness=0.0, length=8, reduced_length=7),
    ...         R(2, mutation="modify", status="ok", fitness=0.4, length=9, reduced_length=6)]
    >>> curves = run_curves("demo (evolution)", recs)
    >>> curves.best.tolist(), curves.cache_hit_rate.tolist()
    ([0.0, 0.0, 0.4], [nan, 1.0, 0.5])
    >>> path = os.path.join(tempfile.mkdtemp(), "plot.png")
    >>> plot_runs([curves], path)
    >>> open(path, "rb").read(4) == b"\\x89PNG"
    True
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from symopt.runs._plots import save_png
from symopt.runs._records import WARM_START, HistoryRecord

__all__ = ["RunCurves", "plot_runs", "run_curves"]


@dataclass(frozen=True)
class RunCurves:
    """One run's curves, one value per history line (NaN before they are defined).

    Attributes:
        label: the legend's text.
        best: the best fitness so far of programs that trained fine.
        cache_hit_rate: cache hits / children so far.
        redundant_ratio: mean redundant share of the children so far.
    """

    label: str
    best: np.ndarray
    cache_hit_rate: np.ndarray
    redundant_ratio: np.ndarray


def run_curves(label: str, records: Iterable[HistoryRecord]) -> RunCurves:
    """The curves of one run's history lines (see the module example)."""
    best, cache, redundant = [], [], []
    top = -math.inf
    children = hits = 0
    share_sum = 0.0
    for rec in records:
        fitness = rec.ok_fitness
        if fitness is not None:
            top = max(top, fitness)
        if rec.mutation != WARM_START:
            children += 1
            hits += int(rec.status == "cached")
            share_sum += rec.redundant_share
        best.append(top if math.isfinite(top) else math.nan)
        cache.append(hits / children if children else math.nan)
        redundant.append(share_sum / children if children else math.nan)
    return RunCurves(label, np.asarray(best), np.asarray(cache), np.asarray(redundant))


def plot_runs(runs: Sequence[RunCurves], path: str | os.PathLike[str], title: str = "") -> None:
    """Draws ``runs`` on one three-panel figure, written to ``path`` (PNG) atomically."""
    # A bare Figure renders with Agg and never touches pyplot's global state or a display.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 9), dpi=100)
    best_ax, cache_ax, redundant_ax = fig.subplots(3, 1, sharex=True)
    for curves in runs:
        x = np.arange(len(curves.best))
        (line,) = best_ax.step(x, curves.best, where="post", label=curves.label)
        cache_ax.plot(x, 100 * curves.cache_hit_rate, color=line.get_color())
        redundant_ax.plot(x, 100 * curves.redundant_ratio, color=line.get_color())
    best_ax.axhline(0.0, color="gray", linestyle="--", linewidth=1, label="baseline (warm start) = 0")
    best_ax.set_ylabel("best fitness so far")
    best_ax.set_title(title or "best fitness against evaluations")
    best_ax.legend(loc="lower right", fontsize="small")
    cache_ax.set_ylabel("cache hit rate (%)")
    redundant_ax.set_ylabel("redundant statements (%)")
    redundant_ax.set_xlabel("evaluations (history lines)")
    for ax in (best_ax, cache_ax, redundant_ax):
        ax.grid(alpha=0.3)
    for ax in (cache_ax, redundant_ax):
        ax.set_ylim(-3, 103)  # a run stuck at 0% (hparam mode) stays visible
    save_png(fig, path)
