"""Reading a run folder back: :func:`load_run`, and the program of any child id.

Like PySR's ``from_file``, one call reloads a run: its config, history (typed
records), hall of fame, best program, stats and last checkpoint. It works on a
finished run, on one still being written, and on one that was killed: a
half-written last history line, a damaged history (a repeated child id, with
its line numbers) and a missing, corrupt or old pickle checkpoint are reported
in :attr:`Run.warnings` instead of failing: the history alone is enough to read
a run. A checkpoint is only ever read as data (:mod:`symopt.runs._checkpoint`). :func:`program_of` finds the
program of any child id, in this order of sources:

1. the history line's ``source`` field (every line, where the campaign records it);
2. the warm start (child 0), from the config's ``search.warm_start``;
3. the hall of fame's files, ``best/rankNN_idID.py``;
4. the last checkpoint: its hall of fame, population and children in flight.

Each candidate is checked against the hash the history recorded for that id,
so a warm-start file edited after the run is never passed off as child 0.

Example:
    >>> run = load_run("runs/quick-20250101-120000")   # doctest: +SKIP
    >>> program_of(run, run.hall_of_fame[0]["id"]) == run.best_program  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from symopt.config import Config, ConfigError, load_config
from symopt.dsl import DSLError, Program, load, parse, program_hash, resolve
from symopt.runs._checkpoint import Checkpoint, CheckpointError, load_checkpoint
from symopt.runs._hall_of_fame import read_hall_of_fame
from symopt.runs._history import HistoryError, HistoryRead, id_problems, read_history
from symopt.runs._layout import BEST, CHECKPOINT, CONFIG, HALL_OF_FAME, HISTORY, OLD_CHECKPOINT, STATS, RunError
from symopt.runs._layout import best_file_name
from symopt.runs._layout import read_json_object
from symopt.runs._records import WARM_START, HistoryRecord

__all__ = ["Run", "SourceNotRecorded", "load_run", "program_of", "record_of"]

_BEST_FILE = re.compile(r"rank\d+_id(\d+)\.py")  # best_file_name's pattern
_RACE_TRIES = 3  # see load_run: the hall of fame's files are replaced one by one


class SourceNotRecorded(RunError):
    """The run kept no copy of a child's program (the message says what it did keep)."""


@dataclass(frozen=True)
class Run:
    """A run folder, read back.

    Attributes:
        path: the folder.
        config: the resolved config it ran with.
        history: one record per complete line of ``history.jsonl``.
        hall_of_fame: rows of ``hall_of_fame.csv`` with typed values, best first.
        best_program: the rank-1 program (``None`` before any was evaluated).
        stats: ``stats.json`` (empty if none was written yet).
        finished: the campaign reached its budget (by ``stats.json`` or the checkpoint).
        torn_line: a half-written last history line (a crash mid-write), else ``None``.
        checkpoint: the last checkpoint, or ``None`` before the first one.
        checkpointed_lines: history lines the checkpoint covers (a resume drops
            and redoes the others), or ``None`` without a checkpoint.
        history_age: seconds since ``history.jsonl`` was last written.
        warnings: things worth a line on stderr (a half-written history line, a
            damaged history, a checkpoint that could not be read).
        by_id: the history record of each child id (the first, if repeated).
    """

    path: Path
    config: Config
    history: list[HistoryRecord]
    hall_of_fame: list[dict[str, Any]]
    best_program: Program | None
    stats: dict[str, Any]
    finished: bool
    torn_line: str | None = None
    checkpoint: Checkpoint | None = None
    checkpointed_lines: int | None = None
    history_age: float = 0.0
    warnings: tuple[str, ...] = ()
    by_id: dict[int, HistoryRecord] = field(default_factory=dict, repr=False)


def load_run(path: str | os.PathLike[str]) -> Run:
    """Reads a run folder written by ``symopt search``, its checkpoint included.

    Raises:
        RunError: a missing folder or file, or a damaged one (the message names it).

    Example:
        >>> load_run("no/such/run")
        Traceback (most recent call last):
        ...
        symopt.runs._layout.RunError: no/such/run: no such run folder
    """
    folder = Path(path)
    for attempt in range(_RACE_TRIES):
        try:
            return _load(folder)
        except RunError as err:
            # A running campaign writes the best/ files, then hall_of_fame.csv, then removes the
            # files no longer named: a reader holding the old CSV can miss a removed file: read again.
            if f"{os.sep}{BEST}{os.sep}" not in str(err) or attempt == _RACE_TRIES - 1:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


