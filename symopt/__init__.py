"""symopt: evolutionary search for neural-network optimizers.

The public API:

* :mod:`symopt.dsl`: programs (``parse``, ``to_source``, ``builtin``, ``reduce``,
  ``program_hash``);
* :func:`to_optax`: a program as an ``optax.GradientTransformation``;
* :func:`load_run`: a search campaign's run folder, read back;
* :func:`export_module`: a program as a standalone jax + optax module
  (:func:`factory_name_problem` says which names it refuses).

Each is imported when first used (:mod:`symopt._lazy`), so a command that only reads
text does not wait for JAX.

Example:
    >>> import symopt
    >>> opt = symopt.to_optax(symopt.dsl.builtin("lion"), learning_rate=1.0)
"""

from typing import TYPE_CHECKING

from symopt._lazy import lazy_face

if TYPE_CHECKING:  # the same names, for readers and type checkers
    from symopt import dsl
    from symopt.export import export_module, factory_name_problem
    from symopt.optax_adapter import to_optax
    from symopt.runs import load_run

__all__ = ["dsl", "export_module", "factory_name_problem", "load_run", "to_optax"]
__version__ = "0.1.0"

__getattr__, __dir__ = lazy_face(
    __name__, {"dsl": "", "export_module": "export", "factory_name_problem": "export", "load_run": "runs", "to_optax": "optax_adapter"}
)
