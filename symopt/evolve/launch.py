"""Opening the evaluator a config's ``ray`` section asks for.

``ray.serial: true`` evaluates in this process (:class:`SerialEvaluator`, the
reference); otherwise an embedded local Ray (``address: null``) or a running
cluster (``address: HOST:PORT``) runs a :class:`RayEvaluator`. Only this section
changes between a laptop and a GPU cluster.

Example:
    >>> from symopt.evolve.config import RayConfig
    >>> with open_evaluator(RayConfig(serial=True), spec=None) as ev:  # doctest: +SKIP
    ...     ev.num_workers
    1
"""

from __future__ import annotations

import contextlib
import math
import sys
from typing import Any, Callable, Iterator, Protocol

from symopt.evolve.config import RayConfig

__all__ = ["EvaluatorFactory", "default_num_workers", "is_evaluator_failure", "open_evaluator", "open_session"]


def is_evaluator_failure(err: BaseException) -> bool:
    """Whether ``err`` says the workers are gone (Ray could not start or join, or
    workers kept dying), rather than a bug: the campaign reports it in one line.

    Example:
        >>> is_evaluator_failure(ValueError("a bug"))
        False
    """
    # Ray's errors exist only once the Ray half of the evaluators was imported.
    pool = sys.modules.get("symopt.evolve.ray_pool")
    return pool is not None and isinstance(err, (pool.RaySessionError, pool.WorkerCrashLoop))


def default_num_workers(ray_config: RayConfig, cluster_cpus: float) -> int:
    """``num_workers``, or as many workers as the CPUs Ray reports allow (at least 1).

    Example:
        >>> default_num_workers(RayConfig(), cluster_cpus=8.0)
        8
        >>> default_num_workers(RayConfig(num_cpus_per_worker=3), cluster_cpus=8.0)
        2
    """
    if ray_config.num_workers is not None:
        return ray_config.num_workers
    return max(1, math.floor(cluster_cpus / ray_config.num_cpus_per_worker))


class EvaluatorFactory(Protocol):
    """Opens evaluators for one spec after another in one session (see :func:`open_session`)."""

    def __call__(
        self, spec: Any, evaluate_fn: Callable[..., Any] | None = None
    ) -> contextlib.AbstractContextManager[Any]:
        """An evaluator scoring with ``spec``, closed at the end of the ``with`` block."""


@contextlib.contextmanager
def open_session(ray_config: RayConfig) -> Iterator[EvaluatorFactory]:
    """The place evaluations run for ``ray_config``, for several specs in turn.

    Ray starts (or is joined) once for the ``with`` block; each evaluator the
    factory opens gets fresh workers holding its spec. The funnel scores its
    stages this way without paying for a Ray start per stage.

    Example:
        >>> from symopt.evolve.config import RayConfig
        >>> with open_session(RayConfig(serial=True)) as open_for:
        ...     with open_for(spec=None, evaluate_fn=lambda p, s: len(p)) as ev:
        ...         ev.num_workers
        1
    """
    from symopt.evolve.evaluators import SerialEvaluator

    if ray_config.serial:
        yield lambda spec, evaluate_fn=None: SerialEvaluator(spec, evaluate_fn=evaluate_fn)
        return
    # Only now: importing the Ray half of the API loads Ray.
    from symopt.evolve.evaluators import RayEvaluator, ray_session

    with ray_session(ray_config.address, num_cpus=ray_config.num_cpus, dashboard=ray_config.dashboard):
        import ray

        workers = default_num_workers(ray_config, ray.cluster_resources().get("CPU", 1.0))

        def open_for(spec: Any, evaluate_fn: Callable[..., Any] | None = None) -> Any:
            return RayEvaluator(
                spec,
                num_workers=workers,
                num_cpus_per_worker=ray_config.num_cpus_per_worker,
                num_gpus_per_worker=ray_config.num_gpus_per_worker,
                evaluate_fn=evaluate_fn,
                # Pin workers to cores only on a Ray this command started itself.
                pin_cpus=ray_config.address is None
                and ray_config.num_cpus_per_worker == 1
                and ray_config.num_gpus_per_worker == 0,
            )

        yield open_for


@contextlib.contextmanager
def open_evaluator(
    ray_config: RayConfig, spec: Any, evaluate_fn: Callable[..., Any] | None = None
) -> Iterator[Any]:
    """The evaluator for ``ray_config``, closed (and Ray stopped, if started here) on exit.

    Args:
        ray_config: the config's ``ray`` section.
        spec: the :class:`~symopt.proxy_tasks.fitness.FitnessSpec` workers score with.
        evaluate_fn: replaces ``evaluate_fitness`` (tests).
    """
    with open_session(ray_config) as open_for, open_for(spec, evaluate_fn) as evaluator:
        yield evaluator
