"""The campaign loop: one object that asks, evaluates, tells, records and checkpoints.

See :mod:`symopt.evolve._campaign` for what a campaign is; this is its engine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import time
from pathlib import Path
from typing import IO

import symopt.runs as layout
from symopt.config import Config
from symopt.dsl import Program, program_hash, redundant_count, resolve, to_source
from symopt.evolve._cache import FitnessCache
from symopt.evolve._evolution import RegularizedEvolution
from symopt.evolve._fingerprint import fingerprint_if_on
from symopt.evolve._inflight import InFlight
from symopt.evolve._hurdles import HurdleWindow
from symopt.evolve._interrupt import GracefulStop
from symopt.evolve._mutations import MutationFailed
from symopt.evolve._outcome import CampaignError, CampaignResult, writing
from symopt.evolve._progress import Progress, for_search
from symopt.evolve._random_search import RandomSearch
from symopt.evolve._restore import restart_due, restore
from symopt.evolve._searcher import Searcher
from symopt.evolve.workers import EvaluateFn, Evaluator, Job, Outcome, is_evaluator_failure, open_evaluator
from symopt.proxy_tasks import FitnessResult
from symopt.runs import (
    WARM_START,
    Candidate,
    Checkpoint,
    Entry,
    HallOfFame,
    HistoryRecord,
    HistoryWriter,
    Stats,
    atomic_write,
    finite_or_none,
    plot_progress,
    read_history,
    save_checkpoint,
    write_hall_of_fame,
)


__all__ = ["CampaignLoop", "WARM_START_ID"]

WARM_START_ID = 0
_WAIT_SECONDS = 0.5  # how long one wait() blocks: the latency of Ctrl-C and of time budgets
_PLOT_SECONDS = 60.0  # redraw progress.png at most this often (it rereads the history)
_MAX_FAILED_ASKS = 1000  # consecutive MutationFailed before giving up


def _live_length(program: Program) -> int:
    """Statements left once the redundant ones are dropped (a history line's ``reduced_length``)."""
    return len(program) - redundant_count(program)


class CampaignLoop:
    """The loop's mutable state; one instance runs once."""

    def __init__(self, config: Config, folder: Path, stream: IO[str]) -> None:
        self.config, self.folder, self.stream = config, folder, stream
        search = config.search
        self.spec = config.fitness
        self.searcher = _searcher(config)
        self.cache: FitnessCache[FitnessResult] = FitnessCache()
        self.hurdles = HurdleWindow(search.hurdle)
        self.stats = Stats()
        self.hall = HallOfFame(size=config.output.hall_of_fame)
        self.flight = InFlight()
        self._reduced: dict[int, int] = {}  # reduced length of proposed, untold children, by id
        self.finished = False
        self.history: HistoryWriter | None = None
        self.evaluator: Evaluator | None = None
        self._elapsed0 = 0.0
        self._t0 = time.monotonic()
        self._restarts0 = 0
        self._last_ckpt = (0, time.monotonic())
        self._last_plot = -math.inf
        self._hall_written: HallOfFame | None = None
        self._saved: int | None = None  # evaluations in the last checkpoint written or loaded

    # ---------------------------------------------------------------- running

    def run(self, evaluate_fn: EvaluateFn | None) -> CampaignResult:
        pending = self._restore()
        try:
            return self._run(pending, evaluate_fn)
        except Exception as err:
            if not is_evaluator_failure(err):
                raise  # a bug: the last periodic checkpoint is the one to trust
            # The evaluator fails between steps, so the state is consistent: keep it.
            hint = ""
            if self.stats.evaluations:
                self._checkpoint()
                hint = f"; checkpoint written, resume with: symopt search --resume {self.folder}"
            raise CampaignError(f"{err}{hint}") from err
        finally:
            assert self.history is not None
            with contextlib.suppress(OSError):  # a failed write was reported; every told line was fsynced
                self.history.close()

    def _run(self, pending: list[Candidate], evaluate_fn: EvaluateFn | None) -> CampaignResult:
        if self.finished and not self._can_ask():
            self._say(f"{self.folder}: the campaign had already finished ({self.stats.summary()})")
            self._write_outputs(force_plot=True)
            return CampaignResult(self.folder, self.stats, True, 0)
        self.finished = False  # a finished campaign resumed with a larger budget runs again
        waits = "the first JIT compile" if self.config.ray.serial else "Ray start and the first JIT compile"
        self._say(f"starting the evaluators ({waits}: ~30 s on 2 cores) ...")
        with open_evaluator(self.config.ray, self.spec, evaluate_fn) as evaluator, GracefulStop() as stop:
            self.evaluator = evaluator
            self._say(f"run folder: {self.folder} ({evaluator.num_workers} worker(s))")
            self._t0 = time.monotonic()
            with self._progress() as bar:
                if self.stats.evaluations == 0:
                    self._warm_start(stop)
                for cand in pending:
                    self._dispatch(cand)
                self._loop(stop, bar)
        if stop.requested and self.stats.evaluations == 0:
            self._say(f"interrupted during the warm start; --resume {self.folder} starts over")
            return CampaignResult(self.folder, self.stats, False, stop.exit_code)
        if stop.requested:
            self._checkpoint()
            self._say(
                f"interrupted; checkpoint written. Resume with: symopt search --resume {self.folder}"
            )
            return CampaignResult(self.folder, self.stats, False, stop.exit_code)
        self.finished = True
        self._checkpoint(force_plot=True)
        self._say(f"finished: {self.stats.summary()}\nresults in {self.folder}")
        return CampaignResult(self.folder, self.stats, True, 0)

    def _loop(self, stop: GracefulStop, bar: Progress) -> None:
        while not stop.requested:
            while len(self.flight) < self.evaluator.num_workers and self._can_ask() and not stop.requested:
                self._dispatch(self._propose())
                self._maybe_checkpoint()
            if not self.flight:
                if not self.flight.waiting:
                    return  # the budget is spent and nothing is in flight
                raise RuntimeError("children wait on a hash that is not being trained")
            for outcome in self.evaluator.wait(timeout=_WAIT_SECONDS):
                self._finished_outcome(outcome)
                self._maybe_checkpoint()
            bar.update(self._refresh())

    def _warm_start(self, stop: GracefulStop) -> None:
        program = resolve(self.config.search.warm_start)
        cand = Candidate(
            id=WARM_START_ID,
            parent_id=None,
            program=program,
            mutation=WARM_START,
            detail=self.config.search.warm_start,
            redraws=0,
            hash=program_hash(program),
        )
        self._submit(cand, fingerprint_if_on(program, self.config.search.fingerprint, self.spec.decay_multipliers))
        while self.flight:
            for outcome in self.evaluator.wait(timeout=_WAIT_SECONDS):
                self._finished_outcome(outcome)
            if stop.requested and self.flight:
                return  # checkpoint-less: a resume starts over
        self._checkpoint()

    # ---------------------------------------------------------------- budget

    def _elapsed(self) -> float:
        return self._elapsed0 + (time.monotonic() - self._t0)

    def _can_ask(self) -> bool:
        budget = self.config.search.budget
        if budget.max_children is not None and self.stats.children >= budget.max_children:
            return False
        if budget.max_trained is not None and self.stats.trained + len(self.flight) >= budget.max_trained:
            return False
        if budget.max_seconds is not None and self._elapsed() >= budget.max_seconds:
            return False
        return True

    # ---------------------------------------------------------------- children

    def _propose(self) -> Candidate:
        for _ in range(_MAX_FAILED_ASKS):
            try:
                cand = self.searcher.ask()
            except MutationFailed:
                continue  # another tournament may give a parent that can be mutated
            reduced = self._reduced[cand.id] = _live_length(cand.program)  # reused when told
            self.stats = self.stats.proposed(len(cand.program) - reduced, len(cand.program), cand.redraws, cand.neutral)
            return cand
        raise RuntimeError(f"{_MAX_FAILED_ASKS} tournaments in a row gave no valid child")

    def _dispatch(self, cand: Candidate) -> None:
        """A cache hit (by hash, then by fingerprint) is told now; a hash or fingerprint being
        trained waits for it; else train."""
        hit = self.cache.get(cand.hash)
        if hit is not None:
            self._tell(cand, hit, status="cached", worker="cache", seconds=0.0)
            return
        training = self.flight.twin_in_training(cand.hash, None)
        fp = None
        if training is None:
            fp = fingerprint_if_on(cand.program, self.config.search.fingerprint, self.spec.decay_multipliers)
            twin = None if fp is None else self.cache.twin(fp)
            if twin is not None:
                self._tell(cand, twin[1], status="cached", worker="cache", seconds=0.0, same_as=twin[0])
                return
            # A twin being trained now is waited for, as the same hash being trained is.
            training = self.flight.twin_in_training(cand.hash, fp)
        if training is not None:
            self.flight.wait(training, cand)
        else:
            self._submit(cand, fp)

    def _submit(self, cand: Candidate, fp: str | None) -> None:
        self.flight.train(cand, fp)
        self.evaluator.submit(Job(cand.id, cand.program, self.hurdles.cut()))

    def _finished_outcome(self, outcome: Outcome) -> None:
        cand, fp, waiters = self.flight.finish(outcome.id)
        result = outcome.result
        self.cache.put(cand.hash, result)
        if fp is not None:
            self.cache.link(fp, cand.hash)
        self.hurdles.observe(result)
        self._tell(cand, result, status=result.status, worker=outcome.worker, seconds=outcome.seconds, fp=fp)
        for twin in waiters:
            same_as = None if twin.hash == cand.hash else cand.hash
            self._tell(twin, result, status="cached", worker="cache", seconds=0.0, same_as=same_as)

    def _tell(
        self,
        cand: Candidate,
        result: FitnessResult,
        status: str,
        worker: str,
        seconds: float,
        fp: str | None = None,
        same_as: str | None = None,
    ) -> None:
        """Tells the searcher and records the line (``fp``: the child's fingerprint; ``same_as``: the
        hash whose result a fingerprint hit took)."""
        fitness = float(result.fitness)
        if cand.id == WARM_START_ID:
            self.searcher.seed_population(cand.program, fitness, id=WARM_START_ID)
        else:
            self.searcher.tell(cand, fitness)
        trained = status != "cached"
        self.stats = self.stats.told(fitness, trained=trained, ok=result.status == "ok", partial=result.partial)
        if not trained:
            self.stats = self.stats.cached(by_fingerprint=same_as is not None)
        reduced = self._reduced.pop(cand.id, None)
        if reduced is None:  # the warm start, or a child resumed from a checkpoint
            reduced = _live_length(cand.program)
        if result.status == "ok" and not result.partial:  # neither a floor nor a part's fitness takes a place
            self.hall = self.hall.add(
                Entry(
                    cand.id, cand.program, fitness, float(result.metric), cand.hash, len(cand.program),
                    reduced, cand.mutation, cand.parent_id,
                )
            )
        assert self.history is not None
        with self._writing(layout.HISTORY):
            self.history.append(
                HistoryRecord(
                    id=cand.id, parent_id=cand.parent_id, mutation=cand.mutation, detail=cand.detail,
                    hash=cand.hash, status=status, fitness=fitness, metric=float(result.metric),
                    reason=result.reason, seconds=round(float(seconds), 4), worker=worker,
                    redraws=cand.redraws, length=len(cand.program), reduced_length=reduced,
                    t=round(self._elapsed(), 3),
                    # Every child's program, so lineages, diffs and the funnel can read any id.
                    source=to_source(cand.program),
                    partial=result.partial, hurdle=finite_or_none(result.hurdle_score), fingerprint=fp,
                    same_as=same_as,
                )  # fmt: skip
            )
        self._maybe_restart_from_best()

    def _maybe_restart_from_best(self) -> None:
        search = self.config.search
        if restart_due(search.restart_from_best_every, self.stats.evaluations, search.mode):
            self.searcher.restart_from_best()
            self.stats = dataclasses.replace(self.stats, restarts_from_best=self.stats.restarts_from_best + 1)

    # ---------------------------------------------------------------- state

    def _restore(self) -> list[Candidate]:
        """Loads the checkpoint, or replays the history; opens the history; returns children to resubmit."""
        state = restore(self.folder, self.config, self.searcher, self.cache, self._say)
        if state is None:
            # Nothing told yet (killed during the warm start): start over.
            self.history = HistoryWriter.open(self.folder / layout.HISTORY, truncate_to=0)
            return []
        self.stats = state.stats
        self.hall = state.hall.resized(self.config.output.hall_of_fame)
        self.finished = state.finished
        self._elapsed0 = state.stats.elapsed
        self._restarts0 = state.stats.worker_restarts
        self._saved = self.stats.evaluations if state.checkpointed else None
        # Replayed from the history: checkpoint at the first chance, so the next resume need not replay.
        self._last_ckpt = (self.stats.evaluations if state.checkpointed else 0, time.monotonic())
        # Lines written after the checkpoint (and a half-written one) are dropped:
        # their children are re-proposed, or resubmitted, with the same ids.
        self.history = HistoryWriter.open(self.folder / layout.HISTORY, truncate_to=state.history_bytes)
        if self.hurdles.on:
            self.hurdles.replay(read_history(self.folder / layout.HISTORY).records)
        return list(state.in_flight)

    def _refresh(self) -> Stats:
        restarts = self._restarts0 + (self.evaluator.restarts if self.evaluator is not None else 0)
        self.stats = dataclasses.replace(self.stats, elapsed=self._elapsed(), worker_restarts=restarts)
        return self.stats

    def _maybe_checkpoint(self) -> None:
        evals, at = self._last_ckpt
        out = self.config.output
        # The first checkpoint after the warm start's comes with the first batch (one child per worker).
        every = out.checkpoint_every if evals > 1 else min(out.checkpoint_every, self.evaluator.num_workers)
        if self.stats.evaluations - evals >= every or time.monotonic() - at >= out.checkpoint_seconds:
            self._checkpoint()

    def _checkpoint(self, force_plot: bool = False) -> None:
        assert self.history is not None
        self._refresh()
        in_flight = self.flight.all()
        checkpoint = Checkpoint(
            searcher=self.searcher.state_dict(),
            cache=self.cache.state_dict(),
            stats=self.stats,
            hall=self.hall,
            history_bytes=self.history.size,
            in_flight=tuple(sorted(in_flight, key=lambda c: c.id)),
            finished=self.finished,
        )
        with self._writing(layout.CHECKPOINT):
            save_checkpoint(self.folder / layout.CHECKPOINT, checkpoint)
        self._saved = self.stats.evaluations
        self._last_ckpt = (self.stats.evaluations, time.monotonic())
        self._write_outputs(force_plot)

    def _writing(self, what: str) -> contextlib.AbstractContextManager[None]:
        return writing(self.folder, what, self._saved)

    def _write_outputs(self, force_plot: bool = False) -> None:
        stats = {**self.stats.to_dict(), "finished": self.finished, "run": self.folder.name}
        with self._writing(layout.STATS):
            atomic_write(self.folder / layout.STATS, json.dumps(stats, indent=2) + "\n")
        if self.hall is not self._hall_written:  # unchanged most of the time: skip the writes
            with self._writing(layout.HALL_OF_FAME):
                write_hall_of_fame(self.hall, self.folder)
            self._hall_written = self.hall
        if force_plot or time.monotonic() - self._last_plot >= _PLOT_SECONDS:
            self._last_plot = time.monotonic()
            records = read_history(self.folder / layout.HISTORY).records
            with self._writing(layout.PROGRESS):
                plot_progress(records, self.folder / layout.PROGRESS, title=self.folder.name)

    # ---------------------------------------------------------------- display

    def _progress(self) -> Progress:
        progress = for_search(self.config, self.stream)
        progress.update(self._refresh())
        return progress

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def _searcher(config: Config) -> Searcher:
    """The searcher of ``search.mode``: random search, or regularized evolution (``evolution``, ``hparam``)."""
    search = config.search
    sizes = (search.population_size, search.tournament_size)
    if search.mode == "random":
        return RandomSearch(config.search_space, *sizes, seed=config.seed)
    return RegularizedEvolution(config.search_space, *sizes, seed=config.seed, mode=search.mode)
