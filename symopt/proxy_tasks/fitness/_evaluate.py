"""The search fitness: one number per program, from a few short training runs.

A :class:`FitnessSpec` names the proxy tasks (with their knobs and weights), the
training seeds, the learning-rate multipliers each candidate is tried at, and a
cost per live state slot. :func:`evaluate_fitness` computes, deterministically:

1. For each task ``t``, multiplier ``r`` and seed ``s``, one run of
   :func:`~symopt.proxy_tasks.evaluate.evaluate` with
   ``lr_mult = t.lr_scale * r``, scored by its log validation loss
   ``l = min(log(metric), LOG_LOSS_CAP)``. A failed run (diverged, invalid, too
   long) scores ``LOG_LOSS_CAP``: failures count as the worst.
2. Per task and multiplier, the mean of ``l`` over the seeds; per task, the best
   (lowest) of those means over the multipliers: ``L_t``. Trying a few
   multipliers keeps a structural change that wants a different learning-rate
   constant from being judged at the wrong one (PROXY_NOTES: sharp optima).
   With ``lr_aggregate="mean"``, ``L_t`` is instead the mean over the
   multipliers: a window that also rewards robustness to the learning rate.
   With ``decay_multipliers``, the whole of step 2 is repeated with the
   constant of every ``x = w * C`` statement scaled by each (the weight decay,
   :func:`~symopt.proxy_tasks.fitness.scale_decay`), and each task keeps its
   best.
3. The same for the baseline program (``spec.baseline``, the AdamW seed), with
   the same seeds, computed once per process: ``B_t`` (:func:`baseline_scores`).
4. ``fitness = sum_t w_t (B_t - L_t) / sum_t w_t
   - slot_cost * (live_slots(program) - live_slots(baseline))``.

Higher is better; the baseline scores exactly 0. Log space makes the score a
relative improvement (0.1 is about 10% lower loss), comparable across tasks whose
losses differ by orders of magnitude. A program whose every run fails (or that is
invalid, or ignores the gradient) gets ``status="failed"`` and
``fitness=FITNESS_FLOOR``; other scores are clipped to it from below. The
default (``DEFAULT_FITNESS``), measured, and its caveats: ``docs/fitness.md``;
the Lion-regime preset (``LION_FITNESS``): ``docs/proxy.md``.

Example:
    >>> from symopt.dsl import builtin
    >>> spec = FitnessSpec(
    ...     tasks=(TaskSpec("quadratic", {"steps": 20}),), seeds=(0,),
    ...     lr_multipliers=(1.0,), slot_cost=0.0, baseline="sgd")
    >>> evaluate_fitness(builtin("sgd"), spec).fitness
    0.0
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass
from typing import Sequence

from symopt.dsl.analysis import live_slots
from symopt.dsl.builtins import builtin
from symopt.dsl.program import Program
from symopt.proxy_tasks.base import Task
from symopt.proxy_tasks.batched import TaskRuns, grid_runners
from symopt.proxy_tasks.evaluate import INVALID_PROGRAM, Analysed, analyse, run_analysed
from symopt.proxy_tasks.fitness._constants import decay_constants, scale_decay
from symopt.proxy_tasks.fitness._spec import (
    DEFAULT_FITNESS,
    FITNESS_FLOOR,
    FitnessResult,
    FitnessSpec,
    Hurdle,
    TaskScore,
    TaskSpec,
    _runs,
    run_log_loss,
)
from symopt.proxy_tasks.registry import make_task

__all__ = ["evaluate_fitness", "baseline_scores"]


@dataclass(frozen=True)
class _Raw:
    """One task's raw result: best lr_mult, ``L_t``, runs made, failed runs, first failure reason."""

    best_lr_mult: float
    mean_log_loss: float
    runs: int
    failed_runs: int
    reason: str
    decay_mult: float = 1.0


