"""Simplification: the phases with an injected fitness, then the real thing on a tiny proxy."""

from __future__ import annotations

import json
from typing import Callable

import pytest

from symopt.cli import main
from symopt.dsl import InvalidProgram, builtin, parse, program_hash, reduce
from symopt.dsl.program import Program, Statement, Var
from symopt.simplify import Simplification, simplify
from symopt.simplify import classify
from symopt.proxy_tasks.fitness import FITNESS_FLOOR, FitnessSpec, TaskSpec

# A 60-step quadratic, one seed, one multiplier: about a millisecond a run. On it,
# as on the default fitness, program4 simplifies to Lion and Lion and AdamW keep their family.
TINY = FitnessSpec((TaskSpec("quadratic", {"steps": 60}),), seeds=(0,), lr_multipliers=(1.0,), slot_cost=0.1)


def counting(fitness_fn: Callable[[Program], float]) -> tuple[Callable[[Program], float], list[Program]]:
    calls: list[Program] = []

    def counted(program: Program) -> float:
        calls.append(program)
        return fitness_fn(program)

    return counted, calls


# --- rounding ----------------------------------------------------------------

SCALED = parse("def train(w, g, lr):\n    t = g * 0.83721\n    update = t * lr\n    return update\n")


def near_0_84(program: Program) -> float:
    """Best at the original constant; each step away costs its distance."""
    return -abs(program.statements[0].args[1].value - 0.83721)


@pytest.mark.parametrize(
    ("tolerance", "constant"),
    [(0.0, 0.83721), (0.001, 0.837), (0.005, 0.84), (0.05, 0.8)],
)
def test_rounding_picks_the_shortest_constant_within_tolerance(tolerance: float, constant: float) -> None:
    result = simplify(SCALED, fitness_fn=near_0_84, tolerance=tolerance)
    assert result.program.statements[0].args[1].value == constant
    assert result.fitness >= result.original_fitness - tolerance


# --- evaluation-guided removal -------------------------------------------------

OPTIONAL = parse(
    "def train(w, g, lr):\n"
    "    g = tanh(g)\n"
    "    g = arcsin(g)\n"
    "    update = g * lr\n"
    "    return update\n"
)
COST = {"tanh": 0.015, "arcsin": 0.005}  # what losing each statement costs


def cost_of_missing(program: Program) -> float:
    present = {s.fn for s in program.statements}
    return -sum(cost for fn, cost in COST.items() if fn not in present)


@pytest.mark.parametrize(
    ("tolerance", "left"),
    [
        (0.0, ["tanh", "arcsin", "mul"]),
        (0.01, ["tanh", "mul"]),  # arcsin costs 0.005; tanh then costs 0.015 more than the current
        (0.02, ["mul"]),  # each deletion is judged against the CURRENT program
    ],
)
def test_deletion_removes_what_hurts_least_while_within_tolerance(tolerance: float, left: list[str]) -> None:
    result = simplify(OPTIONAL, fitness_fn=cost_of_missing, tolerance=tolerance)
    assert [s.fn for s in result.program.statements] == left
    deleted = [s.description for s in result.steps if s.name == "delete"]
    assert deleted == [f"removed `{d}`" for d in ("g = arcsin(g)", "g = tanh(g)")][: 3 - len(left)]


def test_deletion_never_leaves_a_program_that_ignores_the_gradient() -> None:
    result = simplify(OPTIONAL, fitness_fn=lambda p: 0.0)
    assert result.program.statements == (Statement("update", "mul", (Var("g"), Var("lr"))),)


def reduced_length(program: Program) -> float:
    """A fitness that, like the real one, depends only on what the program computes."""
    return float(len(reduce(program)))


def test_fitness_is_cached_by_hash_within_a_call() -> None:
    fitness_fn, calls = counting(reduced_length)
    result = simplify(builtin("program4"), fitness_fn=fitness_fn)
    hashes = [program_hash(p) for p in calls]
    assert len(hashes) == len(set(hashes))
    # reduce, drop_slots and rename keep the hash, so they cost no evaluation.
    assert {"reduce", "drop_slots", "rename"} <= {s.name for s in result.steps}


