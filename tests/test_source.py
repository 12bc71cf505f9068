"""Tests for symopt.dsl.source: parse, print, round trips, rejections, no code execution."""

from __future__ import annotations

import math
from pathlib import Path

import libcst as cst
import libcst.matchers as m
import pytest
from hypothesis import given, settings

from strategies import programs
from symopt.dsl.errors import DSLSyntaxError, InvalidProgram
from symopt.dsl.program import Const, Program, Statement, Var
from symopt.dsl.source import load, parse, parse_with_positions, to_source

PACKAGE = Path(__file__).resolve().parents[1] / "symopt"

G, M, W, LR = Var("g"), Var("m"), Var("w"), Var("lr")


def _train(*body: str, state: tuple[str, ...] = ("m", "v")) -> str:
    """A ``def train`` around ``body``, whose first line is therefore line 2, column 5."""
    lines = [f"def train({', '.join(('w', 'g', *state, 'lr'))}):", *(f"    {line}" for line in body)]
    lines.append(f"    return {', '.join(('update', *state))}")
    return "\n".join(lines) + "\n"


# --- parsing what the DSL accepts ---------------------------------------------


def test_parses_the_documented_form():
    source = """# comments anywhere are fine
def train(w, g, m, v, lr):  # a signature comment
    g2 = square(g)
    m = interp(g, m, 0.9)

    update = m / sqrt_v  # reads before assignment are analysis' business
    x = -m
    c = pi()
    y = interp(g, m, pi)
    return update, m, v
# trailing comment
"""
    assert parse(source) == Program(
        (
            Statement("g2", "square", (G,)),
            Statement("m", "interp", (G, M, Const(0.9))),
            Statement("update", "div", (M, Var("sqrt_v"))),
            Statement("x", "negative", (M,)),
            Statement("c", "pi", ()),
            Statement("y", "interp", (G, M, Const(math.pi))),
        ),
        state=("m", "v"),
        output="update",
    )


@pytest.mark.parametrize(
    "line, expected",
    [
        ("x = g + m", Statement("x", "add", (G, M))),
        ("x = g - 0.5", Statement("x", "sub", (G, Const(0.5)))),
        ("x = -1.0 - g", Statement("x", "sub", (Const(-1.0), G))),
        ("x = g * -2", Statement("x", "mul", (G, Const(-2.0)))),
        ("x = g / eps", Statement("x", "div", (G, Const(1e-8)))),
        ("x = -g", Statement("x", "negative", (G,))),
        ("x = -(g)", Statement("x", "negative", (G,))),
        ("x = (g) * (m)", Statement("x", "mul", (G, M))),
        ("x = negative(-3)", Statement("x", "negative", (Const(-3.0),))),
        ("x = pi()", Statement("x", "pi", ())),
        ("x = e()", Statement("x", "e", ())),
        ("x = interp(g, m, e)", Statement("x", "interp", (G, M, Const(math.e)))),
        ("x = interp(g, m, -pi)", Statement("x", "interp", (G, M, Const(-math.pi)))),
        ("x = clip(g, 1e-8)", Statement("x", "clip", (G, Const(1e-8)))),
        ("x = g * .5", Statement("x", "mul", (G, Const(0.5)))),
        ("x = g * 1_000", Statement("x", "mul", (G, Const(1000.0)))),
        ("x = g * 0x10", Statement("x", "mul", (G, Const(16.0)))),
        ("x = g * 1e10", Statement("x", "mul", (G, Const(1e10)))),
        ("x = g * -1_0e9", Statement("x", "mul", (G, Const(-1e10)))),
        ("x = g * 10_000_000_000", Statement("x", "mul", (G, Const(1e10)))),
        ("x = sign(g)  # why", Statement("x", "sign", (G,))),
        ("x = interp(g,\n        m,  # split\n        0.9)", Statement("x", "interp", (G, M, Const(0.9)))),
        ("lr = lr * 0.001", Statement("lr", "mul", (LR, Const(0.001)))),
        ("g = clip(g, lr)", Statement("g", "clip", (G, LR))),
        ("w = maximum(w, m)", Statement("w", "maximum", (W, M))),
    ],
)
def test_accepted_statements(line, expected):
    (statement,) = parse(_train(line)).statements
    assert statement == expected


