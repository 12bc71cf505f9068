"""How much program text the parser reads: limits checked before LibCST sees it.

LibCST's parser recurses once per level of an expression tree: a 500-term
``lr + lr + ...`` chain raises ``RecursionError``, 2000 nested parentheses
crash the interpreter, and 50 KB on one line takes minutes. :func:`check_limits`
rejects such text first, in one pass over Python's own tokenizer (which only
splits text into tokens and evaluates nothing), stopping at the first limit
crossed. Every limit is far beyond a hand-written optimizer: Lion's file is
800 bytes, 9 statements and 13 tokens per statement at most, brackets 1 deep.
The same pass points mixed tab and space indents at the offending line, and
refuses non-ASCII characters outside comments (LibCST and Python disagree on
which are valid names; the DSL has no use for any).

Example:
    >>> check_limits("def train(w, g, lr):\\n    update = sign(g)\\n    return update\\n")
    >>> check_limits("def train(w, g, lr):\\n    u = " + "(" * 40 + "g" + ")" * 40 + "\\n")
    Traceback (most recent call last):
    ...
    symopt.dsl.errors.DSLSyntaxError: <string>:2:25: brackets nested more than 16 deep
"""

from __future__ import annotations

import io
import os
import tokenize
from typing import NoReturn

from symopt.dsl.errors import DSLSyntaxError

__all__ = [
    "MAX_SOURCE_BYTES",
    "MAX_LINE_CHARS",
    "MAX_STATEMENTS",
    "MAX_TOKENS",
    "MAX_STATEMENT_TOKENS",
    "MAX_DEPTH",
    "check_limits",
    "read_source",
]

MAX_SOURCE_BYTES = 1_000_000
"""The most UTF-8 bytes a program's text may have (checked first, before any scan)."""

MAX_LINE_CHARS = 1_000
"""The most characters on one line."""

MAX_STATEMENTS = 1_000
"""The most statements (``def``, assignments, ``return``), counted as they start."""

MAX_TOKENS = 20_000
"""The most tokens in the whole text, comments and line ends not counted."""

MAX_STATEMENT_TOKENS = 128
"""The most tokens in one statement: bounds an expression's size, so its depth."""

MAX_DEPTH = 16
"""The deepest nesting of brackets, and of indented blocks."""

_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")
_TRIVIA = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.DEDENT, tokenize.ENDMARKER}
)


def check_limits(source: str, filename: str = "<string>") -> None:
    """Rejects text past any limit of this module, or with mixed tab and space indents.

    Runs in time linear in ``min(len(source), MAX_SOURCE_BYTES)``.

    Raises:
        DSLSyntaxError: located at the first character past the limit (size,
            line length), the start of the statement past it (statements,
            tokens), the bracket or line too deep, or the badly indented line.
    """
    _check_size(source, filename)
    _check_lines(source, filename)
    _Scan(source, filename).run()


def read_source(path: str | os.PathLike[str]) -> str:
    """A program file's text, reading no more than :data:`MAX_SOURCE_BYTES` + 1 bytes.

    A longer file comes back as its first bytes decoded leniently, which
    :func:`check_limits` then refuses for its size; a shorter one must be UTF-8.

    Raises:
        DSLSyntaxError: bytes that are not UTF-8, located at the first one.
        OSError: a file that cannot be read.

    Example:
        >>> read_source("symopt/dsl/programs/lion.py").startswith("#")  # doctest: +SKIP
        True
    """
    with open(path, "rb") as fh:
        data = fh.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:  # too long whatever it holds: a lossy decode is enough
        return data.decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        message = f"not UTF-8 text: byte {data[err.start]:#04x} cannot be decoded"
        raise DSLSyntaxError(message, os.fspath(path), line, col) from None


def _fail(message: str, filename: str, line: int, col: int) -> NoReturn:
    raise DSLSyntaxError(message, filename, line, col)


def _position(source: str, offset: int) -> tuple[int, int]:
    """1-based ``(line, column)`` of the character at ``offset``."""
    line_start = source.rfind("\n", 0, offset) + 1
    return source.count("\n", 0, offset) + 1, offset - line_start + 1


def _check_size(source: str, filename: str) -> None:
    # A character is at least one byte: only text within the limit is encoded.
    too_long = len(source) > MAX_SOURCE_BYTES
    size = len(source) if too_long else len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        head = source[: MAX_SOURCE_BYTES + 1].encode("utf-8", "surrogatepass")[:MAX_SOURCE_BYTES]
        where = _position(source, len(head.decode("utf-8", "ignore")))  # the character across it
        _fail(f"the text is over {MAX_SOURCE_BYTES} bytes; a program is far smaller", filename, *where)
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as err:  # a lone surrogate, which no file decodes to
        _fail(f"character {ascii(source[err.start])} is not text", filename, *_position(source, err.start))


