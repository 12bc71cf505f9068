"""The lion_discovery experiment, one row per seed: what each run folder says came out.

For each run folder of ``symopt search configs/lion_discovery.yaml`` (search,
funnel, simplify, verdict): the search's seconds and the pipeline steps'
seconds (``pipeline.json``), children proposed / trained / neutral, the best
search fitness, the verdict with its fitted betas (``verdict.json``), the
simplified program (``simplify.json``), and per funnel stage the fitness of the
chosen program and of the baselines (``funnel.json``).

Usage:
    python benchmarks/experiment_table.py runs/exp_s0 runs/exp_s1 ... [--sources]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any, Sequence

__all__ = ["main", "summary"]


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _num(x: float | None, sign: bool = True) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:+.3f}" if sign else f"{x:.4g}"


def summary(run: Path) -> dict[str, Any]:
    """The numbers of one run folder (missing files give missing entries)."""
    stats, pipe = _read(run / "stats.json"), _read(run / "pipeline.json")
    verdict, simple, funnel = _read(run / "verdict.json"), _read(run / "simplify.json"), _read(run / "funnel.json")
    steps = pipe.get("done", pipe)
    seconds = {k: v.get("seconds") for k, v in steps.items() if isinstance(v, dict)}
    v = verdict.get("verdict", {})
    chosen = simple.get("id")
    stages = []
    for stage in funnel.get("stages", []):
        rows = {("child" if r["role"] != "baseline" else r["name"]): r for r in stage["rows"]
                if r["role"] == "baseline" or r["id"] == chosen}
        stages.append((stage["name"], {k: (r["fitness"], r["passed"]) for k, r in rows.items()}))
    return {
        "run": run.name, "search_s": stats.get("elapsed"), "steps_s": seconds,
        "children": stats.get("children"), "trained": stats.get("trained"), "neutral": stats.get("neutral"),
        "best": stats.get("best_fitness"), "family": v.get("family"), "beta1": v.get("beta1"),
        "beta2": v.get("beta2"), "raw_family": verdict.get("raw_family"), "chosen": chosen,
        "reason": simple.get("reason"), "source": simple.get("source"), "stages": stages,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--sources", action="store_true", help="print each simplified program")
    args = parser.parse_args(argv)
    print("| run | search s | funnel / simplify / verdict s | children | trained | neutral | best search fitness "
          "| verdict (beta1, beta2) | raw family | stage fitness: chosen / adamw / lion / signum |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    summaries = [summary(run) for run in args.runs]  # each run's files read once
    for s in summaries:
        steps = " / ".join(f"{s['steps_s'].get(k, 0) or 0:.0f}" for k in ("funnel", "simplify", "verdict"))
        betas = f"{s['family']} ({_num(s['beta1'], False)}, {_num(s['beta2'], False)})" if s["family"] else "-"
        stages = "; ".join(
            f"{name}: " + " / ".join(_num(rows.get(k, (None, None))[0]) + ("*" if rows.get(k, (0, False))[1] else "")
                                     for k in ("child", "adamw", "lion", "signum"))
            for name, rows in s["stages"]
        )
        search_s = "-" if s["search_s"] is None else f"{s['search_s']:.0f}"
        print(f"| {s['run']} | {search_s} | {steps} | {s['children']} | {s['trained']} | {s['neutral']} "
              f"| {_num(s['best'])} | {betas} | {s['raw_family']} | {stages} |")
    print("(* passed the stage: beats AdamW)")
    if args.sources:
        for s in summaries:
            print(f"\n{s['run']}: child {s['chosen']}: {s['reason']}\n{s['source']}")


if __name__ == "__main__":
    main()
