"""The source form of programs: parse ``def train(...)`` text, and print it back.

The text is first held to the limits of :mod:`symopt.dsl.limits` (size, line
length, statements, nesting depth), then read with LibCST and walked node by
node into a :class:`Program` (:mod:`symopt.dsl.reader`); nothing in it is ever
evaluated. Anything outside the DSL raises :class:`DSLSyntaxError` located at
the offending node (1-based line and column; a parenthesised node is located
inside its parentheses).
Parsing checks syntax, function names and arity only; types and reads before
assignment are abstract execution's business (:mod:`symopt.dsl.analysis`).

The accepted form::

    # comments anywhere
    def train(w, g, m, v, lr):      # w, g, <state slots...>, lr
        g2 = square(g)              # library function calls
        m = interp(g, m, 0.9)       # arguments: variable names or numbers
        update = m / g2             # + - * / are add, sub, mul, div
        x = -m                      # negative(m); but -0.01 is a constant
        c = pi()                    # the 0-ary function; a bare pi, e or eps
        y = interp(g, m, pi)        # as an argument is that number
        u = sign(interp(g, m, 0.9)) # nested: read as t1 = interp(g, m, 0.9); u = sign(t1)
        return update, m, v         # the update, then the state slots in order

Constants are numbers within +-1e10 (``CONST_LIMIT``); a literal beyond is
refused (mutation clips the constants it makes to the same range instead).

With no state slots the return is ``return update`` (``return update,`` is
accepted too). Printing is canonical, flat (one function per statement) and
exact: ``parse(to_source(p)) == p``.

Example:
    >>> p = parse("def train(w, g, m, lr):\\n    m = interp(g, m, 0.9)\\n"
    ...           "    update = sign(m)\\n    return update, m\\n")
    >>> p.statements[1]
    Statement(target='update', fn='sign', args=(Var(name='m'),))
    >>> print(to_source(p), end="")
    def train(w, g, m, lr):
        m = interp(g, m, 0.9)
        update = sign(m)
        return update, m
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from symopt.dsl.errors import DSLSyntaxError, InvalidProgram
from symopt.dsl.limits import check_limits, read_source
from symopt.dsl.program import Arg, Program, Statement, Var
from symopt.dsl.reader import Position, read_module
from symopt.dsl.reader import OPERATORS, call_problem, name_problem, state_problem

__all__ = ["Position", "parse", "parse_with_positions", "to_source", "load"]

# "parser error: error at 2:13: expected one of ..." (the position is optional).
_LIBCST_ERROR = re.compile(r"(?:\w+ error: )?(?:error at (\d+):(\d+): )?(.*)")


def parse(source: str, filename: str = "<string>") -> Program:
    """Parses program text into a :class:`Program`, executing nothing.

    Args:
        source: the text of one ``def train(w, g, <state...>, lr):``.
        filename: named in error messages.

    Raises:
        DSLSyntaxError: at the first construct outside the DSL.

    Example:
        >>> parse("def train(w, g, lr):\\n    update = g * lr\\n    return update\\n").statements
        (Statement(target='update', fn='mul', args=(Var(name='g'), Var(name='lr'))),)
    """
    return parse_with_positions(source, filename)[0]


def parse_with_positions(
    source: str, filename: str = "<string>"
) -> tuple[Program, tuple[Position, ...]]:
    """Like :func:`parse`, also giving where each statement starts.

    Returns:
        The program, and one 1-based ``(line, column)`` per statement of
        ``program.statements``, for messages about statements found later.

    Example:
        >>> _, where = parse_with_positions("def train(w, g, lr):\\n    u = -g\\n    return u\\n")
        >>> where
        ((2, 5),)
    """
    check_limits(source, filename)
    module = _parse_module(source, filename)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return read_module(module, positions, source, filename)


def load(path: str | os.PathLike[str]) -> Program:
    """Reads and parses a program file; errors name the path.

    Reads no more of the file than :data:`~symopt.dsl.limits.MAX_SOURCE_BYTES`
    allows, so a huge file is refused as fast as a small one.

    Raises:
        DSLSyntaxError: text outside the DSL, past a limit, or not UTF-8.
        OSError: a file that cannot be read.

    Example:
        >>> load("symopt/dsl/programs/lion.py").state  # doctest: +SKIP
        ('m', 'v')
    """
    return parse(read_source(path), os.fspath(path))


def to_source(program: Program) -> str:
    """Prints a program canonically, so that ``parse(to_source(p)) == p``.

    Four-space indents, ``a + b`` for add/sub/mul/div, ``-x`` for ``negative``
    of a variable, calls for the rest, constants as ``repr(float)``.

    Raises:
        InvalidProgram: if the program has no source form (an unknown function,
            a wrong arity, a name that is a keyword, function or named constant).

    Example:
        >>> from symopt.dsl.program import Const
        >>> p = Program((Statement("update", "sub", (Const(-1.0), Var("g"))),), state=())
        >>> print(to_source(p), end="")
        def train(w, g, lr):
            update = -1.0 - g
            return update
    """
    _check_printable(program)
    lines = [f"def train({', '.join(program.signature)}):"]
    lines += [f"    {s.target} = {_expression(s)}" for s in program.statements]
    lines.append(f"    return {', '.join(program.returns)}")
    return "\n".join(lines) + "\n"


# --- printing ----------------------------------------------------------------


def _check_printable(program: Program) -> None:
    for i, name in enumerate(program.state):
        problem = state_problem(name, program.state[:i])
        if problem:
            raise InvalidProgram(problem)
    for index, stmt in enumerate(program.statements):
        bad = [name for name in (stmt.target, *stmt.reads()) if name_problem(name)]
        problem = call_problem(stmt.fn, len(stmt.args))
        problem = problem or (bad and f"'{bad[0]}': {name_problem(bad[0])}")
        if problem:
            raise InvalidProgram(f"no source form: {problem}", index)
    problem = name_problem(program.output)
    if problem:
        raise InvalidProgram(f"no source form: cannot return '{program.output}': {problem}")


def _operand_text(arg: Arg) -> str:
    # repr of a float round-trips exactly; a negative one parses back as a
    # negative constant in every position the printer uses, since unary minus
    # binds tighter than + - * /.
    return arg.name if isinstance(arg, Var) else repr(float(arg.value))


def _expression(stmt: Statement) -> str:
    args = [_operand_text(a) for a in stmt.args]
    if stmt.fn in OPERATORS:
        return f"{args[0]} {OPERATORS[stmt.fn]} {args[1]}"
    if stmt.fn == "negative" and isinstance(stmt.args[0], Var):
        return f"-{args[0]}"
    return f"{stmt.fn}({', '.join(args)})"


# --- parsing -----------------------------------------------------------------


def _parse_module(source: str, filename: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as err:
        # LibCST's native parser puts its best position in the message, often a
        # token late; the raw attributes are a poorer fallback (tokenizer errors
        # carry only those). Both columns are 0-based.
        found = _LIBCST_ERROR.match(err.message.splitlines()[0] if err.message else "")
        line, col = (int(found[1]), int(found[2])) if found[1] else (err.raw_line, err.raw_column)
        line = min(max(line, 1), source.count("\n") + 1)
        raise DSLSyntaxError(f"invalid syntax: {found[3]}", filename, line, col + 1) from None
    except cst.CSTValidationError as err:  # a node LibCST parsed but will not build
        raise DSLSyntaxError(f"invalid syntax: {err}", filename) from None
