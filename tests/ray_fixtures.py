"""Ray helpers for tests: a separately started Ray head, and a cheap fitness.

Use the head as a fixture by importing it into a test module (or ``conftest.py``)::

    from ray_fixtures import ray_head  # noqa: F401

    def test_something(ray_head):
        with ray_session(address=ray_head.address):
            ...

The head is ``ray start --head --block`` in its own process group, stopped by
signalling that process (and its group as a fallback). ``ray stop`` is not used:
it kills every Ray process of the machine, other people's included. Its temp
folder is private, so ``ray.init()`` elsewhere on the machine does not find it.

:func:`fake_fitness` stands in for ``evaluate_fitness`` in evaluator tests: it
is deterministic, costs ``spec.sleep`` seconds, raises on :data:`FAILING`, and this module is pickled by
value, so Ray workers can run it without importing anything from ``tests/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Iterator

import pytest
import ray.cloudpickle

from symopt.dsl.analysis import program_hash
from symopt.dsl.program import Program
from symopt.proxy_tasks import FitnessResult

__all__ = ["RayHead", "free_port", "FakeSpec", "fake_fitness", "FAILING", "running_ray_head", "ray_head"]

# Ray workers do not have tests/ on their path.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

HEAD_START_SECONDS = 180.0
"""How long the head may take to start (seconds; ~5-10 s on two busy cores)."""


@dataclass(frozen=True)
class RayHead:
    """A running head: join it with ``ray_session(address=head.address)``."""

    address: str
    temp_dir: str
    pid: int

    def alive(self) -> bool:
        """Whether the ``ray start`` process still runs."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_ray_head(num_cpus: int = 2) -> Iterator[RayHead]:
    """Starts a Ray head on loopback for the ``with`` block, then stops it.

    Raises:
        RuntimeError: the head did not start; the message has its output.
    """
    port = free_port()
    # Short: Ray's Unix socket paths under it must stay below ~107 characters.
    temp_dir = tempfile.mkdtemp(prefix="rayh", dir="/tmp")
    log_path = os.path.join(temp_dir, "head.log")
    ray_exe = os.path.join(os.path.dirname(sys.executable), "ray")
    cmd = [
        ray_exe, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
        f"--num-cpus={num_cpus}", "--include-dashboard=false", "--disable-usage-stats",
        f"--temp-dir={temp_dir}",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(proc, temp_dir, log_path)
        yield RayHead(f"127.0.0.1:{port}", temp_dir, proc.pid)
    finally:
        _stop(proc)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_until_up(proc: subprocess.Popen, temp_dir: str, log_path: str) -> None:
    # `ray start` writes the cluster address file after every head process is up.
    ready = os.path.join(temp_dir, "ray_current_cluster")
    deadline = time.monotonic() + HEAD_START_SECONDS
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            with open(log_path, errors="replace") as log:
                tail = log.read()[-3000:]
            state = f"exited with {proc.returncode}" if proc.poll() is not None else "timed out"
            raise RuntimeError(f"ray start --head {state}:\n{tail}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    # SIGTERM makes `ray start --block` stop the processes it started; the group
    # kill catches any that outlive it. The group is the one made for this head.
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def ray_head() -> Iterator[RayHead]:
    """A 2-CPU Ray head for the test module, stopped after it."""
    with running_ray_head(num_cpus=2) as head:
        yield head


@dataclass(frozen=True)
class FakeSpec:
    """What :func:`fake_fitness` reads: how long one evaluation takes."""

    sleep: float = 0.05


FAILING = Program((), output="fail")
"""The program :func:`fake_fitness` raises on, to test how an evaluator passes errors on."""


def fake_fitness(program: Program, spec: FakeSpec) -> FitnessResult:
    """A deterministic stand-in for ``evaluate_fitness``: a number from the program's hash.

    Raises:
        ValueError: for :data:`FAILING` (``evaluate_fitness`` itself never raises).
    """
    time.sleep(spec.sleep)
    if program == FAILING:
        raise ValueError("fake_fitness refuses FAILING")
    digest = int(program_hash(program)[:8], 16)
    return FitnessResult(digest / 16**8, "ok", "", float(len(program)), 0.0, (), 1, 0)
