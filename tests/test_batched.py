"""Batched evaluation: the same results as one run at a time, and no compile for a new program."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from symopt.dsl import builtin
from symopt.dsl.compiles import CompileCounter
from symopt.dsl.program import Const, Program, Statement, Var
from symopt.proxy_tasks import base
from symopt.proxy_tasks.batched import batchable, run_grid
from symopt.proxy_tasks.evaluate import analyse, run_analysed
from symopt.proxy_tasks.fitness import FitnessSpec, TaskSpec, evaluate_fitness
from symopt.proxy_tasks.registry import make_task

KNOBS = {"steps": 40, "val_size": 64, "batch": 16}
TEACHERS = [make_task("teacher_student", **KNOBS, data_seed=d) for d in (0, 1)]

def _same(batched, single) -> None:
    assert batched.status == single.status
    assert batched.reason == single.reason
    if single.ok:
        assert batched.metric == pytest.approx(single.metric, rel=1e-5, abs=1e-7)
        assert batched.train_loss == pytest.approx(single.train_loss, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name", ["lion", "adamw", "sgd"])
def test_a_grid_equals_runs_one_at_a_time(name: str) -> None:
    analysed = analyse(builtin(name))
    # At 1e7 times its rate SGD diverges: failed runs are compared too.
    seeds, combos = (0, 3), ((0, 0.5), (1, 2.0), (1, 1e7), (0, 1e7))
    grid = run_grid(analysed, TEACHERS, seeds, combos)
    statuses = set()
    for s, row in zip(seeds, grid):
        for (t, mult), got in zip(combos, row):
            _same(got, run_analysed(analysed, TEACHERS[t], s, mult))
            statuses.add(got.status)
    if name == "sgd":
        assert statuses == {"ok", "failed"}  # both kinds of run were compared


def test_tasks_batch_only_within_one_shape() -> None:
    assert batchable(TEACHERS)
    wider = make_task("teacher_student", **{**KNOBS, "width": 8})
    assert not batchable([TEACHERS[0], wider])
    grid = run_grid(analyse(builtin("sgd")), [TEACHERS[0], wider], (0,), ((0, 1.0), (1, 1.0)))
    assert [r.status for r in grid[0]] == ["failed", "failed"]
    assert "cannot train in one call" in grid[0][0].reason


def test_rejected_programs_fail_every_run() -> None:
    ignores = Program((Statement("update", "mul", (Var("w"), Const(0.1))),))
    grid = run_grid(analyse(ignores), TEACHERS, (0, 1), ((0, 1.0),))
    assert [r.reason for row in grid for r in row] == ["update ignores the gradient"] * 2


SPEC = FitnessSpec(
    tasks=(
        TaskSpec("teacher_student", {**KNOBS, "data_seed": 0}, lr_scale=4.0),
        TaskSpec("teacher_student", {**KNOBS, "data_seed": 1}, lr_scale=4.0),
        TaskSpec("rosenbrock", {"steps": 20}, weight=0.5, lr_scale=64.0, repeats=3),
    ),
    seeds=(0, 1),
    lr_multipliers=(0.25, 1.0),  # with 2 data seeds: 4 combos, as in the grid test
    slot_cost=0.2,
    grow_grid=2,
)


@pytest.mark.parametrize("name", ["lion", "sgd"])
def test_batched_fitness_equals_the_reference_path(name: str) -> None:
    program = builtin(name)
    batched = evaluate_fitness(program, SPEC)
    single = evaluate_fitness(program, FitnessSpec(**{**SPEC.__dict__, "batched": False}))
    assert batched.status == single.status and batched.runs == single.runs
    assert batched.fitness == pytest.approx(single.fitness, abs=1e-5)
    for b, s in zip(batched.per_task, single.per_task):
        assert (b.best_lr_mult, b.failed_runs) == (s.best_lr_mult, s.failed_runs)
        assert b.mean_log_loss == pytest.approx(s.mean_log_loss, abs=1e-5)


def test_a_new_program_costs_no_compile() -> None:
    evaluate_fitness(builtin("adamw"), SPEC)  # compiles each group's loop (and the baseline)
    with CompileCounter() as counter:
        results = [evaluate_fitness(builtin(name), SPEC) for name in ("lion", "program4")]
    assert counter.count == 0
    assert all(r.ok and math.isfinite(r.fitness) for r in results)
    assert results[0].fitness != results[1].fitness


@pytest.mark.parametrize("name, knobs", [("teacher_student", KNOBS), ("digits_mlp", {"steps": 20, "batch": 8})])
def test_batches_drawn_ahead_are_the_ones_the_loop_draws(name: str, knobs: dict) -> None:
    task = make_task(name, **knobs)
    analysed = analyse(builtin("lion"))
    ahead, in_loop = (run_analysed(analysed, task, 5, 2.0, ahead=a) for a in (True, False))
    assert ahead.ok and (ahead.metric, ahead.train_loss) == (in_loop.metric, in_loop.train_loss)
    grids = [run_grid(analysed, TEACHERS, (0, 1), ((0, 1.0), (1, 3.0)), ahead=a) for a in (True, False)]
    assert [[(r.metric, r.train_loss) for r in row] for row in grids[0]] == [
        [(r.metric, r.train_loss) for r in row] for row in grids[1]
    ]


def test_drawn_batches_are_kept_within_a_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    task = make_task("teacher_student", **{**KNOBS, "data_seed": 7})
    one_seed = 4 * KNOBS["steps"] * KNOBS["batch"] * task.knobs.in_dim  # float32 bytes
    monkeypatch.setattr(base, "BATCH_CACHE_BYTES", 2 * one_seed)
    first = np.asarray(task.batches((0,)))[0]
    task.batches((1,))
    task.batches((0,))  # used again: now the most recent
    task.batches((2,))
    assert list(task._batches) == [(0,), (2,)]
    assert np.array_equal(np.asarray(task.batches((0,)))[0], first)
    assert np.array_equal(np.asarray(task.batches((0, 1)))[0], first)


def _has_gpu() -> bool:
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(not _has_gpu(), reason="needs a GPU")
def test_a_grid_on_the_gpu_equals_the_cpu() -> None:
    analysed = analyse(builtin("lion"))
    combos = ((0, 1.0), (1, 0.5))
    with jax.default_device(jax.devices("gpu")[0]):
        on_gpu = run_grid(analysed, TEACHERS, (0, 1), combos)
    with jax.default_device(jax.devices("cpu")[0]):
        on_cpu = [[run_analysed(analysed, TEACHERS[t], s, m) for t, m in combos] for s in (0, 1)]
    for row_gpu, row_cpu in zip(on_gpu, on_cpu):
        for g, c in zip(row_gpu, row_cpu):
            assert g.ok and g.metric == pytest.approx(c.metric, rel=1e-3)
