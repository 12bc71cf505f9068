"""Typed loading: plain YAML data into frozen dataclasses, with key paths in every error.

:func:`build` walks a dataclass's type hints: nested dataclasses, ``Literal``,
unions (``int | None``), ``int``, ``float``, ``bool``, ``str``, ``tuple[X, ...]``
and raw ``Mapping`` sections. A dataclass checks its own ranges in
``__post_init__`` with :func:`check`; :func:`build` adds where the value sits.
A field whose YAML key is a Python keyword (``pass``) is declared as
``pass_: str = field(default=..., metadata={KEY: "pass"})``; a field that is no
YAML key at all (set by code) has ``metadata={YAML_HIDDEN: True}``. A dataclass
defined outside the config (the proxy tasks' ``TaskSpec`` and ``FitnessSpec``)
is used as a section as it is, through an :class:`Adapter` registered with
:func:`register`: its defaults, hidden fields and range checks.
:func:`to_plain` is the inverse (dataclasses to dicts, tuples to lists), so
``build(cls, to_plain(x)) == x``.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Budget:
    ...     max_children: int | None = None
    ...     def __post_init__(self):
    ...         check(self.max_children is None or self.max_children >= 1,
    ...               "max_children", "an integer >= 1 or null", self.max_children)
    >>> build(Budget, {"max_children": 5})
    Budget(max_children=5)
    >>> build(Budget, {"max_children": 0}, "search.budget")
    Traceback (most recent call last):
    ...
    symopt.config._schema.SchemaError: search.budget.max_children: expected an integer >= 1 or null, got 0
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Union

__all__ = [
    "KEY",
    "YAML_HIDDEN",
    "Adapter",
    "FieldError",
    "SchemaError",
    "build",
    "check",
    "describe",
    "join",
    "register",
    "to_plain",
    "yaml_key",
]

KEY = "yaml_key"
"""Field metadata naming the YAML key of a field whose name cannot be it."""

YAML_HIDDEN = "yaml_hidden"
"""Field metadata (``True``): the field is set by code, never read from or written to YAML."""


@dataclass(frozen=True)
class Adapter:
    """How :func:`build` and :func:`to_plain` treat a dataclass defined outside the config.

    Attributes:
        defaults: an instance whose values missing keys take (``None``: the class's defaults).
        hidden: fields that are no YAML key (they keep their default).
        check: range checks on the converted values before the class is built;
            raises :class:`FieldError`, so errors name the key.
        plain: overrides of :func:`to_plain` per field (e.g. knob pairs as a mapping).
    """

    defaults: Any = None
    hidden: frozenset[str] = frozenset()
    check: Callable[[Mapping[str, Any]], None] = lambda values: None
    plain: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)


_ADAPTERS: dict[type, Adapter] = {}


def register(cls: type, adapter: Adapter) -> None:
    """Makes the dataclass ``cls`` usable as a config section through ``adapter``."""
    _ADAPTERS[cls] = adapter


def _yaml_fields(cls: type) -> list[dataclasses.Field]:
    hidden = _ADAPTERS[cls].hidden if cls in _ADAPTERS else frozenset()
    return [
        f for f in dataclasses.fields(cls)
        if f.init and not f.metadata.get(YAML_HIDDEN) and f.name not in hidden
    ]  # fmt: skip


class FieldError(ValueError):
    """One field of a dataclass holds a bad value (raised by ``__post_init__`` checks).

    Attributes:
        key: the field, relative to the dataclass (may be dotted or indexed).
        expected: what would have been accepted, e.g. ``"an integer >= 1"``.
        got: the value found.
    """

    def __init__(self, key: str, expected: str, got: Any) -> None:
        super().__init__(f"{key}: expected {expected}, got {got!r}")
        self.key, self.expected, self.got = key, expected, got


class SchemaError(ValueError):
    """A value that does not fit the schema, located by its key path.

    Attributes:
        path: e.g. ``search.population_size`` or ``fitness.tasks[0].knobs``.
        problem: what is wrong, e.g. ``expected an integer, got 'many'``.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path, self.problem = path, problem


def check(ok: bool, key: str, expected: str, got: Any) -> None:
    """Raises :class:`FieldError` unless ``ok`` (for ``__post_init__`` range checks)."""
    if not ok:
        raise FieldError(key, expected, got)


def join(path: str, key: str | int) -> str:
    """``join("a", "b") == "a.b"``; ``join("a", 0) == "a[0]"``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.startswith("["):
        return path + key
    return f"{path}.{key}" if path else key


def yaml_key(f: dataclasses.Field) -> str:
    """The YAML key of a dataclass field: its name, unless its metadata gives :data:`KEY`."""
    return f.metadata.get(KEY, f.name)


def build(cls: type, data: Any, path: str = "") -> Any:
    """``data`` (plain YAML values) as an instance of the dataclass ``cls``.

    Missing keys take the field defaults; unknown keys are errors.

    Raises:
        SchemaError: naming the key path and what was expected.
    """
    return _convert(cls, data, path)


def to_plain(value: Any) -> Any:
    """Dataclasses, tuples and mappings as dicts and lists (YAML-ready)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain = _ADAPTERS[type(value)].plain if type(value) in _ADAPTERS else {}
        return {
            yaml_key(f): to_plain(plain.get(f.name, lambda v: v)(getattr(value, f.name)))
            for f in _yaml_fields(type(value))
        }
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_plain(v) for v in value]
    return value


