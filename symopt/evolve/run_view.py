"""A run folder opened for inspection: :func:`load_run` plus its checkpoint, and programs by id.

:func:`open_run` reads everything ``symopt show`` and ``symopt plot`` need and
works on a finished run, on one still being written, and on one that was
killed: a half-written last history line is reported in
:attr:`RunView.warnings` instead of failing. :func:`program_of` finds the
program of any child id, in this order of sources:

1. the history line's ``source`` field (every line, where the campaign records it);
2. the warm start (child 0), from the config's ``search.warm_start``;
3. the hall of fame's files, ``best/rankNN_idID.py``;
4. the last checkpoint: its hall of fame, population and children in flight.

Each candidate is checked against the hash the history recorded for that id,
so a warm-start file edited after the run is never passed off as child 0.

Example:
    >>> view = open_run("runs/quick-20250101-120000")   # doctest: +SKIP
    >>> to_source(program_of(view, 812))                # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from symopt.dsl.analysis import program_hash
from symopt.dsl.builtins import resolve
from symopt.dsl.errors import DSLError
from symopt.dsl.program import Program
from symopt.dsl.source import load, parse
from symopt.evolve.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from symopt.evolve.run_dir import BEST, CHECKPOINT, HISTORY, Run, RunError, load_run

__all__ = ["RunView", "SourceNotRecorded", "open_run", "program_of", "record_of"]

_BEST_FILE = re.compile(r"rank\d+_id(\d+)\.py")  # hall_of_fame.best_file_name's pattern
_RACE_TRIES = 3  # see open_run: the hall of fame's files are replaced one by one


class SourceNotRecorded(RunError):
    """The run kept no copy of a child's program (the message says what it did keep)."""


@dataclass(frozen=True)
class RunView:
    """A run folder, read for inspection.

    Attributes:
        run: what :func:`~symopt.evolve.run_dir.load_run` read.
        checkpoint: the last checkpoint, or ``None`` before the first one.
        checkpointed_lines: history lines the checkpoint covers (a resume drops
            and redoes the others), or ``None`` without a checkpoint.
        history_age: seconds since ``history.jsonl`` was last written.
        warnings: things worth a line on stderr (a half-written history line).
        by_id: the history line of each child id.
    """

    run: Run
    checkpoint: Checkpoint | None
    checkpointed_lines: int | None
    history_age: float
    warnings: tuple[str, ...] = ()
    by_id: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.run.history


def open_run(path: str | os.PathLike[str]) -> RunView:
    """Reads a run folder and its checkpoint.

    Raises:
        RunError: a missing or damaged folder, file or checkpoint (the message names it).

    Example:
        >>> open_run("no/such/run")
        Traceback (most recent call last):
        ...
        symopt.evolve.run_dir.RunError: no/such/run: no such run folder
    """
    run = _load_run_settled(Path(path))
    history_file = run.path / HISTORY
    notes = []
    if run.torn_line is not None:
        notes.append(
            f"{history_file}: the last line is cut short (a crash while writing it?); "
            f"showing the {len(run.history)} complete line(s)"
        )
    checkpoint, covered = _read_checkpoint(run.path)
    by_id: dict[int, dict[str, Any]] = {}
    for number, record in enumerate(run.history, start=1):
        if not isinstance(record.get("id"), int):
            raise RunError(f"{history_file}:{number}: a line without an integer 'id'")
        by_id.setdefault(record["id"], record)
    return RunView(
        run=run,
        checkpoint=checkpoint,
        checkpointed_lines=covered,
        history_age=max(0.0, time.time() - history_file.stat().st_mtime),
        warnings=tuple(notes),
        by_id=by_id,
    )


def _load_run_settled(folder: Path) -> Run:
    # A running campaign writes the best/ files, then hall_of_fame.csv, then removes the
    # files no longer named: a reader holding the old CSV can miss a removed file: read again.
    for attempt in range(_RACE_TRIES):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the torn line is reported in RunView.warnings
                return load_run(folder)
        except RunError as err:
            if f"{os.sep}{BEST}{os.sep}" not in str(err) or attempt == _RACE_TRIES - 1:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


def _read_checkpoint(folder: Path) -> tuple[Checkpoint | None, int | None]:
    path = folder / CHECKPOINT
    if not path.exists():
        return None, None
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as err:
        raise RunError(str(err)) from None
    with open(folder / HISTORY, "rb") as fh:
        covered = fh.read(checkpoint.history_bytes).count(b"\n")
    return checkpoint, covered


def record_of(view: RunView, id: int) -> dict[str, Any]:
    """The history line of child ``id``.

    Raises:
        RunError: no such child in the history.
    """
    record = view.by_id.get(id)
    if record is None:
        last = max(view.by_id, default=None)
        known = "it is empty" if last is None else f"its ids run from 0 to {last}"
        raise RunError(f"{view.path / HISTORY}: no child {id} ({known})")
    return record


def program_of(view: RunView, id: int) -> Program:
    """The program of child ``id`` (sources tried in the order of the module docstring).

    Raises:
        RunError: no such child in the history.
        SourceNotRecorded: the run kept no copy of its program.
    """
    record = record_of(view, id)
    for program in _candidates(view, id):
        if program_hash(program) == record.get("hash"):
            return program
    raise SourceNotRecorded(_not_recorded(view, id, record))


def _candidates(view: RunView, id: int) -> Iterator[Program]:
    """Programs that may be child ``id``'s, cheapest source first."""
    record = view.by_id[id]
    if "source" in record:
        try:
            yield parse(record["source"], f"{view.path / HISTORY} (child {id})")
        except DSLError as err:
            raise RunError(str(err)) from None
    if record.get("mutation") == "warm_start":
        try:
            yield resolve(view.run.config.search.warm_start)
        except (OSError, DSLError):
            pass  # the file moved since the run: other sources may still have it
    for path in sorted((view.path / BEST).glob(f"rank*_id{id}.py")):
        try:
            yield load(path)
        except (OSError, DSLError) as err:
            raise RunError(f"{path}: cannot read the program ({err})") from None
    yield from (member.program for member in _checkpointed(view) if member.id == id)


def _checkpointed(view: RunView) -> list[Any]:
    """The checkpoint's programs with an ``id``: hall of fame, population, best, in flight."""
    ckpt = view.checkpoint
    if ckpt is None:
        return []
    members: list[Any] = list(ckpt.hall.entries) if ckpt.hall is not None else []
    members += list(ckpt.searcher.get("population", ()))
    if ckpt.searcher.get("best") is not None:
        members.append(ckpt.searcher["best"])
    return members + list(ckpt.in_flight)


def _not_recorded(view: RunView, id: int, record: dict[str, Any]) -> str:
    message = (
        f"{view.path}: child {id}'s program is not recorded ({HISTORY} has no 'source' field; "
        f"only the warm start, {BEST}/ and the checkpoint's population keep programs)"
    )
    # A child with the same hash behaves identically: worth pointing to.
    kept = {m.id for m in _checkpointed(view)}
    for path in (view.path / BEST).glob("rank*_id*.py"):
        match = _BEST_FILE.fullmatch(path.name)
        if match:
            kept.add(int(match.group(1)))
    twins = sorted(
        other for other in kept if other != id and view.by_id.get(other, {}).get("hash") == record.get("hash")
    )
    if twins:
        message += f"; child {twins[0]} computes the same thing: {view.path}:{twins[0]}"
    return message
