"""Shared fixtures: run folders (the one written before the package split, and fresh ones) and Ray.

Helper modules sit beside the tests: ``run_folders`` writes a small run folder file by
file, ``ray_fixtures`` starts a Ray head in a subprocess, ``strategies`` and
``random_programs`` generate programs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tarfile
import tempfile

# One XLA compilation cache for the whole test run, set before anything imports JAX: the
# proxy tasks' training loops (1-40 s to compile each) are then compiled once, not once per
# test process (the CLI tests start many). Compiles under a second are not cached, so the
# compile-counting tests still see fresh compiles. Removed when the run ends.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="symopt-test-xla-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
from pathlib import Path

import pytest
from ray_fixtures import ray_head  # noqa: F401  (a fixture, shared from here)
from run_folders import make_run

FIXTURES = Path(__file__).parent / "fixtures"

OLD_RUN = FIXTURES / "run_before_split.tar.gz"
"""A run folder written by symopt 7b477cc, before the split into packages (archived: its
files are data, not code of this tree): ``symopt search
configs/quick.yaml --set ray.serial=true --set search.budget.max_trained=12 --set
search.population_size=4 --set output.checkpoint_every=5 --set 'fitness.tasks=[{name:
quadratic, knobs: {steps: 20}}]' --set fitness.seeds=[0] --set fitness.lr_multipliers=[1.0]``
(progress.png left out). Its checkpoint pickles the old module paths."""


@pytest.fixture()
def old_run(tmp_path: Path) -> Path:
    """:data:`OLD_RUN`, unpacked into a fresh folder."""
    with tarfile.open(OLD_RUN) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "run_before_split"


@pytest.fixture(scope="module")
def fix_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``run_folders.make_run``'s six-child run folder, shared by a test module (read only)."""
    return make_run(tmp_path_factory.mktemp("fix") / "fix-run")
