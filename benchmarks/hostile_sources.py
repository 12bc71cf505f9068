"""Times how the DSL parser answers hostile program texts (issue 11's input rows).

Each input is parsed in a fresh subprocess (so a crash or hang is reported, not
suffered), with a wall-clock limit; the script prints, per input, the seconds
``load`` took inside the subprocess (``-`` when it never returned), the
subprocess's wall time (interpreter start and imports included), and the
outcome: the message, or the exit status and last line of stderr.

Usage:
    PYTHONPATH=. python benchmarks/hostile_sources.py [--timeout 30]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HEADER = "def train(w, g, lr):\n"


def _chain(n: int) -> str:
    return HEADER + "    update = " + " + ".join(["lr"] * n) + "\n    return update\n"


def _parens(n: int) -> str:
    return HEADER + "    update = " + "(" * n + "lr" + ")" * n + " * g\n    return update\n"


def _chain_over_lines(n: int) -> str:
    return HEADER + "    update = (" + " +\n        ".join(["lr"] * n) + ")\n    return update\n"


def _parens_over_lines(n: int) -> str:
    return HEADER + "    update = " + "(\n" * n + "lr" + ")\n" * n + "    return update\n"


def _long_program(n: int) -> str:
    body = "".join(f"    u{i} = g * {i % 7 + 1}.0\n" for i in range(n))
    return HEADER + body + "    update = sign(g)\n    return update\n"


INPUTS: dict[str, str] = {
    "50 KB `lr + lr + ...` on one line": _chain(50_000 // 5),
    "5 MB `lr + lr + ...` on one line": _chain(5_000_000 // 5),
    "500-term chain (2.5 KB)": _chain(500),
    "2000 nested parentheses": _parens(2000),
    "500-term chain, one term a line": _chain_over_lines(500),
    "2000 nested parentheses, one a line": _parens_over_lines(2000),
    "10,000-statement warm start": _long_program(10_000),
    "tab-indented program": "def train(w, g, lr):\n\tupdate = sign(g)\n\treturn update\n",
    "tabs after space indents (line 3)": (
        "def train(w, g, lr):\n    u = sign(g)\n\tupdate = -u\n    return update\n"
    ),
    "`1e400` constant": HEADER + "    update = g * 1e400\n    return update\n",
    "nested call `sign(interp(g, m, 0.9))`": (
        "def train(w, g, m, lr):\n    u = sign(interp(g, m, 0.9))\n    return u, m\n"
    ),
}

_PARSE = (
    "import sys\n"
    "from symopt.dsl.errors import DSLError\n"
    "from symopt.dsl.source import load\n"
    "import time\n"
    "start = time.perf_counter()\n"
    "try:\n"
    "    outcome = f'accepted: {len(load(sys.argv[1]))} statements'\n"
    "except DSLError as err:\n"
    "    outcome = str(err).replace(sys.argv[1], 'FILE')[:160]\n"
    "print(f'{time.perf_counter() - start:.3f}', outcome)\n"
)


def _run(text: str, timeout: float) -> tuple[str, str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(text)
    try:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-c", _PARSE, fh.name], capture_output=True, text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return "-", f"no answer within {timeout:.0f} s", time.perf_counter() - start
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [""])[-1][:120]
            return "-", f"exit {done.returncode}: {last}", seconds
        inside, outcome = done.stdout.strip().split(" ", 1)
        return inside, outcome, seconds
    finally:
        os.unlink(fh.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    print(f"{'input':42s} {'load s':>7s} {'wall s':>7s}  outcome")
    for name, text in INPUTS.items():
        inside, outcome, seconds = _run(text, args.timeout)
        print(f"{name:42s} {inside:>7s} {seconds:7.2f}  {outcome}")


if __name__ == "__main__":
    main()
