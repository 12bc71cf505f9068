"""The training loops, jitted: once per task for encoded programs, or per program (naive).

:func:`compile_trainer` jits the loop with the encoded-program step
(:func:`symopt.dsl.encode.make_step`), whose arguments are all arrays, so a new
program or seed never recompiles; :func:`compile_batch_trainer` does the same
for many runs of one program; :func:`compile_sampler` draws a seed's batches
once, to be given to either.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from symopt.dsl.encode import EncodedProgram, Layout, make_step
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer
from symopt.dsl.program import Program
from symopt.proxy_tasks.trainer._loop import StepFn, make_batch_train_fn, make_sampler, make_train_fn
from symopt.proxy_tasks.trainer._problem import Batch, Problem, TrainOutput, to_output

__all__ = ["compile_trainer", "compile_batch_trainer", "compile_direct_trainer", "compile_sampler"]


def compile_sampler(problem: Problem) -> Callable[[Sequence[int]], Batch]:
    """``draw(seeds) -> batches`` on the device, leaves ``[len(seeds), steps, ...]``: the
    batches the runs from ``seeds`` train on (:func:`~symopt.proxy_tasks.trainer.make_sampler`).

    Example:
        >>> from symopt.proxy_tasks.registry import make_task
        >>> problem = make_task("teacher_student", steps=5, batch=8).built
        >>> compile_sampler(problem)([0, 1]).shape
        (2, 5, 8, 16)
    """
    draw = jax.jit(make_sampler(problem))
    return lambda seeds: draw(np.asarray(seeds, np.uint32))


def compile_trainer(problem: Problem, layout: Layout) -> Callable[..., TrainOutput]:
    """The compile-once training loop for encoded programs of ``layout``.

    Returns:
        ``run(encoded, seed, lr_mult, batches=None) -> TrainOutput``, where
        ``batches`` are :func:`compile_sampler`'s for ``[seed]`` (``None``:
        drawn in the loop, the same values); the first call compiles (once
        per kind of ``batches``), later calls with any program, seed or
        multiplier do not.
    """
    return _runner(problem, _encoded_step(problem, layout), layout.num_registers)


def compile_batch_trainer(problem: Problem, layout: Layout) -> Callable[..., list[list[TrainOutput]]]:
    """The compile-once batched loop (:func:`~symopt.proxy_tasks.trainer.make_batch_train_fn`)
    for encoded programs of ``layout``.

    Returns:
        ``run(encoded, seeds, lr_mults, data, data_index, batches=None) ->
        [[TrainOutput]]``, indexed ``[seed][combo]``; ``data`` is stacked as
        :func:`~symopt.proxy_tasks.trainer.make_batch_train_fn` says (put it
        on the device once) and ``batches`` are :func:`compile_sampler`'s for
        ``seeds`` (``None``: drawn in the loop). It compiles once per grid
        shape, data count and kind of ``batches``; later calls with any
        program, seeds or multipliers do not.
    """
    train = jax.jit(make_batch_train_fn(problem, _encoded_step(problem, layout), layout.num_registers))

    def run(
        encoded: EncodedProgram,
        seeds: Sequence[int],
        lr_mults: Sequence[float],
        data: Any,
        data_index: Sequence[int],
        batches: Batch | None = None,
    ) -> list[list[TrainOutput]]:
        seed_array, mults = np.asarray(seeds, np.uint32), np.asarray(lr_mults, np.float32)
        index = np.asarray(data_index, np.int32)
        out = jax.device_get(train(encoded, seed_array, mults, data, index, batches))
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


def _runner(problem: Problem, step_fn: StepFn, state_rows: int) -> Callable[..., TrainOutput]:
    """``run(opt, seed, lr_mult, batches=None)``: the jitted loop, with the data on the device once."""
    train = make_train_fn(problem, step_fn, state_rows)

    @jax.jit
    def one(opt: Any, seed: jax.Array, lr_mult: jax.Array, data: Any, batches: Batch | None) -> Any:
        row = None if batches is None else jax.tree_util.tree_map(lambda b: b[0], batches)
        return train(opt, seed, lr_mult, data, row)

    data = jax.device_put(problem.data)  # once, not on every call

    def run(opt: Any, seed: int, lr_mult: float, batches: Batch | None = None) -> TrainOutput:
        return to_output(jax.device_get(one(opt, np.uint32(seed), np.float32(lr_mult), data, batches)))

    return run
