"""A fitness in the regime where tuned Lion beats tuned AdamW: teacher-student at teacher scale 1.

PROXY_NOTES section 1: a ReLU student 16-64-1 (He init) fitting a tanh teacher
whose first layer has std 1.0, a fresh batch of 128 per step, 1000 steps, cosine
decay without warm-up. :func:`teacher_student_fitness` builds a fitness on it
from a few choices (which teachers, seeds, learning-rate window, slot cost);
:data:`LION_FITNESS` is the preset chosen with ``benchmarks/proxy_table.py``
(docs/proxy.md logs every configuration tried, with Lion's margins).

Example:
    >>> spec = teacher_student_fitness(teachers=(0, 1), seeds=(0,), steps=20)
    >>> [t.label for t in spec.tasks][0]
    'teacher_student(batch=128, data_seed=0, init=he, steps=20, teacher_scale=1.0, warmup=0.0)'
    >>> runs_per_evaluation(LION_FITNESS)
    15
"""

from __future__ import annotations

from typing import Any, Literal, Sequence

from symopt.proxy_tasks.fitness._spec import FitnessSpec, TaskSpec, runs_per_evaluation

__all__ = ["LION_REGIME", "teacher_student_fitness", "LION_FITNESS"]

LION_REGIME: dict[str, Any] = {"teacher_scale": 1.0, "init": "he", "steps": 1000, "batch": 128, "warmup": 0.0}
"""The ``teacher_student`` knobs of PROXY_NOTES section 1 (the rest at their defaults)."""


def teacher_student_fitness(
    teachers: Sequence[int] = (0, 1, 2, 3, 4),
    seeds: Sequence[int] = (0,),
    lr_multipliers: Sequence[float] = (0.5, 1.0, 2.0),
    lr_aggregate: Literal["best", "mean"] = "mean",
    slot_cost: float = 0.3,
    lr_scale: float = 16.0,
    decay_multipliers: Sequence[float] = (1.0,),
    **knobs: Any,
) -> FitnessSpec:
    """A fitness of one ``teacher_student`` task per teacher (``data_seed``), equally weighted.

    Args:
        teachers: the data seeds, each a teacher and validation set.
        seeds: training seeds.
        lr_multipliers: the learning-rate window around the program's constant.
        lr_aggregate: ``mean`` over the window or ``best`` of it.
        slot_cost: fitness per live state slot beyond the baseline's.
        lr_scale: multiplies the window, so that the seed's constant (0.001)
            lands near the regime's best learning rates (~0.016-0.06).
        decay_multipliers: factors on the weight-decay constants, best kept.
        **knobs: task knobs overriding :data:`LION_REGIME`.
    """
    regime = {**LION_REGIME, **knobs}
    return FitnessSpec(
        tasks=tuple(TaskSpec("teacher_student", {**regime, "data_seed": t}, lr_scale=lr_scale) for t in teachers),
        seeds=tuple(seeds),
        lr_multipliers=tuple(lr_multipliers),
        slot_cost=slot_cost,
        lr_aggregate=lr_aggregate,
        decay_multipliers=tuple(decay_multipliers),
    )


LION_FITNESS = teacher_student_fitness()
"""The preset: teachers 0-4, seed 0, the mean over lr x {1/2, 1, 2} (x16), slot cost 0.3; 15 runs."""
