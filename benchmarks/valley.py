"""The valley between AdamW and Lion: a hand-made chain of single mutations, scored by a fitness.

Each step makes ONE edit to the previous program's source (a changed argument,
an inserted statement, a changed constant), as a search mutation would, from
the AdamW seed to Lion (0.9, 0.99) with decay 1.0 (two orders of the same
edits), and on to the paper's Program 4. Every program keeps the seed's constants (lr 0.001, decay 0.01)
until a step changes them. For each step it prints the fitness as the search
sees it (the fitness's own seeds) and its mean +- se over fresh seed blocks
(3000, 3001, ...), so a drop shows whether it is noise. Side rows (not on the
chain) give the nearby AdamW variants.

Usage:
    python benchmarks/valley.py [--blocks 5] [--decay-mults 1,10,100] [--chains lion,nearby,decay_first,program4]
        [--teachers 0,1,2] [--aggregate mean|best] [--mults 0.5,1,2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Sequence

from symopt.dsl import Program, builtin, parse, program_hash, to_source
from symopt.proxy_tasks.fitness import FitnessSpec, evaluate_fitness
from symopt.proxy_tasks.fitness import LION_FITNESS, teacher_student_fitness

__all__ = ["replace", "insert_after", "lion_chain", "program4_chain", "side_rows", "main"]

FRESH_SEED0 = 3000
Edit = Callable[[str], str]


def replace(old: str, new: str) -> Edit:
    """An edit replacing the one line ``old`` (stripped) by ``new``."""

    def edit(source: str) -> str:
        lines = source.splitlines()
        hits = [i for i, line in enumerate(lines) if line.strip() == old]
        if len(hits) != 1:
            raise ValueError(f"expected one line {old!r}, found {len(hits)}")
        line = lines[hits[0]]
        lines[hits[0]] = line[: len(line) - len(line.lstrip())] + new
        return "\n".join(lines) + "\n"

    return edit


def insert_after(anchor: str, new: str) -> Edit:
    """An edit inserting the line ``new`` after the one line ``anchor`` (stripped)."""
    return replace(anchor, f"{anchor}\n    {new}")


def _chain(start: Program, steps: Sequence[tuple[str, Edit]]) -> list[tuple[str, Program]]:
    source, out = to_source(start), []
    for label, edit in steps:
        source = edit(source)
        out.append((label, parse(source)))
    return out


LION_STEPS: tuple[tuple[str, Edit], ...] = (
    ("v tracks g, not g^2: v = interp(g, v, .999)", replace("v = interp(g2, v, 0.999)", "v = interp(g, v, 0.999)")),
    ("insert mm = m * m (dead: neutral)", insert_after("m = interp(g, m, 0.9)", "mm = m * m")),
    ("sqrt(v) -> sqrt(mm): signum .9, v dead", replace("sqrt_v = sqrt(v)", "sqrt_v = sqrt(mm)")),
    ("m = interp(g, v, .9): Lion (.9, .999)", replace("m = interp(g, m, 0.9)", "m = interp(g, v, 0.9)")),
    ("beta2 .999 -> .99: Lion (.9, .99)", replace("v = interp(g, v, 0.999)", "v = interp(g, v, 0.99)")),
    ("decay .01 -> .1", replace("wd = w * 0.01", "wd = w * 0.1")),
    ("decay .1 -> .3", replace("wd = w * 0.1", "wd = w * 0.3")),
    ("decay .3 -> 1.0: Lion, decay 1", replace("wd = w * 0.3", "wd = w * 1.0")),
)

PROGRAM4_STEPS: tuple[tuple[str, Edit], ...] = (
    ("[from Lion (.9,.999)] v = interp(g, m, .999)", replace("v = interp(g, v, 0.999)", "v = interp(g, m, 0.999)")),
    ("v's constant .999 -> 1.109 (v's beta ~.997)", replace("v = interp(g, m, 0.999)", "v = interp(g, m, 1.109)")),
    ("m's constant .9 -> .899", replace("m = interp(g, v, 0.9)", "m = interp(g, v, 0.899)")),
    ("insert g = arcsin(g)", insert_after("def train(w, g, m, v, lr):", "g = arcsin(g)")),
    ("insert g = clip(g, lr)", insert_after("def train(w, g, m, v, lr):", "g = clip(g, lr)")),
    ("decay .01 -> .4602", replace("wd = w * 0.01", "wd = w * 0.4602")),
    ("lr .001 -> .0002: Program 4", replace("lr = lr * 0.001", "lr = lr * 0.0002")),
)


DECAY_FIRST_STEPS: tuple[tuple[str, Edit], ...] = (
    LION_STEPS[1],
    LION_STEPS[2],
    ("decay .01 -> .1", replace("wd = w * 0.01", "wd = w * 0.1")),
    ("decay .1 -> .3: signum .9, decay .3", replace("wd = w * 0.1", "wd = w * 0.3")),
    ("decay .3 -> 1.0", replace("wd = w * 0.3", "wd = w * 1.0")),
    ("v tracks g (v dead: neutral)", LION_STEPS[0][1]),
    ("m = interp(g, v, .9): Lion (.9, .999), decay 1", LION_STEPS[3][1]),
    ("beta2 .999 -> .99: Lion (.9, .99), decay 1", LION_STEPS[4][1]),
)


def lion_chain() -> list[tuple[str, Program]]:
    """The chain from the AdamW seed to Lion (0.9, 0.99) with decay 1.0, one edit per step."""
    return _chain(builtin("adamw"), LION_STEPS)


def decay_first_chain() -> list[tuple[str, Program]]:
    """AdamW to signum, whose decay climbs first; v's edit is then neutral (dead); then Lion."""
    return _chain(builtin("adamw"), DECAY_FIRST_STEPS)


