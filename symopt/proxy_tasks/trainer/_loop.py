"""The training loop of one run, and of many runs of one optimizer, as traceable functions.

:func:`make_train_fn` turns a :class:`~symopt.proxy_tasks.trainer.Problem` and an
optimizer step into ``train(opt, seed, lr_mult, data, batches)``: the parameters
are raveled into one flat vector, and step ``t`` trains on the batch
``sample(fold_in(batch_key, t))``, takes the gradient and applies
``w = w - update``. The batches are either given, drawn up front for the seed
(:func:`make_sampler`, once per process and seed: the same for every program),
or drawn in the loop (``batches=None``, the earlier path); both give the same
batches bit for bit. :func:`make_batch_train_fn` trains many runs of one
optimizer in one loop: seeds, multipliers and same-shaped data, batched.

Example:
    >>> import jax, jax.numpy as jnp
    >>> from symopt.proxy_tasks.trainer import Problem
    >>> p = Problem(init=lambda key: {"x": jnp.ones(2)},
    ...     loss=lambda params, data, batch: jnp.sum((params["x"] - batch) ** 2),
    ...     evaluate=lambda params, data: (jnp.sum(params["x"] ** 2), {}),
    ...     data=(), steps=3, sample=lambda key: jax.random.normal(key, (2,)))
    >>> make_sampler(p)(jnp.array([0, 1], jnp.uint32)).shape
    (2, 3, 2)
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from symopt.proxy_tasks.trainer._problem import (
    BAD_LOSS,
    BAD_WEIGHTS,
    FINITE,
    Batch,
    Problem,
    schedule,
    warmup_steps,
)

__all__ = ["StepFn", "Outputs", "make_train_fn", "make_batch_train_fn", "make_sampler"]

StepFn = Callable[[Any, jax.Array, jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array]]
"""``step(opt, w, g, lr, state[rows, n]) -> (update, new_state)``, as made by ``make_step``
(whose state is the whole register file, slots included)."""

Outputs = dict[str, Any]
"""What a ``train`` function returns: ``metric``, ``train_loss``, ``extra``, ``bad``, ``stopped_at``."""


class _Carry(NamedTuple):
    step: jax.Array
    w: jax.Array
    state: jax.Array
    bad: jax.Array
    tail_loss: jax.Array


class _Loop(NamedTuple):
    """One run's training loop in pieces, shared by the one-run and the batched drivers."""

    start: Callable[[jax.Array], tuple[jax.Array, _Carry]]  # seed -> (batch key, carry)
    advance: Callable[[Any, Any, jax.Array, Any, _Carry], _Carry]  # one step; batches or the batch key
    finish: Callable[[_Carry, Any], Outputs]


