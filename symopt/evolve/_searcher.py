"""The ask/tell protocol every searcher follows, and what they share.

Like Ray Tune's ``Searcher`` (suggest / on_trial_complete / save / restore): a
campaign asks for a :class:`~symopt.runs.Candidate`, has it evaluated, and
tells the fitness back; :meth:`Searcher.state_dict` is what a checkpoint keeps.

Example:
    >>> best = BestSoFar()
    >>> best.consider(Individual(1, None, float("nan"), "a")); best.consider(Individual(2, None, -1.0, "b"))
    >>> best.get().id
    2
"""

from __future__ import annotations

import collections
import math
from typing import Any, Protocol

import numpy as np

from symopt.dsl import Program
from symopt.runs import Candidate, Individual

__all__ = ["BestSoFar", "Searcher", "SearcherState", "fitness_key"]


def fitness_key(fitness: float | None) -> float:
    """A sort key: a missing or NaN fitness ranks below every number."""
    return -math.inf if fitness is None or math.isnan(fitness) else fitness


class BestSoFar:
    """The fittest member ever considered (the first on ties); a small mutable holder."""

    def __init__(self, member: Individual | None = None) -> None:
        self.member = member

    def consider(self, member: Individual) -> None:
        if self.member is None or fitness_key(member.fitness) > fitness_key(self.member.fitness):
            self.member = member

    def get(self) -> Individual:
        """The best member.

        Raises:
            RuntimeError: nothing has been evaluated yet.
        """
        if self.member is None:
            raise RuntimeError("nothing has been evaluated yet")
        return self.member


class Searcher(Protocol):
    """Proposes children and learns their fitness; steady-state, asks and tells interleave."""

    next_id: int

    def seed_population(self, program: Program, fitness: float, id: int = 0) -> None:
        """Starts from the evaluated warm start."""

    def restart_from_best(self) -> None:
        """Refills the population with the best program so far (no-op without one)."""

    def ask(self) -> Candidate:
        """The next child to evaluate."""

    def tell(self, candidate: Candidate, fitness: float) -> None:
        """The evaluated child's fitness."""

    def best(self) -> Individual:
        """The fittest program ever told."""

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume (pickled into the checkpoint)."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores :meth:`state_dict`'s output."""


class SearcherState:
    """What every searcher keeps and checkpoints: settings, population, best, ids, generator.

    Subclasses set ``mode`` and use ``self.population`` (empty for random search).
    """

    mode: str

    def __init__(self, population_size: int, tournament_size: int, seed: int) -> None:
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.rng = np.random.default_rng(seed)
        self.population: collections.deque[Individual] = collections.deque()
        self.next_id = 1
        self._best = BestSoFar()

    def best(self) -> Individual:
        """The fittest program ever told (not just in the current population)."""
        return self._best.get()

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: population, best, ids, the generator's state."""
        return {
            "population": list(self.population),
            "best": self._best.member,
            "next_id": self.next_id,
            "rng": self.rng.bit_generator.state,
            "mode": self.mode,
            "population_size": self.population_size,
            "tournament_size": self.tournament_size,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores :meth:`state_dict`'s output (the settings must match)."""
        settings = (self.mode, self.population_size, self.tournament_size)
        if (state["mode"], state["population_size"], state["tournament_size"]) != settings:
            raise ValueError("checkpoint was made with other search settings")
        self.population = collections.deque(state["population"])
        self._best = BestSoFar(state["best"])
        self.next_id = int(state["next_id"])
        self.rng.bit_generator.state = state["rng"]
