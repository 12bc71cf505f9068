"""The verdict: which known optimizer family a program is, judged by what it does.

The program runs on random gradients and weights for a number of steps (learning-rate
input fixed at 1). Each family is then fitted to the updates it produced, and the
simplest family that explains them is the verdict. Because only the updates are
compared, any equivalent rewrite of a program gets the same family: renamed
variables, dead code, ``m / sqrt(m * m)`` for ``sign(m)``, split interpolations.

Families (``u`` the update, ``w`` the weights, ``g`` the gradient, ``a`` the
learning-rate scale, ``lam`` the decoupled weight decay):

* ``sgd``:      ``u = a (g + lam w)``
* ``momentum``: ``m = b m + g``;                      ``u = a (m + lam w)``
* ``signum``:   ``m = b m + (1-b) g``;                ``u = a (sign(m) + lam w)``
* ``lion``:     ``u = a (sign(b1 m + (1-b1) g) + lam w)``; then ``m = b2 m + (1-b2) g``, b1 != b2
* ``adam``:     ``m = b1 m + (1-b1) g``; ``v = b2 v + (1-b2) g^2``; ``u = a (m / (sqrt(v) + 1e-8) + lam w)``
* ``other``:    nothing above fits.

Example:
    >>> from symopt.dsl import builtin
    >>> v = classify(builtin("lion"))
    >>> v.family, round(v.beta1, 2), round(v.beta2, 2)
    ('lion', 0.9, 0.99)
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from symopt.dsl.analysis import validate
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer
from symopt.dsl.program import Program

__all__ = ["Verdict", "classify", "FAMILIES", "TOLERANCE"]

FAMILIES = ("sgd", "momentum", "signum", "lion", "adam", "other")

TOLERANCE = 0.05
"""A family explains a program when the relative RMS error of its fit is below this."""

# Betas tried: dense near 1, where optimizers live (1 - beta from 1e-4 to 1).
_BETAS = np.concatenate([[0.0], 1.0 - np.logspace(0, -4, 161)[1:]])
_SIZES = (40, 24)  # two parameter tensors
_STEPS = 120
_GRAD_NORM = 0.5


@dataclass(frozen=True)
class Verdict:
    """A program's family and the constants that make the family fit it.

    Attributes:
        family: one of :data:`FAMILIES`.
        beta1: the update's interpolation weight on the momentum (lion), or the
            momentum's decay (momentum, signum, adam); NaN where it has none.
        beta2: lion's momentum decay, or adam's second-moment decay; else NaN.
        lr_scale: the step size ``a`` when the learning-rate input is 1.
        weight_decay: ``lam`` (the effective decay per step is ``lr_scale * lam``).
        residual: relative RMS error of the fit (0 is exact).
        residuals: every family's best residual, for the curious.
    """

    family: str
    beta1: float
    beta2: float
    lr_scale: float
    weight_decay: float
    residual: float
    residuals: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)


_Fit = tuple[float, float, float, float, float]
"""A family's best fit: (beta1, beta2, lr_scale, weight_decay, residual)."""


@dataclass(frozen=True)
class _Trace:
    g: np.ndarray  # [T, N]
    w: np.ndarray  # [T, N] the weights each update was computed from
    u: np.ndarray  # [T, N]

    @functools.cached_property
    def momenta(self) -> np.ndarray:
        """``_ema(g, _BETAS)``, which the signum, lion and adam fits share: computed once."""
        return _ema(self.g, _BETAS)


def _trace(program: Program, seed: int) -> _Trace:
    rng = np.random.default_rng(seed)
    n = sum(_SIZES)
    reducer = SegmentReducer.for_sizes(_SIZES)
    step = jax.jit(lambda w, g, s: run_step(program, w, g, 1.0, s, reducer))
    w = rng.normal(size=n).astype(np.float32)
    state = tuple(jnp.zeros(n, jnp.float32) for _ in program.state)
    gs, ws, us = [], [], []
    for _ in range(_STEPS):
        # Random directions of one fixed norm: a gradient's scale then says nothing, so
        # clipping by a norm bound (program4's clip(g, lr)) acts the same on every step.
        g = rng.normal(size=n)
        g = (g * (_GRAD_NORM / np.linalg.norm(g))).astype(np.float32)
        u, state = step(w, g, state)
        u = np.asarray(u, np.float64)
        gs.append(g)
        ws.append(w.copy())
        us.append(u)
        w = (w - u).astype(np.float32)
    return _Trace(np.asarray(gs, np.float64), np.asarray(ws, np.float64), np.asarray(us))


def _ema(g: np.ndarray, betas: np.ndarray, heavy_ball: bool = False) -> np.ndarray:
    """Momenta for every beta: ``[B, T, N]``, the value AFTER each step's update."""
    b = betas[:, None]
    m = np.zeros((len(betas), g.shape[1]))
    out = np.empty((len(betas),) + g.shape)
    for t in range(g.shape[0]):
        m = b * m + (g[t] if heavy_ball else (1.0 - b) * g[t])
        out[:, t] = m
    return out


def _fit_linear(direction: np.ndarray, tr: _Trace) -> tuple[float, float, float]:
    """Least squares ``u = a * direction + c * w``; returns (a, lam = c/a, residual)."""
    x = np.stack([direction.ravel(), tr.w.ravel()], axis=1)
    y = tr.u.ravel()
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    norm = np.linalg.norm(y)
    res = float(np.linalg.norm(x @ coef - y) / norm) if norm > 0 else float("inf")
    a, c = float(coef[0]), float(coef[1])
    return a, (c / a if a != 0 else float("nan")), res


