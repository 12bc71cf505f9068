"""Config sections that describe a fitness: ``fitness`` itself, and each funnel stage.

:class:`TaskConfig` is one proxy task (``{name, knobs, weight, lr_scale,
repeats}``); :class:`FitnessConfig` is the search's fitness, whose defaults come
from ``DEFAULT_FITNESS``. A funnel stage (:mod:`symopt.evolve.selection_config`)
has the same task list, seeds and learning-rate multipliers, so both check them
with :func:`check_fitness_fields` and turn them into a ``FitnessSpec`` with
:func:`fitness_spec`.

Example:
    >>> FitnessConfig().to_spec().slot_cost
    0.3
    >>> TaskConfig("quadratic", {"steps": 20}).to_spec().label
    'quadratic(steps=20)'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

from symopt.dsl.builtins import BUILTIN_NAMES
from symopt.evolve.schema import check

__all__ = ["FitnessConfig", "TaskConfig", "check_fitness_fields", "check_seeds", "fitness_spec"]


@dataclass(frozen=True)
class TaskConfig:
    """One proxy task of a fitness (an element of ``fitness.tasks`` or of a stage's ``tasks``).

    Attributes:
        name: a registry name (``symopt tasks`` lists them).
        knobs: knob values changed from the task's defaults (default none).
        weight: the task's weight in the fitness (default 1.0).
        lr_scale: multiplies every learning-rate multiplier on this task
            (default 1.0).
        repeats: runs per fitness seed, for cheap noisy tasks (default 1).
    """

    name: str
    knobs: dict[str, Any] = field(default_factory=dict)
    weight: float = 1.0
    lr_scale: float = 1.0
    repeats: int = 1

    def __post_init__(self) -> None:
        from symopt.proxy_tasks.registry import TASKS, make_task

        check(self.name in TASKS, "name", "one of " + ", ".join(TASKS), self.name)
        known = [f.name for f in dataclasses.fields(TASKS[self.name].Knobs)]
        for key in self.knobs:
            check(key in known, f"knobs.{key}", f"a knob of {self.name} ({', '.join(known)})", key)
        try:
            make_task(self.name, **self.knobs)
        except ValueError as err:
            check(False, "knobs", f"valid knob values ({err})", dict(self.knobs))
        check(self.weight > 0, "weight", "a number > 0", self.weight)
        check(self.lr_scale > 0, "lr_scale", "a number > 0", self.lr_scale)
        check(self.repeats >= 1, "repeats", "an integer >= 1", self.repeats)

    @classmethod
    def from_spec(cls, spec: Any) -> "TaskConfig":
        """The config of a :class:`~symopt.proxy_tasks.fitness.TaskSpec`."""
        values = {f.name: getattr(spec, f.name) for f in dataclasses.fields(cls)}
        return cls(**{**values, "knobs": dict(values["knobs"])})

    def to_spec(self) -> Any:
        """The :class:`~symopt.proxy_tasks.fitness.TaskSpec` this entry describes."""
        from symopt.proxy_tasks.fitness import TaskSpec

        return TaskSpec(**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)})


def check_seeds(seeds: Sequence[int]) -> None:
    """Checks a non-empty list of training seeds, each in ``[0, 2**32)``.

    Raises:
        FieldError: naming ``seeds`` or the bad element.
    """
    check(len(seeds) > 0, "seeds", "a non-empty list", seeds)
    for i, seed in enumerate(seeds):
        check(0 <= seed < 2**32, f"seeds[{i}]", "an integer in [0, 2**32)", seed)


def check_fitness_fields(
    tasks: Sequence[TaskConfig], seeds: Sequence[int], lr_multipliers: Sequence[float], slot_cost: float
) -> None:
    """The range checks a fitness and a funnel stage share (for ``__post_init__``).

    Raises:
        FieldError: naming the first bad field, e.g. ``seeds[1]``.
    """
    check(len(tasks) > 0, "tasks", "a non-empty list", tasks)
    check_seeds(seeds)
    check(len(lr_multipliers) > 0, "lr_multipliers", "a non-empty list", lr_multipliers)
    for i, mult in enumerate(lr_multipliers):
        check(mult > 0, f"lr_multipliers[{i}]", "a number > 0", mult)
    check(slot_cost >= 0, "slot_cost", "a number >= 0", slot_cost)


def fitness_spec(
    tasks: Sequence[TaskConfig],
    seeds: Sequence[int],
    lr_multipliers: Sequence[float],
    slot_cost: float,
    baseline: str,
    grow_grid: int = 0,
) -> Any:
    """The :class:`~symopt.proxy_tasks.fitness.FitnessSpec` of these config values.

    Example:
        >>> spec = fitness_spec([TaskConfig("quadratic")], [0], [1.0], 0.0, "adamw")
        >>> spec.tasks[0].name, spec.baseline
        ('quadratic', 'adamw')
    """
    from symopt.proxy_tasks.fitness import FitnessSpec

    return FitnessSpec(
        tasks=tuple(t.to_spec() for t in tasks),
        seeds=tuple(seeds),
        lr_multipliers=tuple(lr_multipliers),
        slot_cost=slot_cost,
        baseline=baseline,
        grow_grid=grow_grid,
    )


def _default(name: str) -> Any:
    """A field default taken from ``DEFAULT_FITNESS`` (imported late: it pulls in JAX)."""

    def factory() -> Any:
        from symopt.proxy_tasks.fitness import DEFAULT_FITNESS

        value = getattr(DEFAULT_FITNESS, name)
        if name == "tasks":
            return tuple(TaskConfig.from_spec(t) for t in value)
        return value

    return field(default_factory=factory)


@dataclass(frozen=True)
class FitnessConfig:
    """How a program is scored (section ``fitness``): changes to ``DEFAULT_FITNESS``.

    Attributes:
        tasks: proxy tasks as ``{name, knobs, weight, lr_scale, repeats}``
            (default: ``DEFAULT_FITNESS.tasks``).
        seeds: training seeds averaged per task (default: ``DEFAULT_FITNESS.seeds``).
        lr_multipliers: learning-rate multipliers tried per program, the best kept
            (default: ``DEFAULT_FITNESS.lr_multipliers``).
        slot_cost: fitness cost per state slot used (default: ``DEFAULT_FITNESS.slot_cost``).
        baseline: the program whose fitness is 0 (default: ``DEFAULT_FITNESS.baseline``).
    """

    tasks: tuple[TaskConfig, ...] = _default("tasks")
    seeds: tuple[int, ...] = _default("seeds")
    lr_multipliers: tuple[float, ...] = _default("lr_multipliers")
    slot_cost: float = _default("slot_cost")
    baseline: str = _default("baseline")

    def __post_init__(self) -> None:
        check_fitness_fields(self.tasks, self.seeds, self.lr_multipliers, self.slot_cost)
        check(self.baseline in BUILTIN_NAMES, "baseline", "a built-in program name", self.baseline)

    def to_spec(self) -> Any:
        """The :class:`~symopt.proxy_tasks.fitness.FitnessSpec` this section describes."""
        return fitness_spec(self.tasks, self.seeds, self.lr_multipliers, self.slot_cost, self.baseline)
