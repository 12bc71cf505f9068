"""A run folder is data and its writers are guarded (issue 11, Security and Faults).

A crafted pickle checkpoint is never unpickled by any command; the checkpoint is
JSON; a second writer is refused while a killed one's lock is taken over; a
damaged history is reported by line and refused by ``--resume``; a corrupt or
missing checkpoint leaves the history readable; a full disk is one line and
exit 1, and the run resumes; ``--name`` stays inside ``output.dir``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from run_folders import make_run

import symopt.runs._history as history_module
from symopt.cli import main
from symopt.runs import holder_of, load_run, lock_run

pytestmark = pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")

REPO = Path(__file__).resolve().parent.parent
SERIAL = ["--set", "ray.serial=true"]


class _Sentinel:
    """Unpickling it creates ``path``: what a hostile checkpoint would do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_no_command_unpickles_a_crafted_checkpoint(old_run, tmp_path, capsys):
    sentinel = tmp_path / "sentinel"
    crafted = pickle.dumps(_Sentinel(sentinel))
    (old_run / "checkpoint.pkl").write_bytes(crafted)
    for argv in (["show", str(old_run), "--no-family"], ["plot", str(old_run), "-o", str(tmp_path / "p.png")],
                 ["check", f"{old_run}:2"]):  # fmt: skip
        code, _, err = _run(capsys, *argv)
        assert code == 0 and "checkpoint.pkl: a checkpoint of an older symopt (pickle), never read" in err
    code, out, _ = _run(capsys, "search", "--resume", str(old_run), *SERIAL)
    assert code == 0 and "never read (unpickling can run code); rebuilding the search" in out
    (old_run / "checkpoint.json").write_bytes(crafted)  # a pickle under the new name
    code, _, err = _run(capsys, "show", str(old_run), "--no-family")
    assert code == 0 and "a pickle, not a symopt checkpoint (never unpickled" in err
    code, out, _ = _run(capsys, "search", "--resume", str(old_run), *SERIAL)
    assert code == 0 and "rebuilding the search from history.jsonl" in out
    assert not sentinel.exists()


@pytest.mark.parametrize("damage", ["missing", "corrupt", "truncated"])
def test_read_only_commands_work_from_the_history_alone(tmp_path, capsys, damage):
    folder = make_run(tmp_path / "run", checkpoint=True)
    path = folder / "checkpoint.json"
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"{not json" if damage == "corrupt" else path.read_bytes()[:40])
    for argv in (["show", str(folder), "--no-family"], ["plot", str(folder), "-o", str(tmp_path / "p.png")],
                 ["check", f"{folder}:2"]):  # fmt: skip
        code, out, err = _run(capsys, *argv)
        assert code == 0 and (out or argv[0] == "plot") and "Traceback" not in err
        if damage != "missing":
            assert f"warning: {path}: corrupt checkpoint" in err and "showing history.jsonl alone" in err
    assert (tmp_path / "p.png").stat().st_size > 0


def test_checkpoint_round_trips_the_search_state(tmp_path):
    """JSON, with a format number; population, generator state and cache come back equal."""
    import numpy as np

    from symopt.config import SearchSpace
    from symopt.dsl import builtin
    from symopt.evolve import FitnessCache, RegularizedEvolution
    from symopt.proxy_tasks import FitnessResult
    from symopt.runs import Checkpoint, HallOfFame, Stats, load_checkpoint, save_checkpoint

    evo = RegularizedEvolution(SearchSpace(), population_size=6, tournament_size=2, seed=1, mode="hparam")
    evo.seed_population(builtin("adamw"), 0.0)
    cache: FitnessCache[FitnessResult] = FitnessCache()
    for k in range(8):
        cand = evo.ask()
        evo.tell(cand, float("-inf") if k == 3 else 0.1 * k)
        cache.put(cand.hash, FitnessResult(0.1 * k, "ok", "", float("nan"), 1.0, (), 3, 2))
    path = tmp_path / "checkpoint.json"
    pending = (evo.ask(),)
    save_checkpoint(path, Checkpoint(evo.state_dict(), cache.state_dict(), Stats(), HallOfFame(), 0, pending))
    assert path.read_text().startswith('{"kind":"symopt checkpoint","format":2,')
    back = load_checkpoint(path)
    twin = RegularizedEvolution(SearchSpace(), population_size=6, tournament_size=2, seed=99, mode="hparam")
    twin.load_state_dict(back.searcher)
    assert list(twin.population) == list(evo.population) and twin.best() == evo.best()
    assert twin.ask() == evo.ask()  # same generator state: the same next child
    assert np.isnan(back.cache["results"][cand.hash].metric) and back.cache["hits"] == cache.hits
    assert back.in_flight == pending


def test_name_outside_the_runs_folder_is_refused(tmp_path, capsys):
    config = REPO / "configs" / "quick.yaml"
    code, _, err = _run(capsys, "search", str(config), "--set", f"output.dir={tmp_path / 'runs'}", "--name", "../x")
    assert code == 2 and "run name '../x': expected letters, digits, '_', '.', '-'" in err
    assert not (tmp_path / "x").exists() and not (tmp_path / "runs").exists()


