"""Evaluating a program on a task: the one entry point the search calls; it never raises.

Before any training, abstract execution decides what need not be trained: an
invalid program fails with ``"invalid program: ..."``, one whose update never
reads the gradient fails with ``"update ignores the gradient"``. The rest is
reduced (redundant statements and dead state slots cost nothing), encoded as
arrays and trained by the task's compile-once loop.

Example:
    >>> from symopt.dsl import builtin
    >>> r = evaluate(builtin("sgd"), "quadratic", seed=0)
    >>> r.status, r.metric < 10
    ('ok', True)
"""

from __future__ import annotations

import dataclasses
import time

from symopt.dsl.analysis import depends_on_gradient, is_valid, live_slots, reduce, validate
from symopt.dsl.encode import encode
from symopt.dsl.errors import InvalidProgram
from symopt.dsl.program import Program
from symopt.proxy_tasks.base import RunResult, Task, failed
from symopt.proxy_tasks.registry import make_task

__all__ = ["evaluate", "prepare"]

IGNORES_GRADIENT = "update ignores the gradient"


def prepare(program: Program) -> Program:
    """The program to train: reduced, with only the state slots it really uses.

    Dropping dead slots keeps the update sequence (their incoming values are
    never read) and the encoded register file small.

    Raises:
        InvalidProgram: if the program is invalid.
    """
    reduced = reduce(program)
    slim = reduced.with_changes(state=live_slots(program))
    return slim if is_valid(slim) else reduced


def evaluate(program: Program, task: Task | str, seed: int, lr_mult: float = 1.0) -> RunResult:
    """Trains ``program`` on ``task`` from ``seed``; never raises.

    Deterministic: the same program, task, seed and ``lr_mult`` give the same result.

    Args:
        program: any program, valid or not.
        task: a task, or a registry name (the task at its default knobs).
        seed: selects the initialization and the batches, in ``[0, 2**32)``.
        lr_mult: multiplies the unit-peak schedule the program reads as ``lr``.

    Returns:
        ``ok`` with the metrics, or ``failed`` with the reason: ``invalid program:
        ...``, ``update ignores the gradient``, ``too long: ...``, ``diverged: ...``,
        or an unexpected error's type and text.

    Example:
        >>> from symopt.dsl.program import Const, Program, Statement, Var
        >>> decay = Program((Statement("update", "mul", (Var("w"), Const(0.1))),))
        >>> evaluate(decay, "quadratic", seed=0).reason
        'update ignores the gradient'
    """
    start = time.perf_counter()
    try:
        return _evaluate(program, task, seed, lr_mult)
    except Exception as err:  # the search must go on whatever one candidate does
        return failed(f"{type(err).__name__}: {err}", time.perf_counter() - start)


def _evaluate(program: Program, task: Task | str, seed: int, lr_mult: float) -> RunResult:
    start = time.perf_counter()
    try:
        validate(program)
    except InvalidProgram as err:
        return failed(f"invalid program: {err}")
    if not depends_on_gradient(program):
        return failed(IGNORES_GRADIENT, time.perf_counter() - start)
    task = make_task(task) if isinstance(task, str) else task
    prepared = prepare(program)
    try:
        encoded = encode(prepared, task.layout)
    except InvalidProgram as err:
        return failed(f"too long: {err}", time.perf_counter() - start)
    result = task.run(encoded, seed, lr_mult)
    # Count the analysis and encoding too: it is part of what a candidate costs.
    return dataclasses.replace(result, seconds=time.perf_counter() - start)
