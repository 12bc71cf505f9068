"""``symopt classify``: which optimizer family a program is, judged by its updates.

Example:
    $ symopt classify program4
    $ symopt classify runs/quick-20261122-101500/best/rank01_id812.py --json
"""

from __future__ import annotations

import argparse
import json
import math

from symopt.cli.loading import add_program_argument, load_program
from symopt.simplify import classify

__all__ = ["add_parser", "run"]

_KEYS = ("family", "beta1", "beta2", "lr_scale", "weight_decay", "residual")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "classify",
        help="name a program's family (lion, signum, adam, momentum, sgd, other)",
        description=(
            "Run the program on random gradients, fit each optimizer family to its updates, "
            "and print the simplest family that explains them with its fitted constants. "
            "Equivalent rewrites get the same answer: only behaviour counts."
        ),
        epilog="example: symopt classify program4 --json",
    )
    add_program_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def _clean(x: object) -> object:
    return None if isinstance(x, float) and math.isnan(x) else x


def run(args: argparse.Namespace) -> int:
    loaded = load_program(args.program)
    verdict = classify(loaded.program)
    report = {k: _clean(getattr(verdict, k)) for k in _KEYS}
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{loaded.origin}: {verdict.family}")
    for key in _KEYS[1:]:
        value = report[key]
        print(f"  {key:<13}{'-' if value is None else format(value, '.4g')}")
    others = ", ".join(f"{k} {v:.3g}" for k, v in verdict.residuals.items())
    print(f"  fit residual by family: {others}")
    return 0
