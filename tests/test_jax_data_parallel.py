"""Data-parallel JAX training over 8 CPU devices with an lrcore schedule in optax.adam.

``tests/conftest.py`` sets ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` before JAX is
imported, so the host CPU appears as 8 devices. A small MLP is trained on scikit-learn's digits
with ``optax.inject_hyperparams(optax.adam)(learning_rate=lrcore.jax.cosine_restart(...))``:

* sharded: a ``Mesh`` of the 8 devices with one axis ``"data"``; each global batch is placed with
  ``NamedSharding(mesh, P("data"))`` (8 rows per device), parameters and optimizer state with
  ``NamedSharding(mesh, P())`` (replicated); the jitted step is compiled with those shardings, so XLA
  computes per-device partial gradients and all-reduces them;
* single device: the same step, jitted without shardings, on device 0 only.

The learning rate each update applied (the injected hyperparameter in the optimizer state) must be
bit-identical in both runs and equal to ``schedule(n)`` for update ``n``, and the final parameters
must agree to float32 rounding: the sharded run sums the loss over each device's rows and then
across devices, the single-device run sums all rows at once, so the gradients differ by a few ulp
and Adam carries those differences forward (no more: the lr is identical).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P
from sklearn.datasets import load_digits

import lrcore.jax
from tests.helpers import assert_ulp_close

DEVICES = 8
UPDATES = 64
BATCH = 64  # global batch: 8 rows per device
PEAK, FIRST_PERIOD, PERIOD_MUL, PEAK_MUL, WARMUP = 0.03, 8, 2.0, 0.5, 2
# Tolerance on the final parameters, relative to each array's largest entry: about 40 float32 eps
# (2^-23 = 1.2e-7). Measured difference after 64 updates: <= 4e-7 (3 eps). For scale: an lr 1% off
# at one single update moves the final parameters by ~1e-4 of their size.
PARAM_RTOL = 5e-6


def reference_lr(k: int) -> float:
    """cosine_restart (end_value=0) at step k in float64, walking the cycles (docs/catalog/cosine.md)."""
    start, i = 0, 0
    while k >= start + math.ceil(FIRST_PERIOD * PERIOD_MUL**i):
        start, i = start + math.ceil(FIRST_PERIOD * PERIOD_MUL**i), i + 1
    t, period, warmup, peak = k - start, FIRST_PERIOD * PERIOD_MUL**i, WARMUP * PERIOD_MUL**i, PEAK * PEAK_MUL**i
    if t < warmup:
        return peak * t / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (t - warmup) / (period - warmup)))


def _batches():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int32)
    order = np.random.default_rng(0).permutation(len(x))
    rows = [order[(n * BATCH) % (len(x) - BATCH) :][:BATCH] for n in range(UPDATES)]
    return [(x[r], y[r]) for r in rows]


def _init_params():
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    return {
        "w1": jax.random.normal(k1, (64, 32), jnp.float32) / 8.0,
        "b1": jnp.zeros((32,), jnp.float32),
        "w2": jax.random.normal(k2, (32, 10), jnp.float32) / math.sqrt(32.0),
        "b2": jnp.zeros((10,), jnp.float32),
    }


SCHEDULE = lrcore.jax.cosine_restart(
    peak_value=PEAK, first_period=FIRST_PERIOD, period_mul=PERIOD_MUL, peak_mul=PEAK_MUL, warmup_steps=WARMUP
)
OPTIMIZER = optax.inject_hyperparams(optax.adam)(learning_rate=SCHEDULE)


def _step(params, state, x, y):
    def loss(p):
        h = jnp.tanh(x @ p["w1"] + p["b1"])
        logits = h @ p["w2"] + p["b2"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    value, grads = jax.value_and_grad(loss)(params)
    updates, state = OPTIMIZER.update(grads, state, params)
    # The injected hyperparameter is the lr this update passed to adam.
    return optax.apply_updates(params, updates), state, state.hyperparams["learning_rate"], value


def _train(step, put_params, put_batch):
    params = put_params(_init_params())
    state = put_params(OPTIMIZER.init(params))
    lrs, losses = [], []
    for x, y in _batches():
        params, state, lr, loss = step(params, state, *put_batch(x, y))
        lrs.append(lr)
        losses.append(loss)
    assert int(state.count) == UPDATES
    return params, np.asarray(jax.device_get(lrs)), np.asarray(jax.device_get(losses))


def test_sharded_data_parallel_matches_single_device():
    assert jax.device_count() == DEVICES, (
        f"expected {DEVICES} CPU devices from XLA_FLAGS (set in tests/conftest.py before importing jax), "
        f"got {jax.devices()}"
    )
    mesh = Mesh(np.array(jax.devices()), ("data",))
    replicated, by_rows = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))

    sharded_step = jax.jit(
        _step,
        in_shardings=(replicated, replicated, by_rows, by_rows),
        out_shardings=(replicated, replicated, replicated, replicated),
    )

    def put_sharded(x, y):
        x, y = jax.device_put(x, by_rows), jax.device_put(y, by_rows)
        # Each device holds its own 8 rows of the global batch.
        assert {s.data.shape for s in x.addressable_shards} == {(BATCH // DEVICES, 64)}
        assert len(x.sharding.device_set) == DEVICES
        return x, y

    sharded = _train(sharded_step, lambda tree: jax.device_put(tree, replicated), put_sharded)

    # The compiled sharded step really reduces gradients across devices.
    x0, y0 = put_sharded(*_batches()[0])
    params0 = jax.device_put(_init_params(), replicated)
    hlo = sharded_step.lower(params0, jax.device_put(OPTIMIZER.init(params0), replicated), x0, y0).compile().as_text()
    assert "all-reduce" in hlo

    one = jax.devices()[0]
    single_step = jax.jit(_step)
    single = _train(
        single_step,
        lambda tree: jax.device_put(tree, one),
        lambda x, y: (jax.device_put(x, one), jax.device_put(y, one)),
    )

    (p_sharded, lr_sharded, loss_sharded), (p_single, lr_single, loss_single) = sharded, single
    assert all(leaf.sharding.is_fully_replicated for leaf in jax.tree.leaves(p_sharded))
    assert all(leaf.sharding.device_set == {one} for leaf in jax.tree.leaves(p_single))

    # Learning rates: bit-identical across the two runs, and update n applied schedule(n).
    assert lr_sharded.dtype == np.float32
    np.testing.assert_array_equal(lr_sharded, lr_single)
    want = np.array([reference_lr(n) for n in range(UPDATES)])
    assert_ulp_close(lr_sharded, want, bits=32, scale=PEAK)
    assert [n for n in range(1, UPDATES) if want[n] == 0.0] == [8, 24, 56]  # three restarts

    # Training made progress, identically up to reduction order.
    assert loss_sharded[-1] < 0.5 * loss_sharded[0]
    np.testing.assert_allclose(loss_sharded, loss_single, rtol=PARAM_RTOL)
    for name in p_single:
        a, b = np.asarray(p_sharded[name]), np.asarray(p_single[name])
        scale = float(np.max(np.abs(b)))
        np.testing.assert_allclose(a, b, rtol=0, atol=PARAM_RTOL * scale, err_msg=name)
