"""Config sections for what follows a search: ``pipeline``, ``funnel`` and ``simplify``.

The paper (section 2.3) does not trust the search fitness alone: the best
programs go through a funnel of ever larger tasks (B about 10x the proxy, C
about 100x), and only those that beat AdamW on one stage enter the next. The
survivor is then simplified and judged (is it Lion?). ``pipeline`` says how far
``symopt search`` goes; the sections say how each step runs.

Default stages (seconds measured with one worker on a 2-core laptop while a
search used both cores; each run's ``report.md`` gives the seconds it took):

* ``B``: the default proxy's digits MLP grown ~10x per run (width 64 -> 128,
  300 -> 1000 steps, batch 128 -> 256; ~0.45 s a run), 2 held-out seeds x 5
  learning-rate multipliers: ~4.5 s a program. Rosenbrock, the proxy's other
  task, is left out: it cannot grow (a 2-D function) and its 8 noisy starts
  reward a momentum memory close to its 100 steps, which is exactly what a
  search can overfit to; a held-out stage must not repeat it.
* ``C``: other task families, ~100x the proxy's digits run: a character
  language model on CPython's docs (1000 steps, ~3 s a run) and a deeper,
  wider teacher-student regression (~1.2 s a run), 7 multipliers: ~45 s a program.

Caveat, measured: the Lion built-in does not beat AdamW on these stages (B
-0.093, C -0.656 in the three lion_discovery runs): as the default fitness's
docstring records, on every cheap neural proxy but the squared-error digits
tuned AdamW holds its own against Lion, and on the LM Lion trails even at
batch 64. A
rediscovered Lion would stop at stage B; the report shows the Lion row of
every stage so a reader can judge.

Stages are judged without the search's state-slot cost (``slot_cost: 0``): a
stage asks whether the program trains better; its memory is known without
training and the report states it. Every stage tries 5 multipliers a factor 2
apart (16x in all; stage C 7, 64x in all), for the programs and the baselines
alike, so Lion (whose best learning rate is 3-10x below AdamW's) and AdamW are
both tuned; where a best multiplier still sits at an end of the grid, up to 2
factor-2 steps past it are tried (``grow_lr_grid``). The report marks a tuned
multiplier found past the grid, or at the end of that growth.

Example:
    >>> cfg = FunnelConfig()
    >>> cfg.top_k, [s.name for s in cfg.stages], cfg.baselines
    (10, ['B', 'C'], ('adamw', 'lion'))
    >>> cfg.stages[0].to_spec().baseline
    'adamw'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from symopt.dsl.builtins import BUILTIN_NAMES
from symopt.evolve.fitness_config import TaskConfig, check_fitness_fields, check_seeds, fitness_spec
from symopt.evolve.schema import KEY, check

__all__ = [
    "PIPELINE_STEPS",
    "PASS_RULES",
    "FunnelConfig",
    "PipelineStep",
    "SimplifyConfig",
    "StageConfig",
    "check_pipeline",
    "default_stages",
]

PIPELINE_STEPS = ("search", "funnel", "simplify", "verdict")
"""The steps of a whole experiment, in order; a config's ``pipeline`` is a prefix."""

PipelineStep = Literal["search", "funnel", "simplify", "verdict"]
"""One element of a config's ``pipeline``."""

PASS_RULES = {"beat_adamw": "adamw"}
"""A stage's ``pass`` rule -> the baseline that scores 0 there: a program passes above 0."""

_STAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HELD_OUT_SEEDS = (100, 101)  # the search trains with seeds 0 and 1
_MULTIPLIERS = (0.25, 0.5, 1.0, 2.0, 4.0)
_WIDE_MULTIPLIERS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # stage C: best rates 8x apart (see below)


def check_pipeline(steps: tuple[str, ...]) -> None:
    """Checks that ``steps`` is a prefix of :data:`PIPELINE_STEPS` (each step needs the previous).

    Raises:
        FieldError: naming ``pipeline`` or the first step out of place.

    Example:
        >>> check_pipeline(("search", "funnel"))
        >>> check_pipeline(("search", "simplify"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        symopt.evolve.schema.FieldError: pipeline[1]: expected 'funnel' (steps run in the order ...), got 'simplify'
    """
    order = ", ".join(PIPELINE_STEPS)
    check(len(steps) > 0, "pipeline", f"a non-empty prefix of [{order}]", list(steps))
    for i, step in enumerate(steps):
        wanted = PIPELINE_STEPS[i] if i < len(PIPELINE_STEPS) else None
        expected = f"{wanted!r} (steps run in the order {order}, each needing the one before)"
        check(step == wanted, f"pipeline[{i}]", expected if wanted else "no more steps", step)


