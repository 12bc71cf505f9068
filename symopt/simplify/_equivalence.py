"""The numeric equivalence check: do two programs give the same updates on random inputs?

Simplification accepts a rewrite only when :func:`equivalent` finds that it
produces the same updates as the program before it, step after step, on random
weights, gradients and learning rates over two parameter tensors. A wrong
pattern therefore costs a refused candidate, never a wrong program.

Example:
    >>> from symopt.dsl import parse
    >>> ratio = parse("def train(w, g, lr):\\n    a = abs(g)\\n    update = g / a\\n    return update\\n")
    >>> sign = parse("def train(w, g, lr):\\n    update = sign(g)\\n    return update\\n")
    >>> equivalent(ratio, sign)
    True
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Sequence

import jax.numpy as jnp
import numpy as np

from symopt.dsl import Program, is_valid
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer

__all__ = ["CHECK_ATOL", "CHECK_DRAWS", "CHECK_RTOL", "CHECK_SIZES", "CHECK_STEPS", "equivalent"]

CHECK_STEPS = 8
"""Steps :func:`equivalent` runs; enough for state to carry a difference into the update."""

CHECK_SIZES = (200, 56)
"""Parameter tensor sizes of the check: two, so per-tensor and global functions differ."""

CHECK_RTOL = 1e-4
CHECK_ATOL = 1e-7
"""How closely each step's updates must agree, as vectors: ``|ua - ub| <= atol * sqrt(N)
+ rtol * max(|ua|, |ub|)`` in the 2-norm. Tight, yet above float32 reassociation error
(merged interps cancel ``1.109 * 0.101 - 0.109``). One entry that really differs moves
the norm by about ``1 / sqrt(N)``, far above ``rtol``."""

CHECK_DRAWS = 5
"""Random draws a rewrite gets to pass on, per kind of start. Protected division adds
``1e-8``, so ``x / abs(x)`` is ``sign(x)`` only up to ``1e-8 / |x|``: where an entry of
``x`` nearly cancels, that entry differs by more than ``rtol`` (in a fifth of the
zero-start draws for Program 4, whose clipped gradient keeps ``x`` small). A rewrite
that is really different fails every draw; an equivalent one almost never fails five."""


@dataclass(frozen=True)
class _Inputs:
    w: np.ndarray  # [T, N]
    g: np.ndarray  # [T, N]
    lr: np.ndarray  # [T]
    key: tuple[int, ...]  # seeds each slot's random starting value, by the slot's name


def _random_inputs(key: tuple[int, ...], steps: int, sizes: Sequence[int]) -> _Inputs:
    """Weights, gradients and learning rates drawn from ``key``; it also seeds the slots."""
    rng = np.random.default_rng(key)
    n = sum(sizes)
    # Fresh weights each step: the programs are compared as functions of their input
    # sequences, so neither program's update feeds the other's next input.
    w = rng.normal(size=(steps, n))
    g = rng.normal(size=(steps, n))
    lr = rng.uniform(0.5, 2.0, size=steps)
    return _Inputs(w.astype(np.float32), g.astype(np.float32), lr.astype(np.float32), key)


def _start(program: Program, inputs: _Inputs, from_zero: bool) -> tuple[jnp.ndarray, ...]:
    """Each slot's starting value: zero, or random and the same for a slot of the same name."""
    n = inputs.g.shape[1]
    if from_zero:
        return tuple(jnp.zeros(n, jnp.float32) for _ in program.state)
    rngs = [np.random.default_rng([*inputs.key, zlib.crc32(slot.encode())]) for slot in program.state]
    return tuple(jnp.asarray(rng.normal(size=n), jnp.float32) for rng in rngs)


def _updates(program: Program, inputs: _Inputs, reducer: SegmentReducer, from_zero: bool) -> np.ndarray:
    """The program's update at every step."""
    state = _start(program, inputs, from_zero)
    out = []
    for w, g, lr in zip(inputs.w, inputs.g, inputs.lr):
        update, state = run_step(program, w, g, lr, state, reducer)
        out.append(np.asarray(update))
    return np.stack(out)


def equivalent(
    a: Program,
    b: Program,
    *,
    from_zero: bool = False,
    seed: int = 0,
    steps: int = CHECK_STEPS,
    sizes: Sequence[int] = CHECK_SIZES,
    draws: int = CHECK_DRAWS,
    rtol: float = CHECK_RTOL,
    atol: float = CHECK_ATOL,
) -> bool:
    """Whether two valid programs give the same updates on random inputs, step after step.

    Both see the same weights, gradients and learning rates over ``sizes``
    parameter tensors, for ``steps`` steps, and must agree twice: with every
    state slot starting at zero, as in training, and starting at random values
    (the same for slots of the same name), since a slow state (``beta = 0.997``)
    barely moves from zero in a few steps, which would hide how it is updated.
    ``from_zero`` keeps only the first, for rewrites that are right only there.
    Only updates are compared, so the programs may declare different state
    slots. Each step's updates must agree as vectors (see :data:`CHECK_RTOL`;
    NaN matches NaN) on at least one of ``draws`` draws from ``seed`` per start
    (see :data:`CHECK_DRAWS`).

    Example:
        >>> from symopt.dsl import parse
        >>> ratio = parse("def train(w, g, lr):\\n    a = abs(g)\\n    update = g / a\\n    return update\\n")
        >>> sign = parse("def train(w, g, lr):\\n    update = sign(g)\\n    return update\\n")
        >>> wrong = parse("def train(w, g, lr):\\n    a = abs(w)\\n    update = g / a\\n    return update\\n")
        >>> equivalent(ratio, sign), equivalent(wrong, sign)
        (True, False)
    """
    if not (is_valid(a) and is_valid(b)):
        return False
    reducer = SegmentReducer.for_sizes(sizes)

    def agree(zero: bool, draw: int) -> bool:
        inputs = _random_inputs((seed, zero, draw), steps, sizes)
        ua, ub = _updates(a, inputs, reducer, zero), _updates(b, inputs, reducer, zero)
        return all(_close(a_t, b_t, rtol, atol) for a_t, b_t in zip(ua, ub))

    starts = (True,) if from_zero else (True, False)
    return all(any(agree(zero, draw) for draw in range(draws)) for zero in starts)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """One step's updates agree in the 2-norm; non-finite entries must match exactly."""
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.all(finite | (a == b) | (np.isnan(a) & np.isnan(b))):
        return False
    a, b = np.where(finite, a, 0.0), np.where(finite, b, 0.0)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return bool(np.linalg.norm(a - b) <= atol * math.sqrt(a.size) + rtol * scale)
