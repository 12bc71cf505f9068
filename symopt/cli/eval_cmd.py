"""``symopt eval``: train a program on the search's fitness, or on one proxy task.

Without ``--task`` the program gets the default search fitness
(``symopt.proxy_tasks.DEFAULT_FITNESS``). With ``--task`` it is trained on that task alone, over
seeds ``0..N-1``, and ``fitness`` is reported as null.

Example:
    $ symopt eval lion --task teacher_student --seeds 3
    $ symopt eval my_optimizer.py --task digits_mlp --set steps=600 --set loss=ce --json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from typing import Any

from symopt.cli.errors import UserError
from symopt.cli.loading import add_program_argument, load_program
from symopt.cli.status import working
from symopt.dsl import Program
from symopt.proxy_tasks import DEFAULT_FITNESS, evaluate, evaluate_fitness, make_task, RunResult, Task, task_names

__all__ = ["add_parser", "run", "DEFAULT_SEEDS"]

DEFAULT_SEEDS = 3
"""Seeds ``symopt eval --task`` trains with unless ``--seeds`` says otherwise."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="train a program on the default fitness or on one proxy task; print its metrics",
        description=(
            "Train a program file or built-in (adamw, lion, sgd, momentum, signum, program4) "
            "and print the validation metric (lower is better) per seed and their mean. "
            "Without --task: the search's default fitness. With --task: that task alone "
            f"(tasks: {', '.join(task_names())}; see 'symopt tasks' for their knobs)."
        ),
        epilog="example: symopt eval lion --task teacher_student --set steps=600 --seeds 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_program_argument(p)
    p.add_argument("--task", help="one proxy task instead of the default fitness")
    p.add_argument(
        "--seeds",
        type=int,
        default=None,
        metavar="N",
        help=f"seeds 0..N-1 (default {DEFAULT_SEEDS} with --task, else the fitness's own)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        dest="knobs",
        help="change a knob of --task (repeatable), e.g. --set steps=600",
    )
    p.add_argument(
        "--lr-mult",
        type=float,
        default=None,
        metavar="X",
        help="multiply the learning-rate schedule by X > 0 (with --task; default 1)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.seeds is not None and args.seeds < 1:
        raise UserError(f"--seeds must be at least 1, got {args.seeds}")
    if args.lr_mult is not None and not (math.isfinite(args.lr_mult) and args.lr_mult > 0):
        raise UserError(f"--lr-mult must be a finite number > 0, got {args.lr_mult:g}")
    program = load_program(args.program).program
    if args.task:
        report = _eval_task(program, _task(args.task, args.knobs), args)
    else:
        if args.knobs:
            raise UserError("--set needs --task (the default fitness has its own task settings)")
        if args.lr_mult is not None:
            raise UserError("--lr-mult needs --task (the default fitness chooses its own)")
        report = _eval_fitness(program, args.seeds)
    if args.json:
        print(json.dumps(_jsonable(report), indent=2))
    else:
        _print_report(report)
    return 0


def _task(name: str, settings: list[str]) -> Task:
    knobs = {}
    for setting in settings:
        knob, sep, value = setting.partition("=")
        if not sep or not knob:
            raise UserError(f"--set wants KNOB=VALUE, got {setting!r}")
        knobs[knob.strip()] = value.strip()
    try:
        return make_task(name, **knobs)
    except ValueError as err:
        raise UserError(str(err)) from err


def _eval_task(program: Program, task: Task, args: argparse.Namespace) -> dict[str, Any]:
    lr_mult = 1.0 if args.lr_mult is None else args.lr_mult
    seeds = list(range(DEFAULT_SEEDS if args.seeds is None else args.seeds))
    results = []
    with working(f"training on {task.name}") as say:
        for n, seed in enumerate(seeds, start=1):
            say(f"training on {task.name}: seed {seed} ({n}/{len(seeds)}; the first compiles)")
            results.append(evaluate(program, task, seed, lr_mult))
    failures = [r for r in results if not r.ok]
    metrics = [r.metric for r in results]
    return {
        "task": task.name,
        "knobs": dataclasses.asdict(task.knobs),
        "metric_name": task.metric_name,
        "seeds": seeds,
        "lr_mult": lr_mult,
        "metric": math.nan if failures else sum(metrics) / len(metrics),
        "metric_se": _standard_error(metrics) if not failures else math.nan,
        "fitness": None,
        "status": "failed" if failures else "ok",
        "reason": failures[0].reason if failures else "",
        "seconds": sum(r.seconds for r in results),
        "per_seed": [_run_row(seed, r) for seed, r in zip(seeds, results)],
    }


def _run_row(seed: int, result: RunResult) -> dict[str, Any]:
    return {"seed": seed, **dataclasses.asdict(result)}


def _standard_error(values: list[float]) -> float:
    if len(values) < 2:
        return math.nan
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return math.sqrt(variance / len(values))


def _eval_fitness(program: Program, n_seeds: int | None) -> dict[str, Any]:
    spec = DEFAULT_FITNESS
    seeds = list(range(n_seeds)) if n_seeds is not None else list(spec.seeds)
    label = " + ".join(t.label for t in spec.tasks)
    with working(f"training on the default fitness ({label}), seeds {seeds[0]}..{seeds[-1]}"):
        result = evaluate_fitness(program, spec, seeds=tuple(seeds))
    report = {
        "task": "fitness: " + label,
        "metric_name": "metric",
        "seeds": seeds,
        "metric": result.metric,
        "fitness": result.fitness,
        "status": result.status,
        "reason": result.reason,
        "seconds": result.seconds,
    }
    extra = {k: v for k, v in dataclasses.asdict(result).items() if k not in report}
    return {**report, **extra}


def _jsonable(value: Any) -> Any:
    """JSON has no NaN: non-finite floats become null; unknown objects, their text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def _short(value: Any) -> str:
    return f"{value:.5g}" if isinstance(value, float) else str(value)


def _print_report(report: dict[str, Any]) -> None:
    out = sys.stdout
    name = report["metric_name"]
    knobs = report.get("knobs")
    settings = f" ({', '.join(f'{k}={v}' for k, v in knobs.items())})" if knobs else ""
    out.write(f"{report['task']}{settings}\n")
    for row in report.get("per_seed", []):
        if row["status"] == "ok":
            extras = "".join(f"  {k} {v:.4f}" for k, v in row["extra"].items())
            line = f"{name} {row['metric']:.5f}  train_loss {row['train_loss']:.5f}{extras}"
        else:
            line = f"failed: {row['reason']}"
        out.write(f"  seed {row['seed']}: {line}  ({row['seconds']:.2f} s)\n")
    for row in report.get("per_task", []):
        details = ", ".join(f"{k} {_short(v)}" for k, v in row.items() if k != "task")
        out.write(f"  {row['task']}: {details}\n")
    seeds = len(report["seeds"])
    if report["status"] != "ok":
        out.write(f"failed: {report['reason']}  ({report['seconds']:.2f} s)\n")
        return
    se = report.get("metric_se", math.nan)
    spread = f" +- {se:.5f}" if math.isfinite(se) else ""
    out.write(f"mean over {seeds} seed(s): {name} {report['metric']:.5f}{spread}")
    if report["fitness"] is not None:
        out.write(f"  fitness {report['fitness']:.5f}")
    out.write(f"  ({report['seconds']:.2f} s)\n")
