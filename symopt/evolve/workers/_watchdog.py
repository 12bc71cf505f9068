"""Nothing an embedded Ray started outlives its driver: a watchdog process that sweeps them up.

Ray's head (``gcs_server``, ``raylet``), its agents (``ray::DashboardAgent``,
``ray::RuntimeEnvAgent``) and its workers are descendants of the driver, but
once the driver is killed (``kill -9``) they are re-parented and some linger
for a minute or more. :func:`start_watchdog` marks the driver's environment
with a fresh token before Ray starts, so every process Ray launches inherits
it, and starts this file as a small stdlib-only process in its own session,
reading a pipe from the driver. The pipe reaches end-of-file the moment the
driver closes it or dies, however it dies; the watchdog then kills every
process whose environment holds the token (the driver excepted), sweeping
until none is left.

Example:
    >>> marker_of("abc")
    b'SYMOPT_RAY_OWNER=abc'
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import subprocess
import sys
import time

__all__ = ["ENV", "Watchdog", "marker_of", "start_watchdog", "sweep"]

ENV = "SYMOPT_RAY_OWNER"
"""The environment variable every process of one embedded Ray session carries."""

_SWEEP_SECONDS = 10.0  # keep killing newcomers (a raylet restarting a worker) this long at most


def marker_of(token: str) -> bytes:
    """The ``NAME=VALUE`` entry of ``/proc/PID/environ`` that marks a session's processes."""
    return f"{ENV}={token}".encode()


def _marked(token: str, spare: set[int]) -> list[int]:
    """PIDs whose environment holds ``token`` (Linux ``/proc``), ``spare`` left out."""
    marker, found = marker_of(token), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in spare:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if marker in fh.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue  # gone, or another user's
    return found


def sweep(token: str, spare: set[int]) -> int:
    """SIGKILLs every process marked with ``token`` (but ``spare``) until none is left; returns how many."""
    killed: set[int] = set()
    deadline = time.monotonic() + _SWEEP_SECONDS
    while time.monotonic() < deadline:
        found = _marked(token, spare)
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except OSError:
                pass
        time.sleep(0.1)
    return len(killed)


class Watchdog:
    """The running watchdog; :meth:`close` ends it after a last sweep (the driver lives on)."""

    def __init__(self, proc: subprocess.Popen[bytes], token: str, previous: str | None) -> None:
        self.proc, self.token, self._previous = proc, token, previous

    def close(self, timeout: float = 15.0) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # end-of-file: the watchdog sweeps, then exits
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self._previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = self._previous


def start_watchdog() -> Watchdog | None:
    """Marks this process's environment and starts the watchdog (``None`` where ``/proc`` is missing).

    Call it just before starting an embedded Ray: only processes started after
    it carry the mark.
    """
    if not os.path.isdir("/proc"):
        return None
    token = secrets.token_hex(8)
    previous = os.environ.get(ENV)
    env = {k: v for k, v in os.environ.items() if k != ENV}
    proc = subprocess.Popen(
        [sys.executable, "-S", os.path.abspath(__file__), token, str(os.getpid())],
        stdin=subprocess.PIPE,
        env=env,  # unmarked: the sweep must not find the watchdog itself
        start_new_session=True,  # a Ctrl-C or kill of the driver's process group spares it
    )
    os.environ[ENV] = token
    return Watchdog(proc, token, previous)


def _tree(root: int) -> dict[int, str]:
    """Every process below ``root`` now, with its start time (a reused PID then differs)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rpartition(b")")[2].split()
            children.setdefault(int(fields[1]), []).append((int(entry), fields[19].decode()))
        except (OSError, ValueError, IndexError):
            continue  # gone, or unreadable
    found, todo = {}, [root]
    while todo:
        for pid, start in children.get(todo.pop(), []):
            found[pid] = start
            todo.append(pid)
    return found


def _kill_tree(tree: dict[int, str]) -> None:
    """SIGKILLs the processes of a snapshot that are still the same processes, until none is left."""
    deadline = time.monotonic() + _SWEEP_SECONDS
    while tree and time.monotonic() < deadline:
        for pid, start in list(tree.items()):
            try:
                with open(f"/proc/{pid}/stat", "rb") as fh:
                    fields = fh.read().rpartition(b")")[2].split()
                if fields[19].decode() != start or fields[0] == b"Z":
                    raise ProcessLookupError  # gone, reaped into a zombie, or a new process
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                del tree[pid]
        time.sleep(0.1)


def _main(token: str, driver: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only end-of-file ends it
    # Besides the environment mark, remember the driver's process tree while it lives: a process
    # whose environment cannot be read at the end (or that Ray started without the mark) is
    # still found by its parent links.
    tree: dict[int, str] = {}
    while not select.select([sys.stdin], [], [], 1.0)[0]:
        tree.update(_tree(driver))
    sys.stdin.buffer.read()  # returns when the driver closes the pipe or dies
    sweep(token, spare={driver, os.getpid()})
    if not _alive(driver):  # the driver died: nothing it started may outlive it
        tree.pop(os.getpid(), None)
        _kill_tree(tree)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


if __name__ == "__main__":
    _main(sys.argv[1], int(sys.argv[2]))
