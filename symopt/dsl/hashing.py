"""Functional hash: equal for programs that compute the same step the same way.

The hash is taken over one step's dataflow DAG from the leaves (``w``, ``g``,
``lr``, the incoming live slots, constants) to the live outputs (the update,
then the outgoing value of each live slot), node by node: a node's digest is
its function name and its children's digests. It is therefore independent of
variable names (state slot and output names included), of dead statements
within and across steps (see :mod:`symopt.dsl.redundancy`), and of the order of
independent statements.

Two improvements over the paper's syntactic hash (SPEC section 5):

* the children of commutative functions (:data:`COMMUTATIVE`) are sorted, so
  ``a + b`` and ``b + a`` hash alike (``a - b`` still differs; ``interp`` is
  not commutative);
* the live slots are numbered canonically: the hash is the least over every
  order of the live slots, so declaring ``(m, v)`` or ``(v, m)`` does not matter.
  Beyond :data:`MAX_PERMUTED_SLOTS` live slots it falls back to declaration order.

Constants hash by ``repr(float)``: changing a live constant changes the hash.

Example:
    >>> from symopt.dsl.program import Program, Statement, Var
    >>> a = Program((Statement("update", "add", (Var("g"), Var("w"))),))
    >>> b = Program((Statement("u", "add", (Var("w"), Var("g"))),), output="u")
    >>> program_hash(a) == program_hash(b)
    True
"""

from __future__ import annotations

import functools
import hashlib
import math
from itertools import permutations

from symopt.dsl.redundancy import Dataflow, Source, dataflow, liveness
from symopt.dsl.kinds import validate
from symopt.dsl.program import INPUTS, Program, Statement, Var, per_program

__all__ = ["COMMUTATIVE", "MAX_PERMUTED_SLOTS", "HASH_LENGTH", "program_hash", "valid_program_hash"]

COMMUTATIVE: frozenset[str] = frozenset({"add", "mul", "maximum", "minimum", "dot", "cosine_sim"})
"""Functions whose two arguments can be swapped without changing the result."""

MAX_PERMUTED_SLOTS = 4
"""Up to this many live slots, every order is tried (4! = 24 DAG hashes)."""

HASH_LENGTH = 16
"""Hex characters kept from the sha256 digest (64 bits)."""


def program_hash(program: Program) -> str:
    """A hash of what the program computes; equal hashes share a cached fitness.

    Args:
        program: a valid program.

    Returns:
        The first :data:`HASH_LENGTH` hex characters of a sha256 digest.

    Raises:
        InvalidProgram: if the program is invalid.

    Example:
        >>> from symopt.dsl.program import Const, Program, Statement, Var
        >>> p = Program((Statement("update", "mul", (Var("g"), Const(0.1))),))
        >>> len(program_hash(p))
        16
    """
    validate(program)
    return valid_program_hash(program)


@per_program
def valid_program_hash(program: Program) -> str:
    """:func:`program_hash` of a program the caller has just validated (not checked again).

    Example:
        >>> from symopt.dsl.builtins import builtin
        >>> valid_program_hash(builtin("lion")) == program_hash(builtin("lion"))
        True
    """
    flow = dataflow(program)
    live = liveness(program)
    orders = list(permutations(live.slots)) if len(live.slots) <= MAX_PERMUTED_SLOTS else [live.slots]
    indices = sorted(live.statements)  # statement order is topological: children come first
    outgoing = dict(zip(program.state, flow.returns[1:]))
    finals = []
    shared: dict[int, str] = {}
    for order in orders:
        leaves = _leaves(order)
        nodes, reading = _node_digests(program.statements, flow.args, indices, leaves, shared, order)
        if not shared:  # the nodes that read no live slot digest alike in every order
            shared = {i: digest for i, digest in nodes.items() if i not in reading}
        roots = [flow.returns[0], *(outgoing[slot] for slot in order)]
        text = ",".join(nodes[root] if root.__class__ is int else leaves[root.name] for root in roots)
        finals.append(_sha(f"return({text})"))
    return min(finals)[:HASH_LENGTH]


def _node_digests(
    statements: tuple[Statement, ...],
    args: tuple[tuple[Source, ...], ...],
    indices: list[int],
    leaves: dict[str, str],
    known: dict[int, str],
    slots: tuple[str, ...],
) -> tuple[dict[int, str], set[int]]:
    """The digest of each statement in ``indices`` (topological order), ``known`` ones taken
    as they are, and which of the others read one of ``slots``, directly or not."""
    nodes = dict(known)
    reading: set[int] = set()
    for index in indices:
        if index in nodes:
            continue
        children = []
        for source in args[index]:
            kind = source.__class__
            if kind is int:
                children.append(nodes[source])
                if source in reading:
                    reading.add(index)
            elif kind is Var:
                children.append(leaves[source.name])
                if source.name in slots:
                    reading.add(index)
            else:
                children.append(_const_digest(source.value))
        fn = statements[index].fn
        key = (fn, tuple(children))
        digest = _NODES.get(key)
        nodes[index] = digest if digest is not None else _node_digest(fn, key[1])
    return nodes, reading


_NODES: dict[tuple[str, tuple[str, ...]], str] = {}
"""``(function, children's digests in argument order) -> digest``: a population's
programs share most of their nodes, and a child most of its parent's."""

_NODES_KEPT = 1 << 17
""":data:`_NODES` (and :data:`_CONSTS`) are emptied when they grow past this many entries."""


def _node_digest(fn: str, children: tuple[str, ...]) -> str:
    """``sha256("fn(c1,c2,...)")``, the children sorted for a commutative function; remembered."""
    key = (fn, children)
    digest = _NODES.get(key)
    if digest is None:
        if len(_NODES) >= _NODES_KEPT:
            _NODES.clear()
        ordered = sorted(children) if fn in COMMUTATIVE else children
        digest = _NODES[key] = _sha(f"{fn}({','.join(ordered)})")
    return digest


def _const_digest(value: float) -> str:
    if not value:  # repr tells 0.0 from -0.0, which compare (and hash) equal
        return _ZEROS[math.copysign(1.0, value) < 0]
    digest = _CONSTS.get(value)
    if digest is None:
        if len(_CONSTS) >= _NODES_KEPT:
            _CONSTS.clear()
        digest = _CONSTS[value] = _sha(f"const:{value!r}")
    return digest


_CONSTS: dict[float, str] = {}
"""``value -> digest`` of the nonzero constants."""


def _sha(text: str) -> str:
    # Not an lru_cache: what is asked again is remembered in _NODES, _CONSTS and _ZEROS, and a
    # miss cost the cache twice the digest.
    return hashlib.sha256(text.encode()).hexdigest()


_ZEROS = (_sha(f"const:{0.0!r}"), _sha(f"const:{-0.0!r}"))
"""The digests of ``0.0`` and ``-0.0``."""


@functools.lru_cache(maxsize=256)
def _leaves(order: tuple[str, ...]) -> dict[str, str]:
    """The leaf digests: ``input:w`` etc. for the inputs, ``slot#k`` for the k-th slot in ``order``
    (made once per order; not to be changed)."""
    return {**{name: _sha(f"input:{name}") for name in INPUTS}, **{s: _sha(f"slot#{k}") for k, s in enumerate(order)}}