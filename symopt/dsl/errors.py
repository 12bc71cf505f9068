"""Errors a user can cause with a program, each with a message worth printing.

Example:
    >>> str(DSLSyntaxError("imports are not part of the DSL", "opt.py", 1, 1))
    'opt.py:1:1: imports are not part of the DSL'
"""

from __future__ import annotations

__all__ = ["DSLError", "DSLSyntaxError", "InvalidProgram"]


class DSLError(ValueError):
    """Base class of every error about a program's text or meaning."""


class DSLSyntaxError(DSLError):
    """Source text outside the DSL, located as ``FILE:LINE:COL`` (both 1-based)."""

    def __init__(self, message: str, filename: str = "<string>", line: int = 1, col: int = 1):
        self.message = message
        self.filename = filename
        self.line = line
        self.col = col
        super().__init__(f"{filename}:{line}:{col}: {message}")


class InvalidProgram(DSLError):
    """A program that parses but cannot run: a type error, an unassigned read, ...

    Attributes:
        reason: what is wrong, in words.
        index: the offending statement's position in ``program.statements``, or
            ``None`` when the fault is not one statement's (e.g. a missing output).
    """

    def __init__(self, reason: str, index: int | None = None):
        self.reason = reason
        self.index = index
        where = f"statement {index + 1}: " if index is not None else ""
        super().__init__(f"{where}{reason}")
