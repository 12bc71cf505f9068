"""The function library: every function a program may call, registered once.

Each function has an arity, the kind of each argument (``tensor``, ``scalar`` or
``any``), the kind of its result, a JAX implementation and a one-line doc. The
library follows the paper's 45 functions (SPEC section 2) with the protected
semantics of the public code, so random programs rarely blow up:

* ``sqrt`` and the logs act on ``|x|``; ``log1p(x) = log|1 + x|``;
* division (``div``, ``reciprocal``) adds ``1e-8`` to the denominator;
* ``arcsin``/``arccos`` clip to ``[-1, 1]``, ``arctanh`` to ``(-1, 1)``,
  ``arccosh`` acts on ``max(|x|, 1)``; ``power(x, p) = |x| ** p``;
* constants are clipped to ``+-1e10`` (see :mod:`symopt.dsl.program`).

Left out, with a reason: the public code's bitwise ``invert`` is not defined on
floats, so the library has 44 of the paper's 45 functions.

Implementations take a :class:`Reducer` first. Elementwise functions ignore it;
whole-tensor functions (``norm``, ``global_norm``, ``dot``, ``cosine_sim``,
``clip``) ask it for sums over one parameter tensor or over all of them, which
lets the same implementation run on a flat vector of all parameters (the
executors) whatever the parameter pytree was.

Example:
    >>> FUNCTIONS["interp"].arity
    3
    >>> FUNCTIONS["div"].doc
    'x / (y + 1e-8)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Literal, Mapping, Protocol

import jax.numpy as jnp

__all__ = [
    "ArgKind",
    "ResultKind",
    "Function",
    "Reducer",
    "FUNCTIONS",
    "FUNCTION_NAMES",
    "NAMED_CONSTANTS",
    "EPS",
    "ARCTANH_LIMIT",
    "CONST_LIMIT",
    "register",
]

ArgKind = Literal["tensor", "scalar", "any"]
ResultKind = Literal["tensor", "scalar", "broadcast"]

EPS = 1e-8
"""Added to denominators; also the value of the named constant ``eps``."""

CONST_LIMIT = 1e10
"""Numeric constants are clipped to ``[-CONST_LIMIT, CONST_LIMIT]``."""


class Reducer(Protocol):
    """Sums a value over one parameter tensor or over all parameters.

    Both return arrays that broadcast against ``x``.
    """

    def tensor_sum(self, x: jnp.ndarray) -> jnp.ndarray:
        """Sum of ``x`` over each parameter tensor, broadcast back to ``x``."""

    def global_sum(self, x: jnp.ndarray) -> jnp.ndarray:
        """Sum of ``x`` over all parameters (a scalar)."""


@dataclass(frozen=True)
class Function:
    """One library function.

    Attributes:
        name: the name programs call it by.
        arg_kinds: one kind per argument; the arity is their count.
        result: ``tensor``, ``scalar``, or ``broadcast`` (a tensor if any argument
            is a tensor, else a scalar).
        impl: ``impl(reducer, *args) -> array``.
        doc: one line.
        group: ``constant``, ``unary``, ``whole`` (whole-tensor) or ``binary``.
    """

    name: str
    arg_kinds: tuple[ArgKind, ...]
    result: ResultKind
    impl: Callable[..., jnp.ndarray]
    doc: str
    group: str

    @property
    def arity(self) -> int:
        return len(self.arg_kinds)


_REGISTRY: dict[str, Function] = {}


def register(
    name: str,
    arg_kinds: tuple[ArgKind, ...],
    result: ResultKind,
    impl: Callable[..., jnp.ndarray],
    doc: str,
    group: str,
) -> Function:
    """Adds a function to the library.

    Raises:
        ValueError: if the name is taken or not an identifier.
    """
    if name in _REGISTRY:
        raise ValueError(f"function {name!r} is registered twice")
    if not name.isidentifier():
        raise ValueError(f"function name {name!r} is not an identifier")
    fn = Function(name, tuple(arg_kinds), result, impl, doc, group)
    _REGISTRY[name] = fn
    return fn


def _unary(name: str, fn: Callable[[jnp.ndarray], jnp.ndarray], doc: str) -> None:
    register(name, ("any",), "broadcast", lambda _r, x: fn(x), doc, "unary")


def _binary(name: str, fn: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray], doc: str) -> None:
    register(name, ("any", "any"), "broadcast", lambda _r, x, y: fn(x, y), doc, "binary")


def _constant(name: str, value: float, doc: str) -> None:
    register(name, (), "scalar", lambda _r: jnp.asarray(value, jnp.float32), doc, "constant")


def _safe_div(x: jnp.ndarray, y: jnp.ndarray) -> jnp.ndarray:
    return x / (y + EPS)


def _global_norm(r: Reducer, x: jnp.ndarray) -> jnp.ndarray:
    return jnp.sqrt(r.global_sum(x * x))


def _cosine_sim(r: Reducer, x: jnp.ndarray, y: jnp.ndarray) -> jnp.ndarray:
    return r.global_sum(x * y) / (_global_norm(r, x) * _global_norm(r, y) + EPS)


def _clip(r: Reducer, x: jnp.ndarray, max_norm: jnp.ndarray) -> jnp.ndarray:
    # optax.clip_by_global_norm: leave x alone unless its norm exceeds the bound.
    norm = _global_norm(r, x)
    bound = jnp.abs(max_norm)
    return jnp.where(norm < bound, x, x * bound / (norm + EPS))


ARCTANH_LIMIT = 1.0 - 1e-7
"""``arctanh`` clips its argument to ``[-ARCTANH_LIMIT, ARCTANH_LIMIT]``."""

# Named constants (3).
_constant("pi", math.pi, "the constant pi")
_constant("e", math.e, "the constant e")
_constant("eps", EPS, "the constant 1e-8")

# Elementwise unary (29; the paper's bitwise `invert` is left out).
_unary("abs", jnp.abs, "|x|")
_unary("cos", jnp.cos, "cos(x)")
_unary("sin", jnp.sin, "sin(x)")
_unary("tan", jnp.tan, "tan(x)")
_unary("arcsin", lambda x: jnp.arcsin(jnp.clip(x, -1.0, 1.0)), "arcsin(x) with x clipped to [-1, 1]")
_unary("arccos", lambda x: jnp.arccos(jnp.clip(x, -1.0, 1.0)), "arccos(x) with x clipped to [-1, 1]")
_unary("arctan", jnp.arctan, "arctan(x)")
_unary("sinh", jnp.sinh, "sinh(x)")
_unary("cosh", jnp.cosh, "cosh(x)")
_unary("tanh", jnp.tanh, "tanh(x)")
_unary("arcsinh", jnp.arcsinh, "arcsinh(x)")
_unary("arccosh", lambda x: jnp.arccosh(jnp.maximum(jnp.abs(x), 1.0)), "arccosh(max(|x|, 1))")
_unary(
    "arctanh",
    lambda x: jnp.arctanh(jnp.clip(x, -ARCTANH_LIMIT, ARCTANH_LIMIT)),
    "arctanh(x) with x clipped to (-1, 1)",
)
_unary("exp", jnp.exp, "e ** x")
_unary("exp2", jnp.exp2, "2 ** x")
_unary("exp10", lambda x: jnp.power(10.0, x), "10 ** x")
_unary("expm1", jnp.expm1, "e ** x - 1")
_unary("log", lambda x: jnp.log(jnp.abs(x)), "log|x|")
_unary("log10", lambda x: jnp.log10(jnp.abs(x)), "log10|x|")
_unary("log2", lambda x: jnp.log2(jnp.abs(x)), "log2|x|")
_unary("log1p", lambda x: jnp.log(jnp.abs(1.0 + x)), "log|1 + x|")
_unary("square", jnp.square, "x * x")
_unary("sqrt", lambda x: jnp.sqrt(jnp.abs(x)), "sqrt|x|")
_unary("cube", lambda x: x * x * x, "x ** 3")
_unary("cbrt", jnp.cbrt, "the real cube root of x")
_unary("sign", jnp.sign, "-1, 0 or 1")
_unary("reciprocal", lambda x: 1.0 / (x + EPS), "1 / (x + 1e-8)")
_unary("negative", jnp.negative, "-x")
register(
    "norm",
    ("tensor",),
    "tensor",
    lambda r, x: jnp.sqrt(r.tensor_sum(x * x)) * jnp.ones_like(x),
    "L2 norm of each parameter tensor, broadcast over that tensor",
    "unary",
)

# Whole-tensor (6).
register("global_norm", ("tensor",), "scalar", _global_norm, "L2 norm over all parameters", "whole")
register(
    "dot",
    ("tensor", "tensor"),
    "scalar",
    lambda r, x, y: r.global_sum(x * y),
    "sum of x * y over all parameters",
    "whole",
)
register(
    "cosine_sim",
    ("tensor", "tensor"),
    "scalar",
    _cosine_sim,
    "dot(x, y) / (global_norm(x) * global_norm(y) + 1e-8)",
    "whole",
)
register(
    "clip",
    ("tensor", "scalar"),
    "tensor",
    _clip,
    "x scaled down to global norm |c| when its global norm exceeds |c|",
    "whole",
)
register(
    "interp",
    ("any", "any", "any"),
    "broadcast",
    lambda _r, x, y, a: (1.0 - a) * x + a * y,
    "(1 - a) * x + a * y: the weight a belongs to the second argument",
    "whole",
)
register(
    "power",
    ("any", "any"),
    "broadcast",
    lambda _r, x, p: jnp.power(jnp.abs(x), p),
    "|x| ** p",
    "whole",
)

# Binary (6).
_binary("add", jnp.add, "x + y")
_binary("sub", jnp.subtract, "x - y")
_binary("mul", jnp.multiply, "x * y")
_binary("div", _safe_div, "x / (y + 1e-8)")
_binary("maximum", jnp.maximum, "the larger of x and y")
_binary("minimum", jnp.minimum, "the smaller of x and y")

FUNCTIONS: Mapping[str, Function] = MappingProxyType(_REGISTRY)
"""Every library function by name, in registration order."""

FUNCTION_NAMES: tuple[str, ...] = tuple(_REGISTRY)
"""Names in registration order: a function's index here is its op code."""

NAMED_CONSTANTS: Mapping[str, float] = MappingProxyType({"pi": math.pi, "e": math.e, "eps": EPS})
"""Bare names usable as numeric arguments in source (``interp(g, m, pi)``)."""
