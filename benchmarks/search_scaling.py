"""How a campaign's evaluation rate scales with Ray workers (run by hand, not in the tests).

Runs the same campaign (same config and seed, the default fitness) with 1 and
with 2 workers on an embedded Ray limited to 2 CPUs, and prints the steady-state
trainings per second of each and their ratio (target: >= 1.8 on 2 cores).

The default is the hparam mode: with several workers a search's path depends on
the order results come back, and in evolution mode two paths can differ a lot
in their share of candidates that fail at once (invalid, ignoring the gradient),
which moves the rate more than the workers do. Every hparam candidate costs one
full training. ``--mode evolution`` measures the real search, noise included.

"Steady state" leaves out Ray's start and each worker's first job (its compile):
the rate is measured from the moment the last worker finished its first job to
the end, from the ``t`` column of ``history.jsonl``.

Example:
    $ .venv/bin/python benchmarks/search_scaling.py
    $ .venv/bin/python benchmarks/search_scaling.py --mode evolution --trained 300
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

from symopt.evolve import start_campaign
from symopt.config import load_config
from symopt.runs import read_history

__all__ = ["main", "steady_rate"]

REPO = Path(__file__).resolve().parent.parent


def steady_rate(records: list[dict]) -> float:
    """Trainings per second once every worker has finished its first job.

    A worker's first job pays for its start, JAX's compile and the baseline's
    runs; a second worker only gets a job after the warm start (which the first
    one trains alone), so its warm-up comes later. Counting from the moment the
    last worker is warm measures the rate the campaign keeps up.

    Example:
        >>> recs = [{"status": "ok", "t": float(t), "worker": f"ray-{t % 2}"} for t in range(11)]
        >>> steady_rate(recs)
        1.0
    """
    trained = sorted((r["t"], r["worker"]) for r in records if r["status"] in ("ok", "failed"))
    first: dict[str, float] = {}
    for t, worker in trained:
        first.setdefault(worker, t)
    warm = max(first.values())
    times = [t for t, _ in trained if t >= warm]
    if len(times) < 3 or times[-1] <= times[0]:
        raise ValueError("too few trainings after the warm-up to measure a rate; raise --trained")
    return (len(times) - 1) / (times[-1] - times[0])


def run_once(config_path: str, workers: int, trained: int, root: str, seed: int, mode: str) -> float:
    overrides = [
        f"search.mode={mode}",
        "ray.serial=false",
        "ray.address=null",
        "ray.num_cpus=2",
        f"ray.num_workers={workers}",
        f"search.budget={{max_trained: {trained}}}",
        f"output.dir={root}",
        f"seed={seed}",
        # The default fitness, whatever the base config says about it.
        "fitness={}",
    ]
    config = load_config(config_path, overrides)
    result = start_campaign(config, name=f"scaling-{workers}w", stream=io.StringIO())
    return steady_rate(read_history(result.run_dir / "history.jsonl").records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "quick.yaml"))
    parser.add_argument("--trained", type=int, default=150, help="trainings per campaign (default 150)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mode",
        default="hparam",
        choices=("hparam", "evolution", "random"),
        help="search mode (default hparam: every candidate is AdamW with other constants, so "
        "each training costs the same and the ratio measures the workers, not how two "
        "diverging searches differ in their share of instant failures)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("SYMOPT_NO_PROGRESS", "1")
    rates = {}
    with tempfile.TemporaryDirectory(prefix="symopt-scaling-") as root:
        for workers in args.workers:
            rates[workers] = run_once(args.config, workers, args.trained, root, args.seed, args.mode)
            print(f"{workers} worker(s): {rates[workers]:.2f} evaluations/s", flush=True)
    base = rates[args.workers[0]]
    for workers in args.workers[1:]:
        print(f"ratio {workers}/{args.workers[0]} workers: {rates[workers] / base:.2f} (target >= 1.8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
