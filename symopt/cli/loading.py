"""Turning command-line arguments into programs and run folders.

A PROGRAM argument is a file, a built-in name, or ``RUN_DIR:ID``: child ``ID``
of the campaign in ``RUN_DIR`` (``symopt show RUN_DIR`` lists the ids worth
taking). An existing file always wins, so a file name holding ``:`` still
loads as a file; otherwise the text is split at its last ``:``.

Example:
    >>> load_program("lion").program.state
    ('m', 'v')
    >>> split_run_spec("runs/quick:812") is None   # no such folder here
    True
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import symopt.dsl as dsl
from symopt.cli.errors import UserError, as_user_error
from symopt.dsl import check_limits, DSLError, InvalidProgram, read_source

if TYPE_CHECKING:
    from symopt.dsl import Program
    from symopt.runs import Run

__all__ = [
    "LoadedProgram",
    "add_program_argument",
    "load_program",
    "open_run_dir",
    "positive_int",
    "run_errors",
    "split_run_spec",
]


@dataclass(frozen=True)
class LoadedProgram:
    """A program with where it came from, for messages."""

    program: Program
    origin: str


def split_run_spec(spec: str) -> tuple[str, int] | None:
    """``(RUN_DIR, ID)`` when ``spec`` is ``RUN_DIR:ID`` with an existing folder, else ``None``."""
    folder, colon, number = spec.rpartition(":")
    if not colon or not (number.isascii() and number.isdigit()) or not os.path.isdir(folder):
        return None
    return folder, int(number)


PROGRAM_HELP = (
    "a program file, a built-in name (adamw, lion, sgd, momentum, signum, program4) or RUN_DIR:ID"
)


def add_program_argument(parser: argparse.ArgumentParser) -> None:
    """Adds the positional ``PROGRAM`` argument (read by :func:`load_program`) to ``parser``."""
    parser.add_argument("program", metavar="PROGRAM", help=PROGRAM_HELP)


def positive_int(text: str) -> int:
    """An argparse ``type``: an integer >= 1 (``--top K``).

    Example:
        >>> positive_int("5")
        5
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def open_run_dir(path: str) -> Run:
    """Opens a run folder for a command; its warnings go to stderr.

    Raises:
        UserError: a missing or damaged run folder (the message names the file).
    """
    from symopt.runs import load_run, RunError  # here: JAX and Ray only for commands that read runs

    try:
        view = load_run(path)
    except RunError as err:
        raise UserError(str(err)) from None
    for note in view.warnings:
        print(f"warning: {note}", file=sys.stderr)
    return view


@contextlib.contextmanager
def run_errors() -> Iterator[None]:
    """Turns a damaged run file, or Ray failing to start or its workers dying, into a :class:`UserError`.

    Example:
        >>> from symopt.runs import RunError
        >>> with run_errors():
        ...     raise RunError("runs/x/funnel.json: damaged")
        Traceback (most recent call last):
        ...
        symopt.cli.errors.UserError: runs/x/funnel.json: damaged
    """
    from symopt.evolve.workers import is_evaluator_failure
    from symopt.runs import RunError

    try:
        yield
    except RunError as err:
        raise UserError(str(err)) from None
    except Exception as err:
        if is_evaluator_failure(err):
            raise UserError(str(err)) from None
        raise


def _from_run(folder: str, id: int) -> Program:
    from symopt.runs import program_of, RunError

    try:
        return program_of(open_run_dir(folder), id)
    except RunError as err:
        raise UserError(str(err)) from None


def load_program(spec: str, *, check: bool = True) -> LoadedProgram:
    """Loads a file, a built-in or ``RUN_DIR:ID``; with ``check``, also runs abstract execution.

    Raises:
        UserError: unreadable file, text outside the DSL (``FILE:LINE:COL: ...``),
            a run that kept no copy of the child, or an invalid program (located
            at the offending statement).
    """
    positions: tuple[tuple[int, int], ...] = ()
    if os.path.isfile(spec):
        try:
            text = read_source(spec)
            check_limits(text, spec)  # before the parser, and before JAX is imported
            program, positions = dsl.parse_with_positions(text, spec)
        except OSError as err:
            raise UserError(f"cannot read {spec}: {err.strerror or err}") from err
        except DSLError as err:
            raise as_user_error(err) from err
    elif spec in dsl.BUILTIN_NAMES:
        program = dsl.builtin(spec)
    elif (run_spec := split_run_spec(spec)) is not None:
        program = _from_run(*run_spec)
    elif os.path.isdir(spec):
        raise UserError(
            f"{spec!r} is a folder: name a child of a run as {spec.rstrip(os.sep)}:ID "
            f"(symopt show {spec} lists the ids)"
        )
    else:
        raise UserError(
            f"{spec!r} is neither a file nor a built-in program "
            f"(built-ins: {', '.join(dsl.BUILTIN_NAMES)}), nor RUN_DIR:ID for a child of a run"
        )
    if check:
        try:
            dsl.validate(program)
        except InvalidProgram as err:
            if err.index is not None and err.index < len(positions):
                line, col = positions[err.index]
                raise UserError(f"{spec}:{line}:{col}: {err.reason}", located=True) from err
            raise UserError(f"{spec}: {err}", located=True) from err
    return LoadedProgram(program, spec)
