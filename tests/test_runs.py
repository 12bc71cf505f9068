"""The run folder package: typed history records, and a folder written before the split still loads and resumes."""

from __future__ import annotations

import json

import pytest

from symopt.cli import main
from symopt.dsl import program_hash
from symopt.runs import CheckpointError, HistoryError, HistoryRecord, load_checkpoint, load_run, program_of
from symopt.runs import read_history, run_status


def test_a_run_written_before_the_split_loads(old_run):
    """Its pickle checkpoint is never read: the history alone serves, with a warning."""
    run = load_run(old_run)
    assert len(run.history) == 13 and run.finished and run.checkpoint is None
    (warning,) = run.warnings
    assert "checkpoint.pkl: a checkpoint of an older symopt (pickle), never read" in warning
    assert run_status(run).counts.trained == 12
    for record in run.history:  # every child's program, checked against its recorded hash
        assert program_hash(program_of(run, record.id)) == record.hash
    assert run.best_program == program_of(run, run.hall_of_fame[0]["id"])


def test_records_keep_every_key_of_an_old_line(old_run):
    first = (old_run / "history.jsonl").read_text().splitlines()[0]
    assert HistoryRecord.from_dict(json.loads(first)).to_dict() == json.loads(first)


def test_a_bad_history_line_names_file_and_line(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text('{"id": 0}\n{"id": 1, "fitness": "high"}\n')
    with pytest.raises(HistoryError, match=r"history.jsonl:2: 'fitness' is 'high'"):
        read_history(path)


def test_a_checkpoint_is_json_data_never_a_pickle(tmp_path):
    path = tmp_path / "checkpoint.json"
    path.write_bytes(b"\x80\x04cos\nsystem\n(S'echo hi'\ntR.")  # os.system('echo hi'), pickled by hand
    with pytest.raises(CheckpointError, match="a pickle, not a symopt checkpoint"):
        load_checkpoint(path)
    path.write_text('{"kind": "symopt checkpoint", "format": 2, "programs": [], '
                    '"checkpoint": {"$type": "Popen", "args": "touch x"}}')
    with pytest.raises(CheckpointError, match="'Popen' is not part of a symopt checkpoint"):
        load_checkpoint(path)


def test_show_reads_the_old_run(old_run, capsys):
    assert main(["show", str(old_run), "--no-family", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"]["evaluations"] == 13 and report["top"][0]["id"] == 11


def test_the_old_run_resumes_with_a_larger_budget(old_run, capsys):
    code = main(["search", "--resume", str(old_run), "--set", "search.budget.max_trained=15", "--set", "ray.serial=true"])
    assert code == 0
    run = load_run(old_run)
    assert [r.id for r in run.history] == list(range(16)) and run.finished
    assert "rebuilding the search from history.jsonl" in capsys.readouterr().out
    assert run.checkpoint is not None and run.checkpoint.stats.trained == 15
