"""Teacher-student regression: a ReLU MLP learns a random tanh network.

Inputs ``x ~ N(0, I)`` are drawn fresh every step, so there is no overfitting and
the gradient noise comes from the batch size alone. The teacher
``tanh(x W0) W1`` (``W0`` std ``teacher_scale``, ``W1`` std ``1/sqrt(teacher_width)``)
and the held-out validation set are fixed by ``data_seed``, the same for every
training seed. PROXY_NOTES section 1: with ``teacher_scale=1``, He init, 1000
steps, batch 128 and no warm-up, tuned Lion beats tuned AdamW (every beta2) and
signum; the window is narrow (other scales, batches and lengths hand it to AdamW).

Example:
    >>> task = TeacherStudent(TeacherStudentKnobs(steps=10, val_size=64))
    >>> task.num_params()
    1153
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

from symopt.proxy_tasks.base import Task
from symopt.proxy_tasks.knobs import at_least, within
from symopt.proxy_tasks.layers import mlp_apply, mlp_init
from symopt.proxy_tasks.trainer import Problem

__all__ = ["TeacherStudentKnobs", "TeacherStudent"]


@dataclass(frozen=True)
class TeacherStudentKnobs:
    """Knobs of ``teacher_student``.

    Attributes:
        width: hidden width of the student.
        depth: hidden layers of the student.
        steps: training steps.
        batch: fresh inputs per step.
        val_size: held-out points.
        in_dim: input dimension.
        teacher_width: hidden width of the teacher.
        data_seed: fixes the teacher and the validation set.
        warmup: fraction of steps of linear learning-rate warm-up (0: none, the
            first step already at the peak).
        teacher_scale: std of the teacher's first-layer weights ``W0``.
        init: the student's hidden layers: ``lecun`` (variance 1/fan_in) or
            ``he`` (2/fan_in); the output layer is LeCun either way.
    """

    width: int = 64
    depth: int = 1
    steps: int = 300
    batch: int = 128
    val_size: int = 2048
    in_dim: int = 16
    teacher_width: int = 32
    data_seed: int = 0
    warmup: float = 0.05
    teacher_scale: float = 0.5
    init: Literal["lecun", "he"] = "lecun"

    def __post_init__(self) -> None:
        at_least(self, 1, "width", "depth", "steps", "batch", "val_size", "in_dim", "teacher_width")
        at_least(self, 0, "data_seed")
        within(self, "warmup", 0.0, 1.0)
        if not self.teacher_scale > 0:
            raise ValueError(f"knob 'teacher_scale' must be > 0, got {self.teacher_scale!r}")
        if self.init not in _HIDDEN_GAIN:
            raise ValueError(f"knob 'init' must be one of {', '.join(_HIDDEN_GAIN)}, got {self.init!r}")


_HIDDEN_GAIN = {"lecun": 1.0, "he": 2.0}


def _teacher(data: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    return jnp.tanh(x @ data["W0"]) @ data["W1"]


class TeacherStudent(Task):
    """Student ReLU MLP 16-64-1 fits a fixed tanh teacher 16-32-1 under MSE."""

    name = "teacher_student"
    Knobs = TeacherStudentKnobs
    metric_name = "val_mse"
    approx_ms = 14.0

    def problem(self) -> Problem:
        k = self.knobs
        rng = np.random.default_rng(k.data_seed)
        data: dict[str, Any] = {
            "W0": np.float32(k.teacher_scale) * rng.standard_normal((k.in_dim, k.teacher_width), np.float32),
            "W1": rng.standard_normal((k.teacher_width, 1), np.float32) / np.sqrt(k.teacher_width),
            "x_val": rng.standard_normal((k.val_size, k.in_dim), np.float32),
        }
        data["y_val"] = np.tanh(data["x_val"] @ data["W0"]) @ data["W1"]
        sizes = (k.in_dim, *[k.width] * k.depth, 1)

        def sample(key: jax.Array) -> jax.Array:
            return jax.random.normal(key, (k.batch, k.in_dim))

        def loss(params: Any, data: dict[str, jax.Array], x: jax.Array) -> jax.Array:
            return jnp.mean((mlp_apply(params, x) - _teacher(data, x)) ** 2)

        def evaluate(params: Any, data: dict[str, jax.Array]) -> tuple[jax.Array, dict]:
            return jnp.mean((mlp_apply(params, data["x_val"]) - data["y_val"]) ** 2), {}

        return Problem(
            init=lambda key: mlp_init(key, sizes, _HIDDEN_GAIN[k.init]),
            loss=loss,
            evaluate=evaluate,
            data=data,
            steps=k.steps,
            warmup=k.warmup,
            sample=sample,
        )
