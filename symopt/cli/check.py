"""``symopt check``: validate a program and show what abstract execution sees.

Example:
    $ symopt check program4
    $ symopt check my_optimizer.py --json
"""

from __future__ import annotations

import argparse
import json
import sys

from symopt.cli.errors import UserError
from symopt.cli.loading import add_program_argument, load_program

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="validate a program; print its canonical and reduced source, state slots, hash",
        description=(
            "Parse and check a program file or built-in (adamw, lion, sgd, momentum, signum, "
            "program4); print its canonical source, the program with redundant statements "
            "removed, the state slots it really uses, and its functional hash."
        ),
        epilog="example: symopt check program4 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_program_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load_program(args.program)
    except UserError as err:
        if args.json:
            empty = {"source": None, "reduced": None, "state_slots": None, "hash": None}
            print(json.dumps({"valid": False, **empty, "error": str(err)}))
        raise
    from symopt.dsl import live_slots, program_hash, reduce, to_source  # JAX: only for a program that parsed

    program = loaded.program
    reduced = reduce(program)
    report = {
        "valid": True,
        "source": to_source(program),
        "reduced": to_source(reduced),
        "state_slots": list(live_slots(program)),
        "hash": program_hash(program),
        "error": None,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    removed = len(program) - len(reduced)
    out = sys.stdout
    out.write(f"{loaded.origin}: valid, {len(program)} statements, {removed} redundant\n\n")
    out.write(report["source"] + "\n")
    out.write(f"reduced ({len(reduced)} statements):\n\n{report['reduced']}\n")
    slots = ", ".join(report["state_slots"]) or "none"
    out.write(f"state slots used: {slots}\nhash: {report['hash']}\n")
    return 0
