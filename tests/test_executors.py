"""The encoded (programs-as-data) executor: agreement with the direct one, and no recompiles."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from symopt.dsl import BUILTIN_NAMES, FUNCTIONS, Const, Program, Statement, Var, builtin, parse
from symopt.dsl.compiles import CompileCounter
from symopt.dsl.encode import Layout, encode, make_step
from symopt.dsl.errors import InvalidProgram
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer

SIZES = (6, 3, 5)  # three parameter tensors, flattened
N = sum(SIZES)
LAYOUT = Layout(max_len=16, num_slots=2)
REDUCER = SegmentReducer.for_sizes(SIZES)


def _inputs(seed: int, steps: int) -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    w = rng.normal(size=N).astype(np.float32)
    return w, [rng.normal(size=N).astype(np.float32) for _ in range(steps)]


def _run_direct(program: Program, steps: int = 5, seed: int = 0) -> np.ndarray:
    w, grads = _inputs(seed, steps)
    state = tuple(jnp.zeros(N) for _ in program.state)
    for t, g in enumerate(grads):
        update, state = run_step(program, w, g, 1.0 - t / steps, state, REDUCER)
        w = w - update
    return np.asarray(w)


_encoded_step = jax.jit(make_step(LAYOUT, REDUCER, N))


def _run_encoded(program: Program, steps: int = 5, seed: int = 0) -> np.ndarray:
    w, grads = _inputs(seed, steps)
    enc = encode(program, LAYOUT)
    regs = jnp.zeros((LAYOUT.num_registers, N))
    for t, g in enumerate(grads):
        update, regs = _encoded_step(enc, w, g, 1.0 - t / steps, regs)
        w = w - update
    return np.asarray(w)


# One program per interesting feature: per-tensor and global reductions, scalars,
# reassigned inputs, constants in every argument position.
EXTRA = {
    "whole_tensor": """
def train(w, g, m, v, lr):
    n = norm(g)
    gn = global_norm(g)
    c = clip(g, 0.5)
    d = dot(g, w)
    s = cosine_sim(g, m)
    m = interp(c, m, 0.9)
    update = m / n
    x = d * s
    update = update + x
    update = update * gn
    lr = lr * 0.01
    update = update * lr
    return update, m, v
""",
    "scalars_and_constants": """
def train(w, g, m, v, lr):
    k = pi()
    k = k * lr
    a = interp(0.5, g, k)
    b = power(a, 1.5)
    v = maximum(b, 0.001)
    update = minimum(v, g)
    update = update * 0.01
    return update, m, v
""",
}


@pytest.mark.parametrize("name", BUILTIN_NAMES + tuple(EXTRA))
def test_encoded_matches_direct(name: str) -> None:
    program = builtin(name) if name in BUILTIN_NAMES else parse(EXTRA[name])
    np.testing.assert_allclose(_run_encoded(program), _run_direct(program), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [f.name for f in FUNCTIONS.values() if f.arg_kinds == ("any",)])
def test_every_unary_function_agrees(fn: str) -> None:
    """Each elementwise function, through both executors, on a small input."""
    program = Program(
        (
            Statement("x", "mul", (Var("g"), Const(0.3))),
            Statement("y", fn, (Var("x"),)),
            Statement("update", "mul", (Var("y"), Const(0.01))),
        ),
        state=(),
    )
    np.testing.assert_allclose(
        _run_encoded(program, steps=2), _run_direct(program, steps=2), rtol=1e-5, atol=1e-6
    )


def _family(i: int) -> Program:
    """Fifty different programs: a unary function of a momentum, with varying constants."""
    unary = [f.name for f in FUNCTIONS.values() if f.arg_kinds == ("any",)]
    return Program(
        (
            Statement("m", "interp", (Var("g"), Var("m"), Const(0.5 + i / 200))),
            Statement("u", unary[i % len(unary)], (Var("m"),)),
            Statement("update", "mul", (Var("u"), Const(1e-3 * (1 + i)))),
        )
    )


def test_fifty_programs_compile_once() -> None:
    programs = [_family(i) for i in range(50)]
    assert len(set(programs)) == 50
    w, grads = _inputs(0, 3)

    @jax.jit
    def train(enc, w, grads):
        def body(carry, g):
            w, state = carry
            update, state = make_step(LAYOUT, REDUCER, N)(enc, w, g, 1.0, state)
            return (w - update, state), None

        (w, _), _ = jax.lax.scan(body, (w, jnp.zeros((LAYOUT.num_registers, N))), grads)
        return w

    grads = jnp.stack(grads)
    encoded = [encode(p, LAYOUT) for p in programs]
    train(encoded[0], w, grads).block_until_ready()
    with CompileCounter() as counter:
        results = [np.asarray(train(enc, w, grads)) for enc in encoded[1:]]
    assert counter.count == 0
    # The programs really ran: different programs gave different weights.
    assert len({r.tobytes() for r in results}) > 40


def test_compile_counter_sees_compiles() -> None:
    """The counter used above is not blind: a fresh jitted function counts."""
    x = jnp.ones(7)
    with CompileCounter() as counter:
        jax.jit(lambda a: a * 3.0 + 1.0)(x).block_until_ready()
    assert counter.count >= 1


def test_encode_rejects_oversized_programs() -> None:
    long = Program(tuple(Statement("update", "sign", (Var("g"),)) for _ in range(17)))
    with pytest.raises(InvalidProgram, match="exceed"):
        encode(long, LAYOUT)
    three = Program((Statement("update", "sign", (Var("g"),)),), state=("a", "b", "c"))
    with pytest.raises(InvalidProgram, match="slots"):
        encode(three, LAYOUT)
