"""Training candidates on a pool of Ray actors, and the Ray session they live in.

:func:`ray_session` starts an embedded single-machine Ray, or joins a running
cluster. :class:`RayEvaluator` keeps one actor per worker, each training one job
at a time, and a queue: when an actor finishes, the oldest queued job goes to it
at once (no generation barrier), in the manner of ``ray.util.ActorPool``. An
actor keeps its compiled proxy tasks between jobs (the fitness module caches
them per process) and receives programs and the spec as pickled data, never
through the driver's globals. When an actor dies, its job goes back to the front
of the queue and a fresh actor takes its place, so no job is lost or returned
twice.

Example:
    >>> from symopt.dsl import builtin
    >>> from symopt.evolve.workers import Job
    >>> with ray_session(num_cpus=2):  # doctest: +SKIP
    ...     with RayEvaluator(spec, num_workers=2) as ev:
    ...         ev.submit(Job(1, builtin("lion")))
    ...         [o.worker for o in ev.wait()]
    ['ray-0']
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import socket
import time
from typing import Any, Iterator

import ray
import ray.exceptions

from symopt.evolve.workers._watchdog import start_watchdog
from symopt.evolve.workers._evaluator import (
    EvaluateFn,
    Evaluator,
    Job,
    Outcome,
    RaySessionError,
    WorkerCrashLoop,
    WorkerStartError,
    run_job,
)
from symopt.proxy_tasks import FitnessSpec

__all__ = ["RayEvaluator", "ray_session", "worker_env"]

logger = logging.getLogger(__name__)

_CONNECT_CHECK_SECONDS = 5.0
"""How long :func:`ray_session` waits for a TCP answer from a cluster's address."""

# Results that mean "the actor is gone", not "the job failed": the job is run again.
_WORKER_DEATHS = (
    ray.exceptions.RayActorError,  # ActorDiedError, ActorUnavailableError
    ray.exceptions.WorkerCrashedError,
    ray.exceptions.NodeDiedError,
    ray.exceptions.OutOfMemoryError,
    ray.exceptions.ObjectLostError,
)


def _token_auth_if_available() -> None:
    # Ray >= 2.5x turns token auth on for every new local cluster when a token
    # exists (~/.ray/auth_token), but a driver joining an explicit address only
    # sends the token if RAY_AUTH_MODE=token. Do for an address what Ray does for
    # "auto"; a cluster without auth accepts a driver that sends a token.
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # a Ray without token auth: nothing to do
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


def _check_reachable(address: str) -> None:
    # ray.init retries a dead address for minutes (20 tries of up to 40 s each);
    # a refused TCP connection says at once that no cluster is there.
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", or a form only Ray understands
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=_CONNECT_CHECK_SECONDS).close()
    except OSError as err:
        raise RaySessionError(f"no Ray cluster answers at {address!r}: {err}") from err


@contextlib.contextmanager
def ray_session(
    address: str | None = None,
    num_cpus: int | None = None,
    dashboard: bool = False,
    namespace: str = "symopt",
) -> Iterator[None]:
    """Connects this process to Ray for the ``with`` block.

    Args:
        address: ``None`` starts an embedded Ray on this machine (never joining a
            cluster that happens to run here), stopped at exit. ``"auto"`` or
            ``"HOST:PORT"`` joins that cluster; at exit this process only
            disconnects and the cluster keeps running.
        num_cpus: CPUs the embedded Ray offers (default: every core Ray detects,
            which respects container CPU limits); ignored when joining.
        dashboard: start the embedded Ray's dashboard (off: it costs a process
            and a port).
        namespace: the Ray namespace of this driver.

    If this process is already connected to Ray, that connection is used as it
    is and left open at exit (so tests can share one session).

    Raises:
        RaySessionError: Ray could not start, or nothing could be joined at ``address``.

    Example:
        >>> with ray_session(num_cpus=2):  # doctest: +SKIP
        ...     ray.cluster_resources()["CPU"]
        2.0
    """
    if ray.is_initialized():
        yield
        return
    # Worker output would interleave with the search's progress lines.
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING, "namespace": namespace}
    # An embedded Ray's processes are swept up when this driver ends, even by kill -9.
    watchdog = start_watchdog() if address is None else None
    if address is None:
        try:
            ray.init(
                address="local",
                num_cpus=num_cpus,
                include_dashboard=dashboard,
                # Honoured on macOS and Windows; on Linux Ray swaps loopback for
                # the host's address (and its servers listen on every interface).
                _node_ip_address="127.0.0.1",
                **quiet,
            )
        except Exception as err:
            if watchdog is not None:
                watchdog.close()
            raise RaySessionError(f"could not start a local Ray: {err}") from err
    else:
        _check_reachable(address)
        _token_auth_if_available()
        try:
            ray.init(address=address, **quiet)
        except Exception as err:
            raise RaySessionError(f"could not join the Ray cluster at {address!r}: {err}") from err
    try:
        yield
    finally:
        ray.shutdown()  # stops an embedded Ray; only disconnects from a cluster
        if watchdog is not None:
            watchdog.close()


