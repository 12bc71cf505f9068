"""Proxy tasks: determinism, training, compile-once, and evaluate's failure paths.

One table of tasks at tiny knobs (few steps, small models) drives the shared
checks, as optax's ``alias_test.py`` drives one table of optimizers. Each task
compiles once for the whole module: ``make_task`` shares instances.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from symopt.dsl.builtins import builtin
from symopt.dsl.compiles import CompileCounter
from symopt.dsl.encode import Layout, encode
from symopt.dsl.program import Const, Program, Statement, Var
from symopt.dsl.source import parse
from symopt.proxy_tasks import RunResult, Task, describe_tasks, evaluate, make_task, task_names
from symopt.proxy_tasks.analytic import Quadratic, QuadraticKnobs
from symopt.proxy_tasks.base import fingerprint
from symopt.proxy_tasks.data import pydoc_text
from symopt.proxy_tasks.evaluate import prepare
from symopt.proxy_tasks.trainer import compile_direct_trainer, schedule, warmup_steps

from random_programs import random_valid_program, random_variant

TINY: dict[str, dict[str, object]] = {
    "quadratic": {"steps": 30},
    "rosenbrock": {"steps": 30},
    "teacher_student": {"steps": 20},
    "digits_mlp": {"steps": 30},
    "digits_vit": {"steps": 15, "d_model": 8, "batch": 16},
    "char_lm": {"steps": 15, "d_model": 8, "context": 8, "batch": 4, "val_windows": 16},
}

# Built-ins that must improve on the untrained model at the tiny knobs. Plain SGD
# (lr 0.1) diverges on Rosenbrock's steep valley, as it should; that is checked below.
TRAINS = {name: ("adamw", "lion", "sgd") for name in TINY} | {"rosenbrock": ("adamw", "lion")}


def program(body: str) -> Program:
    return parse(f"def train(w, g, m, v, lr):\n{body}\n    return update, m, v\n")


STANDING_STILL = program("    update = g * 0.0")
"""Reads the gradient but never moves: its metric is the untrained model's."""


def tiny(name: str) -> Task:
    return make_task(name, **TINY[name])


def test_the_table_covers_every_task() -> None:
    assert set(TINY) == set(task_names())


@pytest.mark.parametrize("name", TINY)
def test_same_seed_same_result_other_seed_other_result(name: str) -> None:
    task = tiny(name)
    first, again, other = (evaluate(builtin("adamw"), task, seed) for seed in (0, 0, 1))
    assert first.ok, first.reason
    assert (first.metric, first.train_loss, first.extra) == (again.metric, again.train_loss, again.extra)
    assert other.metric != first.metric


@pytest.mark.parametrize("name", TINY)
def test_builtins_improve_on_the_untrained_model(name: str) -> None:
    task = tiny(name)
    untrained = evaluate(STANDING_STILL, task, 0)
    assert untrained.ok, untrained.reason
    for optimizer in TRAINS[name]:
        result = evaluate(builtin(optimizer), task, 0)
        assert result.ok, (optimizer, result.reason)
        assert result.metric < untrained.metric, optimizer
        assert math.isfinite(result.train_loss)


@pytest.mark.parametrize("name", TINY)
def test_new_programs_do_not_compile(name: str) -> None:
    task = tiny(name)
    evaluate(builtin("adamw"), task, 0)  # compiles, once per process
    rng = np.random.default_rng(1)
    programs = [random_variant(rng, builtin(base)) for base in ("adamw", "lion", "momentum") * 4]
    with CompileCounter() as compiles:
        results = [evaluate(p, task, seed, lr_mult=0.5 + seed) for seed, p in enumerate(programs)]
    assert compiles.count == 0
    assert len({r.metric for r in results if r.ok}) > 1


def test_gradient_independent_program_is_not_trained() -> None:
    task = Quadratic(QuadraticKnobs(steps=7))  # private instance: never compiled
    decay_only = program("    update = w * 0.01")
    with CompileCounter() as compiles:
        result = evaluate(decay_only, task, 0)
    assert (result.status, result.reason) == ("failed", "update ignores the gradient")
    assert math.isnan(result.metric) and math.isnan(result.train_loss)
    assert compiles.count == 0


@pytest.mark.parametrize(
    "bad",
    [
        Program((Statement("update", "sign", (Var("x"),)),)),  # reads an undefined name
        Program((Statement("update", "global_norm", (Var("g"),)),)),  # scalar update
        Program((Statement("update", "nope", (Var("g"),)),)),  # unknown function
        Program((Statement("update", "add", (Var("g"),)),)),  # wrong arity
    ],
)
def test_invalid_program_fails_without_raising(bad: Program) -> None:
    result = evaluate(bad, "quadratic", 0)
    assert result.status == "failed"
    assert result.reason.startswith("invalid program: ")


def test_too_long_program_fails() -> None:
    chain = [Statement("update", "mul", (Var("g"), Const(0.01)))]
    chain += [Statement("update", "mul", (Var("update"), Const(1.0))) for _ in range(Layout().max_len)]
    result = evaluate(Program(tuple(chain)), tiny("quadratic"), 0)
    assert result.status == "failed" and result.reason.startswith("too long: ")


@pytest.mark.parametrize(
    "body",
    [
        "    update = g * -10000.0",  # ascends: the loss overflows within a few steps
        "    t = g * 1e10\n    t = exp(t)\n    update = t - t",  # inf - inf
    ],
)
def test_diverging_program_fails_and_stops_early(body: str) -> None:
    task = tiny("quadratic")
    result = evaluate(program(body), task, 0)
    assert result.status == "failed" and result.reason.startswith("diverged: ")
    assert math.isnan(result.metric)
    step = int(result.reason.rsplit(" ", 1)[-1])
    assert step < task.knobs.steps - 10


