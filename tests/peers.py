"""Helpers for driving the real peer libraries (optax, Keras, torch, transformers, timm, Composer,
PaddlePaddle) in parity tests.

The peers are imported lazily inside each helper, so importing this module costs nothing. timm and
Composer are installed without their dependencies (their packages' ``__init__`` would import
torchvision and their trainers): their scheduler files are loaded unmodified from the installed
package under a bare parent package. Paddle runs in a child process (see ``paddle_values``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import math
import os
import sys
import types

import numpy as np

# Keras 3 must pick TensorFlow, and TensorFlow's C++ start-up chatter is noise in test logs.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def steps_with_landmarks(n: int, *landmarks: int) -> np.ndarray:
    """Every step in ``0..n-1`` plus each landmark and its two neighbours (sorted, >= 0, unique)."""
    extra = [m + d for m in landmarks for d in (-1, 0, 1)]
    return np.unique(np.concatenate([np.arange(n), np.asarray(extra, dtype=np.int64)]).clip(0))


# -- optax ------------------------------------------------------------------------------------------
def optax_values(schedule, steps) -> np.ndarray:
    """An optax schedule evaluated (jit + vmap, int32 counts as optax's own ``count``) in float64."""
    import jax
    import jax.numpy as jnp

    out = jax.jit(jax.vmap(schedule))(jnp.asarray(np.asarray(steps), dtype=jnp.int32))
    return np.asarray(out, dtype=np.float64)


def lrcore_jax_values(schedule, steps) -> np.ndarray:
    """An ``lrcore.jax`` schedule evaluated under jit on int32 counts, checked to be float32."""
    import jax
    import jax.numpy as jnp

    out = jax.jit(schedule)(jnp.asarray(np.asarray(steps), dtype=jnp.int32))
    assert out.dtype == jnp.float32, out.dtype
    return np.asarray(out, dtype=np.float64)


# -- Keras ------------------------------------------------------------------------------------------
def keras():
    import keras as _keras

    assert _keras.backend.backend() == "tensorflow", _keras.backend.backend()
    return _keras


def keras_values(schedule, steps, vectorized: bool = True) -> np.ndarray:
    """A Keras schedule called on integer steps (one int64 tensor, or one scalar int per call for
    schedules that branch with ``ops.cond``), as float64 NumPy values."""
    import tensorflow as tf

    steps = np.asarray(steps, dtype=np.int64)
    if vectorized:
        return np.asarray(schedule(tf.constant(steps, dtype=tf.int64)), dtype=np.float64)
    return np.asarray([float(schedule(tf.constant(int(k), dtype=tf.int64))) for k in steps])


# -- torch ------------------------------------------------------------------------------------------
def torch_optimizer(lr: float = 1.0):
    """``torch.optim.SGD`` on one scalar parameter."""
    import torch

    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(()))], lr=lr)


def drive_torch(make_scheduler, n: int, lr: float = 1.0, momentum: float = 0.0, key: str = "lr") -> np.ndarray:
    """The learning rate (or ``key``, e.g. ``"momentum"``) of updates ``0..n-1``: ``param_groups[0][key]`` read before each
    ``optimizer.step()``, with ``scheduler.step()`` after it (update n uses the value at step n).
    The one torch driver of the tests (peer schedulers and ``lrcore.torch.scheduler`` alike)."""
    import torch

    param = torch.nn.Parameter(torch.zeros(()))
    optimizer = torch.optim.SGD([param], lr=lr, momentum=momentum)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for i in range(n):
        lrs.append(float(optimizer.param_groups[0][key]))
        optimizer.zero_grad()
        param.sum().backward()
        optimizer.step()
        if i < n - 1:  # a step past the last one read could only fail (OneCycleLR past total_steps)
            scheduler.step()
    return np.asarray(lrs, dtype=np.float64)


# -- loading a peer's scheduler files without its package's heavy __init__ ---------------------------
def _installed_package_dir(name: str) -> str:
    """Where the installed top-level package ``name`` lives, found without importing it."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"{name} is not installed"
    return list(spec.submodule_search_locations)[0]


def _synthetic_package(name: str, path: str, **attributes):
    """An empty package module ``name`` whose submodules are the files under ``path``."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module.__spec__.submodule_search_locations = [path]
    module.__path__ = [path]
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


class _IsolatedImport:
    """Imports under a top-level package name ``root`` that leave ``sys.modules`` as they found it:
    the synthetic parents and the files loaded under them are only reachable through the objects
    handed back, so no later ``import root`` sees a partial package."""

    def __init__(self, root: str):
        self.root = root

    def _ours(self):
        return [k for k in sys.modules if k == self.root or k.startswith(self.root + ".")]

    def __enter__(self):
        self.saved = {k: sys.modules.pop(k) for k in self._ours()}
        return self

    def __exit__(self, *exc):
        for k in self._ours():
            del sys.modules[k]
        sys.modules.update(self.saved)
        return False


