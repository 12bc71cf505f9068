"""Rewrites of a program into simpler equivalent forms, each checked on random inputs.

Simplification's third step (SPEC section 8; the paper did it by hand). Each
:class:`Rewrite` proposes candidate programs by pattern-matching the dataflow
(what value each argument reads, not which name it spells); a candidate is only
applied when :func:`~symopt.simplify._equivalence.equivalent` finds that it
produces the same updates as the program before it on random inputs. A wrong
pattern therefore costs a refused candidate, never a wrong program.

The rewrites, in the order :func:`apply_rewrites` tries them:

* ``sign``: ``x / sqrt(x * x)``, ``x / sqrt(square(x))``, ``x / abs(x)`` to ``sign(x)``;
* ``merge_interp``: ``a = interp(p, q, c1); b = interp(p, a, c2)`` to
  ``b = interp(p, q, c1 * c2)``, which reads the same ``q`` as the first;
* ``split_interp``: ``a = x * b; c = y * (1 - b); z = a + c`` to ``z = interp(y, x, b)``;
* ``zero_slots``: a state slot that never leaves zero (it starts there) is read as
  ``0.0`` and dropped;
* ``drop_slots``: state slots that never reach the update leave the signature.

Example:
    >>> from symopt.dsl import builtin, reduce, to_source
    >>> final = list(apply_rewrites(reduce(builtin("program4"))))[-1].program
    >>> [s.fn for s in final.statements][2:5], final.state
    (['interp', 'interp', 'sign'], ('v',))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from symopt.dsl import Const, Program, Statement, Var, is_valid, live_slots, reduce, to_source
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer
from symopt.dsl.redundancy import Dataflow, Source, dataflow
from symopt.simplify._equivalence import CHECK_ATOL, CHECK_RTOL, CHECK_SIZES, _random_inputs, _start, equivalent

__all__ = ["Applied", "Proposal", "REWRITES", "Rewrite", "apply_rewrites", "statement_text"]

@dataclass(frozen=True)
class Proposal:
    """A candidate rewrite: the new program and what changed, for people."""

    program: Program
    description: str


@dataclass(frozen=True)
class Rewrite:
    """One rewrite rule.

    Attributes:
        name: short, used as a step name (``sign``, ``merge_interp``...).
        doc: one line.
        propose: every candidate the rule sees in a valid program, most likely first.
        from_zero: the rewrite is right only because slots start at zero, so the
            check starts them there (see :func:`equivalent`).
    """

    name: str
    doc: str
    propose: Callable[[Program], Iterable[Proposal]]
    from_zero: bool = False


@dataclass(frozen=True)
class Applied:
    """A rewrite that passed the check; ``program`` is reduced."""

    rule: str
    description: str
    program: Program


# --- applying rules --------------------------------------------------------------

Check = Callable[..., bool]
"""``check(before, after, from_zero=...) -> bool``, like :func:`equivalent`."""


def apply_rewrites(
    program: Program, rules: Sequence[Rewrite] | None = None, check: Check = equivalent
) -> Iterator[Applied]:
    """Applies rules until none applies, yielding each rewrite that passed ``check``.

    Rules are tried in order and the first accepted candidate wins; the program
    is reduced after each rewrite (a rewrite often leaves statements dead) and
    the search starts again from the first rule. Candidates that are invalid or
    fail ``check`` against the program before them are skipped.

    Args:
        program: a valid program.
        rules: the rules (default :data:`REWRITES`).
        check: ``check(before, after, from_zero=rule.from_zero)``;
            :func:`equivalent` unless testing.

    Example:
        >>> from symopt.dsl import builtin
        >>> [a.rule for a in apply_rewrites(builtin("lion"))]
        ['drop_slots']
    """
    rules = REWRITES if rules is None else rules
    current = program
    # Every rule removes a pattern without creating one of its own kind; the cap
    # only guards against a rule added later that does not.
    for _ in range(10 * (len(program) + len(program.state) + 1)):
        applied = _first_accepted(current, rules, check)
        if applied is None:
            return
        yield applied
        current = applied.program


def _first_accepted(program: Program, rules: Sequence[Rewrite], check: Check) -> Applied | None:
    for rule in rules:
        for proposal in rule.propose(program):
            if is_valid(proposal.program) and check(program, proposal.program, from_zero=rule.from_zero):
                return Applied(rule.name, proposal.description, reduce(proposal.program))
    return None


# --- dataflow helpers -------------------------------------------------------------


def statement_text(program: Program, index: int) -> str:
    """Statement ``index`` as the printer writes it.

    Example:
        >>> from symopt.dsl import builtin
        >>> statement_text(builtin("adamw"), 1)
        'm = interp(g, m, 0.9)'
    """
    return to_source(program).splitlines()[index + 1].strip()


def _source_at(program: Program, name: str, index: int) -> Source:
    """The value ``name`` holds just before statement ``index`` runs."""
    for k in range(index - 1, -1, -1):
        if program.statements[k].target == name:
            return k
    return Var(name)


def _reads_match(program: Program, statement: Statement, index: int, wanted: Sequence[Source]) -> bool:
    """Whether ``statement``, placed before ``index``, reads the ``wanted`` values."""
    return all(
        _source_at(program, arg.name, index) == want if isinstance(arg, Var) else arg == want
        for arg, want in zip(statement.args, wanted)
    )


def _replaced(program: Program, index: int, statement: Statement) -> Program:
    body = program.statements[:index] + (statement,) + program.statements[index + 1 :]
    return program.with_changes(statements=body)


def _show(statement: Statement) -> str:
    return statement_text(Program((statement,), state=(), output=statement.target), 0)


# --- sign: x / |x| ---------------------------------------------------------------


def _is_magnitude(program: Program, flow: Dataflow, source: Source, of: Source) -> bool:
    """Whether ``source`` is ``abs(of)``, ``sqrt(of * of)`` or ``sqrt(square(of))``."""
    if not isinstance(source, int):
        return False
    fn, args = program.statements[source].fn, flow.args[source]
    if fn == "abs":
        return args == (of,)
    if fn != "sqrt" or not isinstance(args[0], int):
        return False
    inner_fn, inner = program.statements[args[0]].fn, flow.args[args[0]]
    return (inner_fn, inner) in (("square", (of,)), ("mul", (of, of)))


def _sign_proposals(program: Program) -> Iterator[Proposal]:
    flow = dataflow(program)
    for j, st in enumerate(program.statements):
        if st.fn == "div" and _is_magnitude(program, flow, flow.args[j][1], flow.args[j][0]):
            new = st.with_changes(fn="sign", args=st.args[:1])
            yield Proposal(_replaced(program, j, new), f"{statement_text(program, j)} -> {_show(new)}")


# --- merge_interp: interp(p, interp(p, q, c1), c2) -----------------------------------


def _merge_proposals(program: Program) -> Iterator[Proposal]:
    flow = dataflow(program)
    body = program.statements
    for j, second in enumerate(body):
        i = flow.args[j][1] if second.fn == "interp" else None
        if not isinstance(i, int) or body[i].fn != "interp" or flow.args[i][0] != flow.args[j][0]:
            continue
        first = body[i]
        weights = (first.args[2], second.args[2])
        if not all(isinstance(c, Const) for c in weights):
            continue
        # (1 - c2) p + c2 ((1 - c1) p + c1 q) = (1 - c1 c2) p + c1 c2 q, exactly.
        merged = second.with_changes(args=(*first.args[:2], Const(weights[0].value * weights[1].value)))
        place = _placement(program, i, j, merged, flow.args[i][:2])
        if place is not None:
            rest = body[:j] + body[j + 1 :]
            new = program.with_changes(statements=rest[:place] + (merged,) + rest[place:])
            text = f"{statement_text(program, i)}; {statement_text(program, j)} -> {_show(merged)}"
            yield Proposal(new, text)


def _placement(program: Program, i: int, j: int, merged: Statement, wanted: Sequence[Source]) -> int | None:
    """Where ``merged`` can replace statement ``j`` reading what statement ``i`` read.

    In place when the values ``i`` read are still there at ``j``; else just after
    or before ``i``, when nothing up to ``j`` touches the target, so the moved
    statement's value reaches exactly the readers of the one it replaces.
    """
    for place in (j, i + 1, i):
        between = program.statements[place:j]
        untouched = all(merged.target not in (s.target, *s.reads()) for s in between)
        if untouched and _reads_match(program, merged, place, wanted):
            return place
    return None


# --- split_interp: x * b + y * (1 - b) ----------------------------------------------


def _scaled(program: Program, flow: Dataflow, source: Source) -> tuple[Var, Source, float] | None:
    """``(x, the value x reads, b)`` when ``source`` is ``x * b`` or ``b * x``, b constant."""
    if not isinstance(source, int) or program.statements[source].fn != "mul":
        return None
    args, sources = program.statements[source].args, flow.args[source]
    for k in (0, 1):
        if isinstance(args[k], Var) and isinstance(args[1 - k], Const):
            return args[k], sources[k], args[1 - k].value
    return None


def _split_proposals(program: Program) -> Iterator[Proposal]:
    flow = dataflow(program)
    for k, st in enumerate(program.statements):
        if st.fn != "add":
            continue
        terms = (_scaled(program, flow, flow.args[k][0]), _scaled(program, flow, flow.args[k][1]))
        if None in terms or not math.isclose(terms[0][2] + terms[1][2], 1.0, abs_tol=1e-12):
            continue
        # The larger weight goes on interp's second argument, as in interp(g, m, 0.9).
        for kept, fresh in sorted((terms, terms[::-1]), key=lambda pair: -pair[0][2]):
            new = st.with_changes(fn="interp", args=(fresh[0], kept[0], Const(kept[2])))
            if _reads_match(program, new, k, (fresh[1], kept[1])):
                yield Proposal(_replaced(program, k, new), f"{statement_text(program, k)} -> {_show(new)}")


# --- zero_slots -----------------------------------------------------------------------


def _zero_proposals(program: Program) -> Iterator[Proposal]:
    flow = dataflow(program)
    unchanged = _unchanged_slots(program)
    for slot in live_slots(program):
        if slot not in unchanged:
            continue
        body = tuple(_read_as_zero(st, sources, slot) for st, sources in zip(program.statements, flow.args))
        # The slot leaves the signature with its incoming reads; its writes are dead then.
        state = tuple(s for s in program.state if s != slot)
        description = f"state slot {slot} never leaves zero: read as 0.0 and dropped"
        yield Proposal(program.with_changes(statements=body, state=state), description)


def _read_as_zero(statement: Statement, sources: Sequence[Source], slot: str) -> Statement:
    """``statement`` with each read of the slot's incoming value replaced by ``0.0``."""
    args = tuple(Const(0.0) if src == Var(slot) else arg for arg, src in zip(statement.args, sources))
    return statement.with_changes(args=args)


