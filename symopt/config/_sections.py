"""The campaign config: one frozen dataclass per YAML section, and :class:`Config` holding them.

Like AutoML-Zero's ``experiment.proto``, every field has its default in code and
a line saying what it is. Each section's dataclass is what the code runs with:
``search_space`` is the :class:`~symopt.config._space.SearchSpace` mutations
read, ``fitness`` the proxy tasks' ``FitnessSpec``.

Example:
    >>> cfg = Config()
    >>> cfg.search.population_size, cfg.search.tournament_size, cfg.search.warm_start
    (1000, 2, 'adamw')
    >>> cfg.fitness.slot_cost, cfg.search_space.max_len
    (0.3, 24)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from symopt.config._fitness import DEFAULT_FITNESS, FitnessSpec
from symopt.config._schema import check
from symopt.config._space import SearchSpace
from symopt.config._stages import PIPELINE_STEPS, FunnelConfig, PipelineStep, SimplifyConfig, check_pipeline

__all__ = ["Budget", "Config", "FingerprintConfig", "HurdleConfig", "OutputConfig", "RayConfig", "SearchConfig"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _positive_or_none(value: float | None) -> bool:
    return value is None or value > 0


@dataclass(frozen=True)
class Budget:
    """When to stop: at the first budget reached (all null: run until interrupted).

    Attributes:
        max_children: children proposed, cache hits included (default null).
        max_trained: programs trained, the warm start included (default null).
        max_seconds: wall-clock seconds of searching, summed over resumes (default null).
    """

    max_children: int | None = None
    max_trained: int | None = None
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        for key in ("max_children", "max_trained", "max_seconds"):
            value = getattr(self, key)
            check(_positive_or_none(value), key, "a number > 0 or null", value)


@dataclass(frozen=True)
class HurdleConfig:
    """A cheap first part of the fitness each child must pass (AutoML-Zero's hurdles;
    section ``search.hurdle``). Off by default.

    A child trains the fitness's tasks ``tasks`` first; when their score (a
    fitness on those tasks alone) is below the ``percentile``-th percentile of
    the same score of the last ``window`` children that passed or stopped
    there, it stops, with that score as its fitness, marked ``partial`` in
    the history. The hurdle applies once ``min_scores`` scores are known.

    Attributes:
        percentile: in ``(0, 100)`` (default null: no hurdle; AutoML-Zero's 75).
        tasks: indices into ``fitness.tasks`` of the part trained first (default ``[0]``).
        window: how many recent children's scores set the hurdle (default 100).
        min_scores: scores needed before the hurdle applies (default 20).
    """

    percentile: float | None = None
    tasks: tuple[int, ...] = (0,)
    window: int = 100
    min_scores: int = 20

    def __post_init__(self) -> None:
        ok = self.percentile is None or 0 < self.percentile < 100
        check(ok, "percentile", "a number in (0, 100) or null", self.percentile)
        check(len(self.tasks) > 0 and min(self.tasks) >= 0, "tasks", "a non-empty list of task indices", self.tasks)
        check(self.window >= 1, "window", "an integer >= 1", self.window)
        check(1 <= self.min_scores <= self.window, "min_scores", "an integer in [1, window]", self.min_scores)


@dataclass(frozen=True)
class FingerprintConfig:
    """Functional fingerprints (section ``search.fingerprint``): programs whose updates on fixed
    probe gradients agree share a fitness, beyond the functional hash. Off by default.

    A child that misses the hash cache is run ``steps`` steps on fixed probe
    inputs, its updates rounded to ``digits`` significant digits and hashed
    (:mod:`symopt.evolve._fingerprint`); a child whose fingerprint a trained
    program already has takes that program's result untrained (a ``cached``
    history line naming it in ``same_as``). Off by default because it is a
    heuristic: programs equal on the probes may still differ in training
    (``docs/throughput.md`` measures how often), and turning it on changes which
    children are trained, so a run's history differs from one without it.

    Attributes:
        enabled: look fingerprints up (default false).
        steps: probe steps per program (default 6).
        digits: significant digits kept of each update entry (default 4; float32 holds ~7).
    """

    enabled: bool = False
    steps: int = 6
    digits: int = 4

    def __post_init__(self) -> None:
        check(1 <= self.steps <= 64, "steps", "an integer in [1, 64]", self.steps)
        check(1 <= self.digits <= 7, "digits", "an integer in [1, 7]", self.digits)


@dataclass(frozen=True)
class SearchConfig:
    """The search method (section ``search``; paper section 2.2).

    Attributes:
        mode: ``evolution`` (default: regularized evolution), ``random`` (random
            search baseline) or ``hparam`` (mutate constants only: the
            hyperparameter-tuning baseline).
        warm_start: the program every population member starts as: a built-in
            name or a program file (default ``adamw``, as in the paper). A
            relative path is looked up from the working directory, then from the
            config file's folder; the saved config holds the absolute path.
        population_size: ``P`` (default 1000, the paper's).
        tournament_size: ``T`` (default 2, the paper's); at most ``P``.
        budget: when to stop (default: no limit).
        restart_from_best_every: refill the population with the best program
            every this many evaluations (default null: never).
        hurdle: see :class:`HurdleConfig` (default: off).
        fingerprint: see :class:`FingerprintConfig` (default: off).
    """

    mode: Literal["evolution", "random", "hparam"] = "evolution"
    warm_start: str = "adamw"
    population_size: int = 1000
    tournament_size: int = 2
    budget: Budget = field(default_factory=Budget)
    restart_from_best_every: int | None = None
    hurdle: HurdleConfig = field(default_factory=HurdleConfig)
    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)

    def __post_init__(self) -> None:
        check(self.population_size >= 1, "population_size", "an integer >= 1", self.population_size)
        check(
            1 <= self.tournament_size <= self.population_size,
            "tournament_size",
            f"an integer in [1, population_size = {self.population_size}]",
            self.tournament_size,
        )
        check(
            _positive_or_none(self.restart_from_best_every),
            "restart_from_best_every",
            "an integer >= 1 or null",
            self.restart_from_best_every,
        )


@dataclass(frozen=True)
class RayConfig:
    """Where evaluations run (section ``ray``): only this section changes between a
    laptop and a cluster.

    Attributes:
        address: a running Ray cluster to join, e.g. ``"10.0.0.1:6379"`` or
            ``"auto"`` (default null: start an embedded local Ray on loopback).
        num_cpus: CPUs the embedded Ray may use (default null: all cores).
        num_workers: evaluation workers (default null: one per CPU Ray reports).
        num_cpus_per_worker: CPUs reserved per worker (default 1).
        num_gpus_per_worker: GPUs reserved per worker, fractions allowed (default 0).
        dashboard: start Ray's dashboard (default false).
        serial: evaluate in this process with no Ray at all (default false); the
            reference for determinism tests.
    """

    address: str | None = None
    num_cpus: int | None = None
    num_workers: int | None = None
    num_cpus_per_worker: float = 1.0
    num_gpus_per_worker: float = 0.0
    dashboard: bool = False
    serial: bool = False

    def __post_init__(self) -> None:
        for key in ("num_cpus", "num_workers"):
            value = getattr(self, key)
            check(_positive_or_none(value), key, "an integer >= 1 or null", value)
        check(self.num_cpus_per_worker > 0, "num_cpus_per_worker", "a number > 0", self.num_cpus_per_worker)
        check(self.num_gpus_per_worker >= 0, "num_gpus_per_worker", "a number >= 0", self.num_gpus_per_worker)


@dataclass(frozen=True)
class OutputConfig:
    """What the run folder gets and how often (section ``output``).

    Attributes:
        dir: the folder that holds run folders (default ``runs``).
        checkpoint_every: write a checkpoint every this many evaluations (default 100).
        checkpoint_seconds: ... and at least this often (default 300).
        hall_of_fame: distinct programs kept in ``hall_of_fame.csv`` and ``best/``
            (default 10).
        summary_seconds: seconds between one-line summaries when there is no
            progress bar (default 30).
    """

    dir: str = "runs"
    checkpoint_every: int = 100
    checkpoint_seconds: float = 300.0
    hall_of_fame: int = 10
    summary_seconds: float = 30.0

    def __post_init__(self) -> None:
        check(bool(self.dir), "dir", "a folder name", self.dir)
        check(self.checkpoint_every >= 1, "checkpoint_every", "an integer >= 1", self.checkpoint_every)
        for key in ("checkpoint_seconds", "summary_seconds"):
            check(getattr(self, key) > 0, key, "a number > 0", getattr(self, key))
        check(self.hall_of_fame >= 1, "hall_of_fame", "an integer >= 1", self.hall_of_fame)


@dataclass(frozen=True)
class Config:
    """A whole campaign.

    Attributes:
        name: names the run folder ``NAME-YYYYmmdd-HHMMSS`` (default ``search``).
        seed: seeds the search's random generator (default 0).
        search_space: see :class:`~symopt.config._space.SearchSpace`.
        search: see :class:`SearchConfig`.
        fitness: the proxy tasks' ``FitnessSpec`` (changes to ``DEFAULT_FITNESS``).
        ray: see :class:`RayConfig`.
        output: see :class:`OutputConfig`.
        pipeline: the steps ``symopt search`` runs, a prefix of ``[search,
            funnel, simplify, verdict]`` (default ``[search]``); with more than
            the search it ends by writing ``report.md``.
        funnel: see :class:`~symopt.config._stages.FunnelConfig`.
        simplify: see :class:`~symopt.config._stages.SimplifyConfig`.
    """

    name: str = "search"
    seed: int = 0
    search_space: SearchSpace = field(default_factory=SearchSpace)
    search: SearchConfig = field(default_factory=SearchConfig)
    fitness: FitnessSpec = DEFAULT_FITNESS
    ray: RayConfig = field(default_factory=RayConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    pipeline: tuple[PipelineStep, ...] = PIPELINE_STEPS[:1]
    funnel: FunnelConfig = field(default_factory=FunnelConfig)
    simplify: SimplifyConfig = field(default_factory=SimplifyConfig)

    def __post_init__(self) -> None:
        check(bool(_NAME.match(self.name)), "name", "letters, digits, '_', '.', '-'", self.name)
        check(0 <= self.seed < 2**63, "seed", "an integer in [0, 2**63)", self.seed)
        check_pipeline(self.pipeline)
        tasks = self.search.hurdle.tasks
        check(max(tasks) < len(self.fitness.tasks), "search.hurdle.tasks", "indices into fitness.tasks", tasks)


