"""Package faces that import a name's module when the name is first used (PEP 562).

``symopt.dsl``'s face names functions from modules that import JAX (about 1.5 s)
next to ones that need nothing (the errors, the input limits). Importing the face
lazily lets ``symopt check big.py`` refuse a huge or deeply nested file before JAX
is loaded; everything else behaves as an eager face: ``from symopt.dsl import
parse`` and ``symopt.dsl.parse`` both work, ``dir()`` lists ``__all__``.

Example:
    >>> getattr_, dir_ = lazy_face("symopt.dsl", {"DSLError": "errors"})
    >>> getattr_("DSLError").__name__
    'DSLError'
    >>> getattr_("nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'symopt.dsl' has no attribute 'nothing'
"""

from __future__ import annotations

import importlib
import sys
from typing import Callable, Mapping

__all__ = ["lazy_face"]


def lazy_face(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for names defined in its submodules.

    Args:
        package: the package's dotted name.
        where: each exported name -> the submodule defining it, relative to
            ``package`` (``""`` for a submodule exported under its own name).

    Returns:
        ``(__getattr__, __dir__)``; the first imports the submodule and caches the
        value on the package, so each name is looked up once.
    """

    def getattr_(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        sub = where[name]
        module = importlib.import_module(f"{package}.{sub or name}")
        value = module if not sub else getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return getattr_, dir_
