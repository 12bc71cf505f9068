"""Mutations as pure, seeded functions ``(program, rng, space) -> Mutation``.

A child is re-drawn until abstract execution accepts it and its functional hash
differs from its parent's (paper section 2.1; the identity mutation excepted), or,
with ``space.keep_neutral``, until it is valid: a *neutral* child (its parent's
hash: dead code changed) is then kept and flagged. The number of re-draws is kept. :data:`_OPERATORS` holds one operator per
:class:`~symopt.config.MutationKind`, and nothing else needs to know the kinds.
Redundant statements are allowed: they are stepping stones.

Every random draw uses the ``numpy.random.Generator`` passed in, never a global.

Example:
    >>> import numpy as np
    >>> from symopt.dsl import builtin, program_hash
    >>> parent = builtin("adamw")
    >>> m = mutate(parent, np.random.default_rng(0), SearchSpace())
    >>> program_hash(m.child) != program_hash(parent)
    True
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from symopt.config import MutationKind, SearchSpace
from symopt.dsl import (
    FUNCTIONS,
    Arg,
    Const,
    Program,
    Edit,
    Statement,
    Var,
    edit_is_dead,
    edited_child,
    is_valid,
    names_before,
    per_program,
    program_hash,
    valid_program_hash,
)
from symopt.evolve._draws import below, normal, uniform
from symopt.runs import RANDOM

__all__ = [
    "Mutation",
    "MutationFailed",
    "mutate",
    "random_program",
    "random_statement",
]

_FIXED = ("w", "g", "lr")


class MutationFailed(RuntimeError):
    """No valid, functionally different child within ``space.max_redraws`` tries."""


@dataclass(frozen=True)
class Mutation:
    """A child and how it was made.

    Attributes:
        child: the new program.
        kind: the mutation that made it (``None``: a fresh random program).
        redraws: rejected tries before it (invalid, or the same function as the parent).
        detail: a short human description, e.g. ``"modify 3.2: 0.999 -> 0.9"``;
            a neutral child's ends in ``" (neutral)"``.
        hash: the child's :func:`~symopt.dsl.program_hash` (empty: not computed).
        neutral: it has its parent's functional hash (identity, or an edit of dead code).
    """

    child: Program
    kind: MutationKind | None
    redraws: int
    detail: str
    hash: str = ""
    neutral: bool = False

    @property
    def origin(self) -> str:
        """What the history calls how it was made: the kind's value, or ``random``."""
        return RANDOM if self.kind is None else self.kind._value_  # .value: a property, ~1 us


Drawn = tuple[Edit, str, tuple[object, ...]]
"""What an operator returns: the edit, and its description as a ``str.format`` template and
values (formatted only for the child kept: most drawn edits are rejected)."""


def _fresh_name(program: Program) -> str:
    used = set(_FIXED) | set(program.state) | {s.target for s in program.statements}
    k = 0
    while f"t{k}" in used:
        k += 1
    return f"t{k}"


def _random_arg(
    kind: str, program: Program, index: int, rng: np.random.Generator, space: SearchSpace
) -> Arg | None:
    """An argument of the wanted kind for statement ``index``: a variable defined there or
    (if scalars fit) a constant."""
    names = names_before(program, index, kind)
    scalar_ok = kind in ("any", "scalar")
    if scalar_ok and (not names or uniform(rng) < space.const_prob):
        return Const(normal(rng))
    if not names:
        return None
    return Var(names[below(rng, len(names))])


def random_statement(
    program: Program, index: int, rng: np.random.Generator, space: SearchSpace
) -> Statement | None:
    """A random statement that could sit before ``program.statements[index]``.

    Its arguments are variables defined at that point (of the right kind) or
    constants; its target is a fresh variable or, half the time, an existing one.
    Returns ``None`` when the drawn function cannot be fed there.
    """
    names = space.function_names
    fn = FUNCTIONS[names[below(rng, len(names))]]
    args = []
    for kind in fn.arg_kinds:
        arg = _random_arg(kind, program, index, rng, space)
        if arg is None:
            return None
        args.append(arg)
    if uniform(rng) < 0.5:
        targets = names_before(program, index, "any")
        target = targets[below(rng, len(targets))]
    else:
        target = _fresh_name(program)
    return Statement(target, fn.name, tuple(args))


def _insert(parent: Program, rng: np.random.Generator, space: SearchSpace) -> Drawn | None:
    if len(parent) >= space.max_len:
        return None
    index = below(rng, len(parent) + 1)
    st = random_statement(parent, index, rng, space)
    if st is None:
        return None
    return Edit(index, 0, st), "insert {}: {} = {}(...)", (index + 1, st.target, st.fn)


