"""The direct executor: one step of a program on flat vectors, traced statement by statement.

Tracing unrolls the program, so each distinct program compiles on its own. That
is right for a program a user trains with (:func:`symopt.to_optax`); the search
uses :mod:`symopt.dsl.encode` instead, which takes programs as data.

Example:
    >>> import jax.numpy as jnp
    >>> from symopt.dsl.program import Program, Statement, Var
    >>> from symopt.dsl.flat import SegmentReducer
    >>> p = Program((Statement("update", "sign", (Var("g"),)),), state=())
    >>> upd, _ = run_step(p, jnp.zeros(2), jnp.array([-3.0, 2.0]), 1.0, (), SegmentReducer.for_sizes([2]))
    >>> upd.tolist()
    [-1.0, 1.0]
"""

from __future__ import annotations

from typing import Sequence

import jax.numpy as jnp

from symopt.dsl.functions import FUNCTIONS, Reducer
from symopt.dsl.program import Const, Program

__all__ = ["run_step"]


def run_step(
    program: Program,
    w: jnp.ndarray,
    g: jnp.ndarray,
    lr: jnp.ndarray | float,
    state: Sequence[jnp.ndarray],
    reducer: Reducer,
) -> tuple[jnp.ndarray, tuple[jnp.ndarray, ...]]:
    """Runs one step of ``program``.

    Args:
        program: a valid program (see :func:`symopt.dsl.analysis.validate`).
        w: weights, a flat vector ``[N]``.
        g: gradient, ``[N]``.
        lr: the schedule's value this step (a scalar).
        state: one ``[N]`` vector per state slot, in ``program.state`` order.
        reducer: sums over parameter tensors (:class:`symopt.dsl.flat.SegmentReducer`).

    Returns:
        ``(update, new_state)``; the caller applies ``w - update``.
    """
    dtype = jnp.result_type(g)
    env: dict[str, jnp.ndarray] = {"w": w, "g": g, "lr": jnp.asarray(lr, dtype)}
    env.update(zip(program.state, state))
    for st in program.statements:
        args = [
            jnp.asarray(a.value, dtype) if isinstance(a, Const) else env[a.name] for a in st.args
        ]
        env[st.target] = jnp.asarray(FUNCTIONS[st.fn].impl(reducer, *args), dtype)
    shape = jnp.shape(g)
    update = jnp.broadcast_to(env[program.output], shape)
    new_state = tuple(jnp.broadcast_to(env[s], shape) for s in program.state)
    return update, new_state
