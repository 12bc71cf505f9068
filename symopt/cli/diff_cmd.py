"""``symopt diff``: a statement-level diff of two programs, after reduction.

Dead code is removed from both sides first, so only what changes behaviour shows.

Example:
    $ symopt diff adamw lion
    $ symopt diff runs/quick-20261122-101500:812 lion
"""

from __future__ import annotations

import argparse
import difflib
import sys

from symopt.cli.loading import load_program
from symopt.dsl import program_hash, reduce, to_source

__all__ = ["add_parser", "run", "program_diff"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="statement-level diff of two programs after removing dead code",
        description=(
            "Compare two programs (files, built-in names, or RUN_DIR:ID for a program of a run) "
            "statement by statement, after redundant statements are removed from both."
        ),
        epilog="example: symopt diff adamw lion",
    )
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.set_defaults(run=run)


def program_diff(a_source: str, b_source: str, a_name: str = "a", b_name: str = "b") -> str:
    """A unified diff of two sources, every line of context shown.

    Example:
        >>> print(program_diff("x = 1\\n", "x = 2\\n"), end="")
        --- a
        +++ b
        -x = 1
        +x = 2
    """
    lines = difflib.unified_diff(
        a_source.splitlines(), b_source.splitlines(), a_name, b_name, n=1000, lineterm=""
    )
    return "".join(line + "\n" for line in lines if not line.startswith("@@"))


def run(args: argparse.Namespace) -> int:
    a, b = load_program(args.a), load_program(args.b)
    if program_hash(a.program) == program_hash(b.program):
        print(f"{a.origin} and {b.origin} compute the same thing (hash {program_hash(a.program)})")
    text = program_diff(
        to_source(reduce(a.program)), to_source(reduce(b.program)), a.origin, b.origin
    )
    sys.stdout.write(text or "no statement differs after reduction\n")
    return 0