def _keys(seed: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(init key, batch key)`` of a seed."""
    init_key, batch_key = jax.random.split(jax.random.key(seed))
    return init_key, batch_key


def make_sampler(problem: Problem) -> Callable[[jax.Array], Batch]:
    """Builds ``draw(seeds[S]) -> batches`` with leaves ``[S, steps, ...]``: every batch
    the runs from ``seeds`` train on, as the loop would draw them (traceable; jit it)."""

    def one(seed: jax.Array) -> Batch:
        _, batch_key = _keys(seed)
        steps = jnp.arange(problem.steps, dtype=jnp.int32)
        return jax.vmap(lambda t: problem.sample(jax.random.fold_in(batch_key, t)))(steps)

    return jax.vmap(one)


def _loop(problem: Problem, step_fn: StepFn, state_rows: int, ahead: bool) -> _Loop:
    """The pieces of one run; call it while tracing (it traces the init once for its layout).

    With ``ahead``, ``advance`` reads step ``t``'s batch from the run's
    ``batches[steps, ...]``; otherwise it draws it from the batch key.
    """
    steps = problem.steps
    warm = warmup_steps(steps, problem.warmup)
    tail_start = steps - max(1, steps // 10)
    _, unravel = ravel_pytree(problem.init(jax.random.key(0)))

    def start(seed: jax.Array) -> tuple[jax.Array, _Carry]:
        init_key, batch_key = _keys(seed)
        w0, _ = ravel_pytree(problem.init(init_key))
        state = jnp.zeros((state_rows, w0.size), w0.dtype)
        return batch_key, _Carry(jnp.int32(0), w0, state, jnp.int32(FINITE), jnp.float32(0.0))

    def batch_at(source: Any, step: jax.Array) -> Batch:
        if ahead:
            return jax.tree_util.tree_map(lambda b: jax.lax.dynamic_index_in_dim(b, step, keepdims=False), source)
        return problem.sample(jax.random.fold_in(source, step))

    def advance(opt: Any, source: Any, lr_mult: jax.Array, data: Any, c: _Carry) -> _Carry:
        batch = batch_at(source, c.step)
        loss, g = jax.value_and_grad(lambda w: problem.loss(unravel(w), data, batch))(c.w)
        lr = lr_mult * schedule(c.step, steps, warm)
        update, state = step_fn(opt, c.w, g, lr, c.state)
        w = c.w - update
        bad = jnp.where(
            jnp.isfinite(loss),
            jnp.where(jnp.all(jnp.isfinite(w)), FINITE, BAD_WEIGHTS),
            BAD_LOSS,
        )
        tail = c.tail_loss + jnp.where(c.step >= tail_start, loss, 0.0)
        return _Carry(c.step + 1, w, state, bad, tail)

    def finish(end: _Carry, data: Any) -> Outputs:
        metric, extra = problem.evaluate(unravel(end.w), data)
        return {
            "metric": metric,
            "train_loss": end.tail_loss / (steps - tail_start),
            "extra": dict(extra),
            "bad": end.bad,
            # The loop counted the failing step before stopping.
            "stopped_at": jnp.where(end.bad == FINITE, end.step, end.step - 1),
        }

    return _Loop(start, advance, finish)


def make_train_fn(
    problem: Problem, step_fn: StepFn, state_rows: int
) -> Callable[..., Outputs]:
    """Builds ``train(opt, seed, lr_mult, data, batches=None) -> outputs`` (traceable; jit it).

    Args:
        problem: what to train.
        step_fn: the optimizer step; ``opt`` is passed to it unchanged (an
            :class:`EncodedProgram` for the compile-once path).
        state_rows: rows of the optimizer state (``[state_rows, n]``), which starts at zero.

    Returns:
        A function returning a dict of ``metric``, ``train_loss``, ``extra``,
        ``bad`` and ``stopped_at`` (see :class:`TrainOutput`). Its ``batches``
        are the seed's (leaves ``[steps, ...]``, one row of
        :func:`make_sampler`'s); ``None`` draws them in the loop instead.
    """

    def train(opt: Any, seed: jax.Array, lr_mult: jax.Array, data: Any, batches: Batch | None = None) -> Outputs:
        loop = _loop(problem, step_fn, state_rows, ahead=batches is not None)
        batch_key, start = loop.start(seed)
        source = batch_key if batches is None else batches

        def running(c: _Carry) -> jax.Array:
            # Stopping at the first non-finite step makes a diverging program cheap.
            return (c.step < problem.steps) & (c.bad == FINITE)

        end = jax.lax.while_loop(running, lambda c: loop.advance(opt, source, lr_mult, data, c), start)
        return loop.finish(end, data)

    return train


def make_batch_train_fn(problem: Problem, step_fn: StepFn, state_rows: int) -> Callable[..., Outputs]:
    """Builds ``train(opt, seeds[S], lr_mults[C], data, data_index[C], batches=None) -> outputs[S, C]``:
    the S x C runs of ONE optimizer in one loop (traceable; jit it).

    Run ``(s, c)`` trains from ``seeds[s]`` at ``lr_mults[c]`` on
    ``data[data_index[c]]`` (``data`` leaves are ``[T, ...]``: the data of T
    tasks of one family that differ only in their data). Only the runs are
    batched (``vmap``): ``opt`` is shared, so an encoded program's
    ``lax.switch`` index stays a scalar and each statement runs one branch for
    all runs at once; and runs of one seed share its initialization and its
    batches (``batches`` leaves ``[S, steps, ...]`` from :func:`make_sampler`,
    or with ``None`` drawn in the loop, once per seed). Each run's outputs
    equal :func:`make_train_fn`'s within float tolerance: a run that goes
    non-finite keeps its ``bad`` and ``stopped_at`` from that step, and the
    loop ends when every run has finished or failed.
    """

    def train(
        opt: Any, seeds: jax.Array, lr_mults: jax.Array, data: Any, data_index: jax.Array, batches: Batch | None = None
    ) -> Outputs:
        loop = _loop(problem, step_fn, state_rows, ahead=batches is not None)
        leaves = jax.tree_util.tree_leaves(data)
        if not leaves or leaves[0].shape[0] == 1:
            data, data_axis = jax.tree_util.tree_map(lambda d: d[0], data), None  # one shared copy
        else:
            data, data_axis = jax.tree_util.tree_map(lambda d: d[data_index], data), 0
        combos = lr_mults.shape[0]
        batch_keys, start = jax.vmap(loop.start)(seeds)
        sources = batch_keys if batches is None else batches
        start = jax.tree_util.tree_map(lambda x: jnp.repeat(x[:, None], combos, axis=1), start)
        per_combo = jax.vmap(loop.advance, in_axes=(None, None, 0, data_axis, 0))
        advance = jax.vmap(per_combo, in_axes=(None, 0, None, None, 0))

        def running(c: _Carry) -> jax.Array:
            return jnp.any((c.step < problem.steps) & (c.bad == FINITE))

        def body(c: _Carry) -> _Carry:
            new = advance(opt, sources, lr_mults, data, c)
            live = c.bad == FINITE  # a failed run computes on, but its record is frozen
            return new._replace(step=jnp.where(live, new.step, c.step), bad=jnp.where(live, new.bad, c.bad))

        end = jax.lax.while_loop(running, body, start)
        finish = jax.vmap(jax.vmap(loop.finish, in_axes=(0, data_axis)), in_axes=(0, None))
        return finish(end, data)

    return train
