"""Programs trained and children proposed per CPU-hour: two code trees' searches side by side.

Runs the same search (``symopt search CONFIG``, search step only: a copy of
CONFIG with only the sections a search reads; one serial worker, the same seed
and seconds budget) with each code tree given, at the
same time, each process pinned to its own core with single-threaded XLA, so
both see the same machine load. Each tree may add its own ``--set`` overrides
(e.g. a hurdle that only the newer code has). The CPU time of each search is
its process's (``os.wait4``); the counters are its run folder's
``stats.json``. Prints one row per tree and, for every tree after the first,
``trained per CPU-hour: R x`` and ``children per CPU-hour: R x`` against the
first.

The "before" tree of docs/throughput.md is the code before issue 12's
throughput work (8452845, with 1c1d233's two mutation kinds cherry-picked so
it runs configs/lion_discovery.yaml's search space): make it with
``git worktree add --detach /tmp/before 8452845 && git -C /tmp/before
cherry-pick -n 1c1d233``.

Example:
    $ .venv/bin/python benchmarks/search_rate.py configs/lion_discovery.yaml \\
          --tree before=/tmp/before --tree after=. --seconds 1800
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

SEARCH_SECTIONS = ("name", "seed", "search_space", "search", "fitness", "ray", "output")
"""What a search reads; the rest (funnel, simplify, ...) is left out of the copy both trees
load, so an older tree whose loader does not know a newer stage key still runs it."""

ROOT = Path(__file__).resolve().parents[1]
SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def parse_pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        label, sep, rest = value.partition("=")
        if not sep or not label or not rest:
            raise SystemExit(f"search_rate.py: {what} must be LABEL=VALUE, got {value!r}")
        pairs.append((label, rest))
    return pairs


def search_only(config: Path, out: Path, label: str, drop: list[str]) -> Path:
    """A copy of ``config`` with only :data:`SEARCH_SECTIONS`, ``pipeline: [search]``, and
    without the dotted keys ``drop`` (keys an older tree's loader does not know)."""
    raw = yaml.safe_load(config.read_text())
    trimmed = {key: raw[key] for key in SEARCH_SECTIONS if key in raw} | {"pipeline": ["search"]}
    for dotted in drop:
        *parents, last = dotted.split(".")
        section = trimmed
        for key in parents:
            section = section[key]
        del section[last]
    path = out / f"{label}.yaml"
    path.write_text(yaml.safe_dump(trimmed, sort_keys=False))
    return path


def launch(label: str, tree: Path, config: Path, args: argparse.Namespace, sets: list[str], core: int, out: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "symopt.cli", "search", str(config),
        "--name", label, "--set", f"output.dir={out}", "--set", "ray.serial=true",
        "--set", "pipeline=[search]", "--set", f"seed={args.seed}",
        "--set", f"search.budget.max_seconds={args.seconds}",
        "--set", "search.budget.max_trained=null", "--set", "search.budget.max_children=null",
    ]
    for item in sets:
        command += ["--set", item]
    env = {**os.environ, "PYTHONPATH": str(tree), "XLA_FLAGS": SINGLE_THREAD}
    log = open(out / f"{label}.log", "wb")  # beside the run folder out/LABEL
    return subprocess.Popen(command, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: os.sched_setaffinity(0, {core}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--tree", action="append", required=True, help="LABEL=PATH of a code tree (first = reference)")
    parser.add_argument("--extra", action="append", default=[], help="LABEL=KEY=VALUE: a --set for that tree only")
    parser.add_argument("--drop", action="append", default=[], help="LABEL=KEY: a config key that tree does not know")
    parser.add_argument("--seconds", type=float, default=1800.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/search_rate")
    args = parser.parse_args()
    trees = parse_pairs(args.tree, "--tree")
    extra = parse_pairs(args.extra, "--extra")
    drop = parse_pairs(args.drop, "--drop")
    cores = sorted(os.sched_getaffinity(0))
    if len(trees) > len(cores):
        raise SystemExit(f"search_rate.py: {len(trees)} trees need {len(trees)} cores, this process has {len(cores)}")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    procs = {}
    for (label, tree), core in zip(trees, cores):
        sets = [value for owner, value in extra if owner == label]
        config = search_only(Path(args.config), out, label, [key for owner, key in drop if owner == label])
        procs[label] = launch(label, Path(tree).resolve(), config, args, sets, core, out)
        print(f"{label}: {tree} on core {core}, extra {sets}, log {out / (label + '.log')}", flush=True)
    start = time.time()
    cpu: dict[str, float] = {}
    pids = {p.pid: label for label, p in procs.items()}
    while pids:
        pid, status, usage = os.wait4(-1, 0)
        if pid in pids:
            label = pids.pop(pid)
            cpu[label] = usage.ru_utime + usage.ru_stime
            print(f"{label}: exit {os.waitstatus_to_exitcode(status)} after {time.time() - start:.0f} s", flush=True)
    rows = {}
    for label, _ in trees:
        stats = json.loads((out / label / "stats.json").read_text())
        hours = cpu[label] / 3600
        rows[label] = (stats["trained"] / hours, stats["children"] / hours)
        print(
            f"{label:8s} children {stats['children']:6d}  trained {stats['trained']:6d}  "
            f"cache hits {stats['cache_hits']:6d}  failed {stats['failed']:5d}  best {stats['best_fitness']:+.4f}  "
            f"wall {stats['elapsed']:6.0f} s  cpu {cpu[label]:6.0f} s  "
            f"per CPU-hour: trained {rows[label][0]:7.0f}  children {rows[label][1]:7.0f}"
        )
    reference = trees[0][0]
    for label, _ in trees[1:]:
        for k, what in enumerate(("trained", "children")):
            ratio = f"{rows[label][k] / rows[reference][k]:.2f} x" if rows[reference][k] else "n/a (none in the reference)"
            print(f"{label} / {reference}: {what} per CPU-hour: {ratio}")


if __name__ == "__main__":
    main()
