"""`symopt eval` and `symopt tasks`: JSON shape, knob errors, the default fitness hook."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from symopt.cli import eval_cmd, main
from symopt.proxy_tasks import DEFAULT_FITNESS, task_names

REPORT_KEYS = {"task", "seeds", "metric", "fitness", "status", "reason", "seconds"}


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_one_task_json(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = _run(capsys, "eval", "lion", "--task", "teacher_student", "--set", "steps=20", "--json")
    report = json.loads(out)
    assert code == 0
    assert REPORT_KEYS <= set(report)
    assert report["task"] == "teacher_student" and report["knobs"]["steps"] == 20
    assert report["seeds"] == [0, 1, 2] and len(report["per_seed"]) == 3
    assert report["status"] == "ok" and report["reason"] == "" and report["fitness"] is None
    assert report["metric"] == pytest.approx(sum(r["metric"] for r in report["per_seed"]) / 3)


def test_eval_text_output(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = _run(capsys, "eval", "sgd", "--task", "quadratic", "--seeds", "2", "--lr-mult", "0.5")
    assert code == 0
    assert "seed 0: loss" in out and "seed 1: loss" in out and "mean over 2 seed(s)" in out


def test_eval_failed_program_reports_the_reason(tmp_path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "decay.py"
    path.write_text("def train(w, g, m, v, lr):\n    update = w * 0.01\n    return update, m, v\n")
    code, out, _ = _run(capsys, "eval", str(path), "--task", "quadratic", "--json")
    report = json.loads(out)
    assert code == 0
    assert (report["status"], report["reason"], report["metric"]) == (
        "failed",
        "update ignores the gradient",
        None,
    )


@pytest.mark.parametrize(
    "setting, named",
    [("stepz=20", "stepz"), ("steps=many", "steps"), ("loss=hinge", "loss"), ("steps", "KNOB=VALUE")],
)
def test_bad_set_exits_2_naming_the_knob(capsys: pytest.CaptureFixture, setting: str, named: str) -> None:
    code, out, err = _run(capsys, "eval", "lion", "--task", "digits_mlp", "--set", setting)
    assert code == 2 and out == ""
    assert named in err and len(err.strip().splitlines()) == 1


def test_unknown_task_exits_2(capsys: pytest.CaptureFixture) -> None:
    code, _, err = _run(capsys, "eval", "lion", "--task", "imagenet")
    assert code == 2 and "imagenet" in err and "digits_mlp" in err


@dataclass(frozen=True)
class _FakeFitness:
    fitness: float
    status: str
    reason: str
    metric: float
    seconds: float


def test_without_task_uses_the_default_fitness(monkeypatch, capsys: pytest.CaptureFixture) -> None:
    calls = []

    def evaluate_fitness(program, spec, seeds):
        calls.append((spec, seeds))
        return _FakeFitness(-0.5, "ok", "", 0.5, 1.25)

    monkeypatch.setattr(eval_cmd, "evaluate_fitness", evaluate_fitness)
    code, out, _ = _run(capsys, "eval", "adamw", "--seeds", "2", "--json")
    report = json.loads(out)
    assert code == 0 and calls == [(DEFAULT_FITNESS, (0, 1))]
    assert REPORT_KEYS <= set(report) and report["fitness"] == -0.5 and report["metric"] == 0.5
    code, _, err = _run(capsys, "eval", "adamw", "--set", "steps=3")
    assert code == 2 and "--task" in err


def test_tasks_lists_every_task(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = _run(capsys, "tasks")
    assert code == 0
    for name in task_names():
        assert name in out
    code, out, _ = _run(capsys, "tasks", "--json")
    rows = json.loads(out)
    assert [r["name"] for r in rows] == list(task_names())
    assert all({"knobs", "params", "approx_ms", "doc"} <= set(r) for r in rows)
