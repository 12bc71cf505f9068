"""Hurdles: a child stops after a cheap part of its fitness when that part scores low."""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from pathlib import Path

import pytest

from symopt.cli import main
from symopt.config import Config, HurdleConfig, load_config
from symopt.config._schema import FieldError
from symopt.dsl import builtin
from symopt.evolve import start_campaign
from symopt.evolve._cache import FitnessCache
from symopt.evolve._evolution import RegularizedEvolution
from symopt.evolve._hurdles import HurdleWindow
from symopt.evolve._restore import rebuild
from symopt.proxy_tasks import FitnessResult, FitnessSpec, Hurdle, TaskSpec, evaluate_fitness
from symopt.runs import HistoryRecord, Stats, count_history, read_history

SPEC = FitnessSpec(
    tasks=(
        TaskSpec("quadratic", {"steps": 20}),
        TaskSpec("rosenbrock", {"steps": 20}, lr_scale=64.0, repeats=2),
    ),
    seeds=(0,),
    lr_multipliers=(0.5, 2.0),
    slot_cost=0.1,
)
FIRST_ONLY = FitnessSpec(**{**SPEC.__dict__, "tasks": SPEC.tasks[:1]})


@pytest.mark.parametrize("name", ["lion", "sgd"])
def test_a_child_below_the_hurdle_gets_the_score_of_the_part(name: str) -> None:
    program = builtin(name)
    stopped = evaluate_fitness(program, SPEC, hurdle=Hurdle(math.inf))
    part = evaluate_fitness(program, FIRST_ONLY)
    assert stopped.partial and stopped.ok
    assert stopped.fitness == part.fitness == stopped.hurdle_score
    assert stopped.runs == part.runs == 2 and len(stopped.per_task) == 1


@pytest.mark.parametrize("name", ["lion", "sgd"])
def test_a_child_over_the_hurdle_gets_the_whole_fitness(name: str) -> None:
    program = builtin(name)
    passed = evaluate_fitness(program, SPEC, hurdle=Hurdle(-math.inf))
    whole = evaluate_fitness(program, SPEC)
    assert not passed.partial and not whole.partial
    assert (passed.fitness, passed.runs, passed.per_task) == (whole.fitness, whole.runs, whole.per_task)
    assert passed.hurdle_score == evaluate_fitness(program, FIRST_ONLY).fitness
    assert whole.hurdle_score is None


def test_a_hurdle_on_a_task_the_fitness_lacks_fails_cleanly() -> None:
    result = evaluate_fitness(builtin("sgd"), SPEC, hurdle=Hurdle(0.0, (5,)))
    assert result.status == "failed" and "hurdle tasks" in result.reason


def _result(status: str, score: float) -> FitnessResult:
    return FitnessResult(score, status, "", 1.0, 0.0, (), 1, 0, hurdle_score=score)


def test_the_window_sets_the_percentile_of_recent_trained_children() -> None:
    window = HurdleWindow(HurdleConfig(percentile=75, tasks=(1,), window=4, min_scores=3))
    assert window.cut() == Hurdle(-math.inf, (1,))  # too few scores: every child passes, scored
    for score in (9.0, 1.0, 2.0, 3.0, 4.0):
        window.observe(_result("ok", score))
    window.observe(_result("failed", -100.0))  # a failure says nothing about the others
    assert list(window.scores) == [1.0, 2.0, 3.0, 4.0]
    assert window.cut() == Hurdle(3.25, (1,))
    again = HurdleWindow(window.config)
    again.replay([HistoryRecord(id=i, status="ok", hurdle=s) for i, s in enumerate((9.0, 1.0, 2.0, 3.0, 4.0))])
    again.replay([HistoryRecord(id=9, status="cached", hurdle=0.0), HistoryRecord(id=10, status="ok")])
    assert again.scores == window.scores
    assert HurdleWindow(HurdleConfig()).cut() is None  # off by default


