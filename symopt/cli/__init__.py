"""The ``symopt`` command: a few verbs, each in its own module.

Errors a user can cause (a bad program, config or run folder) are caught here,
once, and printed as one line on stderr with exit code 2, never a traceback.

Example:
    $ symopt check lion
    $ symopt check my_optimizer.py --json
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from symopt.cli import (
    check,
    classify_cmd,
    diff_cmd,
    eval_cmd,
    export_cmd,
    funnel_cmd,
    plot_cmd,
    report_cmd,
    search_cmd,
    show_cmd,
    simplify_cmd,
    tasks_cmd,
)
from symopt.cli.errors import UserError

__all__ = ["main", "build_parser"]

_COMMANDS = (
    check, eval_cmd, tasks_cmd, search_cmd, show_cmd, plot_cmd, funnel_cmd, simplify_cmd, classify_cmd,
    report_cmd, diff_cmd, export_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symopt",
        description="Evolutionary search for neural-network optimizers (the search that found Lion).",
        epilog="Run 'symopt COMMAND --help' for a command's options and an example.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI; returns the exit code (0 ok, 2 bad input, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except UserError as err:
        print(f"symopt {args.command}: {err}" if not err.located else str(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"symopt {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
