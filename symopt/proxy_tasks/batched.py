"""All the runs of one program on tasks of one shape, trained in one compiled call.

A fitness trains one program many times: on a few tasks, from a few seeds, at a
few learning-rate multipliers. The program is the same in every run, so the
runs can share one loop (:func:`symopt.proxy_tasks.trainer.make_batch_train_fn`):
only the models are batched, each statement of the program still runs one
``lax.switch`` branch, for all runs at once. Tasks batch together when they are
of one family and differ only in their data knobs (:attr:`Task.data_knobs`,
e.g. the teacher's ``data_seed``); other tasks get their own calls. Each run's
result equals :meth:`Task.run`'s within float tolerance, and like
:func:`~symopt.proxy_tasks.evaluate.run_analysed` nothing here raises.

Example:
    >>> from symopt.dsl import builtin
    >>> from symopt.proxy_tasks.evaluate import analyse
    >>> from symopt.proxy_tasks.registry import make_task
    >>> tasks = [make_task("quadratic", steps=20, data_seed=d) for d in (0, 1)]
    >>> batchable(tasks)
    True
    >>> grid = run_grid(analyse(builtin("sgd")), tasks, seeds=(0, 1), combos=((0, 1.0), (1, 0.5)))
    >>> [[r.status for r in row] for row in grid]
    [['ok', 'ok'], ['ok', 'ok']]
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any, Callable, Sequence

import jax
import numpy as np

from symopt.proxy_tasks.base import RunResult, Task, check_seed, failed, result_of
from symopt.proxy_tasks.evaluate import Analysed
from symopt.proxy_tasks.trainer import TrainOutput, compile_batch_trainer

__all__ = ["batch_key", "batchable", "run_grid", "grid_runners", "Combo", "TaskRuns"]

Combo = tuple[int, float]
"""``(task index, lr_mult)``: one column of a grid of runs."""

TaskRuns = Callable[[float], list[RunResult]]
"""``runs(lr_mult) -> one result per run seed``: one task's runs at a multiplier."""


def batch_key(task: Task) -> tuple[Any, ...]:
    """What must be equal for tasks to train in one call: the family, the knobs
    other than its data knobs, the layout, and the data's structure and shapes."""
    knobs = dataclasses.asdict(task.knobs)
    for name in task.data_knobs:
        knobs.pop(name, None)
    data = task.built.data
    shapes = tuple((np.shape(x), np.asarray(x).dtype.str) for x in jax.tree_util.tree_leaves(data))
    return (type(task), tuple(sorted(knobs.items())), task.layout, jax.tree_util.tree_structure(data), shapes)


def batchable(tasks: Sequence[Task]) -> bool:
    """Whether ``tasks`` can train in one call (:func:`batch_key` equal)."""
    return len({batch_key(t) for t in tasks}) == 1


@functools.cache
def _group(tasks: tuple[Task, ...]) -> tuple[Callable[..., list[list[TrainOutput]]], Any]:
    """The compiled batched loop and the stacked data of a group; once per process."""
    stacked = jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *(t.built.data for t in tasks))
    first = tasks[0]
    return compile_batch_trainer(first.built, first.layout), jax.device_put(stacked)


def run_grid(
    analysed: Analysed, tasks: Sequence[Task], seeds: Sequence[int], combos: Sequence[Combo], ahead: bool = True
) -> list[list[RunResult]]:
    """Trains ``analysed`` from each seed at each combo, in one call; never raises.

    Args:
        analysed: the program (:func:`~symopt.proxy_tasks.evaluate.analyse`).
        tasks: tasks that :func:`batchable` accepts together.
        seeds: training seeds.
        combos: ``(index into tasks, lr_mult)`` pairs.
        ahead: train on the seeds' batches drawn once (:meth:`Task.batches`,
            the first task's: a family's tasks share them); ``False`` draws
            them in the loop, the same values.

    Returns:
        ``results[s][c]``: the run from ``seeds[s]`` at ``combos[c]``, as
        :func:`~symopt.proxy_tasks.evaluate.run_analysed` would give it. Each
        result's ``seconds`` is its share of the call.
    """
    if analysed.rejected is not None:
        return [[analysed.rejected] * len(combos) for _ in seeds]
    start = time.perf_counter()
    try:
        if not batchable(tasks):
            raise ValueError("tasks of different families or shapes cannot train in one call")
        for seed in seeds:
            check_seed(seed)
        encoded = analysed.error or analysed.encoded(tasks[0].layout)
        if isinstance(encoded, str):
            return _all_failed(encoded, start, seeds, combos)
        train, data = _group(tuple(tasks))
        batches = tasks[0].batches(seeds) if ahead else None
        outs = train(encoded, list(seeds), [m for _, m in combos], data, [t for t, _ in combos], batches)
    except Exception as err:  # the search must go on whatever one candidate does
        return _all_failed(f"{type(err).__name__}: {err}", start, seeds, combos)
    share = (time.perf_counter() - start) / (len(seeds) * len(combos))
    return [[result_of(out, share) for out in row] for row in outs]


def _all_failed(reason: str, start: float, seeds: Sequence[int], combos: Sequence[Combo]) -> list[list[RunResult]]:
    share = (time.perf_counter() - start) / max(1, len(seeds) * len(combos))
    return [[failed(reason, share) for _ in combos] for _ in seeds]


def grid_runners(
    analysed: Analysed,
    parts: Sequence[tuple[Task, tuple[int, ...], float]],
    multipliers: Sequence[float],
    ahead: bool = True,
) -> list[TaskRuns]:
    """One :data:`TaskRuns` per part, with every part's runs at ``multipliers``
    trained up front in one call per group of batchable parts.

    Args:
        analysed: the program.
        parts: ``(task, run seeds, lr_scale)`` per task of a fitness; a run at
            multiplier ``r`` trains at ``lr_scale * r``.
        multipliers: the multipliers to train up front; a runner asked for
            another (a grown grid) trains that part's seeds in one more call.
        ahead: as for :func:`run_grid`.
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, (task, seeds, _) in enumerate(parts):
        groups.setdefault((batch_key(task), seeds), []).append(i)
    done: dict[tuple[int, float], list[RunResult]] = {}
    group_of: dict[int, list[int]] = {}
    for members in groups.values():
        tasks = [parts[i][0] for i in members]
        combos = [(k, parts[i][2] * r) for k, i in enumerate(members) for r in multipliers]
        grid = run_grid(analysed, tasks, parts[members[0]][1], combos, ahead)
        for c, (k, _) in enumerate(combos):
            done[(members[k], multipliers[c % len(multipliers)])] = [row[c] for row in grid]
        group_of.update({i: members for i in members})

    def runner(i: int) -> TaskRuns:
        _, seeds, scale = parts[i]
        members = group_of[i]  # the whole group's data, so a grown grid needs no compile per task

        def runs(r: float) -> list[RunResult]:
            if (i, r) not in done:
                combo = [(members.index(i), scale * r)]
                grid = run_grid(analysed, [parts[j][0] for j in members], seeds, combo, ahead)
                done[(i, r)] = [row[0] for row in grid]
            return done[(i, r)]

        return runs

    return [runner(i) for i in range(len(parts))]