def _delete(parent: Program, rng: np.random.Generator, space: SearchSpace) -> Drawn | None:
    if not parent.statements:
        return None
    index = below(rng, len(parent))
    return Edit(index, 1, None), "delete {}: {}", (index + 1, parent.statements[index].target)


def _new_constant(old: float, rng: np.random.Generator) -> float:
    # The paper: a fresh N(0, 1) draw, or the old value times 2^a with a ~ N(0, 1).
    if uniform(rng) < 0.5:
        return normal(rng)
    return old * math.pow(2.0, normal(rng))


@per_program
def _arguments(program: Program) -> tuple[tuple[int, int], ...]:
    """``(statement, argument)`` positions of every argument (a parent is mutated again and again)."""
    return tuple((i, k) for i, st in enumerate(program.statements) for k in range(len(st.args)))


@per_program
def _constants(program: Program) -> tuple[tuple[int, int], ...]:
    """The positions of the constant arguments."""
    return tuple((i, k) for i, k in _arguments(program) if isinstance(program.statements[i].args[k], Const))


def _modify(parent: Program, rng: np.random.Generator, space: SearchSpace) -> Drawn | None:
    slots = _constants(parent) if space.constants_only else _arguments(parent)
    if not slots:
        return None
    i, k = slots[below(rng, len(slots))]
    st = parent.statements[i]
    old = st.args[k]
    if isinstance(old, Const):
        new: Arg = Const(_new_constant(old.value, rng))
    else:
        kind = FUNCTIONS[st.fn].arg_kinds[k]
        choices = [n for n in names_before(parent, i, kind) if n != old.name]
        if not choices:
            return None
        new = Var(choices[below(rng, len(choices))])
    return _with_arg(parent, i, k, new), "modify {}.{}: {} -> {}", (i + 1, k + 1, old, new)


def _with_arg(parent: Program, i: int, k: int, new: Arg) -> Edit:
    """The edit that replaces argument ``k`` of statement ``i`` by ``new``."""
    st = parent.statements[i]
    return Edit(i, 1, Statement(st.target, st.fn, st.args[:k] + (new,) + st.args[k + 1 :]))


def _is_beta(st: Statement) -> bool:
    """``st`` is ``interp(x, y, c)`` with a constant weight ``c`` in (0, 1)."""
    c = st.args[2] if st.fn == "interp" else None
    return isinstance(c, Const) and 0.0 < c.value < 1.0


def _drift_beta(old: float, rng: np.random.Generator) -> float:
    # 1 - c times 10^a, a ~ N(0, 1): a factor 10 per standard deviation (.999 -> [.98, .995]: a in
    # [0.70, 1.30], 15%; with 2^a it would need a in [2.3, 4.3], 1%).
    return 1.0 - (1.0 - old) * math.pow(10.0, normal(rng))


def _modify_beta(parent: Program, rng: np.random.Generator, space: SearchSpace) -> Drawn | None:
    rows = [i for i, st in enumerate(parent.statements) if _is_beta(st)]
    if not rows:
        return None
    i = rows[below(rng, len(rows))]
    old = parent.statements[i].args[2]
    assert isinstance(old, Const)
    value = _drift_beta(old.value, rng)
    if not 0.0 < value < 1.0:
        return None
    new = Const(value)
    return _with_arg(parent, i, 2, new), "modify_beta {}.3: {} -> {}", (i + 1, old, new)


def _copy(parent: Program, rng: np.random.Generator, space: SearchSpace) -> Drawn | None:
    if not parent.statements or len(parent) >= space.max_len:
        return None
    i = below(rng, len(parent))
    st = parent.statements[i]
    args = st.args
    slots = [k for k, a in enumerate(args) if isinstance(a, Var)]
    if slots:
        k = slots[below(rng, len(slots))]
        old = args[k]
        assert isinstance(old, Var)
        choices = [n for n in names_before(parent, len(parent), FUNCTIONS[st.fn].arg_kinds[k]) if n != old.name]
        if choices:
            args = args[:k] + (Var(choices[below(rng, len(choices))]),) + args[k + 1 :]
    # Right after the last definition of its arguments: it reads their final values (the start: inputs).
    names = {a.name for a in args if isinstance(a, Var)}
    index = max((j + 1 for j, s in enumerate(parent.statements) if s.target in names), default=0)
    copy = Statement(_fresh_name(parent), st.fn, args)
    return Edit(index, 0, copy), "copy {} -> {}: {} = {}(...)", (i + 1, index + 1, copy.target, st.fn)


