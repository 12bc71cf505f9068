"""Fuzz tests: whatever text or bytes `symopt check FILE` is given, the parser answers in time.

``symopt check FILE`` reads the file and calls :func:`parse_with_positions`
(:mod:`symopt.cli.loading`); :func:`load` is the same from a path, decoding the
bytes itself. Each must return a program or raise :class:`DSLError`: never
another exception, never a hang (the deadline), never a crash.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symopt.dsl.builtins import builtin_source
from symopt.dsl.errors import DSLError
from symopt.dsl.program import Program
from symopt.dsl.source import load, parse_with_positions

FUZZ = settings(
    max_examples=200, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow]
)

# Pieces of Python and of the DSL, and of things that broke parsers before.
_FRAGMENTS = (
    "def train(w, g, m, v, lr):", "def train(w, g, lr):", "return update, m, v", "return u",
    "update", "u", "m", "g", "lr", "w", "t1", "=", " = ", "+", "-", "*", "/", "**", "//", "@",
    "sign(", "interp(", "sqrt(", "pi", "eps", "foo(", "(", ")", "[", "]", "{", "}", ",", ":", ";",
    "0.9", "1e400", "-1e10", "1" + "0" * 30, "0x1F", "1_000", ".5", "1j", "nan", "inf",
    "\n", "\n    ", "\n\t", "    ", "\t", " ", "\\\n", "\r\n", "\r", "\x0c", "\x00", "#", "# é",
    "'", '"', '"""', "f'{g}'", "lambda: g", "import os", "if g:", "else:", "async ", "await ",
    "@jax.jit", "yield", "not ", "and", "is", ":=", "*g", "**kw", "é", "\ud800", "\u2028",
    "(" * 40, ")" * 40, " + lr" * 80, "sign(" * 20,
)

near_python = st.lists(st.sampled_from(_FRAGMENTS), max_size=60).map("".join)
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=400)


@st.composite
def edited_programs(draw: st.DrawFn) -> str:
    """A built-in program's text with a few random cuts, repeats and insertions."""
    text = builtin_source(draw(st.sampled_from(["lion", "adamw", "program4"])))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        middle = draw(st.one_of(st.sampled_from(_FRAGMENTS), st.just(text[start:end] * 3), st.just("")))
        text = text[:start] + middle + text[end:]
    return text


def _parses_or_refuses(text: str) -> None:
    try:
        program, positions = parse_with_positions(text, "fuzz.py")
    except DSLError:
        return
    assert isinstance(program, Program) and len(positions) == len(program.statements)


@FUZZ
@given(st.one_of(near_python, edited_programs(), any_text))
def test_any_text_parses_or_is_refused(text):
    _parses_or_refuses(text)


@FUZZ
@given(st.one_of(st.binary(max_size=600), near_python.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_any_file_loads_or_is_refused(data):
    fd, path = tempfile.mkstemp(suffix=".py")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            assert isinstance(load(path), Program)
        except DSLError:
            pass
    finally:
        os.unlink(path)
