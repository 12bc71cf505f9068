"""Cache hits the functional fingerprint adds to the hash's, what it costs, and how often it is wrong.

A search-like stream of children (as ``benchmarks/propose.py`` makes them:
regularized evolution from the config's warm start, with the config's search
space, population and tournament) goes through the campaign's two caches: a
child whose hash was seen is a hash hit; else its fingerprint
(``symopt.evolve._fingerprint``, with the config's ``fitness.decay_multipliers``)
is looked up: a fingerprint hit; else it counts as trained. Children are told
``propose.py``'s cheap made-up fitness (a hit: its twin's), so the population
moves as a search's would without training anyone. Prints the children, hash
hits, fingerprint hits (the hit rate they add), the fingerprint's cost per
program, the hits other rounding (``--digits``) would have given on the same
stream, and a false-hit check: for ``--pairs`` fingerprint hits drawn at random,
both programs are evaluated with the config's real fitness, and a pair whose
fitnesses differ by more than ``--tolerance`` (or whose statuses differ) is a
false hit. The fitness is deterministic (fixed seeds and batches), so a program
and itself score exactly alike: any difference comes from the programs.

Example:
    $ XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
        taskset -c 1 .venv/bin/python benchmarks/fingerprint_hits.py configs/lion_discovery.yaml
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from propose import made_up_fitness  # noqa: E402
from symopt.config import Config, FingerprintConfig, load_config  # noqa: E402
from symopt.dsl import Program, program_hash, redundant_count, resolve, to_source  # noqa: E402
from symopt.evolve import MutationFailed, RegularizedEvolution  # noqa: E402
from symopt.evolve._fingerprint import fingerprint  # noqa: E402
from symopt.proxy_tasks import evaluate_fitness  # noqa: E402


def stream(config: Config, children: int, digits: tuple[int, ...]) -> dict:
    """Runs the stream; returns the counts, the fingerprint times and the hit pairs."""
    search, decay = config.search, config.fitness.decay_multipliers
    settings = replace(search.fingerprint, enabled=True)
    evo = RegularizedEvolution(
        config.search_space, search.population_size, search.tournament_size, seed=config.seed, mode=search.mode
    )
    warm = resolve(search.warm_start)
    fitness: dict[str, float] = {}  # the hash cache
    programs: dict[str, Program] = {}
    index: dict[str, str] = {}  # fingerprint -> hash, at the configured digits
    others = {d: {} for d in digits}  # the same at other digits, on the same stream
    other_hits = dict.fromkeys(digits, 0)
    seconds: list[float] = []
    pairs: list[tuple[Program, Program]] = []
    hash_hits = made = 0

    def train(program: Program, key: str, fp: str | None) -> float:
        fitness[key], programs[key] = made_up_fitness(len(program) - redundant_count(program), key), program
        if fp is not None:
            index.setdefault(fp, key)
        return fitness[key]

    first = time.perf_counter()
    warm_fp = fingerprint(warm, settings, decay)
    compile_s = time.perf_counter() - first
    evo.seed_population(warm, train(warm, program_hash(warm), warm_fp))
    for d in digits:
        others[d].setdefault(fingerprint(warm, replace(settings, digits=d), decay), program_hash(warm))
    while made < children:
        try:
            cand = evo.ask()
        except MutationFailed:
            continue
        made += 1
        if cand.hash in fitness:
            hash_hits += 1
            evo.tell(cand, fitness[cand.hash])
            continue
        start = time.perf_counter()
        fp = fingerprint(cand.program, settings, decay)
        seconds.append(time.perf_counter() - start)
        for d in digits:
            other = fingerprint(cand.program, replace(settings, digits=d), decay)
            other_hits[d] += other in others[d]
            others[d].setdefault(other, cand.hash)
        twin = index.get(fp)
        if twin is not None:
            pairs.append((cand.program, programs[twin]))
            evo.tell(cand, fitness[twin])
        else:
            evo.tell(cand, train(cand.program, cand.hash, fp))
    return {
        "children": made, "hash_hits": hash_hits, "fp_hits": len(pairs), "seconds": seconds,
        "compile_s": compile_s, "pairs": pairs, "other_hits": other_hits,
    }  # fmt: skip


def false_hits(config: Config, pairs: list[tuple[Program, Program]], n: int, tolerance: float, seed: int) -> None:
    """Evaluates ``n`` random pairs with the real fitness; prints each and the false hits."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(pairs), size=min(n, len(pairs)), replace=False) if pairs else []
    evaluate_fitness(resolve(config.search.warm_start), config.fitness)  # compiles; the baseline's runs
    wrong, diffs, start = [], [], time.perf_counter()
    for k in chosen:
        child, twin = pairs[int(k)]
        a, b = evaluate_fitness(child, config.fitness), evaluate_fitness(twin, config.fitness)
        diff = abs(a.fitness - b.fitness) if np.isfinite(a.fitness) and np.isfinite(b.fitness) else np.inf
        diffs.append(diff)
        bad = a.status != b.status or not diff <= tolerance
        print(f"  pair {int(k):5d}: fitness {a.fitness:+.6f} ({a.status}) vs {b.fitness:+.6f} ({b.status}), "
              f"|diff| {diff:.2e}{'  FALSE HIT' if bad else ''}")  # fmt: skip
        if bad:
            wrong.append((child, twin))
    for child, twin in wrong[:3]:
        print(f"--- a false hit:\n{to_source(child)}--- its twin:\n{to_source(twin)}")
    took = time.perf_counter() - start
    print(f"pairs checked: {len(chosen)} ({took:.0f} s, {took / max(2 * len(chosen), 1):.2f} s per program)")
    if diffs:
        finite = [d for d in diffs if np.isfinite(d)]
        print(f"|fitness difference|: median {statistics.median(finite):.2e}, max {max(finite):.2e}" if finite else "")
    print(f"false hits: {len(wrong)} of {len(chosen)} (|diff| > {tolerance:g} or another status)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="a campaign YAML: its search space, search and fitness")
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=25, help="fingerprint hits re-evaluated (0: none)")
    parser.add_argument("--tolerance", type=float, default=1e-3, help="a fitness difference above is false")
    parser.add_argument("--digits", type=int, nargs="*", default=[3, 4, 5, 6], help="roundings to count")
    parser.add_argument("--set", action="append", default=[], help="config overrides, as symopt search --set")
    args = parser.parse_args()
    config = load_config(args.config, args.set)
    fp = replace(config.search.fingerprint, enabled=True)
    print(f"config: {args.config} (population {config.search.population_size}, tournament "
          f"{config.search.tournament_size}, decay multipliers {list(config.fitness.decay_multipliers)}); "
          f"fingerprint: {fp.steps} steps, {fp.digits} digits")  # fmt: skip
    out = stream(config, args.children, tuple(args.digits))
    n, misses = out["children"], out["children"] - out["hash_hits"]
    ms = [1e3 * s for s in out["seconds"]]
    print(f"children: {n}")
    print(f"hash hits: {out['hash_hits']} ({out['hash_hits'] / n:.1%} of children)")
    print(f"fingerprint hits: {out['fp_hits']} ({out['fp_hits'] / n:.1%} of children, "
          f"{out['fp_hits'] / max(misses, 1):.1%} of hash misses)")  # fmt: skip
    print(f"trained: {misses - out['fp_hits']} (without fingerprints: {misses}; "
          f"{misses / max(misses - out['fp_hits'], 1):.3f}x as many)")  # fmt: skip
    print(f"fingerprint cost: mean {statistics.mean(ms):.2f} ms, median {statistics.median(ms):.2f} ms per program "
          f"({len(ms)} programs; the first call compiles: {out['compile_s']:.1f} s)")  # fmt: skip
    for d, hits in out["other_hits"].items():
        print(f"  {d} digits on the same stream (every hash miss indexed): {hits} fingerprint hits")
    if args.pairs:
        false_hits(config, out["pairs"], args.pairs, args.tolerance, config.seed)


if __name__ == "__main__":
    main()
