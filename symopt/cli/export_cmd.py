"""``symopt export``: write a program as a standalone optax optimizer module.

Example:
    $ symopt export lion -o lion_optimizer.py
    $ python -c "from lion_optimizer import lion; opt = lion(learning_rate=1.0)"
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from symopt.cli.errors import UserError
from symopt.cli.loading import add_program_argument, load_program
from symopt import export_module, factory_name_problem

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a program as a standalone optax optimizer module (jax + optax only)",
        description=(
            "Generate a Python module that defines the program as an optax "
            "GradientTransformation factory, its constants as keyword arguments. The module "
            "depends only on jax and optax: copy it into your own training code."
        ),
        epilog="example: symopt export lion -o lion_optimizer.py",
    )
    add_program_argument(p)
    p.add_argument("-o", "--output", metavar="FILE.py", help="write here (default: stdout)")
    p.add_argument(
        "--name",
        help="the factory's name: an identifier, not a keyword, builtin or jax/jnp/np/optax "
        "(default: from the program's name)",
    )
    p.set_defaults(run=run)


def _default_name(origin: str) -> str:
    stem = os.path.splitext(os.path.basename(origin))[0]
    name = re.sub(r"\W", "_", stem).strip("_").lower() or "discovered"
    return f"opt_{name}" if factory_name_problem(name) else name  # 2021.py, sum.py, jnp.py


def run(args: argparse.Namespace) -> int:
    loaded = load_program(args.program)
    name = args.name or _default_name(loaded.origin)
    try:
        text = export_module(loaded.program, name=name, origin=loaded.origin)
    except ValueError as err:
        raise UserError(str(err)) from err
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as err:
            raise UserError(f"cannot write {args.output}: {err}") from err
        print(f"wrote {args.output}: {name}(learning_rate=..., ...)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
