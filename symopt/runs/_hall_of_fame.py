"""The hall of fame: the best distinct programs of a campaign, and its files.

Programs are distinct by functional hash, so a rediscovered program (a cache
hit) never takes a second place. :func:`write_hall_of_fame` writes
``hall_of_fame.csv`` and one canonical source file per entry in ``best/``
(``rank01_id123.py``), each with a header comment saying where it came from.

Example:
    >>> from symopt.dsl import builtin
    >>> hof = HallOfFame(size=2)
    >>> hof = hof.add(Entry.of(0, builtin("adamw"), 0.0, 1.0, "warm_start", None))
    >>> hof = hof.add(Entry.of(1, builtin("lion"), 0.5, 0.8, "modify", 0))
    >>> [e.id for e in hof.entries]
    [1, 0]
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

from typing import Any

from symopt.dsl import Program, program_hash, reduce, to_source
from symopt.runs._atomic import atomic_write
from symopt.runs._layout import BEST, HALL_OF_FAME, RunError, best_file_name

__all__ = ["COLUMNS", "Entry", "HallOfFame", "read_hall_of_fame", "write_hall_of_fame"]

COLUMNS = ("rank", "id", "fitness", "metric", "hash", "length", "reduced_length", "mutation", "parent_id")
"""The columns of ``hall_of_fame.csv``."""


@dataclass(frozen=True)
class Entry:
    """A program in the hall of fame (fitness higher is better; metric lower is better)."""

    id: int
    program: Program
    fitness: float
    metric: float
    hash: str
    length: int
    reduced_length: int
    mutation: str
    parent_id: int | None

    @classmethod
    def of(
        cls, id: int, program: Program, fitness: float, metric: float, mutation: str, parent_id: int | None
    ) -> "Entry":
        """An entry with the hash and lengths computed from ``program``."""
        return cls(
            id, program, fitness, metric, program_hash(program), len(program),
            len(reduce(program)), mutation, parent_id,
        )


def _rank_key(entry: Entry) -> tuple[float, int]:
    return (-entry.fitness, entry.id)


@dataclass(frozen=True)
class HallOfFame:
    """The ``size`` fittest distinct programs, best first (ties: the earlier id first).

    Attributes:
        size: how many to keep.
        entries: best first.
    """

    size: int = 10
    entries: tuple[Entry, ...] = ()

    def add(self, entry: Entry) -> "HallOfFame":
        """The hall with ``entry`` considered (ignored if non-finite or a known hash)."""
        if not math.isfinite(entry.fitness) or any(e.hash == entry.hash for e in self.entries):
            return self
        ranked = sorted(self.entries + (entry,), key=_rank_key)[: self.size]
        return dataclasses.replace(self, entries=tuple(ranked))

    def resized(self, size: int) -> "HallOfFame":
        return dataclasses.replace(self, size=size, entries=self.entries[:size])


def _csv_text(hall: HallOfFame) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rank, e in enumerate(hall.entries, start=1):
        parent = "" if e.parent_id is None else e.parent_id
        writer.writerow(
            [rank, e.id, repr(e.fitness), repr(e.metric), e.hash, e.length, e.reduced_length, e.mutation, parent]
        )
    return out.getvalue()


def _source_with_header(run_name: str, rank: int, e: Entry) -> str:
    parent = "none" if e.parent_id is None else str(e.parent_id)
    header = (
        f"# {run_name}: rank {rank}, child {e.id} (parent {parent}, {e.mutation})\n"
        f"# fitness {e.fitness:.6g} (the baseline scores 0; higher is better), metric {e.metric:.6g}\n"
        f"# {e.length} statements, {e.reduced_length} after removing redundant ones; hash {e.hash}\n"
    )
    return header + to_source(e.program) + "\n"


def write_hall_of_fame(hall: HallOfFame, run_dir: str | os.PathLike[str]) -> None:
    """Writes ``hall_of_fame.csv`` and ``best/rankNN_idID.py`` (stale rank files removed)."""
    run_dir = Path(run_dir)
    best = run_dir / BEST
    best.mkdir(exist_ok=True)
    wanted = {}
    for rank, e in enumerate(hall.entries, start=1):
        wanted[best_file_name(rank, e.id)] = _source_with_header(run_dir.name, rank, e)
    for name, text in wanted.items():
        atomic_write(best / name, text)
    # The CSV after the files it names, so a reader never meets a missing file.
    atomic_write(run_dir / HALL_OF_FAME, _csv_text(hall))
    for stale in best.glob("rank*_id*.py"):
        if stale.name not in wanted:
            stale.unlink()


_TYPES = {"rank": int, "id": int, "fitness": float, "metric": float, "length": int, "reduced_length": int}


def read_hall_of_fame(path: Path) -> list[dict[str, Any]]:
    """The rows of ``hall_of_fame.csv`` with typed values, best first (none without the file).

    Raises:
        RunError: a damaged file (the message names it).
    """
    if not path.exists():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise ValueError(f"expected columns {', '.join(COLUMNS)}")
            rows = []
            for row in reader:
                typed: dict[str, Any] = {k: _TYPES.get(k, str)(v) for k, v in row.items()}
                typed["parent_id"] = int(row["parent_id"]) if row["parent_id"] else None
                rows.append(typed)
    except (OSError, ValueError, csv.Error) as err:
        raise RunError(f"{path}: damaged hall of fame ({err})") from None
    return rows
