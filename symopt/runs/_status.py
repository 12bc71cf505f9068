"""Where a campaign stands: its counters, recomputed from ``history.jsonl``.

``stats.json`` is rewritten only at checkpoints; the history gains a line per
evaluated child, so counting its lines is current even while the campaign runs
and after it was killed. Only *finished* comes from ``stats.json`` (or the
checkpoint): the history cannot tell a finished run from a stopped one.

Example:
    >>> from symopt.runs._records import HistoryRecord as R
    >>> recs = [R(0, mutation="warm_start", status="ok", fitness=0.0, t=1.0, length=9, reduced_length=9),
    ...         R(1, mutation="delete", status="cached", fitness=0.0, t=1.5, length=8, reduced_length=6)]
    >>> s = count_history(recs)
    >>> s.children, s.cache_hits, s.cache_hit_rate, s.redundant_ratio, s.best_id
    (1, 1, 1.0, 0.25, 0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable

from symopt.config import Budget
from symopt.runs._reader import Run
from symopt.runs._records import WARM_START, HistoryRecord

__all__ = ["Counts", "RunStatus", "count_history", "run_status"]


@dataclass(frozen=True)
class Counts:
    """Counters over history lines (the same meanings as :class:`~symopt.runs._stats.Stats`).

    Attributes:
        evaluations: history lines, the warm start included.
        children: lines other than the warm start.
        trained: programs trained (lines not served by the cache).
        failed: trained programs that failed.
        stopped: trained programs stopped at the hurdle (``partial``: a part's score).
        cache_hits: children served by the cache.
        fingerprint_hits: those served through their functional fingerprint (``same_as``).
        best_fitness: the best fitness of a program that trained fine (``None`` if none).
        best_id: the child that has it (the earliest on ties).
        wall_seconds: searching time at the last line (summed over resumes).
        redundant_ratio: mean share of redundant statements in children.
    """

    evaluations: int = 0
    children: int = 0
    trained: int = 0
    failed: int = 0
    stopped: int = 0
    cache_hits: int = 0
    fingerprint_hits: int = 0
    best_fitness: float | None = None
    best_id: int | None = None
    wall_seconds: float = 0.0
    redundant_ratio: float = 0.0

    @property
    def cache_hit_rate(self) -> float:
        """Share of children that needed no training."""
        return self.cache_hits / self.children if self.children else 0.0


def count_history(records: Iterable[HistoryRecord]) -> Counts:
    """Counts the lines of a history (see the module example)."""
    evaluations = children = trained = failed = stopped = cached = by_fingerprint = 0
    best: tuple[float, int] | None = None
    wall = redundant = 0.0
    for rec in records:
        evaluations += 1
        if rec.mutation != WARM_START:
            children += 1
            redundant += rec.redundant_share
        if rec.status == "cached":
            cached += 1
            by_fingerprint += int(rec.same_as is not None)
        else:
            trained += 1
            failed += int(rec.status == "failed")
            stopped += int(rec.partial)
        fitness, id = rec.ok_fitness, rec.id
        if fitness is not None and (best is None or (fitness, -id) > (best[0], -best[1])):
            best = (fitness, id)  # ties: the earlier id, as in the hall of fame
        if rec.t is not None:
            wall = max(wall, float(rec.t))
    return Counts(
        evaluations=evaluations,
        children=children,
        trained=trained,
        failed=failed,
        stopped=stopped,
        cache_hits=cached,
        fingerprint_hits=by_fingerprint,
        best_fitness=None if best is None else best[0],
        best_id=None if best is None else best[1],
        wall_seconds=wall,
        redundant_ratio=redundant / children if children else 0.0,
    )


@dataclass(frozen=True)
class RunStatus:
    """A run's identity, counters and state.

    Attributes:
        path: the run folder.
        name: ``config.name``.
        mode: ``search.mode`` (evolution, random, hparam).
        seed: ``config.seed``.
        counts: the history's counters.
        budget: ``search.budget``.
        finished: the campaign reached its budget.
        history_age: seconds since the last history line was written.
        checkpointed_lines: history lines the last checkpoint covers (``None``: no checkpoint).
    """

    path: str
    name: str
    mode: str
    seed: int
    counts: Counts
    budget: Budget
    finished: bool
    history_age: float
    checkpointed_lines: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the counters flattened in, rates added, ``None`` for unknowns."""
        plain = asdict(self)
        counts = plain.pop("counts")
        return {**plain, **counts, "cache_hit_rate": self.counts.cache_hit_rate}


def run_status(view: Run) -> RunStatus:
    """The status of a run folder read by :func:`~symopt.runs._reader.load_run`."""
    config = view.config
    return RunStatus(
        path=str(view.path),
        name=config.name,
        mode=config.search.mode,
        seed=config.seed,
        counts=count_history(view.history),
        budget=config.search.budget,
        finished=view.finished,
        history_age=view.history_age,
        checkpointed_lines=view.checkpointed_lines,
    )
