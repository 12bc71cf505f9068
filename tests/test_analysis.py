"""Tests of abstract execution: validity, redundancy across steps, functional hash."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symopt.dsl.analysis import (
    depends_on_gradient,
    is_valid,
    kinds_before,
    live_slots,
    program_hash,
    reduce,
    redundant_count,
    validate,
)
from symopt.dsl.errors import InvalidProgram
from symopt.dsl.program import INPUTS, Const, Program, Statement, Var

# Statements are written "target = fn(arg, ...)" and built by hand, so these tests do not
# depend on the parser in symopt.dsl.source.
_STATEMENT = re.compile(r"(\w+) = (\w+)\((.*)\)")


def stmt(line: str) -> Statement:
    """``stmt("m = interp(g, m, 0.9)")``: names become ``Var``, numbers ``Const``."""
    target, fn, args = _STATEMENT.fullmatch(line).groups()
    return Statement(
        target,
        fn,
        tuple(Var(a) if a.isidentifier() else Const(float(a)) for a in args.split(", ") if a),
    )


def prog(*lines: str, state: tuple[str, ...] = ("m", "v"), output: str = "update") -> Program:
    return Program(tuple(map(stmt, lines)), state=state, output=output)


def replaced(program: Program, index: int, line: str) -> Program:
    body = list(program.statements)
    body[index] = stmt(line)
    return program.with_changes(statements=tuple(body))


def inserted(program: Program, index: int, *lines: str) -> Program:
    body = program.statements
    return program.with_changes(statements=body[:index] + tuple(map(stmt, lines)) + body[index:])


def moved(program: Program, source: int, destination: int) -> Program:
    body = list(program.statements)
    body.insert(destination, body.pop(source))
    return program.with_changes(statements=tuple(body))


def renamed(program: Program, names: dict[str, str]) -> Program:
    """Consistent renaming of every occurrence, signature and output included."""

    def arg(a: Var | Const) -> Var | Const:
        return Var(names.get(a.name, a.name)) if isinstance(a, Var) else a

    return Program(
        tuple(
            Statement(names.get(s.target, s.target), s.fn, tuple(map(arg, s.args)))
            for s in program.statements
        ),
        state=tuple(names.get(s, s) for s in program.state),
        output=names.get(program.output, program.output),
    )


ADAMW = prog(
    "g2 = square(g)",
    "m = interp(g, m, 0.9)",
    "v = interp(g2, v, 0.999)",
    "sqrt_v = sqrt(v)",
    "update = div(m, sqrt_v)",
    "wd = mul(w, 0.01)",
    "update = add(update, wd)",
    "lr = mul(lr, 0.001)",
    "update = mul(update, lr)",
)

# The paper's Program 4, as printed in SPEC section 2.
PROGRAM4 = prog(
    "g = clip(g, lr)",
    "g = arcsin(g)",
    "m = interp(g, v, 0.899)",
    "m2 = mul(m, m)",
    "v = interp(g, m, 1.109)",
    "abs_m = sqrt(m2)",
    "update = div(m, abs_m)",
    "wd = mul(w, 0.4602)",
    "update = add(update, wd)",
    "lr = mul(lr, 0.0002)",
    "m = cosh(update)",
    "update = mul(update, lr)",
)
PROGRAM4_COSH = 10

LION = prog(
    "update = interp(g, m, 0.9)",
    "update = sign(update)",
    "m = interp(g, m, 0.99)",
    "wd = mul(w, 0.01)",
    "update = add(update, wd)",
    "update = mul(update, lr)",
)

SIGNUM = prog("m = interp(g, m, 0.9)", "update = sign(m)", "update = mul(update, lr)")

MOMENTUM = prog(
    "mm = mul(m, 0.9)",
    "m = add(g, mm)",
    "lr = mul(lr, 0.01)",
    "update = mul(m, lr)",
    state=("m",),
)

SGD = prog("update = mul(g, lr)", state=())

# A program is padded with statements that are dead within a step or across steps.
PADDED_LION = inserted(
    inserted(LION, 0, "update = tanh(w)", "t = exp(g)"),  # overwritten; never read
    8,
    "v = interp(g, v, 0.999)",  # a slot nothing live reads
    "w = tanh(g)",  # an input overwritten after its last read
    "m2 = cosh(m)",
    "junk = add(m2, g)",
)


def cases(table: list[tuple]) -> dict:
    """``parametrize`` arguments for a table whose rows start with their id."""
    return {"argvalues": [row[1:] for row in table], "ids": [row[0] for row in table]}


# ----------------------------------------------------------------------------- validity


@pytest.mark.parametrize("program", [ADAMW, PROGRAM4, LION, SIGNUM, MOMENTUM, SGD, PADDED_LION])
def test_reference_programs_validate(program: Program) -> None:
    validate(program)
    assert is_valid(program)


INVALID = [
    ("unknown function", prog("update = frobnicate(g)"), 0, "unknown function 'frobnicate'"),
    ("too few args", prog("update = add(g)"), 0, "add takes 2 argument(s), got 1"),
    ("too many args", prog("update = sign(g, w)"), 0, "sign takes 1 argument(s), got 2"),
    (
        "unassigned read",
        prog("a = sign(g)", "update = add(a, x)"),
        1,
        "reads 'x' before it is assigned",
    ),
    ("read before assignment", prog("update = add(g, a)", "a = sign(g)"), 0, "reads 'a' before it"),
    (
        "global_norm of a scalar",
        prog("n = global_norm(lr)", "update = mul(g, n)"),
        0,
        "global_norm argument 1 must be a tensor, got a scalar",
    ),
    (
        "clip by a tensor",
        prog("update = clip(g, w)"),
        0,
        "clip argument 2 must be a scalar, got a tensor",
    ),
    (
        "dot of a constant",
        prog("d = dot(g, 2.0)", "update = mul(g, d)"),
        0,
        "dot argument 2 must be a tensor, got a scalar",
    ),
    (
        "kind follows reassignment",
        prog("g = global_norm(g)", "update = norm(g)"),
        1,
        "norm argument 1 must be a tensor",
    ),
    ("output never assigned", prog("u = sign(g)"), None, "the output 'update' is never assigned"),
    (
        "update is a scalar",
        prog("update = mul(lr, 0.1)", "m = sign(g)"),
        0,
        "the update 'update' must be a tensor, got a scalar",
    ),
    ("output is lr", prog("m = sign(g)", output="lr"), None, "the update 'lr' must be a tensor"),
    (
        "slot returns a scalar",
        prog("update = sign(g)", "m = global_norm(g)"),
        1,
        "state slot 'm' must return a tensor, got a scalar",
    ),
    (
        "duplicate state",
        prog("update = sign(g)", state=("m", "m")),
        None,
        "state slot 'm' is declared twice",
    ),
    (
        "state named like an input",
        prog("update = sign(g)", state=("m", "lr")),
        None,
        "state slot 'lr' clashes with the input 'lr'",
    ),
]


@pytest.mark.parametrize("program, index, fragment", **cases(INVALID))
def test_invalid_programs_raise_with_index_and_reason(
    program: Program, index: int | None, fragment: str
) -> None:
    with pytest.raises(InvalidProgram) as caught:
        validate(program)
    assert caught.value.index == index
    assert fragment in caught.value.reason
    assert not is_valid(program)


@pytest.mark.parametrize(
    "program",
    [
        prog(state=("m",), output="g"),  # an unwritten slot passes its incoming tensor through
        prog("lr = mul(g, 2.0)", "update = norm(lr)"),  # lr may become a tensor
        prog("c = pi()", "update = clip(g, c)"),
    ],
)
def test_valid_corner_cases(program: Program) -> None:
    validate(program)


def test_kinds_before() -> None:
    p = prog("n = global_norm(g)", "n = mul(g, n)", "update = sign(n)")
    start = {"w": "tensor", "g": "tensor", "m": "tensor", "v": "tensor", "lr": "scalar"}
    assert list(kinds_before(p, 0).items()) == list(start.items())
    assert kinds_before(p, 1) == {**start, "n": "scalar"}
    assert kinds_before(p, 2) == {**start, "n": "tensor"}
    assert kinds_before(p, 3) == {**start, "n": "tensor", "update": "tensor"}
    with pytest.raises(IndexError):
        kinds_before(p, 4)
    # Only the statements before the index are checked.
    broken = inserted(p, 1, "x = sign(nope)")
    assert kinds_before(broken, 1)["n"] == "scalar"
    with pytest.raises(InvalidProgram):
        kinds_before(broken, 2)


# ----------------------------------------------------------------------------- redundancy


def test_program4_loses_exactly_the_dead_cosh() -> None:
    reduced = reduce(PROGRAM4)
    body = PROGRAM4.statements
    assert body[PROGRAM4_COSH] == stmt("m = cosh(update)")
    assert reduced.statements == body[:PROGRAM4_COSH] + body[PROGRAM4_COSH + 1 :]
    assert (reduced.state, reduced.output) == (PROGRAM4.state, PROGRAM4.output)
    assert live_slots(PROGRAM4) == ("v",)
    assert redundant_count(PROGRAM4) == 1
    assert is_valid(reduced)


@pytest.mark.parametrize(
    "program, slots",
    [(ADAMW, ("m", "v")), (LION, ("m",)), (SIGNUM, ("m",)), (MOMENTUM, ("m",)), (SGD, ())],
)
def test_reference_programs_have_no_redundancy(program: Program, slots: tuple[str, ...]) -> None:
    assert redundant_count(program) == 0
    assert reduce(program) == program
    assert live_slots(program) == slots


def test_padded_program_reduces_to_the_unpadded_one() -> None:
    assert reduce(PADDED_LION) == LION
    assert redundant_count(PADDED_LION) == 6


LIVENESS = [
    (
        "v reaches the update through m",
        prog("update = sign(m)", "m = interp(g, v, 0.9)", "v = interp(g, v, 0.99)"),
        ("m", "v"),
        3,
    ),
    (
        "v feeds only itself",
        prog("update = sign(m)", "m = interp(g, m, 0.9)", "v = add(v, g)"),
        ("m",),
        2,
    ),
    (
        "m and v feed only each other",
        prog("update = sign(g)", "m = add(v, g)", "v = abs(m)"),
        (),
        1,
    ),
    (
        "incoming m overwritten before a read",
        prog("m = sign(g)", "update = mul(m, lr)", "m = abs(m)"),
        (),
        2,
    ),
    ("reassigned input", prog("g = clip(g, lr)", "update = mul(g, lr)", "g = abs(w)"), (), 2),
    ("unwritten live slot", prog("update = add(g, v)"), ("v",), 1),
]


@pytest.mark.parametrize("program, slots, kept", **cases(LIVENESS))
def test_liveness_across_steps(program: Program, slots: tuple[str, ...], kept: int) -> None:
    assert live_slots(program) == slots
    assert len(reduce(program)) == kept


def test_dead_slot_keeps_returning_a_tensor() -> None:
    # Dropping m's dead last write would return the live scalar named m: it gets another name.
    p = prog("m = global_norm(g)", "update = mul(g, m)", "m = cosh(update)", state=("m",))
    reduced = reduce(p)
    assert reduced == prog("m_1 = global_norm(g)", "update = mul(g, m_1)", state=("m",))
    assert program_hash(reduced) == program_hash(p)


GRADIENT = [
    ("weight decay only", prog("update = mul(w, 0.01)"), False),
    ("a slot without g", prog("update = mul(m, lr)", "m = add(w, m)"), False),
    ("g read by a dead slot only", prog("update = mul(w, 0.01)", "v = add(v, g)"), False),
    ("g overwritten before the read", prog("g = tanh(w)", "update = mul(g, lr)"), False),
    ("sgd", SGD, True),
    ("adamw", ADAMW, True),
    ("lion", LION, True),
    ("program4", PROGRAM4, True),
    ("through a slot", prog("update = sign(m)", "m = interp(g, m, 0.9)"), True),
    ("through two slots", prog("update = sign(v)", "v = abs(m)", "m = abs(g)"), True),
]


@pytest.mark.parametrize("program, expected", **cases(GRADIENT))
def test_depends_on_gradient(program: Program, expected: bool) -> None:
    assert depends_on_gradient(program) is expected


@pytest.mark.parametrize(
    "analysis", [live_slots, reduce, redundant_count, depends_on_gradient, program_hash]
)
def test_analyses_reject_invalid_programs(analysis) -> None:
    with pytest.raises(InvalidProgram):
        analysis(prog("update = sign(x)"))


# ----------------------------------------------------------------------------- hash

SAME_HASH = [
    ("renamed temporaries", ADAMW, renamed(ADAMW, {"g2": "gg", "sqrt_v": "s", "wd": "decay"})),
    ("renamed output", ADAMW, renamed(ADAMW, {"update": "u"})),
    ("m and v swapped consistently", ADAMW, renamed(ADAMW, {"m": "v", "v": "m"})),
    ("slots declared in the other order", ADAMW, ADAMW.with_changes(state=("v", "m"))),
    ("slot names", LION, renamed(LION, {"m": "mom", "v": "unused"})),
    ("dead statement within a step", ADAMW, inserted(ADAMW, 3, "t = exp(g)")),
    ("dead state write", LION, inserted(LION, 3, "v = interp(g, v, 0.999)")),
    ("dead cosh of program 4", PROGRAM4, reduce(PROGRAM4)),
    ("padding", LION, PADDED_LION),
    ("independent statements reordered", ADAMW, moved(ADAMW, 0, 1)),
    ("weight decay computed first", ADAMW, moved(ADAMW, 5, 0)),
    ("add operands swapped", ADAMW, replaced(ADAMW, 6, "update = add(wd, update)")),
    ("mul operands swapped", ADAMW, replaced(ADAMW, 8, "update = mul(lr, update)")),
    ("maximum operands swapped", prog("update = maximum(g, w)"), prog("update = maximum(w, g)")),
]


@pytest.mark.parametrize("a, b", **cases(SAME_HASH))
def test_equal_hashes(a: Program, b: Program) -> None:
    assert program_hash(a) == program_hash(b)


DIFFERENT_HASH = [
    ("live constant", ADAMW, replaced(ADAMW, 1, "m = interp(g, m, 0.91)")),
    ("live function", LION, replaced(LION, 1, "update = tanh(update)")),
    ("add vs sub", prog("update = add(g, w)"), prog("update = sub(g, w)")),
    ("sub operands swapped", prog("update = sub(g, w)"), prog("update = sub(w, g)")),
    ("interp operands swapped", LION, replaced(LION, 2, "m = interp(m, g, 0.99)")),
    ("m and v swapped in one place", ADAMW, replaced(ADAMW, 3, "sqrt_v = sqrt(m)")),
    ("lion vs signum", LION, SIGNUM),
    ("inputs", prog("update = sign(g)"), prog("update = sign(w)")),
    ("slot vs input", prog("update = add(g, m)"), prog("update = add(g, w)")),
]


@pytest.mark.parametrize("a, b", **cases(DIFFERENT_HASH))
def test_different_hashes(a: Program, b: Program) -> None:
    assert program_hash(a) != program_hash(b)


def test_hash_format() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", program_hash(ADAMW))


# ----------------------------------------------------------------------------- properties

ELEMENTWISE = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": lambda x, y: x / (y + 1e-8),
    "maximum": np.maximum,
    "minimum": np.minimum,
    "interp": lambda x, y, a: (1.0 - a) * x + a * y,
    "sign": np.sign,
    "square": np.square,
    "abs": np.abs,
    "tanh": np.tanh,
    "negative": np.negative,
}
ARITY = {"interp": 3, "sign": 1, "square": 1, "abs": 1, "tanh": 1, "negative": 1}
DIM = 5


def run_reference(
    program: Program, steps: list[tuple[np.ndarray, np.ndarray, float]]
) -> list[np.ndarray]:
    """The oracle: a NumPy interpreter for elementwise programs, over several steps."""
    slots = {s: np.zeros(DIM) for s in program.state}
    updates = []
    for w, g, lr in steps:
        env = {"w": w, "g": g, "lr": lr, **slots}
        for s in program.statements:
            env[s.target] = ELEMENTWISE[s.fn](
                *(env[a.name] if isinstance(a, Var) else a.value for a in s.args)
            )
        updates.append(np.broadcast_to(env[program.output], (DIM,)))
        slots = {s: env[s] for s in program.state}
    return updates


@st.composite
def elementwise_statement(draw: st.DrawFn, defined: list[str], targets: list[str]) -> Statement:
    fn = draw(st.sampled_from(sorted(ELEMENTWISE)))
    variable = st.sampled_from(defined).map(Var)
    constant = st.sampled_from([0.5, 0.9, -1.5, 2.0]).map(Const)
    args = tuple(draw(st.one_of(variable, constant)) for _ in range(ARITY.get(fn, 2)))
    return Statement(draw(st.sampled_from(targets)), fn, args)


@st.composite
def elementwise_programs(draw: st.DrawFn) -> Program:
    """Random valid programs of elementwise functions: reassigned inputs, temporaries, 0-3 slots."""
    state = draw(st.sampled_from([(), ("m",), ("m", "v"), ("v", "m", "s")]))
    targets = ["update", "a", "b", "g", "lr", *state]
    defined = [*INPUTS, *state]
    body: list[Statement] = []
    for _ in range(draw(st.integers(1, 12))):
        body.append(draw(elementwise_statement(defined, targets)))
        defined.append(body[-1].target)
    if "update" not in defined:
        body.append(draw(elementwise_statement(defined, ["update"])))
    program = Program(tuple(body), state=state)
    assume(is_valid(program))
    return program


def random_steps(seed: int, count: int = 4) -> list[tuple[np.ndarray, np.ndarray, float]]:
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(size=DIM), rng.normal(size=DIM), float(rng.uniform(0.1, 1.0)))
        for _ in range(count)
    ]


PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@PROPERTY
@given(elementwise_programs(), st.integers(0, 2**32 - 1))
def test_reduce_preserves_the_update_sequence(program: Program, seed: int) -> None:
    reduced = reduce(program)
    assert is_valid(reduced)
    assert (reduced.state, reduced.output) == (program.state, program.output)
    steps = random_steps(seed)
    with np.errstate(all="ignore"):
        expected, got = run_reference(program, steps), run_reference(reduced, steps)
    for e, r in zip(expected, got):
        np.testing.assert_array_equal(r, e)


@PROPERTY
@given(elementwise_programs())
def test_reduce_is_idempotent_and_keeps_the_hash(program: Program) -> None:
    reduced = reduce(program)
    assert reduce(reduced) == reduced
    assert redundant_count(reduced) == 0
    assert live_slots(reduced) == live_slots(program)
    assert depends_on_gradient(reduced) == depends_on_gradient(program)
    assert program_hash(reduced) == program_hash(program)


@PROPERTY
@given(elementwise_programs(), st.randoms(use_true_random=False))
def test_hash_ignores_names_and_slot_order(program: Program, rnd: random.Random) -> None:
    own = ["update", "a", "b", *program.state]
    fresh = [f"x{k}" for k in range(len(own))]
    rnd.shuffle(fresh)
    other = renamed(program, dict(zip(own, fresh)))
    rnd.shuffle(state := list(other.state))
    assert program_hash(other.with_changes(state=tuple(state))) == program_hash(program)
