"""Helpers for driving the real peer libraries (optax, Keras, torch, transformers) in parity tests.

The peers are imported lazily inside each helper, so importing this module costs nothing.
"""

from __future__ import annotations

import os

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
