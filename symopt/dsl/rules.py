"""Naming and call rules that the parser enforces and the printer relies on.

Example:
    >>> name_problem("sqrt")
    'it is a library function'
    >>> call_problem("sqr", 1)
    "unknown function 'sqr'; did you mean 'sqrt'?"
"""

from __future__ import annotations

import difflib
import keyword
from typing import Sequence

from symopt.dsl.functions import FUNCTIONS, NAMED_CONSTANTS
from symopt.dsl.program import INPUTS

__all__ = ["OPERATORS", "call_problem", "name_problem", "state_problem"]

OPERATORS: dict[str, str] = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
"""Library functions written as binary operators, and their operator."""


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a variable, or None if it can."""
    if name in NAMED_CONSTANTS:
        return "it is a named constant"
    if name in FUNCTIONS:
        return "it is a library function"
    if keyword.iskeyword(name) or not (name.isascii() and name.isidentifier()):
        return "it is not a valid variable name"
    return None


def state_problem(name: str, earlier: Sequence[str]) -> str | None:
    """Why ``name`` cannot be the next state slot after ``earlier``, or None."""
    if name in INPUTS:
        return f"state slot '{name}' clashes with the input '{name}'"
    if name in earlier:
        return f"state slot '{name}' is listed twice"
    problem = name_problem(name)
    return f"state slot '{name}' is not allowed: {problem}" if problem else None


def call_problem(fn: str, n_args: int) -> str | None:
    """Why ``fn`` cannot be called with ``n_args`` arguments, or None."""
    if fn not in FUNCTIONS:
        close = difflib.get_close_matches(fn, FUNCTIONS, n=1)
        return f"unknown function '{fn}'" + (f"; did you mean '{close[0]}'?" if close else "")
    arity = FUNCTIONS[fn].arity
    if n_args != arity:
        return f"'{fn}' takes {arity} argument{'' if arity == 1 else 's'}, got {n_args}"
    return None
