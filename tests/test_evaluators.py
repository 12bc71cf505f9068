"""Evaluators: the serial reference, the Ray pool agreeing with it, and surviving a killed worker.

One embedded Ray (2 CPUs) and one 2-worker pool serve the module's fake-fitness
tests, in file order: starting Ray, or a worker process, costs seconds.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import pytest

from ray_fixtures import FAILING, FakeSpec, fake_fitness
from symopt.dsl import builtin
from symopt.dsl.builtins import BUILTIN_NAMES
from symopt.evolve.workers import Job, Outcome, RayEvaluator, SerialEvaluator, ray_session
from symopt.evolve.workers import WorkerCrashLoop, WorkerStartError, worker_env

SPEC = FakeSpec(sleep=0.05)


def jobs(count: int) -> list[Job]:
    return [Job(i, builtin(BUILTIN_NAMES[i % len(BUILTIN_NAMES)])) for i in range(count)]


def drain(evaluator, deadline_s: float = 120.0) -> list[Outcome]:
    """Waits for every pending job; fails instead of hanging."""
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + deadline_s
    while evaluator.pending:
        assert time.monotonic() < deadline, f"{evaluator.pending} jobs still pending"
        outcomes += evaluator.wait(timeout=5.0)
    return outcomes


def serial_results(job_list: list[Job]) -> dict[int, object]:
    with SerialEvaluator(SPEC, evaluate_fn=fake_fitness) as ev:
        for job in job_list:
            ev.submit(job)
        return {o.id: o.result for o in drain(ev)}


def unpicklable_on_workers(program, spec):
    """Pickled by reference to this module, which Ray workers cannot import."""
    return 0.0


# ---------------------------------------------------------------------------- serial


def test_serial_is_fifo_one_job_per_wait():
    ev = SerialEvaluator(SPEC, evaluate_fn=fake_fitness)
    assert ev.wait() == [] and ev.pending == 0
    for job in jobs(4):
        ev.submit(job)
    seen = []
    for left in (3, 2, 1, 0):
        (outcome,) = ev.wait()
        seen.append(outcome.id)
        assert ev.pending == left
        assert outcome.worker == "serial" and outcome.seconds >= SPEC.sleep
        assert outcome.result == fake_fitness(builtin(BUILTIN_NAMES[outcome.id]), SPEC)
    assert seen == [0, 1, 2, 3]
    assert ev.wait(timeout=0.01) == []
    assert (ev.num_workers, ev.restarts) == (1, 0)


def test_serial_close_drops_pending_and_exceptions_propagate():
    with SerialEvaluator(SPEC, evaluate_fn=fake_fitness) as ev:
        ev.submit(Job(0, FAILING))
        ev.submit(Job(1, builtin("lion")))
        with pytest.raises(ValueError, match="refuses"):
            ev.wait()
        assert [o.id for o in ev.wait()] == [1]
        ev.submit(Job(2, builtin("lion")))
    assert ev.pending == 0


def test_real_fitness_smoke():
    fitness = pytest.importorskip("symopt.proxy_tasks.fitness")
    spec = fitness.FitnessSpec(
        tasks=(fitness.TaskSpec("quadratic", {"steps": 20}),), seeds=(0,), lr_multipliers=(1.0,), slot_cost=0.0
    )
    with SerialEvaluator(spec) as ev:  # the default evaluate_fn: evaluate_fitness
        ev.submit(Job(5, builtin("adamw")))
        (outcome,) = ev.wait()
    assert outcome.id == 5
    assert outcome.result.status == "ok", outcome.result.reason
    assert outcome.result.fitness == 0.0  # adamw is the baseline


# ---------------------------------------------------------------------------- Ray


@pytest.fixture(scope="module")
def local_ray():
    with ray_session(num_cpus=2):
        yield


@pytest.fixture(scope="module")
def pool(local_ray):
    with RayEvaluator(SPEC, num_workers=2, evaluate_fn=fake_fitness) as ev:
        yield ev


def test_worker_env_budgets_threads_and_devices():
    one_cpu = worker_env(1, 0)
    assert one_cpu == {
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "JAX_PLATFORMS": "cpu",
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false",
    }
    assert "XLA_FLAGS" not in worker_env(4, 0) and worker_env(4, 0)["OMP_NUM_THREADS"] == "4"
    shared_gpu = worker_env(1, 0.5)
    assert "JAX_PLATFORMS" not in shared_gpu and shared_gpu["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert "XLA_PYTHON_CLIENT_PREALLOCATE" not in worker_env(1, 1)


def test_ray_returns_each_job_once_and_agrees_with_serial(pool):
    job_list = jobs(12)
    assert pool.wait(timeout=0.01) == []  # nothing pending
    for job in job_list:
        pool.submit(job)
    assert pool.pending == 12
    outcomes = drain(pool)
    assert pool.pending == 0 and pool.restarts == 0
    assert sorted(o.id for o in outcomes) == list(range(12))
    assert {o.worker for o in outcomes} == {"ray-0", "ray-1"}  # steady state: both busy
    assert {o.id: o.result for o in outcomes} == serial_results(job_list)


def test_ray_workers_run_with_the_cpu_environment(pool):
    for pid in pool.worker_pids():
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
        for key, value in worker_env(1, 0).items():
            assert env.get(key.encode()) == value.encode(), key


def test_ray_exception_in_evaluate_fn_propagates_and_pool_goes_on(pool):
    pool.submit(Job(0, FAILING))
    pool.submit(Job(1, builtin("lion")))
    got: list[Outcome] = []
    with pytest.raises(ValueError, match="refuses"):
        while pool.pending:
            got += pool.wait(timeout=5.0)
    got += drain(pool)  # the other job comes back before or after the error, once
    assert [o.id for o in got] == [1]
    assert pool.restarts == 0


def test_ray_killed_worker_is_replaced_until_max_restarts(pool):
    job_list = jobs(16)
    for job in job_list:
        pool.submit(job)
    outcomes = pool.wait(timeout=60)
    assert outcomes and pool.pending >= 10  # the kill lands while most jobs wait
    os.kill(pool.worker_pids()[0], signal.SIGKILL)
    outcomes += drain(pool)
    assert pool.restarts >= 1
    assert len(set(pool.worker_pids())) == 2  # the replacement runs
    assert sorted(o.id for o in outcomes) == list(range(16)), "a job was lost or returned twice"
    assert {o.id: o.result for o in outcomes} == serial_results(job_list)

    pool.max_restarts = pool.restarts  # no more replacements: the next death is fatal
    os.kill(pool.worker_pids()[1], signal.SIGKILL)
    for job in jobs(4):
        pool.submit(job)
    with pytest.raises(WorkerCrashLoop, match="ray-1"):
        drain(pool)


def test_ray_worker_that_cannot_start_fails_at_once(local_ray):
    with RayEvaluator(SPEC, num_workers=1, evaluate_fn=unpicklable_on_workers) as ev:
        ev.submit(Job(0, builtin("sgd")))
        with pytest.raises(WorkerStartError, match="ray-0 could not start"):
            drain(ev)
        assert ev.restarts == 0


def test_ray_real_fitness_agrees_with_serial_and_wait_times_out(local_ray):
    fitness = pytest.importorskip("symopt.proxy_tasks.fitness")
    spec = fitness.FitnessSpec(
        tasks=(fitness.TaskSpec("quadratic", {"steps": 20}),), seeds=(0,), lr_multipliers=(1.0,), slot_cost=0.1
    )
    job_list = [Job(i, builtin(name)) for i, name in enumerate(("lion", "signum"))]
    remote, local = RayEvaluator(spec, num_workers=1), SerialEvaluator(spec)
    results = []
    for evaluator in (remote, local):
        with evaluator:
            for job in job_list:
                evaluator.submit(job)
            if evaluator is remote:
                # The first job imports JAX and compiles: seconds.
                assert remote.wait(timeout=0.1) == [] and remote.pending == 2
            # Wall times differ from run to run; everything else must not.
            results.append({o.id: dataclasses.replace(o.result, seconds=0.0) for o in drain(evaluator)})
    assert results[0] == results[1]
    assert all(r.status == "ok" for r in results[0].values())
    with pytest.raises(RuntimeError, match="closed"):
        remote.submit(job_list[0])
