"""The fitness cache: lookups count hits and misses; a checkpoint restores it."""

from __future__ import annotations

import pickle

import pytest

from symopt.evolve import FitnessCache


def test_get_counts_hits_and_misses():
    cache = FitnessCache()
    assert cache.get("a") is None
    cache.put("a", 1.5)
    assert cache.get("a") == 1.5
    assert cache.get("b") is None
    assert (cache.hits, cache.misses, len(cache)) == (1, 2, 1)
    assert cache.hit_rate == pytest.approx(1 / 3)


def test_membership_counts_nothing():
    cache = FitnessCache()
    cache.put("a", 1.0)
    assert "a" in cache and "b" not in cache
    assert (cache.hits, cache.misses) == (0, 0)


def test_later_put_replaces_and_none_is_refused():
    cache = FitnessCache()
    cache.put("a", 1.0)
    cache.put("a", 2.0)
    assert cache.get("a") == 2.0 and len(cache) == 1
    with pytest.raises(ValueError, match="'a'"):
        cache.put("a", None)


def test_state_dict_round_trips_through_pickle():
    cache = FitnessCache()
    for i in range(3):
        cache.put(f"h{i}", {"fitness": float(i)})
    cache.get("h1")
    cache.get("nope")
    restored = FitnessCache()
    restored.put("stale", 9.0)
    restored.load_state_dict(pickle.loads(pickle.dumps(cache.state_dict())))
    assert (restored.hits, restored.misses, len(restored)) == (1, 1, 3)
    assert "stale" not in restored
    assert restored.get("h2") == {"fitness": 2.0}
    # The snapshot is a copy: later puts do not reach it.
    state = cache.state_dict()
    cache.put("h9", 9.0)
    assert "h9" not in state["results"]
