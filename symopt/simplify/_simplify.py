"""Automatic simplification of a discovered program (paper section 2.3, SPEC section 8).

The paper's three steps, the third of which it did by hand:

1. ``reduce``: drop redundant statements, within a step and across steps.
2. ``delete``: greedily drop the statement whose removal hurts the fitness least,
   while it falls by at most ``tolerance`` below the current program's; and,
   with ``evolve_steps > 0``, the paper's variant (``evolve``): regularized
   evolution with insertion turned off, keeping the shortest program within
   ``tolerance`` of the best it saw.
3. Rewrites into simpler forms (:mod:`symopt.simplify._rewrites`, checked by :mod:`symopt.simplify._equivalence`): equivalences
   checked numerically on random inputs (``sign``, ``merge_interp``,
   ``split_interp``, ``zero_slots``, ``drop_slots``); ``round``, each constant
   to the fewest significant digits that keep the fitness within ``tolerance``
   of the current program's, after which the equivalences are tried again;
   ``rename``, descriptive variable names.

Fitness is measured only where a decision needs it or a step reports it, and
cached by :func:`~symopt.dsl.analysis.program_hash` within one call.

Example:
    >>> from symopt.dsl import builtin, reduce
    >>> # Longer is better: nothing is deleted, and every constant rounds to one digit.
    >>> longer_is_better = lambda program: float(len(reduce(program)))
    >>> result = simplify(builtin("program4"), fitness_fn=longer_is_better)
    >>> [step.name for step in result.steps]  # doctest: +NORMALIZE_WHITESPACE
    ['reduce', 'sign', 'merge_interp', 'drop_slots', 'round', 'round', 'round',
     'zero_slots', 'rename']
    >>> result.steps[1].description
    'update = m / abs_m -> update = sign(m)'
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from symopt.config import DEFAULT_TOLERANCE, MutationWeights, SearchSpace
from symopt.dsl import Program, depends_on_gradient, is_valid, program_hash, reduce, to_source, validate
from symopt.dsl.redundancy import liveness
from symopt.evolve import MutationFailed, RegularizedEvolution
from symopt.proxy_tasks import DEFAULT_FITNESS, FITNESS_FLOOR, FitnessSpec, evaluate_fitness
from symopt.simplify._constants import constant_sites, roundings, with_constant
from symopt.simplify._naming import descriptive_names, renamed
from symopt.simplify._rewrites import apply_rewrites, statement_text

__all__ = [
    "EVOLVE_POPULATION",
    "FitnessFn",
    "Simplification",
    "Step",
    "simplify",
]


EVOLVE_POPULATION = 8
"""Population of the insertion-free evolution: small, since it only prunes."""

FitnessFn = Callable[[Program], float]
"""A program's fitness, higher better."""


@dataclass(frozen=True)
class Step:
    """One applied simplification.

    Attributes:
        name: ``reduce``, ``delete``, ``evolve``, a rewrite's name, ``round`` or ``rename``.
        description: one line on what changed.
        source: the program after the step.
        fitness: its fitness.
    """

    name: str
    description: str
    source: str
    fitness: float


@dataclass(frozen=True)
class Simplification:
    """What :func:`simplify` did.

    Attributes:
        program: the simplified program.
        steps: the applied steps, in order (empty when nothing could be simpler).
        fitness: the simplified program's fitness.
        original: the program given.
        original_fitness: its fitness.
    """

    program: Program
    steps: tuple[Step, ...]
    fitness: float
    original: Program
    original_fitness: float

    @property
    def source(self) -> str:
        return to_source(self.program)


Change = tuple[str, str, Program]  # (step name, description, the program after it)


class _CachedFitness:
    """A fitness function memoized by functional hash; NaN counts as the worst."""

    def __init__(self, fitness_fn: FitnessFn) -> None:
        self._fitness_fn = fitness_fn
        self._values: dict[str, float] = {}

    @property
    def evaluations(self) -> int:
        return len(self._values)

    def __call__(self, program: Program) -> float:
        key = program_hash(program)
        if key not in self._values:
            value = float(self._fitness_fn(program))
            self._values[key] = -math.inf if math.isnan(value) else value
        return self._values[key]


