"""Programs as immutable values.

A program is the body of ``def train(w, g, <state...>, lr)``: a straight-line
tuple of statements, each assigning ONE library function of variables or
numeric constants to a variable, and returning ``update`` followed by the state
slots. Programs, statements and arguments are frozen dataclasses holding tuples,
so they are hashable, picklable, compare structurally, and edits return new
values (``with_changes``), in the manner of LibCST nodes.

Example:
    >>> p = Program((Statement("update", "sign", (Var("g"),)),), state=("m",))
    >>> p.signature
    ('w', 'g', 'm', 'lr')
    >>> p.with_changes(state=("m", "v")).state
    ('m', 'v')
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, TypeVar, Union

from symopt.dsl.functions import CONST_LIMIT

__all__ = ["Var", "Const", "Arg", "Statement", "Program", "Edit", "INPUTS", "DEFAULT_STATE", "per_program", "keep"]

INPUTS: tuple[str, str, str] = ("w", "g", "lr")
"""The fixed inputs: weights, gradient, and the learning-rate schedule's value."""

DEFAULT_STATE: tuple[str, str] = ("m", "v")


@dataclass(frozen=True)
class Var:
    """A reference to a variable by name."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    """A numeric constant, clipped to ``+-CONST_LIMIT`` when made.

    Example:
        >>> Const(1e12).value
        10000000000.0
    """

    value: float

    def __post_init__(self) -> None:
        value = self.value
        if value.__class__ is float and -CONST_LIMIT <= value <= CONST_LIMIT:
            return  # as most are made: nothing to change (NaN fails the comparison)
        value = float(value)
        if math.isnan(value):
            raise ValueError("a constant cannot be NaN")
        object.__setattr__(self, "value", min(max(value, -CONST_LIMIT), CONST_LIMIT))

    def __str__(self) -> str:
        return repr(self.value)


Arg = Union[Var, Const]


@dataclass(frozen=True)
class Statement:
    """``target = fn(*args)``."""

    target: str
    fn: str
    args: tuple[Arg, ...]

    def __post_init__(self) -> None:
        if self.args.__class__ is not tuple:
            object.__setattr__(self, "args", tuple(self.args))

    def with_changes(self, **changes: Any) -> "Statement":
        return dataclasses.replace(self, **changes)

    def reads(self) -> tuple[str, ...]:
        """Names of the variables this statement reads, in argument order."""
        return tuple(a.name for a in self.args if isinstance(a, Var))


@dataclass(frozen=True)
class Program:
    """An optimizer program.

    Attributes:
        statements: the body, in order.
        state: names of the state slots; they start at zero and persist between
            steps. The count is a parameter (the paper uses two, ``m`` and ``v``).
        output: the variable returned as the update (``w = w - update``).
    """

    statements: tuple[Statement, ...]
    state: tuple[str, ...] = DEFAULT_STATE
    output: str = "update"

    def __post_init__(self) -> None:
        if self.statements.__class__ is not tuple:  # most programs are made of tuples: nothing to do
            object.__setattr__(self, "statements", tuple(self.statements))
        if self.state.__class__ is not tuple:
            object.__setattr__(self, "state", tuple(self.state))

    def __hash__(self) -> int:
        # The dataclass hash, computed once: the analyses cache by program, and
        # hashing every statement again on each lookup cost more than some of them.
        try:
            return self.__dict__["_hash"]
        except KeyError:
            value = self.__dict__["_hash"] = hash((self.statements, self.state, self.output))
            return value

    def __getstate__(self) -> dict[str, Any]:
        # The fields only: str hashes differ between processes, so a pickled program
        # computes its own, and what per_program keeps is recomputed where needed.
        return {"statements": self.statements, "state": self.state, "output": self.output}

    @property
    def signature(self) -> tuple[str, ...]:
        """Parameter names of ``train``: ``w, g, *state, lr``."""
        return ("w", "g", *self.state, "lr")

    @property
    def returns(self) -> tuple[str, ...]:
        """Returned names: the update, then the state slots."""
        return (self.output, *self.state)

    def __len__(self) -> int:
        return len(self.statements)

    def with_changes(self, **changes: Any) -> "Program":
        return dataclasses.replace(self, **changes)


class Edit(NamedTuple):
    """One statement of a program replaced, removed or inserted: what a mutation does.

    A search draws a few edits per child and builds only the one it keeps, so an
    edit is a named tuple (cheap to make) rather than a frozen dataclass.

    Attributes:
        index: where the edit starts.
        removed: how many statements go from ``index`` (0 or 1).
        statement: what goes in at ``index`` (``None``: nothing; with ``removed``
            0 too, the edit changes nothing).

    Example:
        >>> p = Program((Statement("update", "sign", (Var("g"),)),))
        >>> Edit(0, 0, Statement("t", "abs", (Var("w"),))).apply(p).statements[0].target
        't'
        >>> len(Edit(0, 1, None).apply(p))
        0
    """

    index: int
    removed: int
    statement: Statement | None

    def apply(self, program: Program) -> Program:
        """``program`` with this edit made."""
        body = program.statements
        new = () if self.statement is None else (self.statement,)
        return Program(body[: self.index] + new + body[self.index + self.removed :], program.state, program.output)


_Result = TypeVar("_Result")


def _memo_key(analysis: Callable[[Program], Any]) -> str:
    return f"_{analysis.__module__}.{analysis.__qualname__}"


_MISSING: Any = object()


def per_program(analysis: Callable[[Program], _Result]) -> Callable[[Program], _Result]:
    """``analysis`` computed once per program object and kept on it (not pickled).

    A program is immutable, so what a pure function of it returns never goes
    stale; keeping it on the object costs no lookup by value (which would hash
    every statement) and lets programs equal but for ``0.0`` / ``-0.0`` keep
    their own results.

    Example:
        >>> calls = []
        >>> @per_program
        ... def length(program: Program) -> int:
        ...     calls.append(1)
        ...     return len(program)
        >>> p = Program(())
        >>> length(p), length(p), len(calls)
        (0, 0, 1)
    """
    key = _memo_key(analysis)

    @functools.wraps(analysis)
    def kept(program: Program) -> _Result:
        memo = program.__dict__
        value = memo.get(key, _MISSING)  # one lookup (an analysis may return None)
        if value is _MISSING:
            value = memo[key] = analysis(program)
        return value

    return kept


def keep(analysis: Callable[[Program], _Result], program: Program, value: _Result) -> None:
    """Keeps ``value`` as what the :func:`per_program` ``analysis`` returns for ``program``:
    for a result its caller derived more cheaply (a child's, from its parent's).

    Example:
        >>> @per_program
        ... def length(program: Program) -> int:
        ...     return len(program)
        >>> p = Program(())
        >>> keep(length, p, 0)
        >>> length(p)
        0
    """
    program.__dict__[_memo_key(analysis)] = value  # functools.wraps kept the name
