"""Children proposed per second on one core, as the search proposes them from AdamW.

Regularized evolution (the default search space, P=1000, T=2) starts from
AdamW; each child is made as a campaign makes it: a tournament, a mutation
re-drawn until valid and functionally new (``ask``: mutate, validate, hash),
then reduced (the campaign counts its redundant statements). Children are told
a cheap made-up fitness (shorter reduced programs score higher, with noise
from the hash) so the population moves as a search's would. Prints
``children/s/core: N``, N = children per second of this process's CPU time (on
a shared machine wall time also counts the time others hold the core) and, with ``--hashes``, a digest of the children's
hashes (the same seed must give the same children before and after a speed-up).

With ``--against TREE`` it runs this script ``--rounds`` times on each side,
alternately, in fresh processes (one importing this tree's ``symopt``, one
``TREE``'s), and prints every figure, the ratio of the medians and whether the
two sides proposed the same children (their hash digests).

Example:
    $ .venv/bin/python benchmarks/propose.py --children 3000
    $ .venv/bin/python benchmarks/propose.py --children 3000 --against ../main --rounds 3
"""

from __future__ import annotations

import os
import sys

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import argparse  # noqa: E402
import cProfile  # noqa: E402
import hashlib  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
TREE_VARIABLE = "PROPOSE_TREE"
"""Set by ``--against``: the tree whose ``symopt`` a child process imports."""
sys.path[:0] = [os.environ.get(TREE_VARIABLE, str(HERE))]

import symopt  # noqa: E402
from symopt.config import SearchSpace  # noqa: E402
from symopt.dsl import builtin, redundant_count  # noqa: E402
from symopt.evolve import MutationFailed, RegularizedEvolution  # noqa: E402


def made_up_fitness(reduced_length: int, child_hash: str) -> float:
    """Shorter is better, plus up to 0.1 of noise from the hash: deterministic and cheap."""
    return -0.01 * reduced_length + int(child_hash[:6], 16) / 16**6 * 0.1


def propose(children: int, seed: int) -> tuple[float, float, str]:
    """CPU and wall seconds to propose ``children`` children, and the digest of their hashes."""
    evo = RegularizedEvolution(SearchSpace(), population_size=1000, tournament_size=2, seed=seed)
    evo.seed_population(builtin("adamw"), 0.0)
    digest = hashlib.sha256()
    start, cpu = time.perf_counter(), time.process_time()
    made = 0
    while made < children:
        try:
            cand = evo.ask()
        except MutationFailed:
            continue
        reduced = len(cand.program) - redundant_count(cand.program)
        digest.update(cand.hash.encode())
        evo.tell(cand, made_up_fitness(reduced, cand.hash))
        made += 1
    return time.process_time() - cpu, time.perf_counter() - start, digest.hexdigest()[:16]


def one_run(tree: Path, children: int, seed: int) -> tuple[float, str]:
    """children/s/core and the hash digest of this script run afresh on ``tree``'s ``symopt``."""
    command = [sys.executable, __file__, "--children", str(children), "--seed", str(seed), "--hashes"]
    env = {**os.environ, TREE_VARIABLE: str(tree)}
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"children/s/core: (\d+)", out)
    digest = re.search(r"children from seed \d+: (\w+)", out)
    assert rate and digest, out
    return float(rate.group(1)), digest.group(1)


def side_by_side(other: Path, children: int, seed: int, rounds: int) -> None:
    """Alternates runs of this tree and ``other``; prints each figure and the ratio of the medians."""
    figures: dict[str, list[float]] = {"this": [], "other": []}
    digests = set()
    for _ in range(rounds):
        for side, tree in (("other", other), ("this", HERE)):
            rate, digest = one_run(tree, children, seed)
            figures[side].append(rate)
            digests.add((side, digest))
    for side, tree in (("other", other), ("this", HERE)):
        print(f"{side} ({tree}): children/s/core {' '.join(f'{r:.0f}' for r in figures[side])}")
    same = len({digest for _, digest in digests}) == 1
    print(f"same children both sides: {same} ({', '.join(sorted(d for _, d in digests))})")
    ratio = statistics.median(figures["this"]) / statistics.median(figures["other"])
    print(f"children/s/core: {statistics.median(figures['this']):.0f} (ratio of medians, this / other: {ratio:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hashes", action="store_true", help="print the digest of the children's hashes")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions by own time")
    parser.add_argument("--against", type=Path, help="another checkout to run alternately with this one")
    parser.add_argument("--rounds", type=int, default=3, help="runs per side with --against")
    args = parser.parse_args()
    if args.against:
        side_by_side(args.against.resolve(), args.children, args.seed, args.rounds)
        return
    print(f"cores: {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else 'all'}")
    print(f"symopt from: {Path(symopt.__file__).parent}")
    propose(200, args.seed + 1)  # warm caches and imports
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
    cpu, wall, digest = propose(args.children, args.seed)
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
    if args.hashes:
        print(f"hashes of {args.children} children from seed {args.seed}: {digest}")
    print(f"{args.children} children in {cpu:.2f} s of CPU, {wall:.2f} s of wall time ({args.children / wall:.0f}/s)")
    print(f"children/s/core: {args.children / cpu:.0f}")


if __name__ == "__main__":
    main()
