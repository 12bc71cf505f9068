"""Tests for symopt.proxy_tasks.fitness on a tiny spec (20-step quadratic, a few seeds)."""

from __future__ import annotations

import math
import pickle

import pytest

from symopt.dsl import builtin
from symopt.dsl.program import Const, Program, Statement, Var
from symopt.proxy_tasks.evaluate import evaluate
from symopt.proxy_tasks.fitness import (
    DEFAULT_FITNESS,
    FITNESS_FLOOR,
    LOG_LOSS_CAP,
    FitnessSpec,
    TaskSpec,
    baseline_scores,
    evaluate_fitness,
    run_log_loss,
    runs_per_evaluation,
)
from symopt.proxy_tasks.registry import make_task

QUAD = TaskSpec("quadratic", {"steps": 20, "dim": 8}, weight=2.0, lr_scale=4.0)
ROSEN = TaskSpec("rosenbrock", {"steps": 20}, weight=1.0, lr_scale=8.0)
SMALL = FitnessSpec(tasks=(QUAD, ROSEN), seeds=(0, 1), lr_multipliers=(0.5, 2.0), slot_cost=0.25)

# lr * 1e10 * g: every run's weights blow up.
EXPLODES = Program(
    (
        Statement("s", "mul", (Var("lr"), Const(1e10))),
        Statement("update", "mul", (Var("g"), Var("s"))),
        Statement("update", "mul", (Var("update"), Var("update"))),
        Statement("update", "exp", (Var("update"),)),
    )
)
IGNORES_GRADIENT = Program((Statement("update", "mul", (Var("w"), Const(0.1))),))
READS_UNDEFINED = Program((Statement("update", "mul", (Var("nowhere"), Const(0.1))),))


def test_baseline_scores_exactly_zero() -> None:
    result = evaluate_fitness(builtin("adamw"), SMALL)
    assert result.status == "ok"
    assert result.fitness == 0.0
    assert result.runs == runs_per_evaluation(SMALL) == 8
    assert evaluate_fitness(builtin("adamw"), SMALL, seeds=(7,)).fitness == 0.0


def test_other_baseline_scores_zero() -> None:
    spec = FitnessSpec(SMALL.tasks, (0,), (1.0,), 0.5, baseline="lion")
    assert evaluate_fitness(builtin("lion"), spec).fitness == 0.0


@pytest.mark.parametrize(
    ("program", "reason"),
    [(EXPLODES, "diverged"), (IGNORES_GRADIENT, "ignores the gradient"), (READS_UNDEFINED, "invalid"), (None, "")],
)
def test_failed_programs_get_the_floor_and_never_raise(program: Program, reason: str) -> None:
    result = evaluate_fitness(program, SMALL)  # type: ignore[arg-type]
    assert result.status == "failed"
    assert result.fitness == FITNESS_FLOOR
    assert reason in result.reason
    assert math.isnan(result.metric)


def test_deterministic() -> None:
    a = evaluate_fitness(builtin("lion"), SMALL)
    b = evaluate_fitness(builtin("lion"), SMALL)
    assert (a.fitness, a.per_task, a.metric) == (b.fitness, b.per_task, b.metric)


def _hand_task_score(program: Program, spec: TaskSpec, seeds: tuple[int, ...], mults: tuple[float, ...]) -> tuple[float, float]:
    task = make_task(spec.name, **dict(spec.knobs))
    means = {}
    for r in mults:
        logs = []
        for s in seeds:
            res = evaluate(program, task, s, spec.lr_scale * r)
            logs.append(min(math.log(res.metric), LOG_LOSS_CAP) if res.ok else LOG_LOSS_CAP)
        means[spec.lr_scale * r] = sum(logs) / len(logs)
    best = min(means, key=means.get)
    return best, means[best]


def test_aggregation_matches_a_hand_computation() -> None:
    program = builtin("signum")
    got = evaluate_fitness(program, SMALL)
    gains, weights = 0.0, 0.0
    for spec, part in zip(SMALL.tasks, got.per_task):
        best, mine = _hand_task_score(program, spec, SMALL.seeds, SMALL.lr_multipliers)
        _, base = _hand_task_score(builtin("adamw"), spec, SMALL.seeds, SMALL.lr_multipliers)
        assert part.best_lr_mult == best
        # The hand computation trains one run at a time; the spec batches them.
        assert part.mean_log_loss == pytest.approx(mine, rel=1e-5, abs=1e-6)
        assert part.baseline_log_loss == pytest.approx(base, rel=1e-5, abs=1e-6)
        gains += spec.weight * (base - mine)
        weights += spec.weight
    # signum keeps one live slot, AdamW two: one slot's cost is given back.
    assert got.fitness == pytest.approx(gains / weights + SMALL.slot_cost, abs=1e-5)
    assert got.metric == pytest.approx(math.exp(got.per_task[0].mean_log_loss))
    assert baseline_scores(SMALL) == tuple(p.baseline_log_loss for p in got.per_task)


