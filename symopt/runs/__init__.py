"""The run folder: its layout, typed records, and every reader and writer of its search files.

A run folder describes itself (like PySR's ``run_id`` folders): the resolved
config, ``history.jsonl`` (one :class:`HistoryRecord` per evaluated child), the
hall of fame and ``best/``, ``stats.json``, the checkpoint and
``progress.png``; the steps after the search add their files (names in
:mod:`symopt.runs._layout`, all of them). :func:`load_run` reads a folder back,
checkpoint included; :func:`run_status`, :func:`top_programs` and
:func:`lineage` summarise it.

Example:
    >>> from symopt.runs import HistoryRecord, count_history
    >>> lines = [HistoryRecord(0, mutation="warm_start", fitness=0.0), HistoryRecord(1, status="cached", fitness=0.0)]
    >>> count_history(lines).cache_hits, count_history(lines).children
    (1, 1)
"""

from symopt.runs._atomic import atomic_write
from symopt.runs._checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from symopt.runs._lock import Holder, RunLocked, holder_of, lock_run
from symopt.runs._compare import RunCurves, plot_runs, run_curves
from symopt.runs._hall_of_fame import COLUMNS, Entry, HallOfFame, read_hall_of_fame, write_hall_of_fame
from symopt.runs._history import HistoryError, HistoryRead, HistoryWriter, id_problems, read_history
from symopt.runs._layout import (
    BEST,
    CHECKPOINT,
    LOCK,
    OLD_CHECKPOINT,
    CONFIG,
    FUNNEL_CSV,
    FUNNEL_JSON,
    FUNNEL_PNG,
    HALL_OF_FAME,
    HISTORY,
    META_CSV,
    META_PNG,
    PIPELINE_STATE,
    PROGRESS,
    REPORT,
    SIMPLIFIED,
    SIMPLIFY_JSON,
    STATS,
    VERDICT_JSON,
    RunError,
    best_file_name,
    new_run_dir,
    read_json_object,
)
from symopt.runs._leaderboard import Ranked, top_programs
from symopt.runs._lineage import Ancestor, Lineage, lineage
from symopt.runs._plots import plot_progress, save_png
from symopt.runs._reader import Run, SourceNotRecorded, load_run, program_of, record_of
from symopt.runs._records import RANDOM, WARM_START, Candidate, HistoryRecord, Individual, finite_or_none
from symopt.runs._stats import Stats
from symopt.runs._status import Counts, RunStatus, count_history, run_status

__all__ = [
    "BEST", "CHECKPOINT", "COLUMNS", "CONFIG", "FUNNEL_CSV", "FUNNEL_JSON", "FUNNEL_PNG", "HALL_OF_FAME",
    "HISTORY", "LOCK", "META_CSV", "OLD_CHECKPOINT", "META_PNG", "PIPELINE_STATE", "PROGRESS", "RANDOM", "REPORT", "SIMPLIFIED",
    "SIMPLIFY_JSON", "STATS", "VERDICT_JSON", "WARM_START",
    "Ancestor", "Candidate", "Checkpoint", "CheckpointError", "Counts", "Entry", "HallOfFame", "HistoryError",
    "HistoryRead", "HistoryRecord", "Holder", "HistoryWriter", "Individual", "Lineage", "Ranked", "Run", "RunCurves",
    "RunError", "RunLocked", "RunStatus", "SourceNotRecorded", "Stats",
    "atomic_write", "best_file_name", "count_history", "finite_or_none", "holder_of", "id_problems", "lineage", "load_checkpoint",
    "load_run", "lock_run", "new_run_dir", "plot_progress", "plot_runs", "program_of", "read_hall_of_fame",
    "read_history", "read_json_object", "record_of", "run_curves", "run_status", "save_checkpoint",
    "save_png", "top_programs", "write_hall_of_fame",
]  # fmt: skip
