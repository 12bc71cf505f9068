"""``symopt show``: what a search found, from its run folder (finished, running or killed).

Example:
    $ symopt show runs/quick-20261122-101500
    $ symopt show runs/quick-20261122-101500 --top 20 --json
    $ symopt show runs/quick-20261122-101500 --id 812
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import textwrap
from typing import Any

from symopt.cli.diff_cmd import program_diff
from symopt.cli.errors import UserError
from symopt.cli.loading import open_run_dir, positive_int
from symopt.cli.status import working
from symopt.cli.table import WIDTH, fmt_number, fmt_percent, fmt_seconds, format_table
from symopt.dsl import Program, reduce, to_source
from symopt.runs import lineage, program_of, record_of, Run, run_status, RunError, RunStatus, SourceNotRecorded, top_programs
from symopt.simplify import Families

__all__ = ["add_parser", "run"]

_EPILOG = """\
examples:
  symopt show runs/quick-20261122-101500             # status, top 10, the best's source
  symopt show runs/quick-20261122-101500 --top 20 --json
  symopt show runs/quick-20261122-101500 --id 812    # one child: lineage, diff to its parent
  symopt export runs/quick-20261122-101500:812 -o my_opt.py   # take it home

Any command that takes a PROGRAM also takes RUN_DIR:ID (diff, export, classify, check, eval,
simplify). Families are judged by 'symopt classify', about a second per program: --no-family
skips them.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="a run's status, its best distinct programs, or one child's lineage",
        description=(
            "Read a run folder written by 'symopt search' (finished, still running, or killed) "
            "and print its status and counters, a table of its best distinct programs (by "
            "behaviour hash) and the source of the best; or, with --id, one child: its source, "
            "its lineage back to the warm start and its diff against its parent."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (runs/NAME-DATE-TIME)")
    p.add_argument(
        "--top", type=positive_int, default=10, metavar="K", help="programs in the table (default 10)"
    )
    p.add_argument("--id", type=int, metavar="N", help="show child N instead")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-family", action="store_true", help="do not classify programs (faster)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with working(f"reading {args.run_dir}"):
        view = open_run_dir(args.run_dir)
    families = None if args.no_family else Families()
    if args.id is None:
        report = _run_report(view, args.top, families)
        text = _run_text(report)
    else:
        report = _child_report(view, args.id, families)
        text = _child_text(report)
    report["warnings"] = list(view.warnings)
    sys.stdout.write(json.dumps(report, indent=2) + "\n" if args.json else text)
    return 0


# ------------------------------------------------------------------ the whole run


def _wrap(text: str) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent="  ", break_on_hyphens=False)


def _source_or_note(source: str | None, note: str | None) -> str:
    return source.rstrip("\n") if source is not None else _wrap(note or "")


def _program_or_note(view: Run, id: int) -> tuple[Program | None, str | None]:
    try:
        return program_of(view, id), None
    except SourceNotRecorded as err:
        return None, str(err)


def _family(families: Families | None, program: Program | None, hash: str) -> str | None:
    return None if families is None or program is None else families.of(program, hash)


def _classified(families: Families | None, program: Program | None, hash: str, name: str) -> str | None:
    with working(f"classifying {name} (--no-family skips this)"):
        return _family(families, program, hash)


def _run_report(view: Run, k: int, families: Families | None) -> dict[str, Any]:
    status = run_status(view)
    top = top_programs(view.history, k)
    rows = []
    with working("classifying") as say:
        for n, entry in enumerate(top, start=1):
            if families is not None:
                say(f"classifying program {n}/{len(top)} (about a second each; --no-family skips this)")
            program = None if families is None else _program_or_note(view, entry.id)[0]
            rows.append({**dataclasses.asdict(entry), "family": _family(families, program, entry.hash)})
    best = None
    if top:
        program, note = _program_or_note(view, top[0].id)
        best = {
            "id": top[0].id,
            "fitness": top[0].fitness,
            "source": None if program is None else to_source(program),
            "note": note,
        }
    return {"status": status.to_dict(), "state": _state(status), "top": rows, "best": best}


def _state(status: RunStatus) -> list[str]:
    """What state the run is in, in short lines (the history cannot tell running from killed)."""
    if status.finished:
        return ["finished (its budget is spent)"]
    lines = [f"not finished; last result {fmt_seconds(status.history_age)} ago: still running, or stopped"]
    resume = f"symopt search --resume {status.path}"
    if status.checkpointed_lines is None:
        return lines + ["no checkpoint yet: a resume starts over", resume]
    lost = status.counts.evaluations - status.checkpointed_lines
    if lost > 0:
        lines.append(f"{lost} history lines are newer than the checkpoint: a resume redoes them")
    return lines + [f"continue it with: {resume}"]


def _budget(value: float | None, show: Any = fmt_number) -> str:
    return "" if value is None else f" (budget {show(value)})"


def _by_fp(status: dict[str, Any]) -> str:
    """How many cache hits came through a functional fingerprint (nothing when none did)."""
    hits = status.get("fingerprint_hits", 0)
    return f", {hits} of them by functional fingerprint" if hits else ""


