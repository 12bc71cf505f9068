"""The campaign checkpoint: everything needed to resume, written atomically.

A checkpoint holds the searcher's ``state_dict`` (population, best, next id,
generator state), the fitness cache, the counters, the hall of fame, the
children still being evaluated, and the byte length of ``history.jsonl`` at that
moment. It is pickled (programs are frozen dataclasses) to a temporary file and
renamed over ``checkpoint.pkl``, so a crash leaves the previous one intact.
Reading unpickles only the classes a checkpoint holds (programs, records,
counters, fitness results), under their current names or the names they had
before symopt's packages were split, so older run folders still resume.

Example:
    >>> import tempfile, os
    >>> from symopt.runs._stats import Stats
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.pkl")
    >>> save_checkpoint(path, Checkpoint({}, {}, Stats(), None, 0, ()))
    >>> load_checkpoint(path).history_bytes
    0
"""

from __future__ import annotations

import io
import os
import pickle
from dataclasses import dataclass
from typing import Any

from symopt.dsl import Const, Program, Statement, Var
from symopt.proxy_tasks import FitnessResult, TaskScore
from symopt.runs._atomic import atomic_write
from symopt.runs._hall_of_fame import Entry, HallOfFame
from symopt.runs._records import Candidate, Individual
from symopt.runs._stats import Stats

__all__ = ["Checkpoint", "CheckpointError", "load_checkpoint", "save_checkpoint"]

FORMAT = 1
"""Bumped when the checkpoint's contents change incompatibly."""


class CheckpointError(ValueError):
    """A checkpoint that cannot be read (the message names the file)."""


@dataclass(frozen=True)
class Checkpoint:
    """A resumable snapshot of a campaign.

    Attributes:
        searcher: :meth:`RegularizedEvolution.state_dict`.
        cache: :meth:`FitnessCache.state_dict`.
        stats: the counters.
        hall: the :class:`~symopt.runs._hall_of_fame.HallOfFame`.
        history_bytes: ``history.jsonl``'s length when this was written.
        in_flight: children proposed but not yet told; resubmitted on resume.
        finished: the campaign reached its budget.
        format: :data:`FORMAT` at writing time.
    """

    searcher: dict[str, Any]
    cache: dict[str, Any]
    stats: Stats
    hall: HallOfFame | None
    history_bytes: int
    in_flight: tuple[Candidate, ...]
    finished: bool = False
    format: int = FORMAT


def save_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> None:
    """Writes ``checkpoint`` atomically (temporary file, fsync, rename)."""
    atomic_write(path, pickle.dumps(checkpoint, protocol=pickle.HIGHEST_PROTOCOL))


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Reads a checkpoint.

    Raises:
        CheckpointError: missing, unreadable, corrupt or of another format.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            checkpoint = _Unpickler(io.BytesIO(fh.read())).load()
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the checkpoint: {err.strerror}") from None
    except Exception as err:  # pickle raises many types on a damaged file
        raise CheckpointError(f"{path}: corrupt checkpoint ({type(err).__name__}: {err})") from None
    if not isinstance(checkpoint, Checkpoint):
        raise CheckpointError(f"{path}: not a symopt checkpoint")
    if checkpoint.format != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {checkpoint.format}, this symopt reads {FORMAT}")
    return checkpoint


def _allowed() -> dict[tuple[str, str], Any]:
    """The classes a checkpoint may name, by (module, name), old names included."""
    classes: list[Any] = [Checkpoint, Candidate, Individual, Entry, HallOfFame, Stats, Program, Statement, Var, Const]
    classes += [FitnessResult, TaskScore]
    allowed = {(c.__module__, c.__qualname__): c for c in classes}
    before_split = {
        "symopt.evolve.checkpoint": Checkpoint, "symopt.evolve.evolution": Candidate,
        "symopt.evolve.stats": Stats, "symopt.evolve.hall_of_fame": HallOfFame,
    }  # fmt: skip
    for module, cls in before_split.items():
        allowed[(module, cls.__name__)] = cls
    allowed[("symopt.evolve.hall_of_fame", "Entry")] = Entry
    allowed[("symopt.evolve.evolution", "Individual")] = Individual
    return allowed


class _Unpickler(pickle.Unpickler):
    """Refuses every global but the checkpoint's own classes (and their pre-split names)."""

    def find_class(self, module: str, name: str) -> Any:
        found = _allowed().get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a symopt checkpoint")
        return found

