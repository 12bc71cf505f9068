"""Campaign statistics: counters kept as a frozen value, updated by returning a new one.

The counters survive resumes (they live in the checkpoint); the rates are derived.
An *evaluation* is a child told to the searcher, trained or taken from the cache
(one line of ``history.jsonl``); *trained* counts the programs actually trained.

Example:
    >>> s = Stats().proposed(redundant=2, length=8, redraws=3).cached()
    >>> s.children, s.cache_hits, s.cache_hit_rate, s.redundant_ratio
    (1, 1, 1.0, 0.25)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from symopt.runs._records import finite_or_none

__all__ = ["Stats"]


@dataclass(frozen=True)
class Stats:
    """Counters of a campaign.

    Attributes:
        children: children proposed (the warm start excluded).
        redraws: invalid or unchanged children re-drawn before the proposed ones.
        redundant_sum: sum over proposed children of redundant statements / length.
        cache_hits: children whose fitness came from the cache (no training).
        fingerprint_hits: those of them found by functional fingerprint, not by hash
            (``search.fingerprint``).
        trained: programs trained, the warm start included.
        failed: trained programs that failed (diverged, invalid, ...).
        stopped: trained programs stopped at the hurdle (a part's score: never the best).
        evaluations: children and warm start told, i.e. history lines.
        best_fitness: the best fitness so far (``-inf`` before any).
        worker_restarts: evaluation workers that died and were replaced.
        elapsed: seconds of searching, summed over resumes.
        restarts_from_best: times the population was refilled with the best.
        neutral: children with their parent's functional hash (kept with
            ``search_space.keep_neutral``, or identity); each is also a cache hit.
    """

    children: int = 0
    redraws: int = 0
    redundant_sum: float = 0.0
    cache_hits: int = 0
    fingerprint_hits: int = 0
    trained: int = 0
    failed: int = 0
    stopped: int = 0
    evaluations: int = 0
    best_fitness: float = -math.inf
    worker_restarts: int = 0
    elapsed: float = 0.0
    restarts_from_best: int = 0
    neutral: int = 0

    def proposed(self, redundant: int, length: int, redraws: int, neutral: bool = False) -> "Stats":
        """A child was proposed with ``redundant`` of its ``length`` statements redundant
        (``neutral``: with its parent's hash)."""
        ratio = redundant / length if length else 0.0
        return dataclasses.replace(
            self,
            children=self.children + 1,
            redraws=self.redraws + redraws,
            redundant_sum=self.redundant_sum + ratio,
            neutral=self.neutral + int(neutral),
        )

    def cached(self, by_fingerprint: bool = False) -> "Stats":
        """A child's fitness came from the cache (``by_fingerprint``: through its fingerprint)."""
        return dataclasses.replace(
            self, cache_hits=self.cache_hits + 1, fingerprint_hits=self.fingerprint_hits + int(by_fingerprint)
        )

    def told(self, fitness: float, trained: bool, ok: bool, partial: bool = False) -> "Stats":
        """A result reached the searcher (and the history); ``partial``: stopped at the hurdle."""
        best = self.best_fitness
        if not partial and isinstance(fitness, (int, float)) and not math.isnan(fitness):
            best = max(best, fitness)
        return dataclasses.replace(
            self,
            evaluations=self.evaluations + 1,
            trained=self.trained + int(trained),
            failed=self.failed + int(trained and not ok),
            stopped=self.stopped + int(trained and partial),
            best_fitness=best,
        )

    @property
    def redundant_ratio(self) -> float:
        """Mean share of redundant statements in proposed children (paper: 69.8%)."""
        return self.redundant_sum / self.children if self.children else 0.0

    @property
    def cache_hit_rate(self) -> float:
        """Share of proposed children that needed no training (paper: 89.1%)."""
        return self.cache_hits / self.children if self.children else 0.0

    @property
    def evaluations_per_s(self) -> float:
        return self.evaluations / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def trained_per_s(self) -> float:
        return self.trained / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Counters and rates, JSON-ready (``stats.json``)."""
        counters = {k: finite_or_none(v) for k, v in dataclasses.asdict(self).items()}
        del counters["redundant_sum"]
        rates = {
            "redundant_ratio": self.redundant_ratio,
            "cache_hit_rate": self.cache_hit_rate,
            "evaluations_per_s": self.evaluations_per_s,
            "trained_per_s": self.trained_per_s,
        }
        return {**counters, **{k: round(v, 6) for k, v in rates.items()}}

    def summary(self) -> str:
        """One line for logs, e.g. ``children 120, 3.1 eval/s, cache 40%, best 0.1234``."""
        best = "-" if not math.isfinite(self.best_fitness) else f"{self.best_fitness:.4f}"
        stopped = f", {self.stopped} stopped at the hurdle" if self.stopped else ""
        return (
            f"children {self.children}, trained {self.trained} ({self.failed} failed{stopped}), "
            f"{self.evaluations_per_s:.2f} eval/s, cache hits {self.cache_hit_rate:.0%}, "
            f"redundant {self.redundant_ratio:.0%}, best {best}"
        )
