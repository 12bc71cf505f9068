"""``symopt search``: run a search campaign from a YAML config, or resume one.

Example:
    $ symopt search configs/quick.yaml
    $ symopt search configs/lion_discovery.yaml --set ray.address=auto --set ray.num_gpus_per_worker=0.25
    $ symopt search --resume runs/quick-20250101-120000
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symopt.cli.errors import UserError

if TYPE_CHECKING:  # the config module pulls in JAX; load it only when searching
    from symopt.evolve.config import Config

__all__ = ["add_parser", "run", "RESUMABLE_SECTIONS"]

RESUMABLE_SECTIONS = ("ray", "output", "search.budget")
"""What ``--set`` may change on ``--resume``: where it runs, its outputs, how long."""

_EPILOG = """\
examples:
  symopt search configs/quick.yaml                      # ~2 minutes on a laptop
  symopt search configs/quick.yaml --set search.population_size=50 --set ray.serial=true
  symopt search configs/lion_discovery.yaml --set ray.address=auto --name lion-run1
  symopt search --resume runs/quick-20250101-120000     # after Ctrl-C or a crash
  symopt search --resume runs/lion-run1 --set search.budget.max_trained=40000

Each run writes runs/NAME-YYYYmmdd-HHMMSS/: config.yaml, history.jsonl, checkpoint.pkl,
stats.json, hall_of_fame.csv, best/*.py, progress.png.  Ctrl-C writes a checkpoint first.
Set SYMOPT_NO_PROGRESS=1 for one-line summaries instead of a progress bar.
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
    from symopt.evolve.campaign import CampaignError, resume_campaign, start_campaign
    from symopt.evolve.checkpoint import CheckpointError
    from symopt.evolve.config import ConfigError, load_config
    from symopt.evolve.history import HistoryError
    from symopt.evolve.run_dir import CONFIG, RunError

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
            result = resume_campaign(folder, config)
    except (ConfigError, RunError, CheckpointError, HistoryError, CampaignError) as err:
        raise UserError(str(err)) from None
    return result.exit_code


def _check_resumable(saved: Config, config: Config, where: Path) -> None:
    """Rejects overrides that would change what the resumed search means."""
    from symopt.evolve.config import config_to_dict

    def frozen_part(cfg: Config) -> dict[str, Any]:
        plain = config_to_dict(cfg)
        del plain["ray"], plain["output"], plain["search"]["budget"]
        return plain

    if frozen_part(saved) != frozen_part(config):
        allowed = ", ".join(RESUMABLE_SECTIONS)
        raise UserError(f"{where}: on --resume, --set may only change {allowed}")