def describe(hint: Any) -> str:
    """What a type accepts, in words, e.g. ``"an integer or null"``."""
    origin = typing.get_origin(hint)
    if hint is type(None):
        return "null"
    if origin is Literal:
        return "one of " + ", ".join(repr(c) for c in typing.get_args(hint))
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(hint))
    if origin is tuple:
        return f"a list of {_plural(typing.get_args(hint)[0])}"
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return "a mapping"
    if dataclasses.is_dataclass(hint):
        return "a mapping with keys " + ", ".join(yaml_key(f) for f in _yaml_fields(hint))
    return _WORDS.get(hint, getattr(hint, "__name__", str(hint)))


_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string", Any: "anything"}
_PLURALS = {int: "integers", float: "numbers", bool: "booleans", str: "strings"}


def _plural(hint: Any) -> str:
    return _PLURALS.get(hint) or describe(hint)


class _Mismatch(Exception):
    """The value does not have the hinted type (turned into a SchemaError by the caller)."""


def _convert(hint: Any, value: Any, path: str) -> Any:
    try:
        return _CONVERTERS[_family(hint)](hint, value, path)
    except _Mismatch:
        raise SchemaError(path, f"expected {describe(hint)}, got {value!r}") from None


def _family(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return "dataclass"
    if origin is Literal:
        return "literal"
    if origin in (Union, types.UnionType):
        return "union"
    if origin is tuple:
        return "tuple"
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return "mapping"
    if hint is Any:
        return "any"
    return "scalar"


def _dataclass(cls: Any, value: Any, path: str) -> Any:
    if value is None:
        value = {}  # an empty YAML section (``search:`` alone) means all defaults
    if not isinstance(value, Mapping):
        raise _Mismatch
    adapter = _ADAPTERS.get(cls, Adapter())
    fields = {yaml_key(f): f for f in _yaml_fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in value:
        if key not in fields:
            raise SchemaError(
                join(path, str(key)), f"unknown key (expected one of: {', '.join(fields)})"
            )
    for key, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and adapter.defaults is None and key not in value:
            raise SchemaError(join(path, key), f"missing (expected {describe(hints[f.name])})")
    kwargs = {fields[k].name: _convert(hints[fields[k].name], v, join(path, k)) for k, v in value.items()}
    try:
        adapter.check(kwargs)
        if adapter.defaults is not None:
            return dataclasses.replace(adapter.defaults, **kwargs)
        return cls(**kwargs)
    except FieldError as err:
        raise SchemaError(join(path, err.key), f"expected {err.expected}, got {err.got!r}") from None


def _literal(hint: Any, value: Any, path: str) -> Any:
    # bool == int in Python: keep ``true`` from matching a Literal[1].
    for choice in typing.get_args(hint):
        if value == choice and type(value) is type(choice):
            return choice
    raise _Mismatch


def _union(hint: Any, value: Any, path: str) -> Any:
    args = typing.get_args(hint)
    if value is None:
        if type(None) in args:
            return None
        raise _Mismatch
    for arg in args:
        if arg is type(None):
            continue
        try:
            return _convert(arg, value, path)
        except SchemaError as err:
            # An error deeper inside a matching container is the real one.
            if err.path != path:
                raise
    raise _Mismatch


def _tuple(hint: Any, value: Any, path: str) -> tuple:
    args = typing.get_args(hint)
    if not isinstance(value, (list, tuple)) or len(args) != 2 or args[1] is not Ellipsis:
        raise _Mismatch
    return tuple(_convert(args[0], v, join(path, i)) for i, v in enumerate(value))


def _mapping(hint: Any, value: Any, path: str) -> Any:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _Mismatch
    args = typing.get_args(hint)
    inner = args[1] if len(args) == 2 else Any
    # A plain dict (not a read-only proxy) so that configs pickle and deep-copy;
    # nothing in symopt mutates one.
    return {k: _convert(inner, v, join(path, k)) for k, v in value.items()}


def _any(hint: Any, value: Any, path: str) -> Any:
    return value


def _scalar(hint: Any, value: Any, path: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            # PyYAML reads ``1e-3`` (no dot) as a string; accept what float() accepts.
            try:
                parsed = float(value)
            except ValueError:
                raise _Mismatch from None
            if not math.isnan(parsed):
                return parsed
    elif hint is str:
        if isinstance(value, str):
            return value
    else:
        raise TypeError(f"{path}: unsupported type {hint!r} in the schema")
    raise _Mismatch


_CONVERTERS = {
    "dataclass": _dataclass,
    "literal": _literal,
    "union": _union,
    "tuple": _tuple,
    "mapping": _mapping,
    "any": _any,
    "scalar": _scalar,
}
