"""What a hurdle saves per evaluation on LION_FITNESS: stopped, passed and whole evaluations side by side.

Each candidate is evaluated three ways, alternating: the whole fitness (no
hurdle), stopped at the hurdle (threshold +inf: only the hurdle's tasks train)
and passing it (threshold -inf: the hurdle's tasks, then the rest, in two
calls). With the hurdle at the p-th percentile of recent children's scores,
about p% of children stop, so the expected cost of a child is
``p% * stopped + (1 - p%) * passed``; the script prints
``hurdle speedup: R`` = whole / that, per evaluation, on one core.

Example:
    $ .venv/bin/python benchmarks/hurdles.py --evaluations 6
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks")]

# Before JAX: eval_throughput pins this process to one core with single-threaded XLA.
from eval_throughput import candidates  # noqa: E402

import numpy as np  # noqa: E402

from symopt.dsl.builtins import builtin  # noqa: E402
from symopt.proxy_tasks.fitness import LION_FITNESS, Hurdle, evaluate_fitness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=6, help="candidates, each evaluated three ways")
    parser.add_argument("--percentile", type=float, default=75.0, help="the hurdle's percentile")
    parser.add_argument("--tasks", type=int, nargs="+", default=[0], help="the hurdle's task indices")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    spec = LION_FITNESS
    ways = {"whole": None, "stopped": Hurdle(math.inf, tuple(args.tasks)), "passed": Hurdle(-math.inf, tuple(args.tasks))}
    print(f"cores: {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else 'all'}")
    for name, hurdle in ways.items():  # compiles every loop shape, and the baseline
        start = time.perf_counter()
        evaluate_fitness(builtin("lion"), spec, hurdle=hurdle)
        print(f"{name}: first evaluation (compiles) {time.perf_counter() - start:.1f} s")
    seconds = dict.fromkeys(ways, 0.0)
    programs = candidates(np.random.default_rng(args.seed), args.evaluations)
    for program in programs:
        results = {}
        for name, hurdle in ways.items():
            start = time.perf_counter()
            results[name] = evaluate_fitness(program, spec, hurdle=hurdle)
            seconds[name] += time.perf_counter() - start
        assert results["whole"].fitness == results["passed"].fitness, "a passed hurdle must not change the fitness"
    n = len(programs)
    for name in ways:
        print(f"{name}: {1000 * seconds[name] / n:.0f} ms per evaluation ({n} evaluations)")
    stop = args.percentile / 100
    expected = stop * seconds["stopped"] + (1 - stop) * seconds["passed"]
    print(f"tasks {args.tasks} of {len(spec.tasks)}; {stop:.0%} of children stop at the hurdle")
    print(f"hurdle speedup: {seconds['whole'] / expected:.2f}")


if __name__ == "__main__":
    main()
