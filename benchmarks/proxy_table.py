"""Does the default search fitness rank Lion above AdamW? Tuned learning rates, fresh seeds.

For each reference program (the AdamW seed, AdamW with beta2 = 0.9, Lion,
signum, momentum, SGD, the paper's Program 4): tune the program's learning-rate
constant on a factor-2 grid (the grid grows past an edge) by the fitness on
tuning seeds, then score the tuned program under the fitness on fresh seed
blocks (each block as many seeds as the fitness uses) and print fitness mean +-
standard error over the blocks, Lion's paired lead over each program, the tuned
peak learning rate and the effective weight decay (lr * lambda). The last lines
compare AdamW's and Lion's tuned learning rates and decays (paper: AdamW's
learning rate is 3-10x Lion's, its decay 3-10x smaller).

Usage:
    python benchmarks/proxy_table.py [--blocks 8] [--quick] [--slot-cost C]

Example output line (program, tuned factor, lr constant, then per task peak lr
and metric, then fitness and Lion's paired lead):
    lion           1    0.0003    0.0096    0.1136     0.154    0.0629   +0.426 +- 0.062 ...
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import time
from typing import Sequence

from symopt.dsl import Const, Program, Statement, Var, builtin
from symopt.proxy_tasks.fitness import DEFAULT_FITNESS, FitnessResult, FitnessSpec, evaluate_fitness

__all__ = ["reference_programs", "scale_lr", "lr_constant", "decay_constant", "tune", "evaluate_row", "Row", "main"]

TUNING_SEED0 = 1000
FRESH_SEED0 = 2000


def _const_of(program: Program, reads: str, target: str | None = None) -> tuple[int, float]:
    """Index and value of the first ``target = reads * C`` (any target if None)."""
    for i, st in enumerate(program.statements):
        if st.fn != "mul" or target not in (None, st.target):
            continue
        names = [a.name for a in st.args if isinstance(a, Var)]
        consts = [a.value for a in st.args if isinstance(a, Const)]
        if names == [reads] and len(consts) == 1:
            return i, consts[0]
    raise ValueError(f"no statement '{target or 'x'} = {reads} * constant' in the program")


def lr_constant(program: Program) -> float:
    """The program's peak learning rate: ``C`` in ``lr = lr * C``."""
    return _const_of(program, "lr", target="lr")[1]


def decay_constant(program: Program) -> float:
    """The program's weight decay: ``C`` in ``x = w * C`` (0 if it has none)."""
    try:
        return _const_of(program, "w")[1]
    except ValueError:
        return 0.0


def scale_lr(program: Program, factor: float) -> Program:
    """``program`` with its learning-rate constant multiplied by ``factor``."""
    i, value = _const_of(program, "lr", target="lr")
    st = program.statements[i]
    args = tuple(Const(value * factor) if isinstance(a, Const) else a for a in st.args)
    return program.with_changes(statements=_replace(program.statements, i, st.with_changes(args=args)))


def _replace(statements: tuple[Statement, ...], i: int, new: Statement) -> tuple[Statement, ...]:
    return statements[:i] + (new,) + statements[i + 1 :]


def _with_beta2(program: Program, beta2: float) -> Program:
    """AdamW with its second-moment constant (the ``v = interp(g2, v, b)`` line) changed."""
    for i, st in enumerate(program.statements):
        if st.target == "v" and st.fn == "interp":
            args = st.args[:2] + (Const(beta2),)
            return program.with_changes(statements=_replace(program.statements, i, st.with_changes(args=args)))
    raise ValueError("no 'v = interp(...)' statement")


def reference_programs() -> dict[str, Program]:
    """The programs of the table, by display name."""
    programs = {"adamw": builtin("adamw"), "adamw_b2=0.9": _with_beta2(builtin("adamw"), 0.9)}
    programs.update({name: builtin(name) for name in ("lion", "signum", "momentum", "sgd", "program4")})
    return programs


def _fitness(program: Program, spec: FitnessSpec, seeds: Sequence[int]) -> FitnessResult:
    return evaluate_fitness(program, spec, seeds=tuple(seeds))


def tune(program: Program, spec: FitnessSpec, seeds: Sequence[int], span: int) -> float:
    """The factor-2 multiplier of the lr constant with the best fitness on ``seeds``.

    Starts on ``2**-span .. 2**span`` and extends the grid while the best is at an edge.
    """
    scores: dict[int, float] = {}

    def score(k: int) -> float:
        if k not in scores:
            scores[k] = _fitness(scale_lr(program, 2.0**k), spec, seeds).fitness
        return scores[k]

    lo, hi = -span, span
    for k in range(lo, hi + 1):
        score(k)
    for _ in range(8):  # the grid may need to grow for programs far from their optimum
        best = max(scores, key=lambda k: (scores[k], -abs(k)))
        if best == min(scores):
            score(best - 1)
        elif best == max(scores):
            score(best + 1)
        else:
            break
    return 2.0 ** max(scores, key=lambda k: (scores[k], -abs(k)))


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return mean, se


