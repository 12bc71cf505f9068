"""The verdict works on meaning: built-ins get their families, rewrites of Lion stay Lion."""

from __future__ import annotations

import json
import math

import pytest

from symopt.cli import main
from symopt.dsl import builtin, parse
from symopt.simplify import classify

FAMILIES = {
    "lion": "lion",
    "program4": "lion",
    "signum": "signum",
    "adamw": "adam",
    "momentum": "momentum",
    "sgd": "sgd",
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_builtin_families(name: str) -> None:
    assert classify(builtin(name)).family == FAMILIES[name]


def test_lion_constants() -> None:
    v = classify(builtin("lion"))
    assert v.beta1 == pytest.approx(0.9, abs=0.01)
    assert v.beta2 == pytest.approx(0.99, abs=0.003)
    assert v.lr_scale == pytest.approx(3e-4, rel=1e-3)
    assert v.weight_decay == pytest.approx(0.1, rel=1e-3)
    assert v.residual < 1e-4


def test_program4_is_lion_with_the_papers_betas() -> None:
    v = classify(builtin("program4"))
    assert v.family == "lion"
    assert v.beta1 == pytest.approx(0.9, abs=0.01)
    assert v.beta2 == pytest.approx(0.997, abs=0.002)


# Each is Lion (0.9, 0.99, lr 3e-4, wd 0.1) written another way.
LION_REWRITES = {
    "renamed": """
def train(w, g, mom, unused, lr):
    step = interp(g, mom, 0.9)
    step = sign(step)
    mom = interp(g, mom, 0.99)
    decay = w * 0.1
    step = step + decay
    scale = lr * 0.0003
    step = step * scale
    return step, mom, unused
""",
    "padded_with_dead_code": """
def train(w, g, m, v, lr):
    junk = cosh(g)
    update = interp(g, m, 0.9)
    v = exp(junk)
    update = sign(update)
    m = interp(g, m, 0.99)
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0003
    update = update * lr
    v = tanh(update)
    return update, m, v
""",
    "sign_as_division": """
def train(w, g, m, v, lr):
    c = interp(g, m, 0.9)
    c2 = c * c
    r = sqrt(c2)
    update = c / r
    m = interp(g, m, 0.99)
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0003
    update = update * lr
    return update, m, v
""",
    "split_interpolations": """
def train(w, g, m, v, lr):
    a = m * 0.9
    b = g * 0.1
    c = a + b
    update = sign(c)
    m = m * 0.99
    h = g * 0.01
    m = m + h
    wd = w * 0.1
    update = update + wd
    lr = lr * 0.0003
    update = update * lr
    return update, m, v
""",
    "momentum_in_the_other_slot": """
def train(w, g, m, v, lr):
    update = interp(g, v, 0.9)
    update = sign(update)
    v = interp(g, v, 0.99)
    wd = w * 0.1
    update = update + wd
    update = update * 0.0003
    update = update * lr
    return update, m, v
""",
}


@pytest.mark.parametrize("name", sorted(LION_REWRITES))
def test_rewrites_of_lion_are_lion(name: str) -> None:
    v = classify(parse(LION_REWRITES[name]))
    assert v.family == "lion"
    assert v.beta1 == pytest.approx(0.9, abs=0.01)
    assert v.beta2 == pytest.approx(0.99, abs=0.003)


def test_something_else_is_other() -> None:
    program = parse(
        "def train(w, g, m, v, lr):\n"
        "    update = tanh(g)\n"
        "    update = update * w\n"
        "    update = update * 0.01\n"
        "    return update, m, v\n"
    )
    assert classify(program).family == "other"


def test_cli_json(capsys: pytest.CaptureFixture) -> None:
    assert main(["classify", "program4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"family", "beta1", "beta2", "lr_scale", "weight_decay", "residual"}
    assert report["family"] == "lion"
    assert math.isclose(report["beta2"], 0.997, abs_tol=0.002)
