"""``symopt funnel``: funnel selection on a run's best programs (paper section 2.3).

Example:
    $ symopt funnel runs/quick-20261122-101500
    $ symopt funnel runs/quick-20261122-101500 --top 5 --json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from symopt.cli.loading import open_run_dir, positive_int, run_errors
from symopt.cli.table import format_table
from symopt.funnel import funnel_to_dict, read_funnel
from symopt.pipeline import run_step

__all__ = ["add_parser", "run", "funnel_table"]

_EPILOG = """\
examples:
  symopt funnel runs/quick-20261122-101500            # top 10 through stages B and C
  symopt funnel runs/quick-20261122-101500 --top 3 --json
  symopt report runs/quick-20261122-101500            # then simplify, verdict, report.md

The stages come from the run's config.yaml (section funnel; the defaults: B, the digits MLP
grown ~10x, and C, a character LM and a teacher-student net, ~100x), scored on Ray workers as
in the search (or in-process with ray.serial: true). Every program and the baselines AdamW and
Lion are tried at each of the stage's learning-rate multipliers, the best kept; a program goes
on when its stage fitness is above AdamW's (> 0). Writes RUN_DIR/funnel.csv, funnel.json,
funnel.png, meta_validation.csv and meta_validation.png; progress goes to stderr.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "funnel",
        help="score a run's best programs on larger tasks; keep those that beat AdamW",
        description=(
            "Funnel selection: the top K distinct programs of a run, and the baselines AdamW and "
            "Lion, are trained on each funnel stage in turn; only programs that beat AdamW go on "
            "to the next stage. Also scores the best-so-far program every "
            "funnel.meta_validation_every evaluations on the first stage (meta-validation)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (runs/NAME-DATE-TIME)")
    p.add_argument("--top", type=positive_int, metavar="K", help="programs entering (default: funnel.top_k)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    view = open_run_dir(args.run_dir)
    config = view.config
    if args.top is not None:
        config = dataclasses.replace(config, funnel=dataclasses.replace(config.funnel, top_k=args.top))
    with run_errors():
        run_step(view.path, "funnel", config, stream=sys.stderr)
        result = read_funnel(view.path)
    assert result is not None  # run_step has just written it
    if args.json:
        print(json.dumps(funnel_to_dict(result)))
    else:
        print(funnel_table(result))
    return 0


def _passed(passed: bool | None) -> str:
    return "-" if passed is None else ("yes" if passed else "no")


def funnel_table(result: Any) -> str:
    """The funnel's rows, one aligned table, then the meta-validation samples and the files."""
    rows = [
        (
            r.stage,
            r.name + (" (baseline)" if r.role == "baseline" else ""),
            r.search_fitness,
            r.fitness if r.status == "ok" else "failed",
            r.metric if r.status == "ok" else None,
            ";".join(f"{t.lr_mult:g}" for t in r.per_task) or None,
            r.slots,
            _passed(r.passed),
            round(r.seconds, 2),
        )
        for stage in result.stages
        for r in stage.rows
    ]
    headers = ("stage", "program", "search", "fitness", "val loss", "lr mult", "slots", "passed", "s")
    parts = [format_table(headers, rows)]
    skipped = [s.name for s in result.stages if not s.rows]
    if skipped:
        parts.append(f"skipped (no program left): stage {', '.join(skipped)}")
    survivors = ", ".join(r.name for r in result.survivors()) or "none"
    parts.append(f"survivors of every stage: {survivors}")
    if result.meta_validation:
        stage = result.meta_validation[0].stage
        meta = [
            (m.point.evaluations, f"child {m.point.id}", m.point.search_fitness, m.fitness)
            for m in result.meta_validation
        ]
        parts.append("\nmeta-validation (best so far):")
        parts.append(format_table(("evaluations", "program", "search", f"stage {stage}"), meta))
    extra = ", meta_validation.csv, meta_validation.png" if result.meta_validation else ""
    parts.append(f"\nwritten: funnel.csv, funnel.json, funnel.png{extra}")
    return "\n".join(parts)
