"""Every proxy task by name, and one shared instance per (name, knobs) per process.

Sharing instances is what makes each task compile once per process: the jitted
training loop lives on the instance.

Example:
    >>> make_task("quadratic", steps=20) is make_task("quadratic", steps="20")
    True
    >>> "digits_mlp" in task_names()
    True
"""

from __future__ import annotations

import functools
from typing import Any

from symopt.proxy_tasks.analytic import Quadratic, Rosenbrock
from symopt.proxy_tasks.base import Task
from symopt.proxy_tasks.char_lm import CharLM
from symopt.proxy_tasks.digits_mlp import DigitsMLP
from symopt.proxy_tasks.digits_vit import DigitsViT
from symopt.proxy_tasks.knobs import knob_defaults, make_knobs
from symopt.proxy_tasks.teacher_student import TeacherStudent

__all__ = ["TASKS", "make_task", "task_names", "describe_tasks"]

TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (TeacherStudent, DigitsMLP, CharLM, DigitsViT, Quadratic, Rosenbrock)
}
"""The task families by registry name."""


def task_names() -> tuple[str, ...]:
    """The registry names, in a fixed order."""
    return tuple(TASKS)


def make_task(name: str, **knobs: Any) -> Task:
    """The task ``name`` with ``knobs`` changed from their defaults (shared per process).

    Knob values may be strings (from the command line); they are converted by the
    knob's type, so ``steps="20"`` and ``steps=20`` give the same instance.

    Raises:
        ValueError: for an unknown task or knob (listing the valid ones) or a bad
            value; the message names it.

    Example:
        >>> make_task("digits_mlp", loss="ce").knobs.loss
        'ce'
    """
    cls = TASKS.get(name)
    if cls is None:
        raise ValueError(f"unknown task {name!r} (tasks: {', '.join(TASKS)})")
    return _shared(cls, make_knobs(cls.Knobs, name, knobs))


@functools.cache
def _shared(cls: type[Task], knobs: Any) -> Task:
    return cls(knobs)


def describe_tasks() -> list[dict[str, Any]]:
    """One dict per task for ``symopt tasks``: name, doc line, metric, knobs with
    their defaults, parameter count, and the approximate milliseconds per run
    (measured on one CPU core at the defaults, compile excluded).

    Example:
        >>> [d["name"] for d in describe_tasks()][:2]
        ['teacher_student', 'digits_mlp']
    """
    rows = []
    for name, cls in TASKS.items():
        task = make_task(name)
        rows.append(
            {
                "name": name,
                "doc": (cls.__doc__ or "").strip().splitlines()[0],
                "metric": cls.metric_name,
                "knobs": knob_defaults(cls.Knobs),
                "params": task.num_params(),
                "approx_ms": cls.approx_ms,
            }
        )
    return rows

