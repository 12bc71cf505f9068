"""The experiment after the search (paper section 2.3): funnel, simplification, verdict, report.

``run_pipeline(folder, steps)`` runs each step that is not done yet
(:mod:`symopt.pipeline._state`) and then writes ``report.md``
(:mod:`symopt.pipeline._report`):

1. ``funnel``: :func:`~symopt.funnel.run_funnel`; writes ``funnel.json``,
   ``funnel.csv``, ``funnel.png`` and the meta-validation curve.
2. ``simplify``: the program that went furthest in the funnel (or, when none
   beat AdamW on the first stage, the search's best, and the files say so) is
   simplified on the search's own fitness; writes ``simplified.py`` and
   ``simplify.json``.
3. ``verdict``: :func:`~symopt.simplify.classify` on the simplified
   program (and on the raw one); writes ``verdict.json``.

Example:
    >>> run_pipeline("runs/lion_discovery-20250101-120000", ("funnel", "simplify", "verdict"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Sequence

from symopt.config import Config
from symopt.dsl import parse, to_source
from symopt.evolve.workers import EvaluateFn
from symopt.funnel import FunnelResult, read_funnel, run_funnel, write_funnel
from symopt.pipeline._report import write_report
from symopt.pipeline._state import POST_SEARCH_STEPS, PipelineState
from symopt.runs import FUNNEL_CSV, PIPELINE_STATE, SIMPLIFIED, SIMPLIFY_JSON, VERDICT_JSON, Run, RunError
from symopt.runs import atomic_write, finite_or_none, load_run, lock_run, program_of, read_json_object, top_programs
from symopt.simplify import classify, simplify

__all__ = ["Choice", "choose_program", "run_pipeline", "run_step"]


@dataclass(frozen=True)
class Choice:
    """The program the pipeline simplifies and judges.

    Attributes:
        id: its child id.
        stages_passed: funnel stages it passed (0: none did; it is the search's best).
        reason: one sentence on why this one.
    """

    id: int
    stages_passed: int
    reason: str


def choose_program(view: Run, funnel: FunnelResult | None) -> Choice:
    """The best funnel survivor, else the search's best (saying so).

    Raises:
        RunError: no program of the run trained fine.
    """
    stage_names = [s.name for s in funnel.stages] if funnel else []
    found = funnel.best_survivor() if funnel else None
    if found is not None:
        row, depth = found
        if depth == len(stage_names):
            reason = f"{row.name} passed every funnel stage ({', '.join(stage_names)}), best on stage {row.stage}"
        else:
            reason = (
                f"no program passed every funnel stage; {row.name} went furthest "
                f"(passed {', '.join(stage_names[:depth])}), best on stage {row.stage}"
            )
        return Choice(int(row.id), depth, reason + f" (fitness {row.fitness:+.4f})")
    best = top_programs(view.history, 1)
    if not best:
        raise RunError(f"{view.path}: no program trained fine; nothing to simplify")
    first = view.config.funnel.stages[0] if view.config.funnel.stages else None
    where = f"passed funnel stage {stage_names[0]}" if stage_names else "went through a funnel"
    if first is not None and stage_names and first.name == stage_names[0]:
        where = f"{first.rule.words.replace('beats', 'beat')} on funnel stage {stage_names[0]}"
    return Choice(
        best[0].id,
        0,
        f"no program {where}: taking the search's best, child {best[0].id} "
        f"(search fitness {best[0].fitness:+.4f}), unconfirmed on larger tasks",
    )


Say = Callable[[str], None]


@dataclass(frozen=True)
class _Context:
    folder: Path
    config: Config
    evaluate_fn: EvaluateFn | None
    say: Say


def run_pipeline(
    folder: str | Path,
    steps: Sequence[str] = POST_SEARCH_STEPS,
    config: Config | None = None,
    stream: IO[str] | None = None,
    evaluate_fn: EvaluateFn | None = None,
) -> list[str]:
    """Runs the ``steps`` (funnel, simplify, verdict: a prefix) not done yet, then writes ``report.md``.

    Args:
        folder: the run folder.
        steps: the post-search steps wanted, in order.
        config: the settings to use (default: the run's ``config.yaml``).
        stream: where progress lines go (default stdout).
        evaluate_fn: replaces ``evaluate_fitness`` in the funnel (tests).

    Returns:
        The steps that ran (the others were current already).

    Raises:
        RunError: a missing or damaged run folder or result file.
        RunLocked: another process is writing into the folder.
    """
    folder = Path(folder)
    say = _printer(stream)
    ran = []
    with lock_run(folder, "report"):
        view = load_run(folder)  # the steps write their own files, never the history or config it reads
        for step in steps:
            if PipelineState.read(folder).current(step, len(view.history)):
                say(f"{step}: done already ({folder / PIPELINE_STATE})")
                continue
            _run_step(folder, view, step, config, stream, evaluate_fn)
            ran.append(step)
        say(f"report: {write_report(folder, view)}")
    return ran


def run_step(
    folder: str | Path,
    step: str,
    config: Config | None = None,
    stream: IO[str] | None = None,
    evaluate_fn: EvaluateFn | None = None,
) -> None:
    """Runs one post-search step now, done or not, and records it in ``pipeline.json``.

    Arguments as for :func:`run_pipeline`. The steps after it are forgotten:
    they used the result this one replaces.
    """
    folder = Path(folder)
    with lock_run(folder, step):
        _run_step(folder, load_run(folder), step, config, stream, evaluate_fn)


def _run_step(
    folder: Path,
    view: Run,
    step: str,
    config: Config | None,
    stream: IO[str] | None,
    evaluate_fn: EvaluateFn | None,
) -> None:
    ctx = _Context(folder, config or view.config, evaluate_fn, _printer(stream))
    start = time.monotonic()
    _STEPS[step](ctx, view)
    state = PipelineState.read(folder).recorded(step, len(view.history), time.monotonic() - start)
    state.write(folder)


def _printer(stream: IO[str] | None) -> Say:
    out = stream or sys.stdout
    return lambda line: print(line, file=out, flush=True)


def _funnel_step(ctx: _Context, view: Run) -> None:
    result = run_funnel(view, ctx.config, ctx.evaluate_fn, ctx.say)
    rules = [stage.rule.words for stage in ctx.config.funnel.stages]
    write_funnel(result, ctx.folder, title=ctx.folder.name, rules=rules)
    names = ", ".join(r.name for r in result.survivors()) or "none"
    ctx.say(f"funnel: survivors of every stage: {names}; results in {ctx.folder / FUNNEL_CSV}")


def _simplify_step(ctx: _Context, view: Run) -> None:
    choice = choose_program(view, read_funnel(ctx.folder))
    ctx.say(f"simplify: {choice.reason}")
    program = program_of(view, choice.id)
    cfg = ctx.config.simplify
    spec = ctx.config.fitness
    result = simplify(
        program, spec, cfg.seeds, cfg.tolerance, cfg.evolve_steps, rng_seed=ctx.config.seed,
        progress=lambda line: ctx.say(f"simplify: {line}"),
    )  # fmt: skip
    record = {
        "id": choice.id,
        "stages_passed": choice.stages_passed,
        "reason": choice.reason,
        "fitness_tasks": [t.label for t in spec.tasks],
        "seeds": list(cfg.seeds or spec.seeds),
        "tolerance": cfg.tolerance,
        "original_source": to_source(program),
        "original_fitness": finite_or_none(result.original_fitness),
        "source": result.source,
        "fitness": finite_or_none(result.fitness),
        "steps": [
            {"name": s.name, "description": s.description, "fitness": finite_or_none(s.fitness)}
            for s in result.steps
        ],
    }
    atomic_write(ctx.folder / SIMPLIFY_JSON, json.dumps(record, indent=1) + "\n")
    header = (
        f"# {ctx.folder.name}: child {choice.id} simplified ({len(program)} -> {len(result.program)} statements)\n"
        f"# {choice.reason}\n"
        f"# fitness {result.original_fitness:+.4f} -> {result.fitness:+.4f} on the search's fitness\n"
    )
    atomic_write(ctx.folder / SIMPLIFIED, header + result.source + "\n")
    ctx.say(f"simplify: {len(program)} -> {len(result.program)} statements; {ctx.folder / SIMPLIFIED}")


def _verdict_step(ctx: _Context, view: Run) -> None:
    path = ctx.folder / SIMPLIFY_JSON
    record = read_json_object(path, "simplification")
    if record is None:
        raise RunError(f"{path}: missing; the verdict judges the simplify step's program")
    try:
        simplified = parse(record["source"], str(path))
        raw = parse(record["original_source"], str(path))
    except (ValueError, KeyError) as err:
        raise RunError(f"{path}: cannot read the simplified program ({err})") from None
    verdict = classify(simplified)
    raw_family = classify(raw).family
    data = {
        "id": record["id"],
        "verdict": {k: finite_or_none(v) for k, v in verdict.to_dict().items() if k != "residuals"},
        "residuals": {k: finite_or_none(v) for k, v in verdict.residuals.items()},
        "raw_family": raw_family,
    }
    atomic_write(ctx.folder / VERDICT_JSON, json.dumps(data, indent=1) + "\n")
    betas = ", ".join(
        f"{k} {verdict_value:.4g}"
        for k, verdict_value in (("beta1", verdict.beta1), ("beta2", verdict.beta2))
        if math.isfinite(verdict_value)
    )
    ctx.say(f"verdict: {verdict.family}" + (f" ({betas})" if betas else ""))


_STEPS: dict[str, Callable[[_Context, Run], None]] = {
    "funnel": _funnel_step,
    "simplify": _simplify_step,
    "verdict": _verdict_step,
}
