"""The fitness's values: task and fitness specs, per-task scores, results, and the run score.

The computation (:func:`~symopt.proxy_tasks.fitness.evaluate_fitness`) is in the
package's face; this module holds only what it reads and returns.

Example:
    >>> runs_per_evaluation(DEFAULT_FITNESS)
    54
    >>> run_log_loss(1.0, True)
    0.0
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence

from symopt.dsl.program import Program
from symopt.proxy_tasks.registry import make_task

__all__ = [
    "TaskSpec",
    "FitnessSpec",
    "TaskScore",
    "FitnessResult",
    "Hurdle",
    "DEFAULT_FITNESS",
    "LOG_LOSS_CAP",
    "FITNESS_FLOOR",
    "runs_per_evaluation",
    "run_log_loss",
]

LOG_LOSS_CAP = math.log(1e4)
"""The score of a failed run, and the most any run's log validation loss counts."""

FITNESS_FLOOR = -100.0
"""The fitness of a failed program; no program that trains scores lower."""

_TINY = 1e-30  # stands in for a validation loss that underflowed to 0

Status = Literal["ok", "failed"]


@dataclass(frozen=True)
class TaskSpec:
    """One proxy task of the fitness.

    Attributes:
        name: a registry name (:func:`~symopt.proxy_tasks.registry.make_task`).
        knobs: knob values, stored as sorted ``(name, value)`` pairs so the spec
            hashes and pickles; a mapping is accepted and converted.
        weight: the task's weight in the mean over tasks.
        lr_scale: multiplies every learning-rate multiplier on this task, so one
            program constant can serve tasks whose best learning rates differ.
        repeats: runs per fitness seed, for cheap tasks with noisy outcomes: seed
            ``s`` runs as seeds ``s * repeats + j`` for ``j < repeats``, so
            distinct fitness seeds never share a run.

    Example:
        >>> t = TaskSpec("digits_mlp", {"loss": "se", "steps": 300})
        >>> t.knobs
        (('loss', 'se'), ('steps', 300))
        >>> TaskSpec("rosenbrock", repeats=3).run_seeds((0, 5))
        (0, 1, 2, 15, 16, 17)
    """

    name: str
    knobs: Any = ()
    weight: float = 1.0
    lr_scale: float = 1.0
    repeats: int = 1

    def __post_init__(self) -> None:
        pairs = self.knobs.items() if isinstance(self.knobs, Mapping) else self.knobs
        object.__setattr__(self, "knobs", tuple(sorted((str(k), v) for k, v in pairs)))
        if not self.weight > 0:
            raise ValueError(f"task {self.name!r}: weight must be > 0, got {self.weight!r}")
        if not self.lr_scale > 0:
            raise ValueError(f"task {self.name!r}: lr_scale must be > 0, got {self.lr_scale!r}")
        if self.repeats < 1:
            raise ValueError(f"task {self.name!r}: repeats must be >= 1, got {self.repeats!r}")

    def run_seeds(self, seeds: Sequence[int]) -> tuple[int, ...]:
        """The training seeds this task runs for the fitness seeds ``seeds``."""
        return tuple(s * self.repeats + j for s in seeds for j in range(self.repeats))

    @property
    def label(self) -> str:
        """``name(knob=value, ...)``, for tables and reports."""
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.knobs)})"

    def task(self) -> Any:
        """The shared task instance (compiled once per process)."""
        return make_task(self.name, **dict(self.knobs))


