"""``symopt search``: run a search campaign from a YAML config, or resume one.

When the config's ``pipeline`` goes beyond ``search`` (configs/lion_discovery.yaml),
a finished search is followed by the funnel, simplification and verdict, and
``report.md``; ``--resume`` continues with the steps not done yet.

Example:
    $ symopt search configs/quick.yaml
    $ symopt search configs/lion_discovery.yaml --set ray.address=auto --set ray.num_gpus_per_worker=0.25
    $ symopt search --resume runs/quick-20250101-120000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from symopt.cli.errors import UserError
from symopt.cli.loading import run_errors
from symopt.config import Config, config_to_dict, ConfigError, load_config
from symopt.evolve import CampaignError, RunWriteError, resume_campaign, start_campaign
from symopt.runs import CONFIG, CheckpointError, HistoryError, RunError, lock_run
from symopt.pipeline import PipelineState, run_pipeline

__all__ = ["add_parser", "run", "RESUMABLE_SECTIONS"]

RESUMABLE_SECTIONS = ("ray", "output", "search.budget", "pipeline", "funnel", "simplify")
"""What ``--set`` may change on ``--resume``: where it runs, its outputs, how long, what follows."""

_EPILOG = """\
examples:
  symopt search configs/quick.yaml                      # ~2 minutes on a laptop
  symopt search configs/quick.yaml --set search.population_size=50 --set ray.serial=true
  symopt search configs/lion_discovery.yaml --set ray.address=auto --name lion-run1
  symopt search --resume runs/quick-20250101-120000     # after Ctrl-C or a crash
  symopt search --resume runs/lion-run1 --set search.budget.max_trained=40000

Each run writes runs/NAME-YYYYmmdd-HHMMSS/: config.yaml, history.jsonl, checkpoint.json,
stats.json, hall_of_fame.csv, best/*.py, progress.png.  Ctrl-C writes a checkpoint first.
Set SYMOPT_NO_PROGRESS=1 for one-line summaries instead of a progress bar.

With pipeline: [search, funnel, simplify, verdict] in the config (lion_discovery.yaml has it),
a finished search goes on to funnel.csv/png, simplified.py, verdict.json and report.md;
--resume picks up the first step not done (pipeline.json records them). Add the steps to a
finished run with: symopt search --resume RUN_DIR --set "pipeline=[search, funnel, simplify, verdict]"
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search",
        help="run a search campaign from a YAML config (or --resume one)",
        description=(
            "Regularized evolution of optimizer programs, warm-started from AdamW, evaluated on "
            "Ray workers (or in-process with ray.serial: true), driven by a YAML config: see "
            "configs/*.yaml. Any config key can be changed with --set section.key=value "
            "(the value is read as YAML)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", nargs="?", metavar="CONFIG", help="the campaign's YAML file")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the campaign in this run folder")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        dest="overrides",
        metavar="KEY=VALUE",
        help="override a config key, e.g. search.population_size=50 (repeatable)",
    )
    p.add_argument("--name", help="the run folder's exact name under output.dir (default NAME-DATE-TIME)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.config is None) == (args.resume is None):
        raise UserError("give a CONFIG file or --resume RUN_DIR (one of them)")
    if args.resume and args.name:
        raise UserError("--name applies to a new campaign, not to --resume")
    try:
        if args.resume is None:
            config = load_config(args.config, args.overrides)
            result = start_campaign(config, name=args.name)
        else:
            folder = Path(args.resume)
            if not (folder / CONFIG).is_file():
                raise UserError(f"{folder}: not a run folder (no {CONFIG})")
            saved = load_config(folder / CONFIG)
            config = load_config(folder / CONFIG, args.overrides)
            _check_resumable(saved, config, folder / CONFIG)
            with lock_run(folder, "search --resume"):
                _forget_changed_steps(saved, config, folder)
                result = resume_campaign(folder, config)
    except RunWriteError as err:  # not the user's mistake, and nothing is lost: exit 1
        print(f"symopt search: {err}", file=sys.stderr)
        return 1
    except (ConfigError, RunError, CheckpointError, HistoryError, CampaignError) as err:
        raise UserError(str(err)) from None
    if result.finished and len(config.pipeline) > 1:
        with run_errors():  # Ray failing during the funnel is one line too, not a traceback
            run_pipeline(result.run_dir, config.pipeline[1:], config)
    return result.exit_code


def _forget_changed_steps(saved: Config, config: Config, folder: Path) -> None:
    """Pipeline steps whose settings a ``--set`` changed are redone, with the steps after them."""
    for step in ("funnel", "simplify"):  # each config section is named after its step
        if getattr(saved, step) != getattr(config, step):
            PipelineState.read(folder).forget_from(step).write(folder)
            return


def _check_resumable(saved: Config, config: Config, where: Path) -> None:
    """Rejects overrides that would change what the resumed search means."""
    def frozen_part(cfg: Config) -> dict[str, Any]:
        plain = config_to_dict(cfg)
        for section in RESUMABLE_SECTIONS:
            *parents, leaf = section.split(".")
            node = plain
            for key in parents:
                node = node[key]
            del node[leaf]
        return plain

    if frozen_part(saved) != frozen_part(config):
        allowed = ", ".join(RESUMABLE_SECTIONS)
        raise UserError(f"{where}: on --resume, --set may only change {allowed}")
