"""Opening the evaluator a config's ``ray`` section asks for.

``ray.serial: true`` evaluates in this process (:class:`SerialEvaluator`, the
reference); otherwise an embedded local Ray (``address: null``) or a running
cluster (``address: HOST:PORT``) runs a :class:`RayEvaluator`. Only this section
changes between a laptop and a GPU cluster.

Example:
    >>> from symopt.config import RayConfig
    >>> with open_evaluator(RayConfig(serial=True), spec=None) as ev:
    ...     ev.num_workers
    1
"""

from __future__ import annotations

import contextlib
import math
from typing import Iterator, Protocol

from symopt.config import RayConfig
from symopt.evolve.workers._evaluator import EvaluateFn, Evaluator, SerialEvaluator
from symopt.proxy_tasks import FitnessSpec

__all__ = ["EvaluatorFactory", "default_num_workers", "open_evaluator", "open_session"]


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

    def __call__(self, spec: FitnessSpec | None, evaluate_fn: EvaluateFn | None = None) -> Evaluator:
        """An evaluator scoring with ``spec``, closed at the end of the ``with`` block."""


@contextlib.contextmanager
def open_session(ray_config: RayConfig) -> Iterator[EvaluatorFactory]:
    """The place evaluations run for ``ray_config``, for several specs in turn.

    Ray starts (or is joined) once for the ``with`` block; each evaluator the
    factory opens gets fresh workers holding its spec. The funnel scores its
    stages this way without paying for a Ray start per stage.

    Example:
        >>> from symopt.config import RayConfig
        >>> with open_session(RayConfig(serial=True)) as open_for:
        ...     with open_for(spec=None, evaluate_fn=lambda p, s: len(p)) as ev:
        ...         ev.num_workers
        1
    """
    if ray_config.serial:
        yield lambda spec, evaluate_fn=None: SerialEvaluator(spec, evaluate_fn=evaluate_fn)
        return
    # Only now: the Ray half of the evaluators loads Ray (about a second).
    from symopt.evolve.workers._ray import RayEvaluator, ray_session

    with ray_session(ray_config.address, num_cpus=ray_config.num_cpus, dashboard=ray_config.dashboard):
        import ray

        workers = default_num_workers(ray_config, ray.cluster_resources().get("CPU", 1.0))

        def open_for(spec: FitnessSpec | None, evaluate_fn: EvaluateFn | None = None) -> Evaluator:
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
    ray_config: RayConfig, spec: FitnessSpec | None, evaluate_fn: EvaluateFn | None = None
) -> Iterator[Evaluator]:
    """The evaluator for ``ray_config``, closed (and Ray stopped, if started here) on exit.

    Args:
        ray_config: the config's ``ray`` section.
        spec: the :class:`~symopt.proxy_tasks.fitness.FitnessSpec` workers score with.
        evaluate_fn: replaces ``evaluate_fitness`` (tests).
    """
    with open_session(ray_config) as open_for, open_for(spec, evaluate_fn) as evaluator:
        yield evaluator