def test_history_records_keep_the_partial_flag() -> None:
    record = HistoryRecord(id=4, status="ok", fitness=0.1, partial=True, hurdle=0.1)
    assert HistoryRecord.from_dict(record.to_dict()) == record
    assert "partial" not in HistoryRecord(id=5).to_dict() and "hurdle" not in HistoryRecord(id=5).to_dict()


def test_a_part_score_counts_as_stopped_and_is_never_the_best() -> None:
    lines = [
        HistoryRecord(id=0, mutation="warm_start", status="ok", fitness=0.0),
        HistoryRecord(id=1, parent_id=0, mutation="modify", status="ok", fitness=0.9, partial=True, hurdle=0.9),
        HistoryRecord(id=2, parent_id=0, mutation="modify", status="ok", fitness=0.2),
    ]
    counts = count_history(lines)
    assert (counts.trained, counts.stopped, counts.best_fitness, counts.best_id) == (3, 1, 0.2, 2)
    stats = Stats().told(0.0, trained=True, ok=True).told(0.9, trained=True, ok=True, partial=True)
    assert (stats.trained, stats.stopped, stats.best_fitness) == (2, 1, 0.0)


def test_the_config_names_a_bad_hurdle() -> None:
    with pytest.raises(FieldError, match="percentile"):
        HurdleConfig(percentile=100)
    with pytest.raises(FieldError, match="hurdle.tasks"):
        Config(search=Config().search.__class__(hurdle=HurdleConfig(percentile=75, tasks=(2,))))


CONFIG = """\
name: hurdles
seed: 1
search:
  population_size: 8
  tournament_size: 2
  budget: {{max_children: 60}}
  hurdle: {{percentile: 50, tasks: [0], window: 10, min_scores: 4}}
fitness:
  tasks: [{{name: quadratic, knobs: {{steps: 20}}}}, {{name: rosenbrock, knobs: {{steps: 20}}, lr_scale: 64.0}}]
  seeds: [0]
  lr_multipliers: [1.0]
ray: {{serial: true}}
output: {{dir: {root}, checkpoint_every: 20}}
"""


def test_a_campaign_with_hurdles_records_partial_children(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "hurdles.yaml"
    path.write_text(textwrap.dedent(CONFIG.format(root=tmp_path / "runs")), encoding="utf-8")
    result = start_campaign(load_config(path, []), name="h", stream=io.StringIO())
    assert result.finished
    records = read_history(result.run_dir / "history.jsonl").records
    trained = [r for r in records if r.status == "ok"]
    assert all(r.hurdle is not None for r in trained)  # every trained child was scored on the part
    partial = [r for r in trained if r.partial]
    assert partial and len(partial) < len(trained)
    assert all(r.fitness == r.hurdle for r in partial)  # the searcher was told the part's score
    with open(result.run_dir / "hall_of_fame.csv", encoding="utf-8") as fh:
        famous = {int(row["id"]) for row in csv.DictReader(fh)}
    assert famous and not famous & {r.id for r in partial}  # a part's score takes no place
    # Nor when the run is rebuilt from its history (a resume without a checkpoint).
    config = load_config(path, [])
    searcher = RegularizedEvolution(config.search_space, 1000, 2, seed=config.seed)
    restored = rebuild(result.run_dir, config, searcher, FitnessCache())
    assert restored is not None and not {e.id for e in restored.hall.entries} & {r.id for r in partial}
    # The counters say how many stopped at the hurdle, and a part's score is never the best.
    stats = json.loads((result.run_dir / "stats.json").read_text(encoding="utf-8"))
    stopped = [r for r in records if r.status != "cached" and r.partial]  # failed ones too
    whole = [r.fitness for r in trained if not r.partial]
    assert stats["stopped"] == len(stopped) and stats["best_fitness"] == max(whole)
    counts = count_history(records)
    assert counts.stopped == len(stopped) and counts.best_fitness == max(whole)
    capsys.readouterr()
    assert main(["show", str(result.run_dir), "--no-family"]) == 0
    assert f"{len(stopped)} stopped at the hurdle" in capsys.readouterr().out
