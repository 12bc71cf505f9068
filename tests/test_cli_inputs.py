"""Hostile and careless inputs at the command line: one line on stderr, exit 2, in time.

One test per row of issue 11's input table that reaches the CLI (the parser's own
limits are tested in ``test_source_limits.py``), and a fuzz test feeding random
bytes and near-Python text to ``symopt check`` and to the config loader.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_source_fuzz import near_python

from symopt.cli import BROKEN_PIPE, main
from symopt.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent
LION = "def train(w, g, m, v, lr):\n    update = interp(g, m, 0.9)\n    update = sign(update)\n" \
    "    m = interp(g, m, 0.99)\n    update = update * lr\n    return update, m, v\n"


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``symopt ARGV`` in this process: exit code, stdout, stderr."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err.strip()


def symopt_subprocess(*argv: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "symopt.cli", *argv], capture_output=True, text=True, env=env, timeout=60,
        **kwargs,
    )


@pytest.mark.parametrize(
    "body, expected",
    [
        (" + ".join(["lr"] * 1_000_000)[:5_000_000], "2:999980: the text is over 1000000 bytes; a program is far smaller"),  # 5 MB on one line
        ("(\n" * 2000 + "g" + ")\n" * 2000, "18:1: brackets nested more than 16 deep"),  # under the line limit
        (" + ".join(["lr"] * 500), "2:1001: line 2 has 2505 characters; the most is 1000"),  # the 500-term chain
    ],
    ids=["5MB", "2000-deep", "500-chain"],
)
def test_huge_or_deep_programs_exit_2_within_2_seconds(tmp_path, body, expected):
    path = tmp_path / "big.py"
    path.write_text(f"def train(w, g, lr):\n    u = {body}\n    return u\n", encoding="utf-8")
    start = time.perf_counter()
    done = symopt_subprocess("check", str(path))
    seconds = time.perf_counter() - start
    message = one_line_error(done.returncode, done.stderr)
    assert message == f"{path}:{expected}"
    assert seconds < 2.0, f"{seconds:.2f} s"  # python's start included; JAX is never imported


def test_a_program_that_is_not_utf8_is_located(tmp_path, capsys):
    path = tmp_path / "bin.py"
    path.write_bytes(b"def train(w, g, lr):\n    u = \xff g\n")
    message = one_line_error(*cli(["check", str(path)], capsys)[::2])
    assert message == f"{path}:2:9: not UTF-8 text: byte 0xff cannot be decoded"


def test_a_binary_yaml_config_is_one_line(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    message = one_line_error(*cli(["search", str(path)], capsys)[::2])
    assert message == f"symopt search: {path}:1:1: not UTF-8 text: byte 0x89 cannot be decoded: is this a YAML config?"


def test_an_empty_yaml_config_is_refused_with_how_to_run_the_defaults(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("# nothing but a comment\n", encoding="utf-8")
    message = one_line_error(*cli(["search", str(path)], capsys)[::2])
    assert message.startswith(f"symopt search: {path}: the config is empty;")
    assert "'name: default'" in message
    (tmp_path / "named.yaml").write_text("name: default\n", encoding="utf-8")
    assert load_config(tmp_path / "named.yaml").search.warm_start == "adamw"  # what the message offers works


def test_a_warm_start_longer_than_max_len_is_refused_at_load(tmp_path):
    body = "".join(f"    u = u * {i + 2}\n" for i in range(20))
    (tmp_path / "long.py").write_text(f"def train(w, g, m, v, lr):\n    u = sign(g)\n{body}    return u, m, v\n")
    config = tmp_path / "c.yaml"
    config.write_text("search: {warm_start: long.py}\nsearch_space: {max_len: 16}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert str(err.value) == (
        f"{config}: search.warm_start: 'long.py' has 21 statements, more than search_space.max_len (16) "
        "allows; raise max_len or start from a shorter program"
    )
    assert load_config(config, ["search_space.max_len=21"]).search_space.max_len == 21


def test_check_of_a_run_folder_without_an_id_gives_the_hint(tmp_path, capsys):
    message = one_line_error(*cli(["check", str(tmp_path)], capsys)[::2])
    assert message == (
        f"symopt check: {str(tmp_path)!r} is a folder: name a child of a run as {tmp_path}:ID "
        f"(symopt show {tmp_path} lists the ids)"
    )


@pytest.mark.parametrize(
    "name, problem",
    [
        ("jnp", "is a name the generated module uses itself (jax, jnp, np, optax, ...)"),
        ("optax", "is a name the generated module uses itself (jax, jnp, np, optax, ...)"),
        ("len", "would shadow the Python builtin of that name"),
        ("lambda", "is a Python keyword"),
        ("my-opt", "is not a Python identifier"),
    ],
)
def test_export_refuses_names_that_shadow_or_are_not_identifiers(tmp_path, capsys, name, problem):
    out = tmp_path / "o.py"
    message = one_line_error(*cli(["export", "lion", "--name", name, "-o", str(out)], capsys)[::2])
    assert message == f"symopt export: {name!r} {problem}; choose another name"
    assert not out.exists()


def test_export_default_name_from_a_file_named_like_a_builtin(tmp_path, capsys):
    (tmp_path / "sum.py").write_text(LION, encoding="utf-8")
    code, out, _ = cli(["export", str(tmp_path / "sum.py")], capsys)
    assert code == 0 and "def opt_sum(" in out


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "1e400"])
def test_eval_refuses_a_learning_rate_multiplier_not_finite_and_positive(capsys, value):
    message = one_line_error(*cli(["eval", "lion", "--task", "quadratic", f"--lr-mult={value}"], capsys)[::2])
    assert message.startswith("symopt eval: --lr-mult must be a finite number > 0, got ")


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("argv", [["check", "lion"], ["check", "lion", "--json"], ["diff", "adamw", "lion"]])
def test_a_closed_stdout_ends_quietly_with_141(monkeypatch, capsys, argv):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(argv) == BROKEN_PIPE
    assert capsys.readouterr().err == ""


def test_symopt_check_into_a_closed_pipe_has_no_traceback():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "symopt.cli", "check", "lion"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    proc.stdout.close()  # the reader is gone before the first write, as with `| head -1` on a long output
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == BROKEN_PIPE and err == b""


FUZZ = settings(max_examples=60, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
_YAML_FRAGMENTS = (
    "search:", "search_space:", " {", "}", "[", "]", ": ", ":", "\n", "\n  ", "- ", "population_size",
    "max_len", "warm_start", "adamw", "budget", "max_seconds", "1e400", "-1", "null", "~", "&a", "*a",
    "!!python/object:os.system", "!!binary", "'", '"', "#", "\t", "\x00", "é", "name", "seed", "ray",
    "fitness", "tasks", "{name: quadratic}", "[[[[[[", "]]]]]]", "---", "...", "?", "|", ">",
)
near_yaml = st.lists(st.sampled_from(_YAML_FRAGMENTS), max_size=40).map("".join)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes no decoder takes


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), near_python.map(_utf8), st.text(max_size=200).map(_utf8)))
def test_fuzz_symopt_check_exits_0_or_2(data):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "p.py")
        with open(path, "wb") as fh:
            fh.write(data)
        stderr = io.StringIO()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = io.StringIO(), stderr
        try:
            code = main(["check", path])  # any other exception fails the test with its traceback
        finally:
            sys.stdout, sys.stderr = saved
    assert code in (0, 2)
    assert (code == 0) == (stderr.getvalue() == "")
    assert stderr.getvalue().count("\n") <= 1


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), near_yaml.map(_utf8)))
def test_fuzz_the_config_loader_answers_a_config_or_a_config_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "c.yaml")
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            load_config(path)
        except ConfigError as err:
            assert str(err).startswith(path) and "\n" not in str(err)
