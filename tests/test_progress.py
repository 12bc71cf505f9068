"""The search's progress display: the binding budget with an ETA, no zeros while starting, 80 columns."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from symopt.evolve._progress import Progress, budget_line
from symopt.runs import Stats

QUICK = {"trained": 600.0, "seconds": 90.0}  # configs/quick.yaml's budget


def test_the_bar_counts_seconds_when_time_will_end_the_run():
    # quick.yaml on 2 cores: 268 trained when the 90 s ran out, so seconds bind from the start.
    fraction, label = budget_line(Stats(children=150, trained=134, evaluations=134, elapsed=45.0), QUICK)
    assert (fraction, label) == (0.5, "45/90 s, ETA 0:45")


def test_the_bar_counts_trained_programs_when_they_run_out_first():
    fraction, label = budget_line(Stats(children=500, trained=450, evaluations=450, elapsed=30.0), QUICK)
    assert fraction == 0.75 and label == "450/600 trained, ETA 0:10"  # 15 trained/s, 150 left


def test_without_a_budget_there_is_no_fraction():
    fraction, label = budget_line(Stats(children=7, evaluations=7, elapsed=3.0), {})
    assert fraction is None and label.startswith("7 children, no budget")


def rendered(progress: Progress, width: int = 80) -> list[str]:
    console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(progress.render())
    return console.file.getvalue().splitlines()


def test_before_the_first_evaluation_it_says_what_it_waits_for():
    progress = Progress(QUICK, 15.0, io.StringIO(), starting="training the warm start (adamw; the first run compiles)")
    progress.update(Stats(elapsed=12.0))
    (line,) = rendered(progress)
    assert "search: training the warm start (adamw; the first run compiles) (0:00)" in line
    assert "0/" not in line and "children 0" not in line


@pytest.mark.parametrize(
    "stats",
    [
        Stats(children=3, trained=3, evaluations=3, elapsed=2.0, best_fitness=0.1),
        Stats(children=123_456, trained=99_999, failed=12_345, cache_hits=20_000, evaluations=120_000,
              elapsed=86_000.0, best_fitness=-12.3456),
    ],
    ids=["small", "a day of search"],
)
def test_nothing_is_cut_at_80_columns(stats):
    progress = Progress({"children": 200_000.0, "seconds": 90_000.0}, 15.0, io.StringIO())
    progress.update(stats)
    lines = rendered(progress)
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines), lines
    assert "…" not in "".join(lines)
    assert lines[0].startswith("search ") and lines[0].endswith(budget_line(stats, progress.limits)[1])
    best = f"best {stats.best_fitness:.4f}  children {stats.children}  trained {stats.trained} ({stats.failed} failed)"
    assert lines[1].startswith(best)


def test_without_a_terminal_the_start_is_one_line_and_no_summary_of_zeros():
    out = io.StringIO()
    with Progress(QUICK, 0.0, out, starting="training the warm start (adamw)") as progress:
        progress.update(Stats(elapsed=1.0))
        progress.update(Stats(elapsed=2.0))
        progress.update(Stats(children=4, trained=4, evaluations=4, elapsed=30.0))
    lines = out.getvalue().splitlines()
    assert lines[0] == "[symopt] training the warm start (adamw) ..."
    assert len(lines) == 2 and lines[1].startswith("[symopt] children 4, trained 4")
    assert lines[1].endswith("; 30/90 s, ETA 1:00")


def test_progress_png_window_shows_the_best_and_the_baseline_on_a_linear_axis():
    from symopt.runs._plots import fitness_window

    ys = np.array([-40.0, -3.0, 0.5, 2.8])
    best = np.maximum.accumulate(ys)
    low, high = fitness_window(ys, best)
    assert low == -2.8 and high == pytest.approx(2.8 * 1.15)  # as much room below 0 as above
    low, high = fitness_window(np.array([-0.02, 0.01]), np.array([-0.02, 0.01]))
    assert (low, high) == (-0.025, 0.0175)  # nothing below: the window starts just under the worst
    low, high = fitness_window(np.array([-0.5]), np.array([-0.5]))
    assert (low, high) == (-0.55, 0.075)  # nothing beat the baseline: 0 stays in view


def test_progress_png_is_drawn_with_points_below_the_window(tmp_path):
    from symopt.runs._plots import plot_progress
    from symopt.runs._records import HistoryRecord

    records = [HistoryRecord(i, status="ok", fitness=f) for i, f in enumerate([0.0, -30.0, 1.2, 2.8, -1e9])]
    plot_progress(records, tmp_path / "progress.png")
    assert (tmp_path / "progress.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def terminal_stderr(monkeypatch):
    """stderr counts as a terminal: the spinner of :func:`working` is drawn (rich's own switches)."""
    import symopt.evolve

    monkeypatch.setattr(symopt.evolve, "progress_enabled", lambda stream=None: True)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")


def test_working_is_silent_off_a_terminal(capsys):
    from symopt.cli.status import working

    with working("step one") as say:
        say("step two")
    assert capsys.readouterr() == ("", "")


def test_working_shows_what_is_being_done(terminal_stderr, capsys):
    from symopt.cli.status import working

    with working("step one") as say:
        say("step two")
    err = capsys.readouterr().err
    assert "step two" in err and "\x1b[2K" in err  # drawn, then erased


def test_show_says_it_is_classifying(terminal_stderr, capsys, fix_run):
    from symopt.cli import main

    assert main(["show", str(fix_run), "--top", "2"]) == 0
    out, err = capsys.readouterr()
    assert "classifying program 2/2 (about a second each; --no-family skips this)" in err
    assert "classifying" not in out


def test_eval_says_which_seed_it_trains(terminal_stderr, capsys):
    from symopt.cli import main

    assert main(["eval", "sgd", "--task", "quadratic", "--set", "steps=5", "--seeds", "2"]) == 0
    assert "training on quadratic: seed 1 (2/2; the first compiles)" in capsys.readouterr().err
