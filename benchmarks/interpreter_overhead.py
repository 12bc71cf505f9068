"""The encoded-program interpreter against the same optimizer written in JAX.

For lion and adamw on digits_mlp (its defaults) and teacher_student (1000
steps), one run is timed two ways in the same training loop
(``symopt.proxy_tasks.trainer.make_train_fn``), alternating, best of
``--repeats``, once with the batches drawn in the loop and once with the seed's
batches drawn ahead (as the fitness trains; the loop then does less besides the
optimizer, so the interpreter's share is larger): (a) the optimizer hand-written in ``jax.numpy``, (b) the built-in
program encoded as arrays and run by the compile-once interpreter
(``symopt.dsl.encode.make_step``). Both give the same final metric (printed as
a check). The process pins itself to one core with single-threaded XLA code.
The last line is ``overhead: R``, the worst of (b) / (a) over the eight pairs.

Example:
    $ .venv/bin/python benchmarks/interpreter_overhead.py --repeats 5
"""

from __future__ import annotations

import os
import sys

# Before JAX is imported: one core, single-threaded XLA CPU code.
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
).strip()

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symopt.dsl import builtin  # noqa: E402
from symopt.dsl.encode import Layout, encode, make_step  # noqa: E402
from symopt.dsl.flat import SegmentReducer  # noqa: E402
from symopt.proxy_tasks import make_task  # noqa: E402
from symopt.proxy_tasks.trainer import compile_sampler, make_train_fn  # noqa: E402

Array = jax.Array


def lion(_: Any, w: Array, g: Array, lr: Array, state: Array) -> tuple[Array, Array]:
    """symopt/dsl/programs/lion.py in jnp: betas 0.9 / 0.99, lr 3e-4, decay 0.1."""
    m = state[0]
    update = (jnp.sign(0.1 * g + 0.9 * m) + 0.1 * w) * (lr * 3e-4)
    return update, state.at[0].set(0.01 * g + 0.99 * m)


def adamw(_: Any, w: Array, g: Array, lr: Array, state: Array) -> tuple[Array, Array]:
    """symopt/dsl/programs/adamw.py in jnp: betas 0.9 / 0.999, lr 1e-3, decay 0.01."""
    m = 0.1 * g + 0.9 * state[0]
    v = 0.001 * g * g + 0.999 * state[1]
    update = (m / (jnp.sqrt(v) + 1e-8) + 0.01 * w) * (lr * 1e-3)
    return update, state.at[0].set(m).at[1].set(v)


HAND: dict[str, Callable[..., tuple[Array, Array]]] = {"lion": lion, "adamw": adamw}
TASKS = (("digits_mlp", {}), ("teacher_student", {"steps": 1000}))


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each, alternating (best counts)")
    args = parser.parse_args()
    print(f"cores: {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else 'all'}")
    worst = 0.0
    layout = Layout()
    for name, knobs in TASKS:
        task = make_task(name, **knobs)
        problem = task.built
        sizes = problem.param_sizes()
        data = jax.device_put(problem.data)
        step = make_step(layout, SegmentReducer.for_sizes(sizes), sum(sizes))
        interpreted = jax.jit(make_train_fn(problem, step, layout.num_registers))
        ahead = jax.tree_util.tree_map(lambda b: b[0], compile_sampler(problem)([0]))
        for program in ("lion", "adamw"):
            hand = jax.jit(make_train_fn(problem, HAND[program], layout.num_slots))
            encoded = encode(builtin(program), layout)
            for batches, where in ((None, "in the loop"), (ahead, "ahead")):
                a_args = (None, np.uint32(0), np.float32(1.0), data, batches)
                b_args = (encoded, np.uint32(0), np.float32(1.0), data, batches)
                _, a_out = timed(hand, *a_args)  # compiles
                _, b_out = timed(interpreted, *b_args)
                a_times, b_times = [], []
                for _ in range(args.repeats):
                    a_times.append(timed(hand, *a_args)[0])
                    b_times.append(timed(interpreted, *b_args)[0])
                ratio = min(b_times) / min(a_times)
                worst = max(worst, ratio)
                a_metric, b_metric = float(a_out["metric"]), float(b_out["metric"])
                print(
                    f"{name:16s} {program:6s} batches {where:11s} hand-written {1000 * min(a_times):6.1f} ms  "
                    f"interpreted {1000 * min(b_times):6.1f} ms  ratio {ratio:.2f}  "
                    f"(metrics {a_metric:.6g} / {b_metric:.6g})"
                )
    print(f"overhead: {worst:.2f}")


if __name__ == "__main__":
    main()
