"""Random search, the paper's first baseline, as an ask/tell searcher.

Every candidate is a fresh random program of the search space (no parent, no
population); ``tell`` only keeps the best. Its state is
:class:`~symopt.evolve._searcher.SearcherState`'s, as regularized evolution's, with
an empty population.

Example:
    >>> from symopt.config import SearchSpace
    >>> search = RandomSearch(SearchSpace(max_len=4), seed=0)
    >>> cand = search.ask()
    >>> cand.parent_id, cand.mutation, 1 <= len(cand.program) <= 4
    (None, 'random', True)
    >>> search.tell(cand, 0.2); search.best().id == cand.id
    True
"""

from __future__ import annotations

from symopt.config import SearchSpace
from symopt.dsl import Program, program_hash
from symopt.evolve._mutations import random_program
from symopt.evolve._searcher import SearcherState
from symopt.runs import Candidate, Individual

__all__ = ["RandomSearch"]


class RandomSearch(SearcherState):
    """Fresh random programs, the best kept.

    Args:
        space: what a random program may hold.
        population_size, tournament_size: unused by the search; kept so a
            checkpoint names the settings it was made with.
        seed: seeds the one ``numpy.random.Generator`` every draw uses.
    """

    mode = "random"

    def __init__(self, space: SearchSpace, population_size: int = 1000, tournament_size: int = 2, seed: int = 0):
        super().__init__(population_size, tournament_size, seed)
        self.space = space

    def seed_population(self, program: Program, fitness: float, id: int = 0) -> None:
        """The warm start only competes for the best."""
        self._best.consider(Individual(id, program, fitness, program_hash(program)))

    def restart_from_best(self) -> None:
        """Nothing to refill: random search has no population."""

    def ask(self) -> Candidate:
        """A fresh random program.

        Raises:
            symopt.evolve.MutationFailed: no valid random program could be drawn.
        """
        made = random_program(self.rng, self.space)
        cand = Candidate(self.next_id, None, made.child, made.origin, made.detail, made.redraws, program_hash(made.child))
        self.next_id += 1
        return cand

    def tell(self, candidate: Candidate, fitness: float) -> None:
        self._best.consider(Individual(candidate.id, candidate.program, fitness, candidate.hash))
