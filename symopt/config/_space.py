"""The search space (section ``search_space``): which functions, how long, which mutations and how often.

:class:`MutationKind` is the closed list of mutations (as AutoML-Zero's
``MutationType``, identity included); each member carries its default weight,
and :class:`MutationWeights` has one field per member, so a new kind needs only
its member here and its operator in :mod:`symopt.evolve` (``_OPERATORS``).

Example:
    >>> space = SearchSpace(max_len=16)
    >>> [k.value for k in space.kinds()]
    ['identity', 'insert', 'delete', 'modify', 'modify_beta', 'copy']
    >>> space.weights()
    (0.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 0.0, 0.0)
    >>> SearchSpace(constants_only=True).weights()
    (0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field
from typing import Literal

from symopt.config._schema import YAML_HIDDEN, check
from symopt.dsl.encode import Layout
from symopt.dsl.functions import FUNCTION_NAMES

__all__ = ["MutationKind", "MutationWeights", "SearchSpace"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MutationKind(str, enum.Enum):
    """The closed list of mutation kinds (paper section 2.1), each with its default weight."""

    default_weight: float

    def __new__(cls, value: str, default_weight: float) -> "MutationKind":
        member = str.__new__(cls, value)
        member._value_ = value
        member.default_weight = default_weight
        return member

    IDENTITY = ("identity", 0.0)
    """The parent itself (a fresh copy of it joins the population; off by default)."""
    INSERT = ("insert", 1.0)
    """Insert a statement at a random position: random function, random arguments."""
    DELETE = ("delete", 1.0)
    """Delete a random statement."""
    MODIFY = ("modify", 1.0)
    """Change one argument of a random statement: another variable, or a new constant."""
    MODIFY_BETA = ("modify_beta", 0.0)
    """Drift an interpolation weight c in (0, 1) (``interp``'s third argument, a beta) on the scale
    of ``1 - c``: ``1 - (1 - c) * 10^a``, a ~ N(0, 1), so .9 -> .99 -> .999 are each about one
    standard deviation (off by default; not in the paper, whose constant draw MODIFY keeps)."""
    COPY = ("copy", 0.0)
    """Insert a copy of a random statement with a fresh target and one variable argument rewired
    to another variable (identical when there is none), right after the last definition of its
    arguments (off by default; not in the paper)."""


def _check_weights(self: "MutationWeights") -> None:
    for kind in MutationKind:
        value = getattr(self, kind.value)
        check(value >= 0, kind.value, "a number >= 0", value)
    total = sum(getattr(self, kind.value) for kind in MutationKind)
    check(total > 0, list(MutationKind)[-1].value, "weights that are not all 0", total)


def _of(self: "MutationWeights", kind: MutationKind) -> float:
    """The weight of ``kind``."""
    return float(getattr(self, kind.value))


MutationWeights = dataclasses.make_dataclass(
    "MutationWeights",
    [(kind.value, float, field(default=kind.default_weight)) for kind in MutationKind],
    frozen=True,
    namespace={"__post_init__": _check_weights, "of": _of, "__module__": __name__},
)
MutationWeights.__doc__ = """Relative probabilities of the mutation kinds (paper: insert, delete, modify equal).

One field per :class:`MutationKind` (YAML keys ``identity``, ``insert``,
``delete``, ``modify``, ``modify_beta``, ``copy``), defaulting to the kind's ``default_weight``; 0 turns a
kind off (insert 0: simplification by evolution).

Example:
    >>> MutationWeights(insert=0.0).of(MutationKind.INSERT)
    0.0
"""


@dataclass(frozen=True)
class SearchSpace:
    """What mutations may produce (section ``search_space``).

    Attributes:
        max_len: the most statements in a program (default 24; at most the
            encoder's 48).
        functions: ``"all"`` (default: the whole library) or a list of function names.
        state: the state slots every program declares (default ``[m, v]``, AdamW's
            memory; at most 2).
        mutation_weights: one weight per mutation kind (default identity 0,
            insert / delete / modify 1, modify_beta / copy 0).
        const_prob: probability that a new scalar argument is a fresh constant
            rather than a variable (default 0.2).
        max_redraws: tries to draw a valid child that differs from its parent
            (default 100).
        keep_neutral: keep a child with its parent's functional hash (an edit of
            dead code, or an inserted dead statement) instead of re-drawing it
            (default false, as the public code). Such a child is a cache hit: no
            training, the parent's fitness. Dead statements can then drift, the
            paper's "stepping stones" (docs/lion_discovery.md measures the effect).
        constants_only: only change constants (the hyperparameter-tuning
            baseline); set by ``search.mode: hparam``, not a YAML key.
    """

    max_len: int = 24
    functions: Literal["all"] | tuple[str, ...] = "all"
    state: tuple[str, ...] = ("m", "v")
    mutation_weights: MutationWeights = field(default_factory=MutationWeights)  # type: ignore[valid-type]
    const_prob: float = 0.2
    max_redraws: int = 100
    keep_neutral: bool = False
    constants_only: bool = field(default=False, metadata={YAML_HIDDEN: True})

    def __post_init__(self) -> None:
        if not isinstance(self.functions, str):
            object.__setattr__(self, "functions", tuple(self.functions))
        object.__setattr__(self, "state", tuple(self.state))
        layout = Layout()
        limit = layout.max_len
        check(1 <= self.max_len <= limit, "max_len", f"an integer in [1, {limit}]", self.max_len)
        if self.functions != "all":
            check(len(self.functions) > 0, "functions", "'all' or a non-empty list", self.functions)
            for i, name in enumerate(self.functions):
                check(name in FUNCTION_NAMES, f"functions[{i}]", "a library function name", name)
        check(len(self.state) <= layout.num_slots, "state", "at most 2 slot names", self.state)
        check(len(set(self.state)) == len(self.state), "state", "distinct slot names", self.state)
        for i, slot in enumerate(self.state):
            ok = bool(_IDENT.match(slot)) and slot not in ("w", "g", "lr", "update")
            check(ok, f"state[{i}]", "an identifier other than w, g, lr, update", slot)
        check(0 <= self.const_prob <= 1, "const_prob", "a number in [0, 1]", self.const_prob)
        check(self.max_redraws >= 1, "max_redraws", "an integer >= 1", self.max_redraws)

    @property
    def function_names(self) -> tuple[str, ...]:
        """The library functions an inserted statement may call (``"all"`` resolved)."""
        return FUNCTION_NAMES if self.functions == "all" else tuple(self.functions)

    def kinds(self) -> tuple[MutationKind, ...]:
        """Every mutation kind, in the order of :meth:`weights`."""
        return tuple(MutationKind)

    def weights(self) -> tuple[float, ...]:
        """Probabilities of :meth:`kinds` (constants-only: modify only)."""
        if self.constants_only:
            return tuple(1.0 if k is MutationKind.MODIFY else 0.0 for k in MutationKind)
        raw = tuple(self.mutation_weights.of(k) for k in MutationKind)
        total = sum(raw)
        return tuple(w / total for w in raw)
