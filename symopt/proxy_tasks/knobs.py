"""Knobs: the size settings of a task family, as frozen dataclasses.

Each family declares a frozen dataclass whose fields are its knobs with their
defaults and whose ``__post_init__`` checks ranges with :func:`at_least` and
:func:`within`. :func:`make_knobs` builds one from loose values (command-line
strings, YAML numbers), converting each by its field's type and naming the knob
in every error.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class K:
    ...     steps: int = 300
    ...     def __post_init__(self):
    ...         at_least(self, 1, "steps")
    >>> make_knobs(K, "demo", {"steps": "20"})
    K(steps=20)
    >>> make_knobs(K, "demo", {"step": 20})
    Traceback (most recent call last):
    ...
    ValueError: unknown knob 'step' for task 'demo' (knobs: steps)
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Literal, Mapping

__all__ = ["make_knobs", "knob_defaults", "at_least", "within"]


def make_knobs(cls: type, task: str, values: Mapping[str, Any]) -> Any:
    """``cls(**values)`` with each value converted to its knob's type.

    Raises:
        ValueError: for an unknown knob (listing the valid ones), a value that
            does not convert, or one out of range; the message names the knob.
    """
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    converted = {}
    for name, value in values.items():
        if name not in names:
            raise ValueError(f"unknown knob {name!r} for task {task!r} (knobs: {', '.join(names)})")
        converted[name] = _convert(name, value, hints[name])
    try:
        return cls(**converted)
    except ValueError as err:
        raise ValueError(f"task {task!r}: {err}") from err


def knob_defaults(cls: type) -> dict[str, Any]:
    """The knobs of ``cls`` with their defaults, in declaration order."""
    return {f.name: f.default for f in dataclasses.fields(cls)}


def at_least(knobs: Any, low: float, *names: str) -> None:
    """Checks ``knobs.<name> >= low`` for each name.

    Raises:
        ValueError: ``knob 'steps' must be >= 1, got 0``.
    """
    for name in names:
        value = getattr(knobs, name)
        if not value >= low:
            raise ValueError(f"knob {name!r} must be >= {low}, got {value!r}")


def within(knobs: Any, name: str, low: float, high: float) -> None:
    """Checks ``low <= knobs.<name> < high``.

    Raises:
        ValueError: naming the knob and the range.
    """
    value = getattr(knobs, name)
    if not low <= value < high:
        raise ValueError(f"knob {name!r} must be in [{low}, {high}), got {value!r}")


def _convert(name: str, value: Any, hint: Any) -> Any:
    if typing.get_origin(hint) is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ValueError(f"knob {name!r} must be one of {', '.join(map(str, choices))}, got {value!r}")
        return value
    try:
        if hint is int:
            return _to_int(value)
        if hint is float:
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if hint is str:
            return str(value)
    except (TypeError, ValueError):
        raise ValueError(f"knob {name!r} must be {_ARTICLE[hint]}, got {value!r}") from None
    raise TypeError(f"knob {name!r} has an unsupported type {hint!r}")


_ARTICLE = {int: "an integer", float: "a number", str: "a string"}


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, str):
        value = float(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    return int(value)
