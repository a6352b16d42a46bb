"""optax.inject_hyperparams with lrcore schedules for learning_rate, b1 and weight_decay: one
compilation for the whole run, and every step uses the scheduled values (state.hyperparams checked
against lrcore.numpy, the parameters against a NumPy AdamW driven by the same values)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrcore
import lrcore.jax
import lrcore.numpy

N = 40
LR = lrcore.warmup_cosine_decay(0.0, 1e-2, warmup_steps=5, decay_steps=N)
B1 = lrcore.cosine_decay(0.95, decay_steps=N, end_value=0.85)  # a momentum schedule for betas[0]
WD = lrcore.piecewise_linear([0, 10, 30], [0.0, 0.1, 0.01])


def _numpy_adamw(params, grads_fn, steps, b2=0.999, eps=1e-8):
    """optax.adamw's arithmetic in float64, with the hyperparameters of each step from lrcore.numpy."""
    lr, b1, wd = (lrcore.numpy.from_schedule(s) for s in (LR, B1, WD))
    mu, nu = np.zeros_like(params), np.zeros_like(params)
    for n in range(steps):
        g = grads_fn(params)
        mu = (1 - b1(n)) * g + b1(n) * mu
        nu = (1 - b2) * g**2 + b2 * nu
        mu_hat, nu_hat = mu / (1 - b1(n) ** (n + 1)), nu / (1 - b2 ** (n + 1))
        update = mu_hat / (np.sqrt(nu_hat) + eps) + wd(n) * params
        params = params - lr(n) * update
    return params


def test_inject_hyperparams_adamw_with_lrcore_b1_and_weight_decay():
    tx = optax.inject_hyperparams(optax.adamw)(
        learning_rate=lrcore.jax.from_schedule(LR),
        b1=lrcore.jax.from_schedule(B1),
        weight_decay=lrcore.jax.from_schedule(WD),
    )
    grads_fn = lambda p: 2.0 * p - 1.0  # noqa: E731  (the gradient of (p - 1/2)**2 + const)
    params = jnp.linspace(-1.0, 2.0, 5, dtype=jnp.float32)
    state = tx.init(params)
    traces = []

    @jax.jit
    def step(params, state):
        traces.append(1)  # runs once per compilation
        updates, state = tx.update(grads_fn(params), state, params)
        return optax.apply_updates(params, updates), state

    seen = {"learning_rate": [], "b1": [], "weight_decay": []}
    for _ in range(N):
        params, state = step(params, state)
        for key in seen:
            seen[key].append(float(state.hyperparams[key]))
    assert len(traces) == 1, "the schedules made the step recompile"
    steps = np.arange(N)
    for key, schedule in (("learning_rate", LR), ("b1", B1), ("weight_decay", WD)):
        want = lrcore.numpy.from_schedule(schedule)(steps)
        np.testing.assert_allclose(seen[key], want, rtol=0, atol=4 * 2.0**-23 * np.max(np.abs(want)), err_msg=key)
    assert len(set(seen["b1"])) > 30 and len(set(seen["weight_decay"])) > 25  # really scheduled (wd: 0.01 recurs)
    want_params = _numpy_adamw(np.linspace(-1.0, 2.0, 5), grads_fn, N)
    np.testing.assert_allclose(np.asarray(params, dtype=np.float64), want_params, rtol=2e-5, atol=1e-6)


def test_inject_hyperparams_state_is_a_checkpointable_pytree():
    tx = optax.inject_hyperparams(optax.adamw)(learning_rate=lrcore.jax.from_schedule(LR), b1=lrcore.jax.from_schedule(B1))
    params = jnp.ones(3)
    state = tx.init(params)
    upd = jax.jit(lambda s: tx.update(params, s, params))
    for _ in range(7):
        _, state = upd(state)
    restored = jax.tree.map(jnp.asarray, jax.tree.map(np.asarray, state))
    a, _ = upd(state)
    b, _ = upd(restored)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # the b1 used by update 6 (the 7th), bit for bit lrcore.jax's value at step 6
    assert float(restored.hyperparams["b1"]) == float(lrcore.jax.from_schedule(B1)(6))
