"""The funnel's files in a run folder, and reading them back.

* ``funnel.json``: the whole :class:`~symopt.funnel.FunnelResult` (what
  ``symopt report`` and ``symopt funnel --json`` read);
* ``funnel.csv``: one line per stage and entrant: ``stage, role, id, name,
  hash, search_fitness, fitness, metric, lr_mults, slots, status, passed,
  seconds``; baselines have role ``baseline``, no id and an empty ``passed``;
  ``lr_mults`` lists each task's tuned multiplier, ``;``-separated;
* ``meta_validation.csv``: ``evaluations, id, hash, search_fitness, stage,
  stage_fitness, stage_metric``;
* ``funnel.png`` and ``meta_validation.png`` (:mod:`symopt.funnel._plots`).

The file names are :mod:`symopt.runs`' (``FUNNEL_JSON``, ...), like every run file's.

Non-finite numbers are ``null`` in the JSON and empty in the CSVs.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from symopt.funnel import FunnelResult, StageResult
    >>> folder = Path(tempfile.mkdtemp())
    >>> result = FunnelResult(10, (StageResult("B", ("quadratic()",)),))
    >>> _ = write_funnel(result, folder)
    >>> read_funnel(folder) == result
    True
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from pathlib import Path
from typing import Any, Sequence

from symopt.funnel._meta_validation import MetaPoint
from symopt.funnel._plots import plot_funnel, plot_meta_validation
from symopt.funnel._select import FunnelResult, MetaScore, Row, StageResult, TaskResult
from symopt.runs import FUNNEL_CSV, FUNNEL_JSON, FUNNEL_PNG, META_CSV, META_PNG, RunError, atomic_write
from symopt.runs import finite_or_none

__all__ = ["FUNNEL_COLUMNS", "META_COLUMNS", "funnel_from_dict", "funnel_to_dict", "read_funnel", "write_funnel"]

FUNNEL_COLUMNS = (
    "stage", "role", "id", "name", "hash", "search_fitness", "fitness", "metric", "lr_mults", "slots",
    "status", "passed", "seconds",
)  # fmt: skip
META_COLUMNS = ("evaluations", "id", "hash", "search_fitness", "stage", "stage_fitness", "stage_metric")


def _finite(value: Any) -> Any:
    """JSON-ready: non-finite floats become ``None``, recursively."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return finite_or_none(value)


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def funnel_to_dict(result: FunnelResult) -> dict[str, Any]:
    """``result`` as strict-JSON data (what ``funnel.json`` holds)."""
    return _finite(dataclasses.asdict(result))


def funnel_from_dict(data: dict[str, Any]) -> FunnelResult:
    """The inverse of :func:`funnel_to_dict`.

    Raises:
        KeyError, TypeError, ValueError: data of another shape.
    """
    stages = tuple(
        StageResult(s["name"], tuple(s["tasks"]), tuple(_row_from_dict(r) for r in s["rows"]))
        for s in data["stages"]
    )
    meta = tuple(
        MetaScore(
            MetaPoint(**m["point"]), m["stage"], _float(m["fitness"]), _float(m["metric"])
        )
        for m in data.get("meta_validation", ())
    )
    return FunnelResult(int(data["top_k"]), stages, meta)


def _row_from_dict(r: dict[str, Any]) -> Row:
    per_task = tuple(TaskResult(t["task"], _float(t["metric"]), _float(t["lr_mult"])) for t in r["per_task"])
    floats = {k: _float(r[k]) for k in ("fitness", "metric", "seconds")}
    search = None if r["search_fitness"] is None else float(r["search_fitness"])
    fields = {k: r[k] for k in ("stage", "role", "name", "id", "hash", "status", "passed", "slots")}
    return Row(**fields, **floats, search_fitness=search, per_task=per_task)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else value


def _csv_text(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()


def _funnel_rows(result: FunnelResult) -> list[tuple[Any, ...]]:
    return [
        (
            r.stage, r.role, r.id, r.name, r.hash, r.search_fitness, r.fitness, r.metric,
            ";".join(f"{t.lr_mult:g}" for t in r.per_task), r.slots, r.status, r.passed, round(r.seconds, 3),
        )  # fmt: skip
        for stage in result.stages
        for r in stage.rows
    ]


def _meta_rows(result: FunnelResult) -> list[tuple[Any, ...]]:
    return [
        (m.point.evaluations, m.point.id, m.point.hash, m.point.search_fitness, m.stage, m.fitness, m.metric)
        for m in result.meta_validation
    ]


def write_funnel(result: FunnelResult, folder: str | Path, title: str = "", rules: Sequence[str] = ()) -> list[Path]:
    """Writes the funnel's files (module docstring) into ``folder``; returns their paths.

    ``rules``: each stage's pass rule in words, for ``funnel.png``.
    """
    folder = Path(folder)
    atomic_write(folder / FUNNEL_JSON, json.dumps(funnel_to_dict(result), indent=1) + "\n")
    atomic_write(folder / FUNNEL_CSV, _csv_text(FUNNEL_COLUMNS, _funnel_rows(result)))
    plot_funnel(result, folder / FUNNEL_PNG, title=title, rules=rules)
    paths = [folder / FUNNEL_JSON, folder / FUNNEL_CSV, folder / FUNNEL_PNG]
    if result.meta_validation:
        atomic_write(folder / META_CSV, _csv_text(META_COLUMNS, _meta_rows(result)))
        plot_meta_validation(result.meta_validation, folder / META_PNG, title=title)
        paths += [folder / META_CSV, folder / META_PNG]
    return paths


def read_funnel(folder: str | Path) -> FunnelResult | None:
    """The funnel result saved in ``folder`` (``None`` if the funnel never ran there).

    Raises:
        RunError: a damaged ``funnel.json`` (the message names it).
    """
    path = Path(folder) / FUNNEL_JSON
    if not path.exists():
        return None
    try:
        return funnel_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RunError(f"{path}: damaged funnel results ({type(err).__name__}: {err})") from None
