"""`symopt check`: human and JSON output, and clean failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from symopt.cli import main


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_program4_json(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = _run(capsys, "check", "program4", "--json")
    report = json.loads(out)
    assert code == 0
    assert set(report) == {"valid", "source", "reduced", "state_slots", "hash", "error"}
    assert report["valid"] is True
    assert "cosh" in report["source"] and "cosh" not in report["reduced"]
    assert report["state_slots"] == ["v"]
    assert len(report["hash"]) == 16


@pytest.mark.parametrize("name", ["adamw", "lion", "sgd", "momentum", "signum", "program4"])
def test_builtins_check(capsys: pytest.CaptureFixture, name: str) -> None:
    code, out, _ = _run(capsys, "check", name)
    assert code == 0
    assert "def train(w, g, m, v, lr):" in out and "hash:" in out


def test_syntax_error_is_located(tmp_path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def train(w, g, m, v, lr):\n    update = jnp.sign(g)\n    return update, m, v\n")
    code, out, err = _run(capsys, "check", str(bad), "--json")
    assert code == 2
    assert err.startswith(f"{bad}:2:")
    assert "Traceback" not in err
    assert json.loads(out)["valid"] is False


def test_invalid_program_is_located(tmp_path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "unassigned.py"
    bad.write_text(
        "def train(w, g, m, v, lr):\n    m = interp(g, m, 0.9)\n    update = m * x\n"
        "    return update, m, v\n"
    )
    code, _, err = _run(capsys, "check", str(bad))
    assert code == 2
    assert err.startswith(f"{bad}:3:") and "'x'" in err


def test_unknown_program(capsys: pytest.CaptureFixture) -> None:
    code, _, err = _run(capsys, "check", "no_such_program")
    assert code == 2
    assert "neither a file nor a built-in" in err and "lion" in err


def test_console_script_exit_code(tmp_path) -> None:
    """The installed entry point exits 2 with one line and no traceback."""
    bad = tmp_path / "imp.py"
    bad.write_text("import os\n")
    proc = subprocess.run(
        [sys.executable, "-m", "symopt.cli", "check", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{bad}:1:1:")
    assert "Traceback" not in proc.stderr
