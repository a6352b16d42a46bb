"""``lrcore demo`` in its reduced (CI) mode: the training, the verdict, the errors, the quiet output."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

import lrcore
from lrcore import cli, demo
from tests import examples

ROOT = Path(__file__).resolve().parents[1]
BOUND32 = 4 * 2.0**-23 * demo.PEAK  # the promise for float32 results, M = the schedule's peak
PASS_ALL = "verdict: PASS (ran jax, torch, keras; every applied learning rate is within the precision promise)"
NOISE = re.compile(r"^[IWEF]\d{4} |oneDNN|cuda|absl::|^WARNING:|tensorflow/|xla_bridge", re.IGNORECASE | re.MULTILINE)


def reference(spe: int, total: int) -> list:
    """The demo's schedule, exactly, from the tests' own table (independent of lrcore and of the demo)."""
    d = lrcore.cosine_restart(**demo.schedule_params(spe)).to_dict()
    assert d["params"]["peak_value"] == 1e-3 and d["params"]["period_mul"] == 1.25
    assert d["params"]["warmup_steps"] * 4 <= d["params"]["first_period"] == 3 * spe  # the article's
    return [examples.value_of(d, k) for k in range(total)]


def lrcore_demo(*args, cwd, prelude=""):
    """``python -m lrcore demo ARGS`` in a fresh process; ``prelude``: Python run before the CLI."""
    code = f"import sys\n{prelude}\nfrom lrcore.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, "demo", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )


def test_quick_demo_in_process(tmp_path):
    out = io.StringIO()
    png = tmp_path / "demo.png"
    summary = demo.run(quick=True, output=png, out=out)
    text = out.getvalue()
    lines = text.strip().splitlines()
    assert summary["passed"] is True and summary["frameworks"] == demo.FRAMEWORKS == tuple(summary["ran"])
    spe, epochs = summary["steps_per_epoch"], summary["epochs"]
    want = reference(spe, epochs * spe)
    for name, r in summary["ran"].items():
        assert len(r["loss"]) == len(r["accuracy"]) == epochs
        assert all(np.isfinite(r["loss"]))
        assert r["loss"][-1] < r["loss"][0]  # it trains
        for epoch in range(1, epochs + 1):
            assert f"{name:<6} epoch {epoch:>3}/{epochs}" in text
        # Every update's applied learning rate, checked here against the tests' own exact values.
        assert len(r["lr"]) == epochs * spe
        errors = [abs(mpmath.mpf(float(a)) - e) for a, e in zip(r["lr"], want)]
        assert max(errors) <= BOUND32, (name, float(max(errors)))
        assert max(errors) > 0  # float32 values: the check is not vacuous
        v = r["verdict"]
        assert v["passed"] and v["dtype"] == "float32" and v["updates"] == epochs * spe
        assert v["bound"] == BOUND32 and v["max_error"] == pytest.approx(float(max(errors)), rel=1e-12)
        line = f"{name:<6} applied lr: max error {v['max_error']:.1e} <= bound 4.8e-10 (4·2⁻²³·M)  PASS  "
        assert line + f"(float32, {epochs * spe} updates on cpu)" in lines
    # The promise in its exact wording, then one verdict per framework, and the overall verdict last.
    assert f"precision promise: {demo.PROMISE}." in lines
    assert demo.PROMISE == (
        "float32 results are within 4·2⁻²³·M of the exact value (M: the largest value the schedule takes), "
        "float64 results within 4·2⁻⁵²·M"
    )
    assert lines[-1] == PASS_ALL
    assert f"wrote {png}" in lines
    # The figure: the learning-rate curve on top, one loss line per framework that ran below.
    top, bottom = summary["figure"].axes
    assert len(top.get_lines()) == 1 and len(bottom.get_lines()) == len(summary["ran"])
    np.testing.assert_allclose(top.get_lines()[0].get_ydata(), [float(e) for e in want], rtol=1e-15)
    assert png.stat().st_size > 20_000


def test_exact_reference_is_exact():
    """The demo's own exact values (an independent loop in mpmath) match the tests' table to 1e-40,
    over three cycles of the full and the quick sizes."""
    for spe in (10, 45):
        total = 3 * spe + int(np.ceil(3 * spe * 1.25)) + int(np.ceil(3 * spe * 1.25**2)) + 5
        ours, want = demo.exact_lr(spe, total), reference(spe, total)
        assert len(ours) == total
        assert max(abs(a - b) for a, b in zip(ours, want)) < 1e-40


def test_demo_command_is_quiet_and_gives_a_verdict(tmp_path):
    """The default run (all three frameworks) in a fresh process: exit 0, one PASS line per framework,
    the summary last, and none of the frameworks' log lines on stdout or stderr."""
    r = lrcore_demo("--quick", "-o", "d.png", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    for name in demo.FRAMEWORKS:
        verdicts = [line for line in lines if line.startswith(f"{name:<6} applied lr: ")]
        pattern = rf"{name} +applied lr: max error \S+ <= bound 4\.8e-10 \(4·2⁻²³·M\)  PASS  \(float32, 40 updates on cpu\)"
        assert len(verdicts) == 1 and re.fullmatch(pattern, verdicts[0]), verdicts
    assert lines[-1] == PASS_ALL
    assert "wrote d.png" in lines and (tmp_path / "d.png").stat().st_size > 20_000
    assert not NOISE.search(r.stdout + r.stderr), NOISE.search(r.stdout + r.stderr)
    assert r.stderr == ""


def test_a_corrupted_learning_rate_fails(tmp_path, monkeypatch, capsys):
    """torch's optimizer really applies a wrong learning rate (the peak 0.02% too high): the torch
    verdict says FAIL where it is worst, jax still passes, and the command exits with 1."""
    import lrcore.torch

    honest = lrcore.torch.scheduler

    def corrupted(optimizer, schedule, **kwargs):
        params = schedule.to_dict()["params"]
        wrong = lrcore.cosine_restart(**{**params, "peak_value": params["peak_value"] * (1 + 2**-12)})
        return honest(optimizer, wrong, **kwargs)

    monkeypatch.setattr(lrcore.torch, "scheduler", corrupted)
    status = cli.main(["demo", "--quick", "--epochs", "2", "--frameworks", "jax,torch", "-o", str(tmp_path / "c.png")])
    lines = capsys.readouterr().out.strip().splitlines()
    assert status == 1
    [torch_line] = [line for line in lines if line.startswith("torch  applied lr: ")]
    [jax_line] = [line for line in lines if line.startswith("jax    applied lr: ")]
    assert "PASS" in jax_line and "FAIL" not in jax_line
    warmup_end = demo.schedule_params(10)["warmup_steps"]  # where the schedule reaches its peak
    assert re.fullmatch(
        r"torch  applied lr: max error (\S+) > bound 4\.8e-10 \(4·2⁻²³·M\)  FAIL  \(float32, 20 updates on cpu; "
        rf"worst at update {warmup_end}: applied 1\.00024\d+e-03, exact 1\.00000000e-03\)",
        torch_line,
    ), torch_line
    error = float(re.search(r"max error (\S+)", torch_line).group(1))
    assert error == pytest.approx(1e-3 * 2**-12, rel=0.03)
    assert lines[-1] == "verdict: FAIL (ran jax, torch; torch applied a learning rate outside the precision promise)"


# As if TensorFlow were not installed: no finder finds it (importlib.util.find_spec gives None,
# `import tensorflow` raises "No module named 'tensorflow'"), everything else imports as usual.
BLOCK_TENSORFLOW = """
class Hide:
    def __init__(self, finders):
        self.finders = finders
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tensorflow":
            return None
        for finder in self.finders:
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                return spec
        return None
    def invalidate_caches(self):
        for finder in self.finders:
            if hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()
sys.meta_path[:] = [Hide(list(sys.meta_path))]
"""


def test_a_missing_framework_is_an_error_naming_its_extra(tmp_path):
    r = lrcore_demo("--quick", "-o", "m.png", cwd=tmp_path, prelude=BLOCK_TENSORFLOW)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""  # nothing trained
    [line] = r.stderr.strip().splitlines()
    assert line.startswith("lrcore: error: the demo cannot run keras (No module named 'tensorflow')")
    assert 'keras: pip install "lrcore[tf]"' in line and 'pip install "lrcore[demo]"' in line
    assert line.endswith("or leave it out: lrcore demo --frameworks jax,torch")
    assert not list(tmp_path.iterdir())
    # The way out the message gives: the installed frameworks only.
    r = lrcore_demo("--quick", "--epochs", "1", "--frameworks", "torch", "-o", "t.png", cwd=tmp_path, prelude=BLOCK_TENSORFLOW)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1].startswith("verdict: PASS (ran torch;")


