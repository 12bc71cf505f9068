"""``report.md``: one page on what a run found, built from the files of its pipeline.

Sections: the search (counters, ``progress.png``), funnel selection (stages,
``funnel.png``, the meta-validation curve), the raw best program, its
simplified form, the verdict (family and fitted constants) and a table of the
program against AdamW and Lion on the held-out funnel tasks, each at its tuned
learning-rate multiplier. A step that has not run says so and how to run it.
Nothing is trained here: :func:`write_report` only reads the run folder.

Example:
    >>> path = write_report("runs/lion_discovery-20250101-120000")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symopt.funnel import FunnelResult, Row, TaskResult, read_funnel
from symopt.runs import FUNNEL_CSV, FUNNEL_PNG, META_CSV, META_PNG, PROGRESS, REPORT, SIMPLIFY_JSON, VERDICT_JSON
from symopt.runs import Run, atomic_write, load_run, read_json_object

__all__ = ["render_report", "write_report"]

_LION_BETAS = (0.9, 0.99)


def write_report(folder: str | Path, run: Run | None = None) -> Path:
    """Writes ``folder/report.md`` from the run's files; returns its path.

    Args:
        folder: the run folder.
        run: the folder's :func:`~symopt.runs.load_run`, if the caller has read it already.

    Raises:
        RunError: a missing or damaged run folder or result file.
    """
    folder = Path(folder)
    run = load_run(folder) if run is None else run
    simplified = read_json_object(folder / SIMPLIFY_JSON, "simplification")
    verdict = read_json_object(folder / VERDICT_JSON, "verdict")
    text = render_report(run, read_funnel(folder), simplified, verdict)
    atomic_write(folder / REPORT, text)
    return folder / REPORT


def _num(value: Any, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4g}"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def _not_run(step: str, folder: Path) -> list[str]:
    return [f"Not run yet: `symopt report {folder}` runs it ({step}).", ""]


def render_report(
    run: Run, funnel: FunnelResult | None, simplified: dict[str, Any] | None, verdict: dict[str, Any] | None
) -> str:
    """The report's Markdown text (see the module docstring)."""
    lines = [f"# {run.path.name}: what the search found", ""]
    lines += _search_section(run)
    lines += _funnel_section(run, funnel)
    lines += _program_section(run, simplified)
    lines += _verdict_section(run, verdict)
    lines += _held_out_section(run, funnel, simplified)
    return "\n".join(lines).rstrip() + "\n"


def _search_section(run: Run) -> list[str]:
    cfg, stats = run.config, run.stats
    state = "finished" if run.finished else "not finished (interrupted or still running)"
    lines = [
        "## Search",
        "",
        f"Config `{cfg.name}` (mode {cfg.search.mode}, warm start {Path(cfg.search.warm_start).name}, "
        f"population {cfg.search.population_size}, seed {cfg.seed}); the search is {state}.",
        "",
    ]
    if stats:
        rows = [
            ["evaluations", str(stats.get("evaluations", "-"))],
            ["trained", f"{stats.get('trained', '-')} ({stats.get('failed', '-')} failed)"],
            ["cache hit rate", _num(stats.get("cache_hit_rate"))],
            ["best search fitness (AdamW = 0)", _num(stats.get("best_fitness"), signed=True)],
            ["search time (s)", _num(stats.get("elapsed"))],
        ]
        lines += _table(["", ""], rows)
    return lines + [f"![search progress]({PROGRESS})", ""]


def _rules(run: Run) -> str:
    """The stages' pass rules in words (one phrase when they share it)."""
    words = {stage.rule.words: None for stage in run.config.funnel.stages}
    return " / ".join(words) or "passes its stage"


def _stage_seconds(rows: tuple[Row, ...]) -> str:
    # The median: a worker's first job also pays for compiling and the AdamW baseline.
    seconds = [r.seconds for r in rows if r.status == "ok"]
    return f"{statistics.median(seconds):.3g}" if seconds else "-"


