"""The paper's Fig. 2 on our runs: best search fitness so far, evolution vs random search vs
hyperparameter tuning, at equal budget on the same fitness.

Each run folder gives one curve per seed: the best fitness among the children
evaluated so far (cache hits count, failed children score nothing) against the
children TRAINED so far (the paper's x axis is evaluations; a count, unlike
seconds, does not depend on how busy the machine was). Curves of one label are
averaged on a common grid (mean and range over seeds). Prints, per label, the
best fitness at a few counts and the trained children; writes a small PNG.

Usage:
    python benchmarks/fig2.py evolution=runs/exp_s0,runs/exp_s1 random=runs/rand_s0 \
        hparam=runs/hp_s0 --hline "Lion .9/.99=0.885" --out docs/fig2.png
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from symopt.runs import read_history

__all__ = ["best_so_far", "main"]


def best_so_far(run_dir: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """``(trained so far, best fitness so far, trained in all)`` of one run, per history line."""
    records = read_history(run_dir / "history.jsonl").records
    n, best, running, trained = [], [], -np.inf, 0
    for r in records:
        trained += r.status != "cached"
        if r.fitness is not None and r.status != "failed" and not r.partial:
            running = max(running, r.fitness)
        if np.isfinite(running):
            n.append(trained)
            best.append(running)
    return np.asarray(n), np.asarray(best), trained


def _on_grid(t: np.ndarray, best: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The step curve sampled on ``grid`` (NaN before its first point)."""
    idx = np.searchsorted(t, grid, side="right") - 1
    return np.where(idx >= 0, best[np.clip(idx, 0, None)], np.nan)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=DIR[,DIR...]")
    parser.add_argument("--hline", action="append", default=[], metavar="LABEL=FITNESS",
                        help="a reference level, e.g. the fitness of Lion with the seed's constants")
    parser.add_argument("--out", type=Path, default=Path("docs/fig2.png"))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", "Mean of empty slice|All-NaN slice", RuntimeWarning)  # before a curve starts
    curves: dict[str, list[tuple[np.ndarray, np.ndarray, int]]] = {}
    for item in args.runs:
        label, _, dirs = item.partition("=")
        curves[label] = [best_so_far(Path(d)) for d in dirs.split(",")]
    end = min(float(t[-1]) for runs in curves.values() for t, _, _ in runs)  # every run reaches it
    grid = np.linspace(0.0, end, 200)
    checkpoints = [end * f for f in (0.25, 0.5, 0.75, 1.0)]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=110)
    print(f"{'label':<12} {'seeds':>5} {'trained':>16}   " + "  ".join(f"n={c:>6.0f}" for c in checkpoints))
    for label, runs in curves.items():
        sampled = np.stack([_on_grid(t, b, grid) for t, b, _ in runs])
        mean = np.nanmean(sampled, axis=0)
        ax.plot(grid, mean, label=f"{label} ({len(runs)} seed{'s' * (len(runs) > 1)})")
        if len(runs) > 1:
            ax.fill_between(grid, np.nanmin(sampled, axis=0), np.nanmax(sampled, axis=0), alpha=0.2)
        at = [np.nanmean([_on_grid(t, b, np.asarray([c]))[0] for t, b, _ in runs]) for c in checkpoints]
        trained = ",".join(str(n) for _, _, n in runs)
        print(f"{label:<12} {len(runs):>5} {trained:>16}   " + "  ".join(f"{a:+8.3f}" for a in at))
    ax.set_xlabel("programs trained")
    ax.set_ylabel("best search fitness so far")
    ax.axhline(0.0, color="grey", lw=0.5)
    for item in args.hline:
        label, _, value = item.partition("=")
        ax.axhline(float(value), color="black", ls="--", lw=0.8)
        ax.annotate(label, (grid[0], float(value)), fontsize=7, va="bottom")
    ax.legend(fontsize=7)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
