"""The whole experiment from ``symopt search``: search, funnel, simplify, verdict, report.md,
and ``--resume`` picking up the first step not done. Serial, on 20-80 step quadratics.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
from pathlib import Path

import pytest

from run_folders import make_run
from symopt.cli import main
from symopt.funnel import FunnelResult, Row, StageResult
from symopt.pipeline import choose_program
from symopt.runs import load_run
from symopt.simplify import FAMILIES

pytestmark = pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")

TINY = """\
name: tiny
seed: 3
search:
  population_size: 8
  budget: {{max_children: 20}}
fitness:
  tasks: [{{name: quadratic, knobs: {{steps: 20}}}}]
  seeds: [0]
  lr_multipliers: [1.0]
  slot_cost: 0.1
ray: {{serial: true}}
output: {{dir: {root}, checkpoint_every: 5}}
pipeline: {pipeline}
funnel:
  top_k: 3
  meta_validation_every: 5
  stages:
    - {{name: B, tasks: [{{name: quadratic, knobs: {{steps: 40}}}}], seeds: [7], lr_multipliers: [0.5, 1.0, 2.0]}}
    - {{name: C, tasks: [{{name: quadratic, knobs: {{steps: 80}}}}], seeds: [7], lr_multipliers: [0.5, 1.0, 2.0]}}
"""

WHOLE = "[search, funnel, simplify, verdict]"
SECTIONS = ("## Search", "## Funnel selection", "### Meta-validation", "## The discovered program",
            "## Verdict", "## Held-out tasks")  # fmt: skip


def config_file(folder: Path, pipeline: str) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(TINY.format(root=folder / "runs", pipeline=pipeline), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("pipeline")
    capture = folder / "out.txt"
    with open(capture, "w") as out, contextlib.redirect_stdout(out):
        assert main(["search", str(config_file(folder, WHOLE)), "--name", "whole"]) == 0
    return folder / "runs" / "whole", capture.read_text()


def done_steps(run: Path) -> list[str]:
    return list(json.loads((run / "pipeline.json").read_text())["done"])


def test_the_search_goes_on_to_a_report(finished):
    run, out = finished
    assert "finished:" in out and "funnel: stage B: scoring" in out and "verdict:" in out
    assert done_steps(run) == ["funnel", "simplify", "verdict"]
    report = (run / "report.md").read_text()
    positions = [report.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    assert "![search progress](progress.png)" in report and "![funnel](funnel.png)" in report
    for name in ("funnel.csv", "funnel.png", "meta_validation.png", "simplified.py", "verdict.json"):
        assert (run / name).stat().st_size > 0
    verdict = json.loads((run / "verdict.json").read_text())
    assert verdict["verdict"]["family"] in FAMILIES
    assert f"**{verdict['verdict']['family']}**" in report
    held_out = report[report.index("## Held-out tasks") :]
    assert "| adamw |" in held_out and "| lion |" in held_out
    assert "```python\ndef train(" in report


def test_the_held_out_table_compares_each_task_with_adamw_and_marks_grid_edges(finished):
    report = (finished[0] / "report.md").read_text()
    table = report[report.index("| stage | task | optimizer") :].split("\n\n")[0].splitlines()
    assert table[0].split(" | ")[3:6] == ["val. loss", "vs AdamW", "tuned lr mult"]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]
    assert {r[0] for r in rows} <= {"B", "C"} and len(rows) % 3 == 0  # the program, adamw, lion
    adamw_loss = {r[0]: float(r[3]) for r in rows if r[2] == "adamw"}
    for stage, _, name, loss, vs_adamw, lr, _ in rows:
        # vs AdamW is log(AdamW's loss / this loss), from the 4-digit losses the table shows.
        assert float(vs_adamw) == pytest.approx(math.log(adamw_loss[stage] / float(loss)), abs=2e-3)
        # The stages' grid is 0.5, 1, 2 (lr_scale 1), grown by up to 2 factor-2 steps each way.
        mult = float(lr.split()[0])
        assert mult in (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
        mark = "(grid edge)" if mult in (0.125, 8.0) else "(grid grown)" if mult in (0.25, 4.0) else ""
        assert lr == f"{mult:g} {mark}".strip(), (name, lr)
    for mark in ("grid edge", "grid grown"):
        assert (f"`{mark}`" in report) == any(r[5].endswith(f"({mark})") for r in rows)


def test_resume_continues_with_the_first_step_not_done(finished, tmp_path, capsys):
    run = tmp_path / "copy"
    shutil.copytree(finished[0], run)
    state = json.loads((run / "pipeline.json").read_text())
    del state["done"]["verdict"]  # as if stopped during the verdict
    (run / "pipeline.json").write_text(json.dumps(state))
    (run / "verdict.json").unlink()
    assert main(["search", "--resume", str(run)]) == 0
    out = capsys.readouterr().out
    assert "funnel: done already" in out and "simplify: done already" in out
    assert (run / "verdict.json").exists() and done_steps(run) == ["funnel", "simplify", "verdict"]
    # A changed simplify section redoes simplify and the verdict, not the funnel.
    assert main(["search", "--resume", str(run), "--set", "simplify.tolerance=0.05"]) == 0
    out = capsys.readouterr().out
    assert "funnel: done already" in out and "simplify: original" in out and "verdict:" in out


def test_a_search_only_run_gets_its_report_from_symopt_report(tmp_path, capsys):
    assert main(["search", str(config_file(tmp_path, "[search]")), "--name", "only"]) == 0
    run = tmp_path / "runs" / "only"
    assert not (run / "report.md").exists() and not (run / "pipeline.json").exists()
    assert main(["report", str(run)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().endswith(str(run / "report.md"))
    assert done_steps(run) == ["funnel", "simplify", "verdict"]
    assert main(["report", str(run)]) == 0  # a second call only rewrites the report
    assert "verdict: done already" in capsys.readouterr().err


def _row(stage: str, id: int, fitness: float) -> Row:
    return Row(stage, "program", f"child {id}", id, "h", 0.5, fitness, 1.0, "ok", fitness > 0, 0.1, 1)


@pytest.mark.parametrize(
    ("stages", "id", "passed", "says"),
    [
        ((("B", [(2, 0.3), (1, 0.4)]), ("C", [(2, 0.1), (1, -0.1)])), 2, 2, "child 2 passed every funnel stage"),
        ((("B", [(2, 0.3), (1, 0.4)]), ("C", [(2, -0.1), (1, -0.2)])), 1, 1, "no program passed every"),
        ((("B", [(2, -0.3), (1, -0.4)]), ("C", [])), 2, 0, "taking the search's best, child 2"),
    ],
)
def test_the_best_survivor_is_chosen_or_the_search_best_with_a_note(tmp_path, stages, id, passed, says):
    view = load_run(make_run(tmp_path / "fix"))
    funnel = FunnelResult(
        3, tuple(StageResult(name, ("t",), tuple(_row(name, i, f) for i, f in rows)) for name, rows in stages)
    )
    choice = choose_program(view, funnel)
    assert (choice.id, choice.stages_passed) == (id, passed) and says in choice.reason
