"""A program as a standalone Python module: an optax optimizer factory, no symopt needed.

The module defines ``NAME(learning_rate=1.0, *, b1=..., weight_decay=..., ...)``
returning an ``optax.GradientTransformation``. The program's constants become
keyword arguments named by their role where it is clear (``learning_rate_scale``
for ``lr * c``, ``weight_decay`` for ``w * c``, ``b1``, ``b2``, ... for
interpolation weights) and ``c1``, ``c2``, ... otherwise. Parameters are raveled
into one vector, so every statement is one readable ``jnp`` expression.

Example:
    >>> from symopt.dsl import builtin
    >>> text = export_module(builtin("lion"), name="lion")
    >>> "def lion(" in text and "b1: float = 0.9" in text
    True
"""

from __future__ import annotations

import builtins
import keyword

from symopt.dsl.analysis import live_slots, reduce, validate
from symopt.dsl.functions import ARCTANH_LIMIT, EPS
from symopt.dsl.program import Const, Program, Var
from symopt.dsl.source import to_source

__all__ = ["TEMPLATES", "export_module", "constant_names", "factory_name_problem"]

_E = repr(EPS)
_T = repr(ARCTANH_LIMIT)  # the same clip as the library's arctanh

TEMPLATES: dict[str, str] = {
    "pi": "jnp.pi",
    "e": "jnp.e",
    "eps": _E,
    "abs": "jnp.abs({0})",
    "cos": "jnp.cos({0})",
    "sin": "jnp.sin({0})",
    "tan": "jnp.tan({0})",
    "arcsin": "jnp.arcsin(jnp.clip({0}, -1.0, 1.0))",
    "arccos": "jnp.arccos(jnp.clip({0}, -1.0, 1.0))",
    "arctan": "jnp.arctan({0})",
    "sinh": "jnp.sinh({0})",
    "cosh": "jnp.cosh({0})",
    "tanh": "jnp.tanh({0})",
    "arcsinh": "jnp.arcsinh({0})",
    "arccosh": "jnp.arccosh(jnp.maximum(jnp.abs({0}), 1.0))",
    "arctanh": f"jnp.arctanh(jnp.clip({{0}}, -{_T}, {_T}))",
    "exp": "jnp.exp({0})",
    "exp2": "jnp.exp2({0})",
    "exp10": "jnp.power(10.0, {0})",
    "expm1": "jnp.expm1({0})",
    "log": "jnp.log(jnp.abs({0}))",
    "log10": "jnp.log10(jnp.abs({0}))",
    "log2": "jnp.log2(jnp.abs({0}))",
    "log1p": "jnp.log(jnp.abs(1.0 + {0}))",
    "square": "jnp.square({0})",
    "sqrt": "jnp.sqrt(jnp.abs({0}))",
    "cube": "{0} * {0} * {0}",
    "cbrt": "jnp.cbrt({0})",
    "sign": "jnp.sign({0})",
    "reciprocal": f"1.0 / ({{0}} + {_E})",
    "negative": "-{0}",
    "norm": "_tensor_norm({0}, segments)",
    "global_norm": "jnp.sqrt(jnp.sum({0} * {0}))",
    "dot": "jnp.sum({0} * {1})",
    "cosine_sim": f"jnp.sum({{0}} * {{1}}) / (jnp.sqrt(jnp.sum({{0}} * {{0}})) * jnp.sqrt(jnp.sum({{1}} * {{1}})) + {_E})",
    "clip": "_clip_by_global_norm({0}, {1})",
    "interp": "(1.0 - {2}) * {0} + {2} * {1}",
    "power": "jnp.power(jnp.abs({0}), {1})",
    "add": "{0} + {1}",
    "sub": "{0} - {1}",
    "mul": "{0} * {1}",
    "div": f"{{0}} / ({{1}} + {_E})",
    "maximum": "jnp.maximum({0}, {1})",
    "minimum": "jnp.minimum({0}, {1})",
}
"""One ``str.format`` template per library function (arguments as ``{0}``, ``{1}``, ...)."""

_HELPERS = {
    "norm": '''
def _tensor_norm(x, segments):
    """The L2 norm of each parameter tensor, broadcast over that tensor."""
    ids, count = segments
    return jnp.sqrt(jax.ops.segment_sum(x * x, ids, num_segments=count))[ids]
''',
    "clip": f'''
def _clip_by_global_norm(x, bound):
    """x scaled down to global norm |bound| when its norm exceeds it."""
    norm = jnp.sqrt(jnp.sum(x * x))
    bound = jnp.abs(bound)
    return jnp.where(norm < bound, x, x * bound / (norm + {_E}))
''',
}


def constant_names(program: Program) -> dict[tuple[int, int], str]:
    """Names each constant of ``program`` by its role.

    Example:
        >>> from symopt.dsl import builtin
        >>> sorted(set(constant_names(builtin("lion")).values()))
        ['b1', 'b2', 'learning_rate_scale', 'weight_decay']
    """
    names: dict[tuple[int, int], str] = {}
    counts = {"b": 0, "c": 0}
    role_seen: set[str] = set()
    for i, st in enumerate(program.statements):
        for k, arg in enumerate(st.args):
            if not isinstance(arg, Const):
                continue
            reads = {a.name for a in st.args if isinstance(a, Var)}
            role = None
            if st.fn == "mul" and reads == {"lr"}:
                role = "learning_rate_scale"
            elif st.fn == "mul" and reads == {"w"}:
                role = "weight_decay"
            if role is not None and role not in role_seen:
                role_seen.add(role)
                names[(i, k)] = role
            elif st.fn == "interp" and k == 2:
                counts["b"] += 1
                names[(i, k)] = f"b{counts['b']}"
            else:
                counts["c"] += 1
                names[(i, k)] = f"c{counts['c']}"
    return names