def test_unavailable_from_python(monkeypatch):
    """``run`` raises the ImportError subclass before any training; several missing ones are named together."""
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in ("optax", "torch"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    out = io.StringIO()
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(demo.Unavailable) as info:
        demo.run(quick=True, frameworks=("jax", "torch", "keras"), out=out)
    monkeypatch.undo()
    assert isinstance(info.value, ImportError)
    message = str(info.value)
    assert message.startswith("the demo cannot run jax (No module named 'optax'); torch (No module named 'torch').")
    assert 'jax: pip install "lrcore[jax]"' in message and 'torch: pip install "lrcore[torch]"' in message
    assert message.endswith("or leave them out: lrcore demo --frameworks keras")
    assert out.getvalue() == ""


def test_lr_verdict_at_the_bound():
    """The bound is 4·2⁻ᵖ·M, compared exactly; float32 and float64; NaN (an update not measured) fails."""
    with mpmath.workprec(256):
        exact = [mpmath.mpf(1) / 1000, mpmath.mpf(1) / 3000, mpmath.mpf(1) / 7000]
    largest = 1e-3
    base = [float(e) for e in exact]
    bound32 = 4 * 2.0**-23 * largest
    v = demo.lr_verdict([base[0], base[1] + 0.99 * bound32, base[2]], exact, "float32", largest)
    assert v["passed"] and v["worst_step"] == 1 and v["bound"] == bound32 and v["bound_text"] == "4·2⁻²³·M"
    v = demo.lr_verdict([base[0], base[1], base[2] - 1.01 * bound32], exact, "float32", largest)
    assert not v["passed"] and v["worst_step"] == 2 and v["max_error"] == pytest.approx(1.01 * bound32, rel=1e-9)
    line = demo.verdict_line("keras", v, "gpu")
    assert line.startswith("keras  applied lr: max error 4.8e-10 > bound 4.8e-10 (4·2⁻²³·M)  FAIL  (float32, 3 updates on gpu; worst at update 2")
    # float64, at the edge: the largest float64 within 4·2⁻⁵²·M above the exact 1e-3 passes, the next fails.
    with mpmath.workprec(256):
        bound64 = 4 * mpmath.ldexp(mpmath.mpf(largest), -52)
        edge = float(exact[0] + bound64)
        if mpmath.mpf(edge) - exact[0] > bound64:
            edge = float(np.nextafter(edge, 0.0))
        assert mpmath.mpf(edge) - exact[0] <= bound64 < mpmath.mpf(float(np.nextafter(edge, 1.0))) - exact[0]
    assert demo.lr_verdict([edge, base[1], base[2]], exact, "float64", largest)["passed"]
    v = demo.lr_verdict([float(np.nextafter(edge, 1.0)), base[1], base[2]], exact, "float64", largest)
    assert not v["passed"] and v["bound_text"] == "4·2⁻⁵²·M" and v["worst_step"] == 0
    assert not demo.lr_verdict([base[0], float("nan"), base[2]], exact, "float32", largest)["passed"]
    with pytest.raises(ValueError, match="`dtype`"):
        demo.lr_verdict(base, exact, "float16", largest)
    with pytest.raises(ValueError, match="`applied`"):
        demo.lr_verdict(base[:2], exact, "float32", largest)


def test_log_records_are_removed_and_the_rest_kept():
    text = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796594984.845378    9091 port.cc:153] oneDNN custom operations are on.\n"
        "I0000 00:00:1796595330.204648   18093 cpu_feature_guard.cc:227] This TensorFlow binary is optimized.\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"
        "E0000 00:00:1796595330.2 18093 cuda_dnn.cc:8310] Unable to register cuDNN factory\n"
        "2024-01-01 12:00:00.000001: W tensorflow/core/util/x.cc:12] could not find cuda drivers\n"
        "/x/y.py:3: UserWarning: something the user should see\n"
        "  warnings.warn(msg)\n"
        "F0000 00:00:1796595330.2 18093 main.cc:1] a fatal error\n"
        "plain output\n"
    )
    assert demo.without_log_records(text) == (
        "/x/y.py:3: UserWarning: something the user should see\n  warnings.warn(msg)\n"
        "F0000 00:00:1796595330.2 18093 main.cc:1] a fatal error\nplain output\n"
    )