def test_a_second_writer_is_refused_and_a_dead_ones_lock_taken_over(tmp_path, capsys):
    folder = make_run(tmp_path / "run", checkpoint=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from symopt.runs import lock_run\n"
         "with lock_run(sys.argv[1], 'search'):\n    print('locked', flush=True); time.sleep(60)", str(folder)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "locked\n"
        code, _, err = _run(capsys, "search", "--resume", str(folder), *SERIAL)
        assert code == 2 and f"PID {holder.pid} on " in err and "is writing this run folder" in err
    finally:
        holder.kill()  # SIGKILL: it never unlocks
        holder.wait()
    assert holder_of(folder).pid == holder.pid
    with lock_run(folder, "funnel"):
        assert holder_of(folder).pid == os.getpid()
    assert f"took over the lock of PID {holder.pid}" in capsys.readouterr().err


def test_two_resumes_at_once_one_is_refused(old_run):
    """Two real ``symopt search --resume`` processes started together: one runs, one exits 2."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "SYMOPT_NO_PROGRESS": "1", "JAX_PLATFORMS": "cpu"}
    argv = [sys.executable, "-m", "symopt.cli", "search", "--resume", str(old_run),
            "--set", "search.budget.max_trained=14", *SERIAL]  # fmt: skip
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    assert any("is writing this run folder" in err for code, err in results if code == 2)
    ids = [r.id for r in load_run(old_run).history]
    assert ids == list(range(15))


def test_a_damaged_history_is_reported_by_line_and_resume_refuses_it(tmp_path, capsys):
    folder = make_run(tmp_path / "run", checkpoint=True)
    lines = (folder / "history.jsonl").read_text().splitlines(keepends=True)
    lines[4] = lines[2]  # child 2 twice, child 4 lost: two resumes that both wrote
    (folder / "history.jsonl").write_text("".join(lines))
    code, _, err = _run(capsys, "show", str(folder), "--no-family")
    assert code == 0 and "history.jsonl:5: child 2 again (first on line 3)" in err
    assert "lack child 4, 5, which the checkpoint counts as told" in err  # the copy moved line 6 past its end
    code, _, err = _run(capsys, "search", "--resume", str(folder), *SERIAL)
    assert code == 2 and err.count("\n") == 1
    assert "history.jsonl:5: child 2 again (first on line 3) (and 1 more problem(s)); the history is damaged" in err
    (folder / "checkpoint.json").unlink()  # the replay checks too
    code, _, err = _run(capsys, "search", "--resume", str(folder), *SERIAL)
    assert code == 2 and "history.jsonl:5: child 2 again (first on line 3); the history is damaged" in err


def test_a_full_disk_is_one_line_and_exit_1_then_resume_works(old_run, capsys, monkeypatch):
    budget = ["--set", "search.budget.max_trained=16"]
    code, _, _ = _run(capsys, "search", "--resume", str(old_run), "--set", "search.budget.max_trained=13", *SERIAL)
    assert code == 0  # a JSON checkpoint at 14 evaluations
    append = history_module.HistoryWriter.append
    calls = []

    def full_disk(self, record):
        calls.append(record.id)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return append(self, record)

    monkeypatch.setattr(history_module.HistoryWriter, "append", full_disk)
    code, out, err = _run(capsys, "search", "--resume", str(old_run), *budget, *SERIAL)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err == (
        f"symopt search: {old_run}: cannot write history.jsonl (the disk is full); the last checkpoint "
        f"(14 evaluations) is intact; free some space, then resume with: symopt search --resume {old_run}\n"
    )
    monkeypatch.setattr(history_module.HistoryWriter, "append", append)
    code, _, _ = _run(capsys, "search", "--resume", str(old_run), *budget, *SERIAL)
    history = load_run(old_run).history
    assert code == 0 and [r.id for r in history] == list(range(len(history))) and len(history) > 15


def test_the_first_checkpoints_come_with_the_first_evaluations(tmp_path, monkeypatch):
    """After the warm start, after the first batch (one child with one worker), then every N."""
    from test_campaign import tiny_config
    from symopt.evolve import start_campaign
    import symopt.evolve._loop as loop_module
    import io

    saved = []
    save = loop_module.save_checkpoint

    def spy(path, checkpoint):
        saved.append(checkpoint.stats.evaluations)
        save(path, checkpoint)

    monkeypatch.setattr(loop_module, "save_checkpoint", spy)
    start_campaign(tiny_config(tmp_path, children=12), name="early", stream=io.StringIO())
    assert saved[:3] == [1, 2, 7] and saved[-1] == 13


def _descendants(root: int) -> set[int]:
    """Every process below ``root`` now (``/proc``'s parent links)."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rpartition(")")[2].split()[0] != "Z":
                    alive.add(pid)
        except OSError:
            pass
    return alive


@pytest.mark.slow
def test_after_kill_9_of_the_driver_no_ray_process_outlives_it_by_10_s(tmp_path):
    from test_campaign import cli, cli_env, tiny_config_file, wait_for_lines

    config = tiny_config_file(tmp_path, children=100000)
    argv = cli(str(config), "--name", "killed", "--set", "ray.serial=false", "--set", "ray.num_workers=1")
    driver = subprocess.Popen(argv, env={**cli_env(), "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_lines(tmp_path / "runs" / "killed" / "history.jsonl", 3, driver, timeout=180)
        ray_processes = _descendants(driver.pid)
        names = set()
        for pid in ray_processes:
            with contextlib.suppress(OSError):
                names.add(Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace"))
        assert len(ray_processes) >= 3, names  # gcs_server, raylet, a worker at least
        driver.kill()
        killed_at = time.monotonic()
        driver.wait()
        while _alive(ray_processes) and time.monotonic() - killed_at < 30:
            time.sleep(0.1)
        left = _alive(ray_processes)
        took = time.monotonic() - killed_at
        print(f"{len(ray_processes)} processes of the run ({sorted(names)}); all gone {took:.1f} s after kill -9")
        assert not left and took < 10, (left, took)
    finally:
        driver.kill()
        for pid in _alive(_descendants(driver.pid)):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
