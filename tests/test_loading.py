"""PROGRAM arguments: files, built-ins and RUN_DIR:ID (in load_program, diff and export)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from run_folders import make_run
from symopt.cli import main
from symopt.cli.errors import UserError
from symopt.cli.loading import load_program, split_run_spec
from symopt.dsl.builtins import builtin
from symopt.dsl.source import to_source


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The history has no 'source' field: programs come from best/, the warm start, the checkpoint.
    return make_run(tmp_path_factory.mktemp("loading") / "old-run", sources=False, checkpoint=True)


# 0: the warm start (from the config); 1, 2: best/; 5: the checkpoint's population.
@pytest.mark.parametrize("id, name", [(0, "adamw"), (1, "signum"), (2, "lion"), (5, "momentum")])
def test_run_dir_colon_id_loads_the_child(run_dir, id, name):
    loaded = load_program(f"{run_dir}:{id}")
    assert loaded.program == builtin(name) and loaded.origin == f"{run_dir}:{id}"


def test_a_child_the_run_did_not_keep_points_to_its_twin(run_dir):
    with pytest.raises(UserError, match=r"child 3's program is not recorded.*child 2 computes the same"):
        load_program(f"{run_dir}:3")


def test_an_existing_file_wins_over_run_dir_colon_id(tmp_path, run_dir):
    odd = Path(f"{run_dir}:2")
    odd.write_text(to_source(builtin("sgd")))
    try:
        assert load_program(str(odd)).program == builtin("sgd")
    finally:
        odd.unlink()


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("runs:x", None),
        ("no/such/folder:3", None),
        ("{dir}:3", ("{dir}", 3)),
        ("{dir}:", None),
        ("{dir}", None),
    ],
)
def test_split_run_spec(tmp_path, spec, expected):
    spec = spec.format(dir=tmp_path)
    expected = expected and (expected[0].format(dir=tmp_path), expected[1])
    assert split_run_spec(spec) == expected


def test_errors_name_the_problem(tmp_path, run_dir):
    with pytest.raises(UserError, match="config.yaml: missing"):
        load_program(f"{tmp_path}:1")
    with pytest.raises(UserError, match="no child 42"):
        load_program(f"{run_dir}:42")
    with pytest.raises(UserError, match="nor RUN_DIR:ID"):
        load_program("no_such_thing")


def test_diff_takes_run_dir_colon_id(capsys, run_dir):
    assert main(["diff", f"{run_dir}:2", "lion"]) == 0
    out = capsys.readouterr().out
    assert f"{run_dir}:2 and lion compute the same thing" in out
    assert main(["diff", f"{run_dir}:1", f"{run_dir}:2"]) == 0
    assert "+    update = sign(update)" in capsys.readouterr().out


def test_export_takes_run_dir_colon_id(capsys, tmp_path, run_dir):
    target = tmp_path / "found.py"
    assert main(["export", f"{run_dir}:2", "-o", str(target)]) == 0
    text = target.read_text()
    assert "def old_run_2(" in text and "import optax" in text
    assert os.path.basename(str(target)) in capsys.readouterr().err
