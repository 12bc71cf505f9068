"""Reading and writing a campaign config: YAML, ``--set`` overrides, one-line errors.

:func:`load_config` reads a YAML file, applies ``--set section.key=value``
overrides, and rejects unknown keys, wrong types, bad values and cross-field
conflicts with a :class:`ConfigError` naming the file, the key path and what was
expected. :func:`dump_config` writes the resolved config (every default filled
in), which :func:`load_config` reads back equal.

Example:
    >>> parse_override("search.population_size=50")
    (('search', 'population_size'), 50)
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import yaml

from symopt.config._schema import SchemaError, build, to_plain
from symopt.config._sections import Config
from symopt.dsl import BUILTIN_NAMES, DSLError, builtin, load, read_source, validate
from symopt.dsl.limits import MAX_SOURCE_BYTES

__all__ = ["ConfigError", "config_to_dict", "dump_config", "load_config", "parse_override"]


class ConfigError(ValueError):
    """A config that cannot run: ``FILE: key.path: what was expected``."""


def config_to_dict(config: Config) -> dict[str, Any]:
    """The config as plain YAML data, every default filled in."""
    return to_plain(config)


def dump_config(config: Config, path: str | os.PathLike[str]) -> None:
    """Writes ``config`` as YAML; :func:`load_config` reads it back equal."""
    text = yaml.safe_dump(config_to_dict(config), sort_keys=False, default_flow_style=False)
    header = "# The resolved campaign config (all defaults filled in), written by symopt.\n"
    Path(path).write_text(header + text, encoding="utf-8")


def parse_override(text: str) -> tuple[tuple[str, ...], Any]:
    """``"section.key=value"`` as a key path and a YAML-parsed value.

    Raises:
        ValueError: without ``=`` or with an empty key, or a value YAML cannot read.

    Example:
        >>> parse_override("ray.serial=true")
        (('ray', 'serial'), True)
        >>> parse_override("search_space.functions=[add, sign]")
        (('search_space', 'functions'), ['add', 'sign'])
    """
    key, sep, raw = text.partition("=")
    keys = tuple(k.strip() for k in key.split("."))
    if not sep or not all(keys):
        raise ValueError(f"expected section.key=value, got {text!r}")
    try:
        return keys, yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise ValueError(f"the value of {text!r} is not YAML: {err}") from None


def load_config(path: str | os.PathLike[str], overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Reads a campaign YAML file, applies ``--set`` overrides, checks everything.

    Args:
        path: the YAML file.
        overrides: ``section.key=value`` strings, applied in order; values are YAML.

    Raises:
        ConfigError: ``FILE: key.path: expected ..., got ...`` for an unreadable
            file, an unknown key, a wrong type, a bad value or a conflict
            (tournament larger than population, warm start not found, unknown
            task or knob).

    Example:
        >>> import tempfile, os
        >>> f = os.path.join(tempfile.mkdtemp(), "c.yaml")
        >>> _ = open(f, "w").write("search: {population_size: 5}\\n")
        >>> load_config(f, ["search.tournament_size=3"]).search.tournament_size
        3
    """
    where = os.fspath(path)
    raw = _read_yaml(where)
    if not raw and not overrides:
        # The defaults search without end (no budget) with a population of 1000: an empty
        # file is far likelier a wrong path or an unsaved buffer than a wish for that.
        raise ConfigError(
            f"{where}: the config is empty; to run with every default (no budget: the search "
            f"runs until Ctrl-C), write one key, e.g. 'name: default'"
        )
    set_paths: dict[str, str] = {}
    for text in overrides:
        try:
            keys, value = parse_override(text)
        except ValueError as err:
            raise ConfigError(f"{where} (--set): {err}") from None
        _apply(raw, keys, value, where, text)
        set_paths[".".join(keys)] = text
    try:
        config = build(Config, raw)
    except SchemaError as err:
        raise ConfigError(f"{_source(where, err.path, set_paths)}: {err}") from None
    return _resolve_warm_start(config, where, set_paths)


def _read_yaml(where: str) -> dict[str, Any]:
    try:
        text = read_source(where)  # bounded, and UTF-8 or an error located at the first bad byte
    except OSError as err:
        raise ConfigError(f"{where}: cannot read the config: {err.strerror or err}") from None
    except DSLError as err:
        raise ConfigError(f"{err}: is this a YAML config?") from None
    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise ConfigError(f"{where}: the config is over {MAX_SOURCE_BYTES} bytes; a config is a few KB")
    try:
        raw = yaml.safe_load(text)
    except RecursionError:  # 1000s of nested brackets
        raise ConfigError(f"{where}: not valid YAML: nested too deep") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        if isinstance(err, yaml.reader.ReaderError):  # a character YAML refuses (NUL, ...)
            start = text.rfind("\n", 0, err.position) + 1
            at = f":{text.count(chr(10), 0, err.position) + 1}:{err.position - start + 1}"
        problem = (getattr(err, "problem", None) or str(err)).splitlines()[0]
        raise ConfigError(f"{where}{at}: not valid YAML: {problem}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of sections at the top, got {type(raw).__name__}")
    return raw


def _apply(raw: dict[str, Any], keys: tuple[str, ...], value: Any, where: str, text: str) -> None:
    node = raw
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            at = ".".join(keys[: depth + 1])
            raise ConfigError(f"{where} (--set {text}): {at}: is not a section, cannot set a key in it")
        node = child
    node[keys[-1]] = value


def _source(where: str, key_path: str, set_paths: dict[str, str]) -> str:
    """The file, and the ``--set`` that put the bad value there if one did."""
    for set_path, text in set_paths.items():
        # The bad value is the one set, lies inside it, or holds it (``--set seed.x=1``).
        inside = key_path.startswith(set_path + ".") or key_path.startswith(set_path + "[")
        if key_path == set_path or inside or set_path.startswith(key_path + "."):
            return f"{where} (--set {text})"
    return where


def _resolve_warm_start(config: Config, where: str, set_paths: dict[str, str]) -> Config:
    """Checks the warm start loads and is valid; a file becomes an absolute path."""
    spec = config.search.warm_start
    source = _source(where, "search.warm_start", set_paths)
    if spec in BUILTIN_NAMES and not Path(spec).is_file():
        program, resolved = builtin(spec), spec
    else:
        candidates = [Path(spec), Path(where).parent / spec]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise ConfigError(
                f"{source}: search.warm_start: expected a built-in program "
                f"({', '.join(BUILTIN_NAMES)}) or a program file, got {spec!r} (not found)"
            )
        resolved = str(found.resolve())
        try:
            program = load(found)
            validate(program)
        except (DSLError, OSError) as err:
            raise ConfigError(f"{source}: search.warm_start: expected a valid program, got {spec!r}: {err}") from None
    if config.search.mode != "random" and tuple(program.state) != config.search_space.state:
        raise ConfigError(
            f"{source}: search.warm_start: expected a program with the search space's state "
            f"slots {list(config.search_space.state)}, got {spec!r} with {list(program.state)}"
        )
    max_len = config.search_space.max_len
    if config.search.mode == "evolution" and len(program) > max_len:
        raise ConfigError(
            f"{source}: search.warm_start: {spec!r} has {len(program)} statements, more than "
            f"search_space.max_len ({max_len}) allows; raise max_len or start from a shorter program"
        )
    search = dataclasses.replace(config.search, warm_start=resolved)
    return dataclasses.replace(config, search=search)
