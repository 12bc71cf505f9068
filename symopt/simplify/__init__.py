"""Simplification of a discovered program, and the verdict on what it is (paper section 2.3).

:func:`simplify` drops what does not matter (deletion by fitness, optionally
insertion-free evolution), rewrites into simpler equivalent forms (each checked
numerically by :func:`equivalent`), rounds constants and renames variables.
:func:`classify` fits the known optimizer families to a program's updates and
names the one it is; :class:`Families` caches that per program hash.

Example:
    >>> from symopt.dsl import builtin
    >>> classify(builtin("lion")).family
    'lion'
"""

from symopt.simplify._constants import constant_sites, roundings, with_constant
from symopt.simplify._equivalence import equivalent
from symopt.simplify._families import Families
from symopt.simplify._naming import descriptive_names, renamed
from symopt.simplify._rewrites import REWRITES, Applied, Proposal, Rewrite, apply_rewrites, statement_text
from symopt.simplify._simplify import EVOLVE_POPULATION, FitnessFn, Simplification, Step, simplify
from symopt.simplify._verdict import FAMILIES, TOLERANCE, Verdict, classify

__all__ = [
    "EVOLVE_POPULATION",
    "FAMILIES",
    "REWRITES",
    "TOLERANCE",
    "Applied",
    "Families",
    "FitnessFn",
    "Proposal",
    "Rewrite",
    "Simplification",
    "Step",
    "Verdict",
    "apply_rewrites",
    "classify",
    "constant_sites",
    "descriptive_names",
    "equivalent",
    "renamed",
    "roundings",
    "simplify",
    "statement_text",
    "with_constant",
]
