"""The search fitness: one number per program, from a few short training runs.

A :class:`FitnessSpec` names the proxy tasks, seeds, learning-rate (and decay)
multipliers and the slot cost; :func:`evaluate_fitness` turns a program into a
:class:`FitnessResult` (how, step by step: ``_evaluate``'s docstring).
``DEFAULT_FITNESS`` is today's default (``docs/fitness.md``); ``LION_FITNESS``
the teacher-student preset where tuned Lion wins (``docs/proxy.md``). The
constant helpers find and change a program's learning rate, decay and betas.

Example:
    >>> runs_per_evaluation(DEFAULT_FITNESS), runs_per_evaluation(LION_FITNESS)
    (54, 15)
"""

from symopt.proxy_tasks.fitness._constants import (
    decay_constants,
    interp_constant,
    lr_constant,
    scale_decay,
    with_decay,
    with_interp_constant,
    with_lr,
)
from symopt.proxy_tasks.fitness._evaluate import baseline_scores, evaluate_fitness
from symopt.proxy_tasks.fitness._lion import LION_FITNESS, LION_REGIME, teacher_student_fitness
from symopt.proxy_tasks.fitness._spec import (
    DEFAULT_FITNESS,
    FITNESS_FLOOR,
    LOG_LOSS_CAP,
    FitnessResult,
    FitnessSpec,
    Hurdle,
    TaskScore,
    TaskSpec,
    run_log_loss,
    runs_per_evaluation,
)

__all__ = [
    "TaskSpec",
    "FitnessSpec",
    "TaskScore",
    "FitnessResult",
    "Hurdle",
    "DEFAULT_FITNESS",
    "LION_FITNESS",
    "LION_REGIME",
    "LOG_LOSS_CAP",
    "FITNESS_FLOOR",
    "evaluate_fitness",
    "baseline_scores",
    "runs_per_evaluation",
    "run_log_loss",
    "teacher_student_fitness",
    "decay_constants",
    "interp_constant",
    "lr_constant",
    "scale_decay",
    "with_decay",
    "with_interp_constant",
    "with_lr",
]
