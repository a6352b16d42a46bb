"""The built wheel, installed into a fresh virtual environment, works: what a user gets from
``pip install lrcore[...]`` rather than from this checkout.

The wheel is built from the repository, installed with its framework extras into a new venv (no
access to this checkout or to the test environment's packages), and a smoke script run there:
``import lrcore``, one schedule on every adapter against the core's float64 value, the generated
stubs shipped, and the ``lrcore`` console script.
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import subprocess
import sys
import textwrap
import venv
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

SMOKE = textwrap.dedent(
    """
    import importlib.util, math, pathlib, sys
    import numpy as np
    import lrcore

    here = pathlib.Path(lrcore.__file__).resolve().parent
    assert "site-packages" in str(here), here          # the installed copy, not a checkout
    assert importlib.util.find_spec("lrcore.backends") is not None

    s = lrcore.cosine_decay(init_value=0.1, decay_steps=100)
    steps = [0, 1, 37, 50, 99, 100, 250]
    exact = [0.1 * 0.5 * (1 + math.cos(math.pi * min(k, 100) / 100)) for k in steps]
    # the precision promise in float64: within 4 * 2**-52 * M of the exact value (M = 0.1 here)
    assert np.allclose([float(s(k)) for k in steps], exact, rtol=0, atol=4 * 2**-52 * 0.1)

    import jax.numpy as jnp, torch, tensorflow as tf, keras
    values = {
        "numpy": lrcore.numpy.from_schedule(s)(np.array(steps)),
        "jax": lrcore.jax.from_schedule(s)(jnp.array(steps)),
        "torch": lrcore.torch.from_schedule(s)(torch.tensor(steps)).numpy(),
        "tf": lrcore.tf.from_schedule(s)(tf.constant(steps)).numpy(),
        "keras": np.array([float(lrcore.keras.from_schedule(s)(k)) for k in steps]),
    }
    for name, got in values.items():
        got = np.asarray(got, dtype=np.float64)
        # the precision promise: float32 within 4 * 2**-23 * M of the exact value (M = 0.1 here)
        assert np.all(np.abs(got - exact) <= 4 * 2.0**-23 * 0.1), (name, got, exact)
    print("adapters:", " ".join(sorted(values)))
    """
)


def _run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.mark.slow
def test_built_wheel_installs_and_runs_in_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)])
    (wheel,) = dist.glob("lrcore-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for name in ("py.typed", "numpy.pyi", "jax.pyi", "torch.pyi", "tf.pyi", "keras.pyi", "backends/torch.py"):
        assert f"lrcore/{name}" in shipped, f"the wheel lacks lrcore/{name}"
    assert not any(name.startswith(("tests/", "benchmarks/", "docs/")) for name in shipped)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # The test environment's torch release, pinned on the same line so pip keeps that build.
    torch = importlib.metadata.version("torch").split("+")[0]
    # Nothing of this checkout or of the test environment on the path: a PYTHONPATH naming the
    # checkout would show pip its lrcore.egg-info, and pip would call lrcore installed already.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          f"torch=={torch}", f"lrcore[jax,torch,tf,cli] @ {wheel.as_uri()}"], cwd=tmp_path, env=env)
    env.update(TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    out = _run([str(python), "-c", SMOKE], cwd=tmp_path, env=env).stdout
    assert "adapters: jax keras numpy tf torch" in out

    cli = env_dir / "bin" / "lrcore"
    table = _run([str(cli), "table", "linear", "--init_value", "1", "--end_value", "0",
                  "--transition_steps", "4", "--at", "0,2,4"], cwd=tmp_path, env=env).stdout
    assert [float(line.split()[-1]) for line in table.strip().splitlines()[-3:]] == [1.0, 0.5, 0.0]
    _run([str(cli), "plot", "linear", "--init_value", "1", "--end_value", "0",
          "--transition_steps", "4", "-o", str(tmp_path / "curve.png")], cwd=tmp_path, env=env)
    assert (tmp_path / "curve.png").stat().st_size > 1000
