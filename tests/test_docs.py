"""The documentation builds strictly with fresh plots, covers every schedule, and the examples run."""

from __future__ import annotations

import inspect
import math
import os
import pathlib
import re
import subprocess
import sys
from fractions import Fraction

import lrcore
from lrcore.schedule import REGISTRY
from lrcore.schedule import names as schedule_names

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _run(args, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_MKDOCS_2_WARNING="1", MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, **kwargs
    )


def _catalog_sections():
    """schedule name -> the text of its `## \\`name\\`` section in docs/catalog/*.md."""
    sections = {}
    for page in sorted((DOCS / "catalog").glob("*.md")):
        parts = re.split(r"^## `(\w+)`\s*$", page.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2]):
            assert name not in sections, f"{name} is documented twice"
            sections[name] = body
    return sections


def catalog_problems(sections: dict[str, str]) -> list[str]:
    """What the catalog misses for the registered schedules: a section per schedule with a formula, a
    parameter table naming exactly the factory's parameters, and its generated plot."""
    problems = []
    registered = schedule_names()
    problems += [f"{name}: no catalog section" for name in registered if name not in sections]
    problems += [f"{name}: documented but not registered" for name in sections if name not in registered]
    for name, body in sections.items():
        if name not in registered:
            continue
        if "$$" not in body:
            problems.append(f"{name}: no formula")
        if "| parameter | meaning |" not in body:
            problems.append(f"{name}: no parameter table")
        if f"![{name}](../img/generated/{name}.png)" not in body:
            problems.append(f"{name}: no generated plot")
        documented = set(re.findall(r"^\| `(\w+)", body, flags=re.M))
        arguments = set(REGISTRY[name].signature.parameters)
        if documented != arguments:
            problems.append(f"{name}: parameter table {sorted(documented)} != {sorted(arguments)}")
    return problems


def test_every_schedule_has_a_catalog_section_with_formula_parameters_and_plot():
    assert set(schedule_names()) == set(lrcore.SCHEDULES)
    assert catalog_problems(_catalog_sections()) == []


def test_gen_plots_then_strict_mkdocs_build(tmp_path):
    generated = _run(["docs/gen_plots.py"])
    assert generated.returncode == 0, generated.stderr
    for name in lrcore.SCHEDULES:
        png = DOCS / "img" / "generated" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name

    site = tmp_path / "site"
    built = _run(["-m", "mkdocs", "build", "--strict", "--site-dir", str(site)])
    log = built.stdout + built.stderr
    assert built.returncode == 0, log
    assert "WARNING" not in log, log
    for name in lrcore.SCHEDULES:
        assert (site / "img" / "generated" / f"{name}.png").stat().st_size > 1000, name
    cosine = (site / "catalog" / "cosine" / "index.html").read_text()
    assert 'class="arithmatex"' in cosine  # formulas reach MathJax
    for page in ("benchmarks", "distributed-torch", "distributed-jax", "finder", "cli", "migration", "numerics", "step"):
        assert (site / page / "index.html").exists(), page


def test_global_step_example():
    result = _run(["examples/global_step.py", "--updates", "7", "--micro-batches", "2"])
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"^\s+\d+\s+\d+\s+\d+\s", line)]
    assert len(rows) == 14
    for update, micro, step, value in rows:
        assert int(step) == int(update)  # the step is the number of updates already applied
        assert float(value) == 0.1 * 0.5 ** (int(step) // 3)  # staircase: the value moves AT 3, 6


def test_warmup_cosine_restarts_example(tmp_path):
    png = tmp_path / "curve.png"
    result = _run(["examples/warmup_cosine_restarts.py", "--steps-per-epoch", "40", "--epochs", "20", "-o", str(png)])
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"^\s+\d+\s+\d+\s", line)]
    # Independent cycle starts: first period 3 epochs = 120 steps, each period 1.25 times longer.
    starts, s = [], 0
    for i in range(len(rows)):
        starts.append(s)
        s += math.ceil(Fraction(120) * Fraction(5, 4) ** i)
    assert [int(r[1]) for r in rows] == starts
    assert s >= 20 * 40 > starts[-1]  # every cycle that starts within the 20 epochs, no more
    for row in rows:
        assert float(row[3]) == 1e-7  # each restart starts the warmup from the floor
        assert abs(float(row[5]) - 1e-3) <= 1e-3 * 1e-3  # the warmup reaches the peak


def test_framework_integration_pages_python_blocks_run():
    """Every Python block of the PyTorch, Lightning and Hugging Face pages runs as written."""
    for page in ("torch.md", "lightning.md", "huggingface.md"):
        blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)
        assert blocks, page
        for i, block in enumerate(blocks):
            result = _run(["-c", block])
            assert result.returncode == 0, f"{page} block {i}:\n{result.stderr}"
