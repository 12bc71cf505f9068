"""A spinner on stderr saying what a long command is doing (``symopt eval``, ``show``).

Drawn only when stderr is a terminal and ``SYMOPT_NO_PROGRESS`` is not set, like
the search's progress bar; elsewhere the block runs silently, so pipes and logs
get only the command's output.

Example:
    >>> with working("training lion") as say:
    ...     say("training lion: seed 2/3")
"""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator

__all__ = ["working"]


@contextlib.contextmanager
def working(text: str) -> Iterator[Callable[[str], None]]:
    """Shows ``text`` with a spinner while the block runs; yields a function that changes the text."""
    from symopt.evolve import progress_enabled

    if not progress_enabled(sys.stderr):
        yield lambda _: None
        return
    from rich.console import Console

    with Console(stderr=True).status(text) as status:
        yield lambda new: status.update(new)