def test_steps_record_each_program_and_its_fitness() -> None:
    result = simplify(builtin("program4"), fitness_fn=reduced_length)
    assert isinstance(result, Simplification)
    assert [s.name for s in result.steps][:4] == ["reduce", "sign", "merge_interp", "drop_slots"]
    assert result.steps[0].description == "removed 1 redundant statement: m = cosh(update)"
    for step in result.steps:
        assert step.fitness == reduced_length(parse(step.source))
    assert parse(result.steps[-1].source) == result.program
    assert result.original == builtin("program4")


def test_evolution_without_insertion_never_lengthens_and_is_seeded() -> None:
    def shorter_is_better(p: Program) -> float:
        return -0.001 * len(reduce(p))

    runs = [
        simplify(builtin("adamw"), fitness_fn=shorter_is_better, evolve_steps=30, rng_seed=3) for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert len(runs[0].program) <= len(builtin("adamw"))
    assert runs[0].fitness >= runs[0].original_fitness - 0.02


def test_a_failed_program_is_rewritten_but_not_pruned() -> None:
    result = simplify(builtin("program4"), fitness_fn=lambda p: FITNESS_FLOOR, evolve_steps=5)
    names = [s.name for s in result.steps]
    assert "delete" not in names and "round" not in names and "evolve" not in names
    assert "sign" in names


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        simplify(builtin("sgd"), fitness_fn=lambda p: 0.0, tolerance=-1.0)
    with pytest.raises(InvalidProgram):
        simplify(Program((Statement("update", "sign", (Var("nowhere"),)),)), fitness_fn=lambda p: 0.0)


# --- the real fitness -------------------------------------------------------------


def test_program4_simplifies_to_lion_with_the_papers_betas() -> None:
    result = simplify(builtin("program4"), TINY)
    verdict = classify(result.program)
    assert verdict.family == "lion"
    assert verdict.beta1 == pytest.approx(0.9, abs=0.01)
    assert verdict.beta2 == pytest.approx(0.997, abs=0.002)
    source = result.source
    assert "cosh" not in source and "sqrt" not in source and "sign(" in source
    assert result.program.signature == ("w", "g", "momentum", "lr")
    assert "interp(g, momentum, 0.99" in source  # the merged beta2, rounded as far as fitness allows
    assert result.fitness >= result.original_fitness - 0.02


@pytest.mark.parametrize(("name", "family"), [("lion", "lion"), ("adamw", "adam")])
def test_known_optimizers_keep_their_family(name: str, family: str) -> None:
    assert classify(simplify(builtin(name), TINY).program).family == family


# --- CLI ----------------------------------------------------------------------------


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simplify", "program4", "--task", "quadratic", "--seeds", "1", "--json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert set(report) == {"source", "steps", "fitness"}
    assert parse(report["source"]).signature == ("w", "g", "momentum", "lr")
    assert report["steps"][0]["name"] == "reduce"
    assert all(set(step) == {"name", "description", "fitness", "source"} for step in report["steps"])
    assert report["fitness"] == report["steps"][-1]["fitness"]
    assert "symopt simplify:" in err  # progress goes to stderr


def test_cli_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simplify", "lion", "--task", "quadratic", "--seeds", "1", "--tolerance", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lion on quadratic(), seeds 0\n")
    assert "drop_slots" in out and "def train(w, g, momentum, lr):" in out


@pytest.mark.parametrize(
    "argv",
    [["--task", "nope"], ["--seeds", "0"], ["--tolerance", "-1"], ["--evolve-steps", "-2"]],
)
def test_cli_user_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simplify", "lion", *argv]) == 2
    assert capsys.readouterr().err.startswith("symopt simplify: ")
