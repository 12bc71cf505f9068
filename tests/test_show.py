"""`symopt show`: status, top table, JSON, --id lineage and diff, damaged folders; the table helper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from run_folders import make_run
from symopt.cli import main
from symopt.cli.table import WIDTH, format_table


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("show") / "fix-run")


def _table_rows(out: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("rank "))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(line.split())
    return rows


def test_show_prints_status_table_and_best_source(capsys, run_dir):
    code, out, err = _run(capsys, "show", str(run_dir), "--top", "2")
    assert code == 0 and err == ""
    assert "finished" in out
    assert "children    5 (budget 5)" in out
    assert "trained     5, 1 failed" in out
    assert "cache hits  1 (20% of children)" in out
    assert "best        0.9 (child 2)" in out
    # rank, fitness, len, family (classified for real), hash, id, parent, mutation, seen
    assert [r[:4] + r[5:] for r in _table_rows(out)] == [
        ["1", "0.9", "7", "lion", "2", "1", "modify", "2"],
        ["2", "0.5", "6", "signum", "1", "0", "delete", "1"],
    ]
    assert f"symopt export {run_dir}:2" in out
    assert "update = sign(update)" in out  # the best's (lion's) source
    # Lines that print the run folder's path are as long as the path (under xdist, pytest's is longer).
    assert max(len(line) for line in out.splitlines() if str(run_dir) not in line) <= WIDTH


def test_show_json_has_status_top_and_best(capsys, run_dir):
    code, out, _ = _run(capsys, "show", str(run_dir), "--json", "--no-family")
    report = json.loads(out)
    assert code == 0
    assert set(report) == {"status", "state", "top", "best", "warnings"}
    status = report["status"]
    assert {"children", "trained", "cache_hits", "best_fitness", "wall_seconds", "finished"} <= set(status)
    assert (status["children"], status["trained"], status["failed"], status["cache_hits"]) == (5, 5, 1, 1)
    assert status["finished"] is True and status["best_id"] == 2
    assert [row["id"] for row in report["top"]] == [2, 1, 5, 0]  # the cache hit 3 and failed 4 take no place
    assert set(report["top"][0]) >= {"rank", "fitness", "reduced_length", "family", "hash", "id"}
    assert report["top"][0]["family"] is None  # --no-family
    assert report["best"]["id"] == 2 and "sign(update)" in report["best"]["source"]


def test_a_cut_last_line_is_reported_and_skipped(capsys, tmp_path):
    folder = make_run(tmp_path / "torn", finished=False)
    with open(folder / "history.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": 6, "parent_id": 5, "mutation": "ins')  # killed mid-write
    code, out, err = _run(capsys, "show", str(folder), "--no-family")
    assert code == 0
    assert "history.jsonl" in err and "cut short" in err and "6 complete line(s)" in err
    assert "children    5 (budget 5)" in out
    assert "not finished" in out and f"symopt search --resume {folder}" in out


def test_show_id_gives_lineage_and_diff(capsys, run_dir):
    code, out, _ = _run(capsys, "show", str(run_dir), "--id", "5", "--no-family")
    assert code == 0
    assert "child 5 of" in out and "lineage from the warm start, 4 program(s)" in out
    lineage = [line.split()[0] for line in out.split("lineage")[1].splitlines()[2:6]]
    assert lineage == ["0", "1", "2", "5"]
    assert f"--- {run_dir}:2\n+++ {run_dir}:5\n" in out
    assert "-    update = sign(update)" in out and "+    m = g + mm" in out


def test_show_id_json(capsys, run_dir):
    code, out, _ = _run(capsys, "show", str(run_dir), "--id", "2", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["family"] == "lion"
    assert [a["id"] for a in report["lineage"]] == [0, 1, 2] and report["lineage_complete"] is True
    assert report["lineage"][1] == {
        "id": 1, "parent_id": 0, "mutation": "delete", "detail": "delete 9: update",
        "fitness": 0.5, "status": "ok",
    }
    assert report["diff"].startswith(f"--- {run_dir}:1\n+++ {run_dir}:2\n")
    assert "source" not in report["record"] and report["record"]["hash"]


def test_without_source_fields_the_best_files_and_checkpoint_serve(capsys, tmp_path):
    folder = make_run(tmp_path / "old", sources=False, checkpoint=True)
    code, out, _ = _run(capsys, "show", str(folder), "--id", "5", "--no-family")
    assert code == 0  # 5 is in the checkpoint's population, its parent 2 in best/
    assert "+    m = g + mm" in out
    (folder / "checkpoint.json").unlink()
    code, out, _ = _run(capsys, "show", str(folder), "--id", "5", "--no-family")
    # The note is wrapped to the terminal, where a line breaks depends on the folder's path length.
    assert code == 0 and "child 5's program is not recorded" in " ".join(out.split())
    assert "lineage from the warm start, 4 program(s)" in out


def _damage(folder: Path, what: str) -> Path:
    """Damages a run folder; returns the file the message must name."""
    if what == "no config":
        (folder / "config.yaml").unlink()
        return folder / "config.yaml"
    if what == "bad history line":
        lines = (folder / "history.jsonl").read_text().splitlines(keepends=True)
        lines[2] = "not json\n"
        (folder / "history.jsonl").write_text("".join(lines))
        return folder / "history.jsonl"
    if what == "line without id":
        (folder / "history.jsonl").write_text('{"id": 0, "status": "ok"}\n{"status": "ok"}\n')
        return folder / "history.jsonl"
    if what == "no history":
        (folder / "history.jsonl").unlink()
        return folder / "history.jsonl"
    assert what == "bad stats"
    (folder / "stats.json").write_text("{not json")
    return folder / "stats.json"


@pytest.mark.parametrize(
    "what", ["no config", "bad history line", "line without id", "no history", "bad stats"]
)
@pytest.mark.parametrize("command", ["show", "plot"])
def test_a_damaged_run_folder_is_one_line_naming_the_file(capsys, tmp_path, what, command):
    folder = make_run(tmp_path / "run", checkpoint=True)
    named = _damage(folder, what)
    code, out, err = _run(capsys, command, str(folder))
    assert code == 2 and out == ""
    assert str(named) in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_folder_and_unknown_id(capsys, tmp_path, run_dir):
    code, _, err = _run(capsys, "show", str(tmp_path / "nope"))
    assert code == 2 and f"{tmp_path / 'nope'}: no such run folder" in err
    code, _, err = _run(capsys, "show", str(run_dir), "--id", "99")
    assert code == 2 and "history.jsonl: no child 99 (its ids run from 0 to 5)" in err


def test_table_aligns_and_fits_the_width():
    rows = [(1, 7.48489, "adam", "x" * 150), (10, -0.000123456, "signum", "short")]
    text = format_table(("rank", "fitness", "family", "detail"), rows)
    lines = text.splitlines()
    assert lines[0].startswith("rank     fitness  family  detail")
    assert lines[1].startswith("   1       7.485  adam    xxx")
    assert lines[2].startswith("  10  -0.0001235  signum  short")
    assert all(len(line) <= WIDTH for line in lines) and lines[1].endswith("...")
