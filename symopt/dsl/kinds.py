"""Kinds and validity: abstract execution of a program over value kinds.

Before any training a program is run once over *kinds* instead of values
(paper section 2.2, SPEC section 5): ``w``, ``g`` and the state slots are
tensors, ``lr`` and every constant are scalars, and each statement's kind
follows from its function's entry in :data:`~symopt.dsl.functions.FUNCTIONS`.
Kinds are flow-sensitive: ``lr = g * 2`` makes ``lr`` a tensor from there on.

Example:
    >>> from symopt.dsl.program import Const, Program, Statement, Var
    >>> p = Program((Statement("update", "mul", (Var("g"), Const(0.1))),), state=())
    >>> is_valid(p)
    True
    >>> kinds_before(p, 1)["update"]
    'tensor'
"""

from __future__ import annotations

import functools
from typing import Literal

from symopt.dsl.errors import InvalidProgram
from symopt.dsl.functions import FUNCTIONS
from symopt.dsl.program import INPUTS, Arg, Const, Edit, Program, Statement, Var, keep, per_program

__all__ = ["Kind", "validate", "is_valid", "kinds_before", "names_before", "valid_edit"]

Kind = Literal["tensor", "scalar"]


def validate(program: Program) -> None:
    """Checks that ``program`` can run; returns nothing when it can.

    Args:
        program: the program to check.

    Raises:
        InvalidProgram: on the first fault, with the offending statement's index
            (``None`` for faults of the signature or of a never-assigned output):
            an unknown function, a wrong argument count, a read before
            assignment, an argument of the wrong kind, an output that is never
            assigned or not a tensor, a state slot returning a scalar, or state
            names that repeat or clash with ``w``, ``g``, ``lr``.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> p = Program((Statement("update", "global_norm", (Var("g"),)),), state=())
        >>> try:
        ...     validate(p)
        ... except InvalidProgram as error:
        ...     print(error.index, error.reason)
        0 the update 'update' must be a tensor, got a scalar
    """
    fault = _fault(program)
    if fault is not None:
        raise InvalidProgram(*fault)


@per_program
def _fault(program: Program) -> tuple[str, int | None] | None:
    """``(reason, index)`` of the first fault, or ``None``; kept on the program (a search
    checks a child's validity several times: when it is drawn, hashed and reduced)."""
    try:
        env = _abstract_run(program, len(program))
    except InvalidProgram as err:
        return err.reason, err.index
    return _fault_at_return(program, env)


def _fault_at_return(program: Program, env: dict[str, Kind]) -> tuple[str, int | None] | None:
    """The fault of the returned values, given the kinds at ``return``."""
    if program.output not in env:
        return f"the output {program.output!r} is never assigned", None
    if env[program.output] != "tensor":
        return f"the update {program.output!r} must be a tensor, got a scalar", _last_write(program, program.output)
    for slot in program.state:
        if env[slot] != "tensor":
            return f"state slot {slot!r} must return a tensor, got a scalar", _last_write(program, slot)
    return None


def is_valid(program: Program) -> bool:
    """Whether :func:`validate` accepts ``program``.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> is_valid(Program((Statement("update", "sign", (Var("x"),)),), state=()))
        False
    """
    try:
        validate(program)
    except InvalidProgram:
        return False
    return True


def kinds_before(program: Program, index: int) -> dict[str, Kind]:
    """The variables defined just before statement ``index``, with their kinds.

    Only the statements before ``index`` are checked, so a program being edited
    at ``index`` may be invalid further on.

    Args:
        program: the program.
        index: a statement position, ``0 <= index <= len(program)``;
            ``len(program)`` gives the variables at ``return``.

    Returns:
        Names in signature order (``w``, ``g``, state slots, ``lr``), then the
        assigned names in order of first assignment.

    Raises:
        IndexError: if ``index`` is out of range.
        InvalidProgram: if a statement before ``index`` is invalid.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> p = Program((Statement("n", "global_norm", (Var("g"),)),), state=("m",))
        >>> kinds_before(p, 1)
        {'w': 'tensor', 'g': 'tensor', 'm': 'tensor', 'lr': 'scalar', 'n': 'scalar'}
    """
    if not 0 <= index <= len(program):
        raise IndexError(f"statement index {index} is outside 0..{len(program)}")
    if _fault(program) is None:  # a search asks this of the same parents again and again
        return dict(_environments(program)[index])
    return _abstract_run(program, index)


def names_before(program: Program, index: int, kind: str) -> tuple[str, ...]:
    """The variables defined just before statement ``index`` that fit an argument of ``kind``
    (``"any"``, ``"tensor"`` or ``"scalar"``), sorted: what a mutation draws from.

    Raises as :func:`kinds_before`. A valid program's lists are found once and kept with its
    kinds, which its children share up to their edits.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> p = Program((Statement("n", "global_norm", (Var("g"),)),), state=("m",))
        >>> names_before(p, 1, "scalar"), names_before(p, 1, "any")
        (('lr', 'n'), ('g', 'lr', 'm', 'n', 'w'))
    """
    if _fault(program) is not None or not 0 <= index <= len(program):
        return _fitting(kinds_before(program, index), kind)
    env = _environments(program)[index]
    try:
        known = env.names
    except AttributeError:
        known = env.names = {}
    names = known.get(kind)
    if names is None:
        names = known[kind] = _fitting(env, kind)
    return names


