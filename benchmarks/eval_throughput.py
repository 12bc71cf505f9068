"""Candidates trained per second per CPU core: compile-once path against per-program jit.

(a) compile-once: the task's training loop is compiled once; N distinct
    candidates (variants of the built-ins, as a search from them meets, plus
    fully random programs) are then trained one after another, as arrays.
(b) naive: each candidate gets its own ``jax.jit`` of a loop traced around the
    program by the direct executor (``symopt.dsl.execute.run_step``), so every
    candidate pays an XLA compile.

(c) batched: whole fitness evaluations (``evaluate_fitness``) of the same
    candidates, with all of a program's runs on tasks of one shape in one
    compiled call (``FitnessSpec.batched``, the default) or one run at a time
    (``batched=False``), and with each seed's batches drawn once per process
    (``FitnessSpec.batches_ahead``, the default) or step by step in the loop
    (as before): four paths, alternating program by program; on today's
    default fitness, on a teacher-student fitness of 3 teachers x 2 seeds x
    4 learning-rate multipliers x 1000 steps (PROXY_NOTES section 1), and on
    ``LION_FITNESS`` (5 teachers x 3 multipliers x 1000 steps) and on
    configs/lion_discovery.yaml's fitness (LION_FITNESS with decay x{1, 10, 100}:
    45 runs an evaluation).

The process pins itself to one core and asks XLA for single-threaded CPU code,
so the rates are per core. Part (a)/(b) ends with
``ratio: R rate: C runs/s/core fitness: F evaluations/s/core`` where C counts
full-length runs (300 steps at the defaults; runs that diverge stop early and
are left out of C) and F = C / runs per fitness evaluation. Part (c) prints one
``batched: R`` line per fitness, R = evaluations/s/core on the default path
(batched, batches ahead) over the reference path of the code before either
(one at a time, batches in the loop), and the ratios of each change alone.

Example:
    $ .venv/bin/python benchmarks/eval_throughput.py --programs 30 --naive 3
    $ .venv/bin/python benchmarks/eval_throughput.py --only-batched --evaluations 8
    $ .venv/bin/python benchmarks/eval_throughput.py --only-batched --fitness lion_discovery.yaml
"""

from __future__ import annotations

import os
import sys

# Before JAX is imported: one core, single-threaded XLA CPU code.
if "--all-cores" not in sys.argv:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    ).strip()

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import importlib  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the package, and the random-program helper

from random_programs import random_valid_program, random_variant  # noqa: E402

from symopt.config import load_config  # noqa: E402
from symopt.dsl.analysis import depends_on_gradient, program_hash  # noqa: E402
from symopt.dsl.builtins import builtin  # noqa: E402
from symopt.dsl.compiles import CompileCounter  # noqa: E402
from symopt.dsl.program import Program  # noqa: E402
from symopt.proxy_tasks import evaluate, make_task  # noqa: E402
from symopt.proxy_tasks.evaluate import prepare  # noqa: E402
from symopt.proxy_tasks.fitness import DEFAULT_FITNESS, LION_FITNESS, FitnessSpec, TaskSpec, evaluate_fitness  # noqa: E402
from symopt.proxy_tasks.trainer import compile_direct_trainer  # noqa: E402

ASSUMED_RUNS_PER_EVALUATION = 3
"""Used when no fitness module says otherwise: 3 seeds at one learning-rate
multiplier (PROXY_NOTES: average 2-3 seeds per fitness call)."""

_BASES = ("adamw", "lion", "sgd", "momentum", "signum", "program4")


def candidates(rng: np.random.Generator, count: int) -> list[Program]:
    """``count`` distinct gradient-reading programs: 3 in 4 variants of a built-in, 1 in 4 random."""
    seen: set[str] = set()
    found: list[Program] = []
    while len(found) < count:
        if rng.random() < 0.75:
            program = random_variant(rng, builtin(str(rng.choice(_BASES))))
        else:
            program = random_valid_program(rng)
        key = program_hash(program)
        if depends_on_gradient(program) and key not in seen:
            seen.add(key)
            found.append(program)
    return found


def runs_per_evaluation() -> tuple[float, str]:
    """Runs per fitness evaluation, from the fitness module if it says, else the assumption."""
    try:
        fitness = importlib.import_module("symopt.proxy_tasks.fitness")
    except ModuleNotFoundError:
        return ASSUMED_RUNS_PER_EVALUATION, "assumed (no symopt.proxy_tasks.fitness)"
    count = getattr(fitness, "runs_per_evaluation", None)
    spec = getattr(fitness, "DEFAULT_FITNESS", None)
    if callable(count):
        return float(count(spec)), "from symopt.proxy_tasks.fitness.runs_per_evaluation"
    return ASSUMED_RUNS_PER_EVALUATION, "assumed (fitness has no runs_per_evaluation)"


TEACHER_FITNESS = FitnessSpec(
    tasks=tuple(TaskSpec("teacher_student", {"steps": 1000, "data_seed": d}, lr_scale=16.0) for d in (0, 1, 2)),
    seeds=(0, 1),
    lr_multipliers=(0.5, 1.0, 2.0, 4.0),
    slot_cost=0.0,
)
"""A fitness like the next default's: 3 teachers x 2 seeds x 4 multipliers x 1000 steps = 24 runs."""


