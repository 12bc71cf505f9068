"""The search itself: mutations, the ask/tell searchers, the fitness cache and the campaign loop.

A campaign (:func:`start_campaign`, :func:`resume_campaign`) proposes children
with a searcher (:class:`RegularizedEvolution`, the paper's regularized
evolution and its hyperparameter-tuning baseline; :class:`RandomSearch`),
looks each up in the :class:`FitnessCache` by functional hash, trains the rest
on the workers of :mod:`symopt.evolve.workers`, and records everything in a
run folder (:mod:`symopt.runs`). Mutations are pure seeded functions, one per
:class:`~symopt.config.MutationKind`.

Example:
    >>> import numpy as np
    >>> from symopt.config import SearchSpace
    >>> from symopt.dsl import builtin
    >>> evo = RegularizedEvolution(SearchSpace(), population_size=4, tournament_size=2, seed=0)
    >>> evo.seed_population(builtin("adamw"), fitness=0.0)
    >>> evo.ask().parent_id
    0
"""

from symopt.evolve._cache import FitnessCache
from symopt.evolve._campaign import (
    CampaignError,
    CampaignResult,
    RunWriteError,
    resume_campaign,
    run_campaign,
    start_campaign,
)
from symopt.evolve._evolution import Mode, RegularizedEvolution
from symopt.evolve._interrupt import GracefulStop
from symopt.evolve._mutations import Mutation, MutationFailed, mutate, random_program, random_statement
from symopt.evolve._progress import Progress, progress_enabled
from symopt.evolve._random_search import RandomSearch
from symopt.evolve._searcher import Searcher

__all__ = [
    "CampaignError",
    "CampaignResult",
    "FitnessCache",
    "GracefulStop",
    "Mode",
    "Mutation",
    "MutationFailed",
    "Progress",
    "RandomSearch",
    "RegularizedEvolution",
    "RunWriteError",
    "Searcher",
    "mutate",
    "progress_enabled",
    "random_program",
    "random_statement",
    "resume_campaign",
    "run_campaign",
    "start_campaign",
]