@pytest.mark.parametrize(
    "source",
    [
        "def train(w, g, lr):\n    update = sign(g)\n    return update\n",
        "def train(w, g, lr):\n    update = sign(g)\n    return update,\n",
        "def train(w, g, lr):\n    update = sign(g)\n    return (update,)\n",
        "def train(w, g, lr): update = sign(g); return update\n",
    ],
)
def test_zero_slot_return_forms(source):
    assert parse(source) == Program((Statement("update", "sign", (G,)),), state=(), output="update")


def test_return_may_be_parenthesised_and_output_any_variable():
    source = "def train(w, g, m, lr):\n    m = sign(g)\n    return (g, m)\n"
    assert parse(source) == Program((Statement("m", "sign", (G,)),), state=("m",), output="g")


def test_positions_are_one_based_line_and_column_of_each_statement():
    source = "# header\ndef train(w, g, lr):\n    x = -g; y = sign(x)\n\n    update = x + y\n    return update\n"
    program, positions = parse_with_positions(source)
    assert len(positions) == len(program.statements) == 3
    assert positions == ((3, 5), (3, 13), (5, 5))


def test_load_names_the_file_in_errors(tmp_path):
    path = tmp_path / "opt.py"
    path.write_text(_train("x = jnp.sign(g)"))
    with pytest.raises(DSLSyntaxError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}:2:9: attributes")
    path.write_text(_train("update = sign(g)"))
    assert load(path) == parse(path.read_text())


# --- printing -----------------------------------------------------------------


def test_to_source_is_canonical():
    source = "def train(w,g,m,v,lr):\n  m=interp(g,m,.9)\n  update=-m\n  u=update/m\n  return update,m,v"
    assert to_source(parse(source)) == (
        "def train(w, g, m, v, lr):\n"
        "    m = interp(g, m, 0.9)\n"
        "    update = -m\n"
        "    u = update / m\n"
        "    return update, m, v\n"
    )


@pytest.mark.parametrize(
    "statement, printed",
    [
        (Statement("update", "sub", (Const(-1.0), G)), "update = -1.0 - g"),
        (Statement("update", "mul", (Const(-2.0), G)), "update = -2.0 * g"),
        (Statement("update", "div", (Const(-2.0), Const(-0.5))), "update = -2.0 / -0.5"),
        (Statement("update", "add", (G, Const(-0.5))), "update = g + -0.5"),
        (Statement("update", "negative", (Const(-3.0),)), "update = negative(-3.0)"),
        (Statement("update", "negative", (Const(3.0),)), "update = negative(3.0)"),
        (Statement("update", "negative", (G,)), "update = -g"),
        (Statement("update", "interp", (G, W, Const(-0.0))), "update = interp(g, w, -0.0)"),
        (Statement("update", "mul", (Const(1e-8), Const(1e12))), "update = 1e-08 * 10000000000.0"),
        (Statement("update", "mul", (G, Const(5e-324))), "update = g * 5e-324"),
        (Statement("update", "mul", (G, Const(math.pi))), "update = g * 3.141592653589793"),
        (Statement("update", "pi", ()), "update = pi()"),
    ],
)
def test_printed_statements_parse_back_to_the_same_value(statement, printed):
    program = Program((statement,), state=())
    text = to_source(program)
    assert text.splitlines()[1] == f"    {printed}"
    assert parse(text) == program


@pytest.mark.parametrize(
    "program, fragment",
    [
        (Program((Statement("x", "foo", (G,)),)), "unknown function 'foo'"),
        (Program((Statement("x", "sqrt", ()),)), "'sqrt' takes 1 argument, got 0"),
        (Program((Statement("pi", "sign", (G,)),)), "'pi': it is a named constant"),
        (Program((Statement("x", "sign", (Var("sqrt"),)),)), "'sqrt': it is a library function"),
        (Program((Statement("for", "sign", (G,)),)), "'for': it is not a valid variable name"),
        (Program((), state=("w",)), "clashes with the input 'w'"),
        (Program((), state=("m", "m")), "'m' is listed twice"),
        (Program((), output="e"), "cannot return 'e'"),
    ],
)
def test_to_source_refuses_programs_without_a_source_form(program, fragment):
    with pytest.raises(InvalidProgram, match=fragment):
        to_source(program)


