"""Descriptive variable names for a simplified program (a renaming: the same function).

Example:
    >>> from symopt.dsl import builtin
    >>> sorted(descriptive_names(builtin("adamw")).items())[:2]
    [('g2', 'square_g'), ('m', 'momentum')]
"""

from __future__ import annotations

from typing import Mapping, Sequence

import jax.numpy as jnp
import numpy as np

from symopt.dsl import FUNCTIONS, Arg, Program, Statement, Var, is_valid, live_slots, program_hash
from symopt.dsl.execute import run_step
from symopt.dsl.flat import SegmentReducer
from symopt.dsl.program import INPUTS
from symopt.simplify._equivalence import CHECK_SIZES
from symopt.simplify._rewrites import _source_at

__all__ = ["descriptive_names", "renamed"]

def _unused(base: str, taken: set[str], first: int | None = None) -> str:
    """``base`` itself, else ``base2``, ``base3``...; from ``base<first>`` when given."""
    if first is None and base not in taken:
        return base
    k = 2 if first is None else first
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"


def _slot_roles(program: Program, slots: Sequence[str]) -> dict[str, str]:
    """``momentum`` for a slot odd in the gradient, ``second_moment`` for an even one.

    One step from zero state with zero weights, once with ``g`` and once with
    ``-g``: a momentum flips sign with the gradient, a second moment does not.
    A slot that is neither (or stays zero) is ``state``.
    """
    size = sum(CHECK_SIZES)
    reducer = SegmentReducer.for_sizes(CHECK_SIZES)
    g = np.random.default_rng(0).normal(size=size).astype(np.float32)
    zeros = tuple(jnp.zeros(size, jnp.float32) for _ in program.state)
    w = np.zeros(size, np.float32)
    _, plus = run_step(program, w, g, 1.0, zeros, reducer)
    _, minus = run_step(program, w, -g, 1.0, zeros, reducer)
    roles = {}
    for slot, p, m in zip(program.state, plus, minus):
        p, m = np.asarray(p), np.asarray(m)
        moved = not np.allclose(p, 0.0)
        odd, even = moved and np.allclose(p, -m), moved and np.allclose(p, m)
        roles[slot] = "momentum" if odd else "second_moment" if even else "state"
    return {slot: roles[slot] for slot in slots}


def _is_decay(program: Program, name: str) -> bool:
    """Whether every write of ``name`` is the input ``w`` times a constant."""
    writes = [i for i, st in enumerate(program.statements) if st.target == name]
    return all(_weight_times_constant(program, i) for i in writes)


def _weight_times_constant(program: Program, index: int) -> bool:
    st = program.statements[index]
    if st.fn != "mul":
        return False
    variables = [a for a in st.args if isinstance(a, Var)]
    return len(variables) == 1 and _source_at(program, variables[0].name, index) == Var("w")


def descriptive_names(program: Program) -> dict[str, str]:
    """New names that say what each variable holds; apply them with :func:`renamed`.

    Live state slots become ``momentum`` (odd in the gradient) or ``second_moment``
    (even), the output ``update``, a temporary only ever set to ``w * c``
    ``decay``, one set once to a one-argument function of a variable
    ``<function>_<variable>`` (``sqrt_second_moment``), and other temporaries
    ``t1``, ``t2``... in order of first assignment. Inputs (``w``, ``g``,
    ``lr``), dead slots and an output that is an input or a slot keep their
    names; a repeated role gets a number (``momentum2``). Names that would not
    change are left out.

    Raises:
        InvalidProgram: if the program is invalid.

    Example:
        >>> from symopt.dsl import builtin
        >>> descriptive_names(builtin("adamw"))
        {'m': 'momentum', 'v': 'second_moment', 'g2': 'square_g', 'sqrt_v': 'sqrt_second_moment', 'wd': 'decay'}
    """
    live = live_slots(program)
    keep = {*INPUTS, *(s for s in program.state if s not in live)}
    if program.output in (*INPUTS, *program.state):
        keep.add(program.output)
    names: dict[str, str] = {}

    def name(old: str, base: str, first: int | None = None) -> None:
        names[old] = _unused(base, keep | set(names.values()), first)

    for slot, role in _slot_roles(program, live).items():
        name(slot, role)
    if program.output not in keep:
        name(program.output, "update")
    for st in program.statements:
        if st.target in names or st.target in keep:
            continue
        if _is_decay(program, st.target):
            name(st.target, "decay")
        elif (derived := _derived_name(program, st, names)) is not None:
            name(st.target, derived)
        else:
            name(st.target, "t", 1)
    return {old: new for old, new in names.items() if old != new}


_MAX_DERIVED = 24  # a longer derived name reads worse than t1


def _derived_name(program: Program, st: Statement, names: Mapping[str, str]) -> str | None:
    """``sqrt_second_moment`` for a temporary set once to a one-argument function of a variable."""
    if FUNCTIONS[st.fn].arity != 1 or not isinstance(st.args[0], Var):
        return None
    if sum(other.target == st.target for other in program.statements) != 1:
        return None
    arg = st.args[0].name
    derived = f"{st.fn}_{names.get(arg, arg)}"
    return derived if len(derived) <= _MAX_DERIVED else None


def renamed(program: Program, names: Mapping[str, str]) -> Program:
    """The program with variables renamed everywhere: signature, body and output.

    Raises:
        ValueError: if the renaming would change what the program computes (two
            names merged into one, or an input renamed).

    Example:
        >>> from symopt.dsl import builtin
        >>> renamed(builtin("lion"), {"m": "momentum"}).signature
        ('w', 'g', 'momentum', 'v', 'lr')
    """
    def arg(a: Arg) -> Arg:
        return Var(names.get(a.name, a.name)) if isinstance(a, Var) else a

    body = tuple(
        Statement(names.get(s.target, s.target), s.fn, tuple(arg(a) for a in s.args))
        for s in program.statements
    )
    state = tuple(names.get(s, s) for s in program.state)
    new = Program(body, state, names.get(program.output, program.output))
    if not is_valid(new) or program_hash(new) != program_hash(program):
        raise ValueError(f"renaming {names} changes the program")
    return new
