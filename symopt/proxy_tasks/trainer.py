"""The training loop shared by every proxy task, compiled once per task.

A :class:`Problem` says what to train (initial parameters, a batch loss, a
validation metric, the data). :func:`make_train_fn` turns it and an optimizer
step into ``train(opt, seed, lr_mult, data)``: the parameters are raveled into
one flat vector, and each step draws its batch from ``fold_in(key, step)``,
takes the gradient and applies ``w = w - update``. :func:`compile_trainer` jits
it with the encoded-program step (:func:`symopt.dsl.encode.make_step`), whose
arguments are all arrays, so a new program or seed never recompiles.
:func:`make_batch_train_fn` (:func:`compile_batch_trainer`) trains many runs of
one program in one loop: seeds, multipliers and same-shaped data, batched.

Example:
    >>> import jax.numpy as jnp
    >>> from symopt.dsl.encode import Layout, encode
    >>> from symopt.dsl import builtin
    >>> p = Problem(
    ...     init=lambda key: {"x": jnp.ones(3)},
    ...     loss=lambda params, data, key: jnp.sum(params["x"] ** 2),
    ...     evaluate=lambda params, data: (jnp.sum(params["x"] ** 2), {}),
    ...     data=(), steps=10)
    >>> out = compile_trainer(p, Layout())(encode(builtin("sgd")), 0, 1.0)
    >>> out.metric < 3.0 and out.divergence() == ""
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from symopt.dsl.encode import EncodedProgram, Layout, make_step
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer
from symopt.dsl.program import Program

__all__ = [
    "Problem",
    "TrainOutput",
    "StepFn",
    "schedule",
    "warmup_steps",
    "make_train_fn",
    "make_batch_train_fn",
    "compile_trainer",
    "compile_batch_trainer",
    "compile_direct_trainer",
    "to_output",
]

PyTree = Any
StepFn = Callable[[Any, jax.Array, jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array]]
"""``step(opt, w, g, lr, state[rows, n]) -> (update, new_state)``, as made by ``make_step``
(whose state is the whole register file, slots included)."""

_FINITE, _BAD_LOSS, _BAD_WEIGHTS = 0, 1, 2


@dataclass(frozen=True, eq=False)
class Problem:
    """A training problem, as pure functions of explicit keys and data.

    Attributes:
        init: ``init(key) -> params`` (a pytree of float32 arrays).
        loss: ``loss(params, data, key) -> scalar``: the training loss on a batch
            drawn from ``key``.
        evaluate: ``evaluate(params, data) -> (metric, extras)``: the validation
            metric (lower is better) and a dict of more scalars.
        data: a pytree of arrays; passed to the jitted loop as an argument, not
            baked into it as constants (which would slow the compile).
        steps: training steps.
        warmup: fraction of the steps spent in the linear warm-up.
    """

    init: Callable[[jax.Array], PyTree]
    loss: Callable[[PyTree, Any, jax.Array], jax.Array]
    evaluate: Callable[[PyTree, Any], tuple[jax.Array, Mapping[str, jax.Array]]]
    data: Any
    steps: int
    warmup: float = 0.05

    def param_sizes(self) -> list[int]:
        """Sizes of the parameter tensors, in ``ravel_pytree`` order (no compute)."""
        shapes = jax.eval_shape(self.init, jax.random.key(0))
        return [math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes)]

    def num_params(self) -> int:
        return sum(self.param_sizes())


@dataclass(frozen=True)
class TrainOutput:
    """What one training run returns, as Python floats.

    Attributes:
        metric: the validation metric after the last step.
        train_loss: mean training loss over the last ~10% of steps.
        extra: more validation scalars.
        bad: 0 when every step was finite, 1 when a loss was not, 2 when the weights were not.
        stopped_at: the step the run stopped at (``steps`` when it finished).
    """

    metric: float
    train_loss: float
    extra: Mapping[str, float] = field(default_factory=dict)
    bad: int = _FINITE
    stopped_at: int = 0

    def divergence(self) -> str:
        """Why the run counts as diverged (``"diverged: ..."``), or ``""``."""
        if self.bad == _BAD_LOSS:
            return f"diverged: non-finite loss at step {self.stopped_at}"
        if self.bad == _BAD_WEIGHTS:
            return f"diverged: non-finite weights at step {self.stopped_at}"
        if not (math.isfinite(self.metric) and math.isfinite(self.train_loss)):
            return "diverged: non-finite loss at the end"
        return ""


def warmup_steps(steps: int, warmup: float) -> int:
    """Steps of linear warm-up: ``warmup`` of ``steps``, rounded, and at least 1.

    Example:
        >>> warmup_steps(300, 0.05)
        15
    """
    return max(1, round(steps * warmup))


def schedule(step: jax.Array, steps: int, warm: int) -> jax.Array:
    """The unit-peak learning-rate schedule: linear warm-up, then cosine decay to 0.

    Args:
        step: 0-based step.
        steps: total steps.
        warm: warm-up steps (:func:`warmup_steps`).

    Example:
        >>> [round(float(schedule(s, 10, 2)), 3) for s in (0, 1, 2, 9)]
        [0.5, 1.0, 1.0, 0.038]
    """
    step = jnp.asarray(step, jnp.float32)
    rise = (step + 1.0) / warm
    progress = (step - warm) / max(steps - warm, 1)
    fall = 0.5 * (1.0 + jnp.cos(jnp.pi * jnp.clip(progress, 0.0, 1.0)))
    return jnp.where(step < warm, rise, fall)


class _Carry(NamedTuple):
    step: jax.Array
    w: jax.Array
    state: jax.Array
    bad: jax.Array
    tail_loss: jax.Array


Outputs = dict[str, Any]
"""What a ``train`` function returns: ``metric``, ``train_loss``, ``extra``, ``bad``, ``stopped_at``."""


class _Loop(NamedTuple):
    """One run's training loop in pieces, shared by the one-run and the batched drivers."""

    start: Callable[[jax.Array], tuple[jax.Array, _Carry]]  # seed -> (batch key, carry)
    advance: Callable[[Any, jax.Array, jax.Array, Any, _Carry], _Carry]  # one step
    finish: Callable[[_Carry, Any], Outputs]


