"""Mutations: pure, seeded, valid, functionally new, and each touches one statement."""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest

import dataclasses

from symopt.config import MutationKind, MutationWeights, SearchSpace
from symopt.dsl import BUILTIN_NAMES, FUNCTIONS, Const, Program, Var, builtin, is_valid, kinds_before, parse, program_hash
from symopt.evolve import MutationFailed, mutate, random_program
from symopt.evolve._mutations import _OPERATORS

SPACE = SearchSpace()


def _changed_statements(parent: Program, child: Program) -> int:
    """How many statements differ, for children of equal length."""
    return sum(a != b for a, b in zip(parent.statements, child.statements))


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_children_are_valid_and_new(name: str) -> None:
    parent = builtin(name)
    rng = np.random.default_rng(0)
    for _ in range(40):
        m = mutate(parent, rng, SPACE)
        assert is_valid(m.child)
        assert program_hash(m.child) != program_hash(parent)
        assert m.child.state == parent.state


def test_each_kind_touches_exactly_one_statement() -> None:
    parent = builtin("adamw")
    rng = np.random.default_rng(1)
    seen = collections.Counter()
    for _ in range(300):
        m = mutate(parent, rng, SPACE)
        seen[m.kind] += 1
        if m.kind is MutationKind.INSERT:
            assert len(m.child) == len(parent) + 1
            # Removing one statement of the child gives the parent back.
            assert any(
                m.child.statements[:i] + m.child.statements[i + 1 :] == parent.statements
                for i in range(len(m.child))
            )
        elif m.kind is MutationKind.DELETE:
            assert len(m.child) == len(parent) - 1
            assert any(
                parent.statements[:i] + parent.statements[i + 1 :] == m.child.statements
                for i in range(len(parent))
            )
        else:
            assert len(m.child) == len(parent)
            assert _changed_statements(parent, m.child) == 1
    # Equal weights: every kind with a weight shows up often; identity (weight 0) never.
    assert min(seen[k] for k in (MutationKind.INSERT, MutationKind.DELETE, MutationKind.MODIFY)) > 40
    assert seen[MutationKind.IDENTITY] == 0


def test_same_seed_same_child() -> None:
    a = [mutate(builtin("lion"), np.random.default_rng(7), SPACE) for _ in range(2)]
    assert a[0] == a[1]
    b = mutate(builtin("lion"), np.random.default_rng(8), SPACE)
    assert b.child != a[0].child or b.detail != a[0].detail


def test_constant_changes_follow_the_paper() -> None:
    """A constant becomes a fresh N(0,1) draw or the old value times 2^a."""
    space = SearchSpace(constants_only=True)
    parent = builtin("adamw")
    rng = np.random.default_rng(3)
    scaled = 0
    for _ in range(200):
        m = mutate(parent, rng, space)
        assert m.kind is MutationKind.MODIFY
        (old, new), = [
            (a, b)
            for sa, sb in zip(parent.statements, m.child.statements)
            for a, b in zip(sa.args, sb.args)
            if a != b
        ]
        assert isinstance(old, Const) and isinstance(new, Const)
        ratio = new.value / old.value
        if ratio > 0 and abs(np.log2(ratio)) < 4:
            scaled += 1
    assert scaled > 60  # about half are rescalings; fresh draws are the rest


def test_variables_are_replaced_by_variables_of_the_right_kind() -> None:
    space = SearchSpace(mutation_weights=MutationWeights(insert=0.0, delete=0.0))
    parent = builtin("lion")
    rng = np.random.default_rng(5)
    replaced = 0
    for _ in range(100):
        m = mutate(parent, rng, space)
        for i, (sa, sb) in enumerate(zip(parent.statements, m.child.statements)):
            env = kinds_before(parent, i)  # what each name holds where the statement runs
            for wanted, a, b in zip(FUNCTIONS[sa.fn].arg_kinds, sa.args, sb.args):
                if isinstance(a, Var) and a != b:
                    replaced += 1
                    assert isinstance(b, Var) and b.name in env
                    assert wanted == "any" or env[b.name] == wanted, (sa, sb, wanted, env[b.name])
    assert replaced > 20


def test_insertion_respects_max_len() -> None:
    space = SearchSpace(max_len=len(builtin("adamw")), mutation_weights=MutationWeights(delete=0.0, modify=0.0))
    with pytest.raises(MutationFailed):
        mutate(builtin("adamw"), np.random.default_rng(0), space)


def test_random_programs_are_valid_and_varied() -> None:
    rng = np.random.default_rng(0)
    programs = [random_program(rng, SPACE).child for _ in range(60)]
    assert all(is_valid(p) for p in programs)
    assert len({program_hash(p) for p in programs}) > 50
    assert all(p.output == "update" and p.state == SPACE.state for p in programs)


def test_space_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="a library function name"):
        SearchSpace(functions=("sign", "nope"))
    with pytest.raises(ValueError, match="weights"):
        SearchSpace(mutation_weights=MutationWeights(insert=0.0, delete=0.0, modify=0.0))


def test_every_kind_has_one_operator_and_one_weight() -> None:
    """Adding a kind is its enum member (with its default weight) and its operator."""
    assert set(_OPERATORS) == set(MutationKind)
    assert [f.name for f in dataclasses.fields(MutationWeights)] == [k.value for k in MutationKind]
    assert len(SPACE.weights()) == len(SPACE.kinds()) == len(MutationKind)


