"""Turning a command-line PROGRAM argument (a file or a built-in name) into a program.

Example:
    >>> load_program("lion").program.state
    ('m', 'v')
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from symopt.cli.errors import UserError, as_user_error
from symopt.dsl.analysis import validate
from symopt.dsl.builtins import BUILTIN_NAMES, builtin
from symopt.dsl.errors import DSLError, InvalidProgram
from symopt.dsl.program import Program
from symopt.dsl.source import parse_with_positions

__all__ = ["LoadedProgram", "load_program"]


@dataclass(frozen=True)
class LoadedProgram:
    """A program with where it came from, for messages."""

    program: Program
    origin: str


def load_program(spec: str, *, check: bool = True) -> LoadedProgram:
    """Loads a file or built-in; with ``check``, also runs abstract execution.

    Raises:
        UserError: unreadable file, text outside the DSL (``FILE:LINE:COL: ...``),
            or an invalid program (located at the offending statement).
    """
    if os.path.isfile(spec):
        try:
            with open(spec, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as err:
            raise UserError(f"cannot read {spec}: {err}") from err
        try:
            program, positions = parse_with_positions(text, spec)
        except DSLError as err:
            raise as_user_error(err) from err
    elif spec in BUILTIN_NAMES:
        program, positions = builtin(spec), ()
    else:
        raise UserError(
            f"{spec!r} is neither a file nor a built-in program "
            f"(built-ins: {', '.join(BUILTIN_NAMES)})"
        )
    if check:
        try:
            validate(program)
        except InvalidProgram as err:
            if err.index is not None and err.index < len(positions):
                line, col = positions[err.index]
                raise UserError(f"{spec}:{line}:{col}: {err.reason}", located=True) from err
            raise UserError(f"{spec}: {err}", located=True) from err
    return LoadedProgram(program, spec)