def _loop(problem: Problem, step_fn: StepFn, state_rows: int) -> _Loop:
    """The pieces of one run; call it while tracing (it traces the init once for its layout)."""
    steps = problem.steps
    warm = warmup_steps(steps, problem.warmup)
    tail_start = steps - max(1, steps // 10)
    _, unravel = ravel_pytree(problem.init(jax.random.key(0)))

    def start(seed: jax.Array) -> tuple[jax.Array, _Carry]:
        init_key, batch_key = jax.random.split(jax.random.key(seed))
        w0, _ = ravel_pytree(problem.init(init_key))
        state = jnp.zeros((state_rows, w0.size), w0.dtype)
        return batch_key, _Carry(jnp.int32(0), w0, state, jnp.int32(_FINITE), jnp.float32(0.0))

    def advance(opt: Any, batch_key: jax.Array, lr_mult: jax.Array, data: Any, c: _Carry) -> _Carry:
        loss, g = jax.value_and_grad(lambda w: problem.loss(unravel(w), data, jax.random.fold_in(batch_key, c.step)))(
            c.w
        )
        lr = lr_mult * schedule(c.step, steps, warm)
        update, state = step_fn(opt, c.w, g, lr, c.state)
        w = c.w - update
        bad = jnp.where(
            jnp.isfinite(loss),
            jnp.where(jnp.all(jnp.isfinite(w)), _FINITE, _BAD_WEIGHTS),
            _BAD_LOSS,
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
            "stopped_at": jnp.where(end.bad == _FINITE, end.step, end.step - 1),
        }

    return _Loop(start, advance, finish)


def make_train_fn(
    problem: Problem, step_fn: StepFn, state_rows: int
) -> Callable[[Any, jax.Array, jax.Array, Any], Outputs]:
    """Builds ``train(opt, seed, lr_mult, data) -> outputs`` (traceable; jit it).

    Args:
        problem: what to train.
        step_fn: the optimizer step; ``opt`` is passed to it unchanged (an
            :class:`EncodedProgram` for the compile-once path).
        state_rows: rows of the optimizer state (``[state_rows, n]``), which starts at zero.

    Returns:
        A function returning a dict of ``metric``, ``train_loss``, ``extra``,
        ``bad`` and ``stopped_at`` (see :class:`TrainOutput`).
    """

    def train(opt: Any, seed: jax.Array, lr_mult: jax.Array, data: Any) -> Outputs:
        loop = _loop(problem, step_fn, state_rows)
        batch_key, start = loop.start(seed)

        def running(c: _Carry) -> jax.Array:
            # Stopping at the first non-finite step makes a diverging program cheap.
            return (c.step < problem.steps) & (c.bad == _FINITE)

        end = jax.lax.while_loop(running, lambda c: loop.advance(opt, batch_key, lr_mult, data, c), start)
        return loop.finish(end, data)

    return train


def make_batch_train_fn(
    problem: Problem, step_fn: StepFn, state_rows: int
) -> Callable[[Any, jax.Array, jax.Array, Any, jax.Array], Outputs]:
    """Builds ``train(opt, seeds[S], lr_mults[C], data, data_index[C]) -> outputs[S, C]``:
    the S x C runs of ONE optimizer in one loop (traceable; jit it).

    Run ``(s, c)`` trains from ``seeds[s]`` at ``lr_mults[c]`` on
    ``data[data_index[c]]`` (``data`` leaves are ``[T, ...]``: the data of T
    tasks of one family that differ only in their data). Only the runs are
    batched (``vmap``): ``opt`` is shared, so an encoded program's
    ``lax.switch`` index stays a scalar and each statement runs one branch for
    all runs at once; and runs of one seed share its initialization and its
    batches (the key is not batched over ``c``), which are drawn once per seed.
    Each run's outputs equal :func:`make_train_fn`'s within float tolerance: a
    run that goes non-finite keeps its ``bad`` and ``stopped_at`` from that
    step, and the loop ends when every run has finished or failed.
    """

    def train(opt: Any, seeds: jax.Array, lr_mults: jax.Array, data: Any, data_index: jax.Array) -> Outputs:
        loop = _loop(problem, step_fn, state_rows)
        leaves = jax.tree_util.tree_leaves(data)
        if not leaves or leaves[0].shape[0] == 1:
            data, data_axis = jax.tree_util.tree_map(lambda d: d[0], data), None  # one shared copy
        else:
            data, data_axis = jax.tree_util.tree_map(lambda d: d[data_index], data), 0
        combos = lr_mults.shape[0]
        batch_keys, start = jax.vmap(loop.start)(seeds)
        start = jax.tree_util.tree_map(lambda x: jnp.repeat(x[:, None], combos, axis=1), start)
        per_combo = jax.vmap(loop.advance, in_axes=(None, None, 0, data_axis, 0))
        advance = jax.vmap(per_combo, in_axes=(None, 0, None, None, 0))

        def running(c: _Carry) -> jax.Array:
            return jnp.any((c.step < problem.steps) & (c.bad == _FINITE))

        def body(c: _Carry) -> _Carry:
            new = advance(opt, batch_keys, lr_mults, data, c)
            live = c.bad == _FINITE  # a failed run computes on, but its record is frozen
            return new._replace(step=jnp.where(live, new.step, c.step), bad=jnp.where(live, new.bad, c.bad))

        end = jax.lax.while_loop(running, body, start)
        finish = jax.vmap(jax.vmap(loop.finish, in_axes=(0, data_axis)), in_axes=(0, None))
        return finish(end, data)

    return train


def compile_trainer(problem: Problem, layout: Layout) -> Callable[[EncodedProgram, int, float], TrainOutput]:
    """The compile-once training loop for encoded programs of ``layout``.

    Returns:
        ``run(encoded, seed, lr_mult) -> TrainOutput``; the first call compiles,
        later calls with any program, seed or multiplier do not.
    """
    return _runner(problem, _encoded_step(problem, layout), layout.num_registers)


def compile_batch_trainer(
    problem: Problem, layout: Layout
) -> Callable[[EncodedProgram, Sequence[int], Sequence[float], Any, Sequence[int]], list[list[TrainOutput]]]:
    """The compile-once batched loop (:func:`make_batch_train_fn`) for encoded programs of ``layout``.

    Returns:
        ``run(encoded, seeds, lr_mults, data, data_index) -> [[TrainOutput]]``,
        indexed ``[seed][combo]``; ``data`` is stacked as
        :func:`make_batch_train_fn` says (put it on the device once). It
        compiles once per grid shape and data count; later calls with any
        program, seeds or multipliers do not.
    """
    train = jax.jit(make_batch_train_fn(problem, _encoded_step(problem, layout), layout.num_registers))

    def run(
        encoded: EncodedProgram, seeds: Sequence[int], lr_mults: Sequence[float], data: Any, data_index: Sequence[int]
    ) -> list[list[TrainOutput]]:
        out = jax.device_get(
            train(
                encoded,
                np.asarray(seeds, np.uint32),
                np.asarray(lr_mults, np.float32),
                data,
                np.asarray(data_index, np.int32),
            )
        )
        return [
            [to_output(jax.tree_util.tree_map(lambda a, i=i, j=j: a[i, j], out)) for j in range(len(lr_mults))]
            for i in range(len(seeds))
        ]

    return run


def _encoded_step(problem: Problem, layout: Layout) -> StepFn:
    sizes = problem.param_sizes()
    return make_step(layout, SegmentReducer.for_sizes(sizes), sum(sizes))


def compile_direct_trainer(problem: Problem, program: Program) -> Callable[[int, float], TrainOutput]:
    """The naive path: a training loop traced around ONE program (direct executor).

    Every program compiles its own loop, which costs seconds; the search uses
    :func:`compile_trainer` instead. This exists to check the encoded path
    against the direct executor and to measure what compiling per program costs.

    Returns:
        ``run(seed, lr_mult) -> TrainOutput``; the first call compiles.
    """
    sizes = problem.param_sizes()
    reducer = SegmentReducer.for_sizes(sizes)
    slots = len(program.state)

    def step(_: Any, w: jax.Array, g: jax.Array, lr: jax.Array, state: jax.Array) -> tuple[jax.Array, jax.Array]:
        update, new_state = run_step(program, w, g, lr, tuple(state), reducer)
        return update, jnp.stack(new_state) if slots else state

    run = _runner(problem, step, slots)
    return lambda seed, lr_mult: run(None, seed, lr_mult)


def _runner(problem: Problem, step_fn: StepFn, state_rows: int) -> Callable[[Any, int, float], TrainOutput]:
    """``run(opt, seed, lr_mult)``: the jitted training loop, with the data on the device once."""
    train = jax.jit(make_train_fn(problem, step_fn, state_rows))
    data = jax.device_put(problem.data)  # once, not on every call

    def run(opt: Any, seed: int, lr_mult: float) -> TrainOutput:
        return to_output(jax.device_get(train(opt, np.uint32(seed), np.float32(lr_mult), data)))

    return run


def to_output(out: Mapping[str, Any]) -> TrainOutput:
    """Converts what a ``train`` function returned (fetched to the host) to a :class:`TrainOutput`."""
    return TrainOutput(
        metric=float(out["metric"]),
        train_loss=float(out["train_loss"]),
        extra={k: float(v) for k, v in out["extra"].items()},
        bad=int(out["bad"]),
        stopped_at=int(out["stopped_at"]),
    )