@pytest.mark.parametrize(("name", "slots"), [("program4", 1), ("lion", 1), ("sgd", 0), ("adamw", 2)])
def test_slot_cost_counts_live_slots(name: str, slots: int) -> None:
    free = FitnessSpec(SMALL.tasks, (0,), (1.0,), slot_cost=0.0)
    costly = FitnessSpec(SMALL.tasks, (0,), (1.0,), slot_cost=0.3)
    a, b = evaluate_fitness(builtin(name), free), evaluate_fitness(builtin(name), costly)
    assert a.slots == b.slots == slots
    assert b.fitness - a.fitness == pytest.approx(0.3 * (2 - slots), abs=1e-9)


def test_specs_hash_pickle_and_validate() -> None:
    assert TaskSpec("quadratic", {"steps": 20, "dim": 8}) == TaskSpec("quadratic", (("dim", 8), ("steps", 20)))
    assert pickle.loads(pickle.dumps(SMALL)) == SMALL
    assert hash(DEFAULT_FITNESS) == hash(pickle.loads(pickle.dumps(DEFAULT_FITNESS)))
    assert runs_per_evaluation(DEFAULT_FITNESS) == 54
    with pytest.raises(ValueError, match="weight"):
        TaskSpec("quadratic", weight=0.0)
    with pytest.raises(ValueError, match="seeds"):
        FitnessSpec((QUAD,), (), (1.0,), 0.0)


def test_repeats_run_more_seeds_each() -> None:
    spec = FitnessSpec((TaskSpec("quadratic", {"steps": 20, "dim": 8}, repeats=3),), (4,), (1.0,), 0.0)
    result = evaluate_fitness(builtin("lion"), spec)
    assert result.runs == runs_per_evaluation(spec) == 3
    _, by_hand = _hand_task_score(builtin("lion"), TaskSpec("quadratic", {"steps": 20, "dim": 8}), (12, 13, 14), (1.0,))
    assert result.per_task[0].mean_log_loss == pytest.approx(by_hand, rel=1e-5, abs=1e-6)


def test_run_log_loss_caps_failures() -> None:
    assert run_log_loss(math.e, True) == pytest.approx(1.0)
    assert run_log_loss(1e30, True) == LOG_LOSS_CAP
    assert run_log_loss(math.nan, False) == LOG_LOSS_CAP


def test_a_grown_grid_finds_what_the_whole_grid_finds():
    """grow_grid steps past an end while it keeps improving; the oracle is the plain, wider grid."""
    quad = TaskSpec("quadratic", {"steps": 20, "dim": 8})
    for program, start in ((builtin("sgd"), (0.001, 0.002)), (builtin("adamw"), (512.0, 1024.0))):
        grid = [start[0] * 2.0**k for k in range(-4, 6)]
        whole = evaluate_fitness(program, FitnessSpec((quad,), (0,), tuple(grid), 0.0, "sgd"))
        grown = evaluate_fitness(program, FitnessSpec((quad,), (0,), start, 0.0, "sgd", grow_grid=3))
        best = whole.per_task[0].best_lr_mult
        reachable = [r for r in grid if start[0] / 8 <= r <= start[1] * 8]
        # The tuned rate lies past the 2-point grid; growth reaches the whole grid's choice if
        # that choice is within 3 steps, else it stops at its last step.
        assert best not in start
        expected = best if best in reachable else (reachable[0] if best < start[0] else reachable[-1])
        assert grown.per_task[0].best_lr_mult == pytest.approx(expected)
        tried = grown.runs
        assert 3 <= tried <= 5  # 2 + up to 3 grown multipliers, one seed each
        plain = evaluate_fitness(program, FitnessSpec((quad,), (0,), start, 0.0, "sgd"))
        assert plain.runs == 2 and plain.per_task[0].best_lr_mult in start


def test_grow_grid_must_not_be_negative():
    with pytest.raises(ValueError, match="grow_grid"):
        FitnessSpec((TaskSpec("quadratic"),), (0,), (1.0,), 0.0, grow_grid=-1)
