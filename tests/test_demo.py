"""``lrcore demo`` in its reduced (CI) mode."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from lrcore import demo

ROOT = Path(__file__).resolve().parents[1]


def article_schedule(step, spe):
    """The article's multi-period warmup cosine annealing, as a plain loop (independent reference)."""
    peak, end, period, warm, start = 1e-3, 1e-7, 3.0 * spe, float((3 * spe) // 4), 0
    while True:
        length = int(np.ceil(period - 1e-9))
        if step < start + length:
            t = step - start
            if t < warm:
                return end + (peak - end) * t / warm
            return end + (peak - end) * 0.5 * (1 + np.cos(np.pi * (t - warm) / (period - warm)))
        start += length
        period *= 1.25
        warm *= 1.25


def test_quick_demo_in_process(tmp_path):
    out = io.StringIO()
    png = tmp_path / "demo.png"
    summary = demo.run(quick=True, output=png, out=out)
    text = out.getvalue()
    assert set(summary["ran"]) | set(summary["skipped"]) == set(demo.FRAMEWORKS)
    assert "jax" in summary["ran"]
    for name, reason in summary["skipped"].items():
        assert f"{name}: skipped ({reason})" in text
    spe, epochs = summary["steps_per_epoch"], summary["epochs"]
    for name, r in summary["ran"].items():
        assert len(r["loss"]) == len(r["accuracy"]) == epochs
        assert all(np.isfinite(r["loss"]))
        assert r["loss"][-1] < r["loss"][0]  # it trains
        assert r["lr_max_rel_diff"] < 1e-6  # every framework used the reference learning rates
        for epoch in range(1, epochs + 1):
            assert f"{name:<6} epoch {epoch:>3}/{epochs}" in text
    # The printed schedule is the article's: warmup a quarter of a 3-epoch first period.
    params = demo.schedule_params(spe)
    assert params["warmup_steps"] * 4 <= params["first_period"] == 3 * spe
    import lrcore

    s = lrcore.cosine_restart(**params)
    steps = np.arange(epochs * spe)
    want = [article_schedule(k, spe) for k in steps]
    np.testing.assert_allclose(s(steps), want, rtol=1e-9, atol=1e-15)
    # The figure: the learning-rate curve on top, one loss line per framework that ran below.
    top, bottom = summary["figure"].axes
    assert len(top.get_lines()) == 1 and len(bottom.get_lines()) == len(summary["ran"])
    assert png.stat().st_size > 20_000


def test_demo_command(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "lrcore", "demo", "--quick", "--epochs", "2", "--frameworks", "jax", "-o", "d.png"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "jax    epoch   2/2" in r.stdout and "wrote d.png" in r.stdout
    assert (tmp_path / "d.png").stat().st_size > 20_000


def test_framework_loss_curves_are_distinguishable():
    """The frameworks' loss curves coincide (same data and weights): each has its own style."""
    from lrcore.plot import demo_figure

    losses = [2.0, 1.0, 0.5, 0.3]
    fig = demo_figure(np.arange(40), np.linspace(1e-3, 1e-5, 40), {f: losses for f in demo.FRAMEWORKS}, 10)
    lines = fig.axes[1].get_lines()
    assert len(lines) == 3
    styles = {(line.get_linestyle(), line.get_marker()) for line in lines}
    assert len(styles) == 3
    sizes = [line.get_markersize() for line in lines]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == 3  # the first drawn is the largest
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == list(demo.FRAMEWORKS)


def test_no_import_circle_between_cli_and_demo():
    """`cli` owns the parsing; `demo` exposes `run` and imports nothing of the command line."""
    import ast

    for module, forbidden in (("demo", "cli"), ("finder", "cli"), ("plot", "cli")):
        tree = ast.parse((ROOT / "lrcore" / f"{module}.py").read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {
            f"{node.module or ''}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
        assert not any(forbidden in name.split(".") for name in imported), (module, imported)
    assert not hasattr(demo, "main")


def test_run_validates_its_arguments():
    import pytest

    for kwargs, param in [({"epochs": 0}, "epochs"), ({"epochs": "3"}, "epochs"), ({"frameworks": ()}, "frameworks"),
                          ({"frameworks": ("mxnet",)}, "frameworks"), ({"frameworks": "jax"}, "frameworks"),
                          ({"quick": 1}, "quick"), ({"seed": -1}, "seed")]:
        with pytest.raises((ValueError, TypeError), match=f"`{param}`"):
            demo.run(**kwargs, out=io.StringIO())
