"""The proposal path's shortcuts change no child: cached analyses, hashes passed along, kinds drawn directly."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import symopt.evolve._evolution as evolution
from symopt.config import SearchSpace
from symopt.dsl import builtin, is_valid, program_hash, reduce, redundant_count
from symopt.dsl import hashing, kinds, redundancy
from symopt.dsl.errors import InvalidProgram
from symopt.dsl.program import Const, Program, Statement, Var
from symopt.evolve import MutationFailed, RegularizedEvolution
from symopt.evolve._mutations import _OPERATORS, Mutation, MutationKind


def _clear_caches() -> None:
    for cached in (hashing._sha, kinds._fault, redundancy.dataflow, redundancy.liveness):
        cached.cache_clear()


def _fresh_hash(program: Program) -> str:
    _clear_caches()
    return program_hash(program)


def _reference_mutate(parent: Program, rng: np.random.Generator, space: SearchSpace, parent_hash: str = "") -> Mutation:
    """Mutation as it was first written: rng.choice per try, every hash from scratch."""
    kinds_, probs = space.kinds(), np.asarray(space.weights())
    for tries in range(space.max_redraws):
        kind = kinds_[int(rng.choice(len(kinds_), p=probs))]
        made = _OPERATORS[kind](parent, rng, space)
        if made is not None:
            child, detail = made
            if kind is MutationKind.IDENTITY or (is_valid(child) and _fresh_hash(child) != _fresh_hash(parent)):
                return Mutation(child, kind, tries, detail, _fresh_hash(child))
    raise MutationFailed("no child")


def _children(seed: int, count: int) -> list[tuple[Program, str, int]]:
    evo = RegularizedEvolution(SearchSpace(), population_size=50, tournament_size=2, seed=seed)
    evo.seed_population(builtin("adamw"), 0.0)
    made = []
    while len(made) < count:
        try:
            cand = evo.ask()
        except MutationFailed:
            continue
        reduced = len(cand.program) - redundant_count(cand.program)
        made.append((cand.program, cand.hash, reduced))
        evo.tell(cand, -0.01 * reduced + int(cand.hash[:4], 16) / 16**4)
    return made


@pytest.mark.parametrize("seed", [0, 7])
def test_the_same_seed_gives_the_same_children_as_the_reference_path(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _children(seed, 150)
    monkeypatch.setattr(evolution, "mutate", _reference_mutate)
    slow = _children(seed, 150)
    assert [(p, h) for p, h, _ in fast] == [(p, h) for p, h, _ in slow]
    assert all(reduced == len(reduce(p)) for p, _, reduced in fast)
    assert len({h for _, h, _ in fast}) > 50  # the search moved


def test_programs_equal_but_for_the_sign_of_zero_keep_their_own_hashes() -> None:
    plus = Program((Statement("update", "add", (Var("g"), Const(0.0))),))
    minus = Program((Statement("update", "add", (Var("g"), Const(-0.0))),))
    assert plus == minus and hash(plus) == hash(minus)
    first, second = program_hash(plus), program_hash(minus)  # the second reads the first's cached dataflow
    assert first != second and (first, second) == (_fresh_hash(plus), _fresh_hash(minus))


def test_a_pickled_program_computes_its_own_python_hash() -> None:
    program = builtin("lion")
    hash(program)
    state = pickle.loads(pickle.dumps(program)).__dict__
    assert "_hash" not in state and hash(pickle.loads(pickle.dumps(program))) == hash(program)


def test_cached_validity_raises_the_same_error_each_time() -> None:
    bad = Program((Statement("update", "sign", (Var("x"),)),))
    reasons = []
    for _ in range(2):
        with pytest.raises(InvalidProgram) as err:
            kinds.validate(bad)
        reasons.append((err.value.reason, err.value.index))
    assert reasons[0] == reasons[1] == ("reads 'x' before it is assigned", 0)
