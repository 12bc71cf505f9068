"""A search campaign: regularized evolution, evaluated by workers, recorded in a run folder.

The loop is steady-state (paper section 2.2): it keeps ``evaluator.num_workers``
trainings in flight; each proposed child is first looked up in the fitness
cache by functional hash, and a hit is told to the searcher at once, with no
training. Every told child becomes one durable line of ``history.jsonl``.
Checkpoints (after the warm start, after the first batch of children, then
every ``output.checkpoint_every`` evaluations or ``output.checkpoint_seconds``,
and at the end) make the campaign resumable with no lost and no duplicated
child ids; SIGINT writes one and stops (exit 130). The campaign holds the run
folder's write lock (:func:`~symopt.runs.lock_run`) throughout: a second
``search --resume`` of the same folder is refused.

With ``ray.serial: true`` (or one worker) and a fixed seed, two campaigns, or a
campaign and its interrupted-and-resumed twin, write the same history apart
from times and worker names.

Example:
    >>> from symopt.config import load_config
    >>> cfg = load_config("configs/quick.yaml", ["ray.serial=true"])  # doctest: +SKIP
    >>> result = start_campaign(cfg)                                   # doctest: +SKIP
    >>> result.run_dir, result.stats.best_fitness                      # doctest: +SKIP
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import symopt.runs as layout
from symopt.config import Config, dump_config
from symopt.evolve._loop import CampaignLoop
from symopt.evolve._outcome import CampaignError, CampaignResult, RunWriteError
from symopt.evolve.workers import EvaluateFn

__all__ = ["CampaignError", "CampaignResult", "RunWriteError", "resume_campaign", "run_campaign", "start_campaign"]


def start_campaign(
    config: Config,
    name: str | None = None,
    stream: IO[str] | None = None,
    evaluate_fn: EvaluateFn | None = None,
) -> CampaignResult:
    """Creates ``output.dir/NAME-YYYYmmdd-HHMMSS`` (or ``output.dir/name``), saves the
    config and runs the campaign.

    Args:
        config: the resolved config (:func:`~symopt.config._sections.load_config`).
        name: an exact run folder name instead of the timestamped one.
        stream: where progress and messages go (default stdout).
        evaluate_fn: replaces ``evaluate_fitness`` in the evaluator (tests).
    """
    folder = layout.new_run_dir(config.output.dir, name or config.name, exact=name is not None)
    dump_config(config, folder / layout.CONFIG)
    return run_campaign(config, folder, stream=stream, evaluate_fn=evaluate_fn)


def resume_campaign(
    folder: str | Path,
    config: Config,
    stream: IO[str] | None = None,
    evaluate_fn: EvaluateFn | None = None,
) -> CampaignResult:
    """Continues the campaign in ``folder`` from its checkpoint (from scratch if none).

    ``config`` is the folder's ``config.yaml``, possibly with a changed ``ray``,
    ``output`` or ``search.budget`` section, which is saved back.
    """
    folder = Path(folder)
    with layout.lock_run(folder, "search --resume"):
        dump_config(config, folder / layout.CONFIG)
        return run_campaign(config, folder, stream=stream, evaluate_fn=evaluate_fn)


def run_campaign(
    config: Config,
    folder: Path,
    stream: IO[str] | None = None,
    evaluate_fn: EvaluateFn | None = None,
) -> CampaignResult:
    """Runs (or resumes, if ``folder`` has a checkpoint or a history) the campaign in ``folder``.

    Raises:
        symopt.runs.RunLocked: another process is writing into ``folder``.
        RunWriteError: a write failed (a full disk); the last checkpoint is intact.
    """
    with layout.lock_run(folder, "search"):
        return CampaignLoop(config, Path(folder), stream or sys.stdout).run(evaluate_fn)