@dataclasses.dataclass(frozen=True)
class Row:
    """One program's line: tuned multiplier, and per task its peak lr and metric.

    Attributes:
        name: display name.
        mult: the tuned factor on the program's lr constant.
        lr_const: the tuned lr constant.
        peak_lr: per task, the median over blocks of the best ``lr_mult`` times ``lr_const``.
        metric: per task, the mean over blocks of the geometric-mean validation loss.
        fitness: one fitness per fresh block.
    """

    name: str
    mult: float
    lr_const: float
    peak_lr: tuple[float, ...]
    metric: tuple[float, ...]
    fitness: tuple[float, ...]


def evaluate_row(
    name: str, program: Program, spec: FitnessSpec, tuning: Sequence[int], blocks: Sequence[tuple[int, ...]], span: int
) -> Row:
    """Tunes ``program``'s lr constant on ``tuning``, then scores it on each fresh block."""
    tuned = scale_lr(program, mult := tune(program, spec, tuning, span))
    results = [_fitness(tuned, spec, b) for b in blocks]
    ok = [r for r in results if r.ok]
    peaks, metrics = [], []
    for i in range(len(spec.tasks)):
        parts = [r.per_task[i] for r in ok]
        peaks.append(lr_constant(tuned) * statistics.median(p.best_lr_mult for p in parts) if parts else math.nan)
        metrics.append(statistics.fmean(p.metric for p in parts) if parts else math.nan)
    return Row(name, mult, lr_constant(tuned), tuple(peaks), tuple(metrics), tuple(r.fitness for r in results))


def main(argv: Sequence[str] | None = None, spec: FitnessSpec = DEFAULT_FITNESS) -> None:
    """Prints the table for ``spec`` (the default fitness unless a caller passes another)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=8, help="fresh seed blocks (>= 2)")
    parser.add_argument("--quick", action="store_true", help="narrower grid, fewer tuning seeds")
    parser.add_argument("--slot-cost", type=float, default=None, help="override the spec's slot cost")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.slot_cost is not None:
        spec = dataclasses.replace(spec, slot_cost=args.slot_cost)
    n = len(spec.seeds)
    tuning = tuple(range(TUNING_SEED0, TUNING_SEED0 + (n if args.quick else 2 * n)))
    blocks = [tuple(range(FRESH_SEED0 + i * n, FRESH_SEED0 + (i + 1) * n)) for i in range(args.blocks)]
    span = 2 if args.quick else 3
    print(f"fitness: {spec}")
    print(f"tuning seeds {tuning}; {args.blocks} fresh blocks of {n} seeds from {FRESH_SEED0}")
    for i, t in enumerate(spec.tasks):
        print(f"task {i}: {t.label}, weight {t.weight}")
    rows = [evaluate_row(name, p, spec, tuning, blocks, span) for name, p in reference_programs().items()]
    lion = next(r for r in rows if r.name == "lion")
    adamw = next(r for r in rows if r.name == "adamw")
    per_task = " ".join(f"{f'peak lr {i}':>10s} {f'metric {i}':>9s}" for i in range(len(spec.tasks)))
    print(f"\n{'program':14s} {'mult':>6s} {'lr const':>9s} {per_task} {'fitness mean +- se':>20s} {'lion lead (paired)':>20s}")
    for r in rows:
        mean, se = _mean_se(r.fitness)
        lead, lead_se = _mean_se([a - b for a, b in zip(lion.fitness, r.fitness)])
        cells = " ".join(f"{p:>10.3g} {m:>9.4g}" for p, m in zip(r.peak_lr, r.metric))
        print(f"{r.name:14s} {r.mult:>6g} {r.lr_const:>9.3g} {cells} {mean:>+10.3f} +- {se:<7.3f} {lead:>+10.3f} +- {lead_se:<7.3f}")
    print()
    for i, t in enumerate(spec.tasks):
        ratio = adamw.peak_lr[i] / lion.peak_lr[i]
        decay = (decay_constant(builtin("lion")) * lion.peak_lr[i]) / (decay_constant(builtin("adamw")) * adamw.peak_lr[i])
        print(f"{t.name}: peak lr AdamW / Lion {ratio:.2f} (paper: 3-10); effective decay lr*lambda Lion / AdamW {decay:.2f}")
    lam = decay_constant(builtin("lion")) / decay_constant(builtin("adamw"))
    print(f"weight decay lambda Lion / AdamW: {lam:.1f} (paper: 3-10)")
    print(f"wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
