"""The one exception type the CLI turns into a clean message and exit code 2.

Example:
    >>> str(UserError("no such run folder: runs/x"))
    'no such run folder: runs/x'
"""

from __future__ import annotations

from symopt.dsl import DSLError, DSLSyntaxError

__all__ = ["UserError", "as_user_error"]


class UserError(Exception):
    """A mistake in the user's input, worth one line of explanation.

    Attributes:
        located: the message already starts with ``FILE:LINE:COL:``.
    """

    def __init__(self, message: str, located: bool = False):
        super().__init__(message)
        self.located = located


def as_user_error(err: Exception) -> UserError:
    """Wraps a library error for printing at the CLI edge."""
    return UserError(str(err), located=isinstance(err, DSLSyntaxError))