@functools.lru_cache(maxsize=None)
def _timm_scheduler_modules() -> dict:
    timm_dir = _installed_package_dir("timm")
    with _IsolatedImport("timm"):
        # timm/__init__.py imports its models (and torchvision); timm/scheduler/* imports torch only.
        # A bare `timm` package over the installed directory lets `timm.scheduler` load unmodified,
        # relative imports and `from timm.scheduler.scheduler import ...` alike.
        sys.modules["timm"] = _synthetic_package("timm", timm_dir)
        importlib.import_module("timm.scheduler")
        return {k: v for k, v in sys.modules.items() if k.startswith("timm.scheduler")}


def timm_scheduler_module(name: str = ""):
    """timm's installed ``timm.scheduler`` package (``name=""``) or its submodule ``timm.scheduler.<name>``
    (``"cosine_lr"``, ``"scheduler_factory"``, ...), loaded unmodified from the installed files."""
    return _timm_scheduler_modules()["timm.scheduler" + (f".{name}" if name else "")]


def drive_timm(make_scheduler, n: int, lr: float = 1.0, per_update: bool = False, metrics=None) -> np.ndarray:
    """The learning rate of epochs (or, with ``per_update``, updates) ``0..n-1`` as timm's train loop
    sets it: the value the constructor sets for 0, then ``scheduler.step(t, metric)`` (or
    ``step_update(t)``) before ``t``, with ``metrics[t - 1]`` the metric of the epoch before."""
    optimizer = torch_optimizer(lr)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for t in range(n):
        if t > 0:
            metric = None if metrics is None else metrics[t - 1]
            if per_update:
                scheduler.step_update(t, metric)
            else:
                scheduler.step(t, metric)
        lrs.append(float(optimizer.param_groups[0]["lr"]))
    return np.asarray(lrs, dtype=np.float64)


class ComposerState:
    """Stand-in for ``composer.core.State`` (whose module imports Composer's trainer stack: FSDP,
    torchmetrics, devices, and ``composer.utils`` with torchvision). Composer's schedulers read three
    attributes of the state, and this holds exactly those, as the trainer's State does:
    ``timestamp`` (a real ``composer.core.Timestamp``), ``max_duration`` (a real ``Time``) and
    ``dataloader_len`` (a real ``Time`` in batches, or ``None``). It computes nothing."""

    def __init__(self, timestamp, max_duration, dataloader_len=None):
        self.timestamp = timestamp
        self.max_duration = max_duration
        self.dataloader_len = dataloader_len


@functools.lru_cache(maxsize=None)
def _composer_modules() -> dict:
    root = _installed_package_dir("composer")
    with _IsolatedImport("composer"):
        # composer/__init__.py imports the Trainer; composer/utils/__init__.py imports torchvision.
        # composer/core/time.py needs `composer.utils.StringEnum` (composer/utils/string_enum.py, no
        # imports but the standard library) and composer/core/serializable.py: both load unmodified.
        sys.modules["composer"] = _synthetic_package("composer", root)
        sys.modules["composer.utils"] = _synthetic_package("composer.utils", f"{root}/utils")
        string_enum = importlib.import_module("composer.utils.string_enum")
        sys.modules["composer.utils"].StringEnum = string_enum.StringEnum
        sys.modules["composer.core"] = _synthetic_package("composer.core", f"{root}/core")
        time = importlib.import_module("composer.core.time")
        # `from composer.core import State, Time, TimeUnit` in composer/optim/scheduler.py: the real
        # Time and TimeUnit, and the stand-in State (used there only in annotations).
        core = sys.modules["composer.core"]
        core.State, core.Time, core.TimeUnit, core.Timestamp = ComposerState, time.Time, time.TimeUnit, time.Timestamp
        sys.modules["composer.optim"] = _synthetic_package("composer.optim", f"{root}/optim")
        scheduler = importlib.import_module("composer.optim.scheduler")
        return {"time": time, "scheduler": scheduler}


def composer_scheduler_module():
    """Composer's installed ``composer/optim/scheduler.py``, loaded unmodified."""
    return _composer_modules()["scheduler"]


def composer_time_module():
    """Composer's installed ``composer/core/time.py`` (``Time``, ``Timestamp``, ``TimeUnit``), unmodified."""
    return _composer_modules()["time"]


