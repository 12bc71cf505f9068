"""Random VALID programs over the whole function library, from a NumPy generator.

Unlike ``tests/strategies.py`` (hypothesis, structurally well formed but not
type checked), these programs pass abstract execution: each argument is drawn
among the variables defined at that point whose kind the function accepts, or
a constant where a scalar is accepted; programs that still fail validation (a
scalar update or state slot) are drawn again.

Example:
    >>> import numpy as np
    >>> from symopt.dsl.analysis import is_valid
    >>> p = random_valid_program(np.random.default_rng(0))
    >>> is_valid(p)
    True
"""

from __future__ import annotations

import numpy as np

from symopt.dsl.analysis import is_valid, kinds_before
from symopt.dsl.functions import FUNCTION_NAMES, FUNCTIONS
from symopt.dsl.program import DEFAULT_STATE, Arg, Const, Program, Statement, Var

__all__ = [
    "random_constant",
    "random_statement",
    "random_program",
    "random_valid_program",
    "random_variant",
]

_FRESH = ("t0", "t1", "t2", "t3")


def random_constant(rng: np.random.Generator) -> Const:
    """Mostly N(0, 1); sometimes a small or large magnitude (a learning rate, a decay)."""
    if rng.random() < 0.6:
        return Const(float(rng.standard_normal()))
    return Const(float(rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-5.0, 2.0)))


def _argument(rng: np.random.Generator, wanted: str, env: dict[str, str]) -> Arg:
    names = [n for n, kind in env.items() if wanted in ("any", kind)]
    if wanted != "tensor" and (not names or rng.random() < 0.3):
        return random_constant(rng)
    return Var(str(rng.choice(names)))


def random_statement(rng: np.random.Generator, program: Program, index: int) -> Statement:
    """A statement that type-checks at position ``index`` of ``program``."""
    env = kinds_before(program, index)
    fn = FUNCTIONS[str(rng.choice(FUNCTION_NAMES))]
    args = tuple(_argument(rng, kind, env) for kind in fn.arg_kinds)
    # Favour writing the update and the slots, so that many programs are valid.
    target = str(rng.choice(["update", "update", *program.state, *_FRESH, "lr"]))
    return Statement(target, fn.name, args)


def random_program(
    rng: np.random.Generator, max_statements: int = 10, state: tuple[str, ...] = DEFAULT_STATE
) -> Program:
    """A program whose every statement type-checks; the update or a slot may end a scalar."""
    program = Program((), state=state)
    for i in range(int(rng.integers(1, max_statements + 1))):
        program = program.with_changes(statements=(*program.statements, random_statement(rng, program, i)))
    return program


def random_valid_program(rng: np.random.Generator, max_statements: int = 10) -> Program:
    """Draws :func:`random_program` until one passes :func:`symopt.dsl.analysis.validate`."""
    while True:
        program = random_program(rng, max_statements)
        if is_valid(program):
            return program


def random_variant(rng: np.random.Generator, base: Program, max_inserts: int = 2) -> Program:
    """A valid variant of ``base`` like those a search from it meets: every constant
    scaled by ``2 ** N(0, 0.25)`` and up to ``max_inserts`` random statements inserted."""
    while True:
        statements = [
            st.with_changes(
                args=tuple(
                    Const(a.value * 2.0 ** rng.normal(0.0, 0.25)) if isinstance(a, Const) else a
                    for a in st.args
                )
            )
            for st in base.statements
        ]
        program = base.with_changes(statements=tuple(statements))
        for _ in range(int(rng.integers(0, max_inserts + 1))):
            index = int(rng.integers(0, len(program) + 1))
            new = random_statement(rng, program, index)
            program = program.with_changes(
                statements=(*program.statements[:index], new, *program.statements[index:])
            )
        if is_valid(program):
            return program
