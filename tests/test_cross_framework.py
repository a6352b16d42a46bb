"""One schedule, defined once, drives optax (jitted), torch and Keras (TF backend) identically.

A warm-restart cosine with growing periods (``period_mul``), shrinking peaks (``peak_mul < 1``) and a
per-cycle warmup is defined once as an :class:`lrcore.Schedule`. Each framework trains a tiny model
with Adam for ``UPDATES`` updates (covering four restarts) and records the learning rate *applied*
by every update:

* optax: ``optax.inject_hyperparams(optax.adam)`` in a jitted step; after update ``n`` the state's
  ``hyperparams["learning_rate"]`` is the value that update passed to Adam;
* torch: ``optimizer.param_groups[0]["lr"]`` read just before ``optimizer.step()``;
* Keras: the ``learning_rate`` argument of Adam's own ``update_step`` inside the compiled train step,
  written to a variable at index ``optimizer.iterations``; a callback also reads
  ``optimizer.learning_rate`` at ``on_train_batch_begin``. A second Keras run with SGD on a constant
  gradient, the weight reset to 0 before each batch, reads the applied lr back from the weight
  (``w = 0 - lr·1`` exactly), which proves the recorded lr is the one the update used.

Every recorded lr must equal ``lrcore.numpy``'s value at that step, and an independent float64
formula (a plain loop, below), within 4 float32 ulp of the schedule's maximum.
"""

from __future__ import annotations

import math
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import keras  # noqa: E402
import numpy as np  # noqa: E402

import lrcore  # noqa: E402
import lrcore.numpy  # noqa: E402
from tests.helpers import assert_ulp_close  # noqa: E402

PEAK, FIRST_PERIOD, PERIOD_MUL, PEAK_MUL, END, WARMUP = 0.01, 40, 1.25, 0.7, 1e-4, 6
SCHEDULE = lrcore.cosine_restart(
    peak_value=PEAK,
    first_period=FIRST_PERIOD,
    period_mul=PERIOD_MUL,
    peak_mul=PEAK_MUL,
    end_value=END,
    warmup_steps=WARMUP,
)
UPDATES = 320  # restarts at 40, 90, 153, 232 (cycle lengths 40, 50, 63, 79)


def reference(k: int) -> float:
    """cosine_restart at step k in float64, by walking the cycles (as docs/catalog/cosine.md defines them)."""
    start, i = 0, 0
    while True:
        period = FIRST_PERIOD * PERIOD_MUL**i  # 1.25**i is exact in binary for the cycles used
        length = math.ceil(period)
        if k < start + length:
            break
        start, i = start + length, i + 1
    t, peak, warmup = k - start, PEAK * PEAK_MUL**i, WARMUP * PERIOD_MUL**i
    if t < warmup:
        return END + (peak - END) * t / warmup
    return END + (peak - END) * 0.5 * (1 + math.cos(math.pi * (t - warmup) / (period - warmup)))


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((UPDATES, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32))[:, None] + 0.1
    return x, y.astype(np.float32)


def _optax_lrs() -> np.ndarray:
    import jax
    import jax.numpy as jnp
    import optax

    import lrcore.jax

    x, y = _data()
    opt = optax.inject_hyperparams(optax.adam)(learning_rate=lrcore.jax.from_schedule(SCHEDULE))
    params = {"w": jnp.zeros((4, 1), jnp.float32), "b": jnp.zeros((1,), jnp.float32)}
    state = opt.init(params)

    @jax.jit
    def step(params, state, xb, yb):
        def loss(p):
            return jnp.mean((xb @ p["w"] + p["b"] - yb) ** 2)

        updates, state = opt.update(jax.grad(loss)(params), state, params)
        # inject_hyperparams stores the hyperparameters it passed to adam for this update.
        return optax.apply_updates(params, updates), state, state.hyperparams["learning_rate"]

    lrs = []
    for n in range(UPDATES):
        assert int(state.count) == n
        params, state, lr = step(params, state, x[n : n + 1], y[n : n + 1])
        assert lr.dtype == jnp.float32
        lrs.append(lr)
    assert np.all(np.isfinite(np.asarray(params["w"])))
    return np.asarray(jax.device_get(lrs), dtype=np.float64)


