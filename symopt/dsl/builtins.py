"""The built-in programs, shipped as source files in ``symopt/dsl/programs/``.

Each file is one ``def train(w, g, m, v, lr)`` in canonical form with a header
comment; each carries its own peak learning rate and weight decay as constants,
since the ``lr`` input is a schedule that peaks at 1.

Example:
    >>> builtin("lion").state
    ('m', 'v')
    >>> resolve("adamw") == builtin("adamw")
    True
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from symopt.dsl.errors import DSLError
from symopt.dsl.program import Program
from symopt.dsl.source import load, parse

__all__ = ["BUILTIN_NAMES", "UnknownProgram", "builtin", "builtin_source", "resolve"]

BUILTIN_NAMES: tuple[str, ...] = ("adamw", "lion", "program4", "signum", "momentum", "sgd")
"""Names of the shipped programs: the warm start, the discovery, and baselines."""


class UnknownProgram(DSLError, KeyError):
    """A program name that is neither a built-in nor (for :func:`resolve`) a file.

    A :class:`KeyError` for lookups by name, and a :class:`DSLError` so the CLI
    reports it like any other mistake in a program argument.
    """

    def __str__(self) -> str:
        # KeyError would print the message quoted, as if it were the key.
        return str(self.args[0])


def builtin_source(name: str) -> str:
    """The text of a built-in program's file, comments included.

    Raises:
        UnknownProgram: if ``name`` is not in :data:`BUILTIN_NAMES`.

    Example:
        >>> builtin_source("sgd").startswith("#")
        True
    """
    return _resource(name).read_text(encoding="utf-8")


@functools.cache
def builtin(name: str) -> Program:
    """A built-in program by name, parsed once and then shared (programs are immutable).

    Raises:
        UnknownProgram: if ``name`` is not in :data:`BUILTIN_NAMES`.

    Example:
        >>> builtin("sgd").statements[0].fn
        'mul'
    """
    return parse(builtin_source(name), filename=str(_resource(name)))


def resolve(spec: str | os.PathLike[str]) -> Program:
    """A program from a path to a source file, or else from a built-in name.

    Raises:
        UnknownProgram: if ``spec`` is neither an existing file nor a built-in.
        DSLSyntaxError: if the file is not a valid program.

    Example:
        >>> resolve("signum").statements[1].fn
        'sign'
    """
    if Path(spec).is_file():
        return load(spec)
    if spec in BUILTIN_NAMES:
        return builtin(str(spec))
    raise UnknownProgram(
        f"'{os.fspath(spec)}' is neither a program file nor a built-in program "
        f"({_known()})"
    )


def _resource(name: str) -> Traversable:
    if name not in BUILTIN_NAMES:
        raise UnknownProgram(f"no built-in program named '{name}' ({_known()})")
    return resources.files("symopt.dsl") / "programs" / f"{name}.py"


def _known() -> str:
    return "built-ins: " + ", ".join(BUILTIN_NAMES)
