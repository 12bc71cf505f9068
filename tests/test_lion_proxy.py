"""Tests for the Lion-regime proxy: teacher_student's new knobs, program constants, and the
fitness's learning-rate window mean and decay multipliers (cheap tasks, few steps)."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from symopt.dsl import Const, Program, Statement, Var, builtin
from symopt.proxy_tasks.fitness import (
    decay_constants,
    interp_constant,
    lr_constant,
    scale_decay,
    with_decay,
    with_interp_constant,
    with_lr,
)
from symopt.proxy_tasks.evaluate import evaluate
from symopt.proxy_tasks.fitness import FitnessSpec, TaskSpec, evaluate_fitness, run_log_loss, runs_per_evaluation
from symopt.proxy_tasks.layers import mlp_init
from symopt.proxy_tasks.fitness import LION_FITNESS, LION_REGIME, teacher_student_fitness
from symopt.proxy_tasks.registry import make_task

TS = {"steps": 20, "val_size": 64}
QUAD = TaskSpec("quadratic", {"steps": 20, "dim": 8}, lr_scale=4.0)
PLAIN_SGD = Program((Statement("lr", "mul", (Var("lr"), Const(0.1))), Statement("update", "mul", (Var("g"), Var("lr")))))


def test_teacher_scale_scales_only_the_first_teacher_layer() -> None:
    half = make_task("teacher_student", **TS).built.data
    one = make_task("teacher_student", teacher_scale=1.0, **TS).built.data
    np.testing.assert_allclose(one["W0"], 2.0 * half["W0"], rtol=1e-6)
    np.testing.assert_array_equal(one["W1"], half["W1"])
    np.testing.assert_array_equal(one["x_val"], half["x_val"])
    np.testing.assert_allclose(one["y_val"], np.tanh(one["x_val"] @ one["W0"]) @ one["W1"], rtol=1e-5)


def test_default_knobs_are_todays_task() -> None:
    task = make_task("teacher_student", **TS)
    assert task.knobs.teacher_scale == 0.5 and task.knobs.init == "lecun" and task.knobs.warmup == 0.05
    assert make_task("teacher_student", teacher_scale=0.5, init="lecun", **TS) is task


def test_he_init_doubles_the_variance_of_hidden_layers_only() -> None:
    key = jax.random.key(3)
    lecun, he = mlp_init(key, (16, 64, 64, 1)), mlp_init(key, (16, 64, 64, 1), hidden_gain=2.0)
    for layer in range(2):
        np.testing.assert_allclose(he[layer]["W"], math.sqrt(2.0) * lecun[layer]["W"], rtol=1e-6)
    np.testing.assert_array_equal(he[2]["W"], lecun[2]["W"])
    student = make_task("teacher_student", init="he", **TS).built.init(key)
    assert student[0]["W"].shape == (16, 64)


def test_init_changes_the_run_and_bad_knobs_are_named() -> None:
    lecun = evaluate(builtin("adamw"), make_task("teacher_student", **TS), 0).metric
    he = evaluate(builtin("adamw"), make_task("teacher_student", init="he", **TS), 0).metric
    assert lecun != he
    with pytest.raises(ValueError, match="knob 'init' must be one of lecun, he"):
        make_task("teacher_student", init="xavier")
    with pytest.raises(ValueError, match="knob 'teacher_scale' must be > 0"):
        make_task("teacher_student", teacher_scale=0)


def test_constants_are_found_and_changed() -> None:
    adamw = builtin("adamw")
    assert lr_constant(with_lr(adamw, 0.03)) == 0.03
    assert decay_constants(with_decay(adamw, 0.5)) == (0.5,)
    assert decay_constants(scale_decay(adamw, 3.0)) == pytest.approx((0.03,))
    assert interp_constant(adamw, "v") == 0.999 and interp_constant(adamw, "m") == 0.9
    changed = with_interp_constant(adamw, "v", 0.99)
    assert interp_constant(changed, "v") == 0.99 and interp_constant(changed, "m") == 0.9
    assert len(changed) == len(adamw) and lr_constant(changed) == lr_constant(adamw)


def test_programs_without_a_decay_are_left_alone_or_refused() -> None:
    assert decay_constants(PLAIN_SGD) == () and scale_decay(PLAIN_SGD, 10.0) == PLAIN_SGD
    with pytest.raises(ValueError, match="no statement 'x = w \\* constant'"):
        with_decay(PLAIN_SGD, 0.1)
    with pytest.raises(ValueError, match="no statement 'v = interp"):
        interp_constant(builtin("lion"), "v")


def _mean_log_loss(program, task_spec: TaskSpec, seeds, mult: float) -> float:
    task = task_spec.task()
    logs = []
    for s in seeds:
        r = evaluate(program, task, s, lr_mult=task_spec.lr_scale * mult)
        logs.append(run_log_loss(r.metric, r.ok))
    return math.fsum(logs) / len(logs)


def test_window_mean_is_the_mean_over_the_multipliers() -> None:
    mults, seeds = (0.5, 1.0, 2.0), (0, 1)
    spec = FitnessSpec((QUAD,), seeds, mults, 0.0, "sgd", lr_aggregate="mean")
    score = evaluate_fitness(builtin("adamw"), spec).per_task[0]
    by_mult = [_mean_log_loss(builtin("adamw"), QUAD, seeds, r) for r in mults]
    assert score.mean_log_loss == pytest.approx(sum(by_mult) / 3, rel=1e-5)
    best = evaluate_fitness(builtin("adamw"), FitnessSpec((QUAD,), seeds, mults, 0.0, "sgd")).per_task[0]
    assert best.mean_log_loss == pytest.approx(min(by_mult), rel=1e-5) and best.mean_log_loss < score.mean_log_loss


def test_window_mean_does_not_grow() -> None:
    with pytest.raises(ValueError, match="grow_grid needs lr_aggregate 'best'"):
        FitnessSpec((QUAD,), (0,), (1.0,), 0.0, lr_aggregate="mean", grow_grid=1)
    with pytest.raises(ValueError, match="lr_aggregate must be"):
        FitnessSpec((QUAD,), (0,), (1.0,), 0.0, lr_aggregate="median")
    with pytest.raises(ValueError, match="decay multipliers must be > 0"):
        FitnessSpec((QUAD,), (0,), (1.0,), 0.0, decay_multipliers=(0.0,))


def test_decay_multipliers_keep_the_best_per_task() -> None:
    """The oracle: each decay factor scored alone (its decay constants scaled by hand)."""
    factors = (1.0, 30.0)
    spec = FitnessSpec((QUAD,), (0, 1), (1.0,), 0.0, "sgd", decay_multipliers=factors)
    plain = FitnessSpec((QUAD,), (0, 1), (1.0,), 0.0, "sgd")
    lion = builtin("lion")
    result = evaluate_fitness(lion, spec)
    alone = {d: evaluate_fitness(scale_decay(lion, d), plain).per_task[0].mean_log_loss for d in factors}
    best = min(alone, key=alone.__getitem__)
    assert alone[1.0] != alone[30.0]
    assert result.per_task[0].mean_log_loss == alone[best] and result.per_task[0].best_decay_mult == best
    assert result.runs == runs_per_evaluation(spec) == 4
    # No decay statement: run at one factor, half the runs.
    assert evaluate_fitness(PLAIN_SGD, spec).runs == 2


def test_lion_fitness_is_one_teacher_student_task_per_teacher() -> None:
    spec = teacher_student_fitness(teachers=(4, 7), seeds=(0,), lr_multipliers=(1.0,), steps=50)
    knobs = [dict(t.knobs) for t in spec.tasks]
    assert [k["data_seed"] for k in knobs] == [4, 7]
    assert all(k["steps"] == 50 and k["teacher_scale"] == LION_REGIME["teacher_scale"] for k in knobs)
    assert runs_per_evaluation(spec) == 2
    assert LION_FITNESS.lr_aggregate == "mean" and all(dict(t.knobs)["init"] == "he" for t in LION_FITNESS.tasks)
    assert 15 <= runs_per_evaluation(LION_FITNESS) <= 20
