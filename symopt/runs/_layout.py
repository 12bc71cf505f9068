"""The run folder's layout: every file name, once, and the folder's creation.

Like PySR's ``run_id`` folders, a run folder describes itself::

    runs/quick-20250101-120000/
        config.yaml        the resolved config (every default filled in)
        history.jsonl      one JSON line per evaluated child
        checkpoint.json    resumable state (symopt search --resume), data only
        .lock              the writer holding the folder (symopt.runs._lock)
        stats.json         counters and rates, and whether the campaign finished
        hall_of_fame.csv   the best distinct programs
        best/rank01_id123.py  their canonical source
        progress.png       fitness against evaluations

and, from the steps after the search (:mod:`symopt.pipeline._steps`)::

        pipeline.json      the steps done (funnel, simplify, verdict)
        funnel.json, funnel.csv, funnel.png      stage scores of programs and baselines
        meta_validation.csv, meta_validation.png the best-so-far scored on stage B
        simplify.json, simplified.py             the chosen program, simplified
        verdict.json       its family and fitted constants
        report.md          all of it on one page

A history line's keys are :class:`~symopt.runs._records.HistoryRecord`'s fields.

Example:
    >>> best_file_name(1, 123), HISTORY, FUNNEL_CSV
    ('rank01_id123.py', 'history.jsonl', 'funnel.csv')
"""

from __future__ import annotations

import datetime
import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = [
    "BEST",
    "CHECKPOINT",
    "LOCK",
    "OLD_CHECKPOINT",
    "CONFIG",
    "FUNNEL_CSV",
    "FUNNEL_JSON",
    "FUNNEL_PNG",
    "HALL_OF_FAME",
    "HISTORY",
    "META_CSV",
    "META_PNG",
    "PIPELINE_STATE",
    "PROGRESS",
    "REPORT",
    "SIMPLIFIED",
    "SIMPLIFY_JSON",
    "STATS",
    "VERDICT_JSON",
    "RunError",
    "best_file_name",
    "new_run_dir",
    "read_json_object",
]

CONFIG = "config.yaml"
HISTORY = "history.jsonl"
CHECKPOINT = "checkpoint.json"
OLD_CHECKPOINT = "checkpoint.pkl"
"""The pickle checkpoint of symopt before format 2: never read (unpickling can run code)."""
LOCK = ".lock"
STATS = "stats.json"
HALL_OF_FAME = "hall_of_fame.csv"
BEST = "best"
PROGRESS = "progress.png"
PIPELINE_STATE = "pipeline.json"
FUNNEL_JSON = "funnel.json"
FUNNEL_CSV = "funnel.csv"
FUNNEL_PNG = "funnel.png"
META_CSV = "meta_validation.csv"
META_PNG = "meta_validation.png"
SIMPLIFIED = "simplified.py"
SIMPLIFY_JSON = "simplify.json"
VERDICT_JSON = "verdict.json"
REPORT = "report.md"


_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a folder name: no separator, no leading dot


class RunError(ValueError):
    """A run folder that is missing or damaged (the message names the file)."""


def best_file_name(rank: int, id: int) -> str:
    """The file of a hall-of-fame entry in ``best/``: ``best_file_name(1, 123) == "rank01_id123.py"``."""
    return f"rank{rank:02d}_id{id}.py"


def new_run_dir(root: str | os.PathLike[str], name: str, exact: bool = False) -> Path:
    """Creates ``root/NAME-YYYYmmdd-HHMMSS`` (or ``root/NAME`` when ``exact``).

    Raises:
        RunError: ``name`` is not a plain folder name (``../x``, ``a/b``), or, with
            ``exact``, the folder already exists (resume it instead).

    Example:
        >>> new_run_dir("runs", "../outside", exact=True)
        Traceback (most recent call last):
        ...
        symopt.runs._layout.RunError: run name '../outside': expected letters, digits, '_', '.', '-' (a folder inside runs)
    """
    if not _RUN_NAME.fullmatch(name):
        raise RunError(f"run name {name!r}: expected letters, digits, '_', '.', '-' (a folder inside {root})")
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