def _stopped(status: dict[str, Any]) -> str:
    """How many trained programs stopped at the hurdle (nothing when none did)."""
    stopped = status.get("stopped", 0)
    return f", {stopped} stopped at the hurdle (scored on its part only)" if stopped else ""


def _run_text(report: dict[str, Any]) -> str:
    s = report["status"]
    budget = s["budget"]
    best = "-" if s["best_fitness"] is None else f"{fmt_number(s['best_fitness'])} (child {s['best_id']})"
    facts = [
        ("run", f"{s['path']}  (config: name {s['name']}, mode {s['mode']}, seed {s['seed']})"),
        ("state", "\n            ".join(report["state"])),
        ("children", f"{s['children']}{_budget(budget['max_children'])}, plus the warm start"),
        ("trained", f"{s['trained']}, {s['failed']} failed{_stopped(s)}{_budget(budget['max_trained'])}"),
        ("cache hits", f"{s['cache_hits']} ({fmt_percent(s['cache_hit_rate'])} of children){_by_fp(s)}"),
        ("redundant", f"{fmt_percent(s['redundant_ratio'])} of a child's statements on average"),
        ("best", best),
        ("wall time", f"{fmt_seconds(s['wall_seconds'])}{_budget(budget['max_seconds'], fmt_seconds)}"),
    ]
    out = [f"{key:<12}{value}" for key, value in facts]
    rows = report["top"]
    if not rows:
        return "\n".join(out + ["", "no program has trained successfully yet"]) + "\n"
    table = format_table(
        ("rank", "fitness", "len", "family", "hash", "id", "parent", "mutation", "seen"),
        [
            (r["rank"], r["fitness"], r["reduced_length"], r["family"] or "-", r["hash"], r["id"],
             r["parent_id"], r["mutation"], r["seen"])
            for r in rows
        ],
    )
    out += ["", f"top {len(rows)} distinct programs (len: statements after removing redundant ones;",
            "seen: evaluations with this behaviour hash, cache hits included)", table, ""]
    b = report["best"]
    out.append(f"best program: child {b['id']}, fitness {fmt_number(b['fitness'])}")
    out.append(f"take it home: symopt export {s['path']}:{b['id']} -o optimizer.py")
    out.append(_source_or_note(b["source"], b["note"]))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ one child


def _child_report(view: Run, id: int, families: Families | None) -> dict[str, Any]:
    try:
        record = record_of(view, id)
    except RunError as err:
        raise UserError(str(err)) from None
    program, note = _program_or_note(view, id)
    line = lineage(view.by_id, id)
    parent_id = record.parent_id
    diff, diff_note = None, None
    if parent_id is not None and program is not None:
        parent, diff_note = _program_or_note(view, parent_id)
        if parent is not None:
            diff = program_diff(
                to_source(reduce(parent)), to_source(reduce(program)),
                f"{view.path}:{parent_id}", f"{view.path}:{id}",
            )
    return {
        "run": str(view.path),
        "id": id,
        "record": {k: v for k, v in record.to_dict().items() if k != "source"},
        "family": _classified(families, program, record.hash, f"{view.path}:{id}"),
        "source": None if program is None else to_source(program),
        "note": note,
        "lineage": [dataclasses.asdict(a) for a in line.ancestors],
        "lineage_complete": line.complete,
        "parent_id": parent_id,
        "diff": diff,
        "diff_note": diff_note,
    }


def _child_text(report: dict[str, Any]) -> str:
    rec = report["record"]
    out = [
        f"child {report['id']} of {report['run']}",
        f"  {rec.get('status')}: fitness {fmt_number(rec.get('fitness'))}, "
        f"metric {fmt_number(rec.get('metric'))}"
        + (f", family {report['family']}" if report["family"] else "")
        + (f" ({rec['reason']})" if rec.get("reason") else ""),
        f"  {rec.get('length')} statements, {rec.get('reduced_length')} after removing redundant ones; "
        f"hash {rec.get('hash')}",
        "",
        _source_or_note(report["source"], report["note"]),
        "",
    ]
    generations = report["lineage"]
    origin = "from the warm start" if report["lineage_complete"] else "(stops at a parent not in the history)"
    out.append(f"lineage {origin}, {len(generations)} program(s):")
    out.append(
        format_table(
            ("id", "mutation", "detail", "fitness", "status"),
            [(a["id"], a["mutation"], a["detail"], a["fitness"], a["status"]) for a in generations],
        )
    )
    out.append("")
    parent = report["parent_id"]
    if parent is None:
        out.append("no parent: nothing to diff against")
    elif report["source"] is None:
        out.append(f"no diff against parent {parent}: this child's program is not recorded")
    elif report["diff"] is None:
        out.append(_wrap(f"no diff against parent {parent}: {report['diff_note']}"))
    else:
        out.append(f"diff against its parent, child {parent}, after removing redundant statements:")
        out.append(report["diff"].rstrip("\n") or "no statement differs after reduction")
    return "\n".join(out) + "\n"
