"""What every proxy task is: a training run of an encoded program, and its result.

A :class:`Task` is a small training problem (a :class:`~symopt.proxy_tasks.trainer.Problem`)
plus its size knobs. Its :meth:`Task.run` trains with an encoded program
(:func:`symopt.dsl.encode.encode`) and returns a :class:`RunResult`. The training
loop is jitted once per task instance, on the first run; every later program
and seed is new array values, so it costs no compile.

Example:
    >>> from symopt.proxy_tasks import make_task
    >>> from symopt.dsl import builtin
    >>> from symopt.dsl.encode import encode
    >>> task = make_task("quadratic", steps=20)
    >>> task.run(encode(builtin("sgd"), task.layout), seed=0).status
    'ok'
"""

from __future__ import annotations

import abc
import dataclasses
import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Literal, Mapping, Sequence

import jax
import numpy as np

from symopt.dsl.encode import EncodedProgram, Layout
from symopt.proxy_tasks.trainer import Batch, Problem, TrainOutput, compile_sampler, compile_trainer

__all__ = ["RunResult", "Task", "failed", "result_of", "check_seed", "fingerprint"]

MAX_SEED = 2**32
"""Seeds are unsigned 32-bit integers (they become a JAX PRNG key)."""

BATCH_CACHE_BYTES = 256 * 2**20
"""The most bytes of drawn batches a task keeps (the least recently used go first);
a teacher-student seed at 1000 steps of 128 x 16 inputs is 8 MB."""


@dataclass(frozen=True)
class RunResult:
    """The outcome of one training run.

    Attributes:
        status: ``ok``, or ``failed`` when the run could not be trained or diverged.
        metric: the validation metric, lower is better (``nan`` when failed).
        train_loss: mean training loss over the last ~10% of steps (``nan`` when failed).
        seconds: wall time of the run, compile excluded only if already compiled.
        reason: why it failed, e.g. ``"update ignores the gradient"``; empty when ok.
        extra: more metrics, e.g. ``{"accuracy": 0.97}``.

    Example:
        >>> failed("update ignores the gradient").metric
        nan
    """

    status: Literal["ok", "failed"]
    metric: float
    train_loss: float
    seconds: float
    reason: str = ""
    extra: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def failed(reason: str, seconds: float = 0.0) -> RunResult:
    """A failed :class:`RunResult` with ``reason``."""
    return RunResult("failed", math.nan, math.nan, seconds, reason)


def result_of(out: TrainOutput, seconds: float) -> RunResult:
    """The :class:`RunResult` of a finished training run: ``failed`` when it diverged."""
    reason = out.divergence()
    if reason:
        return failed(reason, seconds)
    return RunResult("ok", out.metric, out.train_loss, seconds, "", dict(out.extra))


def check_seed(seed: int) -> None:
    """Raises ValueError unless ``seed`` is in ``[0, 2**32)``."""
    if not 0 <= seed < MAX_SEED:
        raise ValueError(f"seed {seed} is outside [0, 2**32)")


