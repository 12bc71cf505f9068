"""A tiny vision transformer on the digits: a different kind of model from the MLPs.

Each 8x8 image is cut into ``(8 / patch) ** 2`` square patches (4 of 4x4 by
default), embedded linearly with a learned position embedding, passed through
pre-norm transformer blocks, mean-pooled, normalized and classified.

Example:
    >>> DigitsViT(DigitsViTKnobs(steps=10)).num_params()
    13770
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from symopt.proxy_tasks.base import Task
from symopt.proxy_tasks import layers as nn
from symopt.proxy_tasks.classify import NUM_CLASSES, DigitsTrainingKnobs, LossKind, digits_problem
from symopt.proxy_tasks.knobs import at_least
from symopt.proxy_tasks.trainer import Problem

__all__ = ["DigitsViTKnobs", "DigitsViT"]

_SIDE = 8


@dataclass(frozen=True)
class DigitsViTKnobs(DigitsTrainingKnobs):
    """Knobs of ``digits_vit``: the training knobs (loss ``ce`` by default), then the model's.

    Attributes:
        patch: patch side; must divide 8.
        d_model: embedding width.
        heads: attention heads; must divide ``d_model``.
        layers: transformer blocks.
    """

    loss: LossKind = "ce"
    patch: int = 4
    d_model: int = 32
    heads: int = 2
    layers: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        at_least(self, 1, "patch", "d_model", "heads", "layers")
        if _SIDE % self.patch:
            raise ValueError(f"knob 'patch' must divide {_SIDE}, got {self.patch}")
        if self.d_model % self.heads:
            raise ValueError(f"knob 'heads' must divide d_model={self.d_model}, got {self.heads}")


def patches(x: jax.Array, patch: int) -> jax.Array:
    """Flat images ``[n, 64]`` to patches ``[n, (8 / patch) ** 2, patch ** 2]``, row-major.

    Example:
        >>> patches(jnp.arange(64.0)[None], 4)[0, 1, :4].tolist()
        [4.0, 5.0, 6.0, 7.0]
    """
    per_side = _SIDE // patch
    grid = x.reshape(-1, per_side, patch, per_side, patch).transpose(0, 1, 3, 2, 4)
    return grid.reshape(-1, per_side * per_side, patch * patch)


class DigitsViT(Task):
    """ViT with 4 patches of 4x4, d 32, 1 block, 2 heads on the digits; cross-entropy."""

    name = "digits_vit"
    Knobs = DigitsViTKnobs
    approx_ms = 420.0

    def problem(self) -> Problem:
        k = self.knobs
        tokens = (_SIDE // k.patch) ** 2

        def init(key: jax.Array) -> dict[str, Any]:
            k_embed, k_pos, k_blocks, k_head = jax.random.split(key, 4)
            return {
                "embed": nn.dense_init(k_embed, k.patch * k.patch, k.d_model),
                "pos": 0.1 * jax.random.normal(k_pos, (tokens, k.d_model)),
                "blocks": nn.transformer_init(k_blocks, k.d_model, k.layers),
                "ln": nn.layer_norm_init(k.d_model),
                "head": nn.dense_init(k_head, k.d_model, NUM_CLASSES),
            }

        def apply(params: dict[str, Any], x: jax.Array) -> jax.Array:
            h = nn.dense_apply(params["embed"], patches(x, k.patch)) + params["pos"]
            h = nn.transformer_apply(params["blocks"], h, k.heads, causal=False)
            pooled = nn.layer_norm(params["ln"], jnp.mean(h, 1))
            return nn.dense_apply(params["head"], pooled)

        return digits_problem(init, apply, k)
