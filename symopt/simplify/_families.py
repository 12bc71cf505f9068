"""Optimizer families of a run's programs, each program classified once (for ``symopt show``).

:func:`~symopt.simplify.classify` runs a program and fits every family (about a
second each), so :class:`Families` remembers them per hash and callers classify
only the programs they show.
"""

from __future__ import annotations

from symopt.dsl import DSLError, Program
from symopt.simplify._verdict import classify

__all__ = ["Families"]


class Families:
    """Optimizer families by program hash, each program classified at most once.

    A cache, hence mutable (unlike the values around it).

    Example:
        >>> from symopt.dsl import builtin, program_hash
        >>> families = Families()
        >>> lion = builtin("lion")
        >>> families.of(lion, program_hash(lion))
        'lion'
    """

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def of(self, program: Program, hash: str) -> str:
        """The family of ``program`` (``"?"`` if it cannot be run on random inputs)."""
        if hash not in self._known:
            try:
                self._known[hash] = classify(program).family
            except (DSLError, ValueError, FloatingPointError):
                self._known[hash] = "?"
        return self._known[hash]
