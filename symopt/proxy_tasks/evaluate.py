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
from dataclasses import dataclass, field

from symopt.dsl.analysis import depends_on_gradient, is_valid, live_slots, reduce, validate
from symopt.dsl.encode import EncodedProgram, Layout, encode
from symopt.dsl.errors import InvalidProgram
from symopt.dsl.program import Program
from symopt.proxy_tasks.base import RunResult, Task, failed
from symopt.proxy_tasks.registry import make_task

__all__ = ["evaluate", "prepare", "Analysed", "analyse", "run_analysed"]

INVALID_PROGRAM = "invalid program"
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


def _error(err: Exception) -> str:
    return f"{type(err).__name__}: {err}"


@dataclass
class Analysed:
    """A program analysed once, to be trained many times (:func:`run_analysed`).

    Attributes:
        rejected: the result of every run when the program needs no training
            (invalid, or ignores the gradient); ``None`` otherwise.
        prepared: the program to train (:func:`prepare`); ``None`` when rejected
            or when preparing it raised.
        error: why preparing it raised; empty if it did not.
    """

    rejected: RunResult | None
    prepared: Program | None = None
    error: str = ""
    _encoded: dict[Layout, EncodedProgram | str] = field(default_factory=dict, repr=False)

    def encoded(self, layout: Layout) -> EncodedProgram | str:
        """The prepared program encoded for ``layout``, or why it cannot be; cached per layout."""
        if layout not in self._encoded:
            assert self.prepared is not None
            try:
                self._encoded[layout] = encode(self.prepared, layout)
            except InvalidProgram as err:
                self._encoded[layout] = f"too long: {err}"
            except Exception as err:  # reported by each run, as evaluate() would
                self._encoded[layout] = _error(err)
        return self._encoded[layout]


def analyse(program: Program) -> Analysed:
    """Validates, checks and prepares ``program`` once for many runs; never raises."""
    start = time.perf_counter()
    try:
        try:
            validate(program)
        except InvalidProgram as err:
            return Analysed(failed(f"{INVALID_PROGRAM}: {err}"))
        if not depends_on_gradient(program):
            return Analysed(failed(IGNORES_GRADIENT, time.perf_counter() - start))
    except Exception as err:  # the search must go on whatever one candidate does
        return Analysed(failed(_error(err), time.perf_counter() - start))
    try:
        return Analysed(None, prepare(program))
    except Exception as err:  # reported by each run, after the task is resolved
        return Analysed(None, error=_error(err))


def run_analysed(
    analysed: Analysed, task: Task | str, seed: int, lr_mult: float = 1.0, ahead: bool = True
) -> RunResult:
    """One run of an analysed program, as :func:`evaluate` would give it; never raises.

    ``ahead``: as for :meth:`Task.run` (the seed's batches drawn once, or in the loop).

    The result's ``seconds`` count this run (and the encoding, the first time a
    layout is seen), not the analysis shared by all the runs.
    """
    if analysed.rejected is not None:
        return analysed.rejected
    start = time.perf_counter()
    try:
        task = make_task(task) if isinstance(task, str) else task
        encoded = analysed.error or analysed.encoded(task.layout)
        if isinstance(encoded, str):
            return failed(encoded, time.perf_counter() - start)
        result = task.run(encoded, seed, lr_mult, ahead)
        return dataclasses.replace(result, seconds=time.perf_counter() - start)
    except Exception as err:  # the search must go on whatever one candidate does
        return failed(_error(err), time.perf_counter() - start)


def evaluate(program: Program, task: Task | str, seed: int, lr_mult: float = 1.0) -> RunResult:
    """Trains ``program`` on ``task`` from ``seed``; never raises.

    Deterministic: the same program, task, seed and ``lr_mult`` give the same result.
    To train one program many times, :func:`analyse` it once and call
    :func:`run_analysed` per run: the same results, without repeating the analysis.

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
    analysed = analyse(program)
    result = run_analysed(analysed, task, seed, lr_mult)
    if result is analysed.rejected:
        return result
    # Count the analysis and encoding too: it is part of what a candidate costs.
    return dataclasses.replace(result, seconds=time.perf_counter() - start)
