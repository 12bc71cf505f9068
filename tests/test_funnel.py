"""Funnel selection and the meta-validation curve, on the fixture run folder (tests/run_folders.py).

A table-driven fake fitness decides who passes, so the selection logic is checked
exactly; one test uses the real ``evaluate_fitness`` on a 20-step quadratic.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import sys
from pathlib import Path

import pytest
import ray
import ray.cloudpickle

from run_folders import CHILDREN, make_run
from symopt.cli import main
from symopt.cli.table import WIDTH
from symopt.dsl import builtin, program_hash
from symopt.dsl.program import Program
from symopt.config import FunnelConfig, RayConfig, StageConfig
from symopt.config import TaskSpec
from symopt.funnel import run_funnel
from symopt.funnel import FUNNEL_COLUMNS, read_funnel, write_funnel
from symopt.funnel import sample_best_so_far
from symopt.runs import HistoryRecord, load_run
from symopt.proxy_tasks.fitness import FitnessResult, TaskScore


def stage(name: str, steps: int) -> StageConfig:
    return StageConfig(name, (TaskSpec("quadratic", {"steps": steps}),), seeds=(0,), lr_multipliers=(1.0,))


FUNNEL = FunnelConfig(stages=(stage("B", 20), stage("C", 40)), meta_validation_every=2)

# Stage fitness by program and stage (the stage is told apart by its quadratic's steps).
TABLE = {
    "adamw": {20: 0.0, 40: 0.0},
    "lion": {20: 0.3, 40: 0.2},  # child 2: passes both
    "signum": {20: 0.1, 40: -0.1},  # child 1: passes B only
    "momentum": {20: -0.2, 40: 0.5},  # child 5: fails B, so never reaches C
}
BY_HASH = {program_hash(builtin(name)): name for name in TABLE}

# tests/ is not on Ray workers' path: the fake fitness below travels by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


class TableFitness:
    """A fake ``evaluate_fitness`` reading a table like :data:`TABLE`; it records its calls."""

    def __init__(self, table: dict[str, dict[int, float]] = TABLE) -> None:
        self.table = table
        self.calls: list[tuple[int, str]] = []

    def __call__(self, program: Program, spec) -> FitnessResult:
        steps = dict(spec.tasks[0].knobs)["steps"]
        name = BY_HASH[program_hash(program)]
        self.calls.append((steps, name))
        fitness = self.table[name][steps]
        score = TaskScore(spec.tasks[0].label, 2.0, 1.0 - fitness, math.log(1.0 - fitness), 0.0, 0)
        return FitnessResult(fitness, "ok", "", 1.0 - fitness, 0.01, (score,), 1, 1)


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "fix-run", sections={"funnel": FUNNEL, "ray": RayConfig(serial=True)})


def test_only_programs_that_beat_adamw_go_on(run_dir):
    fake = TableFitness()
    result = run_funnel(load_run(run_dir), evaluate_fn=fake)
    b, c = result.stages
    # The top programs by search fitness enter B (fixture: 2 lion, 1 signum, 5 momentum, 0 adamw).
    assert [(r.id, r.passed) for r in b.programs] == [(2, True), (1, True), (5, False), (0, False)]
    assert [(r.id, r.passed) for r in c.programs] == [(2, True), (1, False)]
    assert [(r.name, r.fitness, r.passed) for r in b.baselines] == [("adamw", 0.0, None), ("lion", 0.3, None)]
    assert [r.name for r in c.baselines] == ["adamw", "lion"]
    assert [r.id for r in result.survivors()] == [2]
    assert result.best_survivor() == (c.programs[0], 2)
    # One training per distinct program and stage, whatever its roles (child, baseline, sample).
    assert sorted(fake.calls) == sorted(
        [(20, "adamw"), (20, "lion"), (20, "signum"), (20, "momentum"), (40, "adamw"), (40, "lion"), (40, "signum")]
    )


def test_meta_validation_picks_the_best_so_far_ids():
    records = [
        HistoryRecord(id, hash=str(spec), status=status, fitness=fitness)
        for id, _, _, _, spec, status, fitness in CHILDREN
    ]
    # Lines: 0 (0.0), 1 (0.5), 2 (0.9), 3 (cached 2), 4 (failed), 5 (0.2).
    assert [(p.evaluations, p.id) for p in sample_best_so_far(records, 2)] == [(1, 0), (2, 1), (4, 2), (6, 2)]
    assert [(p.evaluations, p.id) for p in sample_best_so_far(records, 4)] == [(1, 0), (4, 2), (6, 2)]
    # Out of id order (several workers), a tie goes to the earlier id.
    tie = [
        HistoryRecord(7, hash="x", status="ok", fitness=0.4),
        HistoryRecord(3, hash="y", status="ok", fitness=0.4),
    ]
    assert [p.id for p in sample_best_so_far(tie, 1)] == [7, 3]
    with pytest.raises(ValueError):
        sample_best_so_far(records, 0)


def test_meta_validation_scores_come_from_the_first_stage(run_dir):
    result = run_funnel(load_run(run_dir), evaluate_fn=TableFitness())
    assert [(m.point.id, m.stage, m.fitness) for m in result.meta_validation] == [
        (0, "B", 0.0), (1, "B", 0.1), (2, "B", 0.3), (2, "B", 0.3),
    ]  # fmt: skip


def test_funnel_files_round_trip_and_mark_baselines(run_dir):
    result = run_funnel(load_run(run_dir), evaluate_fn=TableFitness())
    write_funnel(result, run_dir)
    assert read_funnel(run_dir) == result
    with open(run_dir / "funnel.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == FUNNEL_COLUMNS
    assert [(r["stage"], r["role"], r["id"], r["passed"]) for r in rows] == [
        ("B", "baseline", "", ""), ("B", "baseline", "", ""),
        ("B", "program", "2", "true"), ("B", "program", "1", "true"),
        ("B", "program", "5", "false"), ("B", "program", "0", "false"),
        ("C", "baseline", "", ""), ("C", "baseline", "", ""),
        ("C", "program", "2", "true"), ("C", "program", "1", "false"),
    ]  # fmt: skip
    for name in ("funnel.png", "meta_validation.png", "meta_validation.csv"):
        assert (run_dir / name).stat().st_size > 0


def test_a_stage_nobody_reaches_is_skipped(run_dir):
    nobody = {name: {20: -0.1 if name != "adamw" else 0.0} for name in TABLE}
    fake = TableFitness(nobody)
    result = run_funnel(load_run(run_dir), evaluate_fn=fake)
    assert result.stages[1].rows == () and result.survivors() == () and result.best_survivor() is None
    assert {steps for steps, _ in fake.calls} == {20}  # stage C trained nothing, not even the baselines


def test_the_real_fitness_gives_adamw_exactly_zero(run_dir):
    funnel = FunnelConfig(top_k=2, stages=(stage("B", 20),), meta_validation_every=None)
    view = load_run(run_dir)
    result = run_funnel(view, dataclasses.replace(view.config, funnel=funnel))
    (b,) = result.stages
    assert [r.id for r in b.programs] == [2, 1]
    adamw, lion = b.baselines
    assert adamw.fitness == 0.0 and adamw.passed is None and adamw.status == "ok"
    assert lion.per_task[0].lr_mult == 1.0 and math.isfinite(lion.metric)
    assert result.meta_validation == ()


def test_the_funnel_command_prints_a_table_and_writes_files(run_dir, capsys):
    assert main(["funnel", str(run_dir), "--top", "2"]) == 0
    out, err = capsys.readouterr()
    assert "stage B: scoring" in err
    lines = out.splitlines()
    header = ["stage", "program", "search", "fitness", "val", "loss", "lr", "mult", "slots", "passed", "s"]
    assert lines[0].split() == header
    assert any(line.startswith("B      adamw (baseline)") for line in lines)
    assert all(len(line) <= WIDTH for line in lines)
    assert json.loads((run_dir / "pipeline.json").read_text())["done"]["funnel"]["history_lines"] == 6
    assert main(["funnel", str(run_dir), "--top", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["top_k"] == 1 and [r["id"] for r in data["stages"][0]["rows"]] == [None, None, 2]


@pytest.mark.parametrize("command", ["funnel", "report"])
def test_a_missing_or_damaged_run_exits_2_naming_the_file(tmp_path, capsys, command):
    assert main([command, str(tmp_path / "nope")]) == 2
    assert f"{tmp_path / 'nope'}: no such run folder" in capsys.readouterr().err
    damaged = make_run(tmp_path / "damaged")
    (damaged / "config.yaml").unlink()
    assert main([command, str(damaged)]) == 2
    assert f"{damaged / 'config.yaml'}: missing" in capsys.readouterr().err
    broken = make_run(tmp_path / "broken", sections={"ray": RayConfig(serial=True)})
    (broken / "funnel.json").write_text("{not json")
    (broken / "pipeline.json").write_text('{"done": {"funnel": {"history_lines": 6}}}')
    if command == "report":  # the funnel counts as done, so its file is read and found damaged
        assert main([command, str(broken)]) == 2
        assert f"{broken / 'funnel.json'}: damaged funnel results" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")  # Ray's daemons start after JAX loaded
def test_the_funnel_runs_on_ray_workers_like_the_search(tmp_path):
    """Two embedded Ray workers score the stages; the outcome is the serial one, and Ray is stopped."""
    serial_section = {"funnel": FUNNEL, "ray": RayConfig(serial=True)}
    serial = run_funnel(load_run(make_run(tmp_path / "serial", sections=serial_section)), evaluate_fn=TableFitness())
    ray_section = RayConfig(serial=False, num_workers=2, num_cpus=2)
    on_ray = run_funnel(
        load_run(make_run(tmp_path / "ray", sections={"funnel": FUNNEL, "ray": ray_section})),
        evaluate_fn=TableFitness(),
    )
    assert [(r.id, r.name, r.fitness, r.passed) for s in on_ray.stages for r in s.rows] == [
        (r.id, r.name, r.fitness, r.passed) for s in serial.stages for r in s.rows
    ]
    assert [r.id for r in on_ray.survivors()] == [2]
    assert not ray.is_initialized()
