"""How a campaign ends: its result, or the errors that stop it.

Example:
    >>> issubclass(RunWriteError, CampaignError)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from symopt.runs import Stats

__all__ = ["CampaignError", "CampaignResult", "RunWriteError"]


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
