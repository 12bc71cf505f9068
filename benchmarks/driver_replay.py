"""How busy the campaign driver is with 64 workers: measured timings replayed through its own loop.

The campaign (:class:`symopt.evolve._loop.CampaignLoop`, regularized evolution
from AdamW, P=1000, T=2, its cache, history, hall of fame and checkpoints) runs
for real, but its evaluator is simulated: 64 workers on a virtual clock, each
job taking an evaluation time drawn from measured ones (the trained ``seconds``
of a run's ``history.jsonl`` with ``--history``, else a lognormal around
``--seconds``) and returning a made-up fitness. The virtual clock advances by
the driver's real time while it works and jumps to the next finished job when
it waits, so ``driver busy: P%`` = the driver's working time over the whole
(virtual) campaign time; at 100% workers would wait for the driver. The
driver's time is its CPU time by default (on a shared machine its wall time
counts the time others hold the core), ``--clock wall`` on a quiet machine.

Example:
    $ .venv/bin/python benchmarks/driver_replay.py --children 5000 --seconds 1.3
"""

from __future__ import annotations

import os
import sys

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import argparse  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import heapq  # noqa: E402
import io  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Iterator  # noqa: E402

import numpy as np  # noqa: E402

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

import symopt.evolve._loop as loop_module  # noqa: E402
from symopt.config import Budget, Config, OutputConfig  # noqa: E402
from symopt.evolve import start_campaign  # noqa: E402
from symopt.evolve.workers import Evaluator, Job, Outcome  # noqa: E402
from symopt.proxy_tasks import FitnessResult  # noqa: E402
from symopt.runs import read_history  # noqa: E402


class SimulatedWorkers(Evaluator):
    """``num_workers`` workers on a virtual clock; jobs take the given durations, in turn."""

    def __init__(self, num_workers: int, durations: np.ndarray, timer: Callable[[], float]) -> None:
        self.num_workers = num_workers
        self.timer = timer
        self.durations = durations
        self.clock = self.busy = self.idle = 0.0
        self._queue: list[tuple[float, int, Job, float]] = []
        self._count = 0
        self._last = timer()

    def _work(self) -> None:
        """The driver's real time since it last waited advances the clock."""
        now = self.timer()
        self.clock += now - self._last
        self.busy += now - self._last
        self._last = now

    def submit(self, job: Job) -> None:
        self._work()
        seconds = float(self.durations[self._count % len(self.durations)])
        self._count += 1
        heapq.heappush(self._queue, (self.clock + seconds, job.id, job, seconds))

    def wait(self, timeout: float | None = None) -> list[Outcome]:
        self._work()
        if not self._queue:
            return []
        if self._queue[0][0] > self.clock:  # every worker busy: the driver idles
            self.idle += self._queue[0][0] - self.clock
            self.clock = self._queue[0][0]
        done = []
        while self._queue and self._queue[0][0] <= self.clock:
            _, job_id, job, seconds = heapq.heappop(self._queue)
            done.append(Outcome(job_id, _made_up(job), "sim", seconds))
        self._last = self.timer()
        return done

    @property
    def pending(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        self._queue.clear()


def _made_up(job: Job) -> FitnessResult:
    """Shorter programs score higher, plus noise from the id: cheap and deterministic."""
    noise = (job.id * 2654435761 % 2**32) / 2**32
    return FitnessResult(-0.01 * len(job.program) + 0.1 * noise, "ok", "", 1.0, 0.0, (), 15, 2)


def durations(args: argparse.Namespace) -> tuple[np.ndarray, str]:
    if args.history:
        seconds = [r.seconds for r in read_history(Path(args.history)).records if r.status == "ok"]
        return np.asarray(seconds), f"{len(seconds)} trained evaluations of {args.history}"
    rng = np.random.default_rng(0)
    drawn = args.seconds * rng.lognormal(0.0, 0.3, size=10_000) / np.exp(0.3**2 / 2)
    return drawn, f"lognormal around {args.seconds} s (sigma 0.3)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=1.3, help="mean evaluation seconds without --history")
    parser.add_argument("--history", help="a history.jsonl whose trained seconds to replay")
    parser.add_argument(
        "--clock", choices=("cpu", "wall"), default="cpu",
        help="the driver's time: its CPU time (default: what it needs on a core of its own) or wall time",
    )
    args = parser.parse_args()
    times, source = durations(args)
    workers = SimulatedWorkers(args.workers, times, time.process_time if args.clock == "cpu" else time.perf_counter)

    @contextlib.contextmanager
    def simulated(*_: object) -> Iterator[Evaluator]:
        yield workers

    loop_module.open_evaluator = simulated  # the campaign's own loop, simulated workers
    with tempfile.TemporaryDirectory() as root:
        config = Config(output=OutputConfig(dir=root))
        config = dataclasses.replace(config, search=dataclasses.replace(config.search, budget=Budget(max_children=args.children)))
        result = start_campaign(config, name="replay", stream=io.StringIO())
    stats = result.stats
    print(f"evaluation times: {source}, mean {times.mean():.2f} s")
    print(
        f"{args.children} children, {stats.trained} trained, {stats.cache_hits} cache hits, "
        f"{args.workers} workers, {workers.clock:.1f} s of campaign (virtual)"
    )
    print(f"workers busy: {100 * sum(times[: workers._count]) / (args.workers * workers.clock):.0f}%")
    print(f"driver busy: {100 * workers.busy / workers.clock:.0f}% (driver time: {args.clock})")


if __name__ == "__main__":
    main()
