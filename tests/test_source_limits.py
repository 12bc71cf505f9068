"""Tests for symopt.dsl.limits through the parser: hostile texts are refused fast and located."""

from __future__ import annotations

import time

import pytest

from symopt.dsl.errors import DSLSyntaxError
from symopt.dsl.limits import (
    MAX_DEPTH,
    MAX_LINE_CHARS,
    MAX_SOURCE_BYTES,
    MAX_STATEMENT_TOKENS,
    MAX_STATEMENTS,
    MAX_TOKENS,
)
from symopt.dsl.program import Program, Statement, Var
from symopt.dsl.source import load, parse

HEADER = "def train(w, g, lr):\n"
RETURN = "    return update\n"
SECONDS = 2.0  # issue 11: every such input is refused well within this


def _rejected(source: str) -> DSLSyntaxError:
    """The error ``parse`` raises for ``source``, checking it came within :data:`SECONDS`."""
    start = time.perf_counter()
    with pytest.raises(DSLSyntaxError) as info:
        parse(source, filename="opt.py")
    assert time.perf_counter() - start < SECONDS
    assert info.value.filename == "opt.py"
    return info.value


def _chain(terms: int, joiner: str = " + ") -> str:
    return HEADER + "    update = (" + joiner.join(["lr"] * terms) + ")\n" + RETURN


def _statements(n: int) -> str:
    return HEADER + "".join(f"    u{i} = g * 2.0\n" for i in range(n)) + "    update = sign(g)\n" + RETURN


# --- the inputs of issue 11 ----------------------------------------------------


