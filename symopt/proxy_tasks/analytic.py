"""Analytic objectives for fast tests: an ill-conditioned quadratic and Rosenbrock.

No data and no batches: the gradient is exact, so a run depends on the seed only
through the starting point. The metric is the objective at the end.

Example:
    >>> Quadratic(QuadraticKnobs(dim=10)).num_params()
    10
    >>> Rosenbrock(RosenbrockKnobs(dim=4)).num_params()
    4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from symopt.proxy_tasks.base import Task
from symopt.proxy_tasks.knobs import at_least, within
from symopt.proxy_tasks.trainer import Problem

__all__ = ["QuadraticKnobs", "Quadratic", "RosenbrockKnobs", "Rosenbrock", "rosenbrock"]


def _exact_problem(
    init: Callable[[jax.Array], dict[str, Any]],
    objective: Callable[[dict[str, Any], dict[str, Any]], jax.Array],
    data: dict[str, Any],
    knobs: Any,
) -> Problem:
    """A problem without batches: both the training loss and the metric are ``objective``."""
    return Problem(
        init=init,
        loss=lambda params, data, batch: objective(params, data),
        evaluate=lambda params, data: (objective(params, data), {}),
        data=data,
        steps=knobs.steps,
        warmup=knobs.warmup,
    )


@dataclass(frozen=True)
class QuadraticKnobs:
    """Knobs of ``quadratic``.

    Attributes:
        dim: dimensions.
        condition: ratio of the largest to the smallest curvature (largest is 1).
        steps: optimization steps.
        data_seed: fixes the rotation and the minimum.
        warmup: fraction of steps of linear learning-rate warm-up.
    """

    dim: int = 20
    condition: float = 1000.0
    steps: int = 100
    data_seed: int = 0
    warmup: float = 0.05

    def __post_init__(self) -> None:
        at_least(self, 1, "dim", "steps", "condition")
        at_least(self, 0, "data_seed")
        within(self, "warmup", 0.0, 1.0)


class Quadratic(Task):
    """``0.5 (w - w*)' Q diag(s) Q' (w - w*)``, curvatures ``s`` log-spaced in [1/condition, 1]."""

    name = "quadratic"
    Knobs = QuadraticKnobs
    metric_name = "loss"
    approx_ms = 1.0

    def problem(self) -> Problem:
        k = self.knobs
        rng = np.random.default_rng(k.data_seed)
        rotation, _ = np.linalg.qr(rng.standard_normal((k.dim, k.dim)))
        curvature = np.logspace(-np.log10(k.condition), 0.0, k.dim)
        data = {
            "hessian": ((rotation * curvature) @ rotation.T).astype(np.float32),
            "minimum": rng.standard_normal(k.dim).astype(np.float32),
        }

        def objective(params: dict[str, jax.Array], data: dict[str, jax.Array]) -> jax.Array:
            d = params["w"] - data["minimum"]
            return 0.5 * d @ data["hessian"] @ d

        return _exact_problem(lambda key: {"w": jax.random.normal(key, (k.dim,))}, objective, data, k)


@dataclass(frozen=True)
class RosenbrockKnobs:
    """Knobs of ``rosenbrock``.

    Attributes:
        dim: dimensions (at least 2).
        steps: optimization steps.
        spread: std of the seed's perturbation of the classic start (-1.2, 1, ...).
        warmup: fraction of steps of linear learning-rate warm-up.
    """

    dim: int = 2
    steps: int = 100
    spread: float = 0.1
    warmup: float = 0.05

    def __post_init__(self) -> None:
        at_least(self, 2, "dim")
        at_least(self, 1, "steps")
        at_least(self, 0.0, "spread")
        within(self, "warmup", 0.0, 1.0)


def rosenbrock(x: jax.Array) -> jax.Array:
    """``sum(100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2)``; 0 at all ones.

    Example:
        >>> float(rosenbrock(jnp.ones(3)))
        0.0
    """
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


class Rosenbrock(Task):
    """The n-D Rosenbrock function from near the classic start (-1.2, 1, -1.2, ...)."""

    name = "rosenbrock"
    Knobs = RosenbrockKnobs
    metric_name = "loss"
    approx_ms = 1.0

    def problem(self) -> Problem:
        k = self.knobs
        start = jnp.where(jnp.arange(k.dim) % 2 == 0, -1.2, 1.0)

        def init(key: jax.Array) -> dict[str, Any]:
            return {"x": start + k.spread * jax.random.normal(key, (k.dim,))}

        return _exact_problem(init, lambda params, data: rosenbrock(params["x"]), {}, k)
