"""Scalar draws from a ``numpy.random.Generator``: what its methods return, for less.

A scalar ``rng.integers(n)`` costs about 3 us, ``rng.choice(n, size=2,
replace=False)`` about 20 us and ``rng.random()`` about 1 us, nearly all of it
argument handling around a few nanoseconds of generator work; a search draws
several per child. These
functions take the same 32-bit words from the same bit generator, through its
documented ctypes interface (``BitGenerator.ctypes.next_uint32``, which shares
the generator's state and its buffered half-word), and apply numpy's own
algorithms: Lemire's bounded integers, and for a sample without replacement
Floyd's algorithm then a Fisher-Yates shuffle of the picks. So each returns what
the numpy call returns and leaves the generator as the numpy call would
(``tests/test_proposal.py`` checks both over many states). Cases outside those
algorithms (bounds past 32 bits, large populations) are handed to numpy.

Like any use of one generator, not for several threads at once (numpy's
methods take the generator's lock; these calls do not).

Example:
    >>> import numpy as np
    >>> a, b = np.random.default_rng(3), np.random.default_rng(3)
    >>> [below(a, 10) for _ in range(5)] == [int(b.integers(10)) for _ in range(5)]
    True
    >>> sample(a, 1000, 2) == b.choice(1000, size=2, replace=False).tolist()
    True
    >>> (uniform(a), normal(a)) == (b.random(), b.normal())
    True
"""

from __future__ import annotations

from typing import Callable

import numpy as np

NextWord = Callable[[object], int]
"""The bit generator's ``ctypes.next_uint32``: called with its ``ctypes.state``, returns 32 bits."""

__all__ = ["below", "sample", "uniform", "normal"]

_WORD = 0xFFFFFFFF
_FLOYD_LIMIT = 10000
"""numpy samples without replacement by Floyd's algorithm up to this population size."""


def below(rng: np.random.Generator, n: int) -> int:
    """``int(rng.integers(n))``: a uniform integer in ``[0, n)``.

    Example:
        >>> below(np.random.default_rng(0), 1)  # draws nothing, as numpy
        0
    """
    if n == 1:
        return 0
    if not 1 < n <= _WORD:
        return int(rng.integers(n))
    bits = rng.bit_generator.ctypes
    return _lemire(bits.next_uint32, bits.state, n)


def uniform(rng: np.random.Generator) -> float:
    """``rng.random()``: numpy's scalar draw is the bit generator's ``next_double``."""
    bits = rng.bit_generator.ctypes
    return bits.next_double(bits.state)


def normal(rng: np.random.Generator) -> float:
    """``float(rng.normal())``: numpy computes ``0.0 + 1.0 * standard_normal()``, the same draw
    with ``-0.0`` made ``0.0``, and checks its arguments first."""
    return rng.standard_normal() + 0.0


def sample(rng: np.random.Generator, n: int, k: int) -> list[int]:
    """``rng.choice(n, size=k, replace=False).tolist()``: ``k`` distinct integers in ``[0, n)``.

    Example:
        >>> sorted(sample(np.random.default_rng(0), 3, 3))
        [0, 1, 2]
    """
    if not 0 < k <= n <= min(_FLOYD_LIMIT, _WORD):
        return rng.choice(n, size=k, replace=False).tolist()
    bits = rng.bit_generator.ctypes
    next_word, state = bits.next_uint32, bits.state
    picks: list[int] = []
    chosen: set[int] = set()
    for j in range(n - k, n):  # Floyd: a draw in [0, j], or j itself if that one is taken
        value = _lemire(next_word, state, j + 1) if j else 0
        pick = j if value in chosen else value
        chosen.add(pick)
        picks.append(pick)
    for i in range(k - 1, 0, -1):  # numpy's shuffle: position i swaps with a draw in [0, i]
        swap = _lemire(next_word, state, i + 1)
        picks[i], picks[swap] = picks[swap], picks[i]
    return picks


def _lemire(next_word: NextWord, state: object, n: int) -> int:
    """A uniform integer in ``[0, n)`` from 32-bit words, ``1 < n <= 2**32 - 1`` (numpy's
    ``buffered_bounded_lemire_uint32``: multiply, keep the high word, reject the biased low ones)."""
    product = next_word(state) * n
    low = product & _WORD
    if low < n:
        threshold = (_WORD - (n - 1)) % n
        while low < threshold:
            product = next_word(state) * n
            low = product & _WORD
    return product >> 32
