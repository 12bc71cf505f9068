"""The functional fingerprint: what a program does to fixed probe gradients, rounded and hashed.

:func:`~symopt.dsl.program_hash` sees the program's dataflow: renaming, dead
code and the order of commutative arguments do not change it, but ``g * 2`` and
``g + g`` differ. The fingerprint looks at outputs instead: the program is run
:attr:`~symopt.config.FingerprintConfig.steps` steps on fixed probe inputs
(weights, gradients and a learning rate per step, drawn once from
:data:`PROBE_SEED`), and its updates, rounded to
:attr:`~symopt.config.FingerprintConfig.digits` significant digits, are hashed.
Programs with equal fingerprints share a fitness in a search that turns it on
(``search.fingerprint``); it is a heuristic, whose false hits
``benchmarks/fingerprint_hits.py`` measures (``docs/throughput.md``).

The probes, chosen to separate what training separates:

* a flat vector of :data:`SEGMENTS` parameter tensors (a one-entry tensor among
  them), so ``norm``, ``global_norm``, ``dot`` and ``cosine_sim`` see tensors of
  different sizes;
* gradients of magnitude ``10**U(-6, 2)`` with random signs, so thresholds
  (``clip``, ``maximum`` with a constant, ``arccosh``'s at 1) and ``eps`` terms
  are exercised at the scales training reaches (a narrower ``10**U(-4, 1)``
  let ``arccosh(m)``, zero on every probe, pass for a no-op, and its twins
  scored 8.8 above it: ``docs/throughput.md``); weights of magnitude ``10**U(-3, 1)``;
* a different learning rate each step (``10**U(-4, -1)``), so ``lr * g`` and
  ``0.01 * g`` differ;
* the state carried from step to step, so momentum and its constants show.

Only the update is read (the state is internal: programs that keep it
differently but update alike are alike). Besides the updates, the key holds
what the fitness reads from the program's text (``proxy_tasks.fitness``): its
live state slots (the slot cost), whether the update reads the gradient (else
the fitness fails it), and, when the fitness scales weight decay
(``decay_multipliers``) and the program has a ``x = w * C`` statement, the
updates of each scaled program.

Rounding: float32 noise is ~1e-7 relative, so ``digits`` of 4 (the default)
lets sums taken in another order agree except when a value sits within noise
of a rounding boundary (then the two programs simply miss each other), while
constants that differ by more than ~1e-4 relative still separate. Programs
that do the same operations in another order of commutative arguments give
bit-equal outputs and never split. Non-finite values hash as the tokens
``nan``, ``inf``, ``-inf``; ``-0.0`` as ``0``.

Example:
    >>> from symopt.config import FingerprintConfig
    >>> from symopt.dsl import parse
    >>> on = FingerprintConfig(enabled=True)
    >>> twice = parse("def train(w, g, m, v, lr):\\n  update = g * 2.0\\n  return update, m, v\\n")
    >>> summed = parse("def train(w, g, m, v, lr):\\n  update = g + g\\n  return update, m, v\\n")
    >>> fingerprint(twice, on) == fingerprint(summed, on)
    True
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from symopt.config import FingerprintConfig
from symopt.dsl import InvalidProgram, Program, depends_on_gradient, live_slots
from symopt.dsl.encode import EncodedProgram, Layout, encode, make_step
from symopt.dsl.flat import SegmentReducer
from symopt.proxy_tasks.evaluate import prepare
from symopt.proxy_tasks.fitness import decay_constants, scale_decay

__all__ = ["PROBE_SEED", "SEGMENTS", "Probes", "fingerprint", "fingerprint_if_on", "probe_updates", "probes"]

PROBE_SEED = 20230213
"""Seeds the probe inputs (any fixed number: the fingerprints of one run must agree)."""

SEGMENTS: tuple[int, ...] = (1, 3, 4, 8)
"""Sizes of the probe's parameter tensors (16 entries in all)."""

_LAYOUT = Layout()  # the trainers' layout: every program a search trains fits it


@dataclass(frozen=True, eq=False)
class Probes:
    """The fixed inputs of every step.

    Attributes:
        w: float32 ``[steps, n]`` weights.
        g: float32 ``[steps, n]`` gradients.
        lr: float32 ``[steps]`` learning rates.
    """

    w: np.ndarray
    g: np.ndarray
    lr: np.ndarray


