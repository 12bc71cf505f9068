"""Data that needs no download: scikit-learn's digits and CPython's pydoc text.

Both are loaded once per process and split the same way every time, so a task's
data is fixed by its knobs alone.

Example:
    >>> d = digits_split(train_size=1347)
    >>> d.x_train.shape, d.x_val.shape
    ((1347, 64), (450, 64))
    >>> len(pydoc_text()) > 400_000
    True
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

__all__ = ["Digits", "digits_split", "pydoc_text", "DIGITS_TRAIN", "DIGITS_VAL"]

DIGITS_VAL = 450
"""Validation examples held out of the 1797 digits (a quarter)."""

DIGITS_TRAIN = 1797 - DIGITS_VAL
"""The most training examples the digits offer."""

_SPLIT_SEED = 0


class Digits(NamedTuple):
    """The digits, pixels scaled to [0, 1], images flat ``[n, 64]``, labels int32."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # heavy import, only when a digits task is built

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(y))
    return (x[order] / 16.0).astype(np.float32), y[order].astype(np.int32)


def digits_split(train_size: int = DIGITS_TRAIN) -> Digits:
    """A fixed split: the last 450 of a fixed permutation validate, the first
    ``train_size`` train.

    Raises:
        ValueError: if ``train_size`` is not in ``[1, 1347]``.
    """
    if not 1 <= train_size <= DIGITS_TRAIN:
        raise ValueError(f"train_size must be in [1, {DIGITS_TRAIN}], got {train_size}")
    x, y = _digits()
    return Digits(x[:train_size], y[:train_size], x[DIGITS_TRAIN:], y[DIGITS_TRAIN:])


@functools.cache
def pydoc_text() -> str:
    """CPython's ``pydoc_data.topics`` help texts, joined in sorted-key order (~465K chars)."""
    from pydoc_data.topics import topics

    return "".join(topics[key] for key in sorted(topics))
