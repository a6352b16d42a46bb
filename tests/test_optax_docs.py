"""docs/optax.md: every Python block runs as written, in a fresh interpreter, and prints what the
page says it prints."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "optax.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(), flags=re.M | re.S)

# The printed output each block must give, in order.
OUTPUT = ["0.001", "0.0005", "0.00498", "0.5", "True"]


def test_page_has_the_blocks():
    assert len(BLOCKS) == len(OUTPUT)


@pytest.mark.parametrize("index", range(len(OUTPUT)))
def test_block_runs(index):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().startswith(OUTPUT[index]), run.stdout


def test_combinators_multiply_block_runs():
    text = (ROOT / "docs" / "catalog" / "combinators.md").read_text()
    section = text[text.index("## `multiply`"):]
    block = re.search(r"^```python\n(.*?)^```", section, flags=re.M | re.S).group(1)
    run = subprocess.run([sys.executable, "-c", block], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert abs(float(run.stdout) - 0.1 * 0.9**4 * 0.5) < 1e-15
