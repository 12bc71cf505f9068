"""``symopt report``: the rest of the experiment on an existing run, and its ``report.md``.

Example:
    $ symopt report runs/lion_discovery-20261122-101500
"""

from __future__ import annotations

import argparse
import sys

from symopt.cli.loading import open_run_dir, run_errors
from symopt.pipeline import run_pipeline
from symopt.runs import REPORT

__all__ = ["add_parser", "run"]

_EPILOG = """\
examples:
  symopt report runs/lion_discovery-20261122-101500   # after the search: funnel, simplify, verdict
  symopt report runs/quick-20261122-101500            # also works on a search-only run

Steps already done (recorded in RUN_DIR/pipeline.json, and still valid for the history as it
is) are not run again, so a second call only rewrites report.md. 'symopt funnel RUN_DIR'
redoes the funnel; the steps after it then run again here. Progress goes to stderr; the
report's path to stdout.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="run the funnel, simplification and verdict a run lacks, and write its report.md",
        description=(
            "Finish the experiment on a run folder: funnel selection of its best programs on "
            "larger tasks, simplification of the best survivor on the search's fitness, its "
            "verdict (is it Lion?), then RUN_DIR/report.md with the raw and simplified program, "
            "the verdict, a table against AdamW and Lion on the held-out tasks, and the figures."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (runs/NAME-DATE-TIME)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    view = open_run_dir(args.run_dir)
    with run_errors():
        run_pipeline(view.path, stream=sys.stderr)
    print(view.path / REPORT)
    return 0