# Names the generated code uses itself; program variables that clash get a trailing "_".
_RESERVED = frozenset(
    "jax jnp np optax ravel_pytree unravel segments state step params updates "
    "learning_rate new_state zeros sizes Any NamedTuple init_fn update_fn "
    "_tensor_norm _clip_by_global_norm".split()
)


def _py_name(name: str, taken: frozenset[str] = frozenset()) -> str:
    while keyword.iskeyword(name) or name in _RESERVED or name in taken:
        name = f"{name}_"
    return name


def factory_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name the exported factory, or ``None`` if it can.

    Refused: what is not an identifier, keywords, names of Python's builtins, and
    the names the generated module itself uses (``jax``, ``jnp``, ``optax``, ...),
    which the factory's ``def`` would shadow.

    Example:
        >>> factory_name_problem("lion") is None
        True
        >>> factory_name_problem("jnp")
        'is a name the generated module uses itself (jax, jnp, np, optax, ...)'
    """
    if not name.isidentifier():
        return "is not a Python identifier"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name in _RESERVED:
        return "is a name the generated module uses itself (jax, jnp, np, optax, ...)"
    if hasattr(builtins, name):
        return "would shadow the Python builtin of that name"
    return None


def export_module(program: Program, name: str = "discovered", origin: str = "") -> str:
    """Python source of a module defining ``name(...)``, an optax optimizer factory.

    The program is reduced first (dead code is not exported); state slots it does
    not use are not allocated.

    Raises:
        InvalidProgram: if abstract execution rejects the program.
        ValueError: if ``name`` is not a Python identifier or would shadow a name
            the module uses (see :func:`factory_name_problem`).
    """
    problem = factory_name_problem(name)
    if problem:
        raise ValueError(f"{name!r} {problem}; choose another name")
    validate(program)
    reduced = reduce(program)
    slots = live_slots(reduced)
    names = constant_names(reduced)
    values = {n: reduced.statements[i].args[k].value for (i, k), n in names.items()}  # type: ignore[union-attr]

    kwnames = frozenset(names.values())

    def var(v: str) -> str:
        # Inputs and slots keep their names unless they clash; so do temporaries.
        return _py_name(v, kwnames)

    def arg_text(i: int, k: int) -> str:
        arg = reduced.statements[i].args[k]
        return names[(i, k)] if isinstance(arg, Const) else var(arg.name)

    body = []
    for i, st in enumerate(reduced.statements):
        expr = TEMPLATES[st.fn].format(*(arg_text(i, k) for k in range(len(st.args))))
        body.append(f"        {var(st.target)} = {expr}")
    used = {st.fn for st in reduced.statements}
    helpers = "".join(_HELPERS[f] for f in sorted(used & set(_HELPERS)))
    # Only the per-tensor norm needs the tensor boundaries.
    segments = (
        "        sizes = [int(np.size(x)) for x in jax.tree_util.tree_leaves(updates)]\n"
        "        segments = (jnp.asarray(np.repeat(np.arange(len(sizes)), sizes)), len(sizes))\n"
        if "norm" in used
        else ""
    )
    state_cls = name.title().replace("_", "") + "State"
    kwargs = "".join(f"    {n}: float = {values[n]!r},\n" for n in names.values())
    slot_init = ", ".join(f"{s}=zeros" for s in slots)
    slot_read = "".join(f"        {var(s)} = ravel_pytree(state.{s})[0]\n" for s in slots)
    slot_write = ", ".join(f"{s}=unravel({var(s)})" for s in slots)
    fields = "".join(f"    {s}: Any\n" for s in slots)
    source_lines = "\n".join("    " + line for line in to_source(program).splitlines())
    where = f"\nFound by symopt: {origin}\n" if origin else ""
    return f'''"""{name}: an optimizer discovered by program search, as an optax GradientTransformation.
{where}
Depends only on jax and optax. The symopt program it was generated from:

{source_lines}

Usage:
    opt = {name}(learning_rate=optax.cosine_decay_schedule(1.0, 10_000))
    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = optax.apply_updates(params, updates)

``learning_rate`` is the program's ``lr`` input (a float or a schedule of the step
count); the program's own constants (keyword arguments below) set the scale.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

__all__ = ["{name}", "{state_cls}"]


class {state_cls}(NamedTuple):
    count: Any
{fields}
{helpers}

def {name}(
    learning_rate=1.0,
    *,
{kwargs}) -> optax.GradientTransformation:
    """The discovered optimizer; keyword arguments are the program's constants."""

    def init_fn(params):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return {state_cls}(count=jnp.zeros([], jnp.int32), {slot_init})

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("this optimizer reads the weights: pass params to update()")
        {var("g")}, unravel = ravel_pytree(updates)
        {var("w")}, _ = ravel_pytree(params)
{segments}        {var("lr")} = learning_rate(state.count) if callable(learning_rate) else learning_rate
        {var("lr")} = jnp.asarray({var("lr")}, jnp.float32)
{slot_read}{chr(10).join(body)}
        step = jnp.broadcast_to({var(reduced.output)}, {var('g')}.shape)
        new_state = {state_cls}(count=optax.safe_increment(state.count), {slot_write})
        return unravel(-step), new_state

    return optax.GradientTransformation(init_fn, update_fn)
'''
