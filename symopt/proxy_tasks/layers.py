"""Plain-JAX model pieces for the proxy tasks: dense layers, MLPs, a transformer.

Parameters are nested dicts and lists of float32 arrays, so they ravel into one
flat vector, and every tensor (a weight matrix, a bias, a layer-norm gain) is
its own segment for the programs' per-tensor functions (``norm``).

Example:
    >>> import jax
    >>> params = mlp_init(jax.random.key(0), (4, 8, 2))
    >>> mlp_apply(params, jax.numpy.ones((5, 4))).shape
    (5, 2)
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp

__all__ = [
    "dense_init",
    "dense_apply",
    "mlp_init",
    "mlp_apply",
    "layer_norm_init",
    "layer_norm",
    "transformer_init",
    "transformer_apply",
    "cross_entropy",
]

Params = dict[str, Any]


def dense_init(key: jax.Array, fan_in: int, fan_out: int, gain: float = 1.0) -> Params:
    """A dense layer: weights ~ N(0, gain / fan_in) (LeCun normal), zero bias."""
    scale = (gain / fan_in) ** 0.5
    return {"W": scale * jax.random.normal(key, (fan_in, fan_out)), "b": jnp.zeros(fan_out)}


def dense_apply(params: Params, x: jax.Array) -> jax.Array:
    return x @ params["W"] + params["b"]


def mlp_init(key: jax.Array, sizes: Sequence[int], hidden_gain: float = 1.0) -> list[Params]:
    """An MLP with layer widths ``sizes`` (input first, output last).

    Args:
        key: the PRNG key.
        sizes: layer widths.
        hidden_gain: the variance gain of every layer but the last: 1 is LeCun
            normal, 2 is He normal (the output layer stays LeCun).

    Example:
        >>> [p["W"].shape for p in mlp_init(jax.random.key(0), (64, 32, 10))]
        [(64, 32), (32, 10)]
    """
    keys = jax.random.split(key, len(sizes) - 1)
    last = len(sizes) - 2
    return [
        dense_init(k, a, b, gain=1.0 if i == last else hidden_gain)
        for i, (k, a, b) in enumerate(zip(keys, sizes[:-1], sizes[1:]))
    ]


def mlp_apply(params: list[Params], x: jax.Array) -> jax.Array:
    """ReLU between layers, none after the last."""
    for layer in params[:-1]:
        x = jax.nn.relu(dense_apply(layer, x))
    return dense_apply(params[-1], x)


def layer_norm_init(d: int) -> Params:
    return {"scale": jnp.ones(d), "bias": jnp.zeros(d)}


def layer_norm(params: Params, x: jax.Array) -> jax.Array:
    mean = jnp.mean(x, -1, keepdims=True)
    var = jnp.var(x, -1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) * params["scale"] + params["bias"]


def transformer_init(key: jax.Array, d: int, layers: int, mlp_ratio: int = 4) -> list[Params]:
    """Pre-norm transformer blocks: attention (fused q, k, v) then a ReLU MLP.

    Example:
        >>> blocks = transformer_init(jax.random.key(0), 8, 2)
        >>> len(blocks), blocks[0]["qkv"]["W"].shape
        (2, (8, 24))
    """
    blocks = []
    for k in jax.random.split(key, layers):
        k_qkv, k_out, k_up, k_down = jax.random.split(k, 4)
        blocks.append(
            {
                "ln1": layer_norm_init(d),
                "qkv": dense_init(k_qkv, d, 3 * d),
                "out": dense_init(k_out, d, d),
                "ln2": layer_norm_init(d),
                "up": dense_init(k_up, d, mlp_ratio * d, gain=2.0),
                "down": dense_init(k_down, mlp_ratio * d, d),
            }
        )
    return blocks


def _attention(params: Params, x: jax.Array, heads: int, causal: bool) -> jax.Array:
    batch, length, d = x.shape
    q, k, v = jnp.split(dense_apply(params["qkv"], x), 3, axis=-1)
    q, k, v = (t.reshape(batch, length, heads, d // heads) for t in (q, k, v))
    logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) / (d // heads) ** 0.5
    if causal:
        mask = jnp.tril(jnp.ones((length, length), bool))
        logits = jnp.where(mask, logits, -1e9)
    mixed = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(logits, -1), v)
    return dense_apply(params["out"], mixed.reshape(batch, length, d))


def transformer_apply(blocks: list[Params], x: jax.Array, heads: int, causal: bool) -> jax.Array:
    """Runs the blocks on ``x [batch, length, d]``; ``causal`` masks the future."""
    for p in blocks:
        x = x + _attention(p, layer_norm(p["ln1"], x), heads, causal)
        hidden = jax.nn.relu(dense_apply(p["up"], layer_norm(p["ln2"], x)))
        x = x + dense_apply(p["down"], hidden)
    return x


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean cross-entropy (nats) of integer ``labels`` under ``logits [..., classes]``.

    Example:
        >>> round(float(cross_entropy(jnp.zeros((1, 4)), jnp.array([2]))), 4)
        1.3863
    """
    logp = jax.nn.log_softmax(logits, -1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[..., None], -1))
