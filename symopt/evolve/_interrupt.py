"""Stopping a campaign cleanly on Ctrl-C (SIGINT) or SIGTERM.

Python's default SIGINT raises :class:`KeyboardInterrupt` wherever the program
happens to be, possibly halfway through writing a history line. Inside
:class:`GracefulStop` the first signal only sets a flag, which the campaign
loop checks between steps: it then writes a checkpoint and returns. A second
Ctrl-C raises :class:`KeyboardInterrupt` at once, for a loop that is stuck.

Example:
    >>> import os, signal
    >>> with GracefulStop() as stop:
    ...     os.kill(os.getpid(), signal.SIGINT)
    ...     stop.requested, stop.exit_code
    (True, 130)
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

__all__ = ["GracefulStop"]


class GracefulStop:
    """Turns SIGINT / SIGTERM into a flag while active (main thread only).

    Attributes:
        signal_number: the first signal received, or ``None``.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.signal_number is not None

    @property
    def exit_code(self) -> int:
        """``128 + signal``, the shell's convention: 130 for Ctrl-C, 143 for SIGTERM."""
        return 128 + (self.signal_number or 0)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signal_number is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal_number = self.signal_number or signum

    def __enter__(self) -> "GracefulStop":
        # signal.signal only works in the main thread; elsewhere keep the defaults.
        if threading.current_thread() is threading.main_thread():
            for signum in self._SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