def _score_task(
    spec: TaskSpec, multipliers: Sequence[float], grow: int, aggregate: str, runs: TaskRuns
) -> _Raw:
    means: dict[float, float] = {}
    failed_runs, reason, made = 0, "", 0

    def trial(r: float) -> None:
        nonlocal failed_runs, reason, made
        logs = []
        for result in runs(r):
            if not result.ok:
                failed_runs += 1
                reason = reason or result.reason
            logs.append(run_log_loss(result.metric, result.ok))
        made += len(logs)
        means[r] = math.fsum(logs) / len(logs)

    for r in multipliers:
        if r not in means:
            trial(r)
    # Strictly lower wins, so ties keep the first multiplier tried: deterministic.
    best = min(means, key=means.__getitem__)
    for _ in range(grow):
        low, high = min(means), max(means)
        if low == high or best not in (low, high):
            break  # one multiplier gives no direction; an inner best needs no growing
        step = low / 2 if best == low else high * 2
        trial(step)
        if not means[step] < means[best]:
            break
        best = step
    score = means[best] if aggregate == "best" else math.fsum(means.values()) / len(means)
    return _Raw(spec.lr_scale * best, score, made, failed_runs, reason)


def _one_at_a_time(
    analysed: Analysed, task: Task, seeds: tuple[int, ...], scale: float, ahead: bool
) -> TaskRuns:
    return lambda r: [run_analysed(analysed, task, seed, scale * r, ahead) for seed in seeds]


def _task_runs(
    analysed: Analysed, spec: FitnessSpec, seeds: tuple[int, ...], which: tuple[int, ...]
) -> list[TaskRuns]:
    """One run supplier per task of ``which``: batched per shape, or one run at a time (the reference)."""
    parts = [(t.task(), t.run_seeds(seeds), t.lr_scale) for t in (spec.tasks[i] for i in which)]
    if spec.batched:
        return list(grid_runners(analysed, parts, spec.lr_multipliers, spec.batches_ahead))
    return [_one_at_a_time(analysed, *part, spec.batches_ahead) for part in parts]


def _raw_scores(
    program: Program, spec: FitnessSpec, seeds: tuple[int, ...], which: tuple[int, ...] | None = None
) -> tuple[_Raw, ...]:
    """The raw score of each task of ``which`` (default: all), in that order."""
    which = tuple(range(len(spec.tasks))) if which is None else which
    # Each run is what evaluate() would give, without re-analysing the program per run.
    factors = spec.decay_multipliers if decay_constants(program) else (1.0,)
    per_factor = []
    for d in factors:
        analysed = analyse(program if d == 1.0 else scale_decay(program, d))
        runners = _task_runs(analysed, spec, seeds, which)
        raw = [
            _score_task(spec.tasks[i], spec.lr_multipliers, spec.grow_grid, spec.lr_aggregate, run)
            for i, run in zip(which, runners)
        ]
        per_factor.append([dataclasses.replace(r, decay_mult=d) for r in raw])
    # Per task, the best decay factor; every run made counts, over all the factors.
    best = []
    for t in range(len(which)):
        tried = [raws[t] for raws in per_factor]
        pick = min(tried, key=lambda r: r.mean_log_loss)  # ties keep the first factor: deterministic
        runs, failed = sum(r.runs for r in tried), sum(r.failed_runs for r in tried)
        reason = next((r.reason for r in tried if r.reason), "")
        best.append(dataclasses.replace(pick, runs=runs, failed_runs=failed, reason=reason))
    return tuple(best)


@functools.cache
def _baseline(spec: FitnessSpec, seeds: tuple[int, ...]) -> tuple[tuple[_Raw, ...], int]:
    program = builtin(spec.baseline)
    return _raw_scores(program, spec, seeds), len(live_slots(program))


def baseline_scores(spec: FitnessSpec, seeds: Sequence[int] | None = None) -> tuple[float, ...]:
    """The baseline's ``B_t`` per task, by the same procedure; cached per process.

    Args:
        spec: the fitness.
        seeds: the seeds to use instead of ``spec.seeds``.

    Example:
        >>> spec = FitnessSpec((TaskSpec("quadratic", {"steps": 20}),), (0,), (1.0,), 0.0, "sgd")
        >>> len(baseline_scores(spec))
        1
    """
    raw, _ = _baseline(spec, tuple(spec.seeds if seeds is None else seeds))
    return tuple(r.mean_log_loss for r in raw)


def _failed(reason: str, start: float, runs: int = 0, slots: int = 0) -> FitnessResult:
    return FitnessResult(FITNESS_FLOOR, "failed", reason, math.nan, time.perf_counter() - start, (), runs, slots)


