"""Programs between AdamW and Lion, scored by the search's fitness: where could a search step?

Scores hand-written neighbours of AdamW and Lion on the fitness of
``configs/lion_discovery.yaml`` (``LION_FITNESS`` with the decay searched x{1, 10, 100};
``--decay-mults 1`` for the preset as it is). Every program keeps AdamW's constants
(lr 0.001, decay 0.01) so that only the structure and the betas differ, as for a
search's child. The families:

* ``adamw b2=B``: AdamW with its second-moment beta changed.
* ``adam_on_m2 b2=B``: AdamW whose second moment tracks the MOMENTUM squared
  (``v = interp(square(m), v, B)`` after m's update): ``m / RMS(m)``, a soft sign of m.
  At B = 0 it is signum.
* ``soft_lion c=C``: Lion's structure with the sign written as ``t / sqrt(v)``, ``v``
  an EMA (weight C) of ``t^2``, ``t = interp(g, m, .9)``, m at .99: Lion at C = 0.

``--mults`` and ``--aggregate`` change the fitness's learning-rate window (e.g. a wide
grid with ``best``: the lr tuned inside the fitness); ``--extra`` adds program files
(e.g. a run's ``simplified.py``).

Usage:
    python benchmarks/intermediates.py [--decay-mults 1,10,100] [--only adam_on_m2]
        [--mults 0.25,0.5,1,2,4 --aggregate best] [--extra runs/exp_s1/simplified.py ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Sequence

from symopt.dsl import parse
from symopt.proxy_tasks.fitness import LION_FITNESS, evaluate_fitness

__all__ = ["programs", "main"]

_HEAD = "def train(w, g, m, v, lr):\n"
_TAIL = "    wd = w * 0.01\n    update = update + wd\n    lr = lr * 0.001\n    update = update * lr\n    return update, m, v\n"


def _adam(beta2: float, second: str) -> str:
    body = (
        "    g2 = square(g)\n    m = interp(g, m, 0.9)\n    mm = square(m)\n"
        f"    v = interp({second}, v, {beta2})\n    sqrt_v = sqrt(v)\n    update = m / sqrt_v\n"
    )
    return _HEAD + body + _TAIL


def _soft_lion(c: float) -> str:
    body = (
        "    t = interp(g, m, 0.9)\n    m = interp(g, m, 0.99)\n    tt = square(t)\n"
        f"    v = interp(tt, v, {c})\n    sqrt_v = sqrt(v)\n    update = t / sqrt_v\n"
    )
    return _HEAD + body + _TAIL


def programs() -> dict[str, str]:
    """Display name -> source, in the order printed."""
    out = {f"adamw b2={b}": _adam(b, "g2") for b in (0.999, 0.99, 0.95, 0.9, 0.5)}
    out |= {f"adam_on_m2 b2={b}": _adam(b, "mm") for b in (0.999, 0.997, 0.995, 0.99, 0.98, 0.95, 0.9, 0.5, 0.0)}
    out |= {f"soft_lion c={c}": _soft_lion(c) for c in (0.99, 0.9, 0.5, 0.0)}
    lion = "    t = interp(g, m, 0.9)\n    m = interp(g, m, 0.99)\n    update = sign(t)\n"
    out["lion b1=0.9 b2=0.99"] = _HEAD + lion + _TAIL
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decay-mults", default="1,10,100", help="the fitness's decay factors")
    parser.add_argument("--only", default="", help="names containing this")
    parser.add_argument("--mults", help="the lr multipliers (default: the preset's window)")
    parser.add_argument("--aggregate", choices=("mean", "best"), help="over the lr multipliers")
    parser.add_argument("--extra", nargs="*", default=[], help="program files to score too")
    args = parser.parse_args(argv)
    decays = tuple(float(x) for x in args.decay_mults.split(","))
    spec = dataclasses.replace(LION_FITNESS, decay_multipliers=decays)
    if args.mults:
        spec = dataclasses.replace(spec, lr_multipliers=tuple(float(x) for x in args.mults.split(",")))
    if args.aggregate:
        spec = dataclasses.replace(spec, lr_aggregate=args.aggregate)
    print(f"fitness: LION_FITNESS, decay multipliers {decays}, lr {spec.lr_multipliers} ({spec.lr_aggregate}) "
          "(AdamW's constants everywhere; AdamW = 0)")
    start = time.time()
    todo = {k: v for k, v in programs().items() if args.only in k}
    todo |= {path: Path(path).read_text() for path in args.extra}
    for name, source in todo.items():
        result = evaluate_fitness(parse(source), spec)
        print(f"{name:24s} {result.fitness:+.3f}", flush=True)
    print(f"wall time: {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
