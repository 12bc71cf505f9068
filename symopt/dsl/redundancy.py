"""Dataflow and redundancy: which statements and state slots reach the update.

A program's step reads ``w``, ``g``, ``lr`` and the incoming state values, and
returns the update and the outgoing state values, which become the next step's
incoming ones. Liveness therefore has two levels:

* within a step, a statement is live when its value reaches a live output;
* across steps, a state slot is live when its incoming value reaches the
  update, or the outgoing value of another live slot (the least fixpoint).
  The outgoing value of a dead slot is never read, so what computes it is dead.

The public code's redundancy pass stops at the first level, so the paper's
Program 4 keeps ``m = cosh(update)``; this module removes it too.

Example:
    >>> from symopt.dsl.program import Const, Program, Statement, Var, per_program
    >>> p = Program((
    ...     Statement("update", "sign", (Var("m"),)),
    ...     Statement("m", "interp", (Var("g"), Var("m"), Const(0.9))),
    ...     Statement("v", "square", (Var("g"),)),
    ... ))
    >>> live_slots(p), redundant_count(p)
    (('m',), 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from symopt.dsl.kinds import kinds_before, valid_edit, validate
from symopt.dsl.program import Const, Edit, Program, Statement, Var, keep, per_program

__all__ = [
    "Source",
    "Dataflow",
    "dataflow",
    "Liveness",
    "liveness",
    "live_slots",
    "reduce",
    "redundant_count",
    "depends_on_gradient",
    "edit_is_dead",
    "edited_child",
]

Source = Union[int, Var, Const]
"""Where a value comes from: the index of the statement that computed it, the
incoming value of an input or state slot (``Var``), or a constant."""


@dataclass(frozen=True)
class Dataflow:
    """One step's dataflow graph; statement order is a topological order.

    Attributes:
        args: for each statement, the source of each of its arguments.
        returns: the sources of the returned values: the update, then each state
            slot's outgoing value in declaration order (as ``Program.returns``).
    """

    args: tuple[tuple[Source, ...], ...]
    returns: tuple[Source, ...]


@dataclass(frozen=True)
class Liveness:
    """What reaches the update over any number of steps.

    Attributes:
        statements: indices of the live statements.
        slots: the live state slots, in declaration order.
        inputs: the incoming names (inputs and live slots) that live values read.
    """

    statements: frozenset[int]
    slots: tuple[str, ...]
    inputs: frozenset[str]


@per_program
def dataflow(program: Program) -> Dataflow:
    """Resolves every read to the value it sees: the latest assignment, or the input.

    Assumes a valid program (see :func:`~symopt.dsl.kinds.validate`).

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> p = Program((
        ...     Statement("g", "sign", (Var("g"),)),
        ...     Statement("update", "abs", (Var("g"),)),
        ... ))
        >>> dataflow(p)
        Dataflow(args=((Var(name='g'),), (0,)), returns=(1, Var(name='m'), Var(name='v')))
    """
    return _flow_after(program, ())


def _flow_after(program: Program, known: tuple[tuple[Source, ...], ...], then: Dataflow | None = None) -> Dataflow:
    """:func:`dataflow`, given the sources of the first ``len(known)`` statements' arguments; with
    ``then``, the parent's, when the next statement replaced one with the same target (the later
    statements and the returns read what they read in the parent)."""
    latest: dict[str, Source] = {}
    for index, statement in enumerate(program.statements[: len(known)]):
        latest[statement.target] = index
    args = list(known)
    for index in range(len(known), len(program) if then is None else len(known) + 1):
        statement = program.statements[index]
        args.append(tuple([latest.get(a.name, a) if a.__class__ is Var else a for a in statement.args]))
        latest[statement.target] = index
    if then is not None:
        return Dataflow(tuple(args) + then.args[len(args) :], then.returns)
    return Dataflow(tuple(args), tuple([latest[name] if name in latest else Var(name) for name in program.returns]))


def edited_child(parent: Program, edit: Edit) -> Program | None:
    """``edit.apply(parent)`` if it is valid, else ``None``; its kinds and dataflow derived
    from its valid ``parent``'s up to the edit (and kept on it).

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> p = Program((Statement("t", "abs", (Var("g"),)), Statement("update", "sign", (Var("t"),))))
        >>> child = edited_child(p, Edit(1, 1, Statement("update", "exp", (Var("t"),))))
        >>> dataflow(child) == dataflow(Program(child.statements))
        True
    """
    child = valid_edit(parent, edit)
    if child is not None:
        flow = dataflow(parent)
        index, statement = edit.index, edit.statement
        old = parent.statements[index] if edit.removed else None
        same_target = old is not None and statement is not None and statement.target == old.target
        keep(dataflow, child, _flow_after(child, flow.args[:index], flow if same_target else None))
    return child


@per_program
def liveness(program: Program) -> Liveness:
    """The live statements and state slots of a valid program (see the module doc); cached.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> p = Program((
        ...     Statement("update", "sign", (Var("g"),)),
        ...     Statement("m", "abs", (Var("m"),)),
        ... ))
        >>> liveness(p).slots, sorted(liveness(p).statements)
        ((), [0])
    """
    flow = dataflow(program)
    outgoing = dict(zip(program.state, flow.returns[1:]))  # of the slots not yet read
    statements: set[int] = set()
    inputs: set[str] = set()
    roots = [flow.returns[0]]
    while roots:  # a slot whose incoming value is read has its outgoing value read next step
        _reach(flow.args, roots, statements, inputs)
        roots = [outgoing.pop(slot) for slot in list(outgoing) if slot in inputs]
    live = tuple([slot for slot in program.state if slot in inputs])
    return Liveness(frozenset(statements), live, frozenset(inputs))


def live_slots(program: Program) -> tuple[str, ...]:
    """The state slots whose incoming value (transitively) reaches the update.

    Raises:
        InvalidProgram: if the program is invalid.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> live_slots(Program((Statement("update", "sign", (Var("v"),)),)))
        ('v',)
    """
    validate(program)
    return liveness(program).slots


def reduce(program: Program) -> Program:
    """An equivalent program without the statements that never reach the update.

    Equivalent means the same update sequence for any inputs over any number of
    steps. The state tuple and the output name are kept. A dead slot's returned
    value may change, which nothing reads; if removing its last write would
    leave it returning a live scalar of the same name, that scalar is renamed
    (to ``<name>_<k>``) so the dead slot keeps returning a tensor.

    Raises:
        InvalidProgram: if the program is invalid.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> p = Program((
        ...     Statement("t", "exp", (Var("w"),)),
        ...     Statement("update", "sign", (Var("g"),)),
        ... ))
        >>> [s.fn for s in reduce(p).statements]
        ['sign']
    """
    validate(program)
    live = liveness(program).statements
    kept = program.with_changes(
        statements=tuple(s for i, s in enumerate(program.statements) if i in live)
    )
    at_return = kinds_before(kept, len(kept))
    scalar_slots = [slot for slot in program.state if at_return[slot] != "tensor"]
    return _rename(kept, {slot: _fresh_name(kept, slot) for slot in scalar_slots})


def redundant_count(program: Program) -> int:
    """How many statements :func:`reduce` removes.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> redundant_count(Program((Statement("update", "sign", (Var("g"),)),)))
        0
    """
    validate(program)
    # reduce() keeps exactly the live statements.
    return len(program) - len(liveness(program).statements)


def depends_on_gradient(program: Program) -> bool:
    """Whether the update, over steps, reads the incoming gradient ``g`` at all.

    The test is structural: ``update = g - g`` counts as depending on ``g``.
    A program that ignores ``g`` is pointless to train.

    Raises:
        InvalidProgram: if the program is invalid.

    Example:
        >>> from symopt.dsl.program import Const, Program, Statement, Var, per_program
        >>> depends_on_gradient(Program((Statement("update", "mul", (Var("w"), Const(0.01))),)))
        False
    """
    validate(program)
    return "g" in liveness(program).inputs


def edit_is_dead(parent: Program, edit: Edit) -> bool:
    """Whether ``edit`` replaces a dead statement of ``parent`` (same target), removes one,
    or inserts one where nothing live reads it: then, if the child is valid, it computes
    what ``parent`` does and has its :func:`~symopt.dsl.hashing.program_hash`.

    A sufficient test, not a necessary one (``False`` says nothing), and much cheaper
    than hashing: the parent's liveness and, for an insertion, a scan of the statements
    after it. The live statements keep their sources, so the live graph, the live slots
    and the hash are the parent's; the edited statement stays unreached.

    Args:
        parent: a valid program.
        edit: one edit of it.

    Example:
        >>> from symopt.dsl.program import Program, Statement, Var
        >>> parent = Program((Statement("t", "exp", (Var("w"),)), Statement("update", "sign", (Var("g"),))))
        >>> edit_is_dead(parent, Edit(0, 1, Statement("t", "cos", (Var("w"),))))
        True
        >>> edit_is_dead(parent, Edit(0, 1, None)), edit_is_dead(parent, Edit(1, 1, None))
        (True, False)
    """
    index, statement = edit.index, edit.statement
    live = liveness(parent)
    if edit.removed:  # removed, or replaced
        return index not in live.statements and (
            statement is None or statement.target == parent.statements[index].target
        )
    if statement is None:  # unchanged
        return True
    # Inserted: dead unless a live statement reads its target before it is assigned again, or it is returned.
    target = statement.target
    for at, later in enumerate(parent.statements[index:], index):
        if at in live.statements and any(a.__class__ is Var and a.name == target for a in later.args):
            return False
        if later.target == target:
            return True
    return target != parent.output and target not in live.slots


def _reach(args: tuple[tuple[Source, ...], ...], roots: list[Source], statements: set[int], inputs: set[str]) -> None:
    """Adds to ``statements`` and ``inputs`` what the ``roots`` read, transitively."""
    stack = roots
    while stack:
        source = stack.pop()
        kind = source.__class__
        if kind is int:
            if source not in statements:
                statements.add(source)
                stack += args[source]
        elif kind is Var:
            inputs.add(source.name)


def _fresh_name(program: Program, base: str) -> str:
    used = {*program.signature, program.output, *(s.target for s in program.statements)}
    k = 1
    while f"{base}_{k}" in used:
        k += 1
    return f"{base}_{k}"


def _rename(program: Program, names: dict[str, str]) -> Program:
    """Renames variables in the body only (not the signature nor the output)."""
    if not names:
        return program

    def arg(a: Var | Const) -> Var | Const:
        return Var(names.get(a.name, a.name)) if isinstance(a, Var) else a

    body = tuple(
        Statement(names.get(s.target, s.target), s.fn, tuple(arg(a) for a in s.args))
        for s in program.statements
    )
    return program.with_changes(statements=body)
