"""`symopt plot`: a PNG comparing runs, labels from their configs, and bad arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from run_folders import make_run
from symopt.cli import main
from symopt.cli.loading import open_run_dir
from symopt.cli.plot_cmd import DEFAULT_NAME, run_labels
from symopt.runs import run_curves

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("plot")
    return [
        make_run(root / "evo", name="lion", mode="evolution"),
        make_run(root / "rnd", name="base", mode="random"),
    ]


def test_plot_writes_one_png_for_two_runs(capsys, tmp_path, runs):
    out = tmp_path / "figure2.png"
    assert main(["plot", *map(str, runs), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000  # three panels, two curves each
    assert f"wrote {out} (2 run(s))" in capsys.readouterr().err


def test_one_run_plots_into_its_folder(capsys, tmp_path):
    folder = make_run(tmp_path / "single")
    assert main(["plot", str(folder)]) == 0
    assert (folder / DEFAULT_NAME).read_bytes().startswith(PNG)


def test_labels_name_the_config_and_mode_and_tell_twins_apart(tmp_path, runs):
    twin = make_run(tmp_path / "evo-2", name="lion", mode="evolution")
    views = [open_run_dir(str(p)) for p in (*runs, twin)]
    assert run_labels(views) == ["lion (evolution) evo", "base (random)", "lion (evolution) evo-2"]


def test_curves_are_cumulative(runs):
    curves = run_curves("x", open_run_dir(str(runs[0])).history)
    assert curves.best.tolist() == [0.0, 0.5, 0.9, 0.9, 0.9, 0.9]
    assert curves.cache_hit_rate[1:].tolist() == [0.0, 0.0, 1 / 3, 1 / 4, 1 / 5]


def test_a_figure_that_is_not_a_png_is_refused(capsys, runs):
    assert main(["plot", str(runs[0]), "-o", "figure.pdf"]) == 2
    assert "figure.pdf: the figure is a PNG" in capsys.readouterr().err