def evaluate_fitness(
    program: Program,
    spec: FitnessSpec = DEFAULT_FITNESS,
    seeds: Sequence[int] | None = None,
    hurdle: Hurdle | None = None,
) -> FitnessResult:
    """The fitness of ``program`` under ``spec`` (see the module docstring); never raises.

    Args:
        program: any program, valid or not.
        spec: what to run and how to aggregate.
        seeds: seeds to use instead of ``spec.seeds`` (e.g. fresh seeds for a
            held-out check); the baseline is run with the same seeds.
        hurdle: train the hurdle's tasks first and stop there, with their
            score marked partial, when it is below the hurdle's threshold;
            their runs count towards the full fitness otherwise, which is the
            same as without a hurdle.

    Returns:
        A deterministic :class:`FitnessResult`.

    Example:
        >>> from symopt.dsl import builtin
        >>> spec = FitnessSpec((TaskSpec("quadratic", {"steps": 20}),), (0,), (1.0,), 0.5, "sgd")
        >>> r = evaluate_fitness(builtin("lion"), spec)
        >>> r.status, r.slots, r.runs
        ('ok', 1, 1)
    """
    start = time.perf_counter()
    try:
        return _evaluate_fitness(program, spec, tuple(spec.seeds if seeds is None else seeds), start, hurdle)
    except Exception as err:  # the search must go on whatever one candidate does
        return _failed(f"{type(err).__name__}: {err}", start)


def _evaluate_fitness(
    program: Program, spec: FitnessSpec, seeds: tuple[int, ...], start: float, hurdle: Hurdle | None
) -> FitnessResult:
    analysed = analyse(program)
    if analysed.rejected is not None:
        # Program-level failures need no training: every run would fail alike.
        reason = analysed.rejected.reason
        return _failed(INVALID_PROGRAM if reason.startswith(INVALID_PROGRAM) else reason, start)
    slots = len(live_slots(program))
    everything = tuple(range(len(spec.tasks)))
    if hurdle is None:
        return _result(program, spec, seeds, everything, _raw_scores(program, spec, seeds), slots, start)
    if max(hurdle.tasks) >= len(spec.tasks):
        raise ValueError(f"hurdle tasks {hurdle.tasks} are not all among the fitness's {len(spec.tasks)} tasks")
    part = _raw_scores(program, spec, seeds, hurdle.tasks)
    cut = _result(program, spec, seeds, hurdle.tasks, part, slots, start)
    score = cut.fitness if cut.ok else FITNESS_FLOOR
    if score < hurdle.threshold:
        return dataclasses.replace(cut, partial=True, hurdle_score=score)
    rest = tuple(i for i in everything if i not in hurdle.tasks)
    found = dict(zip(hurdle.tasks, part)) | dict(zip(rest, _raw_scores(program, spec, seeds, rest)))
    full = _result(program, spec, seeds, everything, tuple(found[i] for i in everything), slots, start)
    return dataclasses.replace(full, hurdle_score=score)


def _result(
    program: Program,
    spec: FitnessSpec,
    seeds: tuple[int, ...],
    which: tuple[int, ...],
    raw: tuple[_Raw, ...],
    slots: int,
    start: float,
) -> FitnessResult:
    """The fitness of the tasks ``which`` from their raw scores ``raw``."""
    base_all, base_slots = _baseline(spec, seeds)
    tasks, base_raw = [spec.tasks[i] for i in which], [base_all[i] for i in which]
    runs = sum(r.runs for r in raw)
    failed_runs = sum(r.failed_runs for r in raw)
    reason = next((r.reason for r in raw if r.reason), "")
    if failed_runs == runs:
        return _failed(reason, start, runs, slots)
    total_weight = math.fsum(t.weight for t in tasks)
    gain = math.fsum(t.weight * (b.mean_log_loss - r.mean_log_loss) for t, b, r in zip(tasks, base_raw, raw))
    fitness = gain / total_weight - spec.slot_cost * (slots - base_slots)
    per_task = tuple(
        TaskScore(
            t.label, r.best_lr_mult, r.mean_log_loss, math.exp(r.mean_log_loss), b.mean_log_loss, r.failed_runs, r.decay_mult
        )
        for t, b, r in zip(tasks, base_raw, raw)
    )
    return FitnessResult(
        fitness=max(fitness, FITNESS_FLOOR),
        status="ok",
        reason=reason,
        metric=per_task[0].metric,
        seconds=time.perf_counter() - start,
        per_task=per_task,
        runs=runs,
        slots=slots,
    )