PATHS = {  # (batched, batches_ahead): how the runs of one evaluation are trained
    "one at a time, batches in the loop": (False, False),
    "one at a time, batches ahead": (False, True),
    "batched, batches in the loop": (True, False),
    "batched, batches ahead": (True, True),
}
"""The first is the reference path of the code before batching; the second-to-last
is the batched path before batches were drawn ahead; the last is the default."""


def batched_ratio(label: str, spec: FitnessSpec, programs: list[Program]) -> None:
    """Prints evaluations/s/core of ``spec`` on every path of :data:`PATHS`, alternating
    path by path for each program, and the ratios between them."""
    specs = {name: dataclasses.replace(spec, batched=b, batches_ahead=a) for name, (b, a) in PATHS.items()}
    for name, path in specs.items():  # compiles every loop, and the baseline
        start = time.perf_counter()
        evaluate_fitness(builtin("lion"), path)
        print(f"{label}: {name}: first evaluation (compiles) {time.perf_counter() - start:.1f} s")
    seconds = dict.fromkeys(specs, 0.0)
    worst = 0.0
    with CompileCounter() as compiles:
        for program in programs:
            results = {}
            for name, path in specs.items():
                start = time.perf_counter()
                results[name] = evaluate_fitness(program, path)
                seconds[name] += time.perf_counter() - start
            fitnesses = [r.fitness for r in results.values() if r.ok]
            if fitnesses:
                worst = max(worst, max(fitnesses) - min(fitnesses))
    n = len(programs)
    for name in specs:
        print(f"{label}: {name}: {n / seconds[name]:.2f} evaluations/s")
    print(f"{label}: {n} evaluations per path; largest fitness difference between paths {worst:.1e}; "
          f"compiles: {compiles.count}")
    names = list(specs)
    print(f"batches ahead over in the loop: {seconds[names[0]] / seconds[names[1]]:.2f} one at a time, "
          f"{seconds[names[2]] / seconds[names[3]]:.2f} batched ({label})")
    print(f"batched over one at a time, both with batches ahead: {seconds[names[1]] / seconds[names[3]]:.2f} ({label})")
    print(f"batched: {seconds[names[0]] / seconds[names[3]]:.2f} ({label}; default path over the reference path)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="digits_mlp", help="proxy task (default digits_mlp, se loss)")
    parser.add_argument("--programs", type=int, default=30, help="candidates on the compile-once path")
    parser.add_argument("--naive", type=int, default=3, help="candidates on the per-program-jit path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    parser.add_argument("--evaluations", type=int, default=8, help="fitness evaluations per path in (c)")
    parser.add_argument("--only-batched", action="store_true", help="run part (c) only")
    parser.add_argument("--fitness", action="append", help="part (c) on this fitness only (a label it prints; repeatable)")
    args = parser.parse_args()
    if args.only_batched:
        return main_batched(args)

    task = make_task(args.task)
    rng = np.random.default_rng(args.seed)
    programs = candidates(rng, args.programs + args.naive)
    steps = task.built.steps
    print(f"task {task.name} {task.knobs}, {task.num_params()} params, {steps} steps")
    print(f"cores: {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else 'all'}")

    start = time.perf_counter()
    evaluate(builtin("adamw"), task, 0)
    print(f"compile-once: first run (compile) {time.perf_counter() - start:.2f} s")
    full_seconds, full_runs = 0.0, 0
    with CompileCounter() as compiles:
        start = time.perf_counter()
        for seed, program in enumerate(programs[: args.programs]):
            result = evaluate(program, task, seed)
            if result.ok or "at the end" in result.reason:
                full_seconds += result.seconds
                full_runs += 1
        total = time.perf_counter() - start
    print(
        f"compile-once: {args.programs} candidates in {total:.2f} s = "
        f"{args.programs / total:.1f} candidates/s; {full_runs} ran all {steps} steps: "
        f"{1000 * full_seconds / max(full_runs, 1):.1f} ms each; compiles: {compiles.count}"
    )
    rate = full_runs / full_seconds if full_runs else float("nan")

    naive_seconds = []
    for seed, program in enumerate(programs[args.programs :]):
        start = time.perf_counter()
        compile_direct_trainer(task.built, prepare(program))(seed, 1.0)
        naive_seconds.append(time.perf_counter() - start)
    naive_rate = len(naive_seconds) / sum(naive_seconds)
    print(
        f"naive (jit per program): {len(naive_seconds)} candidates, "
        f"{', '.join(f'{s:.2f}' for s in naive_seconds)} s each = {naive_rate:.2f} candidates/s"
    )

    runs, source = runs_per_evaluation()
    print(f"runs per fitness evaluation: {runs:g} ({source})")
    print(f"ratio: {rate / naive_rate:.1f} rate: {rate:.1f} runs/s/core fitness: {rate / runs:.2f} evaluations/s/core")
    main_batched(args)


def main_batched(args: argparse.Namespace) -> None:
    print(f"cores: {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else 'all'}")
    programs = candidates(np.random.default_rng(args.seed), args.evaluations)
    fitnesses = {
        "default fitness": DEFAULT_FITNESS,
        "teacher-student 3x2x4x1000": TEACHER_FITNESS,
        "LION_FITNESS": LION_FITNESS,
        "lion_discovery.yaml": load_config(ROOT / "configs" / "lion_discovery.yaml").fitness,
    }
    for label, spec in fitnesses.items():
        if not args.fitness or label in args.fitness:
            batched_ratio(label, spec, programs)


if __name__ == "__main__":
    main()
