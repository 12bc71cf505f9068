"""How a campaign ends: its result, or the errors that stop it.

Example:
    >>> issubclass(RunWriteError, CampaignError)
    True
"""

from __future__ import annotations

import contextlib
import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import symopt.runs as layout
from symopt.runs import Stats

__all__ = ["CampaignError", "CampaignResult", "RunWriteError", "writing"]


class CampaignError(RuntimeError):
    """The campaign cannot go on: Ray could not start or join, or workers kept dying.

    A checkpoint was written first when there was anything to save.
    """


class RunWriteError(CampaignError):
    """Writing into the run folder failed (the disk is full, say); the last checkpoint is intact."""


@dataclass(frozen=True)
class CampaignResult:
    """How a campaign ended.

    Attributes:
        run_dir: its folder.
        stats: the final counters.
        finished: it reached its budget (else it was interrupted).
        exit_code: 0 finished, 130 Ctrl-C, 143 SIGTERM.
    """

    run_dir: Path
    stats: Stats
    finished: bool
    exit_code: int


@contextlib.contextmanager
def writing(folder: Path, what: str, saved: int | None) -> Iterator[None]:
    """Turns a failed write into the run folder (a full disk) into one line: what failed, what is
    safe (``saved``: evaluations in the last checkpoint, ``None``: none yet), how to go on."""
    try:
        yield
    except OSError as err:
        full = err.errno in (errno.ENOSPC, errno.EDQUOT)
        cause = "the disk is full" if full else (err.strerror or str(err))
        kept = (
            f"the last checkpoint ({saved} evaluations) is intact"
            if saved is not None
            else f"no checkpoint yet; {layout.HISTORY} is replayed on resume"
        )
        fix = "free some space" if full else "fix that"
        raise RunWriteError(
            f"{folder}: cannot write {what} ({cause}); {kept}; {fix}, then resume with: "
            f"symopt search --resume {folder}"
        ) from err
