"""Evaluators: where candidate programs are trained, behind one interface.

A search :meth:`Evaluator.submit`\\ s :class:`Job`\\ s and collects
:class:`Outcome`\\ s with :meth:`Evaluator.wait` as they finish, so it can keep
every worker busy without a generation barrier (steady-state evolution).
:class:`SerialEvaluator` trains in this process, in submission order: it is the
reference. :class:`~symopt.evolve.workers._ray.RayEvaluator` trains on a pool of Ray
actors and must give the same result for the same job. Both score with
``evaluate_fn(program, spec)``, by default
:func:`symopt.proxy_tasks.evaluate_fitness`, which is deterministic and never
raises. The Ray errors are defined here, so code can recognise them without
loading Ray (about a second), which a serial search never does.

Example:
    >>> from symopt.dsl import builtin
    >>> def length(program, spec):
    ...     return len(program)
    >>> with SerialEvaluator(spec=None, evaluate_fn=length) as ev:
    ...     ev.submit(Job(7, builtin("sgd")))
    ...     [(o.id, o.result, o.worker) for o in ev.wait()]
    [(7, 4, 'serial')]
"""

from __future__ import annotations

import abc
import collections
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable

from symopt.dsl import Program
from symopt.proxy_tasks import FitnessResult, FitnessSpec, Hurdle, evaluate_fitness

__all__ = [
    "Job",
    "Outcome",
    "EvaluateFn",
    "Evaluator",
    "SerialEvaluator",
    "RaySessionError",
    "WorkerCrashLoop",
    "WorkerStartError",
    "is_evaluator_failure",
    "run_job",
]

EvaluateFn = Callable[..., Any]
"""``(program, spec) -> FitnessResult``, and ``(program, spec, hurdle=...)`` for a job with
a hurdle; the signature of ``evaluate_fitness`` (tests return other values: evaluators
never look inside a result)."""


class RaySessionError(RuntimeError):
    """Ray could not be started, or the cluster at an address could not be joined."""


class WorkerCrashLoop(RuntimeError):
    """Workers kept dying: more replacements than ``RayEvaluator.max_restarts``."""


class WorkerStartError(RuntimeError):
    """A worker could not be created, e.g. its ``evaluate_fn`` does not unpickle there."""


def is_evaluator_failure(err: BaseException) -> bool:
    """Whether ``err`` says the workers are gone (Ray could not start or join, or
    workers kept dying), rather than a bug: the campaign reports it in one line.

    Example:
        >>> is_evaluator_failure(ValueError("a bug")), is_evaluator_failure(WorkerCrashLoop("x"))
        (False, True)
    """
    return isinstance(err, (RaySessionError, WorkerCrashLoop))


@dataclass(frozen=True)
class Job:
    """One program to train.

    Attributes:
        id: the caller's key (a candidate id); echoed in the :class:`Outcome`.
        program: the program, sent to the worker as data.
        hurdle: the hurdle it must pass (``None``: the whole fitness).
    """

    id: int
    program: Program
    hurdle: Hurdle | None = None


@dataclass(frozen=True)
class Outcome:
    """A finished :class:`Job`.

    Attributes:
        id: the job's id.
        result: what ``evaluate_fn`` returned (a ``FitnessResult``).
        worker: who trained it: ``"serial"``, or ``"ray-<slot>"`` for a Ray worker.
        seconds: wall time of the ``evaluate_fn`` call, queueing excluded.
    """

    id: int
    result: FitnessResult
    worker: str
    seconds: float


def run_job(job: Job, spec: FitnessSpec | None, evaluate_fn: EvaluateFn | None, worker: str) -> Outcome:
    """Trains one job and times it: the one code path of every evaluator.

    Args:
        job: the job.
        spec: passed to ``evaluate_fn`` as is.
        evaluate_fn: ``(program, spec) -> result``; ``None`` for ``evaluate_fitness``.
        worker: the name the :class:`Outcome` carries.

    Example:
        >>> from symopt.dsl import builtin
        >>> run_job(Job(1, builtin("sgd")), None, lambda p, s: p.output, "serial").result
        'update'
    """
    fn = evaluate_fn if evaluate_fn is not None else evaluate_fitness
    start = time.perf_counter()
    result = fn(job.program, spec) if job.hurdle is None else fn(job.program, spec, hurdle=job.hurdle)
    return Outcome(job.id, result, worker, time.perf_counter() - start)


class Evaluator(abc.ABC):
    """Trains submitted jobs on ``num_workers`` workers; a context manager.

    Attributes:
        num_workers: jobs that can train at once; a search keeps this many submitted.
        restarts: workers replaced after dying (always 0 in process).
    """

    num_workers: int
    restarts: int = 0

    @abc.abstractmethod
    def submit(self, job: Job) -> None:
        """Queues ``job``; it starts as soon as a worker is free."""

    @abc.abstractmethod
    def wait(self, timeout: float | None = None) -> list[Outcome]:
        """Blocks until at least one job has finished and returns every finished one.

        Each submitted job is returned exactly once, by one call. Returns ``[]``
        when nothing is pending, or when ``timeout`` seconds pass first.
        """

    @property
    @abc.abstractmethod
    def pending(self) -> int:
        """Jobs submitted and not yet returned by :meth:`wait`."""

    @abc.abstractmethod
    def close(self) -> None:
        """Releases the workers; pending jobs are dropped. Safe to call twice."""

    def __enter__(self) -> "Evaluator":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class SerialEvaluator(Evaluator):
    """The reference evaluator: trains in this process, oldest job first.

    :meth:`wait` trains exactly the oldest queued job and returns it; it cannot be
    interrupted, so ``timeout`` is ignored.

    Args:
        spec: the ``FitnessSpec`` passed to ``evaluate_fn``.
        evaluate_fn: ``(program, spec) -> FitnessResult``; ``None`` for
            :func:`~symopt.proxy_tasks.fitness.evaluate_fitness`. Tests inject a
            cheap one.

    Example:
        >>> from symopt.dsl import builtin
        >>> ev = SerialEvaluator(None, evaluate_fn=lambda p, s: len(p))
        >>> ev.submit(Job(1, builtin("sgd"))); ev.submit(Job(2, builtin("adamw")))
        >>> ev.pending, [o.id for o in ev.wait()], ev.pending
        (2, [1], 1)
    """

    num_workers = 1

    def __init__(self, spec: FitnessSpec | None, evaluate_fn: EvaluateFn | None = None) -> None:
        self.spec = spec
        self.evaluate_fn = evaluate_fn
        self._queue: collections.deque[Job] = collections.deque()

    def submit(self, job: Job) -> None:
        self._queue.append(job)

    def wait(self, timeout: float | None = None) -> list[Outcome]:
        if not self._queue:
            return []
        job = self._queue.popleft()
        return [run_job(job, self.spec, self.evaluate_fn, "serial")]

    @property
    def pending(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        self._queue.clear()
