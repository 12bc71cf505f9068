"""Funnel selection (paper section 2.3): only programs that beat AdamW on bigger tasks go on.

The top ``funnel.top_k`` distinct programs of a run (by functional hash, from
its history: :func:`~symopt.runs.top_programs`) enter the first stage. Each
stage scores every program still in, and the baselines (AdamW and Lion
built-ins by default, whose constants set their learning rates), with
:func:`~symopt.proxy_tasks.evaluate_fitness` under the stage's ``FitnessSpec``:
the same tasks, seeds and learning-rate multipliers for all, so the stage
rule's baseline (AdamW) scores exactly 0, and the rule
(:data:`~symopt.config.PASS_RULES`) says who passes (fitness above 0). Only
passers enter the next stage; a stage nobody reaches is skipped.

The first stage also scores the meta-validation programs
(:func:`~symopt.funnel.sample_best_so_far`): the best-so-far program every
``funnel.meta_validation_every`` evaluations. A program is trained once per
stage however many roles it has (a hash shared by a child and a baseline, or by
a finalist and a meta-validation sample).

Scoring runs where the search ran: on Ray workers, or in this process with
``ray.serial`` (:func:`~symopt.evolve.workers.open_session`).

Example:
    >>> from symopt.runs import load_run                 # doctest: +SKIP
    >>> result = run_funnel(load_run("runs/lion-1"))     # doctest: +SKIP
    >>> [row.name for row in result.survivors()]         # doctest: +SKIP
    ['child 812']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

from symopt.config import Config, StageConfig
from symopt.dsl import Program, builtin, program_hash
from symopt.evolve.workers import EvaluateFn, EvaluatorFactory, Job, open_session
from symopt.funnel._meta_validation import MetaPoint, sample_best_so_far
from symopt.proxy_tasks import FitnessResult
from symopt.runs import Run, program_of, top_programs

__all__ = ["Entrant", "FunnelResult", "MetaScore", "Row", "StageResult", "TaskResult", "run_funnel"]

Role = Literal["program", "baseline"]


@dataclass(frozen=True)
class Entrant:
    """A program the funnel scores.

    Attributes:
        role: ``program`` (a child of the search) or ``baseline`` (a built-in).
        name: ``child ID`` or the built-in's name.
        id: the child id (``None`` for a baseline).
        hash: the functional hash.
        program: the program.
        search_fitness: its fitness in the search (``None`` for a baseline).
    """

    role: Role
    name: str
    id: int | None
    hash: str
    program: Program
    search_fitness: float | None


@dataclass(frozen=True)
class TaskResult:
    """One task of a stage for one entrant: its metric at its best multiplier.

    Attributes:
        task: the task's label, e.g. ``digits_mlp(loss=se, steps=1000)``.
        metric: the geometric-mean validation loss there (lower is better).
        lr_mult: the tuned learning-rate multiplier (task ``lr_scale`` times the best multiplier).
    """

    task: str
    metric: float
    lr_mult: float


@dataclass(frozen=True)
class Row:
    """One entrant's score on one stage (a line of ``funnel.csv``).

    Attributes:
        stage: the stage's name.
        role, name, id, hash, search_fitness: as in :class:`Entrant`.
        fitness: the stage fitness (AdamW = 0, higher is better).
        metric: the first task's validation loss (``nan`` when failed).
        status: ``ok`` or ``failed``.
        passed: the stage's pass rule held (``None`` for baselines, which are not selected).
        seconds: training time of this entrant on this stage.
        slots: live state slots.
        per_task: each task's metric and tuned multiplier.
    """

    stage: str
    role: Role
    name: str
    id: int | None
    hash: str
    search_fitness: float | None
    fitness: float
    metric: float
    status: str
    passed: bool | None
    seconds: float
    slots: int
    per_task: tuple[TaskResult, ...] = ()


@dataclass(frozen=True)
class StageResult:
    """A stage's rows: baselines first, then the programs in the order they entered.

    Attributes:
        name: the stage's name.
        tasks: its task labels.
        rows: empty when no program reached the stage (it was skipped).
    """

    name: str
    tasks: tuple[str, ...]
    rows: tuple[Row, ...] = ()

    @property
    def programs(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.role == "program")

    @property
    def baselines(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.role == "baseline")


@dataclass(frozen=True)
class MetaScore:
    """A meta-validation sample with its first-stage score.

    Attributes:
        point: the best-so-far program after ``point.evaluations`` lines.
        stage: the stage it was scored on.
        fitness: its stage fitness (AdamW = 0).
        metric: its first task's validation loss there.
    """

    point: MetaPoint
    stage: str
    fitness: float
    metric: float


@dataclass(frozen=True)
class FunnelResult:
    """What :func:`run_funnel` found.

    Attributes:
        top_k: how many programs were asked for.
        stages: one result per configured stage, in order.
        meta_validation: the curve's samples (empty when turned off).
    """

    top_k: int
    stages: tuple[StageResult, ...]
    meta_validation: tuple[MetaScore, ...] = field(default=())

    def survivors(self) -> tuple[Row, ...]:
        """The programs that passed the last stage, best first."""
        last = self.stages[-1].programs if self.stages else ()
        return tuple(sorted((r for r in last if r.passed), key=lambda r: (-r.fitness, r.id)))

    def best_survivor(self) -> tuple[Row, int] | None:
        """The program that went furthest (ties: higher fitness there) and how many stages it passed.

        ``None`` when no program passed even the first stage.
        """
        for depth in range(len(self.stages), 0, -1):
            passed = [r for r in self.stages[depth - 1].programs if r.passed]
            if passed:
                return min(passed, key=lambda r: (-r.fitness, r.id)), depth
        return None


Progress = Callable[[str], None]


def run_funnel(
    view: Run,
    config: Config | None = None,
    evaluate_fn: EvaluateFn | None = None,
    progress: Progress | None = None,
) -> FunnelResult:
    """Runs the funnel on a run's history (see the module docstring).

    Args:
        view: the run (:func:`~symopt.runs.load_run`).
        config: whose ``funnel`` and ``ray`` sections to use (default: the run's).
        evaluate_fn: replaces ``evaluate_fitness`` (tests).
        progress: called with a line of text as stages start and programs finish.

    Raises:
        RunError: a top program whose source the run did not keep.
    """
    config = config or view.config
    say = progress or (lambda _: None)
    funnel = config.funnel
    entrants = [
        Entrant("program", f"child {r.id}", r.id, r.hash, program_of(view, r.id), r.fitness)
        for r in top_programs(view.history, funnel.top_k)
    ]
    baselines = [_baseline(name) for name in funnel.baselines]
    every = funnel.meta_validation_every
    points = sample_best_so_far(view.history, every) if every else []
    meta = [
        Entrant("program", f"child {p.id}", p.id, p.hash, program_of(view, p.id), p.search_fitness) for p in points
    ]
    say(f"funnel: {len(entrants)} program(s) enter stage {funnel.stages[0].name}")
    results: list[StageResult] = []
    meta_scores: tuple[MetaScore, ...] = ()
    with open_session(config.ray) as open_for:
        for index, stage in enumerate(funnel.stages):
            extra = meta if index == 0 else []
            if not entrants:
                say(f"funnel: stage {stage.name}: no program left, skipped")
                results.append(StageResult(stage.name, _labels(stage)))
                continue
            scored = _score(open_for, stage, baselines + entrants + extra, evaluate_fn, say)
            rows = tuple(_row(stage, e, scored[e.hash]) for e in baselines + entrants)
            results.append(StageResult(stage.name, _labels(stage), rows))
            if index == 0:
                meta_scores = tuple(
                    MetaScore(p, stage.name, scored[p.hash][0].fitness, _metric(scored[p.hash][0])) for p in points
                )
            passed = {r.hash for r in rows if r.passed}
            entrants = [e for e in entrants if e.hash in passed]
            say(f"funnel: stage {stage.name}: {len(entrants)} of {len(rows) - len(baselines)} passed")
    return FunnelResult(funnel.top_k, tuple(results), meta_scores)


def _baseline(name: str) -> Entrant:
    program = builtin(name)
    return Entrant("baseline", name, None, program_hash(program), program, None)


def _labels(stage: StageConfig) -> tuple[str, ...]:
    return tuple(t.label for t in stage.tasks)


def _score(
    open_for: EvaluatorFactory,
    stage: StageConfig,
    entrants: Sequence[Entrant],
    evaluate_fn: EvaluateFn | None,
    say: Progress,
) -> dict[str, tuple[FitnessResult, float]]:
    """``hash -> (FitnessResult, seconds)`` for each distinct program among ``entrants``."""
    first: dict[str, Entrant] = {}
    for entrant in entrants:  # the first role names it in progress lines: a baseline before a child
        first.setdefault(entrant.hash, entrant)
    unique = list(first.values())
    done: dict[str, tuple[FitnessResult, float]] = {}
    with open_for(stage.to_spec(), evaluate_fn) as evaluator:
        say(f"funnel: stage {stage.name}: scoring {len(unique)} program(s) on {evaluator.num_workers} worker(s)")
        for i, entrant in enumerate(unique):
            evaluator.submit(Job(i, entrant.program))
        while evaluator.pending:
            for outcome in evaluator.wait():
                entrant = unique[outcome.id]
                done[entrant.hash] = (outcome.result, outcome.seconds)
                result = outcome.result
                say(
                    f"funnel: stage {stage.name}: {entrant.name} fitness {result.fitness:+.4f} "
                    f"({outcome.seconds:.1f} s; {len(done)}/{len(unique)})"
                )
    return done


def _metric(result: FitnessResult) -> float:
    metric = float(result.metric)
    return metric if math.isfinite(metric) else math.nan


def _row(stage: StageConfig, entrant: Entrant, scored: tuple[FitnessResult, float]) -> Row:
    result, seconds = scored
    fitness = float(result.fitness)
    ok = result.status == "ok"
    return Row(
        stage=stage.name,
        role=entrant.role,
        name=entrant.name,
        id=entrant.id,
        hash=entrant.hash,
        search_fitness=entrant.search_fitness,
        fitness=fitness,
        metric=_metric(result),
        status=str(result.status),
        passed=None if entrant.role == "baseline" else bool(ok and stage.rule.passes(fitness)),
        seconds=float(seconds),
        slots=int(getattr(result, "slots", 0)),
        per_task=tuple(TaskResult(t.task, float(t.metric), float(t.best_lr_mult)) for t in result.per_task),
    )