def _best(candidates: list[tuple[float, float, np.ndarray]], tr: _Trace) -> _Fit:
    """The (beta1, beta2) whose direction fits best: (b1, b2, a, lam, residual)."""
    best = (np.nan, np.nan, np.nan, np.nan, np.inf)
    for b1, b2, direction in candidates:
        a, lam, res = _fit_linear(direction, tr)
        if res < best[4]:
            best = (b1, b2, a, lam, res)
    return best


def _window(i: int, radius: int) -> range:
    """Indices into :data:`_BETAS` within ``radius`` of ``i``: the fine grid around a coarse best."""
    return range(max(0, i - radius), min(len(_BETAS), i + radius + 1))


def _previous(m: np.ndarray) -> np.ndarray:
    """The momentum BEFORE each step (zeros before the first)."""
    return np.concatenate([np.zeros_like(m[..., :1, :]), m[..., :-1, :]], axis=-2)


def _fit_sgd(tr: _Trace) -> _Fit:
    return _best([(np.nan, np.nan, tr.g)], tr)


def _fit_momentum(tr: _Trace) -> _Fit:
    ms = _ema(tr.g, _BETAS, heavy_ball=True)
    return _best([(b, np.nan, ms[i]) for i, b in enumerate(_BETAS)], tr)


def _fit_signum(tr: _Trace) -> _Fit:
    ms = tr.momenta
    return _best([(b, np.nan, np.sign(ms[i])) for i, b in enumerate(_BETAS)], tr)


def _fit_lion(tr: _Trace) -> _Fit:
    prev = _previous(tr.momenta)
    # Signs only: find the (b1, b2) pair whose signs agree most, then fit scale and decay.
    target = np.sign(tr.u - _decay_guess(tr))

    def agreement(i_range: range, j_range: range) -> np.ndarray:
        b = _BETAS[list(i_range)][:, None, None]
        out = np.empty((len(i_range), len(j_range)))
        for col, j in enumerate(j_range):
            mix = b * prev[j][None] + (1.0 - b) * tr.g[None]
            out[:, col] = np.mean(np.sign(mix) == target[None], axis=(1, 2))
        return out

    # A coarse grid first, then every pair near the best coarse one.
    coarse = range(0, len(_BETAS), 4)
    grid = agreement(coarse, coarse)
    ci, cj = np.unravel_index(int(np.argmax(grid)), grid.shape)
    i0, j0 = coarse[ci], coarse[cj]
    rows, cols = _window(i0, 6), _window(j0, 6)
    agree = agreement(rows, cols)
    top = np.argwhere(agree >= agree.max() - 1e-12)
    r, c = top[len(top) // 2]  # the middle of a tie, not its edge
    i, j = rows[r], cols[c]
    direction = np.sign(_BETAS[i] * prev[j] + (1.0 - _BETAS[i]) * tr.g)
    return _best([(float(_BETAS[i]), float(_BETAS[j]), direction)], tr)


def _decay_guess(tr: _Trace) -> np.ndarray:
    """The weight-decay part of the update, estimated so signs can be read off the rest."""
    # A sign update has |u - c w| constant; regress |u| on nothing fancier than w's part.
    x = tr.w.ravel()
    c = float(np.dot(x, tr.u.ravel()) / max(np.dot(x, x), 1e-30))
    return c * tr.w


def _fit_adam(tr: _Trace) -> _Fit:
    ms = tr.momenta
    vs = _ema(tr.g * tr.g, _BETAS)
    # Coarse grid first, then every beta pair near the best coarse one.
    coarse = range(0, len(_BETAS), 8)
    cands = [(i, j) for i in coarse for j in coarse]

    def score(pairs):
        return _best(
            [(_BETAS[i], _BETAS[j], ms[i] / (np.sqrt(vs[j]) + 1e-8)) for i, j in pairs], tr
        )

    b1, b2, *_ = score(cands)
    i0, j0 = int(np.argmin(np.abs(_BETAS - b1))), int(np.argmin(np.abs(_BETAS - b2)))
    near = [(i, j) for i in _window(i0, 8) for j in _window(j0, 8)]
    return score(near)


_FITTERS: dict[str, Callable[[_Trace], _Fit]] = {
    "sgd": _fit_sgd,
    "momentum": _fit_momentum,
    "signum": _fit_signum,
    "lion": _fit_lion,
    "adam": _fit_adam,
}


def classify(program: Program, seed: int = 0, tolerance: float = TOLERANCE) -> Verdict:
    """Names the family of ``program`` from its updates on random inputs.

    Families are tried from the simplest; the first whose fit is within
    ``tolerance`` wins. Lion with ``beta1 == beta2`` is signum, which is tried first.

    Raises:
        InvalidProgram: if abstract execution rejects the program.
    """
    validate(program)
    tr = _trace(program, seed)
    fits = {name: fit(tr) for name, fit in _FITTERS.items()}
    residuals = {name: float(f[4]) for name, f in fits.items()}
    for name in ("sgd", "momentum", "signum", "lion", "adam"):
        b1, b2, a, lam, res = fits[name]
        if res <= tolerance:
            if name == "lion" and np.isclose(b1, b2, rtol=0, atol=1e-3):
                continue  # one beta: that is signum, which did not fit
            return Verdict(name, float(b1), float(b2), float(a), float(lam), float(res), residuals)
    return Verdict("other", np.nan, np.nan, np.nan, np.nan, float(min(residuals.values())), residuals)
