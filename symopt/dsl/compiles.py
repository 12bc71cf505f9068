"""Counting XLA compilations, to prove that programs are passed as data.

Example:
    >>> import jax, jax.numpy as jnp
    >>> f = jax.jit(lambda x: x + 1)
    >>> a, b = jnp.ones(3), jnp.zeros(3)
    >>> with CompileCounter() as counter:
    ...     _ = f(a); _ = f(b)
    >>> counter.count
    1
"""

from __future__ import annotations

from typing import Any

import jax.monitoring

__all__ = ["CompileCounter"]

_BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


class CompileCounter:
    """A context manager counting backend (XLA) compilations inside it."""

    def __init__(self) -> None:
        self.count = 0

    def _listener(self, event: str, duration: float, **_: Any) -> None:
        if event == _BACKEND_COMPILE_EVENT:
            self.count += 1

    def __enter__(self) -> "CompileCounter":
        jax.monitoring.register_event_duration_secs_listener(self._listener)
        return self

    def __exit__(self, *exc: object) -> None:
        jax.monitoring.unregister_event_duration_listener(self._listener)
