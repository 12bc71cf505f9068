"""``symopt plot``: several runs on one figure (best fitness, cache hit rate, redundancy).

Example:
    $ symopt plot runs/evolution-1 runs/random-1 runs/hparam-1 -o figure2.png
    $ symopt plot runs/quick-20261122-101500          # writes runs/quick-20261122-101500/plot.png
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

from symopt.cli.errors import UserError
from symopt.cli.loading import open_run_dir
from symopt.runs import plot_runs, Run, run_curves, RunCurves

__all__ = ["DEFAULT_NAME", "add_parser", "run", "run_labels"]

DEFAULT_NAME = "plot.png"
"""The figure's file name when ``-o`` is not given."""

_EPILOG = f"""\
examples:
  symopt plot runs/evolution-1 runs/random-1 runs/hparam-1 -o figure2.png
  symopt plot runs/quick-20261122-101500

Without -o the figure goes to RUN_DIR/{DEFAULT_NAME} for one run (beside its progress.png) and
to ./{DEFAULT_NAME} for several. Runs are labelled 'NAME (MODE)' from their config.yaml; the
paper's Figure 2 compares mode evolution (configs/lion_discovery.yaml) with random
(configs/random_search.yaml) and hparam (configs/hparam_tuning.yaml). Rates are cumulative:
each curve ends at the run's stats.json value. Works on runs still going.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot",
        help="compare runs: best fitness, cache hit rate and redundancy against evaluations",
        description=(
            "Draw one PNG with three panels sharing the x axis (evaluations, i.e. history lines): "
            "the best fitness so far, the cache hit rate so far, and the share of redundant "
            "statements in the children so far, one curve per run folder."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run folders to compare")
    p.add_argument("-o", "--output", metavar="FILE.png", help="where to write (default: see below)")
    p.add_argument("--title", default="", help="the figure's title")
    p.set_defaults(run=run)


def run_labels(views: list[Run]) -> list[str]:
    """``NAME (MODE)``, with the folder's name added where two runs would read the same."""
    plain = [f"{v.config.name} ({v.config.search.mode})" for v in views]
    repeated = Counter(plain)
    return [f"{label} {v.path.name}" if repeated[label] > 1 else label for label, v in zip(plain, views)]


def run(args: argparse.Namespace) -> int:
    views = [open_run_dir(path) for path in args.run_dirs]
    if args.output is None:
        folder = str(views[0].path) if len(views) == 1 else "."
        output = os.path.join(folder, DEFAULT_NAME)
    else:
        output = args.output
    if not output.lower().endswith(".png"):
        raise UserError(f"{output}: the figure is a PNG; give a file name ending in .png")
    curves: list[RunCurves] = [run_curves(label, v.history) for label, v in zip(run_labels(views), views)]
    try:
        plot_runs(curves, output, title=args.title)
    except OSError as err:
        raise UserError(f"cannot write {output}: {err.strerror or err}") from None
    print(f"wrote {output} ({len(views)} run(s))", file=sys.stderr)
    return 0
