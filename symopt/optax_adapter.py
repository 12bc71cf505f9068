"""A program as an ``optax.GradientTransformation``.

Example:
    >>> import jax.numpy as jnp, optax
    >>> from symopt.dsl import builtin
    >>> opt = to_optax(builtin("lion"), learning_rate=1.0)
    >>> params = {"w": jnp.ones(3)}
    >>> state = opt.init(params)
    >>> updates, state = opt.update({"w": jnp.array([1.0, -1.0, 0.0])}, state, params)
    >>> new_params = optax.apply_updates(params, updates)
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Union

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from symopt.dsl.analysis import validate
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer
from symopt.dsl.program import Program

__all__ = ["ProgramState", "to_optax"]

ScalarOrSchedule = Union[float, Callable[[jnp.ndarray], jnp.ndarray]]


class ProgramState(NamedTuple):
    """The optimizer state: the step count and one pytree per state slot."""

    count: jnp.ndarray
    slots: tuple[Any, ...]


def to_optax(program: Program, learning_rate: ScalarOrSchedule = 1.0) -> optax.GradientTransformation:
    """Wraps ``program`` as an optax optimizer.

    Args:
        program: a valid program. Its own constants set the step size and the
            weight decay, as in the paper; ``learning_rate`` is what it reads as
            ``lr``.
        learning_rate: a float, or an optax schedule of the step count (e.g. a
            cosine decay peaking at 1).

    Returns:
        A ``GradientTransformation``; its ``update`` needs ``params`` (the
        program reads the weights ``w``) and returns ``-update`` so that
        ``optax.apply_updates`` performs ``w = w - update``.

    Raises:
        InvalidProgram: if abstract execution rejects the program.
    """
    validate(program)

    def init(params: Any) -> ProgramState:
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return ProgramState(jnp.zeros([], jnp.int32), tuple(zeros for _ in program.state))

    def update(updates: Any, state: ProgramState, params: Any = None) -> tuple[Any, ProgramState]:
        if params is None:
            raise ValueError("a symopt program reads the weights: pass params to update()")
        g, unravel = ravel_pytree(updates)
        w, _ = ravel_pytree(params)
        slots = [ravel_pytree(s)[0] for s in state.slots]
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        step, new_slots = run_step(program, w, g, lr, slots, SegmentReducer.for_pytree(updates))
        return unravel(-step), ProgramState(
            optax.safe_increment(state.count), tuple(unravel(s) for s in new_slots)
        )

    return optax.GradientTransformation(init, update)
