"""A run folder: its layout, its creation, and :func:`load_run`, which reads one back.

Like PySR's ``run_id`` folders, a run folder describes itself::

    runs/quick-20250101-120000/
        config.yaml        the resolved config (every default filled in)
        history.jsonl      one JSON line per evaluated child
        checkpoint.pkl     resumable state (symopt search --resume)
        stats.json         counters and rates, and whether the campaign finished
        hall_of_fame.csv   the best distinct programs
        best/rank01_id123.py  their canonical source
        progress.png       fitness against evaluations

and, from the steps after the search (:mod:`symopt.evolve.pipeline`)::

        pipeline.json      the steps done (funnel, simplify, verdict)
        funnel.json, funnel.csv, funnel.png      stage scores of programs and baselines
        meta_validation.csv, meta_validation.png the best-so-far scored on stage B
        simplify.json, simplified.py             the chosen program, simplified
        verdict.json       its family and fitted constants
        report.md          all of it on one page

A history line holds: ``id``, ``parent_id``, ``mutation`` (insert, delete, modify,
random, warm_start), ``detail``, ``hash``, ``status`` (ok, failed, cached),
``fitness``, ``metric``, ``reason``, ``seconds`` (training), ``worker``,
``redraws``, ``length``, ``reduced_length``, ``source`` (the canonical program)
and ``t`` (seconds since the campaign started, summed over resumes). Lines are in the order results came
back, which with several workers is not the order of the ids.

Example:
    >>> run = load_run("runs/quick-20250101-120000")      # doctest: +SKIP
    >>> run.best_program, run.hall_of_fame[0]["fitness"]  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symopt.dsl.errors import DSLError
from symopt.dsl.program import Program
from symopt.dsl.source import load
from symopt.evolve.config import Config, ConfigError, load_config
from symopt.evolve.hall_of_fame import COLUMNS, best_file_name
from symopt.evolve.history import HistoryError, read_history

__all__ = [
    "BEST",
    "CHECKPOINT",
    "CONFIG",
    "HALL_OF_FAME",
    "HISTORY",
    "PROGRESS",
    "STATS",
    "Run",
    "RunError",
    "load_run",
    "new_run_dir",
    "read_json_object",
]

CONFIG = "config.yaml"
HISTORY = "history.jsonl"
CHECKPOINT = "checkpoint.pkl"
STATS = "stats.json"
HALL_OF_FAME = "hall_of_fame.csv"
BEST = "best"
PROGRESS = "progress.png"


class RunError(ValueError):
    """A run folder that is missing or damaged (the message names the file)."""


def new_run_dir(root: str | os.PathLike[str], name: str, exact: bool = False) -> Path:
    """Creates ``root/NAME-YYYYmmdd-HHMMSS`` (or ``root/NAME`` when ``exact``).

    Raises:
        RunError: with ``exact``, when the folder already exists (resume it instead).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if exact:
        path = root / name
        try:
            path.mkdir()
        except FileExistsError:
            raise RunError(f"{path}: already exists (resume it with --resume {path})") from None
        return path
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        # Two campaigns started in the same second get -2, -3, ... suffixes.
        path = root / (f"{name}-{stamp}" if n == 1 else f"{name}-{stamp}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RunError(f"{root}: cannot find a free run folder name for {name!r}")


@dataclass(frozen=True)
class Run:
    """A run folder, read back.

    Attributes:
        path: the folder.
        config: the resolved config it ran with.
        history: one dict per complete line of ``history.jsonl``.
        hall_of_fame: rows of ``hall_of_fame.csv`` with typed values, best first.
        best_program: the rank-1 program (``None`` before any was evaluated).
        stats: ``stats.json`` (empty if none was written yet).
        finished: the campaign reached its budget.
        torn_line: a half-written last history line (a crash mid-write), else ``None``.
    """

    path: Path
    config: Config
    history: list[dict[str, Any]]
    hall_of_fame: list[dict[str, Any]]
    best_program: Program | None
    stats: dict[str, Any]
    finished: bool
    torn_line: str | None = None


def load_run(path: str | os.PathLike[str]) -> Run:
    """Reads a run folder written by ``symopt search``.

    Raises:
        RunError: a missing folder or file, or a damaged one (the message names it).

    Example:
        >>> load_run("no/such/run")
        Traceback (most recent call last):
        ...
        symopt.evolve.run_dir.RunError: no/such/run: no such run folder
    """
    folder = Path(path)
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder")
    config_path = folder / CONFIG
    if not config_path.is_file():
        raise RunError(f"{config_path}: missing; is {folder} a run folder?")
    try:
        config = load_config(config_path)
        read = read_history(folder / HISTORY) if (folder / HISTORY).exists() else None
    except (ConfigError, HistoryError) as err:
        raise RunError(str(err)) from None
    if read is None:
        raise RunError(f"{folder / HISTORY}: missing; the campaign never started")
    if read.torn is not None:
        warnings.warn(f"{folder / HISTORY}: ignoring a half-written last line", stacklevel=2)
    stats = _read_stats(folder / STATS)
    hall = _read_hall(folder / HALL_OF_FAME)
    return Run(
        path=folder,
        config=config,
        history=read.records,
        hall_of_fame=hall,
        best_program=_read_best(folder / BEST, hall),
        stats=stats,
        finished=bool(stats.get("finished", False)),
        torn_line=read.torn,
    )


def read_json_object(path: Path, what: str) -> dict[str, Any] | None:
    """The JSON object in a run file, ``None`` if the file does not exist.

    Raises:
        RunError: ``FILE: unreadable WHAT (...)``, or not an object.

    Example:
        >>> read_json_object(Path("no/such/stats.json"), "stats") is None
        True
    """
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RunError(f"{path}: unreadable {what} ({err})") from None
    if not isinstance(data, dict):
        raise RunError(f"{path}: expected a JSON object")
    return data


def _read_stats(path: Path) -> dict[str, Any]:
    return read_json_object(path, "stats") or {}


_TYPES = {"rank": int, "id": int, "fitness": float, "metric": float, "length": int, "reduced_length": int}


def _read_hall(path: Path) -> list[dict[str, Any]]:
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


def _read_best(best_dir: Path, hall: list[dict[str, Any]]) -> Program | None:
    if not hall:
        return None
    path = best_dir / best_file_name(1, hall[0]["id"])
    try:
        return load(path)
    except (OSError, DSLError) as err:
        raise RunError(f"{path}: cannot read the best program ({err})") from None
