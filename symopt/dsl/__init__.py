"""The optimizer-program DSL: values, the function library, source form, analysis, execution.

The face is lazy (:mod:`symopt._lazy`): a name's module is imported when the name is
first used, so the errors and the input limits (:func:`read_source`,
:func:`check_limits`) are usable without importing JAX.

Example:
    >>> from symopt.dsl import builtin, reduce, to_source, live_slots
    >>> p4 = builtin("program4")
    >>> live_slots(p4)
    ('v',)
    >>> "cosh" in to_source(reduce(p4))
    False
"""

from typing import TYPE_CHECKING

from symopt._lazy import lazy_face

if TYPE_CHECKING:  # the same names, for readers and type checkers
    from symopt.dsl.analysis import (
        depends_on_gradient,
        edit_is_dead,
        edited_child,
        is_valid,
        kinds_before,
        names_before,
        live_slots,
        program_hash,
        reduce,
        redundant_count,
        valid_program_hash,
        validate,
    )
    from symopt.dsl.builtins import BUILTIN_NAMES, builtin, resolve
    from symopt.dsl.errors import DSLError, DSLSyntaxError, InvalidProgram
    from symopt.dsl.functions import FUNCTION_NAMES, FUNCTIONS, NAMED_CONSTANTS, Function
    from symopt.dsl.limits import check_limits, read_source
    from symopt.dsl.program import Arg, Const, Edit, Program, Statement, Var, per_program
    from symopt.dsl.source import load, parse, parse_with_positions, to_source

__all__ = [
    "Arg",
    "BUILTIN_NAMES",
    "Const",
    "DSLError",
    "DSLSyntaxError",
    "Edit",
    "FUNCTIONS",
    "FUNCTION_NAMES",
    "Function",
    "InvalidProgram",
    "NAMED_CONSTANTS",
    "Program",
    "Statement",
    "Var",
    "builtin",
    "check_limits",
    "depends_on_gradient",
    "edit_is_dead",
    "edited_child",
    "is_valid",
    "kinds_before",
    "names_before",
    "live_slots",
    "load",
    "parse",
    "parse_with_positions",
    "per_program",
    "program_hash",
    "read_source",
    "reduce",
    "redundant_count",
    "resolve",
    "to_source",
    "valid_program_hash",
    "validate",
]

_WHERE = {
    **dict.fromkeys(
        ("depends_on_gradient", "edit_is_dead", "edited_child", "is_valid", "kinds_before", "live_slots",
         "names_before", "program_hash", "reduce", "redundant_count", "valid_program_hash", "validate"),
        "analysis",
    ),
    **dict.fromkeys(("BUILTIN_NAMES", "builtin", "resolve"), "builtins"),
    **dict.fromkeys(("DSLError", "DSLSyntaxError", "InvalidProgram"), "errors"),
    **dict.fromkeys(("FUNCTION_NAMES", "FUNCTIONS", "NAMED_CONSTANTS", "Function"), "functions"),
    **dict.fromkeys(("check_limits", "read_source"), "limits"),
    **dict.fromkeys(("Arg", "Const", "Edit", "Program", "Statement", "Var", "per_program"), "program"),
    **dict.fromkeys(("load", "parse", "parse_with_positions", "to_source"), "source"),
}
__getattr__, __dir__ = lazy_face(__name__, _WHERE)
