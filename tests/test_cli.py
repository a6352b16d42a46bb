"""The ``lrcore`` command line, run as a subprocess (``python -m lrcore``) like a user would."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

import lrcore
from lrcore.cli import parse_list, parse_value

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


@pytest.mark.parametrize(
    ("text", "value"),
    [("10", [10]), ("10,20", [10, 20]), ("[10]", [10]), ("[10, 20]", [10, 20]), ("0.5", [0.5]), ("", []),
     ("[]", []), ("none", None)],
)
def test_parse_list_always_gives_a_list(text, value):
    assert parse_list(text) == value


def test_list_parameters_are_declared_by_their_schedule():
    """The kinds come from the registration (the validation function's annotations), not from a
    list of names in the CLI."""
    from lrcore.schedule import REGISTRY

    sequences = {(name, key) for name, d in REGISTRY.items() for key, kind in d.kinds.items() if kind == "sequence"}
    assert sequences == {
        ("piecewise_constant", "boundaries"), ("piecewise_constant", "values"),
        ("piecewise_linear", "boundaries"), ("piecewise_linear", "values"), ("join", "boundaries"),
    }
    import ast

    tree = ast.parse((ROOT / "lrcore" / "cli.py").read_text())
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not literals & {key for _, key in sequences}  # the CLI spells no parameter's name


@pytest.mark.parametrize(
    ("boundaries", "values", "want"),
    [
        ("10", "1,0.1", [1.0, 1.0, 0.1, 0.1, 0.1]),  # one boundary, no brackets
        ("10,20", "1,0.1,0.01", [1.0, 1.0, 0.1, 0.01, 0.01]),
        ("[10]", "[1,0.1]", [1.0, 1.0, 0.1, 0.1, 0.1]),
        ("", "0.5", [0.5, 0.5, 0.5, 0.5, 0.5]),  # no boundary, one value (not a list in the text)
    ],
)
def test_one_element_lists_need_no_brackets(boundaries, values, want):
    r = cli("table", "piecewise_constant", "--boundaries", boundaries, "--values", values, "--at", "0,9,10,20,99")
    assert r.returncode == 0, r.stderr
    assert [float(line.split("\t")[1]) for line in r.stdout.strip().splitlines()[1:]] == want


def test_join_with_one_boundary_without_brackets():
    r = cli("table", "join",
            '--schedules=[{"name":"constant","params":{"value":1.0}},{"name":"constant","params":{"value":0.5}}]',
            "--boundaries", "10", "--at", "0,9,10,11")
    assert r.returncode == 0, r.stderr
    assert [float(line.split("\t")[1]) for line in r.stdout.strip().splitlines()[1:]] == [1.0, 1.0, 0.5, 0.5]


def test_help_marks_the_list_parameters(plot_help):
    line = next(l for l in plot_help.splitlines() if l.startswith("  piecewise_linear("))
    assert line == "  piecewise_linear(boundaries, values)  [--boundaries: a list (10 or 10,20); --values: a list (10 or 10,20)]"
    assert "--boundaries 10 is [10]" in plot_help


# -- schedules of one's own: --import ---------------------------------------------------------------
USER_MODULE = """
from collections.abc import Sequence

import lrcore
from lrcore import validate as check


def _stair_values(k, p, ops):
    return ops.locate(p["steps_at"], k).pick(ops.floats(p["levels"])) * ops.f(p["scale_by"])


@lrcore.register(_stair_values)
def cli_stairs(steps_at: Sequence[int], levels: Sequence[float], scale_by=1.0):
    '''``levels[i] * scale_by`` after the ``i``-th of ``steps_at``.'''
    steps_at = check.boundaries("steps_at", steps_at)
    levels = check.levels("levels", levels)
    check.lengths_match("levels", levels, "steps_at", steps_at, 1)
    return {"steps_at": steps_at, "levels": levels, "scale_by": check.level("scale_by", scale_by)}
"""


def test_import_adds_a_schedule_of_ones_own(tmp_path):
    (tmp_path / "my_cli_schedules.py").write_text(USER_MODULE)
    r = cli("table", "--import", "my_cli_schedules", "cli_stairs", "--steps-at", "5", "--levels", "1,0.5",
            "--scale-by", "2", "--at", "0,4,5,6", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert [float(line.split("\t")[1]) for line in r.stdout.strip().splitlines()[1:]] == [2.0, 2.0, 1.0, 1.0]
    r = cli("plot", "--import", "my_cli_schedules", "--help", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "  cli_stairs(steps_at, levels, scale_by=1.0)  [--steps-at: a list" in r.stdout.replace("--steps_at", "--steps-at")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"name": "cli_stairs", "params": {"steps_at": [5], "levels": [1.0, 0.5]}}))
    r = cli("table", "--import", "my_cli_schedules", "--spec", spec, "--at", "4,5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["step", "value", "4", "1.0", "5", "0.5"]
    # Without it, the name is unknown, and the message says how to add it.
    r = cli("table", "cli_stairs", "--steps-at", "5", "--levels", "1,0.5", "--at", "0", cwd=tmp_path)
    assert r.returncode == 2 and "Unknown schedule name 'cli_stairs'" in r.stderr and "--import" in r.stderr
    r = cli("table", "--import", "no_such_module_here", "constant", "--value", "1", "--at", "0", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "argument --import: cannot import 'no_such_module_here'" in r.stderr


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


@pytest.fixture(scope="module")
def plot_help():
    r = cli("plot", "--help")
    assert r.returncode == 0
    assert "--boundaries" not in r.stderr
    return r.stdout


def test_plot_help_explains_the_spec_limits(plot_help):
    assert "16 MiB" in plot_help and "--at 5 --at 6,7" in plot_help


@pytest.mark.parametrize("name", lrcore.SCHEDULES)
def test_plot_help_lists_the_schedule(plot_help, name):
    assert f"  {name}(" in plot_help
    # the schedule-valued parameters, from the registration, say they take JSON
    from lrcore.schedule import REGISTRY

    lines = {line.split("(")[0].strip(): line for line in plot_help.splitlines() if line.startswith("  ") and "(" in line}
    definition = REGISTRY[name]
    for key, kind in definition.children.items():
        assert f"--{key}: a JSON {'list' if kind == 'many' else 'object'}" in lines[name], lines[name]
    if not definition.children:
        assert "JSON" not in lines[name]


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
        (["plot", "constant", "--value", "1", "--steps", "\u0661\u0660\u0660"], "--steps"),  # Arabic-Indic 100, as --at
        (["table", "constant", "--value", "1", "--at", "\u0661"], "--at"),
        (["plot", "constant", "--value", "1", "--title", "a\udcffb", "-o", "t.png"], "--title"),  # Latin-1 bytes
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


# -- version and help ---------------------------------------------------------------------------
def test_version():
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"lrcore {lrcore.__version__}"


def test_help_describes_every_subcommand():
    r = cli("--help")
    assert r.returncode == 0, r.stderr
    for command in ("plot", "table", "demo"):
        assert any(line.split()[:1] == [command] and len(line.split()) > 3 for line in r.stdout.splitlines()), command
    assert "--version" in r.stdout and "examples/schedules.json" in r.stdout
    for command in ("plot", "table", "demo"):
        sub = cli(command, "--help")
        assert sub.returncode == 0 and sub.stdout.startswith(f"usage: lrcore {command}"), sub.stderr
    assert "--frameworks" in cli("demo", "--help").stdout


# -- every error path: one line, exit 2, no traceback, nothing written -----------------------------
def _deep_spec(levels):
    """``scale(scale(... constant(0.1)))`` nested ``levels`` deep, as JSON text (built as text: the
    json module itself cannot encode a dict this deep)."""
    head = '{"name": "scale", "params": {"factor": 1.0, "schedule": '
    return head * levels + '{"name": "constant", "params": {"value": 0.1}}' + "}}" * levels


SPEC_FILES = {
    "bad.json": "{not json",
    "empty.json": "",
    "latin1.json": b"\xff\xfe{}",
    "deep_brackets.json": "[" * 100_000 + "]" * 100_000,
    "deep_schedule.json": _deep_spec(150),
    "very_deep_schedule.json": _deep_spec(5000),
    "unknown_name.json": json.dumps({"name": "cosine_decai", "params": {}}),
    "unknown_param.json": json.dumps({"name": "constant", "params": {"value": 1.0, "bogus": 2}}),
    "bad_value.json": json.dumps({"name": "constant", "params": {"value": "x"}}),
    "number.json": "3",
    "list_of_numbers.json": "[1, 2]",
    "schedules_not_list.json": json.dumps({"name": "join", "params": {"schedules": "ab", "boundaries": []}}),
    "plateau.json": json.dumps({"name": "plateau", "params": {"factor": 0.5}}),
}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["table", "constant", "--value", "1", "--at", str(2**63)], "64-bit"),
        (["table", "constant", "--value", "1", "--at", f"0,{-(2**63) - 1}"], "64-bit"),
        (["table", "constant", "--value", "1", "--at", "1" * 5000], "64-bit"),
        (["table", "constant", "--value", "1"], "--at"),
        (["table", "constant", "--value", "1", "--at", ""], "--at"),
        (["plot", "constant", "--value", "1", "-o", "missing/dir/x.png"], "does not exist"),
        (["plot", "constant", "--value", "1", "-o", "outdir/"], "is a directory"),
        (["plot", "constant", "--value", "1", "-o", "existing"], "is a directory"),
        (["plot", "constant", "--value", "1", "-o", "noext"], "no file extension"),
        (["plot", "constant", "--value", "1", "-o", ".png"], "no file extension"),
        (["plot", "constant", "--value", "1", "-o", "x.nope"], "unknown image format"),
        (["plot", "constant", "--value", "1", "--steps", "0"], "--steps"),
        (["plot", "constant", "--value", "1", "--steps", str(2**63)], "--steps"),
        (["plot", "constant", "--value", "0", "--log"], "--log"),
        (["plot", "--spec", "bad.json"], "not valid JSON"),
        (["plot", "--spec", "empty.json"], "not valid JSON"),
        (["plot", "--spec", "latin1.json"], "latin1.json"),
        (["plot", "--spec", "deep_brackets.json"], "nested too deeply"),
        (["plot", "--spec", "deep_schedule.json"], "MAX_DEPTH"),
        (["plot", "--spec", "very_deep_schedule.json"], "very_deep_schedule.json"),
        (["plot", "--spec", "unknown_name.json"], "Unknown schedule name 'cosine_decai'"),
        (["plot", "--spec", "unknown_param.json"], "bogus"),
        (["plot", "--spec", "bad_value.json"], "`value` must be a real number"),
        (["plot", "--spec", "number.json"], "must hold a schedule dict"),
        (["plot", "--spec", "list_of_numbers.json"], "must be a JSON object"),
        (["plot", "--spec", "schedules_not_list.json"], "`schedules`"),
        (["table", "--spec", "bad.json", "--at", "1"], "not valid JSON"),
        (["plot", "warmup", "--schedule", _deep_spec(150), "--warmup-steps", "3"], "MAX_DEPTH"),
        (["plot", "warmup", "--schedule", "{bad", "--warmup-steps", "3"], "JSON object"),
        (["plot", "warmup", "--schedule", "[]", "--warmup-steps", "3"], "--schedule"),
        (["plot", "warmup", "--schedule", "1", "--warmup-steps", "3"], "--schedule"),
        (["plot", "warmup", "--schedule", "[" * 100_000, "--warmup-steps", "3"], "--schedule"),
        (["table", "multiply", "--schedules", '{"name": "constant", "params": {"value": 1}}', "--at", "1"], "--schedules"),
        (["table", "multiply", "--schedules", "[1, 2]", "--at", "1"], "--schedules"),
        (["table", "multiply", "--schedules", '[{"name": "constant"', "--at", "1"], "--schedules"),
        (["table", "join", "--schedules", "1,2", "--boundaries", "[1]", "--at", "1"], "--schedules"),
        (["plot"], "give a schedule NAME"),
        (["plot", "--value", "1"], "no schedule NAME"),
        (["plot", "constant", "--value"], "--value"),
        (["plot", "constant", "--value", "1", "--value", "2"], "given twice"),
        (["plot", "constant", "--value", str(10**400)], "`value`"),
        (["plot", "constant", "--value", "1", "extra"], "unrecognized"),
        (["table", "join", "--schedules", "[]", "--boundaries", "[]", "--at", "1"], "`schedules`"),
        (["demo", "--bogus"], "unrecognized arguments: --bogus"),
        (["demo", "--epochs", "0", "--frameworks", "jax"], "`epochs`"),
        (["demo", "--epochs", "x"], "--epochs"),
        (["demo", "-o", "missing/demo.png"], "does not exist"),
        (["demo", "--frameworks", "jax,jax"], "`frameworks`"),
        (["--bogus"], "unknown command"),
        # A reduce-on-plateau rule's dict is not a schedule of the step (lrcore.from_dict refuses it).
        (["table", "plateau", "--factor", "0.5", "--at", "1"], "'plateau' is not a schedule"),
        (["plot", "plateau"], "'plateau' is not a schedule"),
        (["table", "--spec", "plateau.json", "--at", "1"], "plateau.json': 'plateau' is not a schedule"),
    ],
)
def test_every_error_path_is_one_line_and_exit_2(args, message, tmp_path):
    for name, text in SPEC_FILES.items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    (tmp_path / "existing").mkdir()
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("lrcore: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in r.stderr and len(lines[0]) < 1000
    assert not [p for p in tmp_path.rglob("*") if p.suffix in (".png", ".svg", ".pdf") or p.name.startswith(".")]


def test_output_with_a_directory_and_other_formats(tmp_path):
    (tmp_path / "d").mkdir()
    r = cli("plot", "constant", "--value", "1", "-o", "d/curve.svg", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote d/curve.svg" in r.stdout and (tmp_path / "d" / "curve.svg").read_text().lstrip().startswith("<?xml")
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["curve.svg"]


# -- the picture --------------------------------------------------------------------------------
def _captured_figure(monkeypatch, tmp_path, *args):
    """Run ``lrcore plot`` in-process and return the matplotlib figure it saved."""
    import lrcore.plot
    from lrcore import cli as cli_module

    figures = []
    original = lrcore.plot.schedules_figure

    def capture(*a, **k):
        figures.append(original(*a, **k))
        return figures[-1]

    monkeypatch.setattr(lrcore.plot, "schedules_figure", capture)
    assert cli_module.main(["plot", *map(str, args), "-o", str(tmp_path / "x.png")]) == 0
    return figures[0]


def test_single_plot_has_a_title_with_the_parameters(monkeypatch, tmp_path, capsys):
    fig = _captured_figure(monkeypatch, tmp_path, "warmup_cosine_decay", "--init-value", "0", "--peak-value", "1e-3",
                           "--warmup-steps", "100", "--decay-steps", "1000")
    ax = fig.axes[0]
    title = ax.get_title().replace("\n", " ")
    for text in ("warmup_cosine_decay(", "peak_value=0.001", "warmup_steps=100", "decay_steps=1000"):
        assert text in title
    assert ax.get_ylabel() == "learning rate" and ax.get_legend() is None and len(ax.get_lines()) == 1
    assert ax.get_lines()[0].get_drawstyle() == "default"  # a line, not a staircase
    # an explicit title wins
    fig = _captured_figure(monkeypatch, tmp_path, "constant", "--value", "1", "--title", "mine")
    assert fig.axes[0].get_title() == "mine"


def test_overlay_has_a_legend_and_no_default_title(monkeypatch, tmp_path, capsys):
    fig = _captured_figure(monkeypatch, tmp_path, "--spec", ROOT / "examples" / "schedules.json", "--log")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [d["label"] for d in json.loads((ROOT / "examples" / "schedules.json").read_text())]
    assert ax.get_title() == "" and ax.get_yscale() == "log"


def test_readme_spec_example_runs(tmp_path):
    """The shipped example spec file, as the README and docs/cli.md run it."""
    r = cli("plot", "--spec", ROOT / "examples" / "schedules.json", "--log", "-o", tmp_path / "compare.png")
    assert r.returncode == 0, r.stderr
    assert "5 schedules" in r.stdout and (tmp_path / "compare.png").stat().st_size > 10_000
    r = cli("table", "--spec", ROOT / "examples" / "schedules.json", "--at", "0,100,999")
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 4


SAMPLED = [
    lrcore.cosine_restart(1.0, first_period=300, period_mul=1.25, warmup_steps=75, end_value=1e-3),
    lrcore.piecewise_constant([10, 5000, 5001, 77777], [1.0, 0.5, 0.7, 0.2, 0.1]),
    lrcore.exponential_decay(1.0, 1000, 0.9, staircase=True),
    lrcore.join([lrcore.warmup(lrcore.constant(1.0), 123), lrcore.cosine_decay(2.0, 3333)], [4567]),
    lrcore.onecycle(1.0, total_steps=54321),
    lrcore.cyclic(0.1, 1.0, step_size_up=777, step_size_down=1500, mode="triangular2"),
    lrcore.warmup_stable_decay(1.0, warmup_steps=999, stable_steps=30000, decay_steps=7000, decay_shape="cosine"),
    lrcore.inverse_sqrt(1.0, warmup_steps=4000),
]


@pytest.mark.parametrize("schedule", SAMPLED, ids=[s.name for s in SAMPLED])
def test_plot_samples_keep_extremes_and_jumps(schedule):
    """Against every step evaluated: the sampled curve has the same largest and smallest value and
    both sides of every jump, at the exact step."""
    from lrcore.plot import sample_steps

    n = 100_000
    everything = np.asarray(schedule(np.arange(n)))
    steps, values = sample_steps(schedule, n)
    assert len(steps) < 20_000 and steps[0] == 0 and steps[-1] == n - 1
    assert np.all(np.diff(steps) > 0)
    np.testing.assert_array_equal(values, everything[steps])
    assert values.max() == everything.max() and values.min() == everything.min()
    span = everything.max() - everything.min()
    jumps = np.flatnonzero(np.abs(np.diff(everything)) > 0.05 * span)
    missing = sorted(set(jumps) - set(steps) | set(jumps + 1) - set(steps))
    assert not missing, missing[:10]


def test_plot_of_a_billion_steps_is_bounded_in_time_and_memory(tmp_path):
    """The picture needs a few thousand points: 10**9 (and 2**63 - 1) steps cost what 10**4 do."""
    import time
    import tracemalloc

    from lrcore import cli as cli_module

    import matplotlib.figure  # noqa: F401 - imported before measuring

    args = ["cosine_restart", "--peak-value", "1e-3", "--first-period", "300", "--period-mul", "1.25",
            "--warmup-steps", "75", "--end-value", "1e-7"]
    for steps in (10**4, 10**9, 2**63 - 1):
        tracemalloc.start()
        t0 = time.perf_counter()
        assert cli_module.main(["plot", *args, "--steps", str(steps), "-o", str(tmp_path / f"{steps}.png")]) == 0
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert seconds < 20 and peak < 100e6, (steps, seconds, peak)


def test_missing_matplotlib_is_one_line(monkeypatch, capsys, tmp_path):
    """Without the `cli` extra, plot says what to install (one line, exit 2), no traceback."""
    from lrcore import cli as cli_module

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes `import matplotlib.figure` fail
    assert cli_module.main(["plot", "constant", "--value", "1", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lrcore: error: ") and "lrcore[cli]" in err[0]
    assert not list(tmp_path.iterdir())


# -- the help text does not depend on how the module docstring is laid out ----------------------
@pytest.mark.parametrize("command", ["plot", "table"])
def test_command_help_is_its_own_text_not_a_slice_of_the_docstring(command, monkeypatch, capsys):
    """Rewording the module docstring (which the API reference renders) leaves ``--help`` whole."""
    from lrcore import cli as cli_module

    expected = cli(command, "--help").stdout
    monkeypatch.setattr(cli_module, "__doc__", "The lrcore command line.")
    assert cli_module.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out == expected
    for text in ("Values are read as follows", "A spec file (--spec FILE)", "schedules and their parameters"):
        assert text in out
    assert "Errors (unknown" not in out and "``" not in out


# -- schedule-valued parameters are JSON, whole (never split on commas) ------------------------
def _flag_value(kind, value):
    """A parameter value as a user types it: JSON for a child ("one"/"many"), else CLI syntax."""
    if kind is not None:
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ",".join(map(repr, value)) + "]"
    if isinstance(value, str):
        return value  # a word is typed as it is
    return "none" if value is None else repr(value)


#: One example per combinator, with its values at steps 0, 5, 10 computed by hand.
COMBINATOR_EXAMPLES = {
    "join": (lrcore.join([lrcore.constant(1.0), lrcore.linear(0.0, 1.0, 10)], [5]), [1.0, 0.0, 0.5]),
    "multiply": (lrcore.multiply([lrcore.constant(0.5), lrcore.linear(0.0, 1.0, 10)]), [0.0, 0.25, 0.5]),
    "warmup": (lrcore.warmup(lrcore.constant(0.1), warmup_steps=10), [0.0, 0.05, 0.1]),
    "scale": (lrcore.scale(lrcore.linear(0.0, 1.0, 10), 3.0), [0.0, 1.5, 3.0]),
    "clip": (lrcore.clip(lrcore.linear(0.0, 1.0, 10), min_value=0.25, max_value=0.75), [0.25, 0.5, 0.75]),
    "shift": (lrcore.shift(lrcore.linear(0.0, 1.0, 10), -5), [0.0, 0.0, 0.5]),
    "per_epoch": (lrcore.per_epoch(lrcore.linear(0.0, 1.0, 10), 4), [0.0, 0.1, 0.2]),
    "stride": (lrcore.stride(lrcore.linear(0.0, 1.0, 40), 2), [0.0, 0.25, 0.5]),
    "add": (lrcore.add([lrcore.constant(0.5), lrcore.linear(0.0, 1.0, 10)]), [0.5, 1.0, 1.5]),
    # Noise from step 11 on: the steps read here are the schedule's own values.
    "noise": (lrcore.noise(lrcore.linear(0.0, 1.0, 10), pct=0.5, seed=7, begin=11, end=20), [0.0, 0.5, 1.0]),
}


def test_every_combinator_has_an_example():
    from lrcore.schedule import REGISTRY

    assert set(COMBINATOR_EXAMPLES) == {name for name, d in REGISTRY.items() if d.children}


@pytest.mark.parametrize("name", sorted(COMBINATOR_EXAMPLES))
@pytest.mark.parametrize("form", ["space", "equals"])
def test_every_combinator_builds_from_flags(name, form):
    """A child parameter takes ``Schedule.to_dict()`` JSON (a list of them for "many"), commas and all."""
    from lrcore.schedule import REGISTRY

    schedule, expected = COMBINATOR_EXAMPLES[name]
    children = REGISTRY[name].children
    args = []
    for key, value in schedule.to_dict()["params"].items():
        text = _flag_value(children.get(key), value)
        args += [f"--{key}={text}"] if form == "equals" else [f"--{key.replace('_', '-')}", text]
    assert any("," in a for a in args)  # JSON with commas: one argument all the same
    r = cli("table", name, *args, "--at", "0,5,10")
    assert r.returncode == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.strip().splitlines()[1:]]
    assert [int(s) for s, _ in rows] == [0, 5, 10]
    assert [float(v) for _, v in rows] == expected


def test_join_from_flags_as_users_write_it():
    r = cli("table", "join",
            '--schedules=[{"name":"constant","params":{"value":1.0}},{"name":"constant","params":{"value":0.5}}]',
            "--boundaries", "[10]", "--at", "0,9,10,11")
    assert r.returncode == 0, r.stderr
    assert [float(line.split("\t")[1]) for line in r.stdout.strip().splitlines()[1:]] == [1.0, 1.0, 0.5, 0.5]


# -- negative numbers are values, not options ----------------------------------------------------
def test_negative_steps_evaluate_as_step_zero():
    """docs/step.md: a step below 0 evaluates as step 0; the table shows the step asked for."""
    for at in (["--at", "-3,0,5"], ["--at=-3,0,5"], ["--at", "-3", "--at", "0,5"]):
        r = cli("table", "linear", "--init-value", "0.25", "--end-value", "1", "--transition-steps", "10", *at)
        assert r.returncode == 0, (at, r.stderr)
        rows = [line.split("\t") for line in r.stdout.strip().splitlines()]
        assert rows == [["step", "value"], ["-3", "0.25"], ["0", "0.25"], ["5", "0.625"]], at
        note = r.stderr.strip().splitlines()
        assert len(note) == 1 and "-3" in note[0] and "step 0" in note[0], r.stderr
    r = cli("table", "constant", "--value", "1", "--at", "0,1")
    assert r.returncode == 0 and r.stderr == ""


def test_negative_values_reach_the_schedule():
    # a negative level is a valid value: linear from 1 to -1 over 10 steps is 0.8 at step 1
    r = cli("table", "linear", "--init-value", "1", "--end_value", "-1", "--transition-steps", "10", "--at", "1")
    assert r.returncode == 0, r.stderr
    assert float(r.stdout.split()[-1]) == 0.8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["table", "cosine_restart", "--peak-value", "1", "--first-period", "-300", "--at", "-1,0"], "`first_period` must be >= 1"),
        (["table", "cosine_restart", "--peak-value", "1", "--first-period", "3", "--period-mul", "-1.25", "--at", "0"], "`period_mul` must be >= 1"),
        (["table", "exponential_decay", "--init-value", "1", "--decay-steps", "10", "--decay-rate", "-1e-3", "--at", "0"], "`decay_rate` must be > 0"),
        (["plot", "constant", "--value", "1", "--steps", "-5"], "--steps"),
        (["plot", "constant", "--value", "1", "--steps", "-1e3"], "--steps"),
        (["demo", "--epochs", "-1e3"], "--epochs"),
        (["table", "constant", "--value", "1", "--at", "-3,x"], "--at"),
        (["table", "constant", "--value", "1", "--at", f"-{2**63 + 1},0"], "64-bit"),
    ],
)
def test_negative_values_give_the_validation_message(args, message, tmp_path):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrcore: error: ") and message in lines[0], r.stderr
    assert "expected one argument" not in lines[0]


def test_option_values_may_start_with_a_dash(tmp_path, monkeypatch):
    fig = _captured_figure(monkeypatch, tmp_path, "constant", "--value", "1", "--title", "-flat-")
    assert fig.axes[0].get_title() == "-flat-"
    r = cli("plot", "constant", "--value", "1", "-o", "-dash.png", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "-dash.png").stat().st_size > 1000


# -- repeated flags: --at accumulates, anything else given twice is refused ------------------------
def test_repeated_at_accumulates():
    # Eighths: every value is a float, whichever exact formula evaluates it.
    r = cli("table", "linear", "--init-value", "0", "--end-value", "1", "--transition-steps", "8",
            "--at", "5", "--at", "6", "--at=7,2")
    assert r.returncode == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.strip().splitlines()[1:]]
    assert rows == [["5", "0.625"], ["6", "0.75"], ["7", "0.875"], ["2", "0.25"]]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["table", "cosine_decay", "--peak_value", "1", "--peak_value", "2", "--at", "1"], "--peak_value"),
        (["table", "cosine_decay", "--init-value", "1", "--init_value", "2", "--decay-steps", "3", "--at", "1"], "--init_value"),
        (["plot", "constant", "--value", "1", "--steps", "5", "--steps", "6"], "--steps"),
        (["plot", "constant", "--value", "1", "--steps=5", "--steps", "6"], "--steps"),
        (["plot", "constant", "--value", "1", "--title", "a", "--title", "b"], "--title"),
        (["plot", "constant", "--value", "1", "-o", "a.png", "--output", "b.png"], "-o/--output"),
        (["demo", "--seed", "1", "--seed", "2"], "--seed"),
        (["demo", "--epochs", "1", "--epochs", "2"], "--epochs"),
    ],
)
def test_repeated_flags_are_refused_naming_the_flag(args, flag, tmp_path):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrcore: error: "), r.stderr
    assert flag in lines[0] and "given twice" in lines[0], lines[0]
    assert not list(tmp_path.iterdir())


# -- what is read from a spec file is bounded ---------------------------------------------------
def _one_line_error(r):
    assert r.returncode == 2, (r.stdout, r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrcore: error: ") and "Traceback" not in r.stderr, r.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize("command", [["table", "--at", "0"], ["plot"]])
def test_spec_from_an_endless_device_is_refused_at_the_limit(command, tmp_path):
    r = cli(*command, "--spec", "/dev/zero", cwd=tmp_path)
    line = _one_line_error(r)
    assert "--spec" in line and "/dev/zero" in line and "16 MiB" in line
    assert not list(tmp_path.iterdir())


def test_spec_size_limit_is_exact(tmp_path):
    from lrcore.cli import _SPEC_MAX_BYTES

    assert _SPEC_MAX_BYTES == 16 * 2**20
    text = json.dumps({"name": "constant", "params": {"value": 0.5}}).encode()
    (tmp_path / "at_limit.json").write_bytes(text + b" " * (_SPEC_MAX_BYTES - len(text)))
    r = cli("table", "--spec", tmp_path / "at_limit.json", "--at", "0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[1:] == ["0\t0.5"]
    (tmp_path / "over.json").write_bytes(text + b" " * (_SPEC_MAX_BYTES + 1 - len(text)))
    with open(tmp_path / "sparse.json", "wb") as f:  # a huge file: refused by its size, unread
        f.truncate(2**40)
    for name in ("over.json", "sparse.json"):
        line = _one_line_error(cli("table", "--spec", tmp_path / name, "--at", "0"))
        assert "--spec" in line and name in line and "16 MiB" in line
    line = _one_line_error(cli("plot", "--spec", tmp_path, "-o", tmp_path / "x.png"))
    assert "cannot read spec file" in line and "directory" in line.lower()


def _fifo_with_writer(tmp_path, writer):
    import threading

    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)
    errors = []

    def write():
        try:
            with open(fifo, "wb") as f:
                writer(f)
        except BrokenPipeError:
            pass
        except OSError as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return fifo, thread, errors


def test_spec_from_a_pipe_is_read(tmp_path):
    """A named pipe (or ``--spec <(...)`` in a shell) holding a spec is read like a file."""
    spec = json.dumps([{"label": "half", **lrcore.constant(0.5).to_dict()}]).encode()
    fifo, thread, errors = _fifo_with_writer(tmp_path, lambda f: f.write(spec))
    r = cli("table", "--spec", fifo, "--at", "0,3")
    thread.join(30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines() == ["step\tvalue", "0\t0.5", "3\t0.5"] and not errors


def test_spec_from_an_endless_pipe_is_refused_at_the_limit(tmp_path):
    def endless(f):
        chunk = b" " * 2**20
        while True:
            f.write(chunk)

    fifo, thread, errors = _fifo_with_writer(tmp_path, endless)
    r = cli("table", "--spec", fifo, "--at", "0")
    thread.join(30)
    line = _one_line_error(r)
    assert "--spec" in line and "16 MiB" in line and not errors and not thread.is_alive()


# -- a spec's label, and numbers below the float64 range -------------------------------------------
@pytest.mark.parametrize("label", [5, 1.5, True, ["a"], {"a": 1}], ids=repr)
def test_a_spec_label_that_is_not_a_string_is_refused_naming_label(label, tmp_path):
    """A label 5 was shown as "5" and a list as its repr: refused, naming the "label" key and the value."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps([{"label": label, **lrcore.constant(0.5).to_dict()}]))
    line = _one_line_error(cli("table", "--spec", spec, "--at", "0"))
    assert '"label" must be a string' in line and f"label={label!r}" in line


@pytest.mark.parametrize("typed", ["1e-400", "-1e-400", "2.5e-330", "0.00001e-320"])
def test_a_nonzero_number_below_float64_is_refused_as_typed(typed, tmp_path):
    """``--value 1e-400`` was read as 0.0 (a schedule of zeros) while ``1e400`` was refused: a
    nonzero number that float64 rounds to 0 is refused too, on the command line and in a spec."""
    assert float(typed) == 0.0  # what it was read as
    line = _one_line_error(cli("table", "constant", "--value", typed, "--at", "0"))
    assert "--value" in line and f"the number {typed} is nonzero but below the float64 range" in line
    spec = tmp_path / "spec.json"
    spec.write_text('{"name": "constant", "params": {"value": %s}}' % typed)
    line = _one_line_error(cli("table", "--spec", spec, "--at", "0"))
    assert f"the number {typed} is nonzero but below the float64 range" in line
    # Zero written as zero, and the smallest subnormals, are numbers float64 holds.
    for fine, shown in (("0e-400", "0.0"), ("0.000e5", "0.0"), ("5e-324", "5e-324")):
        r = cli("table", "constant", "--value", fine, "--at", "0")
        assert r.returncode == 0 and r.stdout.split() == ["step", "value", "0", shown], (fine, r.stderr)


@pytest.mark.parametrize("typed", ["\uff11e-400", "0.\u0663e-400", "[0.5,\uff11e-400]"])
def test_a_number_in_other_digits_is_not_read_as_a_number(typed):
    """float() reads any Unicode decimal digit ("１e-400", fullwidth): such a number rounding to 0
    was shown as 0.0 in a table, as "1e-400" was. Numbers are ASCII digits (docs/cli.md): the entry
    is refused, naming the parameter."""
    line = _one_line_error(cli("table", "piecewise_constant", "--boundaries", "[5]", "--values",
                               typed if typed.startswith("[") else f"[0.5,{typed}]", "--at", "0,6"))
    assert "values" in line and "must be a real number" in line, line


@pytest.mark.parametrize("at", ["0,,1", "5,", ",5", "0, ,1"])
def test_an_empty_entry_in_at_is_an_error_naming_at(at):
    """``--at 0,,1`` dropped the empty entry and printed steps 0 and 1."""
    r = cli("table", "constant", "--value", "0.1", "--at", at)
    assert r.returncode != 0 and "--at" in r.stderr and "empty" in r.stderr, r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("number", ["٣", "３", "१.५"])
def test_numbers_are_ascii_digits(number):
    """Python's int() and float() read other scripts' digits: ``--value ٣`` gave 3.0, ``--at ٣`` step 3."""
    assert parse_value(number) == number  # not a number: left as text, refused by the parameter
    r = cli("table", "constant", "--value", number, "--at", "1")
    assert r.returncode != 0 and "`value`" in r.stderr, r.stderr
    r = cli("table", "constant", "--value", "1", "--at", number)
    assert r.returncode != 0 and "--at" in r.stderr, r.stderr


# -- keys given twice, integers past what Python converts -------------------------------------------
@pytest.mark.parametrize(
    "text, key",
    [
        ('{"name": "constant", "params": {"value": 0.1, "value": 0.2}}', "value"),
        ('{"a": {"name": "constant", "params": {"value": 0.1}}, "a": {"name": "constant", "params": {"value": 0.2}}}', "a"),
    ],
)
def test_a_key_given_twice_in_a_spec_is_refused(text, key, tmp_path):
    """JSON reads the last of two equal keys: a parameter silently took the second value, and a
    label given twice dropped a schedule from the table. Refused, naming the key, as a parameter
    given twice on the command line is."""
    spec = tmp_path / "spec.json"
    spec.write_text(text)
    line = _one_line_error(cli("table", "--spec", spec, "--at", "0"))
    assert f"the key {key!r} is given twice" in line
    inner = '{"name": "constant", "params": {"value": 0.1, "value": 0.2}}'
    line = _one_line_error(cli("table", "scale", "--schedule", inner, "--factor", "2", "--at", "0"))
    assert "the key 'value' is given twice" in line


def test_an_integer_past_what_python_converts_is_refused_in_lrcores_words(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text('{"name": "cosine_decay", "params": {"init_value": 1.0, "decay_steps": %s}}' % ("9" * 5000))
    line = _one_line_error(cli("table", "--spec", spec, "--at", "0"))
    assert "is too large" in line and "4300" not in line and "sys.set_int_max_str_digits" not in line


def test_plot_of_values_near_float64s_largest_draws_them_scaled(tmp_path):
    """matplotlib's ticks overflowed ("arange: cannot compute length") on a linear axis up to 1e308:
    the values are drawn divided by a power of ten, which the axis label gives."""
    out = tmp_path / "big.png"
    r = cli("plot", "linear", "--init-value", "1.7e308", "--end-value", "0", "--transition-steps", "10", "-o", out)
    assert r.returncode == 0, r.stderr
    assert png_lines(out)[0] > 100
    from lrcore.plot import schedules_figure

    fig = schedules_figure([("a", [0, 1], [1.7e308, 0.0])])
    assert fig.axes[0].get_ylabel() == "learning rate (×1e308)"
    assert max(fig.axes[0].lines[0].get_ydata()) == 1.7e308 / 1e308


@pytest.mark.parametrize("value", ["5e307", "1.7e308"])
def test_plot_on_a_log_axis_near_float64s_largest_draws_them_scaled(value):
    """On a log axis matplotlib raised (5e307: 'cannot convert float infinity to integer') or drew
    an empty 1-10 axis (1.7e308): the values are drawn scaled there too."""
    from lrcore.plot import schedules_figure

    fig = schedules_figure([("a", [0, 1, 2], [float(value)] * 3)], log=True)
    ax = fig.axes[0]
    exponent = 157 if value == "5e307" else 158  # on a log axis, only as far as 1e150
    assert ax.get_ylabel() == f"learning rate (×1e{exponent})"
    low, high = ax.get_ylim()
    assert low <= float(value) / 10.0**exponent <= high


def test_log_plots_of_levels_a_unit_apart_or_hundreds_of_decades_apart():
    """Two levels within a unit of each other gave matplotlib's log locator nothing to tick (an
    empty axis, or a line off it): the limits come from the values. Levels 608 decades apart made
    its ticks pass float64, and the small level was dropped (drawn scaled to 0): refused, saying so."""
    from lrcore.plot import schedules_figure

    for levels in ([1.0, 1.0000000000000002], [1.7976931348623157e308, 1.7976931348623155e308]):
        fig = schedules_figure([("a", [0, 1], levels)], log=True)
        fig.savefig(io.BytesIO())  # drawn: ticks and layout computed
        ax = fig.axes[0]
        low, high = ax.get_ylim()
        drawn = ax.lines[0].get_ydata()
        assert 0 < low < min(drawn) and max(drawn) < high < 4 * max(drawn)
    with pytest.raises(ValueError, match="span 608 decades.*linear axis"):
        schedules_figure([("a", [0, 1], [1.7976931348623157e308, 1e-300])], log=True)
    # Scaled only as far as needed on a log axis: 1e100 keeps its place beside 1.7e308.
    fig = schedules_figure([("a", [0, 1], [1.7e308, 1e100])], log=True, path=None)
    fig.savefig(io.BytesIO())
    assert fig.axes[0].get_ylabel() == "learning rate (×1e158)" and min(fig.axes[0].lines[0].get_ydata()) == 1e100 / 1e158


@pytest.mark.parametrize("top", [1e-288, 1e-300, 1e-310, 5e-324])
def test_plot_of_values_near_float64s_smallest_draws_them_scaled(top):
    """Below about 1e-285 matplotlib's linear axis became [-0.055, 0.055] and the curve a flat line
    at 0, its label unscaled: the values are drawn multiplied by a power of ten, which the label gives."""
    from lrcore.plot import schedules_figure

    values = [top, top / 2 if top > 1e-320 else top, 0.0]
    fig = schedules_figure([("a", [0, 1, 2], values)])
    fig.savefig(io.BytesIO())
    ax = fig.axes[0]
    exponent = math.floor(math.log10(top))
    assert ax.get_ylabel() == f"learning rate (×1e{exponent})"
    drawn = ax.lines[0].get_ydata()
    for got, want in zip(drawn, values):  # want / 10**exponent, exactly (mpmath), then compared
        assert math.isclose(float(got), float(mpmath.mpf(want) / mpmath.mpf(10) ** exponent), rel_tol=1e-12)
    low, high = ax.get_ylim()
    assert low <= min(drawn) < max(drawn) <= high and (high - low) < 4 * max(drawn)


@pytest.mark.parametrize("base", [0.3, 3e-290, 3e-300, 2.5e-308, 5e-320, 5e-324])
def test_log_plot_of_levels_a_millionth_apart_has_readable_ticks(base):
    """Levels 1e-8 to 1e-5 apart (relative) got seven tick labels all reading 3×10⁻¹ (below about
    1e-287: no label at all, or equal levels limits of [-0.05, 0.05], which matplotlib takes such
    small limits for): the axis is a factor of 2 around them, the values scaled where tiny."""
    from lrcore.plot import schedules_figure

    for rel in (0.0, 1e-8, 1e-6, 1e-5):
        levels = [base, base * (1 + rel)]
        fig = schedules_figure([("a", [0, 1], levels)], log=True)
        fig.savefig(io.BytesIO())
        ax = fig.axes[0]
        low, high = ax.get_ylim()
        texts = [t.get_text() for t in [*ax.get_yticklabels(), *ax.get_yticklabels(minor=True)]
                 if t.get_text() and low <= t.get_position()[1] <= high]
        assert len(texts) >= 2 and len(set(texts)) == len(texts), (rel, texts)
        drawn = ax.lines[0].get_ydata()
        assert 0 < low < min(drawn) <= max(drawn) < high, (base, rel, low, high, drawn)
    # Levels a ten-thousandth apart keep matplotlib's own zoom, whose labels differ.
    fig = schedules_figure([("a", [0, 1], [0.3, 0.30003])], log=True)
    assert fig.axes[0].get_ylim()[1] < 0.31


@pytest.mark.parametrize("values", [[-1.0, 1.0], [1.0, 0.0], [-1e308, -1e308]])
def test_a_log_plot_of_values_at_or_below_zero_is_refused(values):
    """The Python function drew nothing (or half the curve) where the CLI refuses."""
    from lrcore.plot import schedules_figure

    with pytest.raises(ValueError, match="A log axis needs positive learning rates"):
        schedules_figure([("a", [0, 1], values)], log=True)


@pytest.mark.parametrize("content", ["[]", "{}"])
def test_a_spec_file_without_schedules_says_so(content, tmp_path):
    """An empty list or object was answered "give a schedule NAME or --spec FILE", which was given."""
    spec = tmp_path / "spec.json"
    spec.write_text(content)
    line = _one_line_error(cli("table", "--spec", spec, "--at", "0"))
    assert "holds no schedule" in line and str(spec) in line


def test_a_log_plot_of_equal_levels_draws_without_warnings():
    """matplotlib warned "Attempting to set identical low and high ylims" on stderr (the CLI's too)
    for levels a unit apart near float64's largest: the limits are set before the log scale."""
    import warnings

    from lrcore.plot import schedules_figure

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for levels in ([1e308, 1.0000000000000012e308], [1.0, 1.0], [0.3, 0.3]):
            schedules_figure([("a", [0, 1], levels)], log=True).savefig(io.BytesIO())


@pytest.mark.parametrize("values", [(5e-324, 1e-74), (1e-300, 1e-60), (1e-250, 1e-1)])
def test_a_log_plot_of_tiny_values_spanning_240_decades_draws_under_a_long_title(values):
    """Scaled with the smallest at 1, a span of 240 decades reached 1e240, and on an axis shortened
    by a long title (a schedule's many parameters) matplotlib's decade stride put a tick past float64:
    'cannot convert float infinity to integer'. The scaled values are centred on 1."""
    from lrcore.plot import schedules_figure

    title = ", ".join(f"p{i}=0.123" for i in range(120))
    fig = schedules_figure([("a", [0, 1], [values[0]] * 2), ("b", [0, 1], [values[1]] * 2)], log=True, title=title)
    fig.savefig(io.BytesIO())
    low, high = fig.axes[0].get_ylim()
    drawn = [float(v) for line in fig.axes[0].lines for v in line.get_ydata()]
    assert 0 < low <= min(drawn) and max(drawn) <= high < 1e200