def worker_env(num_cpus_per_worker: float, num_gpus_per_worker: float) -> dict[str, str]:
    """Environment variables of a worker process: its thread and device budget.

    A CPU worker gets as many math-library threads as CPUs it reserves (at least
    one), so ``n`` single-CPU workers on ``n`` cores scale ``n`` times instead of
    fighting over the cores. JAX is told to stay off GPUs it was not given. A
    worker with a fraction of a GPU allocates GPU memory as it needs it, because
    JAX's default (75% of the device up front) would starve the others.

    Example:
        >>> worker_env(1, 0)["JAX_PLATFORMS"], worker_env(2, 0)["OMP_NUM_THREADS"]
        ('cpu', '2')
        >>> worker_env(1, 0.25)["XLA_PYTHON_CLIENT_PREALLOCATE"]
        'false'
    """
    threads = str(max(1, int(num_cpus_per_worker)))
    env = {name: threads for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    if num_gpus_per_worker == 0:
        env["JAX_PLATFORMS"] = "cpu"
        if threads == "1":
            env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false"
    elif num_gpus_per_worker < 1:
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    return env


class _FitnessWorker:
    """One Ray actor: trains the jobs sent to it, one at a time."""

    def __init__(
        self, spec: FitnessSpec | None, evaluate_fn: EvaluateFn | None, name: str, cpu: int | None = None
    ) -> None:
        self.spec = spec
        self.evaluate_fn = evaluate_fn
        self.name = name
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            # One worker per core: without pinning a single-threaded worker still
            # spreads over ~1.3 cores, so two workers on two cores contend.
            os.sched_setaffinity(0, {cpu})

    def pid(self) -> int:
        return os.getpid()

    def evaluate(self, job: Job) -> Outcome:
        return run_job(job, self.spec, self.evaluate_fn, self.name)


_RemoteWorker = ray.remote(_FitnessWorker)


class RayEvaluator(Evaluator):
    """Trains jobs on ``num_workers`` Ray actors; must run inside :func:`ray_session`.

    Args:
        spec: the ``FitnessSpec``, sent to every actor.
        num_workers: actors, i.e. jobs training at once.
        num_cpus_per_worker: CPUs Ray reserves per actor (fractions allowed);
            also its math-library thread count (:func:`worker_env`).
        num_gpus_per_worker: GPUs per actor; a fraction lets several actors
            share one GPU. JAX in the actor sees the GPU Ray assigns it.
        evaluate_fn: ``(program, spec) -> FitnessResult``, default
            ``evaluate_fitness``; it is pickled to the actors, so it must be
            importable there (or registered with
            ``ray.cloudpickle.register_pickle_by_value``).
        max_restarts: dead actors replaced before :meth:`wait` gives up with
            :class:`WorkerCrashLoop` (default ``10 * num_workers``).
        pin_cpus: pin actor ``k`` to the ``k``-th core this process may use (only
            meaningful for an embedded, single-machine Ray with 1-CPU workers).

    Attributes:
        restarts: actors replaced so far.

    Example:
        >>> with ray_session(), RayEvaluator(spec, num_workers=2) as ev:  # doctest: +SKIP
        ...     for i, p in enumerate(programs):
        ...         ev.submit(Job(i, p))
        ...     while ev.pending:
        ...         for outcome in ev.wait():
        ...             print(outcome.id, outcome.result.fitness, outcome.worker)
    """

    def __init__(
        self,
        spec: FitnessSpec | None,
        num_workers: int,
        num_cpus_per_worker: float = 1,
        num_gpus_per_worker: float = 0,
        evaluate_fn: EvaluateFn | None = None,
        max_restarts: int | None = None,
        pin_cpus: bool = False,
    ) -> None:
        if not ray.is_initialized():
            raise RuntimeError("RayEvaluator needs a Ray connection: create it inside ray_session()")
        if num_workers < 1:
            raise ValueError(f"num_workers must be >= 1, got {num_workers}")
        self.num_workers = num_workers
        self.restarts = 0
        self.max_restarts = 10 * num_workers if max_restarts is None else max_restarts
        self._args = (spec, evaluate_fn)
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        self._cores = cores if pin_cpus and cores else []
        self._options = {
            "num_cpus": num_cpus_per_worker,
            "num_gpus": num_gpus_per_worker,
            "runtime_env": {"env_vars": worker_env(num_cpus_per_worker, num_gpus_per_worker)},
        }
        _warn_if_unschedulable(num_cpus_per_worker, num_gpus_per_worker)
        self._actors: list[Any] = [None] * num_workers
        self._pid_refs: list[Any] = [None] * num_workers
        self._idle: collections.deque[int] = collections.deque()
        self._queue: collections.deque[Job] = collections.deque()
        self._running: dict[Any, tuple[int, Job]] = {}  # result ref -> (slot, job)
        self._finished: list[Outcome] = []  # collected, not yet returned
        self._closed = False
        for slot in range(num_workers):
            self._start(slot)

    def _start(self, slot: int) -> None:
        cpu = self._cores[slot % len(self._cores)] if self._cores else None
        actor = _RemoteWorker.options(**self._options).remote(*self._args, f"ray-{slot}", cpu)
        self._actors[slot] = actor
        self._pid_refs[slot] = actor.pid.remote()
        self._idle.append(slot)

    def worker_pids(self) -> list[int]:
        """The process id of each current actor, by slot (waits for them to start)."""
        return ray.get(list(self._pid_refs))

    def submit(self, job: Job) -> None:
        if self._closed:
            raise RuntimeError("this RayEvaluator is closed")
        self._queue.append(job)
        self._dispatch()

    def _dispatch(self) -> None:
        while self._queue and self._idle:
            slot = self._idle.popleft()
            job = self._queue.popleft()
            self._running[self._actors[slot].evaluate.remote(job)] = (slot, job)

    def wait(self, timeout: float | None = None) -> list[Outcome]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._finished and self._running:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            refs = list(self._running)
            # Blocks in Ray (no polling) until one result is ready; then takes
            # every other one that is ready too.
            ready, _ = ray.wait(refs, num_returns=1, timeout=remaining)
            if not ready:
                break
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
            self._collect(ready)
            if deadline is not None and time.monotonic() >= deadline:
                break
        outcomes, self._finished = self._finished, []
        return outcomes

    def _collect(self, ready: list[Any]) -> None:
        error: BaseException | None = None
        for ref in ready:
            slot, job = self._running.pop(ref)
            try:
                self._finished.append(ray.get(ref))
            except _WORKER_DEATHS as err:
                if getattr(err, "actor_init_failed", False):
                    # A fresh actor would fail the same way: say so now, not after
                    # max_restarts more tries.
                    raise WorkerStartError(
                        f"Ray worker ray-{slot} could not start (do evaluate_fn and the spec "
                        f"unpickle on the workers?): {err}"
                    ) from err
                self._replace(slot, job, err)
                continue
            except Exception as err:  # evaluate_fn raised: a bug, not a dead worker
                error = error or err
            self._idle.append(slot)
        self._dispatch()
        if error is not None:
            # Raised after the bookkeeping, so the evaluator stays usable and the
            # other results of this batch come with the next wait().
            raise error

    def _replace(self, slot: int, job: Job, err: BaseException) -> None:
        self.restarts += 1
        if self.restarts > self.max_restarts:
            raise WorkerCrashLoop(
                f"{self.restarts} Ray workers died (at most {self.max_restarts} are replaced); "
                f"the last ran job {job.id} on ray-{slot}: {err}"
            ) from err
        logger.warning("worker ray-%d died running job %d; replacing it: %s", slot, job.id, err)
        # Kill the old actor for sure: an "unavailable" one might still finish the
        # job, and its result must not come back twice.
        ray.kill(self._actors[slot], no_restart=True)
        self._queue.appendleft(job)
        self._start(slot)

    @property
    def pending(self) -> int:
        return len(self._queue) + len(self._running) + len(self._finished)

    def close(self) -> None:
        self._closed = True
        for actor in self._actors:
            if actor is not None:
                ray.kill(actor, no_restart=True)
        self._actors = [None] * self.num_workers
        self._idle.clear()
        self._queue.clear()
        self._running.clear()
        self._finished.clear()


def _warn_if_unschedulable(num_cpus: float, num_gpus: float) -> None:
    # Only a warning: an autoscaling cluster may add the nodes later, but on a
    # fixed one the actors would wait forever without a word.
    total = ray.cluster_resources()
    for resource, need in (("CPU", num_cpus), ("GPU", num_gpus)):
        if need > total.get(resource, 0.0):
            logger.warning(
                "a worker needs %s %s but the Ray cluster has %s now; workers wait until it has",
                need,
                resource,
                total.get(resource, 0.0),
            )
