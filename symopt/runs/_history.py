"""``history.jsonl``: one JSON line per evaluated child, durable line by line.

Each line is flushed and fsynced before the campaign moves on, so after a crash
the file holds every line up to the last one, which may be half-written. A
checkpoint records the file's byte length; resuming truncates the file back to
it (:meth:`HistoryWriter.open`), dropping lines the checkpoint does not know of.
Non-finite numbers are written as ``null``: the file is strict JSON.

Lines are :class:`~symopt.runs._records.HistoryRecord` values both ways.

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "history.jsonl")
    >>> with HistoryWriter.open(path) as log:
    ...     size = log.append(HistoryRecord(id=0, fitness=float("-inf")))
    >>> read_history(path).records[0].fitness is None
    True
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import BinaryIO

from symopt.runs._records import HistoryRecord

__all__ = ["HistoryError", "HistoryRead", "HistoryWriter", "id_problems", "read_history"]


class HistoryError(ValueError):
    """A history file that cannot be read or resumed (the message names the file)."""


class HistoryWriter:
    """Appends records to a JSON-lines file, each one flushed and fsynced.

    Use :meth:`open`; the writer is a context manager.
    """

    def __init__(self, path: str, handle: BinaryIO) -> None:
        self.path = path
        self._fh = handle

    @classmethod
    def open(cls, path: str | os.PathLike[str], truncate_to: int | None = None) -> "HistoryWriter":
        """Opens ``path`` for appending; with ``truncate_to``, first cuts it to that many bytes.

        Raises:
            HistoryError: the file is shorter than ``truncate_to`` (lines the
                checkpoint counted are missing).
        """
        path = os.fspath(path)
        fh = open(path, "ab")
        if truncate_to is not None:
            size = fh.seek(0, os.SEEK_END)
            if size < truncate_to:
                fh.close()
                raise HistoryError(
                    f"{path}: has {size} bytes but the checkpoint counted {truncate_to}; "
                    "the run folder was changed after the checkpoint"
                )
            fh.truncate(truncate_to)
            fh.flush()
            os.fsync(fh.fileno())
        return cls(path, fh)

    @property
    def size(self) -> int:
        """Bytes written so far: what a checkpoint records."""
        return self._fh.seek(0, os.SEEK_END)

    def append(self, record: HistoryRecord) -> int:
        """Writes one line durably; returns the file's new byte length."""
        line = json.dumps(record.to_dict(), allow_nan=False, separators=(",", ":")) + "\n"
        self._fh.write(line.encode("utf-8"))
        self._fh.flush()
        # fsync per line: a crash loses at most the line being written.
        os.fsync(self._fh.fileno())
        return self.size

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "HistoryWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class HistoryRead:
    """What :func:`read_history` found.

    Attributes:
        records: one record per complete line, in file order.
        torn: the text of a half-written last line (a crash mid-write), or ``None``.
        ends: the file's byte length after each complete line.
    """

    records: list[HistoryRecord]
    torn: str | None = None
    ends: tuple[int, ...] = ()


def read_history(path: str | os.PathLike[str], limit: int | None = None) -> HistoryRead:
    """Reads a history file, tolerating a half-written last line.

    Args:
        path: the ``history.jsonl`` file.
        limit: read only the first ``limit`` bytes (a checkpoint's length).

    Raises:
        HistoryError: unreadable file, or a complete line that is not a history
            record (``FILE:LINE: ...``).
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read() if limit is None else fh.read(limit)
    except OSError as err:
        raise HistoryError(f"{path}: cannot read the history: {err.strerror}") from None
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: empty, or a line cut short
    records, ends, end = [], [], 0
    for number, line in enumerate(lines, start=1):
        end += len(line) + 1
        ends.append(end)
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise HistoryError(f"{path}:{number}: not a JSON line: {err}") from None
        if not isinstance(record, dict):
            raise HistoryError(f"{path}:{number}: expected a JSON object")
        try:
            records.append(HistoryRecord.from_dict(record))
        except ValueError as err:
            raise HistoryError(f"{path}:{number}: {err}") from None
    torn = tail.decode("utf-8", errors="replace") if tail else None
    return HistoryRead(records, torn, tuple(ends))


def id_problems(
    records: list[HistoryRecord], path: str | os.PathLike[str], expected: set[int] | None = None, covered: int = 0
) -> list[str]:
    """What is wrong with a history's child ids, one ``FILE:LINE: ...`` message each (empty: nothing).

    Every id appears once; with ``expected``, the first ``covered`` lines (those a
    checkpoint counted) hold exactly those ids (the others were in flight).

    Example:
        >>> id_problems([HistoryRecord(0), HistoryRecord(1), HistoryRecord(1)], "h.jsonl")
        ['h.jsonl:3: child 1 again (first on line 2)']
        >>> id_problems([HistoryRecord(0), HistoryRecord(2)], "h.jsonl", expected={0, 1}, covered=2)
        ['h.jsonl:2: child 2 was not yet proposed at the checkpoint', 'h.jsonl: lines 1-2 lack child 1, which the checkpoint counts as told']
    """
    problems, first = [], {}
    for line, record in enumerate(records, start=1):
        if record.id < 0:
            problems.append(f"{os.fspath(path)}:{line}: child id {record.id} is negative")
        elif record.id in first:
            problems.append(f"{os.fspath(path)}:{line}: child {record.id} again (first on line {first[record.id]})")
        else:
            first[record.id] = line
    if expected is not None and covered:
        seen = {r.id for r in records[:covered]}
        for line, record in enumerate(records[:covered], start=1):
            if record.id not in expected and first.get(record.id) == line:
                problems.append(f"{os.fspath(path)}:{line}: child {record.id} was not yet proposed at the checkpoint")
        missing = sorted(expected - seen)
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
            problems.append(
                f"{os.fspath(path)}: lines 1-{covered} lack child {shown}, which the checkpoint counts as told"
            )
    return problems