@functools.lru_cache(maxsize=8)
def probes(steps: int) -> Probes:
    """The probe inputs for ``steps`` steps, drawn from :data:`PROBE_SEED`.

    Example:
        >>> p = probes(3)
        >>> p.g.shape, p.lr.shape, bool(np.all(probes(3).g == p.g))
        ((3, 16), (3,), True)
    """
    rng = np.random.default_rng(PROBE_SEED)
    n = sum(SEGMENTS)

    def signed(low: float, high: float) -> np.ndarray:
        return rng.choice([-1.0, 1.0], size=(steps, n)) * 10.0 ** rng.uniform(low, high, size=(steps, n))

    g, w = signed(-6.0, 2.0), signed(-3.0, 1.0)
    lr = 10.0 ** rng.uniform(-4.0, -1.0, size=steps)
    return Probes(w.astype(np.float32), g.astype(np.float32), lr.astype(np.float32))


@functools.lru_cache(maxsize=8)
def _runner(steps: int) -> Callable[[EncodedProgram], jax.Array]:
    """One jitted function running any encoded program on the probes: compiled once per ``steps``."""
    p = probes(steps)
    n = sum(SEGMENTS)
    step = make_step(_LAYOUT, SegmentReducer.for_sizes(SEGMENTS), n)
    inputs = (jnp.asarray(p.w), jnp.asarray(p.g), jnp.asarray(p.lr))

    def run(enc: EncodedProgram) -> jax.Array:
        def body(regs: jax.Array, x: tuple[jax.Array, jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
            update, regs = step(enc, *x, regs)
            return regs, update

        regs = jnp.zeros((_LAYOUT.num_registers, n), jnp.float32)
        return jax.lax.scan(body, regs, inputs)[1]

    return jax.jit(run)


def probe_updates(program: Program, steps: int) -> np.ndarray:
    """The updates ``[steps, n]`` of ``program`` (as trained: reduced, dead slots dropped) on the probes.

    Raises:
        InvalidProgram: an invalid program, or one too long for the trainers' layout.

    Example:
        >>> from symopt.dsl import parse
        >>> sgd = parse("def train(w, g, m, v, lr):\\n  update = g * lr\\n  return update, m, v\\n")
        >>> u = probe_updates(sgd, 2)
        >>> bool(np.allclose(u, probes(2).lr[:, None] * probes(2).g))
        True
    """
    return np.asarray(_runner(steps)(encode(prepare(program), _LAYOUT)))


def _token(value: float, digits: int) -> str:
    """One update entry as text: ``digits`` significant digits; non-finite values and zero as words."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return "0" if value == 0.0 else f"{value:.{digits - 1}e}"  # -0.0 == 0.0: zero has no sign


def _tokens(updates: np.ndarray, digits: int) -> str:
    return ",".join(_token(v, digits) for v in updates.ravel().tolist())


def fingerprint(program: Program, config: FingerprintConfig, decay_multipliers: Sequence[float] = (1.0,)) -> str:
    """The program's functional fingerprint: 16 hex characters of a sha256 digest.

    Args:
        program: a valid program.
        config: the number of probe steps and significant digits.
        decay_multipliers: the fitness's factors on weight decay (``fitness.decay_multipliers``).

    Raises:
        InvalidProgram: an invalid program, or one too long for the trainers' layout.

    Example:
        >>> from symopt.dsl import builtin
        >>> on = FingerprintConfig(enabled=True)
        >>> fingerprint(builtin("adamw"), on) == fingerprint(builtin("lion"), on)
        False
    """
    factors = tuple(decay_multipliers) if decay_constants(program) else (1.0,)
    parts = [f"slots={len(live_slots(program))}", f"grad={int(depends_on_gradient(program))}"]
    for factor in factors:
        scaled = program if factor == 1.0 else scale_decay(program, factor)
        parts.append(f"decay*{factor!r}:" + _tokens(probe_updates(scaled, config.steps), config.digits))
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]


def fingerprint_if_on(
    program: Program, config: FingerprintConfig, decay_multipliers: Sequence[float] = (1.0,)
) -> str | None:
    """:func:`fingerprint` when ``config.enabled``; ``None`` when off, or for a program the
    trainers' layout cannot hold (it is trained, and fails, as without fingerprints).

    Example:
        >>> from symopt.dsl import builtin
        >>> fingerprint_if_on(builtin("adamw"), FingerprintConfig()) is None
        True
    """
    if not config.enabled:
        return None
    try:
        return fingerprint(program, config, decay_multipliers)
    except InvalidProgram:
        return None