def composer_values(scheduler, n: int, max_duration: str, dataloader_len: int | None = None,
                    ssr: float = 1.0, samples_per_batch: int = 0, tokens_per_batch: int = 0) -> np.ndarray:
    """A Composer scheduler's multiplier ``scheduler(state, ssr)`` at batches ``0..n-1``: the state's
    timestamp is advanced as the trainer advances it (``Timestamp.to_next_batch`` with the batch's
    samples and tokens, and ``to_next_epoch`` after ``dataloader_len`` batches)."""
    time = composer_time_module()
    state = ComposerState(
        time.Timestamp(), time.Time.from_timestring(max_duration),
        None if dataloader_len is None else time.Time(dataloader_len, time.TimeUnit.BATCH),
    )
    out = []
    for _ in range(n):
        out.append(float(scheduler(state, ssr)))
        state.timestamp = state.timestamp.to_next_batch(samples=samples_per_batch, tokens=tokens_per_batch)
        if dataloader_len is not None and int(state.timestamp.batch_in_epoch) == dataloader_len:
            state.timestamp = state.timestamp.to_next_epoch()
    return np.asarray(out, dtype=np.float64)


# -- PaddlePaddle -------------------------------------------------------------------------------------
# Paddle's native libraries and TensorFlow's crash (SIGSEGV) when both load into one process, and
# the test session imports TensorFlow: Paddle's schedulers run in a process of their own.
def paddle_lr():
    """``paddle.optimizer.lr``, imported (call it only in a process without TensorFlow)."""
    import warnings

    with warnings.catch_warnings():
        # Paddle's import notes that ccache (a compiler cache for its C++ extension builder) is absent.
        warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
        import paddle.optimizer.lr as lr
    return lr


def _paddle_scheduler(lr, spec: dict):
    kwargs = dict(spec.get("kwargs", {}))
    if "inner" in spec:  # LinearWarmup(learning_rate=<another scheduler>)
        kwargs["learning_rate"] = _paddle_scheduler(lr, spec["inner"])
    if "lr_lambda" in spec:  # LambdaDecay / MultiplicativeDecay: the lambda's source, from the test
        kwargs["lr_lambda"] = eval(spec["lr_lambda"], {"math": math})
    if "scale_fn" in spec:  # CyclicLR's scale_fn: the lambda's source, from the test
        kwargs["scale_fn"] = eval(spec["scale_fn"], {"math": math})
    return getattr(lr, spec["scheduler"])(**kwargs)


def _paddle_run(lr, spec: dict) -> list:
    """The values ``scheduler()`` reports: after construction, then after each ``step()`` (``n``
    values in all), or after each ``step(metric)`` (``metrics``) or ``step(epoch)`` (``epochs``)."""
    scheduler = _paddle_scheduler(lr, spec)
    if "epochs" in spec:
        out = []
        for epoch in spec["epochs"]:
            scheduler.step(epoch)
            out.append(scheduler())
        return out
    out = [scheduler()]
    if "metrics" in spec:
        for metric in spec["metrics"]:
            scheduler.step(metric)
            out.append(scheduler())
        return out
    for _ in range(spec["n"] - 1):
        scheduler.step()
        out.append(scheduler())
    return out


def _paddle_main(spec_path: str, out_path: str) -> None:
    import json

    lr = paddle_lr()
    with open(spec_path) as f:
        specs = json.load(f)
    results = {key: [float(v) for v in _paddle_run(lr, spec)] for key, spec in specs.items()}
    with open(out_path, "w") as f:
        json.dump(results, f)


def paddle_values(specs: dict) -> dict:
    """Each spec of ``specs`` (``{key: spec}``, see ``_paddle_run``) run by the real Paddle in one
    child process; ``{key: float64 array}``. A spec names the scheduler class and its ``kwargs``."""
    import json
    import pathlib
    import subprocess
    import tempfile

    root = pathlib.Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p))
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, out_path = f"{tmp}/specs.json", f"{tmp}/values.json"
        with open(spec_path, "w") as f:
            json.dump(specs, f)
        code = "import sys; from tests.peers import _paddle_main; _paddle_main(sys.argv[1], sys.argv[2])"
        done = subprocess.run([sys.executable, "-c", code, spec_path, out_path], cwd=root, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"the Paddle process failed ({done.returncode}):\n{done.stderr[-4000:]}"
        with open(out_path) as f:
            results = json.load(f)
    return {key: np.asarray(values, dtype=np.float64) for key, values in results.items()}


def plateau_loss(n: int) -> list[float]:
    """A validation loss for plateau rules, in periods of 20 epochs: 6 epochs falling by 10 %, 3
    creeping down by 1e-5 (3e-5 in all, below a 1e-4 relative threshold: bad epochs), 11 flat.
    With a patience below 14, every period ends in a reduction."""
    out, value = [], 2.0
    for t in range(n):
        r = t % 20
        value *= 0.9 if r < 6 else 1 - 1e-5 if r < 9 else 1.0
        out.append(value)
    return out


def restart_steps(first: int, mul: int, limit: int) -> list[int]:
    """The restarts of a warm-restart cosine with integer period multiplier ``mul`` up to ``limit``,
    walked exactly in integers: ``first``, ``first + first·mul``, ``… + first·mul²`` …"""
    out, start, i = [], first, 1
    while start <= limit:
        out.append(start)
        start += first * mul**i
        i += 1
    return out
