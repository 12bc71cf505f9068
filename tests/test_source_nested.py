"""Tests for nested expressions in source: flattened into temporaries, printed flat, hashed alike."""

from __future__ import annotations

import pytest

from symopt.dsl.analysis import program_hash
from symopt.dsl.builtins import builtin
from symopt.dsl.errors import DSLSyntaxError
from symopt.dsl.program import Const, Program, Statement, Var
from symopt.dsl.source import parse, parse_with_positions, to_source

G, M, W, LR = Var("g"), Var("m"), Var("w"), Var("lr")
T1, T2, T3 = Var("t1"), Var("t2"), Var("t3")


def _train(*body: str) -> str:
    return "def train(w, g, m, lr):\n" + "".join(f"    {line}\n" for line in body) + "    return u, m\n"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("u = g * (lr * 0.002)", [("t1", "mul", (LR, Const(0.002))), ("u", "mul", (G, T1))]),
        ("u = sign(interp(g, m, 0.9))", [("t1", "interp", (G, M, Const(0.9))), ("u", "sign", (T1,))]),
        ("u = g * m + w", [("t1", "mul", (G, M)), ("u", "add", (T1, W))]),
        ("u = g * (m + w)", [("t1", "add", (M, W)), ("u", "mul", (G, T1))]),
        ("u = sign(g) - sign(m)", [("t1", "sign", (G,)), ("t2", "sign", (M,)), ("u", "sub", (T1, T2))]),
        ("u = -sign(g)", [("t1", "sign", (G,)), ("u", "negative", (T1,))]),
        ("u = -(-g)", [("t1", "negative", (G,)), ("u", "negative", (T1,))]),
        ("u = sign(-g)", [("t1", "negative", (G,)), ("u", "sign", (T1,))]),
        ("u = sign(-0.5 * g)", [("t1", "mul", (Const(-0.5), G)), ("u", "sign", (T1,))]),
        ("u = -(g * 2)", [("t1", "mul", (G, Const(2.0))), ("u", "negative", (T1,))]),
        ("u = negative(-(0.5))", [("u", "negative", (Const(-0.5),))]),
        (
            "u = interp(sqrt(g), square(m + 1), pi)",
            [
                ("t1", "sqrt", (G,)),
                ("t2", "add", (M, Const(1.0))),
                ("t3", "square", (T2,)),
                ("u", "interp", (T1, T3, Const(3.141592653589793))),
            ],
        ),
    ],
)
def test_nested_expressions_flatten_in_evaluation_order(line, expected):
    program = parse(_train(line))
    assert program.statements == tuple(Statement(*parts) for parts in expected)


def test_temporaries_skip_every_word_in_the_text():
    source = _train("t1 = -g  # t3 is taken too, by this comment", "u = sign(sign(t1))")
    assert [s.target for s in parse(source).statements] == ["t1", "t2", "u"]


def test_temporaries_are_numbered_across_the_program():
    program = parse(_train("m = sign(-m)", "u = sign(-g)"))
    assert [s.target for s in program.statements] == ["t1", "m", "t2", "u"]


def test_temporaries_are_located_at_their_expression():
    _, positions = parse_with_positions(_train("u = interp(g, sign(m), 0.9) * lr"))
    assert positions == ((2, 19), (2, 9), (2, 5))  # sign(m), interp(...), the statement
    assert parse_with_positions(_train("u = g * (lr * 0.002)"))[1] == ((2, 14), (2, 5))


@pytest.mark.parametrize(
    "line, col, fragment",
    [
        ("u = sign(foo(g))", 14, "unknown function 'foo'"),
        ("u = sign(interp(g, m))", 14, "'interp' takes 3 arguments, got 2"),
        ("u = g * (m ** 2)", 16, "use power(x, p)"),
        ("u = sign(g.T + 1)", 14, "attributes are not part of the DSL"),
        ("u = sign(+g)", 14, "the unary + operator"),
        ("u = sign(g)(m)", 9, "only library functions can be called"),
        ("u = jnp.sign(g) * 2", 9, "attributes are not part of the DSL"),
    ],
)
def test_errors_inside_nested_expressions_point_at_them(line, col, fragment):
    with pytest.raises(DSLSyntaxError) as info:
        parse(_train(line))
    assert (info.value.line, info.value.col) == (2, col) and fragment in info.value.message


LION_NESTED = """\
# Lion written as people write it by hand.
def train(w, g, m, v, lr):
    update = (sign(interp(g, m, 0.9)) + w * 0.1) * (lr * 0.0003)
    m = interp(g, m, 0.99)
    return update, m, v
"""


def test_a_nested_program_hashes_as_its_hand_flattened_twin():
    nested = parse(LION_NESTED)
    assert len(nested) == 7
    assert program_hash(nested) == program_hash(builtin("lion"))


def test_nested_programs_print_flat_and_parse_back_to_the_same_value():
    program = parse(LION_NESTED)
    text = to_source(program)
    assert text == (
        "def train(w, g, m, v, lr):\n"
        "    t1 = interp(g, m, 0.9)\n"
        "    t2 = sign(t1)\n"
        "    t3 = w * 0.1\n"
        "    t4 = t2 + t3\n"
        "    t5 = lr * 0.0003\n"
        "    update = t4 * t5\n"
        "    m = interp(g, m, 0.99)\n"
        "    return update, m, v\n"
    )
    assert parse(text) == program
    assert to_source(parse(text)) == text


def test_a_flat_program_reads_as_before():
    flat = _train("t = interp(g, m, 0.9)", "u = sign(t)")
    assert parse(flat) == Program(
        (Statement("t", "interp", (G, M, Const(0.9))), Statement("u", "sign", (Var("t"),))),
        state=("m",),
        output="u",
    )
    assert program_hash(parse(flat)) == program_hash(parse(_train("u = sign(interp(g, m, 0.9))")))
