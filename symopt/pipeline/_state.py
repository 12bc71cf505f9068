"""``pipeline.json``: which steps after the search are done in a run folder.

A step is recorded when it finishes, with the number of history lines it saw.
A recorded step is *current* while every step before it is current and, for
the funnel (which reads the history), the history has not grown since (a search
resumed with a larger budget). Recording a step forgets every later one: they
used the old result. So an interrupted or redone pipeline continues exactly
where its results stop being valid.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> state = PipelineState.read(folder).recorded("funnel", history_lines=120, seconds=3.0)
    >>> state.write(folder)
    >>> PipelineState.read(folder).current("funnel", history_lines=120)
    True
    >>> state.current("funnel", history_lines=150), state.current("simplify", history_lines=120)
    (False, False)
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symopt.config import PIPELINE_STEPS
from symopt.runs import PIPELINE_STATE, RunError, atomic_write, read_json_object

__all__ = ["POST_SEARCH_STEPS", "PipelineState"]

POST_SEARCH_STEPS = PIPELINE_STEPS[1:]
"""The steps this file tracks (the search has its own checkpoint)."""


@dataclass(frozen=True)
class PipelineState:
    """The finished steps: ``step -> {"history_lines", "seconds", "finished_at"}``."""

    done: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: str | Path) -> "PipelineState":
        """The folder's state (empty if no step finished yet).

        Raises:
            RunError: a damaged ``pipeline.json``.
        """
        path = Path(folder) / PIPELINE_STATE
        data = read_json_object(path, "pipeline record")
        if data is None:
            return cls()
        try:
            return cls({str(k): dict(v) for k, v in data["done"].items() if k in POST_SEARCH_STEPS})
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise RunError(f"{path}: damaged pipeline record ({err}); delete it to redo every step") from None

    def write(self, folder: str | Path) -> None:
        atomic_write(Path(folder) / PIPELINE_STATE, json.dumps({"done": self.done}, indent=1) + "\n")

    def current(self, step: str, history_lines: int) -> bool:
        """Whether ``step``'s recorded result still holds (see the module docstring)."""
        index = POST_SEARCH_STEPS.index(step)
        for earlier in POST_SEARCH_STEPS[: index + 1]:
            record = self.done.get(earlier)
            if record is None or record.get("history_lines") != history_lines:
                return False
        return True

    def recorded(self, step: str, history_lines: int, seconds: float) -> "PipelineState":
        """This state with ``step`` done now, and every later step forgotten."""
        kept = dict(self.forget_from(step).done)
        now = datetime.datetime.now().isoformat(timespec="seconds")
        kept[step] = {"history_lines": history_lines, "seconds": round(seconds, 3), "finished_at": now}
        return PipelineState(kept)

    def forget_from(self, step: str) -> "PipelineState":
        """This state without ``step`` and the steps after it (their settings changed)."""
        index = POST_SEARCH_STEPS.index(step)
        return PipelineState({k: v for k, v in self.done.items() if POST_SEARCH_STEPS.index(k) < index})
