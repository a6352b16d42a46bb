"""The ``lrcore`` command line, run as a subprocess (``python -m lrcore``) like a user would."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lrcore
from lrcore.cli import parse_value

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lrcore", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def png_lines(path):
    """The image's size in pixels (checks it is a real PNG)."""
    from matplotlib.image import imread

    return imread(path).shape


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("300", 300),
        ("-1", -1),
        ("1e-3", 1e-3),
        ("0.5", 0.5),
        ("none", None),
        ("Null", None),
        ("true", True),
        ("False", False),
        ("10,20", [10, 20]),
        ("[10, 20]", [10, 20]),
        ("[0.1]", [0.1]),
        ("[]", []),
        ("triangular2", "triangular2"),
        ('{"name": "constant", "params": {"value": 1}}', {"name": "constant", "params": {"value": 1}}),
    ],
)
def test_parse_value(text, value):
    got = parse_value(text)
    assert got == value and type(got) is type(value)


def test_table_prints_step_value_rows():
    r = cli("table", "exponential_decay", "--init-value", "0.1", "--decay-steps", "100", "--decay-rate", "0.5", "--at", "0,100,250,1000")
    assert r.returncode == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.strip().splitlines()]
    assert rows[0] == ["step", "value"]
    for (step, value), k in zip(rows[1:], (0, 100, 250, 1000)):
        assert int(step) == k
        assert math.isclose(float(value), 0.1 * 0.5 ** (k / 100), rel_tol=1e-15)


def test_table_with_list_and_bool_parameters():
    r = cli("table", "piecewise_constant", "--boundaries", "[10,20]", "--values", "1,0.5,0.25", "--at", "0,9,10,19,20,99")
    assert r.returncode == 0, r.stderr
    values = [float(line.split("\t")[1]) for line in r.stdout.strip().splitlines()[1:]]
    assert values == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    r = cli("table", "exponential_decay", "--init_value=1", "--decay_steps=10", "--decay_rate=0.5", "--staircase=true", "--at", "9,10,19")
    assert [float(line.split("\t")[1]) for line in r.stdout.strip().splitlines()[1:]] == [1.0, 0.5, 0.5]


def test_plot_one_schedule(tmp_path):
    out = tmp_path / "curve.png"
    r = cli("plot", "cosine_restart", "--peak-value", "1e-3", "--first-period", "300", "--period-mul", "1.25",
            "--end-value", "1e-7", "--warmup-steps", "75", "--steps", "2000", "--log", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "1 schedule, 2000 steps" in r.stdout
    assert out.stat().st_size > 10_000
    height, width, _ = png_lines(out)
    assert height > 300 and width > 600


def test_plot_spec_file_overlays_with_legend(tmp_path):
    specs = [
        {**lrcore.cosine_decay(init_value=1.0, decay_steps=100).to_dict(), "label": "cosine"},
        lrcore.warmup(lrcore.constant(0.5), warmup_steps=10).to_dict(),
        lrcore.onecycle(peak_value=1.0, total_steps=100).to_dict(),
    ]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(specs))
    out = tmp_path / "overlay.png"
    r = cli("plot", "--spec", spec, "--steps", "120", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "3 schedules" in r.stdout
    assert out.stat().st_size > 10_000
    # The same figure in-process: one line per schedule and a legend naming them.
    import numpy as np

    from lrcore.plot import schedules_figure

    steps = np.arange(120)
    fig = schedules_figure([(str(i), steps, lrcore.from_dict({k: v for k, v in d.items() if k != "label"})(steps)) for i, d in enumerate(specs)])
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3 and ax.get_legend() is not None


def test_plot_help_lists_the_schedules():
    r = cli("plot", "--help")
    assert r.returncode == 0
    for name in lrcore.SCHEDULES:
        assert f"  {name}(" in r.stdout
    assert "--boundaries" not in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plot", "cosine_decai", "--init-value", "1"], "Unknown schedule name 'cosine_decai'"),
        (["plot", "cosine_decay", "--init-value", "1", "--decay-steps", "10", "--bogus", "3"], "bogus"),
        (["plot", "cosine_decay", "--init-value", "1"], "Missing parameter(s) for 'cosine_decay': decay_steps"),
        (["plot", "cosine_decay", "--init-value", "abc", "--decay-steps", "10"], "`init_value` must be a real number"),
        (["plot", "cosine_decay", "--init-value", "1", "--decay-steps", "0"], "`decay_steps` must be >= 1"),
        (["plot", "cosine_decay", "--init-value", "nan", "--decay-steps", "10"], "`init_value` must be finite"),
        (["table", "constant", "--value", "1", "--at", "x,y"], "--at"),
        (["plot", "constant", "--value", "1", "--steps", "many"], "--steps"),
        (["plot", "--spec", "does-not-exist.json"], "cannot read spec file"),
        (["frobnicate"], "unknown command"),
        (["demo", "--frameworks", "mxnet"], "`frameworks`"),
    ],
)
def test_errors_are_one_line_and_exit_2(args, message, tmp_path):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("lrcore: error: ") and message in lines[0]
    assert "Traceback" not in r.stderr
    assert not list(tmp_path.glob("*.png"))
