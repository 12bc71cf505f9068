"""The hyperparameter constants of a program, found by the statements that hold them.

Tuning a program means changing constants: its learning rate (``lr = lr * C``),
its weight decay (every ``x = w * C``: a constant times the weights, however the
program uses it) and the constant of an ``interp`` (a moment's beta). These
functions find and change them without touching anything else, so the fitness
and the benchmarks can tune any program the same way.

Example:
    >>> from symopt.dsl import builtin
    >>> lion = builtin("lion")
    >>> lr_constant(lion), decay_constants(lion)
    (0.0003, (0.1,))
    >>> decay_constants(scale_decay(lion, 10.0))
    (1.0,)
    >>> interp_constant(with_interp_constant(builtin("adamw"), "v", 0.99), "v")
    0.99
"""

from __future__ import annotations

from typing import Callable

from symopt.dsl.program import Const, Program, Statement, Var

__all__ = [
    "lr_constant",
    "with_lr",
    "decay_constants",
    "scale_decay",
    "with_decay",
    "interp_constant",
    "with_interp_constant",
]


def _reads_and_const(st: Statement, reads: str) -> bool:
    """Whether ``st`` is ``mul`` of the variable ``reads`` and one constant."""
    names = [a.name for a in st.args if isinstance(a, Var)]
    return st.fn == "mul" and names == [reads] and sum(isinstance(a, Const) for a in st.args) == 1


def _const(st: Statement) -> float:
    return next(a.value for a in st.args if isinstance(a, Const))


def _with_const(st: Statement, change: Callable[[float], float]) -> Statement:
    return st.with_changes(args=tuple(Const(change(a.value)) if isinstance(a, Const) else a for a in st.args))


def _lr_index(program: Program) -> int:
    for i, st in enumerate(program.statements):
        if st.target == "lr" and _reads_and_const(st, "lr"):
            return i
    raise ValueError("no statement 'lr = lr * constant' in the program")


def _replace(program: Program, index: int, new: Statement) -> Program:
    s = program.statements
    return program.with_changes(statements=s[:index] + (new,) + s[index + 1 :])


def lr_constant(program: Program) -> float:
    """``C`` in the first ``lr = lr * C``: the program's peak learning rate.

    Raises:
        ValueError: if there is no such statement.
    """
    return _const(program.statements[_lr_index(program)])


def with_lr(program: Program, value: float) -> Program:
    """``program`` with its learning-rate constant set to ``value``.

    Raises:
        ValueError: if there is no ``lr = lr * C`` statement.
    """
    i = _lr_index(program)
    return _replace(program, i, _with_const(program.statements[i], lambda _: value))


def _decay_indices(program: Program) -> tuple[int, ...]:
    return tuple(i for i, st in enumerate(program.statements) if _reads_and_const(st, "w"))


def decay_constants(program: Program) -> tuple[float, ...]:
    """The constants ``C`` of every ``x = w * C`` statement, in order (empty if none)."""
    return tuple(_const(program.statements[i]) for i in _decay_indices(program))


def scale_decay(program: Program, factor: float) -> Program:
    """``program`` with the constant of every ``x = w * C`` multiplied by ``factor``.

    A program without such a statement is returned unchanged.
    """
    for i in _decay_indices(program):
        program = _replace(program, i, _with_const(program.statements[i], lambda c: c * factor))
    return program


def with_decay(program: Program, value: float) -> Program:
    """``program`` with the constant of every ``x = w * C`` set to ``value``.

    Raises:
        ValueError: if the program has no such statement.
    """
    indices = _decay_indices(program)
    if not indices:
        raise ValueError("no statement 'x = w * constant' in the program")
    for i in indices:
        program = _replace(program, i, _with_const(program.statements[i], lambda _: value))
    return program


def _interp_index(program: Program, target: str) -> int:
    for i, st in enumerate(program.statements):
        if st.target == target and st.fn == "interp" and isinstance(st.args[2], Const):
            return i
    raise ValueError(f"no statement '{target} = interp(a, b, constant)' in the program")


def interp_constant(program: Program, target: str) -> float:
    """The constant of the first ``target = interp(a, b, C)`` (a moment's beta).

    Raises:
        ValueError: if there is no such statement.
    """
    return program.statements[_interp_index(program, target)].args[2].value


def with_interp_constant(program: Program, target: str, value: float) -> Program:
    """``program`` with the constant of the first ``target = interp(a, b, C)`` set to ``value``.

    Raises:
        ValueError: if there is no such statement.
    """
    i = _interp_index(program, target)
    st = program.statements[i]
    return _replace(program, i, st.with_changes(args=(*st.args[:2], Const(value))))
