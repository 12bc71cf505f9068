"""Abstract execution: what can be known about a program before training it.

The three checks of the paper (section 2.2, SPEC section 5), one module each,
gathered here as the one place callers import them from:

1. validity over value kinds (tensor or scalar): :mod:`symopt.dsl.kinds`;
2. redundant statements, within a step and across steps through dead state
   slots: :mod:`symopt.dsl.redundancy`;
3. a functional hash, for the fitness cache: :mod:`symopt.dsl.hashing`.

Example:
    >>> from symopt.dsl.program import Const, Program, Statement, Var
    >>> p = Program((
    ...     Statement("m", "interp", (Var("g"), Var("m"), Const(0.9))),
    ...     Statement("update", "sign", (Var("m"),)),
    ...     Statement("v", "cosh", (Var("update"),)),
    ... ))
    >>> validate(p)
    >>> live_slots(p), redundant_count(p), depends_on_gradient(p)
    (('m',), 1, True)
    >>> program_hash(p) == program_hash(reduce(p))
    True
"""

from symopt.dsl.hashing import program_hash, valid_program_hash
from symopt.dsl.kinds import Kind, is_valid, kinds_before, names_before, validate
from symopt.dsl.redundancy import (
    depends_on_gradient,
    edit_is_dead,
    edited_child,
    live_slots,
    reduce,
    redundant_count,
)

__all__ = [
    "Kind",
    "validate",
    "is_valid",
    "kinds_before",
    "names_before",
    "live_slots",
    "reduce",
    "redundant_count",
    "depends_on_gradient",
    "edit_is_dead",
    "edited_child",
    "program_hash",
    "valid_program_hash",
]