def test_bad_arguments_fail_without_raising() -> None:
    assert evaluate(builtin("sgd"), "quadratic", seed=-1).status == "failed"
    assert evaluate(builtin("sgd"), "no_such_task", seed=0).reason.startswith("ValueError: unknown task")


def test_padding_costs_nothing_and_changes_nothing() -> None:
    adamw = builtin("adamw")
    dead = (Statement("t0", "cosh", (Var("w"),)), Statement("v2", "exp", (Var("g"),)))
    padded = adamw.with_changes(statements=dead * 30 + adamw.statements)
    assert len(padded) > Layout().max_len
    task = tiny("teacher_student")
    assert evaluate(padded, task, 3).metric == evaluate(adamw, task, 3).metric


def test_dead_state_slots_are_dropped() -> None:
    assert prepare(builtin("lion")).state == ("m",)
    assert prepare(builtin("program4")).state == ("v",)
    assert prepare(builtin("sgd")).state == ()


@pytest.mark.parametrize("optimizer", ["lion", "program4"])
def test_encoded_loop_matches_the_direct_executor(optimizer: str) -> None:
    task = tiny("teacher_student")
    encoded = evaluate(builtin(optimizer), task, 2, lr_mult=0.7)
    direct = compile_direct_trainer(task.built, builtin(optimizer))(2, 0.7)
    assert encoded.metric == pytest.approx(direct.metric, rel=1e-5)
    assert encoded.train_loss == pytest.approx(direct.train_loss, rel=1e-5)


def test_lr_mult_zero_is_standing_still() -> None:
    task = tiny("digits_mlp")
    frozen = evaluate(builtin("adamw"), task, 0, lr_mult=0.0)
    assert frozen.metric == pytest.approx(evaluate(STANDING_STILL, task, 0).metric, rel=1e-6)
    assert frozen.metric != evaluate(builtin("adamw"), task, 0).metric


def test_digits_report_accuracy() -> None:
    result = evaluate(builtin("adamw"), tiny("digits_mlp"), 0)
    assert 0.5 < result.extra["accuracy"] <= 1.0


def test_task_run_takes_encoded_programs() -> None:
    task = tiny("quadratic")
    result = task.run(encode(builtin("sgd"), task.layout), seed=4)
    assert isinstance(result, RunResult) and result.ok and result.reason == ""


def test_make_task_is_shared_and_checks_knobs() -> None:
    assert make_task("quadratic", steps="30") is tiny("quadratic")
    assert make_task("digits_mlp") is not make_task("digits_mlp", loss="ce")
    with pytest.raises(ValueError, match="unknown task 'nope'.*digits_mlp"):
        make_task("nope")
    with pytest.raises(ValueError, match="unknown knob 'stepz'.*steps"):
        make_task("digits_mlp", stepz=3)
    with pytest.raises(ValueError, match="knob 'steps' must be an integer"):
        make_task("digits_mlp", steps="many")
    with pytest.raises(ValueError, match="knob 'loss' must be one of se, ce"):
        make_task("digits_mlp", loss="hinge")
    with pytest.raises(ValueError, match="knob 'batch' must be >= 1"):
        make_task("teacher_student", batch=0)
    with pytest.raises(ValueError, match="knob 'heads' must divide"):
        make_task("char_lm", heads=3)


def test_info_and_descriptions() -> None:
    info = tiny("char_lm").info()
    assert info["data_sha256"] == fingerprint(pydoc_text()) and len(info["data_sha256"]) == 16
    assert info["knobs"]["d_model"] == 8 and info["steps"] == 15
    assert make_task("digits_mlp").info()["params"] == 64 * 64 + 64 + 64 * 10 + 10
    assert make_task("teacher_student").info()["params"] == 16 * 64 + 64 + 64 + 1
    rows = {row["name"]: row for row in describe_tasks()}
    assert set(rows) == set(task_names())
    assert all(row["approx_ms"] > 0 and row["doc"] and row["knobs"] for row in rows.values())


def test_teacher_is_fixed_by_the_data_seed() -> None:
    assert make_task("teacher_student", data_seed=0).data_fingerprint() == tiny("teacher_student").data_fingerprint()
    assert make_task("teacher_student", data_seed=1).data_fingerprint() != tiny("teacher_student").data_fingerprint()


def test_schedule_warms_up_then_decays_to_zero() -> None:
    steps, warm = 100, warmup_steps(100, 0.05)
    values = [float(schedule(s, steps, warm)) for s in range(steps)]
    assert values[warm - 1] == pytest.approx(1.0) and max(values) == pytest.approx(1.0)
    assert values[:warm] == sorted(values[:warm]) and values[warm:] == sorted(values[warm:], reverse=True)
    assert float(schedule(steps, steps, warm)) == pytest.approx(0.0, abs=1e-7)


def test_fuzz_random_programs_never_raise() -> None:
    task = tiny("teacher_student")
    evaluate(builtin("adamw"), task, 0)
    rng = np.random.default_rng(2023)
    statuses = {"ok": 0, "failed": 0}
    with CompileCounter() as compiles:
        for i in range(500):
            result = evaluate(random_valid_program(rng), task, i % 3)
            assert isinstance(result, RunResult)
            assert result.status in statuses
            if result.ok:
                assert math.isfinite(result.metric) and math.isfinite(result.train_loss)
            else:
                assert result.reason and math.isnan(result.metric)
                assert not result.reason.startswith(("invalid program", "too long")), result.reason
            statuses[result.status] += 1
    assert compiles.count == 0
    assert statuses["ok"] > 20 and statuses["failed"] > 20