def _torch_lrs() -> np.ndarray:
    import torch

    import lrcore.torch

    x, y = (torch.from_numpy(a) for a in _data())
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1.0)
    sched = lrcore.torch.scheduler(opt, SCHEDULE)
    lrs = []
    for n in range(UPDATES):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x[n : n + 1]), y[n : n + 1]).backward()
        lrs.append(opt.param_groups[0]["lr"])  # the lr this opt.step() uses
        opt.step()
        sched.step()
    assert sched.last_epoch == UPDATES
    assert torch.isfinite(model.weight).all()
    return np.asarray(lrs, dtype=np.float64)


def _keras_adam_lrs() -> tuple[np.ndarray, np.ndarray]:
    """(lr passed to Adam.update_step inside the train step, optimizer.learning_rate at batch begin)."""
    import tensorflow as tf

    import lrcore.tf

    assert keras.backend.backend() == "tensorflow"
    applied = tf.Variable(tf.fill([UPDATES], float("nan")), trainable=False)

    class RecordingAdam(keras.optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            index = tf.reshape(tf.cast(self.iterations.value, tf.int64), [1, 1])
            applied.scatter_nd_update(index, tf.reshape(tf.cast(learning_rate, tf.float32), [1]))
            return super().update_step(gradient, variable, learning_rate)

    class AtBatchBegin(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.lrs = []

        def on_train_batch_begin(self, batch, logs=None):
            assert int(self.model.optimizer.iterations) == batch  # update `batch` is next
            self.lrs.append(float(self.model.optimizer.learning_rate))

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=RecordingAdam(learning_rate=lrcore.tf.from_schedule(SCHEDULE)), loss="mse")
    at_begin = AtBatchBegin()
    x, y = _data()
    model.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[at_begin])
    assert int(model.optimizer.iterations) == UPDATES
    return applied.numpy().astype(np.float64), np.asarray(at_begin.lrs, dtype=np.float64)


def _keras_sgd_weight_lrs() -> np.ndarray:
    """The lr each SGD update applied, read back from the weight: loss = w·1, w reset to 0 per batch."""
    import lrcore.tf

    class ResetAndRead(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.lrs = []

        def on_train_batch_begin(self, batch, logs=None):
            self.model.layers[0].kernel.assign(np.zeros((1, 1), np.float32))

        def on_train_batch_end(self, batch, logs=None):
            # d(loss)/dw = 1 exactly, so SGD leaves w = 0 - lr·1 = -lr, exactly in float32.
            self.lrs.append(-float(self.model.layers[0].kernel.numpy()[0, 0]))

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=lrcore.tf.from_schedule(SCHEDULE)),
        loss=lambda y_true, y_pred: y_pred,
    )
    read = ResetAndRead()
    ones = np.ones((UPDATES, 1), np.float32)
    model.fit(ones, ones, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[read])
    return np.asarray(read.lrs, dtype=np.float64)


def test_one_schedule_drives_optax_torch_and_keras_identically():
    steps = np.arange(UPDATES)
    want = np.array([reference(int(k)) for k in steps])
    # The run covers >= 3 restarts, each landing where the reference says (a jump up to a warmup start).
    restarts = [k for k in range(1, UPDATES) if want[k] < want[k - 1] and want[k] == END]
    assert restarts == [40, 90, 153, 232]

    expected = lrcore.numpy.from_schedule(SCHEDULE)(steps)
    assert_ulp_close(expected, want, bits=32, context="lrcore.numpy vs reference")

    keras_applied, keras_at_begin = _keras_adam_lrs()
    recorded = {
        "optax inject_hyperparams": _optax_lrs(),
        "torch param_groups": _torch_lrs(),
        "keras Adam.update_step": keras_applied,
        "keras on_train_batch_begin": keras_at_begin,
        "keras SGD weight delta": _keras_sgd_weight_lrs(),
    }
    for name, got in recorded.items():
        assert got.shape == (UPDATES,), name
        assert_ulp_close(got, expected, bits=32, scale=PEAK, context=f"{name} vs lrcore.numpy")
        assert_ulp_close(got, want, bits=32, scale=PEAK, context=f"{name} vs reference")
    # What Keras' Adam used is exactly what the callback saw and what SGD applied to the weight.
    np.testing.assert_array_equal(keras_applied, keras_at_begin)
    np.testing.assert_array_equal(keras_applied, recorded["keras SGD weight delta"])