def test_identity_gives_the_parent_back() -> None:
    space = SearchSpace(mutation_weights=MutationWeights(identity=1.0, insert=0.0, delete=0.0, modify=0.0))
    parent = builtin("adamw")
    m = mutate(parent, np.random.default_rng(0), space)
    assert m.kind is MutationKind.IDENTITY and m.child == parent and m.origin == "identity"


def test_keep_neutral_keeps_children_with_the_parents_hash() -> None:
    """Off (default) a same-hash child is re-drawn; on, it is kept, flagged, and only dead code changed."""
    parent = builtin("adamw")
    neutral_space = SearchSpace(keep_neutral=True)
    rng = np.random.default_rng(1)
    kept = [mutate(parent, rng, neutral_space) for _ in range(300)]
    neutral = [m for m in kept if m.neutral]
    assert 0 < len(neutral) < len(kept)
    for m in kept:
        assert is_valid(m.child)
        assert m.neutral == (program_hash(m.child) == program_hash(parent))
        assert m.detail.endswith("(neutral)") == m.neutral
    assert any(m.child != parent for m in neutral)  # dead code was added or changed, not a copy
    rng = np.random.default_rng(1)
    assert not any(mutate(parent, rng, SPACE).neutral for _ in range(300))


def _only(kind: MutationKind, **space: object) -> SearchSpace:
    """A space where only ``kind`` is drawn."""
    weights = {k.value: 0.0 for k in MutationKind}
    weights[kind.value] = 1.0
    return SearchSpace(mutation_weights=MutationWeights(**weights), **space)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [MutationKind.MODIFY_BETA, MutationKind.COPY])
def test_new_kinds_are_pure_and_seeded(kind: MutationKind) -> None:
    space, parent = _only(kind, keep_neutral=True), builtin("adamw")
    first = [mutate(parent, np.random.default_rng(s), space) for s in range(20)]
    again = [mutate(parent, np.random.default_rng(s), space) for s in range(20)]
    assert first == again and parent == builtin("adamw")
    assert all(m.kind is kind and is_valid(m.child) for m in first)


def test_modify_beta_drifts_one_minus_beta_on_a_log10_scale() -> None:
    """Only an interp weight changes, it stays in (0, 1), and log10(1 - c) moves by N(0, 1)."""
    space, parent = _only(MutationKind.MODIFY_BETA), builtin("adamw")
    rng = np.random.default_rng(0)
    steps = []
    for _ in range(2000):
        child = mutate(parent, rng, space).child
        assert len(child) == len(parent) and _changed_statements(parent, child) == 1
        (i,) = [j for j, (a, b) in enumerate(zip(parent.statements, child.statements)) if a != b]
        old, new = parent.statements[i], child.statements[i]
        assert new.fn == "interp" and new.args[:2] == old.args[:2] and 0 < new.args[2].value < 1
        if old.args[2].value == 0.999:  # .9's draws are cut at a > 1 (the result would leave (0, 1))
            steps.append(np.log10(1 - new.args[2].value) - np.log10(1 - old.args[2].value))
    assert 800 < len(steps) < 1200 and abs(np.mean(steps)) < 0.1 and abs(np.std(steps) - 1) < 0.1
    # .999 -> [.98, .995] needs log10 steps in [log10 5, log10 20]: P = Phi(1.301) - Phi(0.699) ~ 0.146
    phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    expected = phi(np.log10(20)) - phi(np.log10(5))
    share = np.mean([np.log10(5) <= s <= np.log10(20) for s in steps])
    assert abs(share - expected) < 0.03


def test_modify_beta_fails_without_an_interp_weight() -> None:
    no_beta = parse("def train(w, g, m, v, lr):\n    update = g * lr\n    return update, m, v\n")
    with pytest.raises(MutationFailed):
        mutate(no_beta, np.random.default_rng(0), _only(MutationKind.MODIFY_BETA, max_redraws=20))


def test_copy_inserts_a_rewired_dead_copy_after_its_inputs() -> None:
    """One new statement: a fresh target, a parent statement's function, at most one argument
    changed, right after the last definition of its arguments; dead, so neutral."""
    space, parent = _only(MutationKind.COPY, keep_neutral=True), builtin("adamw")
    rng = np.random.default_rng(0)
    made = set()
    for _ in range(300):
        m = mutate(parent, rng, space)
        child = m.child
        assert len(child) == len(parent) + 1 and m.neutral and program_hash(child) == program_hash(parent)
        (index,) = [j for j in range(len(child)) if child.statements[j].target not in {s.target for s in parent.statements}]
        new = child.statements[index]
        assert child.statements[:index] + child.statements[index + 1 :] == parent.statements
        assert any(s.fn == new.fn and sum(a != b for a, b in zip(s.args, new.args)) <= 1 for s in parent.statements)
        names = {a.name for a in new.args if isinstance(a, Var)}
        assert index == max((j + 1 for j, s in enumerate(parent.statements) if s.target in names), default=0)
        made.add((index, new.fn, new.args))
    # the stepping stone of the AdamW -> Lion path: square(m) right after m's update
    assert (2, "square", (Var("m"),)) in made
