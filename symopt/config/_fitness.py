"""The ``fitness`` section and each task of a fitness or a funnel stage: the proxy tasks' own specs.

The section *is* :class:`~symopt.proxy_tasks.fitness.FitnessSpec` and each task
entry *is* :class:`~symopt.proxy_tasks.fitness.TaskSpec` (``{name, knobs,
weight, lr_scale, repeats}``): no config twin. This module registers how the
schema reads them (:class:`~symopt.config._schema.Adapter`): missing ``fitness``
keys take ``DEFAULT_FITNESS``'s values, ``grow_grid`` is no key of the search's
fitness (it never grows its grid), and the range checks name the bad key. A
funnel stage shares the checks through :func:`check_fitness_fields`.

Example:
    >>> from symopt.config._schema import build, to_plain
    >>> spec = build(FitnessSpec, {"seeds": [3]}, "fitness")
    >>> spec.seeds, spec.tasks == DEFAULT_FITNESS.tasks, spec.slot_cost
    ((3,), True, 0.3)
    >>> to_plain(TaskSpec("quadratic", {"steps": 20}))["knobs"]
    {'steps': 20}
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

from symopt.config._schema import Adapter, check, register
from symopt.dsl.builtins import BUILTIN_NAMES
from symopt.proxy_tasks import DEFAULT_FITNESS, TASKS, FitnessSpec, TaskSpec, make_task

__all__ = ["DEFAULT_FITNESS", "FitnessSpec", "TaskSpec", "check_fitness_fields", "check_seeds"]


def check_seeds(seeds: Sequence[int]) -> None:
    """Checks a non-empty list of training seeds, each in ``[0, 2**32)``.

    Raises:
        FieldError: naming ``seeds`` or the bad element.
    """
    check(len(seeds) > 0, "seeds", "a non-empty list", seeds)
    for i, seed in enumerate(seeds):
        check(0 <= seed < 2**32, f"seeds[{i}]", "an integer in [0, 2**32)", seed)


def check_fitness_fields(values: Mapping[str, Any]) -> None:
    """The range checks a fitness and a funnel stage share, on the keys present in ``values``.

    Raises:
        FieldError: naming the first bad field, e.g. ``seeds[1]``.
    """
    if "tasks" in values:
        check(len(values["tasks"]) > 0, "tasks", "a non-empty list", values["tasks"])
    if "seeds" in values:
        check_seeds(values["seeds"])
    multipliers = values.get("lr_multipliers", (1.0,))
    check(len(multipliers) > 0, "lr_multipliers", "a non-empty list", multipliers)
    for i, mult in enumerate(multipliers):
        check(mult > 0, f"lr_multipliers[{i}]", "a number > 0", mult)
    decays = values.get("decay_multipliers", (1.0,))
    check(len(decays) > 0, "decay_multipliers", "a non-empty list", decays)
    for i, mult in enumerate(decays):
        check(mult > 0, f"decay_multipliers[{i}]", "a number > 0", mult)
    slot_cost = values.get("slot_cost", 0.0)
    check(slot_cost >= 0, "slot_cost", "a number >= 0", slot_cost)


def _check_fitness(values: Mapping[str, Any]) -> None:
    check_fitness_fields(values)
    baseline = values.get("baseline", DEFAULT_FITNESS.baseline)
    check(baseline in BUILTIN_NAMES, "baseline", "a built-in program name", baseline)


def _check_task(values: Mapping[str, Any]) -> None:
    name, knobs = values["name"], values.get("knobs", {})
    check(name in TASKS, "name", "one of " + ", ".join(TASKS), name)
    check(isinstance(knobs, Mapping), "knobs", "a mapping of knob values", knobs)
    known = [f.name for f in dataclasses.fields(TASKS[name].Knobs)]
    for key in knobs:
        check(key in known, f"knobs.{key}", f"a knob of {name} ({', '.join(known)})", key)
    try:
        make_task(name, **knobs)
    except ValueError as err:
        check(False, "knobs", f"valid knob values ({err})", dict(knobs))
    for key in ("weight", "lr_scale"):
        value = values.get(key, 1.0)
        check(value > 0, key, "a number > 0", value)
    check(values.get("repeats", 1) >= 1, "repeats", "an integer >= 1", values.get("repeats"))


register(TaskSpec, Adapter(check=_check_task, plain={"knobs": dict}))
register(FitnessSpec, Adapter(defaults=DEFAULT_FITNESS, hidden=frozenset({"grow_grid"}), check=_check_fitness))
