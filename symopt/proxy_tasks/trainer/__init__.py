"""The training loop shared by every proxy task, compiled once per task.

A :class:`Problem` says what to train (initial parameters, a batch sampler, a
batch loss, a validation metric, the data). :func:`make_train_fn` turns it and
an optimizer step into a traceable training loop, :func:`make_batch_train_fn`
into one for many runs of one optimizer; :func:`compile_trainer` and
:func:`compile_batch_trainer` jit them with the encoded-program step, so a new
program or seed never recompiles. A seed's batches are the same for every
program: :func:`compile_sampler` draws them once, to be given to the loops
(which otherwise draw them step by step, the same values).

Example:
    >>> import jax.numpy as jnp
    >>> from symopt.dsl.encode import Layout, encode
    >>> from symopt.dsl import builtin
    >>> p = Problem(
    ...     init=lambda key: {"x": jnp.ones(3)},
    ...     loss=lambda params, data, batch: jnp.sum(params["x"] ** 2),
    ...     evaluate=lambda params, data: (jnp.sum(params["x"] ** 2), {}),
    ...     data=(), steps=10)
    >>> out = compile_trainer(p, Layout())(encode(builtin("sgd")), 0, 1.0)
    >>> out.metric < 3.0 and out.divergence() == ""
    True
"""

from symopt.proxy_tasks.trainer._compile import (
    compile_batch_trainer,
    compile_direct_trainer,
    compile_sampler,
    compile_trainer,
)
from symopt.proxy_tasks.trainer._loop import Outputs, StepFn, make_batch_train_fn, make_sampler, make_train_fn
from symopt.proxy_tasks.trainer._problem import (
    Batch,
    Problem,
    TrainOutput,
    no_batch,
    schedule,
    to_output,
    warmup_steps,
)

__all__ = [
    "Problem",
    "TrainOutput",
    "Batch",
    "StepFn",
    "Outputs",
    "schedule",
    "warmup_steps",
    "no_batch",
    "make_train_fn",
    "make_batch_train_fn",
    "make_sampler",
    "compile_trainer",
    "compile_batch_trainer",
    "compile_direct_trainer",
    "compile_sampler",
    "to_output",
]
