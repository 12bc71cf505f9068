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
from itertools import permutations

from symopt.dsl.redundancy import Dataflow, Source, dataflow, liveness
from symopt.dsl.kinds import validate
from symopt.dsl.program import Const, Program

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


def valid_program_hash(program: Program) -> str:
    """:func:`program_hash` of a program the caller has just validated (not checked again).

    Example:
        >>> from symopt.dsl.builtins import builtin
        >>> valid_program_hash(builtin("lion")) == program_hash(builtin("lion"))
        True
    """
    flow = dataflow(program)
    live = liveness(program)
    orders = permutations(live.slots) if len(live.slots) <= MAX_PERMUTED_SLOTS else [live.slots]
    digest = min(_step_digest(program, flow, live.statements, order) for order in orders)
    return digest[:HASH_LENGTH]


def _step_digest(
    program: Program, flow: Dataflow, statements: frozenset[int], slot_order: tuple[str, ...]
) -> str:
    """The DAG digest with the live slots numbered in ``slot_order``."""
    leaves = {slot: f"slot#{k}" for k, slot in enumerate(slot_order)}
    digests: dict[int, str] = {}

    def digest(source: Source) -> str:
        if isinstance(source, int):
            return digests[source]
        if isinstance(source, Const):
            return _sha(f"const:{source.value!r}")
        return _sha(leaves.get(source.name, f"input:{source.name}"))

    # Statement order is topological, so every child is hashed before its parent.
    for index in sorted(statements):
        statement = program.statements[index]
        # A constant is read from the program itself: the dataflow is cached per
        # program, and programs equal but for 0.0 / -0.0 share it.
        sources = zip(flow.args[index], statement.args)
        children = [digest(arg if isinstance(source, Const) else source) for source, arg in sources]
        fn = statement.fn
        if fn in COMMUTATIVE:
            children.sort()
        digests[index] = _sha(f"{fn}({','.join(children)})")
    outgoing = dict(zip(program.state, flow.returns[1:]))
    roots = [flow.returns[0], *(outgoing[slot] for slot in slot_order)]
    return _sha(f"return({','.join(digest(root) for root in roots)})")


@functools.lru_cache(maxsize=1 << 16)
def _sha(text: str) -> str:
    # Cached: a population's programs share most of their nodes, and the slot
    # orders of one program share every node that reads no slot.
    return hashlib.sha256(text.encode()).hexdigest()