def test_quiet_frameworks_restores_what_it_changed(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    tf_logger, absl_logger = logging.getLogger("tensorflow"), logging.getLogger("absl")
    before = tf_logger.level, absl_logger.level
    try:
        tf_logger.setLevel(logging.INFO)
        absl_logger.setLevel(logging.NOTSET)
        with demo.quiet_frameworks():
            assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
            assert tf_logger.level == absl_logger.level == logging.getLogger("jax._src.xla_bridge").level == logging.ERROR
        assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
        assert (tf_logger.level, absl_logger.level) == (logging.INFO, logging.NOTSET)
    finally:
        tf_logger.setLevel(before[0])
        absl_logger.setLevel(before[1])
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")  # the user's own setting wins and stays
    with demo.quiet_frameworks():
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


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
    for kwargs, param in [({"epochs": 0}, "epochs"), ({"epochs": "3"}, "epochs"), ({"frameworks": ()}, "frameworks"),
                          ({"frameworks": ("mxnet",)}, "frameworks"), ({"frameworks": "jax"}, "frameworks"),
                          ({"quick": 1}, "quick"), ({"seed": -1}, "seed"), ({"verbose": "yes"}, "verbose")]:
        with pytest.raises((ValueError, TypeError), match=f"`{param}`"):
            demo.run(**kwargs, out=io.StringIO())


def test_help_documents_the_verdict_and_the_exit_status(capsys):
    assert cli.main(["demo", "--help"]) == 0
    text = capsys.readouterr().out
    assert demo.PROMISE.replace("\n", " ") in " ".join(text.split())
    for phrase in ("--frameworks", "--verbose", "keras: lrcore[tf]", "lrcore[demo]", "0  every framework", "1  a framework", "2  an error"):
        assert phrase in text, phrase