@dataclass(frozen=True)
class _Context:
    score: _CachedFitness
    tolerance: float
    log: Callable[[str], None]

    def acceptable(self, fitness: float, current: float) -> bool:
        """Within tolerance of ``current``; a failed program (at the floor) never is."""
        return fitness > FITNESS_FLOOR and fitness >= current - self.tolerance


def simplify(
    program: Program,
    spec: FitnessSpec = DEFAULT_FITNESS,
    seeds: Sequence[int] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    evolve_steps: int = 0,
    rng_seed: int = 0,
    *,
    fitness_fn: FitnessFn | None = None,
    progress: Callable[[str], None] | None = None,
) -> Simplification:
    """Simplifies a program in the paper's three steps (see the module docstring).

    Args:
        program: a valid program.
        spec: the fitness that decides deletions and roundings.
        seeds: training seeds instead of ``spec.seeds``.
        tolerance: how far below the current program's fitness a deletion or a
            rounding may bring it (:data:`DEFAULT_TOLERANCE`). Nothing that
            scores at or below ``FITNESS_FLOOR`` (a failed program) is accepted.
        evolve_steps: children of the insertion-free evolution; 0 skips it.
        rng_seed: seeds the evolution.
        fitness_fn: replaces ``evaluate_fitness(p, spec, seeds).fitness``
            (tests inject a cheap, deterministic one).
        progress: called with a line of text as the work goes on.

    Returns:
        The simplified program, each applied step and the fitnesses.

    Raises:
        InvalidProgram: if ``program`` is invalid.
        ValueError: for a negative ``tolerance`` or ``evolve_steps``.

    Example:
        >>> from symopt.dsl import builtin, reduce
        >>> result = simplify(builtin("lion"), fitness_fn=lambda p: float(len(reduce(p))))
        >>> [(step.name, step.description) for step in result.steps][0]
        ('drop_slots', 'dropped unused state slot v')
    """
    validate(program)
    if tolerance < 0 or evolve_steps < 0:
        raise ValueError("tolerance and evolve_steps must be >= 0")
    if fitness_fn is None:
        fitness_fn = functools.partial(_spec_fitness, spec=spec, seeds=seeds)
    ctx = _Context(_CachedFitness(fitness_fn), tolerance, progress or (lambda _: None))
    ctx.log(f"original: {len(program)} statements; measuring its fitness (the first run compiles)")
    ctx.score(program)
    phases: tuple[Callable[[Program, _Context], Iterator[Change]], ...] = (
        _reduce_phase,
        _deletion_phase,
        functools.partial(_evolve_phase, steps=evolve_steps, rng_seed=rng_seed),
        _rewrite_phase,
        _rounding_phase,
        _rewrite_phase,  # rounding can make more: a beta rounded to 1.0 leaves its slot at zero
        _naming_phase,
    )
    current, steps = program, []
    for phase in phases:
        for name, description, changed in phase(current, ctx):
            current = changed
            steps.append(Step(name, description, to_source(changed), ctx.score(changed)))
    ctx.log(f"done: {len(steps)} steps, {ctx.score.evaluations} programs evaluated")
    return Simplification(current, tuple(steps), ctx.score(current), program, ctx.score(program))


def _spec_fitness(program: Program, spec: FitnessSpec, seeds: Sequence[int] | None) -> float:
    return evaluate_fitness(program, spec, seeds).fitness


# --- 1. redundancy -------------------------------------------------------------


def _reduce_phase(program: Program, ctx: _Context) -> Iterator[Change]:
    live = liveness(program).statements
    dead = [statement_text(program, i) for i in range(len(program)) if i not in live]
    if dead:
        plural = "s" if len(dead) > 1 else ""
        yield "reduce", f"removed {len(dead)} redundant statement{plural}: {'; '.join(dead)}", reduce(program)


# --- 2. evaluation-guided removal ---------------------------------------------------