def _identity(parent: Program, rng: np.random.Generator, space: SearchSpace) -> Drawn | None:
    return Edit(0, 0, None), "identity", ()


Operator = Callable[[Program, np.random.Generator, SearchSpace], Drawn | None]

_OPERATORS: dict[MutationKind, Operator] = {
    MutationKind.IDENTITY: _identity,
    MutationKind.INSERT: _insert,
    MutationKind.DELETE: _delete,
    MutationKind.MODIFY: _modify,
    MutationKind.MODIFY_BETA: _modify_beta,
    MutationKind.COPY: _copy,
}


def mutate(
    parent: Program, rng: np.random.Generator, space: SearchSpace, parent_hash: str | None = None
) -> Mutation:
    """Draws a valid child of ``parent`` that computes something different
    (with ``space.keep_neutral``: any valid child; a neutral one is flagged).

    Example:
        >>> import numpy as np
        >>> from symopt.dsl import builtin
        >>> space = SearchSpace(keep_neutral=True)
        >>> rng = np.random.default_rng(0)
        >>> children = [mutate(builtin("adamw"), rng, space) for _ in range(200)]
        >>> any(m.neutral for m in children), all(m.detail.endswith("(neutral)") for m in children if m.neutral)
        (True, True)

    Args:
        parent: a valid program.
        rng: every draw's generator.
        space: what children may be.
        parent_hash: ``program_hash(parent)``, when the caller knows it.

    Returns:
        The child, with its hash.

    Raises:
        MutationFailed: after ``space.max_redraws`` rejected tries.
    """
    parent_hash = program_hash(parent) if parent_hash is None else parent_hash
    kinds, operators, cdf = _kind_table(space)
    for tries in range(space.max_redraws):
        drawn = bisect.bisect_right(cdf, uniform(rng))
        kind = kinds[drawn]
        made = operators[drawn](parent, rng, space)
        if made is None:
            continue
        edit, template, values = made
        if kind is _IDENTITY:
            return Mutation(parent, kind, tries, template, hash=parent_hash, neutral=True)
        if not space.keep_neutral and edit_is_dead(parent, edit):
            continue  # invalid, or the parent's hash: re-drawn either way, and cheaper to tell
        child = edited_child(parent, edit)
        if child is None:
            continue
        child_hash = valid_program_hash(child)
        neutral = child_hash == parent_hash
        if neutral and not space.keep_neutral:
            continue
        detail = template.format(*values) + (" (neutral)" if neutral else "")
        return Mutation(child, kind, tries, detail, hash=child_hash, neutral=neutral)
    raise MutationFailed(f"no valid, different child in {space.max_redraws} tries")


_IDENTITY = MutationKind.IDENTITY  # an enum member looked up once, not on every try

_Table = tuple[tuple[MutationKind, ...], tuple[Operator, ...], list[float]]
_LAST_TABLE: list[tuple[SearchSpace, _Table]] = []
"""The last space's table: a search asks with one space throughout (and an ``lru_cache``
would hash the space's every field on each call)."""


def _kind_table(space: SearchSpace) -> _Table:
    """The kinds, their operators and their normalised cumulative weights: ``rng.choice(len(kinds),
    p=weights)`` draws one uniform and takes the first kind whose cumulative weight exceeds it;
    so does :func:`mutate`, without numpy's per-call checks."""
    if _LAST_TABLE and _LAST_TABLE[0][0] is space:
        return _LAST_TABLE[0][1]
    cdf = np.asarray(space.weights(), dtype=float).cumsum()
    cdf /= cdf[-1]
    table = space.kinds(), tuple(_OPERATORS[kind] for kind in space.kinds()), cdf.tolist()
    _LAST_TABLE[:] = [(space, table)]
    return table


def random_program(
    rng: np.random.Generator, space: SearchSpace, length: int | None = None
) -> Mutation:
    """A random valid program (the random-search baseline), output ``update``.

    Statements are drawn one by one among valid extensions; the last one writes
    ``update``. ``length`` defaults to a uniform draw in ``[1, space.max_len]``.
    """
    for tries in range(space.max_redraws):
        n = int(rng.integers(1, space.max_len + 1)) if length is None else length
        program = Program((), state=space.state)
        while len(program) < n:
            st = random_statement(program, len(program), rng, space)
            if st is None:
                continue
            if len(program) == n - 1:
                st = st.with_changes(target="update")
            program = program.with_changes(statements=program.statements + (st,))
        if is_valid(program):
            return Mutation(program, None, tries, f"random program of {n} statements")
    raise MutationFailed(f"no valid random program in {space.max_redraws} tries")
