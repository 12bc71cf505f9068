"""``symopt tasks``: the proxy tasks, their knobs with defaults, size and cost per run.

Example:
    $ symopt tasks
    $ symopt tasks --measure --json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from symopt.dsl import builtin
from symopt.proxy_tasks import describe_tasks, evaluate, make_task

__all__ = ["add_parser", "run", "measure_ms"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tasks",
        help="list the proxy tasks with their knobs, parameter counts and cost per run",
        description=(
            "List every proxy task: what it trains, its knobs (change them with "
            "'symopt eval --task NAME --set KNOB=VALUE'), its parameter count and "
            "milliseconds per training run at the defaults. The cost is measured on "
            "one CPU core beforehand; --measure times it on this machine instead "
            "(compiles each task: up to ~15 s each)."
        ),
        epilog="example: symopt tasks --measure",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.add_argument("--measure", action="store_true", help="time the runs here (slow)")
    p.set_defaults(run=run)


def measure_ms(name: str, runs: int = 3) -> float:
    """Best-of-``runs`` milliseconds per AdamW run of task ``name`` at its defaults, compile excluded."""
    task = make_task(name)
    program = builtin("adamw")
    evaluate(program, task, 0)  # the first call compiles
    return min(evaluate(program, task, seed).seconds for seed in range(1, runs + 1)) * 1000


def run(args: argparse.Namespace) -> int:
    rows = describe_tasks()
    for row in rows:
        row["ms_source"] = "estimate"
        if args.measure:
            row["approx_ms"] = measure_ms(row["name"])
            row["ms_source"] = "measured"
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_rows(rows)
    return 0


def _print_rows(rows: list[dict[str, Any]]) -> None:
    out = sys.stdout
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        cost = f"~{r['approx_ms']:.0f} ms/run ({r['ms_source']})"
        out.write(f"{r['name']:<{width}}  {r['params']:>6} params  {cost}  metric {r['metric']}\n")
        out.write(f"{'':<{width}}  {r['doc']}\n")
        knobs = ", ".join(f"{k}={v}" for k, v in r["knobs"].items())
        out.write(f"{'':<{width}}  knobs: {knobs}\n\n")