def _fitting(env: dict[str, Kind], kind: str) -> tuple[str, ...]:
    return tuple(sorted([name for name, got in env.items() if kind == "any" or got == kind]))


class _Environment(dict[str, Kind]):
    """The kinds before one statement, and (``names``, once asked) the sorted names of each kind."""

    __slots__ = ("names",)
    names: dict[str, tuple[str, ...]]


@per_program
def _environments(program: Program) -> tuple[_Environment, ...]:
    """The environment before each statement and at ``return``, of a valid program."""
    record: list[_Environment] = []
    _abstract_run(program, len(program), record)
    return tuple(record)


def _abstract_run(program: Program, stop: int, record: list[_Environment] | None = None) -> dict[str, Kind]:
    """Runs the first ``stop`` statements over kinds; the environment after them (and, in
    ``record``, a copy of the environment before each statement and after the last)."""
    return _run(program.statements[:stop], 0, dict(_initial_environment(program.state)), record)


def _run(
    statements: tuple[Statement, ...], first: int, env: dict[str, Kind], record: list[_Environment] | None
) -> dict[str, Kind]:
    """Runs ``statements`` (numbered from ``first``) over kinds from ``env``, which it changes;
    as :func:`_abstract_run`."""
    for index, statement in enumerate(statements, first):
        if record is not None:
            record.append(_Environment(env))
        # The kind of each argument (None: not yet assigned), then one lookup.
        kinds = tuple([env.get(a.name) if a.__class__ is Var else "scalar" for a in statement.args])
        result = _RESULTS.get((statement.fn, kinds)) or _result_kind(statement, env, index)
        env[statement.target] = result
    if record is not None:
        record.append(_Environment(env))
    return env


def valid_edit(parent: Program, edit: Edit) -> Program | None:
    """``edit.apply(parent)`` if it is valid, else ``None``; the child's kinds are derived
    from its valid ``parent``'s up to the edit, and kept on it with its verdict.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> p = Program((Statement("update", "sign", (Var("g"),)),), state=())
        >>> valid_edit(p, Edit(0, 0, Statement("t", "abs", (Var("w"),)))).statements[0].fn
        'abs'
        >>> valid_edit(p, Edit(0, 1, None)) is None  # nothing assigns the update
        True
    """
    before = _environments(parent)
    index, removed, statement = edit
    rest = index + removed  # the parent's first statement after the edit
    env = before[index].copy()
    record = list(before[: index + (statement is not None)])  # the child's kinds up to the edit
    if statement is not None:
        try:
            _run((statement,), index, env, None)
        except InvalidProgram:
            return None
    if env == before[rest] and list(env) == list(before[rest]):
        record += before[rest:]  # the parent's kinds again: the rest runs as in the valid parent
    else:
        try:
            env = _run(parent.statements[rest:], len(record), env, record)
        except InvalidProgram:
            return None
        if _fault_at_return(parent, env) is not None:  # (the child returns what the parent returns)
            return None
    child = edit.apply(parent)
    keep(_fault, child, None)
    keep(_environments, child, tuple(record))
    return child


@functools.lru_cache(maxsize=64)
def _initial_environment(state: tuple[str, ...]) -> dict[str, Kind]:
    """The kinds at the start: ``w``, ``g`` and the slots tensors, ``lr`` a scalar (made once
    per state tuple; not to be changed). Raises on state names that repeat or clash."""
    _check_state_names(state)
    env: dict[str, Kind] = dict.fromkeys(("w", "g", *state), "tensor")
    env["lr"] = "scalar"
    return env


def _check_state_names(state: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for slot in state:
        if slot in INPUTS:
            raise InvalidProgram(f"state slot {slot!r} clashes with the input {slot!r}")
        if slot in seen:
            raise InvalidProgram(f"state slot {slot!r} is declared twice")
        seen.add(slot)


_RESULTS: dict[tuple[str, tuple[Kind | None, ...]], Kind] = {}
"""``(function, argument kinds) -> result kind`` for the well-kinded calls seen so far."""


def _result_kind(statement: Statement, env: dict[str, Kind], index: int) -> Kind:
    """The result's kind, remembered in :data:`_RESULTS`; raises on an ill-kinded call."""
    function = FUNCTIONS.get(statement.fn)
    if function is None:
        raise InvalidProgram(f"unknown function {statement.fn!r}", index)
    if len(statement.args) != function.arity:
        raise InvalidProgram(
            f"{statement.fn} takes {function.arity} argument(s), got {len(statement.args)}", index
        )
    kinds = tuple(_arg_kind(arg, env, index) for arg in statement.args)
    for position, (wanted, got) in enumerate(zip(function.arg_kinds, kinds), start=1):
        if wanted != "any" and wanted != got:
            raise InvalidProgram(
                f"{statement.fn} argument {position} must be a {wanted}, got a {got}", index
            )
    result: Kind = function.result if function.result != "broadcast" else "tensor" if "tensor" in kinds else "scalar"
    _RESULTS[statement.fn, kinds] = result
    return result


def _arg_kind(arg: Arg, env: dict[str, Kind], index: int) -> Kind:
    if isinstance(arg, Const):
        return "scalar"
    if arg.name not in env:
        raise InvalidProgram(f"reads {arg.name!r} before it is assigned", index)
    return env[arg.name]


def _last_write(program: Program, name: str) -> int | None:
    """Index of the last statement assigning ``name``; ``None`` if it is an unassigned input."""
    writes = [i for i, statement in enumerate(program.statements) if statement.target == name]
    return writes[-1] if writes else None
