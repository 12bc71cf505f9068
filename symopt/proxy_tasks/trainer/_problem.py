"""What a training run is given and what it returns: the problem, the schedule, the output.

Example:
    >>> warmup_steps(300, 0.05)
    15
    >>> TrainOutput(metric=1.0, train_loss=1.0, bad=2, stopped_at=7).divergence()
    'diverged: non-finite weights at step 7'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp

__all__ = ["PyTree", "Batch", "Problem", "TrainOutput", "schedule", "warmup_steps", "to_output", "no_batch"]

PyTree = Any
Batch = Any
"""One step's random batch, a pytree of arrays (``()`` for a problem without batches)."""

FINITE, BAD_LOSS, BAD_WEIGHTS = 0, 1, 2


def no_batch(key: jax.Array) -> Batch:
    """The batch of a problem whose loss draws nothing: ``()``."""
    return ()


@dataclass(frozen=True, eq=False)
class Problem:
    """A training problem, as pure functions of explicit keys and data.

    Attributes:
        init: ``init(key) -> params`` (a pytree of float32 arrays).
        loss: ``loss(params, data, batch) -> scalar``: the training loss on one
            step's ``batch`` (what ``sample`` drew).
        evaluate: ``evaluate(params, data) -> (metric, extras)``: the validation
            metric (lower is better) and a dict of more scalars.
        data: a pytree of arrays; passed to the jitted loop as an argument, not
            baked into it as constants (which would slow the compile).
        steps: training steps.
        warmup: fraction of the steps spent in the linear warm-up.
        sample: ``sample(key) -> batch``: the random part of a step (inputs, or
            indices into ``data``), a function of the key and the knobs only,
            never of ``data`` or a data knob, so that a seed's batches can be
            drawn once and shared by every program and by the tasks of a
            family that differ only in their data.
    """

    init: Callable[[jax.Array], PyTree]
    loss: Callable[[PyTree, Any, Batch], jax.Array]
    evaluate: Callable[[PyTree, Any], tuple[jax.Array, Mapping[str, jax.Array]]]
    data: Any
    steps: int
    warmup: float = 0.05
    sample: Callable[[jax.Array], Batch] = no_batch

    def param_sizes(self) -> list[int]:
        """Sizes of the parameter tensors, in ``ravel_pytree`` order (no compute)."""
        shapes = jax.eval_shape(self.init, jax.random.key(0))
        return [math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes)]

    def num_params(self) -> int:
        return sum(self.param_sizes())


@dataclass(frozen=True)
class TrainOutput:
    """What one training run returns, as Python floats.

    Attributes:
        metric: the validation metric after the last step.
        train_loss: mean training loss over the last ~10% of steps.
        extra: more validation scalars.
        bad: 0 when every step was finite, 1 when a loss was not, 2 when the weights were not.
        stopped_at: the step the run stopped at (``steps`` when it finished).
    """

    metric: float
    train_loss: float
    extra: Mapping[str, float] = field(default_factory=dict)
    bad: int = FINITE
    stopped_at: int = 0

    def divergence(self) -> str:
        """Why the run counts as diverged (``"diverged: ..."``), or ``""``."""
        if self.bad == BAD_LOSS:
            return f"diverged: non-finite loss at step {self.stopped_at}"
        if self.bad == BAD_WEIGHTS:
            return f"diverged: non-finite weights at step {self.stopped_at}"
        if not (math.isfinite(self.metric) and math.isfinite(self.train_loss)):
            return "diverged: non-finite loss at the end"
        return ""


def warmup_steps(steps: int, warmup: float) -> int:
    """Steps of linear warm-up: ``warmup`` of ``steps``, rounded, and at least 1.

    Example:
        >>> warmup_steps(300, 0.05)
        15
    """
    return max(1, round(steps * warmup))


def schedule(step: jax.Array, steps: int, warm: int) -> jax.Array:
    """The unit-peak learning-rate schedule: linear warm-up, then cosine decay to 0.

    Args:
        step: 0-based step.
        steps: total steps.
        warm: warm-up steps (:func:`warmup_steps`).

    Example:
        >>> [round(float(schedule(s, 10, 2)), 3) for s in (0, 1, 2, 9)]
        [0.5, 1.0, 1.0, 0.038]
    """
    step = jnp.asarray(step, jnp.float32)
    rise = (step + 1.0) / warm
    progress = (step - warm) / max(steps - warm, 1)
    fall = 0.5 * (1.0 + jnp.cos(jnp.pi * jnp.clip(progress, 0.0, 1.0)))
    return jnp.where(step < warm, rise, fall)


def to_output(out: Mapping[str, Any]) -> TrainOutput:
    """Converts what a ``train`` function returned (fetched to the host) to a :class:`TrainOutput`."""
    return TrainOutput(
        metric=float(out["metric"]),
        train_loss=float(out["train_loss"]),
        extra={k: float(v) for k, v in out["extra"].items()},
        bad=int(out["bad"]),
        stopped_at=int(out["stopped_at"]),
    )
