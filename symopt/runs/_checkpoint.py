"""The campaign checkpoint: everything needed to resume, as plain JSON data, written atomically.

A checkpoint holds the searcher's ``state_dict`` (population, best, next id, the
numpy generator's bit-generator state), the fitness cache, the counters, the hall
of fame, the children still being evaluated, and the byte length of
``history.jsonl`` at that moment. It is JSON with a format number, written to a
temporary file and renamed over ``checkpoint.json``, so a crash leaves the
previous one intact.

Reading builds values only: numbers, strings, lists, the few frozen dataclasses
a checkpoint holds (by name, each field type-checked) and programs, which are
stored once each as statements (target, function, arguments) and rebuilt as
:class:`~symopt.dsl.Program` values. Nothing is imported, called or unpickled on
the way, so a checkpoint from a stranger is as safe to read as a program file.
The pickle checkpoints of older symopt versions (``checkpoint.pkl``) are never
read: :func:`load_checkpoint` refuses them.

Example:
    >>> import tempfile, os
    >>> from symopt.runs._stats import Stats
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.json")
    >>> save_checkpoint(path, Checkpoint({"best": None}, {}, Stats(), None, 0, ()))
    >>> load_checkpoint(path).stats == Stats()
    True
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from dataclasses import dataclass
from typing import Any

from symopt.dsl import FUNCTION_NAMES, Const, Program, Statement, Var
from symopt.proxy_tasks import FitnessResult, TaskScore
from symopt.runs._atomic import atomic_write
from symopt.runs._hall_of_fame import Entry, HallOfFame
from symopt.runs._records import Candidate, Individual
from symopt.runs._stats import Stats

__all__ = ["FORMAT", "Checkpoint", "CheckpointError", "load_checkpoint", "save_checkpoint"]

FORMAT = 2
"""Bumped when the checkpoint's contents change incompatibly (1 was pickle, never read)."""

_KIND = "symopt checkpoint"
_PICKLE_MAGIC = b"\x80"  # every pickle protocol >= 2 starts with PROTO


class CheckpointError(ValueError):
    """A checkpoint that cannot be read (the message names the file)."""


@dataclass(frozen=True)
class Checkpoint:
    """A resumable snapshot of a campaign.

    Attributes:
        searcher: :meth:`~symopt.evolve.RegularizedEvolution.state_dict`.
        cache: :meth:`~symopt.evolve.FitnessCache.state_dict`.
        stats: the counters.
        hall: the :class:`~symopt.runs._hall_of_fame.HallOfFame`.
        history_bytes: ``history.jsonl``'s length when this was written.
        in_flight: children proposed but not yet told; resubmitted on resume.
        finished: the campaign reached its budget.
        format: :data:`FORMAT` at writing time.
    """

    searcher: dict[str, Any]
    cache: dict[str, Any]
    stats: Stats
    hall: HallOfFame | None
    history_bytes: int
    in_flight: tuple[Candidate, ...]
    finished: bool = False
    format: int = FORMAT


_CLASSES: dict[str, type] = {
    c.__name__: c for c in (Checkpoint, Candidate, Individual, Entry, HallOfFame, Stats, FitnessResult, TaskScore)
}


def save_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> None:
    """Writes ``checkpoint`` as JSON, atomically (temporary file, fsync, rename)."""
    programs: dict[Program, int] = {}
    body = _encode(checkpoint, programs)
    table = [_program_data(p) for p in programs]  # dicts keep insertion order: index order
    data = {"kind": _KIND, "format": FORMAT, "programs": table, "checkpoint": body}
    atomic_write(path, json.dumps(data, allow_nan=False, separators=(",", ":")) + "\n")


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Reads a checkpoint; builds data values only.

    Raises:
        CheckpointError: missing, unreadable, corrupt, a pickle, or of another format.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the checkpoint: {err.strerror}") from None
    if raw.startswith(_PICKLE_MAGIC):
        raise CheckpointError(f"{path}: a pickle, not a symopt checkpoint (never unpickled: it could run code)")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise CheckpointError(f"{path}: corrupt checkpoint (not JSON: {err})") from None
    if not isinstance(data, dict) or data.get("kind") != _KIND:
        raise CheckpointError(f"{path}: not a symopt checkpoint")
    if data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {data.get('format')!r}, this symopt reads {FORMAT}")
    try:
        programs = [_program_of(p) for p in _list(data.get("programs"))]
        checkpoint = _decode(data.get("checkpoint"), programs)
    except (ValueError, TypeError, IndexError, RecursionError) as err:
        raise CheckpointError(f"{path}: corrupt checkpoint ({err})") from None
    if not isinstance(checkpoint, Checkpoint):
        raise CheckpointError(f"{path}: not a symopt checkpoint")
    return checkpoint


