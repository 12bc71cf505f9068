"""Rewrites of a program into simpler equivalent forms, each checked on random inputs.

Simplification's third step (SPEC section 8; the paper did it by hand). Each
:class:`Rewrite` proposes candidate programs by pattern-matching the dataflow
(what value each argument reads, not which name it spells); a candidate is only
applied when :func:`equivalent` finds that it produces the same updates as the
program before it, step after step, on random weights, gradients and learning
rates over two parameter tensors. A wrong pattern therefore costs a refused
candidate, never a wrong program.

The rewrites, in the order :func:`apply_rewrites` tries them:

* ``sign``: ``x / sqrt(x * x)``, ``x / sqrt(square(x))``, ``x / abs(x)`` to ``sign(x)``;
* ``merge_interp``: ``a = interp(p, q, c1); b = interp(p, a, c2)`` to
  ``b = interp(p, q, c1 * c2)``, which reads the same ``q`` as the first;
* ``split_interp``: ``a = x * b; c = y * (1 - b); z = a + c`` to ``z = interp(y, x, b)``;
* ``zero_slots``: a state slot that never leaves zero (it starts there) is read as
  ``0.0`` and dropped;
* ``drop_slots``: state slots that never reach the update leave the signature.

Also here, for the steps that are not equivalences: :func:`descriptive_names`
(a renaming, equal up to :func:`~symopt.dsl.analysis.program_hash`) and
:func:`roundings` (shorter decimals of a constant, which simplification keeps
only when the fitness allows).

Example:
    >>> from symopt.dsl import builtin, reduce, to_source
    >>> final = list(apply_rewrites(reduce(builtin("program4"))))[-1].program
    >>> [s.fn for s in final.statements][2:5], final.state
    (['interp', 'interp', 'sign'], ('v',))
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import jax.numpy as jnp
import numpy as np

from symopt.dsl.analysis import is_valid, live_slots, program_hash, reduce
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer
from symopt.dsl.functions import FUNCTIONS
from symopt.dsl.program import INPUTS, Arg, Const, Program, Statement, Var
from symopt.dsl.redundancy import Dataflow, Source, dataflow
from symopt.dsl.source import to_source

__all__ = [
    "CHECK_ATOL",
    "CHECK_DRAWS",
    "CHECK_RTOL",
    "CHECK_SIZES",
    "CHECK_STEPS",
    "Applied",
    "Proposal",
    "REWRITES",
    "Rewrite",
    "apply_rewrites",
    "constant_sites",
    "descriptive_names",
    "equivalent",
    "renamed",
    "roundings",
    "statement_text",
    "with_constant",
]

CHECK_STEPS = 8
"""Steps :func:`equivalent` runs; enough for state to carry a difference into the update."""

CHECK_SIZES = (200, 56)
"""Parameter tensor sizes of the check: two, so per-tensor and global functions differ."""

CHECK_RTOL = 1e-4
CHECK_ATOL = 1e-7
"""How closely each step's updates must agree, as vectors: ``|ua - ub| <= atol * sqrt(N)
+ rtol * max(|ua|, |ub|)`` in the 2-norm. Tight, yet above float32 reassociation error
(merged interps cancel ``1.109 * 0.101 - 0.109``). One entry that really differs moves
the norm by about ``1 / sqrt(N)``, far above ``rtol``."""

CHECK_DRAWS = 5
"""Random draws a rewrite gets to pass on, per kind of start. Protected division adds
``1e-8``, so ``x / abs(x)`` is ``sign(x)`` only up to ``1e-8 / |x|``: where an entry of
``x`` nearly cancels, that entry differs by more than ``rtol`` (in a fifth of the
zero-start draws for Program 4, whose clipped gradient keeps ``x`` small). A rewrite
that is really different fails every draw; an equivalent one almost never fails five."""


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


# --- the numeric check ---------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    w: np.ndarray  # [T, N]
    g: np.ndarray  # [T, N]
    lr: np.ndarray  # [T]
    key: tuple[int, ...]  # seeds each slot's random starting value, by the slot's name


def _random_inputs(key: tuple[int, ...], steps: int, sizes: Sequence[int]) -> _Inputs:
    """Weights, gradients and learning rates drawn from ``key``; it also seeds the slots."""
    rng = np.random.default_rng(key)
    n = sum(sizes)
    # Fresh weights each step: the programs are compared as functions of their input
    # sequences, so neither program's update feeds the other's next input.
    w = rng.normal(size=(steps, n))
    g = rng.normal(size=(steps, n))
    lr = rng.uniform(0.5, 2.0, size=steps)
    return _Inputs(w.astype(np.float32), g.astype(np.float32), lr.astype(np.float32), key)


def _start(program: Program, inputs: _Inputs, from_zero: bool) -> tuple[jnp.ndarray, ...]:
    """Each slot's starting value: zero, or random and the same for a slot of the same name."""
    n = inputs.g.shape[1]
    if from_zero:
        return tuple(jnp.zeros(n, jnp.float32) for _ in program.state)
    rngs = [np.random.default_rng([*inputs.key, zlib.crc32(slot.encode())]) for slot in program.state]
    return tuple(jnp.asarray(rng.normal(size=n), jnp.float32) for rng in rngs)


