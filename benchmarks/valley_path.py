"""How likely is each step of the neutral path from AdamW to Lion under the search's own mutations?

The path (docs/proxy.md, "An uphill-or-neutral path"): AdamW -> insert a dead
``mm = m * m`` (neutral) -> ``sqrt(v)`` -> ``sqrt(mm)``: signum .9, v dead ->
raise the decay -> v tracks g (dead: neutral) -> v's beta .999 -> ~.99 (dead:
neutral) -> ``m = interp(g, v, .9)``: Lion (.9, .99). For every step it samples
``--samples`` mutations of the step's parent with the config's ``SearchSpace``
(``mutate``, the search's own operator) and counts the children that make the
step. What "makes the step" means depends on the step:

* a live step (the function changes): the child has the next program's
  functional hash (any mutation that computes the same counts);
* a neutral step (dead code only): the child's text equals the next program's
  up to the names of temporaries (a fresh name ``t0`` for ``mm``), or one of the
  listed alternatives (``mm = m * m`` or ``square(m)``, after m's or v's update);
* a constant step: as the neutral test with the one constant free, its value
  inside a range (the fitness does not need the exact value).

Columns: the fitness of the step's program on the config's fitness (own seeds,
as the search sees it); P with ``keep_neutral`` on and off (off, a neutral child
is re-drawn, so P is 0 for the neutral steps); 1/P, the expected number of
children of that parent before the step is made. Everything is seeded.

Usage:
    python benchmarks/valley_path.py [--config configs/lion_discovery.yaml] [--samples 20000]
        [--set search_space.const_prob=0.5 ...] [--no-fitness] [--only 1,5]

A P of k hits in n samples has a standard error of about sqrt(k)/n: a row
with fewer than ~10 hits is an order of magnitude, not a figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from symopt.config import SearchSpace, load_config
from symopt.dsl import Const, Program, Statement, Var, builtin, parse, program_hash, to_source
from symopt.evolve import mutate
from symopt.proxy_tasks.fitness import FitnessSpec, evaluate_fitness

__all__ = ["PathStep", "canonical", "path_steps", "step_probability", "main"]

_FIXED = {"w", "g", "lr", "update"}
Masked = tuple[tuple[str, str, tuple[object, ...]], ...]


def canonical(program: Program, free: tuple[int, int] | None = None) -> Masked:
    """The program's statements with temporaries renamed ``_0, _1, ...`` in order of
    definition, and the constant at ``free`` (statement, argument) blanked.

    Example:
        >>> a = parse("def train(w, g, m, v, lr):\\n    t0 = m * m\\n    update = t0 * 2.0\\n    return update, m, v\\n")
        >>> b = parse("def train(w, g, m, v, lr):\\n    mm = m * m\\n    update = mm * 3.0\\n    return update, m, v\\n")
        >>> canonical(a) == canonical(b), canonical(a, (1, 1)) == canonical(b, (1, 1))
        (False, True)
    """
    names: dict[str, str] = {}
    fixed = _FIXED | set(program.state)

    def name(n: str) -> str:
        return n if n in fixed else names.setdefault(n, f"_{len(names)}")

    out = []
    for i, st in enumerate(program.statements):
        args: list[object] = []
        for k, a in enumerate(st.args):
            if isinstance(a, Const):
                args.append(None if free == (i, k) else a.value)
            else:
                args.append(name(a.name))
        out.append((name(st.target), st.fn, tuple(args)))
    return tuple(out)


@dataclass(frozen=True)
class PathStep:
    """One step: its label, the program it leads to, and how a child is judged to make it.

    Attributes:
        label: for the table.
        program: the step's representative program (the next parent).
        test: "hash" (live), "text" (neutral) or "range" (one constant within bounds).
        alternatives: other programs that count as the step ("text" steps: other positions).
        free: (statement, argument) of the constant a "range" step leaves free.
        bounds: the range of that constant.
    """

    label: str
    program: Program
    test: str
    alternatives: tuple[Program, ...] = ()
    free: tuple[int, int] | None = None
    bounds: tuple[float, float] = (0.0, 0.0)

    def accepts(self) -> Callable[[Program], bool]:
        """A predicate on children: does this child make the step?"""
        if self.test == "hash":
            target = program_hash(self.program)
            return lambda child: program_hash(child) == target
        if self.test == "text":
            keys = {canonical(p) for p in (self.program,) + self.alternatives}
            return lambda child: canonical(child) in keys
        key, (i, k), (lo, hi) = canonical(self.program, self.free), self.free, self.bounds

        def in_range(child: Program) -> bool:
            if len(child) != len(self.program) or canonical(child, self.free) != key:
                return False
            arg = child.statements[i].args[k]
            return isinstance(arg, Const) and lo <= arg.value <= hi

        return in_range


def _edit(program: Program, old: str, new: str) -> Program:
    lines = to_source(program).splitlines()
    hits = [i for i, line in enumerate(lines) if line.strip() == old]
    if len(hits) != 1:
        raise ValueError(f"expected one line {old!r}, found {len(hits)}")
    lines[hits[0]] = "    " + new
    return parse("\n".join(lines) + "\n")


def _insert(program: Program, index: int, statement: Statement) -> Program:
    body = program.statements[:index] + (statement,) + program.statements[index:]
    return program.with_changes(statements=body)


def _slot(program: Program, target: str, fn: str, k: int) -> tuple[int, int]:
    hits = [i for i, st in enumerate(program.statements) if st.target == target and st.fn == fn]
    if len(hits) != 1:
        raise ValueError(f"expected one statement {target} = {fn}(...), found {len(hits)}")
    return hits[0], k


def path_steps(decay: float = 1.0, decay_bounds: tuple[float, float] = (0.3, 2.0),
               beta2_bounds: tuple[float, float] = (0.98, 0.995)) -> list[PathStep]:
    """The neutral path from AdamW to Lion (0.9, 0.99) with decay ``decay``, one mutation per step."""
    adamw = builtin("adamw")
    mm = Statement("mm", "mul", (Var("m"), Var("m")))
    square = Statement("mm", "square", (Var("m"),))  # the same stepping stone by another function
    after_m = _slot(adamw, "m", "interp", 0)[0] + 1
    after_v = _slot(adamw, "v", "interp", 0)[0] + 1
    with_mm = _insert(adamw, after_m, mm)
    signum = _edit(with_mm, "sqrt_v = sqrt(v)", "sqrt_v = sqrt(mm)")
    decayed = _edit(signum, "wd = w * 0.01", f"wd = w * {decay}")
    v_tracks_g = _edit(decayed, "v = interp(g2, v, 0.999)", "v = interp(g, v, 0.999)")
    v_99 = _edit(v_tracks_g, "v = interp(g, v, 0.999)", "v = interp(g, v, 0.99)")
    lion = _edit(v_99, "m = interp(g, m, 0.9)", "m = interp(g, v, 0.9)")
    return [
        PathStep("insert dead mm = m * m (neutral)", with_mm, "text",
                 alternatives=tuple(_insert(adamw, at, st) for at in (after_m, after_v) for st in (mm, square))),
        PathStep("sqrt(v) -> sqrt(mm): signum .9, v dead", signum, "hash"),
        PathStep(f"decay .01 -> [{decay_bounds[0]}, {decay_bounds[1]}] (row: {decay})", decayed, "range",
                 free=_slot(decayed, "wd", "mul", 1), bounds=decay_bounds),
        PathStep("dead v tracks g: interp(g, v, .999) (neutral)", v_tracks_g, "text"),
        PathStep(f"dead v beta .999 -> [{beta2_bounds[0]}, {beta2_bounds[1]}] (neutral)", v_99, "range",
                 free=_slot(v_99, "v", "interp", 2), bounds=beta2_bounds),
        PathStep("m = interp(g, v, .9): Lion (.9, .99)", lion, "hash"),
    ]


def step_probability(parent: Program, step: PathStep, space: SearchSpace, samples: int, seed: int) -> float:
    """The share of ``samples`` seeded mutations of ``parent`` that make ``step``.

    Example:
        >>> step = path_steps()[1]
        >>> step_probability(path_steps()[0].program, step, SearchSpace(), 2000, 0) > 0
        True
    """
    rng = np.random.default_rng(seed)
    accepts = step.accepts()
    return sum(accepts(mutate(parent, rng, space).child) for _ in range(samples)) / samples


def _fitness(program: Program, spec: FitnessSpec | None) -> str:
    return "" if spec is None else f"{evaluate_fitness(program, spec).fitness:+.3f}"


def _expected(p: float) -> str:
    return f"{1 / p:,.0f}" if p > 0 else "never"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/lion_discovery.yaml")
    parser.add_argument("--set", action="append", default=[], help="config overrides, as symopt search --set")
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-fitness", action="store_true", help="skip the fitness column (no training)")
    parser.add_argument("--only", help="sample only these steps (1-6, comma-separated), e.g. the rare ones")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    config = load_config(args.config, args.set)
    space = config.search_space
    spec = None if args.no_fitness else config.fitness
    on, off = dataclasses.replace(space, keep_neutral=True), dataclasses.replace(space, keep_neutral=False)
    print(f"config {args.config} {' '.join(args.set)}: const_prob {space.const_prob}, "
          f"weights {dict(zip((k.value for k in space.kinds()), space.weights()))}, {args.samples} samples per step")
    print(f"\n{'step':52s} {'fitness':>8s} {'P keep_neutral':>15s} {'1/P':>8s} {'P default':>10s} {'1/P':>8s}")
    parent = builtin("adamw")
    print(f"{'AdamW seed':52s} {_fitness(parent, spec):>8s}")
    total = 0.0
    only = {int(i) for i in args.only.split(",")} if args.only else set(range(1, 7))
    for i, step in enumerate(path_steps()):
        if i + 1 not in only:
            parent = step.program
            continue
        p_on = step_probability(parent, step, on, args.samples, args.seed + i)
        p_off = step_probability(parent, step, off, args.samples, args.seed + i)
        total += 1 / p_on if p_on else float("inf")
        print(f"{step.label[:52]:52s} {_fitness(step.program, spec):>8s} {p_on:>15.5f} {_expected(p_on):>8s} "
              f"{p_off:>10.5f} {_expected(p_off):>8s}", flush=True)
        parent = step.program
    signum = path_steps()[1]
    p_direct = step_probability(builtin("adamw"), signum, off, args.samples, args.seed + 100)
    print(f"{'(side) AdamW -> signum .9 in ONE mutation (any way)':52s} {'':>8s} {'':>15s} {'':>8s} "
          f"{p_direct:>10.5f} {_expected(p_direct):>8s}")
    print(f"\nchildren of the path's programs, summed over the steps sampled (keep_neutral): {total:,.0f}")
    print(f"wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
