"""Where candidates are trained: one :class:`Evaluator` interface, a serial and a Ray implementation.

:class:`SerialEvaluator` trains in this process and is the reference; the Ray
evaluator (:mod:`symopt.evolve.workers._ray`) must agree with it.
:func:`open_session` and :func:`open_evaluator` open the one a config's ``ray``
section asks for. Ray itself loads only when a Ray evaluator is opened (or one
of its names below is first used), so a serial search never pays for it.

Example:
    >>> from symopt.dsl import builtin
    >>> with SerialEvaluator(None, evaluate_fn=lambda program, spec: len(program)) as ev:
    ...     ev.submit(Job(7, builtin("sgd")))
    ...     [(o.id, o.result, o.worker) for o in ev.wait()]
    [(7, 4, 'serial')]
"""

from typing import Any

from symopt.evolve.workers._evaluator import (
    EvaluateFn,
    Evaluator,
    Job,
    Outcome,
    RaySessionError,
    SerialEvaluator,
    WorkerCrashLoop,
    WorkerStartError,
    is_evaluator_failure,
    run_job,
)
from symopt.evolve.workers._launch import EvaluatorFactory, default_num_workers, open_evaluator, open_session

__all__ = [
    "EvaluateFn",
    "Evaluator",
    "EvaluatorFactory",
    "Job",
    "Outcome",
    "RayEvaluator",
    "RaySessionError",
    "SerialEvaluator",
    "WorkerCrashLoop",
    "WorkerStartError",
    "default_num_workers",
    "is_evaluator_failure",
    "open_evaluator",
    "open_session",
    "ray_session",
    "run_job",
    "worker_env",
]

_RAY_NAMES = ("RayEvaluator", "ray_session", "worker_env")


def __getattr__(name: str) -> Any:
    # PEP 562: these load Ray (about a second), so only when first used.
    if name in _RAY_NAMES:
        from symopt.evolve.workers import _ray

        return getattr(_ray, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
