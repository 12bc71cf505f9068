"""Classification on the digits, shared by the MLP and the vision-transformer tasks.

The families differ only in the model (``init`` and ``apply``); batches drawn
uniformly with replacement from the training split, the loss (squared error on
one-hot targets, or cross-entropy) and the validation metrics are the same.

Example:
    >>> import jax
    >>> from symopt.proxy_tasks.layers import mlp_apply, mlp_init
    >>> knobs = DigitsTrainingKnobs(loss="ce", train_size=100, batch=8, steps=5)
    >>> p = digits_problem(lambda k: mlp_init(k, (64, 10)), mlp_apply, knobs)
    >>> p.num_params()
    650
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

import jax
import jax.numpy as jnp

from symopt.proxy_tasks.data import DIGITS_TRAIN, digits_split
from symopt.proxy_tasks.knobs import at_least, within
from symopt.proxy_tasks.layers import cross_entropy
from symopt.proxy_tasks.trainer import Problem

__all__ = ["LossKind", "NUM_CLASSES", "DigitsTrainingKnobs", "classification_loss", "digits_problem"]

LossKind = Literal["se", "ce"]

NUM_CLASSES = 10


@dataclass(frozen=True)
class DigitsTrainingKnobs:
    """The training knobs every digits family has; each family adds its model's.

    Attributes:
        loss: ``se`` (squared error on one-hot targets) or ``ce`` (cross-entropy).
        steps: training steps.
        batch: examples per step, drawn with replacement.
        train_size: training examples used, at most 1347 (validation is 450 fixed).
        warmup: fraction of steps of linear learning-rate warm-up.
    """

    loss: LossKind = "se"
    steps: int = 300
    batch: int = 128
    train_size: int = DIGITS_TRAIN
    warmup: float = 0.05

    def __post_init__(self) -> None:
        at_least(self, 1, "steps", "batch")
        within(self, "train_size", 1, DIGITS_TRAIN + 1)
        within(self, "warmup", 0.0, 1.0)


def classification_loss(kind: LossKind, logits: jax.Array, labels: jax.Array) -> jax.Array:
    """``se``: squared error on one-hot targets, summed over classes and averaged
    over examples (the loss on which Lion wins, PROXY_NOTES); ``ce``: cross-entropy.

    Example:
        >>> float(classification_loss("se", jnp.zeros((1, 10)), jnp.array([3])))
        1.0
    """
    if kind == "se":
        targets = jax.nn.one_hot(labels, logits.shape[-1])
        return jnp.mean(jnp.sum((logits - targets) ** 2, -1))
    return cross_entropy(logits, labels)


def digits_problem(
    init: Callable[[jax.Array], Any],
    apply: Callable[[Any, jax.Array], jax.Array],
    knobs: DigitsTrainingKnobs,
) -> Problem:
    """The digits as a :class:`Problem` for a model ``apply(params, x[n, 64]) -> logits[n, 10]``.

    The metric is the validation loss of the kind ``knobs.loss``; ``accuracy`` is an extra.
    """
    loss, batch = knobs.loss, knobs.batch
    digits = digits_split(knobs.train_size)
    data = {"x": digits.x_train, "y": digits.y_train, "x_val": digits.x_val, "y_val": digits.y_val}

    def sample(key: jax.Array) -> jax.Array:
        return jax.random.randint(key, (batch,), 0, knobs.train_size)

    def batch_loss(params: Any, data: dict[str, jax.Array], idx: jax.Array) -> jax.Array:
        return classification_loss(loss, apply(params, data["x"][idx]), data["y"][idx])

    def evaluate(params: Any, data: dict[str, jax.Array]) -> tuple[jax.Array, dict[str, jax.Array]]:
        logits = apply(params, data["x_val"])
        accuracy = jnp.mean(jnp.argmax(logits, -1) == data["y_val"])
        return classification_loss(loss, logits, data["y_val"]), {"accuracy": accuracy}

    return Problem(init, batch_loss, evaluate, data, knobs.steps, knobs.warmup, sample)
