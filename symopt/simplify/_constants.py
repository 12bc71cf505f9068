"""Constants of a program: where they sit, their shorter decimals, and replacing one.

Simplification's rounding step tries each constant at fewer significant digits
(:func:`roundings`) and keeps one only when the fitness allows.

Example:
    >>> roundings(0.98765)
    (1.0, 0.99, 0.988, 0.9877)
"""

from __future__ import annotations

from symopt.dsl import Const, Program
from symopt.simplify._rewrites import _replaced

__all__ = ["constant_sites", "roundings", "with_constant"]

def roundings(value: float, max_digits: int = 6) -> tuple[float, ...]:
    """Shorter decimals for ``value``: 1, 2, ... significant digits, up to the value itself.

    Example:
        >>> roundings(0.899), roundings(0.996991)
        ((0.9,), (1.0, 0.997, 0.99699))
        >>> roundings(0.0002)
        ()
    """
    out: list[float] = []
    for digits in range(1, max_digits + 1):
        shorter = float(f"{value:.{digits - 1}e}")
        if shorter == value:
            break
        if shorter not in out:
            out.append(shorter)
    return tuple(out)


def constant_sites(program: Program) -> tuple[tuple[int, int], ...]:
    """``(statement, argument)`` of every constant argument, in program order.

    Example:
        >>> from symopt.dsl import builtin
        >>> constant_sites(builtin("lion"))[:2]
        ((0, 2), (2, 2))
    """
    return tuple(
        (i, k)
        for i, st in enumerate(program.statements)
        for k, arg in enumerate(st.args)
        if isinstance(arg, Const)
    )


def with_constant(program: Program, site: tuple[int, int], value: float) -> Program:
    """The program with the constant at ``site`` (see :func:`constant_sites`) set to ``value``.

    Example:
        >>> from symopt.dsl import builtin
        >>> with_constant(builtin("lion"), (0, 2), 0.8).statements[0].args[2]
        Const(value=0.8)
    """
    i, k = site
    st = program.statements[i]
    args: tuple[Arg, ...] = st.args[:k] + (Const(value),) + st.args[k + 1 :]
    return _replaced(program, i, st.with_changes(args=args))
