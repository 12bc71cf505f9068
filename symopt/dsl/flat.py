"""Programs act on ONE flat vector holding every parameter.

Both executors ravel the parameter pytree into a vector and remember which
parameter tensor each entry belongs to (its segment), so whole-tensor functions
(``norm`` per tensor, ``global_norm`` over all) need no pytree logic.

Example:
    >>> import jax.numpy as jnp
    >>> r = SegmentReducer.for_sizes([2, 1])
    >>> r.tensor_sum(jnp.array([1.0, 2.0, 5.0])).tolist()
    [3.0, 3.0, 5.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["SegmentReducer"]


@dataclass(frozen=True, eq=False)
class SegmentReducer:
    """Sums over parameter tensors of a flat vector (a :class:`Reducer`).

    Attributes:
        segment_ids: int32 ``[N]``: the parameter tensor of each entry.
        num_segments: how many parameter tensors there are (static).
    """

    segment_ids: Any
    num_segments: int

    @classmethod
    def for_sizes(cls, sizes: Sequence[int]) -> "SegmentReducer":
        """A reducer for tensors of the given sizes, laid out one after another."""
        ids = np.repeat(np.arange(len(sizes), dtype=np.int32), np.asarray(sizes, dtype=np.int64))
        return cls(jnp.asarray(ids), len(sizes))

    @classmethod
    def for_pytree(cls, tree: Any) -> "SegmentReducer":
        """A reducer matching ``jax.flatten_util.ravel_pytree(tree)``'s layout."""
        return cls.for_sizes([int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(tree)])

    def tensor_sum(self, x: jnp.ndarray) -> jnp.ndarray:
        sums = jax.ops.segment_sum(x, self.segment_ids, num_segments=self.num_segments)
        return sums[self.segment_ids]

    def global_sum(self, x: jnp.ndarray) -> jnp.ndarray:
        return jnp.sum(x)
