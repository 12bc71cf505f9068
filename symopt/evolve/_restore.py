"""Where a resumed campaign starts: its checkpoint, or its history replayed when there is none to trust.

:func:`restore` loads ``checkpoint.json`` into the searcher and the cache after
checking that the history lines it counts hold each child id once, and exactly
the ids it says were told. Without a usable checkpoint (none yet, a corrupt one,
or the pickle ``checkpoint.pkl`` of an older symopt, which is never read), it
replays ``history.jsonl`` instead (:func:`rebuild`): every line holds its
child's program, fitness and status, so telling them to a fresh searcher in
file order, with the same restarts from the best, gives back the population,
the best, the cache (with its fingerprints' links, from the trained lines'
``fingerprint``), the counters and the hall of fame. Only the generator's
state is not recorded: it is reseeded from ``(seed, lines)``. Lines after the
longest prefix holding ids ``0..k-1`` (children told while others were still in
flight) are dropped and redone, as lines after a checkpoint are.

Example:
    >>> restart_due(every=50, evaluations=51, mode="evolution")  # 50 children told after the warm start
    True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

import symopt.runs as layout
from symopt.config import Config
from symopt.dsl import DSLError, Program, parse, program_hash
from symopt.evolve._cache import FitnessCache
from symopt.evolve._searcher import Searcher
from symopt.proxy_tasks import FitnessResult
from symopt.runs import (
    WARM_START,
    Candidate,
    CheckpointError,
    Entry,
    HallOfFame,
    HistoryError,
    HistoryRecord,
    Stats,
    id_problems,
    load_checkpoint,
    read_history,
)

__all__ = ["Restored", "rebuild", "restart_due", "restore"]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Restored:
    """The campaign's state besides the searcher's and the cache's (which are loaded in place).

    Attributes:
        stats: the counters.
        hall: the hall of fame.
        history_bytes: the history's length to truncate to (later lines are redone).
        in_flight: children to resubmit, by id.
        finished: the campaign had reached its budget.
        checkpointed: it comes from a checkpoint (else from the history).
    """

    stats: Stats
    hall: HallOfFame
    history_bytes: int
    in_flight: tuple[Candidate, ...] = ()
    finished: bool = False
    checkpointed: bool = False


def restart_due(every: int, evaluations: int, mode: str) -> bool:
    """Whether the population is refilled with the best after ``evaluations`` told (warm start included)."""
    children = evaluations - 1
    return bool(every) and children > 0 and children % every == 0 and mode != "random"


def restore(folder: Path, config: Config, searcher: Searcher, cache: FitnessCache[Any], say: Say) -> Restored | None:
    """Loads the campaign in ``folder`` into ``searcher`` and ``cache`` (``None``: nothing to resume).

    Raises:
        HistoryError: a damaged history (ids repeated, or not the ones the
            checkpoint counts; the message gives line numbers), or one that
            cannot be replayed.
    """
    path = folder / layout.CHECKPOINT
    if path.exists():
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError as err:
            say(f"{err}; rebuilding the search from {layout.HISTORY}")
        else:
            history = folder / layout.HISTORY
            records = read_history(history, limit=ckpt.history_bytes).records
            expected = set(range(int(ckpt.searcher["next_id"]))) - {c.id for c in ckpt.in_flight}
            _refuse_damaged(history, id_problems(records, history, expected, len(records)))
            searcher.load_state_dict(ckpt.searcher)
            cache.load_state_dict(ckpt.cache)
            in_flight = tuple(sorted(ckpt.in_flight, key=lambda c: c.id))
            hall = ckpt.hall or HallOfFame(config.output.hall_of_fame)
            return Restored(ckpt.stats, hall, ckpt.history_bytes, in_flight, ckpt.finished, checkpointed=True)
    elif (folder / layout.OLD_CHECKPOINT).exists():
        say(
            f"{folder / layout.OLD_CHECKPOINT}: a pickle checkpoint of an older symopt, never read "
            f"(unpickling can run code); rebuilding the search from {layout.HISTORY}"
        )
    return rebuild(folder, config, searcher, cache)


def rebuild(folder: Path, config: Config, searcher: Searcher, cache: FitnessCache[Any]) -> Restored | None:
    """Replays ``history.jsonl`` into a fresh ``searcher`` and ``cache`` (``None``: no complete line).

    Raises:
        HistoryError: repeated ids, or a line without its program (older runs)
            or whose program does not match its hash.
    """
    path = folder / layout.HISTORY
    if not path.exists():
        return None
    read = read_history(path)
    _refuse_damaged(path, id_problems(read.records, path))
    told = _contiguous_prefix(read.records)
    if told == 0:
        return None
    stats, hall = Stats(), HallOfFame(config.output.hall_of_fame)
    results: dict[str, FitnessResult] = {}
    links: dict[str, str] = {}  # fingerprint -> hash
    for line, record in enumerate(read.records[:told], start=1):
        program = _program(path, line, record)
        fitness = -math.inf if record.fitness is None else float(record.fitness)
        if record.mutation == WARM_START:
            searcher.seed_population(program, fitness, id=record.id)
        else:
            cand = Candidate(
                record.id, record.parent_id, program, record.mutation, record.detail, record.redraws, record.hash
            )
            searcher.tell(cand, fitness)
            reduced = record.length if record.reduced_length is None else record.reduced_length
            stats = stats.proposed(record.length - reduced, record.length, record.redraws)
        trained = record.status != "cached"
        stats = stats.told(fitness, trained=trained, ok=record.status == "ok", partial=record.partial)
        if not trained:
            stats = stats.cached(by_fingerprint=record.same_as is not None)
        else:
            metric = math.nan if record.metric is None else float(record.metric)
            status = "ok" if record.status == "ok" else "failed"
            results[record.hash] = FitnessResult(fitness, status, record.reason, metric, record.seconds, (), 0, 0)
            if record.fingerprint is not None:  # search.fingerprint: the first trained program keeps it
                links.setdefault(record.fingerprint, record.hash)
        if record.status == "ok" and not record.partial:  # as the live loop: a part's score takes no place
            reduced_length = record.length if record.reduced_length is None else record.reduced_length
            entry = Entry(
                record.id, program, fitness, math.nan if record.metric is None else float(record.metric),
                record.hash, record.length, reduced_length, record.mutation, record.parent_id,
            )  # fmt: skip
            hall = hall.add(entry)
        if restart_due(config.search.restart_from_best_every, stats.evaluations, config.search.mode):
            searcher.restart_from_best()
            stats = dataclasses.replace(stats, restarts_from_best=stats.restarts_from_best + 1)
    state = searcher.state_dict()
    # The generator's state is not in the history: reseed it, from the seed and the lines replayed.
    state["rng"] = np.random.default_rng([config.seed, told]).bit_generator.state
    state["next_id"] = told
    searcher.load_state_dict(state)
    cache.load_state_dict({"results": results, "fingerprints": links, "hits": stats.cache_hits, "misses": stats.trained})
    last_t = read.records[told - 1].t
    stats = dataclasses.replace(stats, elapsed=float(last_t or 0.0))
    return Restored(stats, hall, read.ends[told - 1])


def _refuse_damaged(path: Path, problems: list[str]) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise HistoryError(f"{problems[0]}{more}; the history is damaged, so --resume refuses this run folder")


def _contiguous_prefix(records: list[HistoryRecord]) -> int:
    """The most leading lines whose ids are exactly ``0..k-1``."""
    best = highest = 0
    for k, record in enumerate(records, start=1):
        highest = max(highest, record.id)
        if highest == k - 1:  # ids are distinct and non-negative: k of them below k is all of 0..k-1
            best = k
    return best


def _program(path: Path, line: int, record: HistoryRecord) -> Program:
    where = f"{path}:{line}"
    if record.source is None:
        raise HistoryError(
            f"{where}: child {record.id}'s program is not recorded (an older symopt); "
            "the search cannot be rebuilt from this history: start a new search"
        )
    try:
        program = parse(record.source, where)
    except DSLError as err:
        raise HistoryError(f"{where}: child {record.id}'s program does not parse ({err})") from None
    if program_hash(program) != record.hash:
        raise HistoryError(f"{where}: child {record.id}'s program does not match its hash {record.hash}")
    return program
