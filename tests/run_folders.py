"""Run folders for tests, written file by file (no search, no training: milliseconds).

:func:`make_run` writes what ``symopt search`` would after six evaluations::

    id  parent  mutation    program   status  fitness
     0  -       warm_start  adamw     ok       0.0
     1  0       delete      signum    ok       0.5
     2  1       modify      lion      ok       0.9    the best
     3  1       modify      lion      cached   0.9    a cache hit of 2's hash
     4  2       insert      sgd       failed  -100
     5  2       delete      momentum  ok       0.2

The hall of fame keeps two programs (children 2 and 1, in ``best/``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from symopt.dsl.analysis import program_hash, reduce
from symopt.dsl.builtins import builtin
from symopt.dsl.source import to_source
from symopt.runs import Checkpoint, save_checkpoint
from symopt.config import Budget, Config, SearchConfig, dump_config
from symopt.runs import Individual
from symopt.runs import Entry, HallOfFame, write_hall_of_fame
from symopt.runs import Stats

__all__ = ["CHILDREN", "make_run"]

CHILDREN = (
    # id, parent, mutation, detail, program, status, fitness
    (0, None, "warm_start", "adamw", "adamw", "ok", 0.0),
    (1, 0, "delete", "delete 9: update", "signum", "ok", 0.5),
    (2, 1, "modify", "modify 2.1: m -> g", "lion", "ok", 0.9),
    (3, 1, "modify", "modify 2.1: m -> g", "lion", "cached", 0.9),
    (4, 2, "insert", "insert 1: x = g", "sgd", "failed", -100.0),
    (5, 2, "delete", "delete 3: v", "momentum", "ok", 0.2),
)


def make_run(
    folder: Path,
    *,
    sources: bool = True,
    finished: bool = True,
    checkpoint: bool = False,
    name: str = "fix",
    mode: str = "evolution",
    sections: dict[str, Any] | None = None,
) -> Path:
    """Writes a run folder at ``folder`` (see the module docstring).

    Args:
        sources: give every history line a ``source`` field.
        finished: what ``stats.json`` says.
        checkpoint: also write ``checkpoint.json``, its population holding child 5.
        name: ``config.name``.
        mode: ``search.mode``.
        sections: other config sections, e.g. ``{"funnel": FunnelConfig(...)}``.
    """
    folder.mkdir(parents=True)
    search = SearchConfig(mode=mode, population_size=4, budget=Budget(max_children=5))
    config = Config(name=name, search=search, **(sections or {}))
    dump_config(config, folder / "config.yaml")
    hall = HallOfFame(size=2)
    lines = []
    for t, (id, parent, mutation, detail, spec, status, fitness) in enumerate(CHILDREN, start=1):
        program = builtin(spec)
        failed = status == "failed"
        line = {
            "id": id, "parent_id": parent, "mutation": mutation, "detail": detail,
            "hash": program_hash(program), "status": status, "fitness": fitness,
            "metric": None if failed else 1.0 - fitness, "reason": "diverged" if failed else "",
            "seconds": 0.01, "worker": "serial", "redraws": 0, "length": len(program),
            "reduced_length": len(reduce(program)), "t": float(t),
        }
        if sources:
            line["source"] = to_source(program)
        lines.append(json.dumps(line) + "\n")
        if status == "ok":
            hall = hall.add(Entry.of(id, program, fitness, 1.0 - fitness, mutation, parent))
    (folder / "history.jsonl").write_text("".join(lines), encoding="utf-8")
    write_hall_of_fame(hall, folder)
    stats = {**Stats().to_dict(), "finished": finished, "run": folder.name}
    (folder / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    if checkpoint:
        momentum = builtin("momentum")
        population = [Individual(5, momentum, 0.2, program_hash(momentum))]
        size = (folder / "history.jsonl").stat().st_size
        state = Checkpoint({"population": population, "next_id": 6}, {}, Stats(), hall, size, (), finished=finished)
        save_checkpoint(folder / "checkpoint.json", state)
    return folder
