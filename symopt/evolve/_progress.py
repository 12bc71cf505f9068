"""Showing a campaign's progress: a live two-line display on a terminal, summaries elsewhere.

The bar fills towards the budget that will end the run: of the budgets set
(children, trained, seconds), the one furthest along, since at steady rates it is
reached first; its label names it and an ETA follows. Until the first program is
trained (Ray start, the warm start's JIT compile: ~30 s on 2 cores) the display
says what it is waiting for instead of showing zeros. Every line fits 80 columns.

The display is off when stdout is not a TTY (logs, CI, subprocesses) or when
``SYMOPT_NO_PROGRESS=1``; then :class:`Progress` prints :meth:`Stats.summary`
lines every ``summary_seconds`` (none before the first evaluation; the campaign
prints the final one).

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress({"trained": 600, "seconds": 90}, summary_seconds=0.0, stream=out) as bar:
    ...     bar.update(Stats(children=3, trained=3, evaluations=3, elapsed=45.0))
    >>> "children 3" in out.getvalue()
    True
    >>> budget_line(Stats(trained=100, evaluations=100, elapsed=45.0), {"trained": 600, "seconds": 90})
    (0.5, '45/90 s, ETA 0:45')
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import IO, Any, Mapping

from symopt.config import Config
from symopt.runs import Stats

__all__ = ["for_search", "Progress", "budget_line", "progress_enabled"]

_UNITS = {"children": "children", "trained": "trained", "seconds": "s"}


def progress_enabled(stream: IO[str] | None = None) -> bool:
    """Whether to draw a bar: a TTY, and ``SYMOPT_NO_PROGRESS`` not set to 1."""
    stream = stream or sys.stdout
    if os.environ.get("SYMOPT_NO_PROGRESS", "") not in ("", "0"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def budget_line(stats: Stats, limits: Mapping[str, float]) -> tuple[float | None, str]:
    """The fraction of the binding budget spent, and ``"DONE/TOTAL UNIT, ETA M:SS"``.

    Args:
        stats: the campaign's counters.
        limits: the budgets set, among ``children``, ``trained`` and ``seconds``.

    Returns:
        ``(None, "...")`` when no budget is set; otherwise the largest fraction
        spent among the budgets (the one that will end the run at steady rates)
        and its label. The ETA is the binding budget's remainder at the rate so far.
    """
    done = {"children": stats.children, "trained": stats.trained, "seconds": stats.elapsed}
    if not limits:
        return None, f"{stats.children} children, no budget (Ctrl-C stops, --resume goes on)"
    unit = max(limits, key=lambda u: (done[u] / limits[u], u == "seconds"))
    spent, total = done[unit], limits[unit]
    fraction = min(spent / total, 1.0)
    if unit == "seconds":
        left: float | None = max(total - spent, 0.0)
    else:
        rate = spent / stats.elapsed if stats.elapsed > 0 else 0.0
        left = max(total - spent, 0) / rate if rate > 0 else None
    eta = _clock(left) if left is not None else "-"
    return fraction, f"{spent:.0f}/{total:.0f} {_UNITS[unit]}, ETA {eta}"


def _stats_line(stats: Stats) -> str:
    best = "-" if not math.isfinite(stats.best_fitness) else f"{stats.best_fitness:.4f}"
    return (
        f"best {best}  children {stats.children}  trained {stats.trained} ({stats.failed} failed)  "
        f"{stats.evaluations_per_s:.1f}/s  cache {stats.cache_hit_rate:.0%}"
    )


class Progress:
    """A live display or periodic summaries, fed with :class:`Stats`.

    Args:
        limits: the budgets set, among ``children``, ``trained`` and ``seconds``.
        summary_seconds: seconds between summary lines without a display.
        stream: where to write (default stdout).
        starting: what happens before the first evaluation, shown instead of zeros.
    """

    def __init__(
        self,
        limits: Mapping[str, float],
        summary_seconds: float,
        stream: IO[str] | None = None,
        starting: str = "training the first program (JIT compile)",
    ) -> None:
        self.limits = dict(limits)
        self.summary_seconds = summary_seconds
        self.stream = stream or sys.stdout
        self.starting = starting
        self._stats = Stats()
        self._last = -math.inf
        self._live: Any = None
        self._t0 = time.monotonic()
        if progress_enabled(self.stream):
            self._start_live()

    def _start_live(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.live import Live

        console = console or Console(file=self.stream)
        self._live = Live(get_renderable=self.render, console=console, refresh_per_second=4, transient=True)
        self._live.start()

    def render(self) -> Any:
        """The two lines on screen: the budget bar, then the counters (or what it waits for)."""
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        stats = self._stats
        fraction, label = budget_line(stats, self.limits)
        head = Table.grid(padding=(0, 1))
        if stats.evaluations == 0:
            waited = _clock(time.monotonic() - self._t0)
            head.add_row(Spinner("dots"), Text(f"search: {self.starting} ({waited})", overflow="fold"))
            return head
        bar = ProgressBar(total=1.0, completed=fraction or 0.0, width=24, pulse=fraction is None)
        head.add_row(Text("search"), bar, Text(label, overflow="fold"))
        return Group(head, Text(_stats_line(stats), overflow="fold"))

    def update(self, stats: Stats, force: bool = False) -> None:
        """Shows ``stats``: the display redraws itself; without one, a summary line when due."""
        self._stats = stats
        if self._live is not None:
            return
        if stats.evaluations == 0:
            if self._last == -math.inf:  # once, instead of a line of zeros
                self._last = time.monotonic()
                print(f"[symopt] {self.starting} ...", file=self.stream, flush=True)
            return
        now = time.monotonic()
        if force or now - self._last >= self.summary_seconds:
            self._last = now
            _, label = budget_line(stats, self.limits)
            print(f"[symopt] {stats.summary()}; {label}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def for_search(config: Config, stream: IO[str]) -> Progress:
    """The progress display of a search of ``config``: its set budgets, and what the first
    evaluation waits for (the warm start's compile).

    Example:
        >>> import io
        >>> from symopt.config import Budget, Config, SearchConfig
        >>> config = Config(search=SearchConfig(budget=Budget(max_trained=600, max_seconds=90)))
        >>> with for_search(config, io.StringIO()) as bar:
        ...     bar.limits, bar.starting
        ({'trained': 600.0, 'seconds': 90.0}, 'training the warm start (adamw; the first run compiles)')
    """
    budget = config.search.budget
    limits = {"children": budget.max_children, "trained": budget.max_trained, "seconds": budget.max_seconds}
    starting = f"training the warm start ({Path(config.search.warm_start).stem}; the first run compiles)"
    set_limits = {unit: float(t) for unit, t in limits.items() if t is not None}
    return Progress(set_limits, config.output.summary_seconds, stream, starting)