# ---------------------------------------------------------------- writing


def _encode(value: Any, programs: dict[Program, int]) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Program):
        return {"$program": programs.setdefault(value, len(programs))}
    if isinstance(value, (list, tuple)):
        return [_encode(v, programs) for v in value]
    if dataclasses.is_dataclass(value) and _CLASSES.get(type(value).__name__) is type(value):
        fields = {f.name: _encode(getattr(value, f.name), programs) for f in dataclasses.fields(value)}
        return {"$type": type(value).__name__, **fields}
    if isinstance(value, dict) and all(isinstance(k, str) and not k.startswith("$") for k in value):
        return {k: _encode(v, programs) for k, v in value.items()}
    raise TypeError(f"a checkpoint cannot hold {type(value).__name__} values")


def _program_data(program: Program) -> dict[str, Any]:
    statements = [
        [s.target, s.fn, [a.name if isinstance(a, Var) else {"const": a.value} for a in s.args]]
        for s in program.statements
    ]
    return {"statements": statements, "state": list(program.state), "output": program.output}


# ---------------------------------------------------------------- reading


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _program_of(data: Any) -> Program:
    if not isinstance(data, dict):
        raise ValueError("a program that is not an object")
    statements = []
    for item in _list(data.get("statements")):
        target, fn, args = _list(item)
        if fn not in FUNCTION_NAMES:
            raise ValueError(f"unknown function {fn!r} in a program")
        statements.append(Statement(_str(target), fn, tuple(_arg(a) for a in _list(args))))
    return Program(tuple(statements), tuple(_str(s) for s in _list(data.get("state"))), _str(data.get("output")))


def _arg(data: Any) -> Var | Const:
    if isinstance(data, str):
        return Var(data)
    if isinstance(data, dict) and isinstance(data.get("const"), (int, float)) and not isinstance(data["const"], bool):
        return Const(float(data["const"]))
    raise ValueError(f"a program argument that is neither a name nor a constant: {data!r}")


def _decode(value: Any, programs: list[Program]) -> Any:
    if isinstance(value, list):
        return [_decode(v, programs) for v in value]
    if not isinstance(value, dict):
        return value
    if "$float" in value:
        text = value["$float"]
        if text not in ("nan", "inf", "-inf"):
            raise ValueError(f"a non-finite number spelled {text!r}")
        return float(text)
    if "$program" in value:
        index = value["$program"]
        if not isinstance(index, int) or not 0 <= index < len(programs):
            raise ValueError(f"no program {index!r} in the checkpoint's table")
        return programs[index]
    if "$type" in value:
        return _instance(value, programs)
    return {k: _decode(v, programs) for k, v in value.items()}


def _instance(value: dict[str, Any], programs: list[Program]) -> Any:
    cls = _CLASSES.get(value["$type"])
    if cls is None:
        raise ValueError(f"{value['$type']!r} is not part of a symopt checkpoint")
    hints = typing.get_type_hints(cls)
    fields = {}
    for key, raw in value.items():
        if key == "$type":
            continue
        if key not in hints:
            raise ValueError(f"{cls.__name__} has no field {key!r}")
        item = _decode(raw, programs)
        fields[key] = tuple(item) if isinstance(item, list) else item
        if not _fits(fields[key], hints[key]):
            raise ValueError(f"{cls.__name__}.{key} is {type(fields[key]).__name__}, expected {hints[key]}")
    return cls(**fields)


def _fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the annotated type (shallowly: element types of tuples are checked)."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if origin is tuple:
        args = typing.get_args(hint)
        return isinstance(value, tuple) and all(_fits(v, args[0]) for v in value)
    if origin is not None:  # dict[str, Any], Literal[...]
        return isinstance(value, dict) if origin is dict else isinstance(value, str)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)
