"""The ``symopt`` command: a few verbs, each in its own module.

Errors a user can cause (a bad program, config or run folder) are caught here,
once, and printed as one line on stderr with exit code 2, never a traceback.
Only the verb asked for is imported, so ``symopt check FILE`` reads and
limit-checks the text before anything imports JAX (a huge or deeply nested
file is refused in a fraction of a second). A reader that closes the pipe
early (``symopt check lion | head -1``) ends the command quietly with exit
code 141, as ``SIGPIPE`` ends other tools.

Example:
    $ symopt check lion
    $ symopt check my_optimizer.py --json
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType
from typing import Sequence

from symopt.cli.errors import UserError

__all__ = ["main", "build_parser"]

_VERBS = {
    "check": "check",
    "eval": "eval_cmd",
    "tasks": "tasks_cmd",
    "search": "search_cmd",
    "show": "show_cmd",
    "plot": "plot_cmd",
    "funnel": "funnel_cmd",
    "simplify": "simplify_cmd",
    "classify": "classify_cmd",
    "report": "report_cmd",
    "diff": "diff_cmd",
    "export": "export_cmd",
}
"""Each verb -> its module in this package, in the order ``symopt --help`` lists them."""

BROKEN_PIPE = 141
"""The exit code when stdout's reader went away: 128 + SIGPIPE, what a shell reports for tools it kills."""


def _verb_modules(verb: str | None) -> list[ModuleType]:
    names = [_VERBS[verb]] if verb in _VERBS else list(_VERBS.values())
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: with ``verb``, only that verb's (the others' modules are not imported)."""
    parser = argparse.ArgumentParser(
        prog="symopt",
        description="Evolutionary search for neural-network optimizers (the search that found Lion).",
        epilog="Run 'symopt COMMAND --help' for a command's options and an example.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _verb_modules(verb):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI; returns the exit code (0 ok, 2 bad input, 130 interrupted, 141 closed pipe)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(argv[0] if argv else None).parse_args(argv)
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except UserError as err:
        print(f"symopt {args.command}: {err}" if not err.located else str(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"symopt {argv[0] if argv else ''}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE


def _silence_stdout() -> None:
    """Points stdout at the null device, so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test's capture)
        pass


if __name__ == "__main__":
    sys.exit(main())
