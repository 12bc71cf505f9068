"""One writer at a time: an exclusive lock on a run folder, naming its holder.

Every command that writes into a run folder (the search and its resume, the
funnel, simplify, the report) holds :func:`lock_run` while it writes. The lock
is an ``flock`` on ``RUN/.lock``, which also records the holder (PID, host, start
time, command) for the message a second writer gets. The kernel drops an
``flock`` when its process dies, however it dies, so a lock left by a killed
process is stale by construction and the next writer simply takes it over (its
message names the dead holder it replaced). Readers (``show``, ``plot``,
``check``) take no lock. The lock is re-entrant within a process: the search's
pipeline steps run under the lock the search already holds.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> with lock_run(folder, "search"):
    ...     with lock_run(folder, "funnel"):  # the same process: re-entrant
    ...         holder_of(folder).pid == os.getpid()
    True
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from symopt.runs._layout import LOCK, RunError

__all__ = ["Holder", "RunLocked", "holder_of", "lock_run"]

_HELD: dict[str, tuple[int, int]] = {}  # resolved folder -> (fd, depth), locks this process holds


class RunLocked(RunError):
    """Another process is writing into the run folder (the message names it)."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a run folder's lock."""

    pid: int
    host: str
    since: str
    command: str

    def describe(self) -> str:
        """``PID 123 on HOST since 2025-01-01 12:00:00 (search)``."""
        return f"PID {self.pid} on {self.host} since {self.since} ({self.command})"


def holder_of(folder: str | os.PathLike[str]) -> Holder | None:
    """The holder recorded in ``folder``'s lock file (``None``: never locked, or unreadable)."""
    try:
        data = json.loads((Path(folder) / LOCK).read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["host"]), str(data["since"]), str(data["command"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def lock_run(folder: str | os.PathLike[str], command: str, stream: IO[str] | None = None) -> Iterator[None]:
    """Holds the run folder's write lock for the ``with`` block.

    Args:
        folder: the run folder (it must exist).
        command: what this process does there, for the holder's record.
        stream: where the note on a taken-over stale lock goes (default stderr).

    Raises:
        RunLocked: another live process holds it.
    """
    key = os.path.realpath(folder)
    if key in _HELD:
        fd, depth = _HELD[key]
        _HELD[key] = (fd, depth + 1)
        try:
            yield
        finally:
            _HELD[key] = (fd, _HELD[key][1] - 1)
        return
    path = Path(folder) / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        holder = holder_of(folder)
        who = holder.describe() if holder else "another process"
        raise RunLocked(f"{folder}: {who} is writing this run folder; wait for it to end, or stop it") from None
    previous = holder_of(folder)
    if previous is not None and previous.pid != os.getpid():
        # The kernel freed its flock: that holder died without unlocking (kill -9, a crash).
        print(f"{folder}: took over the lock of {previous.describe()}, which has ended", file=stream or sys.stderr)
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.datetime.now().isoformat(sep=" ", timespec="seconds"),
        "command": command,
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(record) + "\n").encode("utf-8"), 0)
    _HELD[key] = (fd, 1)
    try:
        yield
    finally:
        del _HELD[key]
        os.ftruncate(fd, 0)  # released cleanly: no holder to report
        os.close(fd)  # closing the descriptor drops the flock
