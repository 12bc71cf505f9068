"""The campaign checkpoint: everything needed to resume, written atomically.

A checkpoint holds the searcher's ``state_dict`` (population, best, next id,
generator state), the fitness cache, the counters, the hall of fame, the
children still being evaluated, and the byte length of ``history.jsonl`` at that
moment. It is pickled (programs are frozen dataclasses) to a temporary file and
renamed over ``checkpoint.pkl``, so a crash leaves the previous one intact.

Example:
    >>> import tempfile, os
    >>> from symopt.evolve.stats import Stats
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.pkl")
    >>> save_checkpoint(path, Checkpoint({}, {}, Stats(), None, 0, ()))
    >>> load_checkpoint(path).history_bytes
    0
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from typing import Any

from symopt.evolve.atomic import atomic_write
from symopt.evolve.evolution import Candidate
from symopt.evolve.hall_of_fame import HallOfFame
from symopt.evolve.stats import Stats

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
        hall: the :class:`~symopt.evolve.hall_of_fame.HallOfFame`.
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
            checkpoint = pickle.load(fh)
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the checkpoint: {err.strerror}") from None
    except Exception as err:  # pickle raises many types on a damaged file
        raise CheckpointError(f"{path}: corrupt checkpoint ({type(err).__name__}: {err})") from None
    if not isinstance(checkpoint, Checkpoint):
        raise CheckpointError(f"{path}: not a symopt checkpoint")
    if checkpoint.format != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {checkpoint.format}, this symopt reads {FORMAT}")
    return checkpoint
