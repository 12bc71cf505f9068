"""The search space: which functions, how long, which mutations and how often.

Example:
    >>> space = SearchSpace(max_len=16)
    >>> space.kinds()
    (<MutationKind.INSERT: 'insert'>, <MutationKind.DELETE: 'delete'>, <MutationKind.MODIFY: 'modify'>)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from symopt.dsl.functions import FUNCTION_NAMES

__all__ = ["MutationKind", "SearchSpace"]


class MutationKind(str, enum.Enum):
    """The closed list of mutation kinds (paper section 2.1)."""

    INSERT = "insert"
    """Insert a statement at a random position: random function, random arguments."""
    DELETE = "delete"
    """Delete a random statement."""
    MODIFY = "modify"
    """Change one argument of a random statement: another variable, or a new constant."""
    RANDOM = "random"
    """Not a mutation: a fresh random program (the random-search baseline)."""


@dataclass(frozen=True)
class SearchSpace:
    """What mutations may produce.

    Attributes:
        functions: library functions an inserted statement may call.
        max_len: the most statements a program may have.
        state: the state slots every program declares.
        insert_weight: relative probability of an insertion (0 turns insertion off,
            as in the paper's simplification by evolution).
        delete_weight: relative probability of a deletion.
        modify_weight: relative probability of an argument change.
        constants_only: only change constants (the hyperparameter-tuning baseline).
        max_redraws: tries to find a valid child that differs from its parent.
        const_prob: probability that a new argument which may be a scalar is a
            fresh constant rather than a variable.
    """

    functions: tuple[str, ...] = FUNCTION_NAMES
    max_len: int = 24
    state: tuple[str, ...] = ("m", "v")
    insert_weight: float = 1.0
    delete_weight: float = 1.0
    modify_weight: float = 1.0
    constants_only: bool = False
    max_redraws: int = 100
    const_prob: float = 0.2

    def __post_init__(self) -> None:
        object.__setattr__(self, "functions", tuple(self.functions))
        object.__setattr__(self, "state", tuple(self.state))
        unknown = [f for f in self.functions if f not in FUNCTION_NAMES]
        if unknown:
            raise ValueError(f"unknown functions in the search space: {', '.join(unknown)}")
        if not self.functions:
            raise ValueError("the search space needs at least one function")
        weights = (self.insert_weight, self.delete_weight, self.modify_weight)
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("mutation weights must be >= 0 and not all 0")
        if self.max_len < 1 or self.max_redraws < 1:
            raise ValueError("max_len and max_redraws must be >= 1")

    def kinds(self) -> tuple[MutationKind, ...]:
        return (MutationKind.INSERT, MutationKind.DELETE, MutationKind.MODIFY)

    def weights(self) -> tuple[float, float, float]:
        """Probabilities of insert, delete, modify (constants-only: modify only)."""
        if self.constants_only:
            return (0.0, 0.0, 1.0)
        raw = (self.insert_weight, self.delete_weight, self.modify_weight)
        total = sum(raw)
        return tuple(w / total for w in raw)  # type: ignore[return-value]
