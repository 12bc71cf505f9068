"""Does a fitness rank tuned Lion above tuned AdamW and signum? Fresh seeds, paired leads.

For each reference program (AdamW with beta2 0.9, 0.95, 0.99, 0.999; signum 0.9
and 0.99; Lion 0.9/0.99; optionally the paper's Program 4):

1. Tune its learning-rate AND weight-decay constants on a grid, on tuning seeds
   (1000, 1001, ...) that the evaluation never uses: the learning-rate constant
   on a factor-2 grid (grown past an edge while the edge is best), the decay on
   a per-family grid (AdamW 0/.01/.1/.3, sign family 0/.3/1/3, grown x3 past
   the top). Each grid point is scored as the fitness scores a program (the
   same window, aggregate and teachers), from runs at ``lr_mult = lr_scale *
   C * r``, each run shared by the grid points whose windows contain it.
2. Score the tuned program with ``evaluate_fitness`` on fresh seed blocks
   (2000, 2001, ...; each block as many seeds as the fitness has).

Prints per program: the tuned peak learning rate (``lr_scale * C``) and decay,
fitness mean +- se over the blocks, and Lion's paired lead over it in standard
errors (z), with the fitness's slot cost and with slot cost 0, and per teacher
(task) Lion's lead at slot cost 0. ``--json`` writes every number.

Usage:
    python benchmarks/proxy_table.py [--teachers 0,1,2] [--seeds 2] [--blocks 10]
        [--aggregate mean|best] [--mults 0.5,1,2] [--init he|lecun] [--set knob=value]
        [--slot-cost 0.3] [--tune-seeds 2] [--programs lion,adamw_b2=0.99,...] [--json FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import time
from dataclasses import dataclass
from typing import Sequence

from symopt.dsl import Program, builtin
from symopt.dsl.analysis import live_slots
from symopt.proxy_tasks.fitness import lr_constant, with_decay, with_interp_constant, with_lr
from symopt.proxy_tasks.evaluate import analyse, run_analysed
from symopt.proxy_tasks.fitness import FitnessSpec, evaluate_fitness, run_log_loss
from symopt.proxy_tasks.fitness import LION_FITNESS, teacher_student_fitness

__all__ = ["reference_programs", "tune", "Tuned", "Row", "evaluate_row", "lead", "main"]

TUNING_SEED0 = 1000
FRESH_SEED0 = 2000
LR_START = tuple(range(-4, 3))  # exponents k of C = 0.001 * 2**k: peak lr 0.001-0.064 at lr_scale 16
ADAMW_DECAYS = (0.0, 0.01, 0.1, 0.3)
SIGN_DECAYS = (0.0, 0.3, 1.0, 3.0)


def reference_programs() -> dict[str, tuple[Program, tuple[float, ...]]]:
    """The programs of the table by display name, each with its decay grid."""
    adamw, signum = builtin("adamw"), builtin("signum")
    programs = {f"adamw_b2={b}": (with_interp_constant(adamw, "v", b), ADAMW_DECAYS) for b in (0.9, 0.95, 0.99, 0.999)}
    programs["signum_0.9"] = (signum, SIGN_DECAYS)
    programs["signum_0.99"] = (with_interp_constant(signum, "m", 0.99), SIGN_DECAYS)
    programs["lion"] = (builtin("lion"), SIGN_DECAYS)
    programs["program4"] = (builtin("program4"), SIGN_DECAYS)
    return programs


@dataclass(frozen=True)
class Tuned:
    """A tuned program: its constants and the grid it was chosen from.

    Attributes:
        program: the program with the tuned constants.
        lr: the tuned learning-rate constant ``C``.
        decay: the tuned decay constant.
        grid: ``{(C, decay): tuning score}``, higher is better.
    """

    program: Program
    lr: float
    decay: float
    grid: dict[tuple[float, float], float]


def _window(spec: FitnessSpec) -> tuple[int, ...]:
    exps = tuple(math.log2(r) for r in spec.lr_multipliers)
    if any(e != round(e) for e in exps):
        raise SystemExit("proxy_table.py: --mults must be powers of 2 (the tuning grid shares runs)")
    return tuple(int(e) for e in exps)


def tune(program: Program, decays: Sequence[float], spec: FitnessSpec, seeds: Sequence[int]) -> Tuned:
    """Tunes the learning-rate and decay constants of ``program`` (see the module docstring).

    The score of ``(C, decay)`` is minus the fitness's aggregate (over the window,
    ``mean`` or ``best``) of the mean log loss over ``seeds``, averaged over the
    tasks with their weights: the fitness up to the terms that do not depend on
    the constants.
    """
    window = _window(spec)
    runs: dict[tuple[float, int, int], float] = {}  # (decay, task, lr exponent) -> mean log loss over seeds
    analysed_at = functools.cache(lambda decay: analyse(with_lr(with_decay(program, decay), 1.0)))

    def mean_log_loss(decay: float, t: int, e: int) -> float:
        if (decay, t, e) not in runs:
            task_spec = spec.tasks[t]
            analysed = analysed_at(decay)
            mult = task_spec.lr_scale * 0.001 * 2.0**e
            logs = [run_log_loss((r := run_analysed(analysed, task_spec.task(), s, mult)).metric, r.ok)
                    for s in task_spec.run_seeds(seeds)]
            runs[(decay, t, e)] = math.fsum(logs) / len(logs)
        return runs[(decay, t, e)]

    grid: dict[tuple[int, float], float] = {}

    def score(k: int, decay: float) -> float:
        if (k, decay) not in grid:
            total = 0.0
            for t, task_spec in enumerate(spec.tasks):
                losses = [mean_log_loss(decay, t, k + j) for j in window]
                agg = statistics.fmean(losses) if spec.lr_aggregate == "mean" else min(losses)
                total += task_spec.weight * agg
            grid[(k, decay)] = -total / math.fsum(t.weight for t in spec.tasks)
        return grid[(k, decay)]

    def best_k(decay: float) -> int:
        ks = list(LR_START)
        for k in ks:
            score(k, decay)
        for _ in range(6):  # grow past an edge while the edge is best
            best = max(ks, key=lambda k: score(k, decay))
            if best not in (ks[0], ks[-1]):
                break
            new = ks[0] - 1 if best == ks[0] else ks[-1] + 1
            ks = sorted([*ks, new])
            score(new, decay)
        return max(ks, key=lambda k: score(k, decay))

    decays = list(decays)
    bests = {d: best_k(d) for d in decays}
    for _ in range(2):  # grow the decay grid x3 past its top while the top is best
        top = max(decays, key=lambda d: score(bests[d], d))
        if top != decays[-1]:
            break
        decays.append(top * 3)
        bests[decays[-1]] = best_k(decays[-1])
    decay = max(decays, key=lambda d: score(bests[d], d))
    lr = 0.001 * 2.0 ** bests[decay]
    by_constant = {(0.001 * 2.0**k, d): s for (k, d), s in grid.items()}
    return Tuned(with_lr(with_decay(program, decay), lr), lr, decay, by_constant)


@dataclass(frozen=True)
class Row:
    """One program's fresh-seed results.

    Attributes:
        name: display name.
        tuned: the tuned program and its grid.
        slots: live state slots.
        fitness: per block, the fitness (with the spec's slot cost).
        gains: per block, per task, the baseline's minus the program's log loss.
    """

    name: str
    tuned: Tuned
    slots: int
    fitness: tuple[float, ...]
    gains: tuple[tuple[float, ...], ...]


def evaluate_row(name: str, tuned: Tuned, spec: FitnessSpec, blocks: Sequence[tuple[int, ...]]) -> Row:
    """Scores the tuned program on each fresh block with ``evaluate_fitness``."""
    results = [evaluate_fitness(tuned.program, spec, seeds=b) for b in blocks]
    gains = tuple(tuple(p.baseline_log_loss - p.mean_log_loss for p in r.per_task) for r in results)
    return Row(name, tuned, len(live_slots(tuned.program)), tuple(r.fitness for r in results), gains)


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean."""
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


def lead(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """Paired lead of ``a`` over ``b``: mean difference, its standard error, and z."""
    mean, se = mean_se([x - y for x, y in zip(a, b)])
    return mean, se, mean / se if se > 0 else math.inf


def _spec(args: argparse.Namespace) -> FitnessSpec:
    knobs = dict(kv.split("=", 1) for kv in args.set)
    for key, value in knobs.items():
        try:
            knobs[key] = json.loads(value)
        except ValueError:
            pass  # a string knob, e.g. init=he
    if args.init:
        knobs["init"] = args.init
    base = LION_FITNESS
    return teacher_student_fitness(
        teachers=[int(t) for t in args.teachers.split(",")] if args.teachers else [
            dict(t.knobs)["data_seed"] for t in base.tasks],
        seeds=tuple(range(args.seeds)) if args.seeds else base.seeds,
        lr_multipliers=[float(m) for m in args.mults.split(",")] if args.mults else base.lr_multipliers,
        lr_aggregate=args.aggregate or base.lr_aggregate,
        slot_cost=base.slot_cost if args.slot_cost is None else args.slot_cost,
        lr_scale=base.tasks[0].lr_scale,
        **{k: v for k, v in dict(base.tasks[0].knobs).items() if k != "data_seed"} | knobs,
    )


def _row_line(row: Row, lion: Row, spec: FitnessSpec, base_slots: int) -> str:
    mean, se = mean_se(row.fitness)
    peak = row.tuned.lr * spec.tasks[0].lr_scale
    cells = f"{row.name:13s} {peak:>8.4f} {row.tuned.decay:>5g} {mean:>+8.3f} +- {se:.3f}"
    if row is lion:
        return cells
    _, _, z = lead(lion.fitness, row.fitness)
    free = lambda r: [f + spec.slot_cost * (r.slots - base_slots) for f in r.fitness]  # noqa: E731
    d0, se0, z0 = lead(free(lion), free(row))
    per_task = " ".join(
        f"{lead([g[t] for g in lion.gains], [g[t] for g in row.gains])[2]:>+6.1f}" for t in range(len(spec.tasks)))
    return f"{cells} {z:>+7.1f} {d0:>+8.3f} +- {se0:.3f} {z0:>+6.1f}   {per_task}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", help="data seeds, comma-separated (default: the preset's)")
    parser.add_argument("--seeds", type=int, help="training seeds per block (default: the preset's)")
    parser.add_argument("--mults", help="learning-rate window, powers of 2, comma-separated")
    parser.add_argument("--aggregate", choices=("mean", "best"), help="over the window")
    parser.add_argument("--init", choices=("he", "lecun"), help="the student's hidden-layer init")
    parser.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE", help="a teacher_student knob")
    parser.add_argument("--slot-cost", type=float, help="fitness per live slot (default: the preset's)")
    parser.add_argument("--blocks", type=int, default=10, help="fresh seed blocks (>= 2)")
    parser.add_argument("--tune-seeds", type=int, default=2, help="tuning seeds per teacher")
    parser.add_argument("--programs", help="comma-separated subset (lion is always in)")
    parser.add_argument("--fresh-seed0", type=int, default=FRESH_SEED0,
                        help="first fresh seed (exploration used others than the final run's)")
    parser.add_argument("--json", help="write every number to this file")
    parser.add_argument("--tuned", help="take each program's tuned lr and decay from this --json file of a run with "
                        "the same teachers, window and tuning seeds (tuning is deterministic: the same constants)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    spec = _spec(args)
    programs = reference_programs()
    names = [n for n in programs if n != "program4"] if not args.programs else args.programs.split(",")
    names = names if "lion" in names else [*names, "lion"]
    tuning = tuple(range(TUNING_SEED0, TUNING_SEED0 + args.tune_seeds))
    n = len(spec.seeds)
    blocks = [tuple(range(args.fresh_seed0 + i * n, args.fresh_seed0 + (i + 1) * n)) for i in range(args.blocks)]
    print(f"tasks: {', '.join(t.label for t in spec.tasks)}; lr_scale {spec.tasks[0].lr_scale}")
    print(f"window {spec.lr_multipliers} ({spec.lr_aggregate}), slot cost {spec.slot_cost}, "
          f"{n} seeds per block; tuning seeds {tuning}; {args.blocks} fresh blocks from {args.fresh_seed0}")
    previous = {}
    if args.tuned:
        with open(args.tuned) as f:
            previous = {r["name"]: r for r in json.load(f)["rows"]}
        print(f"tuned constants from {args.tuned}")
    rows = []
    for name in names:
        program, decays = programs[name]
        if name in previous:
            r = previous[name]
            grid = {(c, d): score for c, d, score in r["grid"]}
            tuned = Tuned(with_lr(with_decay(program, r["decay"]), r["lr"]), r["lr"], r["decay"], grid)
        else:
            tuned = tune(program, decays, spec, tuning)
        rows.append(evaluate_row(name, tuned, spec, blocks))
        print(f"  {name}: lr {tuned.lr:g} decay {tuned.decay:g} ({len(tuned.grid)} grid points, "
              f"{time.perf_counter() - start:.0f} s)", flush=True)
    lion = next(r for r in rows if r.name == "lion")
    base_slots = len(live_slots(builtin(LION_FITNESS.baseline)))
    teachers = " ".join(f"{'t' + str(dict(t.knobs)['data_seed']):>6s}" for t in spec.tasks)
    print(f"\n{'program':13s} {'peak lr':>8s} {'decay':>5s} {'fitness +- se':>17s} {'z':>7s} "
          f"{'lead, slot cost 0':>17s} {'z0':>6s}   per-teacher z0: {teachers}")
    for row in rows:
        print(_row_line(row, lion, spec, base_slots))
    print(f"wall time: {time.perf_counter() - start:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"spec": repr(spec), "rows": [
                {"name": r.name, "lr": r.tuned.lr, "decay": r.tuned.decay, "slots": r.slots, "fitness": r.fitness,
                 "gains": r.gains, "grid": [[c, d, s] for (c, d), s in r.tuned.grid.items()]} for r in rows]}, f)


if __name__ == "__main__":
    main()