def _check_lines(source: str, filename: str) -> None:
    for number, line in enumerate(source.split("\n"), start=1):
        length = len(line.rstrip("\r"))
        if length > MAX_LINE_CHARS:
            message = f"line {number} has {length} characters; the most is {MAX_LINE_CHARS}"
            _fail(message, filename, number, MAX_LINE_CHARS + 1)


class _Scan:
    """One pass over the tokens, counting what the limits bound."""

    def __init__(self, source: str, filename: str):
        self._source = source
        self._filename = filename
        self._brackets: list[tuple[str, int, int]] = []  # (bracket, line, column)
        self._indents = 0
        self._indent_style: tuple[str, int] | None = None  # (" " or "\t", the line that set it)
        self._statements = 0
        self._tokens = 0
        self._statement_tokens = 0
        self._statement_start = (1, 1)
        self._at_start = True

    def _fail(self, message: str, line: int, col: int) -> NoReturn:
        _fail(message, self._filename, line, col)

    def run(self) -> None:
        readline = io.StringIO(self._source).readline
        try:
            for token in tokenize.generate_tokens(readline):
                self._token(token)
        except tokenize.TokenError as err:
            self._unfinished(err)
        except SyntaxError as err:  # IndentationError: a dedent to no outer level
            line = min(max(err.lineno or 1, 1), self._source.count("\n") + 1)
            text = self._source.split("\n", line)[line - 1]
            self._check_indent(text[: len(text) - len(text.lstrip(" \t"))], line)
            self._fail(f"invalid syntax: {err.msg}", line, max(err.offset or 1, 1))

    def _token(self, token: tokenize.TokenInfo) -> None:
        if token.type == tokenize.NEWLINE:
            self._at_start = True
        if token.type == tokenize.DEDENT:
            self._indents -= 1
        if token.type in _TRIVIA:
            return
        line, col = token.start[0], token.start[1] + 1
        self._tokens += 1
        if self._tokens > MAX_TOKENS:
            self._fail(f"more than {MAX_TOKENS} tokens; a program is far smaller", line, col)
        if token.type == tokenize.INDENT:
            self._indents += 1
            if self._indents > MAX_DEPTH:
                self._fail(f"blocks nested more than {MAX_DEPTH} deep", line, col)
            return
        if token.type in (tokenize.NAME, tokenize.ERRORTOKEN) and not token.string.isascii():
            # LibCST and Python disagree on some non-ASCII names; the DSL has none.
            self._fail(f"{token.string!r}: only comments may hold non-ASCII characters", line, col)
        if token.string == ";":
            self._at_start = True
            return
        if self._at_start:
            self._start_statement(token)
        self._statement_tokens += 1
        if self._statement_tokens > MAX_STATEMENT_TOKENS:
            message = f"a statement of more than {MAX_STATEMENT_TOKENS} tokens; split it into several"
            self._fail(message, *self._statement_start)
        if token.string in _OPENING:
            self._brackets.append((token.string, line, col))
            if len(self._brackets) > MAX_DEPTH:
                self._fail(f"brackets nested more than {MAX_DEPTH} deep", line, col)
        elif token.string in _CLOSING and self._brackets:
            self._brackets.pop()

    def _start_statement(self, token: tokenize.TokenInfo) -> None:
        line, col = token.start[0], token.start[1] + 1
        self._at_start = False
        self._statements += 1
        self._statement_tokens = 0
        self._statement_start = (line, col)
        if self._statements > MAX_STATEMENTS:
            self._fail(f"more than {MAX_STATEMENTS} statements; a program is far shorter", line, col)
        indent = token.line[: token.start[1]]
        if not indent.strip(" \t"):  # else a statement after `;` or `:` on the same line
            self._check_indent(indent, line)

    def _check_indent(self, indent: str, line: int) -> None:
        """Fails unless ``indent`` uses the one character every indent so far used."""
        if "\t" in indent and " " in indent:
            self._fail("this line's indent mixes tabs and spaces; indent with spaces only", line, 1)
        style = "\t" if "\t" in indent else " " if " " in indent else None
        if style is None:
            return
        if self._indent_style is None:
            self._indent_style = (style, line)
        elif self._indent_style[0] != style:
            first, this = ("tabs", "spaces") if style == " " else ("spaces", "tabs")
            message = f"this line indents with {this}, line {self._indent_style[1]} with {first}"
            self._fail(message, line, 1)

    def _unfinished(self, err: tokenize.TokenError) -> NoReturn:
        """The text ended inside brackets or a string."""
        if self._brackets:
            bracket, line, col = self._brackets[-1]
            self._fail(f"invalid syntax: '{bracket}' was never closed", line, col)
        message = err.args[0] if err.args else "unexpected end of text"
        where = err.args[1] if len(err.args) > 1 else (1, 0)
        line = min(max(where[0], 1), self._source.count("\n") + 1)
        self._fail(f"invalid syntax: {message}", line, where[1] + 1)
