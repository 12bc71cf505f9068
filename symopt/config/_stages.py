"""Config sections for what follows a search: ``pipeline``, ``funnel`` and ``simplify``.

The paper (section 2.3) does not trust the search fitness alone: the best
programs go through a funnel of ever larger tasks (B about 10x the proxy, C
about 100x), and only those that pass a stage (by its ``pass`` rule,
:mod:`symopt.config._pass_rules`) enter the next. The survivor is then
simplified and judged (is it Lion?). ``pipeline`` says how far ``symopt
search`` goes; the sections say how each step runs. Why the default stages
look as they do, with the measurements: ``docs/funnel.md``.

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
from typing import Literal

from symopt.config._fitness import FitnessSpec, TaskSpec, check_fitness_fields, check_seeds
from symopt.config._pass_rules import PASS_RULES, PassRule
from symopt.config._schema import KEY, check
from symopt.dsl import BUILTIN_NAMES

__all__ = [
    "DEFAULT_TOLERANCE",
    "PIPELINE_STEPS",
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

DEFAULT_TOLERANCE = 0.02
"""How far (in fitness units: log validation loss, so about 2%) a simplification
step may lower the fitness below the current program's."""

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
        symopt.config._schema.FieldError: pipeline[1]: expected 'funnel' (steps run in the order ...), got 'simplify'
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
        decay_multipliers: factors on every weight-decay constant, the best
            kept, for programs and baselines alike (default [1]: as written).
            Lion wants ~10-100x AdamW's decay: a stage without them judges
            every program at the decay the search left it (docs/funnel.md).
        pass_: YAML key ``pass``: who goes on, a name in
            :data:`~symopt.config._pass_rules.PASS_RULES`; ``beat_adamw``
            (default, the paper's): fitness above AdamW's, i.e. > 0.
    """

    name: str
    tasks: tuple[TaskSpec, ...]
    seeds: tuple[int, ...] = _HELD_OUT_SEEDS
    lr_multipliers: tuple[float, ...] = _MULTIPLIERS
    slot_cost: float = 0.0
    grow_lr_grid: int = 2
    decay_multipliers: tuple[float, ...] = (1.0,)
    pass_: str = field(default=next(iter(PASS_RULES)), metadata={KEY: "pass"})

    def __post_init__(self) -> None:
        check(bool(_STAGE_NAME.match(self.name)), "name", "letters, digits, '_', '.', '-'", self.name)
        check_fitness_fields(
            {"tasks": self.tasks, "seeds": self.seeds, "lr_multipliers": self.lr_multipliers, "slot_cost": self.slot_cost,
             "decay_multipliers": self.decay_multipliers}
        )
        check(self.grow_lr_grid >= 0, "grow_lr_grid", "an integer >= 0", self.grow_lr_grid)
        rules = ", ".join(repr(name) for name in PASS_RULES)
        check(self.pass_ in PASS_RULES, "pass", f"one of {rules}", self.pass_)

    @property
    def rule(self) -> PassRule:
        """The stage's pass rule (its baseline scores 0 on the stage)."""
        return PASS_RULES[self.pass_]

    def to_spec(self) -> FitnessSpec:
        """The stage's fitness: its tasks, seeds and multipliers against the rule's baseline."""
        return FitnessSpec(
            self.tasks, self.seeds, self.lr_multipliers, self.slot_cost, self.rule.baseline, self.grow_lr_grid,
            decay_multipliers=self.decay_multipliers,
        )


def default_stages() -> tuple[StageConfig, ...]:
    """Stage B (~10x the proxy) and stage C (~100x, other families): see ``docs/funnel.md``."""
    digits_b = {"loss": "se", "width": 128, "steps": 1000, "batch": 256}
    teacher_c = {"width": 128, "depth": 2, "steps": 1000, "batch": 256}
    # lr_scale centres each grid on the best multipliers measured for AdamW and Lion (AdamW's
    # defines 0, so it must not sit at a grid edge): digits 4 for both (grid 2-32). On stage C
    # AdamW's and Lion's best rates are 8x apart (teacher-student 64 and 8, char LM 2 and 8,
    # measured by the seed-0 lion_discovery run): 7 multipliers, grids 0.5-32 and 2-128.
    return (
        StageConfig("B", (TaskSpec("digits_mlp", digits_b, lr_scale=8.0),)),
        StageConfig(
            "C",
            (
                TaskSpec("char_lm", {"steps": 1000}, lr_scale=4.0),
                TaskSpec("teacher_student", teacher_c, lr_scale=16.0),
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

    tolerance: float = DEFAULT_TOLERANCE
    seeds: tuple[int, ...] | None = None
    evolve_steps: int = 0

    def __post_init__(self) -> None:
        check(self.tolerance >= 0, "tolerance", "a number >= 0", self.tolerance)
        if self.seeds is not None:
            check_seeds(self.seeds)
        check(self.evolve_steps >= 0, "evolve_steps", "an integer >= 0", self.evolve_steps)
