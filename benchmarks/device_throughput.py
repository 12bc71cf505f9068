"""Fitness evaluations per second on an accelerator and on one CPU core, side by side.

Evaluates the same candidates (variants of the built-ins and random programs,
as ``eval_throughput.py`` draws them) with a config's fitness (default:
configs/lion_discovery.yaml's, every run of a program batched in one call) in
two child processes, one after the other: one pinned to one CPU core with
single-threaded XLA (``JAX_PLATFORMS=cpu``), one on the first GPU JAX sees.
Each child compiles on a first evaluation, then times ``--evaluations``
others. Prints ``cpu core: X evaluations/s``, ``gpu: Y evaluations/s`` and
``gpu / cpu core: R``; without a GPU it says so and prints the CPU figure
only. The fitness values of the two devices are compared (largest difference).

Example:
    $ .venv/bin/python benchmarks/device_throughput.py --evaluations 6
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def child(config: str, evaluations: int, seed: int) -> None:
    """In the child: time the evaluations on the platform JAX was given; print one JSON line."""
    sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
    if os.environ["JAX_PLATFORMS"] != "cpu":
        sys.argv.append("--all-cores")  # eval_throughput pins to one core unless it sees this
    from eval_throughput import candidates  # noqa: E402  (after the platform is chosen)

    import jax
    import numpy as np

    from symopt.config import load_config
    from symopt.dsl.builtins import builtin
    from symopt.proxy_tasks.fitness import evaluate_fitness

    spec = load_config(config).fitness
    programs = candidates(np.random.default_rng(seed), evaluations)
    start = time.perf_counter()
    evaluate_fitness(builtin("lion"), spec)
    first = time.perf_counter() - start
    fitnesses = []
    start = time.perf_counter()
    for program in programs:
        fitnesses.append(evaluate_fitness(program, spec).fitness)
    seconds = time.perf_counter() - start
    device = str(jax.devices()[0])
    print(json.dumps({"device": device, "first": first, "rate": evaluations / seconds, "fitnesses": fitnesses}))


def has_gpu() -> bool:
    probe = "import jax, sys; sys.exit(0 if jax.devices('gpu') else 1)"
    env = {**os.environ, "JAX_PLATFORMS": "cuda"}
    return subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True).returncode == 0


def measure(platform: str, args: argparse.Namespace) -> dict[str, object]:
    env = {**os.environ, "JAX_PLATFORMS": platform}
    if platform == "cpu":
        env["XLA_FLAGS"] = SINGLE_THREAD
    command = [sys.executable, __file__, "--child", "--config", args.config,
               "--evaluations", str(args.evaluations), "--seed", str(args.seed)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "lion_discovery.yaml"))
    parser.add_argument("--evaluations", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.config, args.evaluations, args.seed)
    cpu = measure("cpu", args)
    print(f"cpu core: {cpu['rate']:.3f} evaluations/s on {cpu['device']} (first, compiling: {cpu['first']:.1f} s)")
    if not has_gpu():
        print("gpu: none visible to JAX; nothing to compare")
        return
    gpu = measure("cuda", args)
    print(f"gpu: {gpu['rate']:.3f} evaluations/s on {gpu['device']} (first, compiling: {gpu['first']:.1f} s)")
    worst = max(abs(a - b) for a, b in zip(cpu["fitnesses"], gpu["fitnesses"]))  # type: ignore[arg-type]
    print(f"largest fitness difference gpu vs cpu: {worst:.1e}")
    print(f"gpu / cpu core: {float(gpu['rate']) / float(cpu['rate']):.2f}")


if __name__ == "__main__":
    main()