@pytest.mark.parametrize(
    "size, col, fragment",
    [
        (50_000, MAX_LINE_CHARS + 1, "line 2 has 50015 characters; the most is 1000"),
        (5_000_000, MAX_SOURCE_BYTES - len(HEADER) + 1, f"the text is over {MAX_SOURCE_BYTES} bytes"),
    ],
)
def test_a_huge_one_line_chain_is_refused_at_once(size, col, fragment):
    error = _rejected(HEADER + "    update = " + "lr + " * (size // 5) + "lr\n" + RETURN)
    assert (error.line, error.col) == (2, col)
    assert fragment in error.message


def test_a_500_term_chain_is_refused_not_a_recursion_error():
    assert "line 2 has 2512 characters" in _rejected(_chain(500)).message  # on one line
    error = _rejected(_chain(500, " +\n        "))  # one term a line: short lines
    assert (error.line, error.col) == (2, 5)
    assert f"more than {MAX_STATEMENT_TOKENS} tokens" in error.message


@pytest.mark.parametrize("newline", ["", "\n"])
def test_2000_nested_parentheses_are_refused_not_a_crash(newline):
    source = HEADER + "    update = " + ("(" + newline) * 2000 + "lr" + (")" + newline) * 2000 + "\n" + RETURN
    error = _rejected(source)
    if newline:
        assert (error.line, error.col) == (2 + MAX_DEPTH, 1)
        assert f"brackets nested more than {MAX_DEPTH} deep" in error.message
    else:
        assert (error.line, error.col) == (2, MAX_LINE_CHARS + 1)


def test_deeply_nested_calls_are_refused_at_the_first_bracket_too_deep():
    source = HEADER + "    update = " + "sign(" * 40 + "g" + ")" * 40 + "\n" + RETURN
    error = _rejected(source)
    assert (error.line, error.col) == (2, 18 + 5 * MAX_DEPTH)  # `(` of the 17th `sign(`
    assert "brackets nested" in error.message


def test_deeply_nested_blocks_are_refused():
    lines = [f"{'    ' * k}if g:" for k in range(1, 40)]
    error = _rejected(HEADER + "\n".join(lines) + "\n" + "    " * 40 + "u = g\n")
    assert (error.line, error.message) == (2 + MAX_DEPTH, f"blocks nested more than {MAX_DEPTH} deep")


def test_a_10000_statement_warm_start_is_refused_at_the_first_statement_too_many():
    error = _rejected(_statements(10_000))
    assert (error.line, error.col) == (MAX_STATEMENTS + 1, 5)  # `def` is statement 1
    assert f"more than {MAX_STATEMENTS} statements" in error.message


def test_statements_after_semicolons_count():
    lines = "".join("    " + "u = -g; " * 9 + "u = -g\n" for _ in range(MAX_STATEMENTS // 10 + 1))
    error = _rejected(HEADER + lines + RETURN)
    # `def` is statement 1; line L holds 10 (L - 2) + 2 to 10 (L - 2) + 11; each is 8 columns.
    assert (error.line, error.col) == (1 + MAX_STATEMENTS // 10, 5 + 8 * 9)
    assert f"more than {MAX_STATEMENTS} statements" in error.message


def test_the_token_budget_bounds_a_text_of_many_short_statements():
    # Each statement and line within its limits; the whole too many tokens.
    statement = "    u = " + " + ".join(["g"] * 20) + "\n"  # 41 tokens
    body = statement * (MAX_TOKENS // 41 + 1)
    assert len(body) < MAX_SOURCE_BYTES and MAX_TOKENS // 41 + 1 < MAX_STATEMENTS
    error = _rejected(HEADER + body + RETURN)
    assert f"more than {MAX_TOKENS} tokens" in error.message


def test_a_long_comment_only_text_is_refused_by_size_alone():
    source = HEADER + "    update = sign(g)\n" + RETURN + "# a comment line\n" * 70_000
    error = _rejected(source)
    assert f"over {MAX_SOURCE_BYTES} bytes" in error.message
    assert error.line == source.count("\n", 0, MAX_SOURCE_BYTES) + 1  # the first byte past it


def test_size_counts_utf8_bytes_not_characters():
    comment = "# " + "é" * 400 + "\n"  # 802 bytes, 402 characters
    lines = MAX_SOURCE_BYTES // len(comment.encode()) + 1
    source = HEADER + "    update = sign(g)\n" + RETURN + comment * lines
    assert len(source) < MAX_SOURCE_BYTES
    error = _rejected(source)
    assert f"over {MAX_SOURCE_BYTES} bytes" in error.message
    prefix = len(HEADER + "    update = sign(g)\n" + RETURN)  # ASCII: bytes are characters
    line, byte = divmod(MAX_SOURCE_BYTES - prefix, len(comment.encode()))
    assert (error.line, error.col) == (4 + line, 1 + 2 + (byte - 2) // 2)  # "# " then 2-byte é


# --- what stays accepted ----------------------------------------------------------


def test_the_largest_accepted_forms_still_parse():
    nested = "sign(" * (MAX_DEPTH - 1) + "g" + ")" * (MAX_DEPTH - 1)  # + the call in `sign(...)`
    assert len(parse(HEADER + f"    update = sign({nested})\n" + RETURN)) == MAX_DEPTH
    terms = (MAX_STATEMENT_TOKENS - 4) // 2  # `update = ( ... )` takes 4 tokens, each term 2
    assert len(parse(_chain(terms))) == terms - 1
    program = parse(_statements(MAX_STATEMENTS - 3))  # with `def`, `update = ...`, `return`
    assert len(program) == MAX_STATEMENTS - 2


# --- indentation ----------------------------------------------------------------------


def test_a_program_indented_with_tabs_only_is_accepted():
    source = "def train(w, g, lr):\n\tu = sign(g)\n\tupdate = -u\n\treturn update\n"
    assert parse(source) == Program(
        (Statement("u", "sign", (Var("g"),)), Statement("update", "negative", (Var("u"),))), state=()
    )


@pytest.mark.parametrize(
    "source, line, fragment",
    [
        (HEADER + "    u = sign(g)\n\tupdate = -u\n" + RETURN, 3, "indents with tabs, line 2 with spaces"),
        (HEADER + "\tu = sign(g)\n    update = -u\n\treturn update\n", 3, "indents with spaces, line 2 with tabs"),
        (HEADER + "    u = sign(g)\n  \tupdate = -u\n" + RETURN, 3, "mixes tabs and spaces"),
        (HEADER + "    u = sign(g)\n    update = -u\n\treturn update\n", 4, "indents with tabs"),
        (HEADER + "    u = sign(g)\n  update = -u\n" + RETURN, 3, "unindent does not match"),
    ],
)
def test_bad_indents_are_located_at_their_line(source, line, fragment):
    error = _rejected(source)
    assert error.line == line and fragment in error.message


def test_continuation_lines_may_indent_as_they_like():
    source = HEADER + "    update = interp(g,\n\t\tg, 0.5)\n" + RETURN
    assert len(parse(source)) == 1


@pytest.mark.parametrize(
    "source, line, col, fragment",
    [
        (HEADER + "    update = sign(g\n", 2, 18, "'(' was never closed"),
        (HEADER + "    update = interp(g, [m,\n    0.9\n", 2, 24, "'[' was never closed"),
        (HEADER + '    """never closed\n', 2, 5, "EOF in multi-line string"),
    ],
)
def test_unfinished_text_is_located_at_what_was_left_open(source, line, col, fragment):
    error = _rejected(source)
    assert (error.line, error.col) == (line, col) and fragment in error.message


# --- reading files ------------------------------------------------------------------------


def test_load_refuses_bytes_that_are_not_utf8_at_their_position(tmp_path):
    path = tmp_path / "opt.py"
    path.write_bytes(HEADER.encode() + b"    update = sign(g)  # \xff\xfe\n" + RETURN.encode())
    with pytest.raises(DSLSyntaxError) as info:
        load(path)
    assert str(info.value) == f"{path}:2:25: not UTF-8 text: byte 0xff cannot be decoded"


def test_load_reads_no_more_of_a_huge_file_than_the_limit(tmp_path):
    path = tmp_path / "huge.py"
    with open(path, "wb") as fh:
        fh.write(HEADER.encode())
        fh.write(b"# \xe9\n" * 20_000_000)  # 80 MB of comments, and not UTF-8 either
    start = time.perf_counter()
    with pytest.raises(DSLSyntaxError, match=f"over {MAX_SOURCE_BYTES} bytes"):
        load(path)
    assert time.perf_counter() - start < SECONDS


def test_a_lone_surrogate_is_refused_with_its_position():
    error = _rejected(HEADER + "    update = sign(g)  # \ud800\n" + RETURN)
    assert (error.line, error.col) == (2, 25) and "is not text" in error.message