def _deletions(program: Program) -> Iterator[tuple[int, Program]]:
    """Each statement's deletion that leaves a valid program reading the gradient, reduced."""
    for i in range(len(program)):
        candidate = program.with_changes(statements=program.statements[:i] + program.statements[i + 1 :])
        if is_valid(candidate) and depends_on_gradient(candidate):
            yield i, reduce(candidate)


def _deletion_phase(program: Program, ctx: _Context) -> Iterator[Change]:
    current, fitness = program, ctx.score(program)
    while True:
        candidates = list(_deletions(current))
        ctx.log(f"delete: trying {len(candidates)} deletions of {len(current)} statements")
        scored = [(ctx.score(c), i, c) for i, c in candidates]
        # The deletion that hurts least; among equals the shorter result, then the earlier statement.
        kept = [s for s in scored if ctx.acceptable(s[0], fitness)]
        if not kept:
            return
        new_fitness, index, candidate = max(kept, key=lambda s: (s[0], -len(s[2]), -s[1]))
        extra = len(current) - 1 - len(candidate)
        more = f"; {extra} more became redundant" if extra else ""
        yield "delete", f"removed `{statement_text(current, index)}`{more}", candidate
        current, fitness = candidate, new_fitness


def _evolve_phase(program: Program, ctx: _Context, steps: int, rng_seed: int) -> Iterator[Change]:
    if steps <= 0:
        return
    fitness = ctx.score(program)
    space = SearchSpace(
        state=program.state,
        max_len=max(len(program), 1),
        mutation_weights=MutationWeights(insert=0.0),
    )
    evolution = RegularizedEvolution(space, EVOLVE_POPULATION, tournament_size=2, seed=rng_seed)
    evolution.seed_population(program, fitness)
    seen = {program_hash(program): (program, fitness)}
    for child in range(steps):
        try:
            candidate = evolution.ask()
        except MutationFailed:  # nothing left to delete or change
            break
        child_fitness = ctx.score(candidate.program)
        evolution.tell(candidate, child_fitness)
        seen.setdefault(candidate.hash, (reduce(candidate.program), child_fitness))
        if (child + 1) % 10 == 0:
            ctx.log(f"evolve: {child + 1}/{steps} children, best fitness {evolution.best().fitness:.4f}")
    best = max(f for _, f in seen.values())
    near_best = [pf for pf in seen.values() if ctx.acceptable(pf[1], best)]
    if not near_best:  # everything failed
        return
    shortest, _ = min(near_best, key=lambda pf: (len(pf[0]), -pf[1]))
    if program_hash(shortest) != program_hash(program):
        description = f"shortest within tolerance of the best of {len(seen)} programs"
        yield "evolve", f"{description}: {len(shortest)} statements", shortest


# --- 3. rewrites -------------------------------------------------------------------------


def _rewrite_phase(program: Program, ctx: _Context) -> Iterator[Change]:
    ctx.log("rewrite: checking simpler equivalent forms on random inputs")
    for applied in apply_rewrites(program):
        yield applied.rule, applied.description, applied.program


def _rounding_phase(program: Program, ctx: _Context) -> Iterator[Change]:
    current, fitness = program, ctx.score(program)
    ctx.log(f"round: trying shorter decimals for {len(constant_sites(program))} constants")
    for site in constant_sites(program):  # rounding changes no structure: sites stay put
        old = current.statements[site[0]].args[site[1]].value
        for value in roundings(old):
            candidate = with_constant(current, site, value)
            candidate_fitness = ctx.score(candidate)
            if ctx.acceptable(candidate_fitness, fitness):
                yield "round", f"{old!r} -> {value!r} in `{statement_text(current, site[0])}`", candidate
                current, fitness = candidate, candidate_fitness
                break


def _naming_phase(program: Program, ctx: _Context) -> Iterator[Change]:
    names = descriptive_names(program)
    if names:
        yield "rename", ", ".join(f"{old} -> {new}" for old, new in names.items()), renamed(program, names)