@settings(max_examples=150, deadline=None)
@given(programs())
def test_print_then_parse_is_the_identity(program):
    text = to_source(program)
    assert parse(text) == program
    assert to_source(parse(text)) == text


# --- rejections ---------------------------------------------------------------

REJECTED = [
    # (source, line, column, a fragment of the message)
    ("import os\n" + _train("update = sign(g)"), 1, 1, "imports are not part of the DSL"),
    (_train("import os"), 2, 5, "imports are not part of the DSL"),
    (_train("from jax import numpy"), 2, 5, "imports are not part of the DSL"),
    (_train("x = jnp.sign(g)"), 2, 9, "attributes are not part of the DSL"),
    (_train("x = g.T * 2"), 2, 9, "attributes are not part of the DSL"),
    (_train("x = g[0]"), 2, 9, "subscripts are not part of the DSL"),
    (_train("x = sign(g)[0]"), 2, 9, "subscripts are not part of the DSL"),
    (_train("f = lambda: g"), 2, 9, "lambdas are not part of the DSL"),
    (_train("for i in g:", "    x = -g"), 2, 5, "loops are not part of the DSL"),
    (_train("while g:", "    x = -g"), 2, 5, "loops are not part of the DSL"),
    (_train("if g:", "    x = -g"), 2, 5, "conditionals are not part of the DSL"),
    (_train("x = g if m else v"), 2, 9, "conditional expressions are not part of the DSL"),
    (_train("def f(x):", "    return x"), 2, 5, "nested functions are not part of the DSL"),
    (_train("class A:", "    pass"), 2, 5, "classes are not part of the DSL"),
    (_train("with g:", "    x = -g"), 2, 5, "with blocks are not part of the DSL"),
    (_train("try:", "    x = -g", "except E:", "    x = g"), 2, 5, "try blocks are not part of the DSL"),
    (_train("global x"), 2, 5, "global declarations are not part of the DSL"),
    (_train("pass"), 2, 5, "'pass' is not part of the DSL"),
    (_train("del g"), 2, 5, "'del' is not part of the DSL"),
    (_train("x: float = sign(g)"), 2, 5, "annotations are not part of the DSL"),
    (_train("sign(g)"), 2, 5, "an expression on its own does nothing"),
    (_train("x = sign(g=g)"), 2, 14, "keyword arguments are not part of the DSL"),
    (_train("x = sign(*g)"), 2, 14, "starred arguments are not part of the DSL"),
    (_train("x = 'abc'"), 2, 9, "strings are not part of the DSL"),
    (_train('x = f"{g}"'), 2, 9, "strings are not part of the DSL"),
    (_train('"""A docstring."""', "x = -g"), 2, 5, "strings are not part of the DSL"),
    ('"""A module docstring."""\n' + _train("x = -g"), 1, 1, "strings are not part of the DSL"),
    (_train("x = foo(g)"), 2, 9, "unknown function 'foo'"),
    (_train("x = sqr(g)"), 2, 9, "did you mean 'sqrt'?"),
    (_train("x = exec(g)"), 2, 9, "unknown function 'exec'"),
    (_train("x = sqrt(g, m)"), 2, 9, "'sqrt' takes 1 argument, got 2"),
    (_train("x = interp(g, m)"), 2, 9, "'interp' takes 3 arguments, got 2"),
    (_train("x = pi(1)"), 2, 9, "'pi' takes 0 arguments, got 1"),
    (_train("x = sign(g)(m)"), 2, 9, "only library functions can be called"),
    (_train("x = sign(g(m))"), 2, 14, "unknown function 'g'"),
    (_train("x = g * 1e400"), 2, 13, "the constant 1e400 is outside the DSL's range +-1e10"),
    (_train("x = g * -1_0e400"), 2, 13, "the constant -1_0e400 is outside"),
    (_train("x = g * 1.0000001e10"), 2, 13, "is outside the DSL's range +-1e10"),
    (_train("x = g * 1" + "0" * 400), 2, 13, "is outside the DSL's range +-1e10"),
    (_train("x = interp(g, m, -1e11)"), 2, 22, "the constant -1e11 is outside"),
    (_train("x = sign(g * 1e11)"), 2, 18, "the constant 1e11 is outside"),
    (_train("x = g"), 2, 9, "plain copies are not part of the DSL"),
    (_train("x = 0.5"), 2, 9, "constant assignments are not part of the DSL"),
    (_train("x = -0.5"), 2, 9, "constant assignments are not part of the DSL"),
    (_train("x = pi"), 2, 9, "constant assignments are not part of the DSL"),
    (_train("x += g"), 2, 5, "write `x = x + g`"),
    (_train("x **= 2"), 2, 5, "write `x = power(x, 2)`"),
    (_train("x, y = sign(g)"), 2, 5, "assign one variable per statement"),
    (_train("x = y = sign(g)"), 2, 9, "assign one variable per statement"),
    (_train("g.x = sign(g)"), 2, 5, "attributes are not part of the DSL"),
    (_train("x = g < m"), 2, 9, "comparisons are not part of the DSL"),
    (_train("x = g and m"), 2, 9, "boolean operators are not part of the DSL"),
    (_train("x = not g"), 2, 9, "the unary not operator is not part of the DSL"),
    (_train("x = +g"), 2, 9, "the unary + operator is not part of the DSL"),
    (_train("x = g * 1j"), 2, 13, "complex numbers are not part of the DSL"),
    (_train("x = g ** 2"), 2, 11, "use power(x, p)"),
    (_train("x = sign(g ** 2)"), 2, 16, "use power(x, p)"),
    (_train("x = g // 2"), 2, 11, "the // operator is not part of the DSL"),
    (_train("x = g % 2"), 2, 11, "the % operator is not part of the DSL"),
    (_train("x = g @ m"), 2, 11, "the @ operator is not part of the DSL"),
    (_train("x = (g, m)"), 2, 10, "tuples are not part of the DSL"),
    (_train("x = [g]"), 2, 9, "lists are not part of the DSL"),
    (_train("x = (y := g)"), 2, 10, "assignment expressions"),
    (_train("x = sign(True)"), 2, 14, "'True' cannot be an argument"),
    (_train("x = sign(sqrt)"), 2, 14, "'sqrt' cannot be an argument: it is a library function"),
    (_train("sqrt = sign(g)"), 2, 5, "cannot assign to 'sqrt': it is a library function"),
    (_train("e = sign(g)"), 2, 5, "cannot assign to 'e': it is a named constant"),
    ("def train(w, g, m, v, lr):\n    x = -g\n", 1, 1, "must end with `return update, m, v`"),
    ("def train(w, g, lr):\n    return g\n    x = -g\n", 3, 5, "statements after return"),
    ("def train(w, g, lr):\n    return g\n    return g\n", 3, 5, "statements after return"),
    ("def train(w, g, m, v, lr):\n    return update, v, m\n", 2, 20, "`return update, m, v`"),
    ("def train(w, g, m, v, lr):\n    return update, m\n", 2, 5, "`return update, m, v`"),
    ("def train(w, g, m, lr):\n    return update, *m\n", 2, 20, "starred expressions"),
    ("def train(w, g, lr):\n    return\n", 2, 5, "`return update`"),
    ("def train(w, g, lr):\n    return pi\n", 2, 12, "cannot return 'pi'"),
    ("def train(w, g, lr):\n    return g + 1\n", 2, 12, "`return update`"),
    (_train("x = -g") + _train("x = -g"), 4, 1, "only one `def train(...)` is allowed"),
    ("x = 1\n" + _train("x = -g"), 1, 1, "only comments and one `def train(...)`"),
    ("__import__('os').system('true')\n" + _train("x = -g"), 1, 1, "only comments and one"),
    ("if True:\n    pass\n", 1, 1, "conditionals are not part of the DSL"),
    ("", 1, 1, "expected `def train(w, g, <state...>, lr):`"),
    ("# only a comment\n", 1, 1, "expected `def train"),
    ("def step(w, g, lr):\n    return g\n", 1, 5, "must be named 'train', not 'step'"),
    ("@jax.jit\ndef train(w, g, lr):\n    return g\n", 1, 1, "decorators are not part of the DSL"),
    ("async def train(w, g, lr):\n    return g\n", 1, 1, "async functions"),
    ("def train(w, g, lr=1.0):\n    return g\n", 1, 20, "default values are not part of the DSL"),
    ("def train(w: float, g, lr):\n    return g\n", 1, 14, "annotations are not part of the DSL"),
    ("def train(w, g, lr) -> None:\n    return g\n", 1, 24, "annotations are not part of the DSL"),
    ("def train(w, g, *m, lr):\n    return g\n", 1, 17, "parameters must be plain names"),
    ("def train(w, g, lr, **kw):\n    return g\n", 1, 21, "parameters must be plain names"),
    ("def train(g, w, lr):\n    return g\n", 1, 11, "parameters must be `w, g, <state slots...>, lr`"),
    ("def train(w, g):\n    return g\n", 1, 5, "parameters must be `w, g, <state slots...>, lr`"),
    ("def train(w, g, pi, lr):\n    return g, pi\n", 1, 17, "state slot 'pi' is not allowed: it is a named constant"),
    ("def train(w, g, sign, lr):\n    return g, sign\n", 1, 17, "it is a library function"),
    ("def train(w, g, m, m, lr):\n    return g, m, m\n", 1, 20, "state slot 'm' is listed twice"),
    ("def train(w, g, w, lr):\n    return g, w\n", 1, 17, "clashes with the input 'w'"),
    ("def train(w, g, lr):\n    x = f(a b)\n    return x\n", 2, None, "invalid syntax"),
    ("def train(w, g, lr)\n    return g\n", None, None, "invalid syntax"),
]