@dataclass(frozen=True)
class StageConfig:
    """One funnel stage (an element of ``funnel.stages``).

    Attributes:
        name: the stage's label in files and tables, e.g. ``B`` (required).
        tasks: the stage's tasks as ``{name, knobs, weight, lr_scale, repeats}``
            (required; usually the proxy's tasks grown through their knobs).
        seeds: training seeds, best held out from the search's (default [100, 101]).
        lr_multipliers: multipliers tried for every program and baseline, the
            best kept (default [0.25, 0.5, 1, 2, 4]).
        slot_cost: fitness cost per state slot beyond AdamW's (default 0: a
            stage judges training, not memory).
        grow_lr_grid: factor-2 steps tried past either end of ``lr_multipliers``
            while the best multiplier of a task sits there (default 2), for
            programs and baselines alike.
        pass_: YAML key ``pass``: who goes on; ``beat_adamw`` (default, the
            paper's): fitness above AdamW's, i.e. > 0.
    """

    name: str
    tasks: tuple[TaskConfig, ...]
    seeds: tuple[int, ...] = _HELD_OUT_SEEDS
    lr_multipliers: tuple[float, ...] = _MULTIPLIERS
    slot_cost: float = 0.0
    grow_lr_grid: int = 2
    pass_: Literal["beat_adamw"] = field(default="beat_adamw", metadata={KEY: "pass"})

    def __post_init__(self) -> None:
        check(bool(_STAGE_NAME.match(self.name)), "name", "letters, digits, '_', '.', '-'", self.name)
        check_fitness_fields(self.tasks, self.seeds, self.lr_multipliers, self.slot_cost)
        check(self.grow_lr_grid >= 0, "grow_lr_grid", "an integer >= 0", self.grow_lr_grid)

    @property
    def baseline(self) -> str:
        """The built-in program that scores 0 on this stage (AdamW for ``beat_adamw``)."""
        return PASS_RULES[self.pass_]

    def to_spec(self) -> Any:
        """The stage's :class:`~symopt.proxy_tasks.fitness.FitnessSpec`."""
        return fitness_spec(
            self.tasks, self.seeds, self.lr_multipliers, self.slot_cost, self.baseline, self.grow_lr_grid
        )


def default_stages() -> tuple[StageConfig, ...]:
    """Stage B (~10x the proxy) and stage C (~100x, other families): see the module docstring."""
    digits_b = {"loss": "se", "width": 128, "steps": 1000, "batch": 256}
    teacher_c = {"width": 128, "depth": 2, "steps": 1000, "batch": 256}
    # lr_scale centres each grid on the best multipliers measured for AdamW and Lion (AdamW's
    # defines 0, so it must not sit at a grid edge): digits 4 for both (grid 2-32). On stage C
    # AdamW's and Lion's best rates are 8x apart (teacher-student 64 and 8, char LM 2 and 8,
    # measured by the seed-0 lion_discovery run): 7 multipliers, grids 0.5-32 and 2-128.
    return (
        StageConfig("B", (TaskConfig("digits_mlp", digits_b, lr_scale=8.0),)),
        StageConfig(
            "C",
            (
                TaskConfig("char_lm", {"steps": 1000}, lr_scale=4.0),
                TaskConfig("teacher_student", teacher_c, lr_scale=16.0),
            ),
            lr_multipliers=_WIDE_MULTIPLIERS,
        ),
    )


@dataclass(frozen=True)
class FunnelConfig:
    """Funnel selection (section ``funnel``; paper section 2.3).

    Attributes:
        top_k: distinct programs (by hash) of the search, best first, that
            enter the first stage (default 10).
        stages: the stages in order (default B and C, see :func:`default_stages`).
        baselines: built-in programs evaluated on every stage beside the
            candidates, tuned the same way (default [adamw, lion]; AdamW scores 0).
        meta_validation_every: evaluations (history lines) between samples of
            the meta-validation curve: the best-so-far program there, scored on
            the first stage (default 500; null: no curve).
    """

    top_k: int = 10
    stages: tuple[StageConfig, ...] = field(default_factory=default_stages)
    baselines: tuple[str, ...] = ("adamw", "lion")
    meta_validation_every: int | None = 500

    def __post_init__(self) -> None:
        check(self.top_k >= 1, "top_k", "an integer >= 1", self.top_k)
        check(len(self.stages) > 0, "stages", "a non-empty list", self.stages)
        names = [s.name for s in self.stages]
        for i, name in enumerate(names):
            check(name not in names[:i], f"stages[{i}].name", "a name no other stage has", name)
        for i, name in enumerate(self.baselines):
            check(name in BUILTIN_NAMES, f"baselines[{i}]", "a built-in program name", name)
            check(name not in self.baselines[:i], f"baselines[{i}]", "a name listed once", name)
        every = self.meta_validation_every
        check(every is None or every >= 1, "meta_validation_every", "an integer >= 1 or null", every)


def _default_tolerance() -> float:
    from symopt.evolve.simplify import DEFAULT_TOLERANCE  # pulls in JAX: only when a default is built

    return DEFAULT_TOLERANCE


@dataclass(frozen=True)
class SimplifyConfig:
    """Simplification of the funnel's survivor (section ``simplify``; paper section 2.3).

    It runs on the search's own fitness (section ``fitness``), the measure the
    program was found by.

    Attributes:
        tolerance: fitness (log-loss units) a deletion or a rounding may cost
            (default 0.02, as ``symopt simplify``).
        seeds: training seeds (default null: the fitness's).
        evolve_steps: children of the insertion-free evolution (paper's
            automated variant); 0 skips it (default 0).
    """

    tolerance: float = field(default_factory=_default_tolerance)
    seeds: tuple[int, ...] | None = None
    evolve_steps: int = 0

    def __post_init__(self) -> None:
        check(self.tolerance >= 0, "tolerance", "a number >= 0", self.tolerance)
        if self.seeds is not None:
            check_seeds(self.seeds)
        check(self.evolve_steps >= 0, "evolve_steps", "an integer >= 0", self.evolve_steps)
