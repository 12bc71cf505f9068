"""Regularized evolution as an ask/tell searcher (paper section 2.2).

``ask`` samples a tournament from the population, mutates its best member and
returns the child as a :class:`Candidate`; ``tell`` appends the evaluated child
and drops the OLDEST member. Asks and tells may interleave freely, so workers
never wait for a generation (steady-state, asynchronous). The same class runs
the paper's two baselines: random search (``mode="random"``: every candidate a
fresh random program) and hyperparameter tuning (``mode="hparam"``: mutations
change constants only).

With one worker (ask, evaluate, tell, repeat) and a fixed seed the history
replays exactly; :meth:`state_dict` captures everything needed to resume.

Example:
    >>> from symopt.dsl import builtin
    >>> evo = RegularizedEvolution(SearchSpace(), population_size=4, tournament_size=2, seed=0)
    >>> evo.seed_population(builtin("adamw"), fitness=0.0)
    >>> cand = evo.ask()
    >>> evo.tell(cand, fitness=0.1)
    >>> evo.best().id == cand.id
    True
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from symopt.dsl.analysis import program_hash
from symopt.dsl.program import Program
from symopt.evolve.mutations import propose
from symopt.evolve.space import SearchSpace

__all__ = ["Mode", "Individual", "Candidate", "RegularizedEvolution"]

Mode = Literal["evolution", "random", "hparam"]


@dataclass(frozen=True)
class Individual:
    """A member of the population: an evaluated program."""

    id: int
    program: Program
    fitness: float
    hash: str


@dataclass(frozen=True)
class Candidate:
    """A proposed child, waiting for its fitness.

    Attributes:
        id: unique, increasing; the warm start is 0.
        parent_id: the tournament winner it was made from (None: warm start or random).
        program: the child.
        mutation: ``insert``, ``delete``, ``modify``, ``random`` or ``warm_start``.
        detail: what changed, for people.
        redraws: children rejected before this one.
        hash: the functional hash (the cache key).
    """

    id: int
    parent_id: int | None
    program: Program
    mutation: str
    detail: str
    redraws: int
    hash: str


def _fitness_key(fitness: float) -> float:
    return -math.inf if fitness is None or math.isnan(fitness) else fitness


class RegularizedEvolution:
    """Population ``P``, tournament ``T``, oldest removed.

    Args:
        space: what mutations may produce (``constants_only`` is set for ``hparam``).
        population_size: ``P`` (paper: 1000).
        tournament_size: ``T`` (paper: 2).
        seed: seeds the one ``numpy.random.Generator`` every draw uses.
        mode: ``evolution``, ``random`` (random search) or ``hparam`` (constants only).
    """

    def __init__(
        self,
        space: SearchSpace,
        population_size: int = 1000,
        tournament_size: int = 2,
        seed: int = 0,
        mode: Mode = "evolution",
    ) -> None:
        if population_size < 1 or not 1 <= tournament_size <= population_size:
            raise ValueError("need population_size >= 1 and 1 <= tournament_size <= population_size")
        if mode not in ("evolution", "random", "hparam"):
            raise ValueError(f"unknown search mode {mode!r}")
        if mode == "hparam" and not space.constants_only:
            space = SearchSpace(**{**space.__dict__, "constants_only": True})
        self.space = space
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.mode = mode
        self.rng = np.random.default_rng(seed)
        self.population: collections.deque[Individual] = collections.deque()
        self.next_id = 1
        self._best: Individual | None = None

    def seed_population(self, program: Program, fitness: float, id: int = 0) -> None:
        """Fills the population with copies of the evaluated warm start (paper: all AdamW)."""
        member = Individual(id, program, fitness, program_hash(program))
        self.population = collections.deque([member] * self.population_size)
        self._consider(member)

    def restart_from_best(self) -> None:
        """Refills the population with the best program so far (the paper's restart)."""
        best = self.best()
        self.population = collections.deque([best] * self.population_size)

    def ask(self) -> Candidate:
        """Proposes the next child.

        Raises:
            RuntimeError: in evolution modes, before :meth:`seed_population`.
            symopt.evolve.mutations.MutationFailed: no valid child could be drawn.
        """
        if self.mode == "random":
            parent = None
        else:
            if not self.population:
                raise RuntimeError("seed_population() must run before ask()")
            picks = self.rng.choice(len(self.population), size=self.tournament_size, replace=False)
            # Ties go to the earlier draw, which is itself random.
            parent = max((self.population[int(i)] for i in picks), key=lambda m: _fitness_key(m.fitness))
        made = propose(None if parent is None else parent.program, self.rng, self.space)
        cand = Candidate(
            id=self.next_id,
            parent_id=None if parent is None else parent.id,
            program=made.child,
            mutation=made.kind.value,
            detail=made.detail,
            redraws=made.redraws,
            hash=program_hash(made.child),
        )
        self.next_id += 1
        return cand

    def tell(self, candidate: Candidate, fitness: float) -> None:
        """Adds an evaluated child; the oldest member leaves."""
        member = Individual(candidate.id, candidate.program, fitness, candidate.hash)
        self._consider(member)
        if self.mode == "random":
            return
        self.population.append(member)
        while len(self.population) > self.population_size:
            self.population.popleft()

    def best(self) -> Individual:
        """The fittest program ever told (not just in the current population)."""
        if self._best is None:
            raise RuntimeError("nothing has been evaluated yet")
        return self._best

    def _consider(self, member: Individual) -> None:
        if self._best is None or _fitness_key(member.fitness) > _fitness_key(self._best.fitness):
            self._best = member

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: population, best, ids, the generator's state."""
        return {
            "population": list(self.population),
            "best": self._best,
            "next_id": self.next_id,
            "rng": self.rng.bit_generator.state,
            "mode": self.mode,
            "population_size": self.population_size,
            "tournament_size": self.tournament_size,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores :meth:`state_dict`'s output (the settings must match)."""
        if (state["mode"], state["population_size"], state["tournament_size"]) != (
            self.mode,
            self.population_size,
            self.tournament_size,
        ):
            raise ValueError("checkpoint was made with other search settings")
        self.population = collections.deque(state["population"])
        self._best = state["best"]
        self.next_id = int(state["next_id"])
        self.rng.bit_generator.state = state["rng"]