def program4_chain() -> list[tuple[str, Program]]:
    """From the chain's Lion (0.9, 0.999) with the seed's constants on to the paper's Program 4."""
    lion_999 = dict(lion_chain())["m = interp(g, v, .9): Lion (.9, .999)"]
    return _chain(lion_999, PROGRAM4_STEPS)


def side_rows() -> list[tuple[str, Program]]:
    """Nearby programs off the chain: AdamW one constant away, and the built-in Lion as written."""
    adamw = to_source(builtin("adamw"))
    return [
        ("(side) AdamW beta2 .99", parse(replace("v = interp(g2, v, 0.999)", "v = interp(g2, v, 0.99)")(adamw))),
        ("(side) AdamW beta2 .9", parse(replace("v = interp(g2, v, 0.999)", "v = interp(g2, v, 0.9)")(adamw))),
        ("(side) AdamW decay .1", parse(replace("wd = w * 0.01", "wd = w * 0.1")(adamw))),
        ("(side) built-in lion (lr .0003, decay .1)", builtin("lion")),
    ]


def _score(program: Program, spec: FitnessSpec, blocks: Sequence[tuple[int, ...]]) -> tuple[float, float, float]:
    own = evaluate_fitness(program, spec).fitness
    fresh = [evaluate_fitness(program, spec, seeds=b).fitness for b in blocks]
    return own, statistics.fmean(fresh), statistics.stdev(fresh) / len(fresh) ** 0.5


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=5, help="fresh seed blocks (>= 2)")
    parser.add_argument("--decay-mults", help="the fitness's decay multipliers, comma-separated (default: 1)")
    parser.add_argument("--teachers", help="data seeds (default: the preset's)")
    parser.add_argument("--aggregate", choices=("mean", "best"), help="over the lr window (default: the preset's)")
    parser.add_argument("--mults", help="lr window, comma-separated (default: the preset's)")
    parser.add_argument("--chains", default="lion,nearby,decay_first,program4",
                        help="which sections, comma-separated (default: all)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    base = LION_FITNESS
    spec = teacher_student_fitness(
        teachers=[int(t) for t in args.teachers.split(",")] if args.teachers else [
            dict(t.knobs)["data_seed"] for t in base.tasks],
        seeds=base.seeds,
        lr_multipliers=[float(m) for m in args.mults.split(",")] if args.mults else base.lr_multipliers,
        lr_aggregate=args.aggregate or base.lr_aggregate,
        slot_cost=base.slot_cost,
        lr_scale=base.tasks[0].lr_scale,
        decay_multipliers=[float(d) for d in args.decay_mults.split(",")] if args.decay_mults else (1.0,),
    )
    n = len(spec.seeds)
    blocks = [tuple(range(FRESH_SEED0 + i * n, FRESH_SEED0 + (i + 1) * n)) for i in range(args.blocks)]
    print(f"fitness: {len(spec.tasks)} teachers {[dict(t.knobs)['data_seed'] for t in spec.tasks]}, seeds {spec.seeds}, "
          f"lr window {spec.lr_multipliers} x{spec.tasks[0].lr_scale} ({spec.lr_aggregate}), "
          f"decay multipliers {spec.decay_multipliers}, slot cost {spec.slot_cost}")
    print(f"fresh: {args.blocks} blocks of {n} seeds from {FRESH_SEED0}\n")
    print(f"{'step':52s} {'own seeds':>9s} {'fresh mean +- se':>18s} {'change':>7s}")
    seed = [("AdamW seed", builtin("adamw"))]
    sections = {
        "lion": ("AdamW seed -> Lion", seed + lion_chain()),
        "nearby": ("nearby", side_rows()),
        "decay_first": ("AdamW seed -> signum, decay up first -> Lion", seed + decay_first_chain()),
        "program4": ("Lion (.9, .999) -> Program 4", program4_chain()),
    }
    for title, chain in (sections[c] for c in args.chains.split(",")):
        print(f"-- {title}")
        previous, last_hash = None, None
        for label, program in chain:
            same = program_hash(program) == last_hash  # a neutral edit: the search's cache hit
            own, mean, se = (own, mean, se) if same else _score(program, spec, blocks)
            change = "" if previous is None or title == "nearby" else f"{mean - previous:+.3f}"
            note = " (same hash)" if same else ""
            print(f"{label[:52]:52s} {own:>+9.3f} {mean:>+9.3f} +- {se:.3f} {change:>7s}{note}", flush=True)
            previous, last_hash = mean, program_hash(program)
    print(f"wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