def _funnel_section(run: Run, funnel: FunnelResult | None) -> list[str]:
    lines = ["## Funnel selection", ""]
    if funnel is None:
        return lines + _not_run("funnel", run.path)
    lines += [
        f"The top {funnel.top_k} distinct programs of the search entered the first stage; a program "
        f"goes on when it {_rules(run)}, the baselines tuned the same way.",
        "",
    ]
    rows = [
        [
            s.name,
            "; ".join(s.tasks),
            str(len(s.programs)) if s.rows else "skipped",
            str(sum(1 for r in s.programs if r.passed)),
            _stage_seconds(s.rows),
        ]
        for s in funnel.stages
    ]
    lines += _table(["stage", "tasks", "programs", "passed", "s per program (median)"], rows)
    lines += [f"![funnel]({FUNNEL_PNG}) ([{FUNNEL_CSV}]({FUNNEL_CSV}))", ""]
    if funnel.meta_validation:
        last = funnel.meta_validation[-1]
        top = max(funnel.meta_validation, key=lambda m: (m.fitness, -m.point.evaluations))
        lines += [
            "### Meta-validation",
            "",
            f"The best-so-far program every {run.config.funnel.meta_validation_every} evaluations, scored "
            f"on stage {last.stage}. At the end (child {last.point.id}): search fitness "
            f"{_num(last.point.search_fitness, True)}, stage {last.stage} fitness {_num(last.fitness, True)}; "
            f"the best held-out fitness was {_num(top.fitness, True)} (child {top.point.id}, after "
            f"{top.point.evaluations} evaluations). A held-out curve that falls while the search "
            "fitness rises is meta-overfitting (paper, section 2.3).",
            "",
            f"![meta-validation]({META_PNG}) ([{META_CSV}]({META_CSV}))",
            "",
        ]
    return lines


def _program_section(run: Run, simplified: dict[str, Any] | None) -> list[str]:
    lines = ["## The discovered program", ""]
    if simplified is None:
        return lines + _not_run("simplify", run.path)
    lines += [
        f"{simplified['reason']}.",
        "",
        f"Raw (child {simplified['id']}; fitness {_num(simplified['original_fitness'], True)}):",
        "",
        "```python",
        simplified["original_source"].rstrip(),
        "```",
        "",
        f"Simplified on the search's fitness ({' + '.join(simplified['fitness_tasks'])}; tolerance "
        f"{simplified['tolerance']}), fitness {_num(simplified['fitness'], True)}:",
        "",
    ]
    lines += [f"{i}. {s['name']}: {s['description']}" for i, s in enumerate(simplified["steps"], start=1)]
    if not simplified["steps"]:
        return lines + ["(nothing to simplify)", ""]
    return lines + ["", "```python", simplified["source"].rstrip(), "```", ""]


def _verdict_section(run: Run, verdict: dict[str, Any] | None) -> list[str]:
    lines = ["## Verdict", ""]
    if verdict is None:
        return lines + _not_run("verdict", run.path)
    v = verdict["verdict"]
    family = v["family"]
    constants = [
        ["family", f"**{family}**"],
        ["beta1", _num(v["beta1"])],
        ["beta2", _num(v["beta2"])],
        ["learning-rate scale", _num(v["lr_scale"])],
        ["weight decay", _num(v["weight_decay"])],
        ["fit residual", _num(v["residual"])],
    ]
    if family == "lion":
        b1, b2 = v["beta1"], v["beta2"]
        says = (
            f"It is Lion: the update is the sign of an interpolation with beta1 {b1:.3g}, the momentum "
            f"decays with beta2 {b2:.3g} (Lion's defaults: {_LION_BETAS[0]}, {_LION_BETAS[1]})."
        )
    else:
        says = f"It is not Lion: its updates fit the {family} family best."
    raw = verdict.get("raw_family")
    same = "" if raw in (None, family) else f" (the raw program fits {raw}: simplification changed its behaviour)"
    return lines + [says + same, ""] + _table(["", ""], constants)


