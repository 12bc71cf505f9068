"""symopt.to_optax against independent oracles: optax's own optimizers and NumPy."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import symopt
from symopt.dsl import builtin, parse

STEPS = 100


def _random_params(seed: int) -> dict:
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
    return {
        "dense": {"kernel": jax.random.normal(k1, (5, 3)), "bias": jax.random.normal(k2, (3,))},
        "scale": jax.random.normal(k3, (4,)),
    }


def _gradients(seed: int, params: dict) -> list:
    """A fixed sequence of random gradients shaped like the parameters."""
    leaves, treedef = jax.tree_util.tree_flatten(params)
    out = []
    for t in range(STEPS):
        keys = jax.random.split(jax.random.PRNGKey(1000 * seed + t), len(leaves))
        out.append(treedef.unflatten([jax.random.normal(k, x.shape) for k, x in zip(keys, leaves)]))
    return out


def _trajectory(opt: optax.GradientTransformation, seed: int) -> list:
    params = _random_params(seed)
    state = opt.init(params)
    update = jax.jit(opt.update)
    history = []
    for g in _gradients(seed, params):
        updates, state = update(g, state, params)
        params = optax.apply_updates(params, updates)
        history.append(params)
    return history


def _max_diff(a: list, b: list) -> float:
    diffs = jax.tree_util.tree_map(lambda x, y: float(jnp.max(jnp.abs(x - y))), a, b)
    return max(jax.tree_util.tree_leaves(diffs))


ORACLES = {
    # Built-in constants: lion lr 3e-4, wd 0.1; momentum lr 1e-2, wd 1e-4; sgd lr 0.1, wd 1e-4.
    "lion": optax.lion(learning_rate=3e-4, b1=0.9, b2=0.99, weight_decay=0.1),
    "momentum": optax.chain(
        optax.trace(decay=0.9), optax.add_decayed_weights(1e-4), optax.scale(-1e-2)
    ),
    "sgd": optax.chain(optax.add_decayed_weights(1e-4), optax.sgd(learning_rate=0.1)),
}


@pytest.mark.parametrize("name", sorted(ORACLES))
@pytest.mark.parametrize("seed", [0, 1])
def test_builtin_follows_optax(name: str, seed: int) -> None:
    ours = _trajectory(symopt.to_optax(builtin(name), learning_rate=1.0), seed)
    theirs = _trajectory(ORACLES[name], seed)
    assert _max_diff(ours, theirs) < 1e-6


def _numpy_adamw(params: dict, grads: list) -> list:
    """The AdamW seed of the paper written out in NumPy: no bias correction, no epsilon
    except the 1e-8 that the DSL's protected division adds, wd 0.01, lr 0.001."""
    p = jax.tree_util.tree_map(np.asarray, params)
    m = jax.tree_util.tree_map(np.zeros_like, p)
    v = jax.tree_util.tree_map(np.zeros_like, p)
    out = []
    for g in grads:
        g = jax.tree_util.tree_map(np.asarray, g)
        m = jax.tree_util.tree_map(lambda m_, g_: 0.1 * g_ + 0.9 * m_, m, g)
        v = jax.tree_util.tree_map(lambda v_, g_: 0.001 * g_ * g_ + 0.999 * v_, v, g)
        step = jax.tree_util.tree_map(
            lambda w_, m_, v_: (m_ / (np.sqrt(v_) + 1e-8) + 0.01 * w_) * 0.001, p, m, v
        )
        p = jax.tree_util.tree_map(lambda w_, s_: w_ - s_, p, step)
        out.append(p)
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_adamw_follows_numpy(seed: int) -> None:
    params = _random_params(seed)
    ours = _trajectory(symopt.to_optax(builtin("adamw"), learning_rate=1.0), seed)
    theirs = _numpy_adamw(params, _gradients(seed, params))
    assert _max_diff(ours, theirs) < 1e-5


def test_schedule_is_the_lr_input() -> None:
    """A schedule feeds the program's lr: lion under a schedule = optax.lion under the scaled one."""
    schedule = optax.cosine_decay_schedule(1.0, decay_steps=STEPS)
    ours = _trajectory(symopt.to_optax(builtin("lion"), learning_rate=schedule), 0)
    scaled = optax.cosine_decay_schedule(3e-4, decay_steps=STEPS)
    theirs = _trajectory(optax.lion(scaled, b1=0.9, b2=0.99, weight_decay=0.1), 0)
    assert _max_diff(ours, theirs) < 1e-6


def test_per_tensor_norm_uses_each_parameter_tensor() -> None:
    program = parse(
        "def train(w, g, lr):\n"
        "    n = norm(g)\n"
        "    update = g / n\n"
        "    return update\n"
    )
    params = _random_params(0)
    grads = _gradients(0, params)[0]
    updates, _ = symopt.to_optax(program).update(grads, symopt.to_optax(program).init(params), params)
    for u, g in zip(jax.tree_util.tree_leaves(updates), jax.tree_util.tree_leaves(grads)):
        np.testing.assert_allclose(-u, g / (np.linalg.norm(g) + 1e-8), rtol=1e-5, atol=1e-6)


def test_update_needs_params() -> None:
    opt = symopt.to_optax(builtin("sgd"))
    params = _random_params(0)
    with pytest.raises(ValueError, match="params"):
        opt.update(params, opt.init(params))
