"""The proposal path's shortcuts change no child: analyses kept on the program, hashes passed
along, kinds drawn directly, node digests remembered, dead-code edits re-drawn unhashed."""

from __future__ import annotations

import hashlib
import pickle
from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symopt.evolve._evolution as evolution
from symopt.config import SearchSpace
from symopt.dsl import builtin, edit_is_dead, edited_child, is_valid, kinds_before, program_hash, reduce
from symopt.dsl import redundant_count
from symopt.dsl import kinds
from symopt.dsl.errors import InvalidProgram
from symopt.dsl.hashing import COMMUTATIVE, HASH_LENGTH, MAX_PERMUTED_SLOTS
from symopt.dsl.program import Const, Edit, Program, Statement, Var, _memo_key
from symopt.dsl.redundancy import dataflow, liveness
from symopt.evolve import MutationFailed, RegularizedEvolution
from symopt.evolve._draws import below, normal, sample, uniform
from symopt.evolve._mutations import _OPERATORS, Mutation, MutationKind
from random_programs import random_statement, random_valid_program
from strategies import programs


def _fresh_hash(program: Program) -> str:
    """The hash as the hashing module's doc defines it, written plainly: no digest remembered
    between calls, every node digested again for every slot order."""
    program = Program(program.statements, program.state, program.output)  # nothing kept from before
    kinds.validate(program)
    flow, live = dataflow(program), liveness(program)

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def step(order: tuple[str, ...]) -> str:
        leaves = {slot: f"slot#{k}" for k, slot in enumerate(order)}
        digests: dict[int, str] = {}

        def digest(source: int | Var | Const) -> str:
            if isinstance(source, int):
                return digests[source]
            if isinstance(source, Const):
                return sha(f"const:{source.value!r}")
            return sha(leaves.get(source.name, f"input:{source.name}"))

        for index in sorted(live.statements):
            fn, children = program.statements[index].fn, [digest(s) for s in flow.args[index]]
            digests[index] = sha(f"{fn}({','.join(sorted(children) if fn in COMMUTATIVE else children)})")
        outgoing = dict(zip(program.state, flow.returns[1:]))
        return sha(f"return({','.join(digest(r) for r in (flow.returns[0], *(outgoing[s] for s in order)))})")

    orders = permutations(live.slots) if len(live.slots) <= MAX_PERMUTED_SLOTS else [live.slots]
    return min(step(order) for order in orders)[:HASH_LENGTH]


def _reference_mutate(parent: Program, rng: np.random.Generator, space: SearchSpace, parent_hash: str = "") -> Mutation:
    """Mutation as it was first written: rng.choice per try, every child validated and hashed from scratch."""
    kinds_, probs = space.kinds(), np.asarray(space.weights())
    for tries in range(space.max_redraws):
        kind = kinds_[int(rng.choice(len(kinds_), p=probs))]
        made = _OPERATORS[kind](parent, rng, space)
        if made is not None:
            edit, template, values = made
            child = edit.apply(parent)
            if kind is MutationKind.IDENTITY or (is_valid(child) and _fresh_hash(child) != _fresh_hash(parent)):
                return Mutation(child, kind, tries, template.format(*values), _fresh_hash(child))
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


_STATES = [(), ("m",), ("m", "v"), ("a", "b", "c"), ("s1", "s2", "s3", "s4", "s5")]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(_STATES))
def test_the_hash_equals_its_plain_definition(seed: int, state: tuple[str, ...]) -> None:
    rng = np.random.default_rng(seed)
    program = random_valid_program(rng, max_statements=12)
    program = Program(program.statements, state, program.output)  # more slots than 2, or fewer
    if is_valid(program):
        assert program_hash(program) == _fresh_hash(program)


def _single_edit(rng: np.random.Generator, parent: Program) -> Edit:
    """One statement of ``parent`` replaced (same target), removed or inserted at random."""
    index = int(rng.integers(len(parent) + 1))
    new = random_statement(rng, parent, index)
    if index == len(parent) or rng.integers(3) == 0:
        return Edit(index, 0, new)
    if rng.integers(2):
        return Edit(index, 1, Statement(parent.statements[index].target, new.fn, new.args))
    return Edit(index, 1, None)


def test_an_edit_the_shortcut_calls_dead_keeps_the_hash() -> None:
    rng = np.random.default_rng(0)
    said_dead = neutral = 0
    for _ in range(600):
        parent = random_valid_program(rng, max_statements=12)
        edit = _single_edit(rng, parent)
        child = edit.apply(parent)
        valid = is_valid(child)
        same = valid and _fresh_hash(child) == _fresh_hash(parent)
        if edit_is_dead(parent, edit):
            said_dead += 1
            assert not valid or same, (parent, child)
        neutral += same
    assert said_dead > 100 and neutral > 100  # both outcomes are common: the test tests something


def test_a_child_derived_from_its_parent_has_the_analyses_of_one_made_afresh() -> None:
    rng = np.random.default_rng(1)
    valid = 0
    for _ in range(600):
        parent = random_valid_program(rng, max_statements=12)
        edit = _single_edit(rng, parent)
        derived, fresh = edited_child(parent, edit), edit.apply(parent)
        assert (derived is not None) == is_valid(fresh), (parent, edit)
        if derived is not None:
            valid += 1
            assert _memo_key(dataflow) in derived.__dict__  # derived, not computed again below
            assert derived == fresh and dataflow(derived) == dataflow(fresh)
            assert [list(kinds_before(derived, i).items()) for i in range(len(fresh) + 1)] == [
                list(kinds_before(fresh, i).items()) for i in range(len(fresh) + 1)
            ]
            assert program_hash(derived) == _fresh_hash(fresh)
    assert 100 < valid < 600


@settings(max_examples=300, deadline=None)
@given(programs())
def test_the_kind_table_changes_no_verdict(program: Program) -> None:
    remembered = kinds._fault(Program(program.statements, program.state, program.output))
    kinds._RESULTS.clear()
    assert kinds._fault(Program(program.statements, program.state, program.output)) == remembered


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3000), st.integers(1, 6), st.booleans())
def test_the_cheap_draws_equal_numpys(seed: int, n: int, k: int, odd_word: bool) -> None:
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    if odd_word:  # a buffered half-word left in the generator
        ours.integers(7), numpys.integers(7)
    assert below(ours, n) == int(numpys.integers(n))
    assert below(ours, 2**32 - 1 - n) == int(numpys.integers(2**32 - 1 - n))
    k = min(k, n)
    assert sample(ours, n, k) == numpys.choice(n, size=k, replace=False).tolist()
    assert (uniform(ours), normal(ours)) == (numpys.random(), float(numpys.normal()))
    assert ours.bit_generator.state == numpys.bit_generator.state
