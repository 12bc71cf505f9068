"""Regularized evolution as an ask/tell searcher (paper section 2.2).

``ask`` samples a tournament from the population, mutates its best member and
returns the child as a :class:`Candidate`; ``tell`` appends the evaluated child
and drops the OLDEST member. Asks and tells may interleave freely, so workers
never wait for a generation (steady-state, asynchronous). The same class runs
the paper's hyperparameter-tuning baseline (``mode="hparam"``: mutations change
constants only); the random-search baseline is
:class:`~symopt.evolve._random_search.RandomSearch`. Both follow the ask/tell
protocol of :class:`~symopt.evolve._searcher.Searcher` (Ray Tune's
``Searcher``: suggest, on_trial_complete, save, restore).

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
import dataclasses
from typing import Literal

from symopt.config import SearchSpace
from symopt.dsl import Program, program_hash
from symopt.evolve._draws import sample
from symopt.evolve._mutations import mutate
from symopt.evolve._searcher import SearcherState, fitness_key
from symopt.runs import Candidate, Individual

__all__ = ["Mode", "RegularizedEvolution"]

Mode = Literal["evolution", "hparam"]


class RegularizedEvolution(SearcherState):
    """Population ``P``, tournament ``T``, oldest removed.

    Args:
        space: what mutations may produce (``constants_only`` is set for ``hparam``).
        population_size: ``P`` (paper: 1000).
        tournament_size: ``T`` (paper: 2).
        seed: seeds the one ``numpy.random.Generator`` every draw uses.
        mode: ``evolution`` or ``hparam`` (constants only).
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
        if mode not in ("evolution", "hparam"):
            raise ValueError(f"unknown search mode {mode!r}")
        if mode == "hparam" and not space.constants_only:
            space = dataclasses.replace(space, constants_only=True)
        super().__init__(population_size, tournament_size, seed)
        self.space = space
        self.mode = mode

    def seed_population(self, program: Program, fitness: float, id: int = 0) -> None:
        """Fills the population with copies of the evaluated warm start (paper: all AdamW)."""
        member = Individual(id, program, fitness, program_hash(program))
        self.population = collections.deque([member] * self.population_size)
        self._best.consider(member)

    def restart_from_best(self) -> None:
        """Refills the population with the best program so far (the paper's restart)."""
        best = self.best()
        self.population = collections.deque([best] * self.population_size)

    def ask(self) -> Candidate:
        """Proposes the next child.

        Raises:
            RuntimeError: before :meth:`seed_population`.
            symopt.evolve.MutationFailed: no valid child could be drawn.
        """
        if not self.population:
            raise RuntimeError("seed_population() must run before ask()")
        picks = sample(self.rng, len(self.population), self.tournament_size)  # rng.choice(..., replace=False)
        # Ties go to the earlier draw, which is itself random.
        parent = self.population[picks[0]]
        for i in picks[1:]:
            if fitness_key(self.population[i].fitness) > fitness_key(parent.fitness):
                parent = self.population[i]
        made = mutate(parent.program, self.rng, self.space, parent_hash=parent.hash)
        cand = Candidate(
            self.next_id, parent.id, made.child, made.origin, made.detail, made.redraws, made.hash,
            neutral=made.neutral,
        )
        self.next_id += 1
        return cand

    def tell(self, candidate: Candidate, fitness: float) -> None:
        """Adds an evaluated child; the oldest member leaves."""
        member = Individual(candidate.id, candidate.program, fitness, candidate.hash)
        self._best.consider(member)
        self.population.append(member)
        while len(self.population) > self.population_size:
            self.population.popleft()
