"""The optimizer-program DSL: values, the function library, source form, analysis, execution.

Example:
    >>> from symopt.dsl import builtin, reduce, to_source, live_slots
    >>> p4 = builtin("program4")
    >>> live_slots(p4)
    ('v',)
    >>> "cosh" in to_source(reduce(p4))
    False
"""

from symopt.dsl.analysis import (
    depends_on_gradient,
    is_valid,
    kinds_before,
    live_slots,
    program_hash,
    valid_program_hash,
    reduce,
    redundant_count,
    validate,
)
from symopt.dsl.builtins import BUILTIN_NAMES, builtin, resolve
from symopt.dsl.errors import DSLError, DSLSyntaxError, InvalidProgram
from symopt.dsl.functions import FUNCTION_NAMES, FUNCTIONS, NAMED_CONSTANTS, Function
from symopt.dsl.program import Arg, Const, Program, Statement, Var
from symopt.dsl.source import load, parse, parse_with_positions, to_source

__all__ = [
    "Arg",
    "BUILTIN_NAMES",
    "Const",
    "DSLError",
    "DSLSyntaxError",
    "FUNCTIONS",
    "FUNCTION_NAMES",
    "Function",
    "InvalidProgram",
    "NAMED_CONSTANTS",
    "Program",
    "Statement",
    "Var",
    "builtin",
    "depends_on_gradient",
    "is_valid",
    "kinds_before",
    "live_slots",
    "load",
    "parse",
    "parse_with_positions",
    "program_hash",
    "valid_program_hash",
    "reduce",
    "redundant_count",
    "resolve",
    "to_source",
    "validate",
]
