"""Tests for symopt.dsl.builtins: the shipped programs load, are canonical, and resolve.

Numeric agreement with optax (lion, momentum, sgd) and with AdamW written out in
NumPy is tested in test_optax_adapter.py.
"""

from __future__ import annotations

from importlib import resources

import pytest

from symopt.dsl.builtins import BUILTIN_NAMES, UnknownProgram, builtin, builtin_source, resolve
from symopt.dsl.errors import DSLError, DSLSyntaxError
from symopt.dsl.program import Const, Program, Statement, Var
from symopt.dsl.source import parse, to_source

# SPEC section 2, verbatim: these two must be shipped exactly as printed there.
SPEC_PROGRAMS = {
    "adamw": """
def train(w, g, m, v, lr):
    g2 = square(g)
    m = interp(g, m, 0.9)
    v = interp(g2, v, 0.999)
    sqrt_v = sqrt(v)
    update = m / sqrt_v
    wd = w * 0.01
    update = update + wd
    lr = lr * 0.001
    update = update * lr
    return update, m, v
""",
    "program4": """
def train(w, g, m, v, lr):
    g = clip(g, lr)
    g = arcsin(g)
    m = interp(g, v, 0.899)
    m2 = m * m
    v = interp(g, m, 1.109)
    abs_m = sqrt(m2)
    update = m / abs_m
    wd = w * 0.4602
    update = update + wd
    lr = lr * 0.0002
    m = cosh(update)
    update = update * lr
    return update, m, v
""",
}


def _code_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_loads_with_two_slots_and_round_trips(name):
    program = builtin(name)
    assert program.signature == ("w", "g", "m", "v", "lr")
    assert program.output == "update"
    assert parse(to_source(program)) == program
    assert builtin(name) is program  # parsed once


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_file_is_canonical_and_commented(name):
    text = builtin_source(name)
    assert text.startswith("# "), "each file opens with a comment saying what it is"
    assert _code_lines(text) == to_source(builtin(name)).splitlines()


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_scales_the_unit_peak_lr_itself(name):
    scaled = [s for s in builtin(name).statements if s.target == "lr"]
    assert len(scaled) == 1 and scaled[0].fn == "mul" and scaled[0].args[0] == Var("lr")
    assert 0 < scaled[0].args[1].value < 1


@pytest.mark.parametrize("name", sorted(SPEC_PROGRAMS))
def test_spec_programs_are_shipped_verbatim(name):
    assert builtin(name) == parse(SPEC_PROGRAMS[name])


def _interp_weights(program: Program) -> list:
    return [s.args[2] for s in program.statements if s.fn == "interp"]


def test_lion_has_two_betas_and_signum_one():
    lion, signum = builtin("lion"), builtin("signum")
    assert _interp_weights(lion) == [Const(0.9), Const(0.99)]
    assert _interp_weights(signum) == [Const(0.9)]
    assert Statement("wd", "mul", (Var("w"), Const(0.1))) in lion.statements
    assert Statement("lr", "mul", (Var("lr"), Const(0.0003))) in lion.statements


def test_names_match_the_shipped_files():
    folder = resources.files("symopt.dsl") / "programs"
    shipped = {entry.name[:-3] for entry in folder.iterdir() if entry.name.endswith(".py")}
    assert shipped == set(BUILTIN_NAMES)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownProgram) as info:
        builtin("adam")
    assert isinstance(info.value, KeyError) and isinstance(info.value, DSLError)
    assert str(info.value) == (
        "no built-in program named 'adam' (built-ins: adamw, lion, program4, signum, momentum, sgd)"
    )


def test_resolve_prefers_a_file_then_a_name(tmp_path, monkeypatch):
    path = tmp_path / "mine.py"
    path.write_text("def train(w, g, lr):\n    update = sign(g)\n    return update\n")
    assert resolve(path) == resolve(str(path)) == Program((Statement("update", "sign", (Var("g"),)),), state=())
    assert resolve("lion") == builtin("lion")
    # A file in the working directory named like a built-in wins: it is what the user pointed at.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sgd").write_text("def train(w, g, lr):\n    update = -g\n    return update\n")
    assert resolve("sgd") != builtin("sgd")


def test_resolve_reports_neither_file_nor_builtin(tmp_path):
    with pytest.raises(DSLError, match=r"neither a program file nor a built-in program \(built-ins: adamw"):
        resolve(tmp_path / "missing.py")
    with pytest.raises(DSLError, match="neither"):
        resolve(tmp_path)  # a folder is not a program file


def test_resolve_passes_on_syntax_errors_with_the_path(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import os\n")
    with pytest.raises(DSLSyntaxError, match=f"^{path}:1:1: imports"):
        resolve(path)
