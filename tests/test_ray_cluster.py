"""Joining a separately started Ray head by address, as a search on a cluster does."""

from __future__ import annotations

import pytest
import ray

from ray_fixtures import FakeSpec, free_port, fake_fitness
from symopt.dsl import builtin
from symopt.dsl.builtins import BUILTIN_NAMES
from symopt.evolve.workers import Job, RayEvaluator, RaySessionError, ray_session


def test_jobs_run_on_a_joined_cluster_which_outlives_the_session(ray_head):
    with ray_session(address=ray_head.address):
        assert ray.cluster_resources()["CPU"] == 2.0
        with RayEvaluator(FakeSpec(sleep=0.02), num_workers=2, evaluate_fn=fake_fitness) as ev:
            for i, name in enumerate(BUILTIN_NAMES):
                ev.submit(Job(i, builtin(name)))
            outcomes = []
            while ev.pending:
                outcomes += ev.wait(timeout=60)
    assert sorted(o.id for o in outcomes) == list(range(len(BUILTIN_NAMES)))
    assert all(o.result == fake_fitness(builtin(BUILTIN_NAMES[o.id]), FakeSpec(0.0)) for o in outcomes)
    assert not ray.is_initialized()
    assert ray_head.alive(), "leaving the session must not stop the cluster"


def test_joining_nothing_fails_fast_naming_the_address():
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(RaySessionError, match=address):
        with ray_session(address=address):
            pass
    assert not ray.is_initialized()