def _updates(program: Program, inputs: _Inputs, reducer: SegmentReducer, from_zero: bool) -> np.ndarray:
    """The program's update at every step."""
    state = _start(program, inputs, from_zero)
    out = []
    for w, g, lr in zip(inputs.w, inputs.g, inputs.lr):
        update, state = run_step(program, w, g, lr, state, reducer)
        out.append(np.asarray(update))
    return np.stack(out)


def equivalent(
    a: Program,
    b: Program,
    *,
    from_zero: bool = False,
    seed: int = 0,
    steps: int = CHECK_STEPS,
    sizes: Sequence[int] = CHECK_SIZES,
    draws: int = CHECK_DRAWS,
    rtol: float = CHECK_RTOL,
    atol: float = CHECK_ATOL,
) -> bool:
    """Whether two valid programs give the same updates on random inputs, step after step.

    Both see the same weights, gradients and learning rates over ``sizes``
    parameter tensors, for ``steps`` steps, and must agree twice: with every
    state slot starting at zero, as in training, and starting at random values
    (the same for slots of the same name), since a slow state (``beta = 0.997``)
    barely moves from zero in a few steps, which would hide how it is updated.
    ``from_zero`` keeps only the first, for rewrites that are right only there.
    Only updates are compared, so the programs may declare different state
    slots. Each step's updates must agree as vectors (see :data:`CHECK_RTOL`;
    NaN matches NaN) on at least one of ``draws`` draws from ``seed`` per start
    (see :data:`CHECK_DRAWS`).

    Example:
        >>> from symopt.dsl import parse
        >>> ratio = parse("def train(w, g, lr):\\n    a = abs(g)\\n    update = g / a\\n    return update\\n")
        >>> sign = parse("def train(w, g, lr):\\n    update = sign(g)\\n    return update\\n")
        >>> wrong = parse("def train(w, g, lr):\\n    a = abs(w)\\n    update = g / a\\n    return update\\n")
        >>> equivalent(ratio, sign), equivalent(wrong, sign)
        (True, False)
    """
    if not (is_valid(a) and is_valid(b)):
        return False
    reducer = SegmentReducer.for_sizes(sizes)

    def agree(zero: bool, draw: int) -> bool:
        inputs = _random_inputs((seed, zero, draw), steps, sizes)
        ua, ub = _updates(a, inputs, reducer, zero), _updates(b, inputs, reducer, zero)
        return all(_close(a_t, b_t, rtol, atol) for a_t, b_t in zip(ua, ub))

    starts = (True,) if from_zero else (True, False)
    return all(any(agree(zero, draw) for draw in range(draws)) for zero in starts)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """One step's updates agree in the 2-norm; non-finite entries must match exactly."""
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.all(finite | (a == b) | (np.isnan(a) & np.isnan(b))):
        return False
    a, b = np.where(finite, a, 0.0), np.where(finite, b, 0.0)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return bool(np.linalg.norm(a - b) <= atol * math.sqrt(a.size) + rtol * scale)


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


# --- constants -------------------------------------------------------------------------


def roundings(value: float, max_digits: int = 6) -> tuple[float, ...]:
    """Shorter decimals for ``value``: 1, 2, ... significant digits, up to the value itself.

    Example:
        >>> roundings(0.899), roundings(0.996991)
        ((0.9,), (1.0, 0.997, 0.99699))
        >>> roundings(0.0002)
        ()
    """
    out: list[float] = []
    for digits in range(1, max_digits + 1):
        shorter = float(f"{value:.{digits - 1}e}")
        if shorter == value:
            break
        if shorter not in out:
            out.append(shorter)
    return tuple(out)


def constant_sites(program: Program) -> tuple[tuple[int, int], ...]:
    """``(statement, argument)`` of every constant argument, in program order.

    Example:
        >>> from symopt.dsl import builtin
        >>> constant_sites(builtin("lion"))[:2]
        ((0, 2), (2, 2))
    """
    return tuple(
        (i, k)
        for i, st in enumerate(program.statements)
        for k, arg in enumerate(st.args)
        if isinstance(arg, Const)
    )


def with_constant(program: Program, site: tuple[int, int], value: float) -> Program:
    """The program with the constant at ``site`` (see :func:`constant_sites`) set to ``value``.

    Example:
        >>> from symopt.dsl import builtin
        >>> with_constant(builtin("lion"), (0, 2), 0.8).statements[0].args[2]
        Const(value=0.8)
    """
    i, k = site
    st = program.statements[i]
    args: tuple[Arg, ...] = st.args[:k] + (Const(value),) + st.args[k + 1 :]
    return _replaced(program, i, st.with_changes(args=args))


# --- names -----------------------------------------------------------------------------------


def _unused(base: str, taken: set[str], first: int | None = None) -> str:
    """``base`` itself, else ``base2``, ``base3``...; from ``base<first>`` when given."""
    if first is None and base not in taken:
        return base
    k = 2 if first is None else first
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"