@dataclass(frozen=True)
class FitnessSpec:
    """What the fitness runs and how it aggregates (see the module docstring).

    Attributes:
        tasks: the proxy tasks, at least one; the first is the main task, whose
            loss is reported as :attr:`FitnessResult.metric`.
        seeds: training seeds, each run on every task and multiplier.
        lr_multipliers: the candidate is tried at each (times the task's
            ``lr_scale``); the best mean over seeds counts.
        slot_cost: fitness subtracted per live state slot beyond the baseline's.
        baseline: the built-in program that scores 0.
        grow_grid: while a task's best multiplier is the smallest (largest) of
            those tried, try half (twice) it, up to this many times per task
            (default 0: the multipliers as given). Held-out checks use it so a
            program or baseline whose best rate lies past the grid is still tuned.
        lr_aggregate: ``best``: a task scores its best multiplier's mean log
            loss; ``mean``: the mean over all the multipliers (no growing).
        decay_multipliers: factors on the weight-decay constants (every
            ``x = w * C``), each tried, the best kept per task; a program with
            no such statement is run once. Default ``(1.0,)``: as written.
        batched: train all of a program's runs on tasks of one shape in one
            compiled call (:mod:`symopt.proxy_tasks.batched`); ``False`` trains
            them one at a time, the reference path. Both give the same fitness
            within float tolerance.
        batches_ahead: train on each seed's batches drawn once per process
            (:meth:`~symopt.proxy_tasks.base.Task.batches`) rather than step by
            step in the loop; the same batches either way, so the same fitness.
    """

    tasks: tuple[TaskSpec, ...]
    seeds: tuple[int, ...]
    lr_multipliers: tuple[float, ...]
    slot_cost: float
    baseline: str = "adamw"
    grow_grid: int = 0
    lr_aggregate: Literal["best", "mean"] = "best"
    decay_multipliers: tuple[float, ...] = (1.0,)
    batched: bool = True
    batches_ahead: bool = True

    def __post_init__(self) -> None:
        for name in ("tasks", "seeds", "lr_multipliers", "decay_multipliers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
            if not getattr(self, name):
                raise ValueError(f"a fitness spec needs at least one of {name}")
        if any(not r > 0 for r in self.lr_multipliers):
            raise ValueError(f"learning-rate multipliers must be > 0, got {self.lr_multipliers}")
        if any(not d > 0 for d in self.decay_multipliers):
            raise ValueError(f"decay multipliers must be > 0, got {self.decay_multipliers}")
        if self.grow_grid < 0:
            raise ValueError(f"grow_grid must be >= 0, got {self.grow_grid}")
        if self.lr_aggregate not in ("best", "mean"):
            raise ValueError(f"lr_aggregate must be 'best' or 'mean', got {self.lr_aggregate!r}")
        if self.lr_aggregate == "mean" and self.grow_grid:
            raise ValueError("grow_grid needs lr_aggregate 'best': a mean over a window does not grow")


# See docs/fitness.md for the measurements behind each choice. The digits'
# best learning rates are 8-32x the programs' constants and Rosenbrock's ~512x,
# hence the lr_scales. 54 runs (~0.37 s on one core) per candidate: 6 of digits,
# 48 of Rosenbrock at ~2 ms each (mostly per-run overhead).
DEFAULT_FITNESS = FitnessSpec(
    tasks=(
        TaskSpec("digits_mlp", {"loss": "se"}, weight=2.0, lr_scale=16.0),
        TaskSpec("rosenbrock", {}, weight=1.0, lr_scale=512.0, repeats=8),
    ),
    seeds=(0, 1),
    lr_multipliers=(0.5, 1.0, 2.0),
    slot_cost=0.3,
)


@dataclass(frozen=True)
class TaskScore:
    """One task's part of a fitness.

    Attributes:
        task: the task's label, e.g. ``digits_mlp(loss=se)``.
        best_lr_mult: the ``lr_mult`` (``lr_scale`` times the multiplier) with the
            lowest mean log loss.
        mean_log_loss: ``L_t``: that lowest mean over seeds of the log loss (with
            ``lr_aggregate="mean"``, the mean over the multipliers).
        metric: ``exp(L_t)``, a geometric-mean validation loss.
        baseline_log_loss: ``B_t``, the baseline's ``L_t``.
        failed_runs: runs on this task that failed, over all multipliers.
        best_decay_mult: the factor on the decay constants that scored best.
    """

    task: str
    best_lr_mult: float
    mean_log_loss: float
    metric: float
    baseline_log_loss: float
    failed_runs: int
    best_decay_mult: float = 1.0


@dataclass(frozen=True)
class FitnessResult:
    """The fitness of one program.

    Attributes:
        fitness: higher is better; the baseline scores 0; ``FITNESS_FLOOR`` when failed.
        status: ``ok``, or ``failed`` when the program is invalid, ignores the
            gradient, or every run failed.
        reason: why it failed (or the first failed run's reason when ok); empty if none.
        metric: the main task's geometric-mean validation loss at its best
            multiplier (``nan`` when failed).
        seconds: wall time of the whole evaluation.
        per_task: one :class:`TaskScore` per task (empty when failed before training).
        runs: training runs made.
        slots: the program's live state slots.
        partial: the program stopped at a :class:`Hurdle`: ``fitness`` (and
            ``per_task``) count the hurdle's tasks only.
        hurdle_score: the fitness on the hurdle's tasks alone (``None`` when
            evaluated without a hurdle); equal to ``fitness`` when partial.
    """

    fitness: float
    status: Status
    reason: str
    metric: float
    seconds: float
    per_task: tuple[TaskScore, ...]
    runs: int
    slots: int
    partial: bool = False
    hurdle_score: float | None = None  # not nan: results compare equal after a round trip

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Hurdle:
    """A cheap first part of the fitness that a program must pass (AutoML-Zero's hurdles).

    The tasks ``tasks`` (indices into ``FitnessSpec.tasks``) are trained first
    and scored as a fitness of their own; below ``threshold`` the evaluation
    stops there, with that score, marked partial.

    Example:
        >>> Hurdle(threshold=0.1).tasks
        (0,)
    """

    threshold: float
    tasks: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(sorted(set(self.tasks))))
        if not self.tasks or min(self.tasks) < 0:
            raise ValueError(f"a hurdle needs task indices >= 0, got {self.tasks}")


def runs_per_evaluation(spec: FitnessSpec) -> int:
    """Training runs one :func:`evaluate_fitness` call makes for a program with a weight decay
    (fewer without one: it is run at one decay factor; more with ``grow_grid``).

    Example:
        >>> runs_per_evaluation(DEFAULT_FITNESS)
        54
    """
    return _runs(spec, len(spec.seeds))


def _runs(spec: FitnessSpec, num_seeds: int) -> int:
    return sum(t.repeats for t in spec.tasks) * len(spec.lr_multipliers) * len(spec.decay_multipliers) * num_seeds


def run_log_loss(metric: float, ok: bool) -> float:
    """One run's score: ``min(log(metric), LOG_LOSS_CAP)``, or the cap when it failed.

    Example:
        >>> run_log_loss(1.0, True), run_log_loss(float("nan"), False) == LOG_LOSS_CAP
        (0.0, True)
    """
    if not ok or not math.isfinite(metric):
        return LOG_LOSS_CAP
    if metric <= 0.0:
        # Validation losses are positive; a zero (underflow) must not give -inf.
        return math.log(_TINY)
    return min(math.log(metric), LOG_LOSS_CAP)
