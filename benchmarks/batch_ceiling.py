"""How much batching a program's runs can gain on this CPU: a ceiling measured with hand-written JAX.

The batched evaluator (``FitnessSpec.batched``) trains all of a program's runs
in one compiled call. Batching removes per-operation overhead (dispatch, loop
control, small kernels); it cannot remove arithmetic. This script measures the
best any batched implementation could do on the search's fitness task
(``teacher_student`` in the Lion regime: 16-64-1 student, batch 128, 1000
steps) with the optimizer hand-written in ``jax.numpy`` (no interpreter), side
by side in one process, alternating, best of ``--repeats``, per run:

(a) one run per call (``make_train_fn``), ``--runs`` calls;
(b) ``--runs`` runs in one call (``make_batch_train_fn``: one seed, the runs
    at different learning-rate multipliers, as a fitness's window);
(c) as (a) with a zero-cost optimizer (``update = 0``): the model's own
    forward, backward and batch reads, the part no optimizer design removes;
(d), (e) as (a), (b) with the built-in program run by the compile-once
    interpreter (``symopt.dsl.encode``), the search's path.

It prints per-run milliseconds and ``hand-written batched: R`` = (a) / (b),
``interpreted batched: R`` = (d) / (e) and ``model share: S`` = (c) / (a).
When (a) / (b) is small, the CPU is busy with arithmetic and no batched
design reaches a large ratio here; an accelerator is where batching pays.

Example:
    $ .venv/bin/python benchmarks/batch_ceiling.py --runs 9 --repeats 3
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

# Before JAX: interpreter_overhead pins this process to one core with single-threaded XLA.
from interpreter_overhead import Array, lion  # noqa: E402

import argparse  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from symopt.dsl import builtin  # noqa: E402
from symopt.dsl.encode import Layout, encode, make_step  # noqa: E402
from symopt.dsl.flat import SegmentReducer  # noqa: E402
from symopt.proxy_tasks import make_task  # noqa: E402
from symopt.proxy_tasks.fitness import LION_REGIME  # noqa: E402
from symopt.proxy_tasks.trainer import compile_sampler, make_batch_train_fn, make_train_fn  # noqa: E402


def no_update(_: Any, w: Array, g: Array, lr: Array, state: Array) -> tuple[Array, Array]:
    """Leaves the weights where they are: what is left is the model's cost."""
    return jnp.zeros_like(w), state


def timed(fn: Callable[[], Any], times: dict[str, list[float]], name: str) -> None:
    start = time.perf_counter()
    jax.block_until_ready(fn())
    times.setdefault(name, []).append(1000 * (time.perf_counter() - start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of one program (a fitness's lr x decay window)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds, alternating (best counts)")
    args = parser.parse_args()
    print(f"cores: {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else 'all'}")
    problem = make_task("teacher_student", **LION_REGIME).built
    data = jax.device_put(problem.data)
    stacked = jax.tree_util.tree_map(lambda d: d[None], data)
    layout = Layout()
    sizes = problem.param_sizes()
    interp = make_step(layout, SegmentReducer.for_sizes(sizes), sum(sizes))
    program = encode(builtin("lion"), layout)
    mults = np.geomspace(0.25, 4.0, args.runs).astype(np.float32)
    seeds, index = np.zeros(1, np.uint32), np.zeros(args.runs, np.int32)
    ahead = compile_sampler(problem)(seeds)  # the seed's batches, drawn once as the fitness draws them
    own = jax.tree_util.tree_map(lambda b: b[0], ahead)

    one_hand = jax.jit(make_train_fn(problem, lion, 1))
    one_zero = jax.jit(make_train_fn(problem, no_update, 1))
    one_interp = jax.jit(make_train_fn(problem, interp, layout.num_registers))
    many_hand = jax.jit(make_batch_train_fn(problem, lion, 1))
    many_interp = jax.jit(make_batch_train_fn(problem, interp, layout.num_registers))
    paths: dict[str, Callable[[], Any]] = {
        "a one run per call, hand-written": lambda: [one_hand(None, np.uint32(0), m, data, own) for m in mults],
        "b all runs in one call, hand-written": lambda: many_hand(None, seeds, mults, stacked, index, ahead),
        "c one run per call, no optimizer": lambda: [one_zero(None, np.uint32(0), m, data, own) for m in mults],
        "d one run per call, interpreted": lambda: [one_interp(program, np.uint32(0), m, data, own) for m in mults],
        "e all runs in one call, interpreted": lambda: many_interp(program, seeds, mults, stacked, index, ahead),
    }
    for fn in paths.values():
        jax.block_until_ready(fn())  # compile
    check_one = float(one_hand(None, np.uint32(0), mults[-1], data, own)["metric"])
    check_many = float(np.asarray(many_hand(None, seeds, mults, stacked, index, ahead)["metric"])[0, -1])
    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for name, fn in paths.items():
            timed(fn, times, name)
    per_run = {name: min(ts) / args.runs for name, ts in times.items()}
    for name, ms in per_run.items():
        print(f"{name:40s} {ms:7.2f} ms a run")
    a, b, c, d, e = per_run.values()
    print(f"metric of the last run, one per call / batched: {check_one:.6g} / {check_many:.6g}")
    print(f"hand-written batched: {a / b:.2f}")
    print(f"interpreted batched: {d / e:.2f}")
    print(f"model share: {c / a:.2f}")


if __name__ == "__main__":
    main()
