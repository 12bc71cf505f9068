"""What a search run found: counters, the best program, and the families of its top programs.

For a run folder: children proposed, trained, neutral (kept with their parent's
hash), cache hits, the best fitness and program, and ``classify``'s family for
each of the top N distinct behaviours (by hash) in the history, so one can see
whether any signum- or Lion-family program was found at all.

Usage:
    python benchmarks/search_outcome.py runs/armB_s0 [--top 30]
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path
from typing import Sequence

from symopt.dsl import parse, to_source
from symopt.runs import read_history
from symopt.simplify import classify

__all__ = ["main"]


def _g(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    stats = json.loads((args.run_dir / "stats.json").read_text())
    print(f"{args.run_dir.name}: children {stats['children']}, trained {stats['trained']}, "
          f"neutral {stats.get('neutral', 0)}, cache hits {stats['cache_hits']}, "
          f"elapsed {stats['elapsed']:.0f} s, best {stats['best_fitness']:+.3f}")
    records = [r for r in read_history(args.run_dir / "history.jsonl").records if r.status != "failed"]
    best_by_hash: dict[str, object] = {}
    for r in sorted(records, key=lambda r: -r.fitness):
        best_by_hash.setdefault(r.hash, r)
    top = list(best_by_hash.values())[: args.top]
    families = collections.Counter()
    for rank, r in enumerate(top, 1):
        verdict = classify(parse(r.source))
        families[verdict.family] += 1
        if rank <= 5:
            print(f"  rank {rank} id {r.id} fitness {r.fitness:+.3f} family {verdict.family} "
                  f"(beta1 {_g(verdict.beta1)}, beta2 {_g(verdict.beta2)}, decay {_g(verdict.weight_decay)})")
    print(f"  families of the top {len(top)} distinct behaviours: {dict(families)}")
    print("  best program:\n" + "\n".join("    " + line for line in to_source(parse(top[0].source)).splitlines()))


if __name__ == "__main__":
    main()
