"""Showing a campaign's progress: a rich progress bar on a terminal, one-line summaries elsewhere.

The bar is off when stdout is not a TTY (logs, CI, subprocesses) or when
``SYMOPT_NO_PROGRESS=1``; then :class:`Progress` prints :meth:`Stats.summary`
lines every ``summary_seconds``.

Example:
    >>> from symopt.runs import Stats
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress(total=None, unit="children", summary_seconds=0.0, stream=out) as bar:
    ...     bar.update(Stats(children=3))
    >>> "children 3" in out.getvalue()
    True
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import IO, Any

from symopt.runs import Stats

__all__ = ["Progress", "progress_enabled"]


def progress_enabled(stream: IO[str] | None = None) -> bool:
    """Whether to draw a bar: a TTY, and ``SYMOPT_NO_PROGRESS`` not set to 1."""
    stream = stream or sys.stdout
    if os.environ.get("SYMOPT_NO_PROGRESS", "") not in ("", "0"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """A progress bar or periodic summaries, fed with :class:`Stats`.

    Args:
        total: the budget the bar fills towards (``None``: no total).
        unit: what ``total`` counts: ``children``, ``trained`` or ``seconds``.
        summary_seconds: seconds between summary lines without a bar.
        stream: where to write (default stdout).
    """

    def __init__(
        self,
        total: float | None,
        unit: str,
        summary_seconds: float,
        stream: IO[str] | None = None,
    ) -> None:
        self.total, self.unit = total, unit
        self.summary_seconds = summary_seconds
        self.stream = stream or sys.stdout
        self._last = -math.inf
        self._bar: Any = None
        self._task: Any = None
        if progress_enabled(self.stream):
            self._start_bar()

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

        self._bar = RichProgress(
            TextColumn("[bold]search"),
            BarColumn(bar_width=20),
            TextColumn("{task.completed:.0f}/{task.total:.0f} " + self.unit if self.total else self.unit),
            TimeElapsedColumn(),
            TextColumn("{task.fields[line]}"),
            console=Console(file=self.stream),
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task("search", total=self.total, line="")

    def _done(self, stats: Stats) -> float:
        return {"children": stats.children, "trained": stats.trained, "seconds": stats.elapsed}[self.unit]

    def update(self, stats: Stats, force: bool = False) -> None:
        """Shows ``stats``: refreshes the bar, or prints a summary when one is due."""
        if self._bar is not None:
            best = "-" if not math.isfinite(stats.best_fitness) else f"{stats.best_fitness:.4f}"
            line = (
                f"children {stats.children}  {stats.evaluations_per_s:.2f} eval/s  "
                f"cache {stats.cache_hit_rate:.0%}  best {best}"
            )
            self._bar.update(self._task, completed=self._done(stats), line=line)
            return
        now = time.monotonic()
        if force or now - self._last >= self.summary_seconds:
            self._last = now
            print(f"[symopt] {stats.summary()}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