@pytest.mark.parametrize("source, line, col, fragment", REJECTED)
def test_rejections_are_located(source, line, col, fragment):
    with pytest.raises(DSLSyntaxError) as info:
        parse(source, filename="opt.py")
    error = info.value
    assert fragment in error.message
    assert error.filename == "opt.py"
    # LibCST's own syntax errors are located only roughly; the rest exactly.
    assert (error.line, error.col) == (line or error.line, col or error.col)
    assert 1 <= error.line <= source.count("\n") + 1 and error.col >= 1


# --- nothing is ever executed ---------------------------------------------------


def test_parsing_executes_nothing(tmp_path):
    marker = tmp_path / "executed"
    payload = f"__import__('os').system('touch {marker}')"
    sources = [
        f"{payload}\n" + _train("x = -g"),
        _train(f"x = {payload}"),
        _train(f"x = sign({payload})"),
        _train(f"x = exec(\"open('{marker}', 'w')\")"),
        f"def train(w, g, lr=({payload})):\n    return g\n",
        f"@{payload}\ndef train(w, g, lr):\n    return g\n",
    ]
    for source in sources:
        with pytest.raises(DSLSyntaxError):
            parse(source)
    assert not marker.exists()


_EVALUATING_CALL = m.Call(
    func=m.Name(m.MatchIfTrue(lambda name: name in {"eval", "exec", "compile", "__import__"}))
    | m.Attribute(attr=m.Name("literal_eval"))
)


def _evaluating_calls(text: str) -> list[str]:
    module = cst.parse_module(text)
    return [module.code_for_node(node) for node in m.findall(module, _EVALUATING_CALL)]


def test_the_scan_finds_evaluating_calls():
    text = "eval(s)\nexec(s)\nast.literal_eval(s)\ncompile(s, 'f', 'exec')\nre.compile(s)\njax.jit(f).lower(x).compile()\n"
    assert len(_evaluating_calls(text)) == 4


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_evaluates_text(path):
    assert _evaluating_calls(path.read_text(encoding="utf-8")) == []