def _slot_roles(program: Program, slots: Sequence[str]) -> dict[str, str]:
    """``momentum`` for a slot odd in the gradient, ``second_moment`` for an even one.

    One step from zero state with zero weights, once with ``g`` and once with
    ``-g``: a momentum flips sign with the gradient, a second moment does not.
    A slot that is neither (or stays zero) is ``state``.
    """
    size = sum(CHECK_SIZES)
    reducer = SegmentReducer.for_sizes(CHECK_SIZES)
    g = np.random.default_rng(0).normal(size=size).astype(np.float32)
    zeros = tuple(jnp.zeros(size, jnp.float32) for _ in program.state)
    w = np.zeros(size, np.float32)
    _, plus = run_step(program, w, g, 1.0, zeros, reducer)
    _, minus = run_step(program, w, -g, 1.0, zeros, reducer)
    roles = {}
    for slot, p, m in zip(program.state, plus, minus):
        p, m = np.asarray(p), np.asarray(m)
        moved = not np.allclose(p, 0.0)
        odd, even = moved and np.allclose(p, -m), moved and np.allclose(p, m)
        roles[slot] = "momentum" if odd else "second_moment" if even else "state"
    return {slot: roles[slot] for slot in slots}


def _is_decay(program: Program, name: str) -> bool:
    """Whether every write of ``name`` is the input ``w`` times a constant."""
    writes = [i for i, st in enumerate(program.statements) if st.target == name]
    return all(_weight_times_constant(program, i) for i in writes)


def _weight_times_constant(program: Program, index: int) -> bool:
    st = program.statements[index]
    if st.fn != "mul":
        return False
    variables = [a for a in st.args if isinstance(a, Var)]
    return len(variables) == 1 and _source_at(program, variables[0].name, index) == Var("w")


def descriptive_names(program: Program) -> dict[str, str]:
    """New names that say what each variable holds; apply them with :func:`renamed`.

    Live state slots become ``momentum`` (odd in the gradient) or ``second_moment``
    (even), the output ``update``, a temporary only ever set to ``w * c``
    ``decay``, one set once to a one-argument function of a variable
    ``<function>_<variable>`` (``sqrt_second_moment``), and other temporaries
    ``t1``, ``t2``... in order of first assignment. Inputs (``w``, ``g``,
    ``lr``), dead slots and an output that is an input or a slot keep their
    names; a repeated role gets a number (``momentum2``). Names that would not
    change are left out.

    Raises:
        InvalidProgram: if the program is invalid.

    Example:
        >>> from symopt.dsl import builtin
        >>> descriptive_names(builtin("adamw"))
        {'m': 'momentum', 'v': 'second_moment', 'g2': 'square_g', 'sqrt_v': 'sqrt_second_moment', 'wd': 'decay'}
    """
    live = live_slots(program)
    keep = {*INPUTS, *(s for s in program.state if s not in live)}
    if program.output in (*INPUTS, *program.state):
        keep.add(program.output)
    names: dict[str, str] = {}

    def name(old: str, base: str, first: int | None = None) -> None:
        names[old] = _unused(base, keep | set(names.values()), first)

    for slot, role in _slot_roles(program, live).items():
        name(slot, role)
    if program.output not in keep:
        name(program.output, "update")
    for st in program.statements:
        if st.target in names or st.target in keep:
            continue
        if _is_decay(program, st.target):
            name(st.target, "decay")
        elif (derived := _derived_name(program, st, names)) is not None:
            name(st.target, derived)
        else:
            name(st.target, "t", 1)
    return {old: new for old, new in names.items() if old != new}


_MAX_DERIVED = 24  # a longer derived name reads worse than t1


def _derived_name(program: Program, st: Statement, names: Mapping[str, str]) -> str | None:
    """``sqrt_second_moment`` for a temporary set once to a one-argument function of a variable."""
    if FUNCTIONS[st.fn].arity != 1 or not isinstance(st.args[0], Var):
        return None
    if sum(other.target == st.target for other in program.statements) != 1:
        return None
    arg = st.args[0].name
    derived = f"{st.fn}_{names.get(arg, arg)}"
    return derived if len(derived) <= _MAX_DERIVED else None


def renamed(program: Program, names: Mapping[str, str]) -> Program:
    """The program with variables renamed everywhere: signature, body and output.

    Raises:
        ValueError: if the renaming would change what the program computes (two
            names merged into one, or an input renamed).

    Example:
        >>> from symopt.dsl import builtin
        >>> renamed(builtin("lion"), {"m": "momentum"}).signature
        ('w', 'g', 'momentum', 'v', 'lr')
    """
    def arg(a: Arg) -> Arg:
        return Var(names.get(a.name, a.name)) if isinstance(a, Var) else a

    body = tuple(
        Statement(names.get(s.target, s.target), s.fn, tuple(arg(a) for a in s.args))
        for s in program.statements
    )
    state = tuple(names.get(s, s) for s in program.state)
    new = Program(body, state, names.get(program.output, program.output))
    if not is_valid(new) or program_hash(new) != program_hash(program):
        raise ValueError(f"renaming {names} changes the program")
    return new