def fingerprint(*arrays: Any) -> str:
    """The first 16 hex digits of the sha256 of some arrays or strings (data identity).

    Example:
        >>> fingerprint("abc")
        'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(a.encode("utf-8") if isinstance(a, str) else np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()[:16]


class Task(abc.ABC):
    """A proxy task family at given knob values; subclasses define the problem.

    Subclasses set the class attributes and implement :meth:`problem`. Instances are made by
    :func:`symopt.proxy_tasks.registry.make_task`, which caches them so that each
    task compiles once per process.

    Attributes:
        name: the registry name, e.g. ``digits_mlp``.
        Knobs: the frozen dataclass of the family's knobs (with defaults).
        metric_name: what :attr:`RunResult.metric` is, e.g. ``val_loss``.
        approx_ms: measured milliseconds per run at the default knobs, on one
            CPU core, compile excluded (for ``symopt tasks``).
        data_knobs: the knobs that change only the data arrays, not the
            problem's functions or shapes; tasks of one family that differ only
            in these train in one batched call (:mod:`symopt.proxy_tasks.batched`).
            By convention a family's ``data_seed`` is such a knob. The problem's
            ``sample`` must not read them: the batches of a seed are shared.
        layout: the shape of encoded programs this task accepts.
        knobs: this instance's knob values.
    """

    name: ClassVar[str]
    Knobs: ClassVar[type]
    metric_name: ClassVar[str] = "val_loss"
    approx_ms: ClassVar[float] = math.nan
    data_knobs: ClassVar[tuple[str, ...]] = ("data_seed",)

    def __init__(self, knobs: Any = None, layout: Layout = Layout()) -> None:
        self.knobs = self.Knobs() if knobs is None else knobs
        self.layout = layout
        self._problem: Problem | None = None
        self._trainer: Callable[..., TrainOutput] | None = None
        self._sampler: Callable[[Sequence[int]], Batch] | None = None
        self._batches: dict[tuple[int, ...], Batch] = {}

    @abc.abstractmethod
    def problem(self) -> Problem:
        """Builds the training problem (data, model, losses) for these knobs."""

    def data_fingerprint(self) -> str:
        """A short hash of the data arrays (a family may hash its source instead)."""
        return fingerprint(*jax.tree_util.tree_leaves(self.built.data))

    @property
    def built(self) -> Problem:
        """The problem, built once per instance."""
        if self._problem is None:
            self._problem = self.problem()
        return self._problem

    def batches(self, seeds: Sequence[int]) -> Batch:
        """The batches the runs from ``seeds`` train on, leaves ``[len(seeds), steps, ...]``,
        on the device; drawn once per process and kept (up to :data:`BATCH_CACHE_BYTES`).

        Example:
            >>> from symopt.proxy_tasks import make_task
            >>> make_task("teacher_student", steps=10, batch=4).batches((0,)).shape
            (1, 10, 4, 16)
        """
        key = tuple(seeds)
        for seed in key:
            check_seed(seed)
        found = self._batches.pop(key, None)
        if found is None:
            if self._sampler is None:
                self._sampler = compile_sampler(self.built)
            found = self._sampler(key)
        self._batches[key] = found  # the most recently used last
        total = sum(_nbytes(b) for b in self._batches.values())
        while total > BATCH_CACHE_BYTES and len(self._batches) > 1:
            total -= _nbytes(self._batches.pop(next(iter(self._batches))))
        return found

    def run(self, encoded: EncodedProgram, seed: int, lr_mult: float = 1.0, ahead: bool = True) -> RunResult:
        """Trains with ``encoded`` from the initialization and batches of ``seed``.

        The program reads ``lr = lr_mult * schedule(step)``, the schedule being a
        linear warm-up then a cosine decay to 0, peaking at 1.

        Args:
            encoded: a program encoded with this task's :attr:`layout`.
            seed: in ``[0, 2**32)``; selects the initialization and the batches.
            lr_mult: multiplies the schedule.
            ahead: train on the seed's batches drawn once (:meth:`batches`);
                ``False`` draws them in the loop, step by step: the same values.

        Returns:
            ``ok`` with the metrics, or ``failed`` with ``"diverged: ..."`` when a
            loss or the weights became non-finite.
        """
        check_seed(seed)
        if self._trainer is None:
            self._trainer = compile_trainer(self.built, self.layout)
        start = time.perf_counter()
        out = self._trainer(encoded, seed, lr_mult, self.batches((seed,)) if ahead else None)
        return result_of(out, time.perf_counter() - start)

    def num_params(self) -> int:
        """How many trainable parameters the model has."""
        return self.built.num_params()

    def info(self) -> dict[str, Any]:
        """What this task is: knobs, size, steps and a data fingerprint (JSON-ready).

        Example:
            >>> from symopt.proxy_tasks import make_task
            >>> make_task("rosenbrock").info()["params"]
            2
        """
        return {
            "name": self.name,
            "metric": self.metric_name,
            "knobs": dataclasses.asdict(self.knobs),
            "params": self.num_params(),
            "steps": self.built.steps,
            "data_sha256": self.data_fingerprint(),
            "layout": {"max_len": self.layout.max_len, "num_slots": self.layout.num_slots},
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.knobs})"


def _nbytes(batches: Batch) -> int:
    return sum(leaf.nbytes for leaf in jax.tree_util.tree_leaves(batches))
