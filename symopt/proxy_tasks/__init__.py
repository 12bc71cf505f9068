"""Proxy tasks: small training problems that score optimizer programs.

Each family (teacher-student regression, digits MLP, character LM, digits ViT,
analytic objectives) trains a program passed as arrays, in a loop compiled once
per task, and reports a validation metric where lower is better.

Example:
    >>> from symopt.dsl import builtin
    >>> from symopt.proxy_tasks import evaluate, make_task
    >>> task = make_task("teacher_student", steps=20)
    >>> evaluate(builtin("lion"), task, seed=0).status
    'ok'
"""

from symopt.proxy_tasks.base import RunResult, Task
from symopt.proxy_tasks.evaluate import evaluate
from symopt.proxy_tasks.fitness import (
    DEFAULT_FITNESS,
    FITNESS_FLOOR,
    FitnessResult,
    LION_FITNESS,
    FitnessSpec,
    Hurdle,
    TaskScore,
    TaskSpec,
    evaluate_fitness,
)
from symopt.proxy_tasks.registry import TASKS, describe_tasks, make_task, task_names

__all__ = [
    "DEFAULT_FITNESS",
    "FITNESS_FLOOR",
    "LION_FITNESS",
    "TASKS",
    "FitnessResult",
    "FitnessSpec",
    "Hurdle",
    "RunResult",
    "Task",
    "TaskScore",
    "TaskSpec",
    "describe_tasks",
    "evaluate",
    "evaluate_fitness",
    "make_task",
    "task_names",
]
