"""Programs as arrays, so one compiled training loop runs any program.

:func:`encode` turns a program into a few fixed-shape integer and float arrays
(op codes, argument registers, constants, targets). :func:`make_step` builds a
function of those arrays that runs the program on flat vectors with a register
file and a ``lax.switch`` over the function library. Jitting a training loop
around it compiles once per task; every later program is just new array values,
so it costs no XLA compile.

Registers: ``0`` w, ``1`` g, ``2`` lr, ``3 .. 3+num_slots-1`` the state slots,
then one per other variable name. Every register is a length-``N`` vector;
scalars are stored broadcast (all entries equal), which gives the same results
because abstract execution only lets scalars reach scalar-safe arguments.
The training loop carries the register file from step to step (its slot rows
are the optimizer state), so a step only writes the rows its statements assign:
each statement is one switch branch that reads its operands and returns its row.

Example:
    >>> import jax.numpy as jnp
    >>> from symopt.dsl.program import Program, Statement, Var, Const
    >>> from symopt.dsl.flat import SegmentReducer
    >>> p = Program((Statement("update", "mul", (Var("g"), Const(0.5))),), state=())
    >>> step = make_step(Layout(max_len=4, num_slots=1), SegmentReducer.for_sizes([2]), 2)
    >>> regs = jnp.zeros((Layout(max_len=4, num_slots=1).num_registers, 2))
    >>> upd, regs = step(encode(p, Layout(max_len=4, num_slots=1)), jnp.zeros(2), jnp.ones(2), 1.0, regs)
    >>> upd.tolist()
    [0.5, 0.5]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from symopt.dsl.errors import InvalidProgram
from symopt.dsl.functions import FUNCTION_NAMES, FUNCTIONS, Reducer
from symopt.dsl.program import Const, Program

__all__ = ["Layout", "EncodedProgram", "encode", "make_step", "MAX_ARGS"]

MAX_ARGS = max(f.arity for f in FUNCTIONS.values())
_OPCODE = {name: i for i, name in enumerate(FUNCTION_NAMES)}
_FIXED = ("w", "g", "lr")


@dataclass(frozen=True)
class Layout:
    """The static shape of encoded programs: fixed per compiled task.

    Attributes:
        max_len: the most statements a program may have (pad the rest).
        num_slots: state slots in the register file; programs may use fewer.
    """

    max_len: int = 48
    num_slots: int = 2

    @property
    def num_registers(self) -> int:
        """Rows of the register file: the inputs, the slots, one per statement."""
        return len(_FIXED) + self.num_slots + self.max_len

    @property
    def slot_rows(self) -> slice:
        """The register-file rows that hold the state slots."""
        return slice(len(_FIXED), len(_FIXED) + self.num_slots)


class EncodedProgram(NamedTuple):
    """A program as arrays (NumPy when made; any array type when traced)."""

    ops: np.ndarray  # int32 [L] op code per statement
    args: np.ndarray  # int32 [L, MAX_ARGS] register read per argument
    consts: np.ndarray  # float32 [L, MAX_ARGS] value per constant argument
    is_const: np.ndarray  # bool [L, MAX_ARGS]
    targets: np.ndarray  # int32 [L] register written per statement
    length: np.ndarray  # int32 [] statements in use
    output: np.ndarray  # int32 [] register of the update


def encode(program: Program, layout: Layout = Layout()) -> EncodedProgram:
    """Encodes ``program`` (best reduced first: shorter runs faster).

    Raises:
        InvalidProgram: if it has more statements or state slots than ``layout``.
    """
    n = len(program.statements)
    if n > layout.max_len:
        raise InvalidProgram(f"{n} statements exceed the compiled limit of {layout.max_len}")
    if len(program.state) > layout.num_slots:
        raise InvalidProgram(
            f"{len(program.state)} state slots exceed the compiled limit of {layout.num_slots}"
        )
    registers = {name: i for i, name in enumerate(_FIXED)}
    registers.update({s: len(_FIXED) + i for i, s in enumerate(program.state)})
    next_free = len(_FIXED) + layout.num_slots

    L = layout.max_len
    ops = np.zeros(L, np.int32)
    args = np.zeros((L, MAX_ARGS), np.int32)
    consts = np.zeros((L, MAX_ARGS), np.float32)
    is_const = np.zeros((L, MAX_ARGS), bool)
    targets = np.zeros(L, np.int32)
    for i, st in enumerate(program.statements):
        ops[i] = _OPCODE[st.fn]
        for k, a in enumerate(st.args):
            if isinstance(a, Const):
                consts[i, k] = a.value
                is_const[i, k] = True
            else:
                args[i, k] = registers[a.name]
        if st.target not in registers:
            registers[st.target] = next_free
            next_free += 1
        targets[i] = registers[st.target]
    return EncodedProgram(
        ops, args, consts, is_const, targets, np.int32(n), np.int32(registers[program.output])
    )


def _branch(
    name: str, reducer: Reducer, n: int
) -> Callable[[jnp.ndarray, jnp.ndarray, EncodedProgram], jnp.ndarray]:
    """The switch branch of one function: reads statement ``i``'s operands, returns its row."""
    fn = FUNCTIONS[name]

    def run(regs: jnp.ndarray, i: jnp.ndarray, enc: EncodedProgram) -> jnp.ndarray:
        # Operands are read inside the branch, so each statement is one fused kernel.
        operands = [
            jnp.where(
                enc.is_const[i, k],
                enc.consts[i, k],
                jax.lax.dynamic_index_in_dim(regs, enc.args[i, k], 0, keepdims=False),
            )
            for k in range(fn.arity)
        ]
        return jnp.broadcast_to(fn.impl(reducer, *operands), (n,)).astype(regs.dtype)

    return run


def make_step(
    layout: Layout, reducer: Reducer, n: int
) -> Callable[..., tuple[jnp.ndarray, jnp.ndarray]]:
    """Builds ``step(encoded, w, g, lr, registers) -> (update, registers)``.

    ``w``, ``g`` and ``update`` are ``[n]``, ``lr`` a scalar. ``registers`` is
    the register file ``[layout.num_registers, n]``, carried from one step to
    the next (start it at zeros: the state slots start at zero, and the slots
    are its rows ``3 .. 3 + num_slots - 1``). Carrying it means no step
    rebuilds or clears it: each statement reads its operands and writes one row
    in place. The function is traceable: call it inside a jitted loop.
    """
    branches = [_branch(name, reducer, n) for name in FUNCTION_NAMES]

    def step(
        enc: EncodedProgram, w: jnp.ndarray, g: jnp.ndarray, lr: jnp.ndarray, regs: jnp.ndarray
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        enc = EncodedProgram(*(jnp.asarray(a) for a in enc))
        lr_row = jnp.broadcast_to(jnp.asarray(lr, regs.dtype), (n,))
        regs = regs.at[0].set(w).at[1].set(g).at[2].set(lr_row)

        def body(i: jnp.ndarray, regs: jnp.ndarray) -> jnp.ndarray:
            row = jax.lax.switch(enc.ops[i], branches, regs, i, enc)
            return jax.lax.dynamic_update_index_in_dim(regs, row, enc.targets[i], 0)

        regs = jax.lax.fori_loop(0, enc.length, body, regs)
        return regs[enc.output], regs

    return step
