"""Campaign configuration: frozen dataclasses that mirror the sections of a YAML file.

Like AutoML-Zero's ``experiment.proto``, every field has its default in code and
a line saying what it is. :func:`load_config` reads a YAML file, applies
``--set section.key=value`` overrides, and rejects unknown keys, wrong types,
bad values and cross-field conflicts with a :class:`ConfigError` naming the file,
the key path and what was expected. :func:`dump_config` writes the resolved
config (every default filled in), which :func:`load_config` reads back equal.

Example:
    >>> cfg = Config()
    >>> cfg.search.population_size, cfg.search.tournament_size, cfg.search.warm_start
    (1000, 2, 'adamw')
    >>> parse_override("search.population_size=50")
    (('search', 'population_size'), 50)
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from symopt.dsl.analysis import validate
from symopt.dsl.builtins import BUILTIN_NAMES, builtin
from symopt.dsl.encode import Layout
from symopt.dsl.errors import DSLError
from symopt.dsl.functions import FUNCTION_NAMES
from symopt.dsl.source import load
from symopt.evolve.fitness_config import FitnessConfig, TaskConfig
from symopt.evolve.schema import SchemaError, build, check, to_plain
from symopt.evolve.selection_config import (
    PIPELINE_STEPS,
    FunnelConfig,
    PipelineStep,
    SimplifyConfig,
    StageConfig,
    check_pipeline,
)
from symopt.evolve.space import SearchSpace

__all__ = [
    "Budget",
    "Config",
    "ConfigError",
    "FitnessConfig",
    "FunnelConfig",
    "MutationWeights",
    "OutputConfig",
    "RayConfig",
    "SearchConfig",
    "SearchSpaceConfig",
    "SimplifyConfig",
    "StageConfig",
    "TaskConfig",
    "config_to_dict",
    "dump_config",
    "load_config",
    "parse_override",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(ValueError):
    """A config that cannot run: ``FILE: key.path: what was expected``."""


def _positive_or_none(value: float | None) -> bool:
    return value is None or value > 0


@dataclass(frozen=True)
class MutationWeights:
    """Relative probabilities of the three mutations (paper: equal).

    Attributes:
        insert: insert a random statement (default 1.0; 0 turns insertion off,
            as in simplification by evolution).
        delete: delete a random statement (default 1.0).
        modify: change one argument (default 1.0).
    """

    insert: float = 1.0
    delete: float = 1.0
    modify: float = 1.0

    def __post_init__(self) -> None:
        for key in ("insert", "delete", "modify"):
            check(getattr(self, key) >= 0, key, "a number >= 0", getattr(self, key))
        total = self.insert + self.delete + self.modify
        check(total > 0, "modify", "weights that are not all 0", total)


@dataclass(frozen=True)
class SearchSpaceConfig:
    """What mutations may produce (section ``search_space``).

    Attributes:
        max_len: the most statements in a program (default 24; at most the
            encoder's 48).
        functions: ``"all"`` (default: the whole library) or a list of function names.
        state: the state slots every program declares (default ``[m, v]``, AdamW's
            memory; at most 2).
        mutation_weights: insert / delete / modify weights (default 1 / 1 / 1).
        const_prob: probability that a new scalar argument is a fresh constant
            rather than a variable (default 0.2).
        max_redraws: tries to draw a valid child that differs from its parent
            (default 100).
    """

    max_len: int = 24
    functions: Literal["all"] | tuple[str, ...] = "all"
    state: tuple[str, ...] = ("m", "v")
    mutation_weights: MutationWeights = field(default_factory=MutationWeights)
    const_prob: float = 0.2
    max_redraws: int = 100

    def __post_init__(self) -> None:
        layout = Layout()
        limit = layout.max_len
        check(1 <= self.max_len <= limit, "max_len", f"an integer in [1, {limit}]", self.max_len)
        if self.functions != "all":
            check(len(self.functions) > 0, "functions", "'all' or a non-empty list", self.functions)
            for i, name in enumerate(self.functions):
                check(name in FUNCTION_NAMES, f"functions[{i}]", "a library function name", name)
        check(len(self.state) <= layout.num_slots, "state", "at most 2 slot names", self.state)
        check(len(set(self.state)) == len(self.state), "state", "distinct slot names", self.state)
        for i, slot in enumerate(self.state):
            ok = bool(_IDENT.match(slot)) and slot not in ("w", "g", "lr", "update")
            check(ok, f"state[{i}]", "an identifier other than w, g, lr, update", slot)
        check(0 <= self.const_prob <= 1, "const_prob", "a number in [0, 1]", self.const_prob)
        check(self.max_redraws >= 1, "max_redraws", "an integer >= 1", self.max_redraws)

    def to_space(self) -> SearchSpace:
        """The :class:`~symopt.evolve.space.SearchSpace` this section describes."""
        w = self.mutation_weights
        return SearchSpace(
            functions=FUNCTION_NAMES if self.functions == "all" else self.functions,
            max_len=self.max_len,
            state=self.state,
            insert_weight=w.insert,
            delete_weight=w.delete,
            modify_weight=w.modify,
            max_redraws=self.max_redraws,
            const_prob=self.const_prob,
        )


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
    """

    mode: Literal["evolution", "random", "hparam"] = "evolution"
    warm_start: str = "adamw"
    population_size: int = 1000
    tournament_size: int = 2
    budget: Budget = field(default_factory=Budget)
    restart_from_best_every: int | None = None

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
        search_space: see :class:`SearchSpaceConfig`.
        search: see :class:`SearchConfig`.
        fitness: see :class:`FitnessConfig`.
        ray: see :class:`RayConfig`.
        output: see :class:`OutputConfig`.
        pipeline: the steps ``symopt search`` runs, a prefix of ``[search,
            funnel, simplify, verdict]`` (default ``[search]``); with more than
            the search it ends by writing ``report.md``.
        funnel: see :class:`~symopt.evolve.selection_config.FunnelConfig`.
        simplify: see :class:`~symopt.evolve.selection_config.SimplifyConfig`.
    """

    name: str = "search"
    seed: int = 0
    search_space: SearchSpaceConfig = field(default_factory=SearchSpaceConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    fitness: FitnessConfig = field(default_factory=FitnessConfig)
    ray: RayConfig = field(default_factory=RayConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    pipeline: tuple[PipelineStep, ...] = PIPELINE_STEPS[:1]
    funnel: FunnelConfig = field(default_factory=FunnelConfig)
    simplify: SimplifyConfig = field(default_factory=SimplifyConfig)

    def __post_init__(self) -> None:
        check(bool(_NAME.match(self.name)), "name", "letters, digits, '_', '.', '-'", self.name)
        check(0 <= self.seed < 2**63, "seed", "an integer in [0, 2**63)", self.seed)
        check_pipeline(self.pipeline)


def config_to_dict(config: Config) -> dict[str, Any]:
    """The config as plain YAML data, every default filled in."""
    return to_plain(config)


def dump_config(config: Config, path: str | os.PathLike[str]) -> None:
    """Writes ``config`` as YAML; :func:`load_config` reads it back equal."""
    text = yaml.safe_dump(config_to_dict(config), sort_keys=False, default_flow_style=False)
    header = "# The resolved campaign config (all defaults filled in), written by symopt.\n"
    Path(path).write_text(header + text, encoding="utf-8")


def parse_override(text: str) -> tuple[tuple[str, ...], Any]:
    """``"section.key=value"`` as a key path and a YAML-parsed value.

    Raises:
        ValueError: without ``=`` or with an empty key, or a value YAML cannot read.

    Example:
        >>> parse_override("ray.serial=true")
        (('ray', 'serial'), True)
        >>> parse_override("search_space.functions=[add, sign]")
        (('search_space', 'functions'), ['add', 'sign'])
    """
    key, sep, raw = text.partition("=")
    keys = tuple(k.strip() for k in key.split("."))
    if not sep or not all(keys):
        raise ValueError(f"expected section.key=value, got {text!r}")
    try:
        return keys, yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise ValueError(f"the value of {text!r} is not YAML: {err}") from None


def load_config(path: str | os.PathLike[str], overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Reads a campaign YAML file, applies ``--set`` overrides, checks everything.

    Args:
        path: the YAML file.
        overrides: ``section.key=value`` strings, applied in order; values are YAML.

    Raises:
        ConfigError: ``FILE: key.path: expected ..., got ...`` for an unreadable
            file, an unknown key, a wrong type, a bad value or a conflict
            (tournament larger than population, warm start not found, unknown
            task or knob).

    Example:
        >>> import tempfile, os
        >>> f = os.path.join(tempfile.mkdtemp(), "c.yaml")
        >>> _ = open(f, "w").write("search: {population_size: 5}\\n")
        >>> load_config(f, ["search.tournament_size=3"]).search.tournament_size
        3
    """
    where = os.fspath(path)
    raw = _read_yaml(where)
    set_paths: dict[str, str] = {}
    for text in overrides:
        try:
            keys, value = parse_override(text)
        except ValueError as err:
            raise ConfigError(f"{where} (--set): {err}") from None
        _apply(raw, keys, value, where, text)
        set_paths[".".join(keys)] = text
    try:
        config = build(Config, raw)
    except SchemaError as err:
        raise ConfigError(f"{_source(where, err.path, set_paths)}: {err}") from None
    return _resolve_warm_start(config, where, set_paths)


def _read_yaml(where: str) -> dict[str, Any]:
    try:
        with open(where, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except OSError as err:
        raise ConfigError(f"{where}: cannot read the config: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{where}{at}: not valid YAML: {problem}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of sections at the top, got {type(raw).__name__}")
    return raw


def _apply(raw: dict[str, Any], keys: tuple[str, ...], value: Any, where: str, text: str) -> None:
    node = raw
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            at = ".".join(keys[: depth + 1])
            raise ConfigError(f"{where} (--set {text}): {at}: is not a section, cannot set a key in it")
        node = child
    node[keys[-1]] = value


def _source(where: str, key_path: str, set_paths: dict[str, str]) -> str:
    """The file, and the ``--set`` that put the bad value there if one did."""
    for set_path, text in set_paths.items():
        # The bad value is the one set, lies inside it, or holds it (``--set seed.x=1``).
        inside = key_path.startswith(set_path + ".") or key_path.startswith(set_path + "[")
        if key_path == set_path or inside or set_path.startswith(key_path + "."):
            return f"{where} (--set {text})"
    return where


def _resolve_warm_start(config: Config, where: str, set_paths: dict[str, str]) -> Config:
    """Checks the warm start loads and is valid; a file becomes an absolute path."""
    spec = config.search.warm_start
    source = _source(where, "search.warm_start", set_paths)
    if spec in BUILTIN_NAMES and not Path(spec).is_file():
        program, resolved = builtin(spec), spec
    else:
        candidates = [Path(spec), Path(where).parent / spec]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise ConfigError(
                f"{source}: search.warm_start: expected a built-in program "
                f"({', '.join(BUILTIN_NAMES)}) or a program file, got {spec!r} (not found)"
            )
        resolved = str(found.resolve())
        try:
            program = load(found)
            validate(program)
        except (DSLError, OSError) as err:
            raise ConfigError(f"{source}: search.warm_start: expected a valid program, got {spec!r}: {err}") from None
    if config.search.mode != "random" and tuple(program.state) != config.search_space.state:
        raise ConfigError(
            f"{source}: search.warm_start: expected a program with the search space's state "
            f"slots {list(config.search_space.state)}, got {spec!r} with {list(program.state)}"
        )
    search = dataclasses.replace(config.search, warm_start=resolved)
    return dataclasses.replace(config, search=search)