def _load(folder: Path) -> Run:
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder")
    config_path = folder / CONFIG
    if not config_path.is_file():
        raise RunError(f"{config_path}: missing; is {folder} a run folder?")
    history_file = folder / HISTORY
    try:
        config = load_config(config_path)
        read = read_history(history_file) if history_file.exists() else None
    except (ConfigError, HistoryError) as err:
        raise RunError(str(err)) from None
    if read is None:
        raise RunError(f"{history_file}: missing; the campaign never started")
    notes = []
    if read.torn is not None:
        notes.append(
            f"{history_file}: the last line is cut short (a crash while writing it?); "
            f"showing the {len(read.records)} complete line(s)"
        )
    stats = read_json_object(folder / STATS, "stats") or {}
    hall = read_hall_of_fame(folder / HALL_OF_FAME)
    checkpoint, covered = _read_checkpoint(folder, read, notes)
    by_id: dict[int, HistoryRecord] = {}
    for record in read.records:
        by_id.setdefault(record.id, record)
    return Run(
        path=folder,
        config=config,
        history=read.records,
        hall_of_fame=hall,
        best_program=_read_best(folder / BEST, hall),
        stats=stats,
        finished=bool(stats.get("finished", False)) or bool(checkpoint is not None and checkpoint.finished),
        torn_line=read.torn,
        checkpoint=checkpoint,
        checkpointed_lines=covered,
        history_age=max(0.0, time.time() - history_file.stat().st_mtime),
        warnings=tuple(notes),
        by_id=by_id,
    )


def _read_checkpoint(folder: Path, read: HistoryRead, notes: list[str]) -> tuple[Checkpoint | None, int | None]:
    """The checkpoint and the history lines it covers; what is wrong goes to ``notes``."""
    path = folder / CHECKPOINT
    checkpoint = covered = None
    if path.exists():
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as err:
            notes.append(f"{err}; showing {HISTORY} alone")
    elif (folder / OLD_CHECKPOINT).exists():
        notes.append(
            f"{folder / OLD_CHECKPOINT}: a checkpoint of an older symopt (pickle), never read: it could run code; "
            f"showing {HISTORY} alone (symopt search --resume {folder} rebuilds the search from it)"
        )
    expected = None
    if checkpoint is not None:
        covered = sum(1 for end in read.ends if end <= checkpoint.history_bytes)
        in_flight = {c.id for c in checkpoint.in_flight}
        next_id = checkpoint.searcher.get("next_id")
        if isinstance(next_id, int):
            expected = set(range(next_id)) - in_flight
    notes += id_problems(read.records, folder / HISTORY, expected, covered or 0)
    return checkpoint, covered


def record_of(view: Run, id: int) -> HistoryRecord:
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


def program_of(view: Run, id: int) -> Program:
    """The program of child ``id`` (sources tried in the order of the module docstring).

    Raises:
        RunError: no such child in the history.
        SourceNotRecorded: the run kept no copy of its program.
    """
    record = record_of(view, id)
    for program in _candidates(view, id):
        if program_hash(program) == record.hash:
            return program
    raise SourceNotRecorded(_not_recorded(view, id, record))


def _candidates(view: Run, id: int) -> Iterator[Program]:
    """Programs that may be child ``id``'s, cheapest source first."""
    record = view.by_id[id]
    if record.source is not None:
        try:
            yield parse(record.source, f"{view.path / HISTORY} (child {id})")
        except DSLError as err:
            raise RunError(str(err)) from None
    if record.mutation == WARM_START:
        try:
            yield resolve(view.config.search.warm_start)
        except (OSError, DSLError):
            pass  # the file moved since the run: other sources may still have it
    for path in sorted((view.path / BEST).glob(f"rank*_id{id}.py")):
        try:
            yield load(path)
        except (OSError, DSLError) as err:
            raise RunError(f"{path}: cannot read the program ({err})") from None
    yield from (member.program for member in _checkpointed(view) if member.id == id)


def _checkpointed(view: Run) -> list[Any]:
    """The checkpoint's programs with an ``id``: hall of fame, population, best, in flight."""
    ckpt = view.checkpoint
    if ckpt is None:
        return []
    members: list[Any] = list(ckpt.hall.entries) if ckpt.hall is not None else []
    members += list(ckpt.searcher.get("population", ()))
    if ckpt.searcher.get("best") is not None:
        members.append(ckpt.searcher["best"])
    return members + list(ckpt.in_flight)


def _not_recorded(view: Run, id: int, record: HistoryRecord) -> str:
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
        other for other in kept if other != id and other in view.by_id and view.by_id[other].hash == record.hash
    )
    if twins:
        message += f"; child {twins[0]} computes the same thing: {view.path}:{twins[0]}"
    return message


def _read_best(best_dir: Path, hall: list[dict[str, Any]]) -> Program | None:
    if not hall:
        return None
    path = best_dir / best_file_name(1, hall[0]["id"])
    try:
        return load(path)
    except (OSError, DSLError) as err:
        raise RunError(f"{path}: cannot read the best program ({err})") from None
