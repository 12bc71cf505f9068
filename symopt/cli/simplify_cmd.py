"""``symopt simplify``: a program made as simple as its fitness allows (SPEC section 8).

Example:
    $ symopt simplify program4 --task quadratic
    $ symopt simplify runs/quick/best/rank01_id812.py --evolve-steps 200 --json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from symopt.cli.errors import UserError
from symopt.cli.loading import add_program_argument, load_program
from symopt.runs import finite_or_none
from symopt.config import DEFAULT_TOLERANCE
from symopt.simplify import Simplification, simplify
from symopt.proxy_tasks import DEFAULT_FITNESS, FitnessSpec, task_names, TaskSpec

__all__ = ["add_parser", "run", "fitness_spec"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simplify",
        help="simplify a program: drop what the fitness does not need, rewrite the rest plainly",
        description=(
            "Simplify a program file or built-in in the paper's three steps: drop redundant "
            "statements; drop statements whose removal lowers the fitness by at most the "
            "tolerance; rewrite into simpler equivalent forms (x / sqrt(x * x) -> sign(x), "
            "chained interps merged, unused state slots dropped; each checked on random "
            "inputs), round constants as far as the fitness allows, and name the variables. "
            "Fitness: the search's default, or with --task that proxy task alone at its "
            "default knobs (with the default fitness's seeds, learning-rate multipliers and "
            f"slot cost). Tasks: {', '.join(task_names())}."
        ),
        epilog="example: symopt simplify program4 --task quadratic",
    )
    add_program_argument(p)
    p.add_argument("--task", help="judge by this proxy task alone instead of the default fitness")
    p.add_argument(
        "--seeds", type=int, default=None, metavar="N", help="training seeds 0..N-1 (default: the fitness's)"
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        metavar="X",
        help=f"fitness a deletion or the rounding may cost (log-loss units; default {DEFAULT_TOLERANCE})",
    )
    p.add_argument(
        "--evolve-steps",
        type=int,
        default=0,
        metavar="N",
        help="also run N children of evolution without insertion, keeping the shortest good one (default 0)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def fitness_spec(task: str | None) -> FitnessSpec:
    """The default fitness, or one proxy task at its default knobs judged the same way.

    Raises:
        UserError: for an unknown task.

    Example:
        >>> fitness_spec("quadratic").tasks[0].label
        'quadratic()'
    """
    if task is None:
        return DEFAULT_FITNESS
    if task not in task_names():
        raise UserError(f"unknown task {task!r} (tasks: {', '.join(task_names())})")
    return dataclasses.replace(DEFAULT_FITNESS, tasks=(TaskSpec(task),))


def run(args: argparse.Namespace) -> int:
    if args.seeds is not None and args.seeds < 1:
        raise UserError(f"--seeds must be at least 1, got {args.seeds}")
    if args.tolerance < 0 or args.evolve_steps < 0:
        raise UserError("--tolerance and --evolve-steps must not be negative")
    loaded = load_program(args.program)
    spec = fitness_spec(args.task)
    seeds = spec.seeds if args.seeds is None else tuple(range(args.seeds))
    result = simplify(loaded.program, spec, seeds, args.tolerance, args.evolve_steps, progress=_progress)
    if args.json:
        print(json.dumps(_report(result)))
    else:
        label = " + ".join(t.label for t in spec.tasks)
        _print_result(result, f"{loaded.origin} on {label}, seeds {', '.join(map(str, seeds))}")
    return 0


def _progress(line: str) -> None:
    print(f"symopt simplify: {line}", file=sys.stderr, flush=True)


def _report(result: Simplification) -> dict[str, Any]:
    steps = [
        {"name": s.name, "description": s.description, "fitness": finite_or_none(s.fitness), "source": s.source}
        for s in result.steps
    ]
    return {"source": result.source, "steps": steps, "fitness": finite_or_none(result.fitness)}


def _print_result(result: Simplification, title: str) -> None:
    out = sys.stdout
    width = max([len(s.name) for s in result.steps] + [len("original")])
    out.write(f"{title}\n")
    out.write(f"  {'original':<{width}}  {result.original_fitness:+.4f}  {len(result.original)} statements\n")
    for step in result.steps:
        out.write(f"  {step.name:<{width}}  {step.fitness:+.4f}  {step.description}\n")
    out.write(f"simplified: fitness {result.fitness:+.4f}, {len(result.program)} statements\n")
    out.write(result.source)
