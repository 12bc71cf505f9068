"""Search campaigns: run files, determinism, crash and Ctrl-C recovery, Ray workers.

Serial campaigns use a cheap fitness (the quadratic task, 20 steps, one seed);
the Ray tests start their own embedded Ray or use a separately started head.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import ray
import ray.cloudpickle

import symopt
from ray_fixtures import FakeSpec, fake_fitness
from symopt.cli import main as symopt_main
import symopt.evolve._loop as campaign_module
from symopt.evolve import start_campaign
from symopt.config import Config, load_config
from symopt.runs import HistoryRecord, RunError, load_run, read_history

# Subprocesses (the CLI, Ray's daemons) start after JAX is loaded: JAX warns
# about fork, but each child execs at once.
pytestmark = pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")

REPO = Path(__file__).resolve().parent.parent

TINY = """\
name: tiny
seed: 3
search:
  population_size: 8
  tournament_size: 2
  budget: {{max_children: {children}}}
fitness:
  tasks: [{{name: quadratic, knobs: {{steps: 20}}}}]
  seeds: [0]
  lr_multipliers: [1.0]
ray: {{serial: true}}
output: {{dir: {root}, checkpoint_every: 5}}
"""

# Fields that depend on the clock or the machine, not on the search.
VOLATILE = ("t", "seconds", "worker")


def tiny_config_file(tmp_path: Path, children: int = 25) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.format(children=children, root=tmp_path / "runs"), encoding="utf-8")
    return path


def tiny_config(tmp_path: Path, children: int = 25, overrides: tuple[str, ...] = ()) -> Config:
    return load_config(tiny_config_file(tmp_path, children), list(overrides))


def search_part(records: list[HistoryRecord]) -> list[dict]:
    return [{k: v for k, v in r.to_dict().items() if k not in VOLATILE} for r in records]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "symopt.cli", "search", *args]


def cli_env() -> dict[str, str]:
    return {**os.environ, "SYMOPT_NO_PROGRESS": "1", "JAX_PLATFORMS": "cpu"}


def wait_for_lines(history: Path, count: int, proc: subprocess.Popen, timeout: float = 60.0) -> int:
    """Waits until ``history`` has ``count`` lines; returns how many it has."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if history.exists():
            lines = history.read_bytes().count(b"\n")
            if lines >= count:
                return lines
        if proc.poll() is not None:
            pytest.fail(f"the campaign exited early ({proc.returncode}): {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"{history} did not reach {count} lines in {timeout} s")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One finished tiny serial campaign (100 children), run in this process."""
    tmp = tmp_path_factory.mktemp("reference")
    result = start_campaign(tiny_config(tmp, children=100), name="ref", stream=io.StringIO())
    return result


def test_a_serial_campaign_writes_every_run_file(reference):
    folder = reference.run_dir
    assert reference.finished and reference.exit_code == 0
    for name in ("config.yaml", "history.jsonl", "checkpoint.json", "stats.json", "hall_of_fame.csv", "progress.png"):
        assert (folder / name).is_file(), name
    records = read_history(folder / "history.jsonl").records
    assert [r.id for r in records] == list(range(101))
    assert records[0].mutation == "warm_start" and records[0].parent_id is None
    line = json.loads((folder / "history.jsonl").read_text().splitlines()[0])
    assert set(line) == {"source"} | {
        "id", "parent_id", "mutation", "detail", "hash", "status", "fitness", "metric", "reason",
        "seconds", "worker", "redraws", "length", "reduced_length", "t",
    }
    assert {r.status for r in records} <= {"ok", "failed", "cached"}
    stats = json.loads((folder / "stats.json").read_text())
    assert stats["finished"] is True and stats["children"] == 100 and stats["evaluations"] == 101
    assert stats["trained"] + stats["cache_hits"] == 101
    assert 0 <= stats["redundant_ratio"] < 1 and 0 <= stats["cache_hit_rate"] < 1
    best_files = sorted((folder / "best").glob("rank*_id*.py"))
    assert best_files and best_files[0].name.startswith("rank01_id")
    assert best_files[0].read_text().startswith("# ref: rank 1, child ")


def test_load_run_reads_a_finished_run(reference):
    run = symopt.load_run(reference.run_dir)
    assert run.finished and run.torn_line is None
    assert run.config == load_config(reference.run_dir / "config.yaml")
    assert len(run.history) == 101
    top = run.hall_of_fame[0]
    assert top["rank"] == 1 and top["fitness"] == max(r.fitness for r in run.history if r.fitness is not None)
    assert run.best_program is not None
    hashes = [row["hash"] for row in run.hall_of_fame]
    assert len(hashes) == len(set(hashes)) == 10  # distinct programs only


def test_load_run_errors_name_the_file(tmp_path, reference):
    with pytest.raises(RunError, match="no such run folder"):
        load_run(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunError, match="config.yaml: missing"):
        load_run(tmp_path / "empty")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.yaml").write_text((reference.run_dir / "config.yaml").read_text())
    (broken / "history.jsonl").write_text('{"id": 0}\nnot json\n{"id": 2}\n')
    with pytest.raises(RunError, match=r"history.jsonl:2: not a JSON line"):
        load_run(broken)


def test_load_run_tolerates_a_half_written_last_line(tmp_path, reference):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("config.yaml", "stats.json", "hall_of_fame.csv"):
        (copy / name).write_bytes((reference.run_dir / name).read_bytes())
    (copy / "best").mkdir()
    for f in (reference.run_dir / "best").iterdir():
        (copy / "best" / f.name).write_bytes(f.read_bytes())
    (copy / "history.jsonl").write_bytes((reference.run_dir / "history.jsonl").read_bytes() + b'{"id": 101, "par')
    run = load_run(copy)
    assert len(run.warnings) == 1 and "cut short" in run.warnings[0]
    assert len(run.history) == 101 and run.torn_line == '{"id": 101, "par'


def test_same_seed_same_history(tmp_path, reference):
    again = start_campaign(tiny_config(tmp_path, children=100), name="again", stream=io.StringIO())
    ours = read_history(again.run_dir / "history.jsonl").records
    theirs = read_history(reference.run_dir / "history.jsonl").records
    assert search_part(ours) == search_part(theirs)
    assert len({r.hash for r in ours}) > 20  # the search did move


def test_sigkill_then_resume_loses_and_repeats_no_child(tmp_path, reference):
    """Kill -9 mid-campaign, resume: ids 0..N exactly once, and the same search as without the kill."""
    config = tiny_config_file(tmp_path, children=100)
    folder = tmp_path / "runs" / "killed"
    proc = subprocess.Popen(
        cli(str(config), "--name", "killed", "--set", "output.checkpoint_every=3"),
        cwd=REPO, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    seen = wait_for_lines(folder / "history.jsonl", 20, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert seen < 101, "the campaign finished before it could be killed"
    # Resume in this process (the task is compiled here already): the same CLI code path.
    assert symopt_main(["search", "--resume", str(folder)]) == 0
    records = read_history(folder / "history.jsonl").records
    assert [r.id for r in records] == list(range(101))
    assert search_part(records) == search_part(read_history(reference.run_dir / "history.jsonl").records)
    assert load_run(folder).finished


def test_ctrl_c_checkpoints_and_exits_130(tmp_path):
    config = tiny_config_file(tmp_path, children=400)
    folder = tmp_path / "runs" / "stopped"
    proc = subprocess.Popen(
        cli(str(config), "--name", "stopped"),
        cwd=REPO, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for_lines(folder / "history.jsonl", 10, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert f"symopt search --resume {folder}" in out
    run = load_run(folder)
    assert not run.finished
    told = len(run.history)
    # Resume with a smaller budget: it stops soon, with every id told exactly once.
    assert symopt_main(["search", "--resume", str(folder), "--set", f"search.budget.max_children={told + 2}"]) == 0
    ids = [r.id for r in load_run(folder).history]
    assert ids == list(range(len(ids))) and len(ids) >= told


def test_resume_refuses_to_change_the_search(capsys, reference):
    assert symopt_main(["search", "--resume", str(reference.run_dir), "--set", "fitness.seeds=[7]"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "may only change ray, output, search.budget" in err


def test_resuming_a_finished_run_changes_nothing(capsys, reference):
    before = (reference.run_dir / "history.jsonl").read_bytes()
    assert symopt_main(["search", "--resume", str(reference.run_dir)]) == 0
    assert "already finished" in capsys.readouterr().out
    assert (reference.run_dir / "history.jsonl").read_bytes() == before


def test_a_bad_config_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("search: {population_size: 3, tournament_size: 5}\n")
    done = subprocess.run(cli(str(bad)), cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    expected = "search.tournament_size: expected an integer in [1, population_size = 3], got 5"
    assert done.stderr == f"symopt search: {bad}: {expected}\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["search"], "give a CONFIG file or --resume RUN_DIR"),
        (["search", "--resume", "no/such/run"], "no/such/run: not a run folder"),
        (["search", "--resume", "x", "--name", "y"], "--name applies to a new campaign"),
    ],
)
def test_cli_usage_errors(capsys, argv, message):
    assert symopt_main(argv) == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------------------- Ray
#
# The search is the point here, not the training: workers score with the fake
# fitness of ray_fixtures (a number from the program's hash, 30 ms each), so they
# never load or compile a task.


def sleepy_fitness(program, spec):
    """The campaign's FitnessSpec is ignored; pickled by value (tests/ is not on workers' path)."""
    return fake_fitness(program, FakeSpec(sleep=0.03))


ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


def ray_config(tmp_path: Path, children: int, ray_overrides: list[str]) -> Config:
    base = ["ray.serial=false", "ray.num_workers=2", "output.checkpoint_every=10"]
    return tiny_config(tmp_path, children=children, overrides=tuple(base + ray_overrides))


def test_a_ray_campaign_survives_a_killed_worker(tmp_path, monkeypatch):
    """Two embedded Ray workers; one is SIGKILLed mid-campaign; the campaign still completes."""
    captured = []
    real_open = campaign_module.open_evaluator

    @contextlib.contextmanager
    def capturing_open(*args, **kwargs):
        with real_open(*args, **kwargs) as evaluator:
            captured.append(evaluator)
            yield evaluator

    monkeypatch.setattr(campaign_module, "open_evaluator", capturing_open)
    history = tmp_path / "runs" / "ray" / "history.jsonl"
    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if captured and history.exists() and history.read_bytes().count(b"\n") >= 20:
                pid = captured[0].worker_pids()[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(history.read_bytes().count(b"\n"))
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_one_worker, daemon=True)
    killer.start()
    config = ray_config(tmp_path, 150, ["ray.num_cpus=2"])
    result = start_campaign(config, name="ray", stream=io.StringIO(), evaluate_fn=sleepy_fitness)
    killer.join(timeout=10)
    assert killed and killed[0] < 151, "the worker was not killed mid-campaign"
    assert result.finished and result.stats.worker_restarts >= 1
    records = read_history(history).records
    assert sorted(r.id for r in records) == list(range(151))  # completion order
    assert {"ray-0", "ray-1"} <= {r.worker for r in records}
    assert not ray.is_initialized()  # the embedded Ray was stopped


def test_a_campaign_joins_a_running_cluster_by_address(tmp_path, ray_head):
    """Only the ray section changes: the search runs on a separately started head."""
    config = ray_config(tmp_path, 40, [f"ray.address={ray_head.address}"])
    result = start_campaign(config, name="cluster", stream=io.StringIO(), evaluate_fn=sleepy_fitness)
    assert result.finished
    assert sorted(r.id for r in load_run(result.run_dir).history) == list(range(41))
    assert ray_head.alive(), "leaving the cluster must not stop it"


def test_keep_neutral_children_are_cache_hits_with_the_parents_fitness(tmp_path):
    config = tiny_config(tmp_path, children=60, overrides=("search_space.keep_neutral=true",))
    result = start_campaign(config, name="neutral", stream=io.StringIO())
    records = read_history(result.run_dir / "history.jsonl").records
    by_id = {r.id: r for r in records}
    neutral = [r for r in records if r.detail.endswith("(neutral)")]
    assert neutral, "60 children of a 9-statement program include dead-code edits"
    for r in neutral:
        parent = by_id[r.parent_id]
        assert r.status == "cached" and r.seconds == 0.0
        assert r.hash == parent.hash and r.fitness == parent.fitness
    stats = json.loads((result.run_dir / "stats.json").read_text())
    assert stats["neutral"] == len(neutral) <= stats["cache_hits"]
    assert stats["trained"] + stats["cache_hits"] == 61
