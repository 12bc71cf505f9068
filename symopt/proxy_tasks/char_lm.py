"""A small causal transformer language model on characters of CPython's pydoc text.

The text is ``pydoc_data.topics`` (shipped with CPython, ~465K characters of
English about Python), its values joined in sorted-key order; the vocabulary is
every character in it. The model trains on windows drawn from the first 90% and
is validated on a fixed, evenly spaced set of windows from the last 10%. The
metric is validation cross-entropy in nats per character.

Example:
    >>> task = CharLM(CharLMKnobs(steps=10))
    >>> task.info()["data_sha256"] == fingerprint(pydoc_text())
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from symopt.proxy_tasks.base import Task, fingerprint
from symopt.proxy_tasks.data import pydoc_text
from symopt.proxy_tasks.knobs import at_least, within
from symopt.proxy_tasks import layers as nn
from symopt.proxy_tasks.trainer import Problem

__all__ = ["CharLMKnobs", "CharLM", "encode_text"]

TRAIN_FRACTION = 0.9


@dataclass(frozen=True)
class CharLMKnobs:
    """Knobs of ``char_lm``.

    Attributes:
        layers: transformer blocks.
        d_model: embedding width.
        heads: attention heads; must divide ``d_model``.
        context: characters per window.
        batch: windows per step.
        steps: training steps.
        val_windows: validation windows (each of ``context`` predictions).
        warmup: fraction of steps of linear learning-rate warm-up.
    """

    layers: int = 1
    d_model: int = 32
    heads: int = 2
    context: int = 32
    batch: int = 16
    steps: int = 300
    val_windows: int = 128
    warmup: float = 0.05

    def __post_init__(self) -> None:
        at_least(self, 1, "layers", "d_model", "heads", "context", "batch", "steps", "val_windows")
        within(self, "warmup", 0.0, 1.0)
        if self.d_model % self.heads:
            raise ValueError(f"knob 'heads' must divide d_model={self.d_model}, got {self.heads}")


def encode_text(text: str) -> tuple[np.ndarray, str]:
    """Character ids (int32) and the vocabulary (its sorted distinct characters).

    Example:
        >>> ids, vocab = encode_text("abca")
        >>> ids.tolist(), vocab
        ([0, 1, 2, 0], 'abc')
    """
    vocab = "".join(sorted(set(text)))
    table = {c: i for i, c in enumerate(vocab)}
    return np.fromiter((table[c] for c in text), np.int32, len(text)), vocab


def _windows(tokens: jax.Array, starts: jax.Array, context: int) -> tuple[jax.Array, jax.Array]:
    """Inputs and next-character targets, ``[len(starts), context]`` each."""
    chunk = tokens[starts[:, None] + jnp.arange(context + 1)]
    return chunk[:, :-1], chunk[:, 1:]


class CharLM(Task):
    """Causal transformer, 1 block, d 32, 2 heads, context 32, on pydoc text."""

    name = "char_lm"
    Knobs = CharLMKnobs
    metric_name = "val_nats_per_char"
    approx_ms = 550.0

    def data_fingerprint(self) -> str:
        return fingerprint(pydoc_text())

    def problem(self) -> Problem:
        k = self.knobs
        ids, vocab = encode_text(pydoc_text())
        split = int(len(ids) * TRAIN_FRACTION)
        val = ids[split:]
        last_start = len(val) - k.context - 1
        if last_start < 0:
            raise ValueError(f"knob 'context' {k.context} is longer than the validation text")
        starts = np.linspace(0, last_start, k.val_windows).astype(np.int32)
        data = {"train": ids[:split], "val": val, "val_starts": starts}

        def init(key: jax.Array) -> dict[str, Any]:
            k_tok, k_pos, k_blocks, k_head = jax.random.split(key, 4)
            return {
                "tok": jax.random.normal(k_tok, (len(vocab), k.d_model)) / np.sqrt(k.d_model),
                "pos": jax.random.normal(k_pos, (k.context, k.d_model)) / np.sqrt(k.d_model),
                "blocks": nn.transformer_init(k_blocks, k.d_model, k.layers),
                "ln": nn.layer_norm_init(k.d_model),
                "head": nn.dense_init(k_head, k.d_model, len(vocab)),
            }

        def nats(params: dict[str, Any], inputs: jax.Array, targets: jax.Array) -> jax.Array:
            h = params["tok"][inputs] + params["pos"]
            h = nn.transformer_apply(params["blocks"], h, k.heads, causal=True)
            logits = nn.dense_apply(params["head"], nn.layer_norm(params["ln"], h))
            return nn.cross_entropy(logits, targets)

        def sample(key: jax.Array) -> jax.Array:
            return jax.random.randint(key, (k.batch,), 0, split - k.context)

        def loss(params: dict[str, Any], data: dict[str, jax.Array], starts: jax.Array) -> jax.Array:
            return nats(params, *_windows(data["train"], starts, k.context))

        def evaluate(params: dict[str, Any], data: dict[str, jax.Array]) -> tuple[jax.Array, dict]:
            return nats(params, *_windows(data["val"], data["val_starts"], k.context)), {}

        return Problem(init, loss, evaluate, data, k.steps, k.warmup, sample)