def _unchanged_slots(program: Program) -> set[str]:
    """The slots a step returns as they came in (never written, ``interp(g, v, 1.0)``...).

    Such a slot starts at zero and stays there. One step from random values says
    so; the zero-start check of the rewrite then confirms the updates agree.
    """
    inputs = _random_inputs((0,), 1, CHECK_SIZES)
    state = _start(program, inputs, from_zero=False)
    reducer = SegmentReducer.for_sizes(CHECK_SIZES)
    _, after = run_step(program, inputs.w[0], inputs.g[0], inputs.lr[0], state, reducer)
    return {
        slot
        for slot, before, now in zip(program.state, state, after)
        if np.allclose(now, before, rtol=CHECK_RTOL, atol=CHECK_ATOL)
    }


# --- drop_slots ----------------------------------------------------------------------


def _drop_proposals(program: Program) -> Iterator[Proposal]:
    live = live_slots(program)
    if live != program.state:
        dead = [s for s in program.state if s not in live]
        yield Proposal(program.with_changes(state=live), f"dropped unused state slot {', '.join(dead)}")


REWRITES: tuple[Rewrite, ...] = (
    Rewrite("sign", "x / sqrt(x * x), x / sqrt(square(x)), x / abs(x) -> sign(x)", _sign_proposals),
    Rewrite("merge_interp", "interp(p, interp(p, q, a), b) -> interp(p, q, ab)", _merge_proposals),
    Rewrite("split_interp", "x * b + y * (1 - b) -> interp(y, x, b)", _split_proposals),
    Rewrite("zero_slots", "a slot that stays zero is read as 0.0 and dropped", _zero_proposals, from_zero=True),
    Rewrite("drop_slots", "state slots that never reach the update leave the signature", _drop_proposals),
)
"""The equivalence rewrites, in the order they are tried."""
