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
import math
from dataclasses import dataclass
from typing import Any, Union

from symopt.dsl.functions import CONST_LIMIT

__all__ = ["Var", "Const", "Arg", "Statement", "Program", "INPUTS", "DEFAULT_STATE"]

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
        value = float(self.value)
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
        object.__setattr__(self, "statements", tuple(self.statements))
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
        # str hashes differ between processes: a pickled program computes its own.
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

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
