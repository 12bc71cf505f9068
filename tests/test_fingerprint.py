"""Functional fingerprints: which programs they join and split, and the campaign's use of them.

The campaign tests run a tiny serial search with ``search.fingerprint`` on and a
stand-in fitness that records what it trains (a number from the program's
hash, so a child told another program's result shows it).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from symopt.config import Config, ConfigError, FingerprintConfig, load_config
from symopt.dsl import Program, builtin, parse, program_hash
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer
from symopt.evolve import FitnessCache, RegularizedEvolution, start_campaign
from symopt.evolve._fingerprint import SEGMENTS, fingerprint, probe_updates, probes
from symopt.evolve._restore import rebuild, restore
from symopt.proxy_tasks import FitnessResult, FitnessSpec
from symopt.runs import read_history
from test_campaign import tiny_config

ON = FingerprintConfig(enabled=True)


def program(body: str, slots: str = "m, v") -> Program:
    """A program from ``;``-separated statements, returning ``update`` and the slots."""
    lines = "".join(f"    {line.strip()}\n" for line in body.split(";"))
    return parse(f"def train(w, g, {slots}, lr):\n{lines}    return update, {slots}\n")


def test_renaming_dead_code_and_commuting_keep_the_fingerprint():
    """What the hash sees too."""
    plain = program("m = interp(g, m, 0.9); update = m * lr")
    other = program("d = exp(w); k = interp(g, k, 0.9); update = lr * k", slots="v, k")
    assert fingerprint(plain, ON) == fingerprint(other, ON)


@pytest.mark.parametrize(
    "a, b",
    [
        # what the hash cannot see: the same function by other operations
        ("update = g * 2.0; update = update * lr", "update = g + g; update = update * lr"),
        ("a = negative(g); update = negative(a); update = update * lr", "update = g * lr"),
        ("m = interp(g, m, 0.9); update = m * lr", "a = g * 0.1; b = m * 0.9; m = a + b; update = m * lr"),
        # a constant changed below the rounding (4 significant digits)
        ("m = interp(g, m, 0.9); update = m * lr", "m = interp(g, m, 0.9000001); update = m * lr"),
    ],
)
def test_programs_that_compute_the_same_updates_share_a_fingerprint(a, b):
    assert fingerprint(program(a), ON) == fingerprint(program(b), ON)


@pytest.mark.parametrize(
    "a, b",
    [
        ("m = interp(g, m, 0.9); update = m * lr", "m = interp(g, m, 0.95); update = m * lr"),
        ("update = g * lr", "update = g * 0.01"),  # each probe step has its own learning rate
        # m / (|m| + 1e-8) is not sign(m) where |m| is small: the probes reach 1e-5
        ("m = interp(g, m, 0.9); update = sign(m); update = update * lr",
         "m = interp(g, m, 0.9); a = abs(m); update = m / a; update = update * lr"),
        # NaN (inf - inf where exp overflows) is a token, not a number: not the zero it is elsewhere
        ("a = g * 1000.0; a = exp(a); update = a - a", "update = g * 0.0"),
    ],
)  # fmt: skip
def test_programs_that_update_differently_do_not(a, b):
    assert fingerprint(program(a), ON) != fingerprint(program(b), ON)


def test_adamw_lion_and_their_variants_differ():
    prints = {name: fingerprint(builtin(name), ON) for name in ("adamw", "lion", "sgd", "signum")}
    assert len(set(prints.values())) == len(prints)


def test_the_fitness_decay_multipliers_separate_what_only_they_see():
    # The fitness scales the C of `x = w * C` statements: `w / 100` is not one.
    times, over = program("wd = w * 0.01; update = g + wd; update = update * lr"), program(
        "wd = w / 100.0; update = g + wd; update = update * lr"
    )
    assert fingerprint(times, ON) == fingerprint(over, ON)
    assert fingerprint(times, ON, (1.0, 10.0)) != fingerprint(over, ON, (1.0, 10.0))


def test_fingerprints_are_deterministic_and_depend_on_the_settings():
    adamw, drawn = builtin("adamw"), probes(ON.steps)
    first = fingerprint(adamw, ON)
    probes.cache_clear()
    assert all(np.array_equal(getattr(probes(ON.steps), k), getattr(drawn, k)) for k in ("w", "g", "lr"))
    assert fingerprint(adamw, ON) == first and len(first) == 16
    assert fingerprint(adamw, FingerprintConfig(enabled=True, digits=2)) != first


@pytest.mark.parametrize("name", ["adamw", "lion"])
def test_probe_updates_match_the_direct_executor(name):
    """The encoded executor on the probes against the direct one, step by step (the oracle)."""
    prog = builtin(name)
    p, reducer = probes(ON.steps), SegmentReducer.for_sizes(SEGMENTS)
    state = tuple(jnp.zeros(sum(SEGMENTS)) for _ in prog.state)
    expected = []
    for k in range(ON.steps):
        update, state = run_step(prog, jnp.asarray(p.w[k]), jnp.asarray(p.g[k]), p.lr[k], state, reducer)
        expected.append(np.asarray(update))
    np.testing.assert_allclose(probe_updates(prog, ON.steps), np.stack(expected), rtol=2e-5, atol=1e-12)


@pytest.mark.parametrize("override, key", [("steps=0", "steps"), ("digits=9", "digits"), ("enabled=maybe", "enabled")])
def test_bad_settings_name_their_key(tmp_path, override, key):
    path = tmp_path / "c.yaml"
    path.write_text("search: {population_size: 5}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"search.fingerprint.{key}: expected"):
        load_config(path, [f"search.fingerprint.{override}"])


# ---------------------------------------------------------------- the campaign

@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """A finished tiny search with fingerprints on: its config, folder and the hashes it trained."""
    tmp = tmp_path_factory.mktemp("fingerprint")
    config = tiny_config(tmp, children=60, overrides=("search.fingerprint.enabled=true",))
    trained: list[str] = []

    def stand_in(prog: Program, spec: FitnessSpec) -> FitnessResult:
        trained.append(program_hash(prog))
        return FitnessResult(int(trained[-1][:8], 16) / 16**8, "ok", "", 1.0, 0.0, (), 1, 0)

    result = start_campaign(config, name="fp", stream=io.StringIO(), evaluate_fn=stand_in)
    assert result.finished
    return config, result.run_dir, trained


def test_a_fingerprint_hit_takes_its_twins_result_untrained(campaign):
    _, folder, trained = campaign
    records = read_history(folder / "history.jsonl").records
    first = {}
    for r in records:
        first.setdefault(r.hash, r)
    hits = [r for r in records if r.same_as is not None]
    assert hits, "60 children of this seed include fingerprint twins"
    for r in hits:
        twin = first[r.same_as]
        assert r.status == "cached" and r.hash != r.same_as and r.hash not in trained
        assert twin.status == "ok" and twin.fingerprint is not None and r.fitness == twin.fitness
    assert all(r.fingerprint is not None for r in records if r.status != "cached")
    assert sorted(trained) == sorted(r.hash for r in records if r.status != "cached")
    stats = json.loads((folder / "stats.json").read_text())
    assert stats["fingerprint_hits"] == len(hits) and stats["trained"] == len(trained)


def test_resume_rebuilds_the_fingerprint_links(campaign):
    config, folder, _ = campaign
    records = read_history(folder / "history.jsonl").records
    expected: dict[str, str] = {}
    for r in records:
        if r.fingerprint is not None:
            expected.setdefault(r.fingerprint, r.hash)

    def links(load) -> dict[str, str]:
        cache: FitnessCache[FitnessResult] = FitnessCache()
        sizes = (config.search.population_size, config.search.tournament_size)
        searcher = RegularizedEvolution(config.search_space, *sizes, seed=config.seed)
        state = load(searcher, cache)
        assert state is not None and state.stats.fingerprint_hits == sum(r.same_as is not None for r in records)
        return cache.state_dict()["fingerprints"]

    assert links(lambda s, c: restore(folder, config, s, c, print)) == expected  # the checkpoint
    assert links(lambda s, c: rebuild(folder, config, s, c)) == expected  # the history replayed


def test_fingerprints_are_off_by_default():
    assert Config().search.fingerprint == FingerprintConfig() and not FingerprintConfig().enabled
