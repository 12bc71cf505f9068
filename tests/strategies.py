"""Hypothesis strategies for program values.

Programs are structurally well formed (known functions, right arity, reads of
variables already defined) but not type checked: they exercise the source form,
not abstract execution.

Example:
    >>> from hypothesis import given
    >>> @given(programs())
    ... def test_has_output(p):
    ...     assert p.output
"""

from __future__ import annotations

import keyword

from hypothesis import strategies as st

from symopt.dsl.functions import FUNCTION_NAMES, FUNCTIONS, NAMED_CONSTANTS
from symopt.dsl.program import INPUTS, Arg, Const, Program, Statement, Var

__all__ = ["variable_names", "constants", "programs"]

_RESERVED = {*FUNCTIONS, *NAMED_CONSTANTS, *INPUTS}

variable_names: st.SearchStrategy[str] = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True).filter(
    lambda name: name not in _RESERVED and not keyword.iskeyword(name)
)
"""Fresh variable or state-slot names: never an input, function or named constant."""

_EDGE_VALUES = (*NAMED_CONSTANTS.values(), 0.0, -0.0, 5e-324, -1e-8, 1e10, -1e10, 1e300, -0.01, 0.9)

constants: st.SearchStrategy[Const] = st.one_of(
    st.floats(allow_nan=False),
    st.sampled_from(_EDGE_VALUES),
).map(Const)
"""Constants of every sign and scale, the named constants' values, and values Const clips."""


@st.composite
def programs(draw: st.DrawFn, max_statements: int = 12, max_state: int = 3) -> Program:
    """Random programs over the whole function library.

    Args:
        draw: supplied by hypothesis.
        max_statements: the most statements a program gets.
        max_state: the most state slots a program gets.
    """
    state = tuple(draw(st.lists(variable_names, max_size=max_state, unique=True)))
    defined = ["w", "g", *state, "lr"]
    statements = []
    for _ in range(draw(st.integers(0, max_statements))):
        fn = draw(st.sampled_from(FUNCTION_NAMES))
        arguments: st.SearchStrategy[Arg] = st.one_of(st.sampled_from(defined).map(Var), constants)
        args = tuple(draw(arguments) for _ in range(FUNCTIONS[fn].arity))
        target = draw(st.one_of(st.sampled_from(defined), variable_names))
        statements.append(Statement(target, fn, args))
        if target not in defined:
            defined.append(target)
    return Program(tuple(statements), state, draw(st.sampled_from(defined)))
