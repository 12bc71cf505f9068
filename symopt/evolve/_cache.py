"""The fitness cache: train each behaviour once (paper section 2.2, abstract execution).

Programs that compute their outputs from their inputs in the same way share a
functional hash (:func:`symopt.dsl.analysis.program_hash`), and so a fitness: the
search looks the hash up before paying for training, as AutoML-Zero's
functional-equivalence cache (``fec_cache.h``) does. The paper reports 89% hits.
With ``search.fingerprint`` on, the cache also maps functional fingerprints
(:mod:`symopt.evolve._fingerprint`) to the hash of the first trained program
that had each, so a child with another hash but the same fingerprint finds
that program's result (:meth:`FitnessCache.twin`).

Example:
    >>> cache = FitnessCache()
    >>> cache.get("h1") is None
    True
    >>> cache.put("h1", 0.5)
    >>> cache.get("h1"), cache.hits, cache.misses, len(cache)
    (0.5, 1, 1, 1)
    >>> cache.link("fp1", "h1")
    >>> cache.twin("fp1"), cache.twin("fp2")
    (('h1', 0.5), None)
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

__all__ = ["FitnessCache"]

R = TypeVar("R")


class FitnessCache(Generic[R]):
    """Fitness results by functional hash, counting hits and misses.

    The values are :class:`~symopt.proxy_tasks.fitness.FitnessResult` in a search;
    the cache never looks inside them. It is unbounded: a paper-scale search trains
    ~30K programs, a few MB of results.

    Attributes:
        hits: :meth:`get` calls that found the hash.
        misses: :meth:`get` calls that did not.
    """

    def __init__(self) -> None:
        self._results: dict[str, R] = {}
        self._twins: dict[str, str] = {}  # fingerprint -> hash of the first trained program with it
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> R | None:
        """The stored result for ``key``, or ``None``; counts a hit or a miss."""
        result = self._results.get(key)
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def put(self, key: str, result: R) -> None:
        """Stores ``result`` for ``key``; a later one replaces an earlier one.

        Raises:
            ValueError: for a ``None`` result, which :meth:`get` could not tell
                from a miss.
        """
        if result is None:
            raise ValueError(f"cannot cache None for hash {key!r}")
        self._results[key] = result

    def link(self, fingerprint: str, key: str) -> None:
        """Records that the program with hash ``key``, whose result is stored, has ``fingerprint``
        (the first link stays).

        Raises:
            KeyError: no result is stored for ``key``.
        """
        if key not in self._results:
            raise KeyError(f"no result for hash {key!r} to link fingerprint {fingerprint!r} to")
        self._twins.setdefault(fingerprint, key)

    def twin(self, fingerprint: str) -> tuple[str, R] | None:
        """The hash linked to ``fingerprint`` and its result, or ``None`` (counts nothing)."""
        key = self._twins.get(fingerprint)
        return None if key is None else (key, self._results[key])

    def __contains__(self, key: object) -> bool:
        # A membership test is not a lookup by the search, so it counts nothing.
        return key in self._results

    def __len__(self) -> int:
        return len(self._results)

    @property
    def hit_rate(self) -> float:
        """``hits / (hits + misses)``, 0.0 before any lookup.

        Example:
            >>> FitnessCache().hit_rate
            0.0
        """
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0

    def state_dict(self) -> dict[str, Any]:
        """A picklable snapshot: the results, the fingerprints' links and the counters.

        Example:
            >>> a = FitnessCache(); a.put("h", 1.0); _ = a.get("h")
            >>> b = FitnessCache(); b.load_state_dict(a.state_dict())
            >>> b.get("h"), b.hits
            (1.0, 2)
        """
        state = {"results": dict(self._results), "hits": self.hits, "misses": self.misses}
        return {**state, "fingerprints": dict(self._twins)} if self._twins else state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replaces this cache's contents with :meth:`state_dict`'s output (no links: none)."""
        self._results = dict(state["results"])
        links = state.get("fingerprints", {}).items()
        self._twins = {str(f): str(k) for f, k in links if k in self._results}
        self.hits = int(state["hits"])
        self.misses = int(state["misses"])
