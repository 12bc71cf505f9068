"""The funnel's figures: ``funnel.png`` (each stage, programs against baselines) and
``meta_validation.png`` (search fitness and held-out fitness of the best so far).

Drawn with matplotlib's Agg backend (no display needed), written atomically.

Example:
    >>> import tempfile, os
    >>> from symopt.funnel._select import FunnelResult, Row, StageResult
    >>> row = Row("B", "program", "child 3", 3, "h", 0.4, 0.1, 0.2, "ok", True, 1.0, 1)
    >>> path = os.path.join(tempfile.mkdtemp(), "funnel.png")
    >>> plot_funnel(FunnelResult(5, (StageResult("B", ("quadratic()",), (row,)),)), path)
    >>> open(path, "rb").read(4) == b"\\x89PNG"
    True
"""

from __future__ import annotations

import math
import os
from typing import Sequence

from symopt.funnel._select import FunnelResult, MetaScore, Row
from symopt.proxy_tasks import FITNESS_FLOOR
from symopt.runs import save_png

__all__ = ["plot_funnel", "plot_meta_validation"]

_COLORS = {"passed": "tab:green", "failed": "tab:red", "baseline": "tab:gray"}


def _color(row: Row) -> str:
    if row.role == "baseline":
        return _COLORS["baseline"]
    return _COLORS["passed"] if row.passed else _COLORS["failed"]


def _shown(fitness: float, floor: float) -> float:
    # A failed program sits at the fitness floor (-100): draw it at the axis edge instead.
    return fitness if math.isfinite(fitness) and fitness > floor else floor


def plot_funnel(
    result: FunnelResult, path: str | os.PathLike[str], title: str = "", rules: Sequence[str] = ()
) -> None:
    """One panel per stage: a bar per program and baseline, its stage fitness (AdamW = 0).

    ``rules`` gives each stage's pass rule in words (its x label).
    """
    from matplotlib.figure import Figure

    stages = result.stages or ()
    tallest = max([len(s.rows) for s in stages] + [1])
    fig = Figure(figsize=(4.5 * max(len(stages), 1), 1.2 + 0.32 * tallest), dpi=100)
    axes = fig.subplots(1, max(len(stages), 1), squeeze=False)[0]
    for index, (ax, stage) in enumerate(zip(axes, stages)):
        rows = stage.rows
        finite = [r.fitness for r in rows if math.isfinite(r.fitness) and r.status == "ok"]
        floor = min(finite + [0.0]) - 0.1 * (max(finite + [0.0]) - min(finite + [0.0]) or 1.0)
        ys = range(len(rows))[::-1]  # the first row on top
        ax.barh(list(ys), [_shown(r.fitness, floor) for r in rows], color=[_color(r) for r in rows])
        ax.set_yticks(list(ys), [f"{r.name}" + (" (failed)" if r.status != "ok" else "") for r in rows])
        ax.axvline(0.0, color="black", linewidth=1)
        ax.set_xlabel("stage fitness" + (f": passes when it {rules[index]}" if index < len(rules) else ""))
        ax.set_title(f"stage {stage.name}" + ("" if rows else ": no program reached it"), fontsize="medium")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title or "funnel selection", fontsize="medium")
    save_png(fig, path)


def plot_meta_validation(points: Sequence[MetaScore], path: str | os.PathLike[str], title: str = "") -> None:
    """Search fitness and first-stage fitness of the best-so-far program against evaluations.

    A search fitness that keeps rising while the stage fitness falls is the
    paper's meta-overfitting.
    """
    from matplotlib.figure import Figure

    xs = [p.point.evaluations for p in points]
    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    # Both curves are samples (the best so far at each one), so both are drawn as points.
    ax.plot(xs, [p.point.search_fitness for p in points], "s-", color="tab:blue", label="search fitness")
    stage = points[0].stage if points else "B"
    held_out = [p.fitness if p.fitness > FITNESS_FLOOR else math.nan for p in points]
    ax.plot(xs, held_out, "o-", color="tab:orange", label=f"stage {stage} fitness (held out)")
    ax.axhline(0.0, color="gray", linestyle="--", linewidth=1, label="AdamW = 0")
    ax.set_xlabel("evaluations (history lines)")
    ax.set_ylabel("fitness of the best program so far")
    ax.set_title(title or "meta-validation: search fitness vs held-out fitness")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    save_png(fig, path)
