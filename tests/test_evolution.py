"""Regularized evolution: tournament, ageing, determinism, checkpoints, baselines."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from symopt.dsl import Const, builtin
from symopt.evolve import RandomSearch, RegularizedEvolution
from symopt.config import SearchSpace


def _fake_fitness(program) -> float:
    """Deterministic stand-in: prefers programs whose constants are small and short bodies."""
    consts = [abs(a.value) for s in program.statements for a in s.args if isinstance(a, Const)]
    return -len(program) - 0.1 * sum(consts)


def _run(evo: RegularizedEvolution, n: int) -> list[tuple[int, int | None, str]]:
    out = []
    for _ in range(n):
        cand = evo.ask()
        evo.tell(cand, _fake_fitness(cand.program))
        out.append((cand.id, cand.parent_id, cand.hash))
    return out


def _evo(seed: int = 0, **kw) -> RegularizedEvolution:
    evo = RegularizedEvolution(SearchSpace(), population_size=kw.pop("p", 10), tournament_size=2, seed=seed, **kw)
    evo.seed_population(builtin("adamw"), _fake_fitness(builtin("adamw")))
    return evo


def test_same_seed_same_history() -> None:
    assert _run(_evo(3), 60) == _run(_evo(3), 60)
    assert _run(_evo(3), 60) != _run(_evo(4), 60)


def test_oldest_member_leaves() -> None:
    evo = _evo(p=5)
    told = []
    for _ in range(12):
        cand = evo.ask()
        evo.tell(cand, 0.0)
        told.append(cand.id)
    assert [m.id for m in evo.population] == told[-5:]


def test_tournament_winner_is_the_parent() -> None:
    evo = RegularizedEvolution(SearchSpace(), population_size=4, tournament_size=4, seed=0)
    evo.seed_population(builtin("adamw"), 0.0)
    for fitness in (1.0, 5.0, 2.0, 3.0):
        evo.tell(evo.ask(), fitness)
    best = max(evo.population, key=lambda m: m.fitness)
    assert evo.ask().parent_id == best.id


def test_search_improves_the_stand_in_fitness() -> None:
    evo = _evo(0, p=20)
    start = _fake_fitness(builtin("adamw"))
    _run(evo, 300)
    assert evo.best().fitness > start


def test_state_dict_resumes_the_same_sequence() -> None:
    a = _evo(5)
    _run(a, 30)
    saved = pickle.loads(pickle.dumps(a.state_dict()))
    rest_a = _run(a, 30)
    b = RegularizedEvolution(SearchSpace(), population_size=10, tournament_size=2, seed=999)
    b.load_state_dict(saved)
    assert _run(b, 30) == rest_a


def test_state_dict_refuses_other_settings() -> None:
    state = _evo().state_dict()
    other = RegularizedEvolution(SearchSpace(), population_size=11, tournament_size=2)
    with pytest.raises(ValueError, match="other search settings"):
        other.load_state_dict(state)


def test_random_search_has_no_parents_and_resumes_exactly() -> None:
    search = RandomSearch(SearchSpace(), population_size=10, tournament_size=2, seed=0)
    cands = [search.ask() for _ in range(10)]
    assert all(c.parent_id is None and c.mutation == "random" for c in cands)
    for i, cand in enumerate(cands):
        search.tell(cand, fitness=float(i % 4))
    assert search.best().id == cands[3].id  # the first of the best
    twin = RandomSearch(SearchSpace(), population_size=10, tournament_size=2, seed=123)
    twin.load_state_dict(search.state_dict())
    assert twin.ask() == search.ask()


def test_hparam_mode_changes_constants_only() -> None:
    evo = _evo(0, mode="hparam")
    parent = builtin("adamw")
    for _ in range(30):
        cand = evo.ask()
        assert [(s.target, s.fn) for s in cand.program.statements] == [
            (s.target, s.fn) for s in parent.statements
        ]
        evo.tell(cand, -1e9)  # keep the AdamW copies as parents


def test_restart_from_best() -> None:
    evo = _evo(0, p=6)
    _run(evo, 40)
    evo.restart_from_best()
    assert {m.id for m in evo.population} == {evo.best().id}


def test_bad_settings() -> None:
    with pytest.raises(ValueError):
        RegularizedEvolution(SearchSpace(), population_size=2, tournament_size=3)
    with pytest.raises(ValueError, match="mode"):
        RegularizedEvolution(SearchSpace(), mode="annealing")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="seed_population"):
        RegularizedEvolution(SearchSpace(), population_size=3).ask()
