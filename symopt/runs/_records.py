"""Typed records of a run folder: a history line, a proposed child, a population member.

:class:`HistoryRecord` is one line of ``history.jsonl``; the campaign writes it
with :meth:`HistoryRecord.to_dict` and every reader gets it back with
:meth:`HistoryRecord.from_dict`, so its keys are spelled here only. Lines
written by older campaigns (without ``source``, say) read with defaults.

Example:
    >>> rec = HistoryRecord(id=3, parent_id=1, mutation="delete", hash="ab", status="ok",
    ...                     fitness=0.5, length=8, reduced_length=6)
    >>> HistoryRecord.from_dict(rec.to_dict()) == rec
    True
    >>> rec.ok_fitness, rec.redundant_share
    (0.5, 0.25)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from symopt.dsl import Program

__all__ = ["RANDOM", "WARM_START", "Candidate", "HistoryRecord", "Individual", "Status", "finite_or_none"]

WARM_START = "warm_start"
"""The ``mutation`` of child 0, the warm start (not a mutation)."""

RANDOM = "random"
"""The ``mutation`` of a fresh random program (random search; not a mutation)."""

Status = Literal["ok", "failed", "cached"]


def finite_or_none(value: Any) -> Any:
    """``value`` unless it is a non-finite float (then ``None``: strict JSON has no inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class Individual:
    """A member of a searcher's population: an evaluated program."""

    id: int
    program: Program
    fitness: float
    hash: str


@dataclass(frozen=True)
class Candidate:
    """A proposed child, waiting for its fitness.

    Attributes:
        id: unique, increasing; the warm start is 0.
        parent_id: the tournament winner it was made from (None: warm start or random).
        program: the child.
        mutation: a mutation kind's value, :data:`RANDOM` or :data:`WARM_START`.
        detail: what changed, for people.
        redraws: children rejected before this one.
        hash: the functional hash (the cache key).
        neutral: it has its parent's hash (``search_space.keep_neutral``): a
            cache hit with the parent's fitness, never trained.
    """

    id: int
    parent_id: int | None
    program: Program
    mutation: str
    detail: str
    redraws: int
    hash: str
    neutral: bool = False


_TYPES: dict[str, tuple[type, ...]] = {
    "id": (int,), "parent_id": (int, type(None)), "mutation": (str,), "detail": (str,), "hash": (str,),
    "status": (str,), "fitness": (int, float, type(None)), "metric": (int, float, type(None)),
    "reason": (str,), "seconds": (int, float), "worker": (str,), "redraws": (int,), "length": (int,),
    "reduced_length": (int, type(None)), "t": (int, float, type(None)), "source": (str, type(None)),
    "partial": (bool,), "hurdle": (int, float, type(None)), "fingerprint": (str, type(None)),
    "same_as": (str, type(None)),
}  # fmt: skip


@dataclass(frozen=True)
class HistoryRecord:
    """One evaluated child: a line of ``history.jsonl``.

    Attributes:
        id: the child (0: the warm start).
        parent_id: its parent (``None``: the warm start or a random program).
        mutation: a ``MutationKind`` value (identity, insert, delete, modify, ...), random or warm_start.
        detail: what the mutation changed, for people.
        hash: the functional hash.
        status: ``ok``, ``failed``, or ``cached`` (a cache hit, not trained).
        fitness: higher is better (``None``: not finite).
        metric: the main task's validation loss (``None``: not finite).
        reason: why it failed (or a run's failure when ok); empty if none.
        seconds: training time.
        worker: who trained it (``serial``, ``ray-N``, ``cache``).
        redraws: rejected tries before it.
        length: statements.
        reduced_length: statements left without redundant ones (``None``: not recorded).
        t: seconds since the campaign started, summed over resumes.
        source: the canonical program (``None``: not recorded, older runs).
        partial: it stopped at the hurdle: ``fitness`` counts the hurdle's tasks only.
        hurdle: its score on the hurdle's tasks (``None``: no hurdle).
        fingerprint: its functional fingerprint, on trained children of a search with
            ``search.fingerprint`` on (``None``: not computed).
        same_as: a fingerprint hit: the hash of the trained program whose result it took
            (``None``: none; a hash hit takes its own hash's).
    """

    id: int
    parent_id: int | None = None
    mutation: str = ""
    detail: str = ""
    hash: str = ""
    status: str = "ok"
    fitness: float | None = None
    metric: float | None = None
    reason: str = ""
    seconds: float = 0.0
    worker: str = ""
    redraws: int = 0
    length: int = 0
    reduced_length: int | None = None
    t: float | None = None
    source: str | None = None
    partial: bool = False
    hurdle: float | None = None
    fingerprint: str | None = None
    same_as: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "HistoryRecord":
        """A record from a parsed line; unknown keys are ignored, missing ones default.

        Raises:
            ValueError: no integer ``id``, or a value of the wrong type (the message names the key).
        """
        if not isinstance(data.get("id"), int) or isinstance(data.get("id"), bool):
            raise ValueError("a line without an integer 'id'")
        values = {}
        for key, types in _TYPES.items():
            if key in data:
                value = data[key]
                if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                    raise ValueError(f"'{key}' is {value!r}, expected {' or '.join(t.__name__ for t in types)}")
                values[key] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The line's JSON object (non-finite numbers as ``None``; no ``source``, ``partial``,
        ``hurdle``, ``fingerprint`` or ``same_as`` key when not recorded, false or absent)."""
        data = {k: finite_or_none(v) for k, v in dataclasses.asdict(self).items()}
        for key in ("source", "partial", "hurdle", "fingerprint", "same_as"):
            if data[key] is None or data[key] is False:
                del data[key]
        return data

    @property
    def ok_fitness(self) -> float | None:
        """The fitness when the program trained fine on the whole fitness, else ``None``.

        Failures carry a floor fitness, cache hits copy an earlier line and a
        child stopped at the hurdle (``partial``) scored a part only, so none of
        them may rank a program.
        """
        fine = self.status == "ok" and not self.partial and self.fitness is not None and math.isfinite(self.fitness)
        return float(self.fitness) if fine else None  # type: ignore[arg-type]

    @property
    def redundant_share(self) -> float:
        """The share of the statements that do not affect the update."""
        reduced = self.length if self.reduced_length is None else self.reduced_length
        return (self.length - reduced) / self.length if self.length else 0.0