@dataclass(frozen=True)
class _Grid:
    """A task's multipliers on a stage: the configured ends, and the ends growth may reach."""

    low: float
    high: float
    grow: int

    def mark(self, lr_mult: float) -> str:
        """`` (grid edge)`` at the last multiplier growth could reach, `` (grid grown)`` past the grid."""
        factor = 2.0**self.grow
        if any(math.isclose(lr_mult, end, rel_tol=1e-6) for end in (self.low / factor, self.high * factor)):
            return " (grid edge)"
        return " (grid grown)" if not self.low * (1 - 1e-6) <= lr_mult <= self.high * (1 + 1e-6) else ""


def _grids(run: Run, stage: str) -> list[_Grid]:
    """Per task of ``stage``: its grid (empty if the stage is not in the run's config)."""
    for cfg in run.config.funnel.stages:
        if cfg.name == stage:
            lo, hi = min(cfg.lr_multipliers), max(cfg.lr_multipliers)
            return [_Grid(t.lr_scale * lo, t.lr_scale * hi, cfg.grow_lr_grid) for t in cfg.tasks]
    return []


def _lr_cell(result: TaskResult | None, grid: _Grid | None) -> str:
    """The tuned multiplier, marked when it lies at the end of its (grown) grid or past the grid."""
    if result is None:
        return "-"
    return _num(result.lr_mult) + (grid.mark(result.lr_mult) if grid is not None else "")


def _vs_adamw(result: TaskResult | None, adamw: TaskResult | None) -> str:
    """``log(AdamW's loss / this loss)`` on one task: > 0 means better than AdamW."""
    if result is None or adamw is None or not (result.metric > 0 and adamw.metric > 0):
        return "-"
    return _num(math.log(adamw.metric / result.metric), True)


def _held_out_section(run: Run, funnel: FunnelResult | None, simplified: dict[str, Any] | None) -> list[str]:
    lines = ["## Held-out tasks: the discovered program against AdamW and Lion", ""]
    if funnel is None or simplified is None:
        return lines + _not_run("funnel and simplify", run.path)
    rows = []
    marks: set[str] = set()
    for stage in funnel.stages:
        mine = [r for r in stage.programs if r.id == simplified["id"]]
        if not mine:
            continue
        entries = [(f"child {simplified['id']}", mine[0])] + [(r.name, r) for r in stage.baselines]
        adamw = next((r for r in stage.baselines if r.name == "adamw"), None)
        grids = _grids(run, stage.name)
        for t, task in enumerate(stage.tasks):
            grid = grids[t] if t < len(grids) else None
            base = adamw.per_task[t] if adamw is not None and t < len(adamw.per_task) else None
            for label, row in entries:
                result = row.per_task[t] if t < len(row.per_task) else None
                lr = _lr_cell(result, grid)
                marks |= {m for m in ("grid edge", "grid grown") if lr.endswith(f"({m})")}
                metric = _num(result.metric if result else None)
                rows.append([stage.name, task, label, metric, _vs_adamw(result, base), lr, _num(row.fitness, True)])
    if not rows:
        return lines + [f"Child {simplified['id']} was not in the funnel.", ""]
    lines += [
        "Validation loss (lower is better) at each optimizer's best learning-rate multiplier "
        "on the stage's grid; `vs AdamW` is log(AdamW's loss / this loss) on that task and "
        "`stage fitness` the stage's weighted mean of it (higher is better)."
        + (
            " `grid grown`: the best multiplier lay past the stage's `lr_multipliers`, found by "
            "trying factor-2 steps beyond them (`grow_lr_grid`)."
            if "grid grown" in marks
            else ""
        )
        + (
            " `grid edge`: the last multiplier tried on that side was still the best, so the "
            "optimizer's best learning rate may lie further out (widen `lr_multipliers`)."
            if "grid edge" in marks
            else ""
        ),
        "",
    ]
    headers = ["stage", "task", "optimizer", "val. loss", "vs AdamW", "tuned lr mult", "stage fitness"]
    return lines + _table(headers, rows)
