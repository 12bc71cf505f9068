"""`symopt export`: a standalone module that needs only jax and optax, and matches optax and to_optax."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import symopt
from symopt.cli import main
from symopt.dsl import FUNCTIONS, Const, Program, Statement, Var, builtin
from symopt.export import TEMPLATES, export_module


def _load(path: str, name: str):
    spec = importlib.util.spec_from_file_location(f"exported_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _params(seed: int) -> dict:
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    return {"a": jax.random.normal(k1, (4, 3)), "b": jax.random.normal(k2, (5,))}


def _run(opt: optax.GradientTransformation, steps: int, seed: int = 0) -> dict:
    params = _params(seed)
    state = opt.init(params)
    for t in range(steps):
        grads = jax.tree_util.tree_map(lambda x: jnp.sin(x * (t + 1.0)) + 0.1 * x, params)
        updates, state = opt.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    return params


def _max_diff(a: dict, b: dict) -> float:
    return max(float(jnp.max(jnp.abs(x - y))) for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))


def test_every_function_has_a_template() -> None:
    assert set(TEMPLATES) == set(FUNCTIONS)


def _program_using(fn: str) -> Program:
    """A small program that routes g through `fn` (with constants where it needs scalars)."""
    f = FUNCTIONS[fn]
    args = []
    for kind in f.arg_kinds:
        args.append(Const(0.7) if kind == "scalar" else Var("x"))
    body = [Statement("x", "mul", (Var("g"), Const(0.3)))]
    body.append(Statement("y", fn, tuple(args)))
    # Make the update a tensor whatever fn returns, and keep it small.
    body.append(Statement("z", "mul", (Var("x"), Var("y"))))
    body.append(Statement("m", "interp", (Var("z"), Var("m"), Const(0.5))))
    body.append(Statement("update", "mul", (Var("m"), Const(0.01))))
    return Program(tuple(body), state=("m",))


@pytest.mark.parametrize("fn", sorted(FUNCTIONS))
def test_exported_function_matches_to_optax(tmp_path, fn: str) -> None:
    program = _program_using(fn)
    path = tmp_path / "mod.py"
    path.write_text(export_module(program, name="opt"))
    module = _load(str(path), fn)
    ours = _run(module.opt(learning_rate=1.0), steps=5)
    reference = _run(symopt.to_optax(program, learning_rate=1.0), steps=5)
    assert _max_diff(ours, reference) < 1e-6


def test_constants_are_keyword_arguments(tmp_path) -> None:
    path = tmp_path / "lion_mod.py"
    path.write_text(export_module(builtin("lion"), name="lion"))
    module = _load(str(path), "lion_kw")
    slower = _run(module.lion(learning_rate=1.0, b2=0.95, weight_decay=0.0), steps=20)
    oracle = _run(optax.lion(learning_rate=3e-4, b1=0.9, b2=0.95, weight_decay=0.0), steps=20)
    assert _max_diff(slower, oracle) < 1e-6


def test_exported_lion_is_standalone_and_follows_optax(tmp_path) -> None:
    out = tmp_path / "lion_optimizer.py"
    assert main(["export", "lion", "-o", str(out)]) == 0
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import jax, jax.numpy as jnp, optax
        from lion_optimizer import lion
        assert "symopt" not in sys.modules, "the exported module imported symopt"
        def run(opt):
            params = {{"a": jnp.linspace(-1.0, 1.0, 12).reshape(4, 3), "b": jnp.ones(5)}}
            state = opt.init(params)
            for t in range(100):
                grads = jax.tree_util.tree_map(lambda x: jnp.sin(x * (t + 1.0)) + 0.1 * x, params)
                updates, state = opt.update(grads, state, params)
                params = optax.apply_updates(params, updates)
            return params
        ours = run(lion(learning_rate=1.0))
        theirs = run(optax.lion(learning_rate=3e-4, b1=0.9, b2=0.99, weight_decay=0.1))
        diff = max(float(jnp.max(jnp.abs(x - y))) for x, y in
                   zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)))
        assert diff < 1e-6, diff
        print("ok", diff)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok")


def test_clashing_names_are_renamed(tmp_path) -> None:
    program = Program(
        (
            Statement("jnp", "mul", (Var("g"), Const(0.5))),
            Statement("state", "sign", (Var("jnp"),)),
            Statement("update", "mul", (Var("state"), Const(0.1))),
        ),
        state=(),
    )
    path = tmp_path / "clash.py"
    path.write_text(export_module(program, name="clash"))
    module = _load(str(path), "clash")
    ours = _run(module.clash(), steps=3)
    assert _max_diff(ours, _run(symopt.to_optax(program), steps=3)) < 1e-7


def test_bad_name_is_a_clean_error(capsys: pytest.CaptureFixture) -> None:
    assert main(["export", "lion", "--name", "not a name"]) == 2
    assert "'not a name' is not a Python identifier; choose another name" in capsys.readouterr().err
