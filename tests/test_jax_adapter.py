"""lrcore.jax: float32 jax arrays that work under jit, vmap, grad, optax.inject_hyperparams and
sharded jit; from_schedule; float64 only with x64 enabled."""

from __future__ import annotations

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrcore
import lrcore.jax as ljax
import lrcore.numpy as lnp

from . import examples, reference
from .helpers import assert_ulp_close

# Every configuration of the tests' table, built through each adapter's factories.
CASES = {label: s for label, s, _ in examples.examples()}
STEPS = np.arange(-2, 60)


@pytest.mark.parametrize("label", CASES, ids=examples.case_id)
def test_float32_arrays_equal_numpy_within_ulp(label):
    schedule = CASES[label]
    s, ref = getattr(ljax, schedule.name)(**schedule.params), getattr(lnp, schedule.name)(**schedule.params)
    out = s(jnp.asarray(STEPS, dtype=jnp.int32))
    assert isinstance(out, jax.Array) and out.dtype == jnp.float32 and out.shape == STEPS.shape
    scalar = s(3)
    assert isinstance(scalar, jax.Array) and scalar.dtype == jnp.float32 and scalar.shape == ()
    want = ref(STEPS)
    assert_ulp_close(np.asarray(out), want, bits=32)
    assert_ulp_close(np.asarray(jax.jit(s)(jnp.asarray(STEPS, dtype=jnp.int32))), want, bits=32)


def test_vmap_over_steps_and_levels():
    steps = jnp.arange(40, dtype=jnp.int32)
    s = ljax.cosine_restart(peak_value=1.0, first_period=10, period_mul=2.0)
    assert_ulp_close(np.asarray(jax.vmap(s)(steps)), lnp.cosine_restart(1.0, 10, period_mul=2.0)(np.arange(40)), 32)

    def curve(peak, init, end):
        return ljax.warmup_cosine_decay(init, peak, warmup_steps=5, decay_steps=30, end_value=end)(steps)

    peaks, inits, ends = jnp.asarray([1.0, 0.5, 2.0]), jnp.asarray([0.0, 0.1, 0.2]), jnp.asarray([0.0, 0.01, 0.3])
    got = jax.jit(jax.vmap(curve))(peaks, inits, ends)
    for row, (p, i, e) in enumerate(zip([1.0, 0.5, 2.0], [0.0, 0.1, 0.2], [0.0, 0.01, 0.3])):
        want = lnp.warmup_cosine_decay(i, p, warmup_steps=5, decay_steps=30, end_value=e)(np.arange(40))
        assert_ulp_close(np.asarray(got[row]), want, 32)


def test_grad_wrt_peak_value():
    # cosine_decay is linear in its init value: d/dP at step k is (1 + cos(pi k / T)) / 2.
    k, T = 7, 20
    g = jax.grad(lambda p: ljax.cosine_decay(p, decay_steps=T)(k))(jnp.float32(0.3))
    assert np.isclose(float(g), 0.5 * (1 + np.cos(np.pi * k / T)), rtol=1e-6)
    # A nonlinear case against a central finite difference in float64 NumPy.
    f = lambda p: ljax.cosine_restart(p, first_period=10, period_mul=2.0, warmup_steps=3, end_value=0.1)(17)  # noqa: E731
    g = float(jax.grad(f)(jnp.float32(1.0)))
    h = 1e-4
    fd = (lnp.cosine_restart(1.0 + h, 10, period_mul=2.0, warmup_steps=3, end_value=0.1)(17)
          - lnp.cosine_restart(1.0 - h, 10, period_mul=2.0, warmup_steps=3, end_value=0.1)(17)) / (2 * h)  # fmt: skip
    assert np.isclose(g, fd, rtol=1e-5, atol=1e-6)


def test_inject_hyperparams_training_loop_compiles_once():
    kwargs = dict(peak_value=1e-2, first_period=7, period_mul=2.0, warmup_steps=2, end_value=1e-4)
    opt = optax.inject_hyperparams(optax.adam)(learning_rate=ljax.cosine_restart(**kwargs))
    params = {"w": jnp.ones(3)}
    state = opt.init(params)
    traces = []

    @jax.jit
    def update(params, state):
        traces.append(1)  # runs only while tracing
        grads = jax.tree_util.tree_map(lambda w: 2.0 * w, params)
        updates, state = opt.update(grads, state, params)
        # The new state records the hyperparameters this update used (the schedule at its count).
        return optax.apply_updates(params, updates), state, state.hyperparams["learning_rate"]

    ref = lnp.cosine_restart(**kwargs)
    scale = max(abs(ref(n)) for n in range(40))
    for n in range(40):
        params, state, lr = update(params, state)
        assert_ulp_close(np.asarray(lr, dtype=np.float64), np.asarray(ref(n)), 32, scale=scale, context=f"update {n}")
    assert len(traces) == 1
    assert update._cache_size() == 1


def test_sharded_jit_same_values():
    devices = jax.devices("cpu")
    assert len(devices) >= 8
    mesh = jax.sharding.Mesh(np.asarray(devices[:8]), ("d",))
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("d"))
    steps = np.arange(64, dtype=np.int32) * 3
    s = ljax.onecycle(peak_value=1.0, total_steps=150, three_phase=True)
    sharded = jax.device_put(jnp.asarray(steps), sharding)
    got = jax.jit(s, in_shardings=sharding, out_shardings=sharding)(sharded)
    assert got.sharding.is_equivalent_to(sharding, 1)
    assert np.array_equal(np.asarray(got), np.asarray(jax.jit(s)(jnp.asarray(steps))))
    assert_ulp_close(np.asarray(got), lnp.onecycle(1.0, 150, three_phase=True)(steps.astype(np.int64)), 32)


def test_from_schedule_and_dtype():
    core = lrcore.join([lrcore.constant(0.5), lrcore.cosine_decay(1.0, 20)], [10])
    s = ljax.from_schedule(core)
    assert s.schedule is core
    assert_ulp_close(np.asarray(s(jnp.arange(40))), core(np.arange(40)), 32)
    assert ljax.from_schedule(lnp.constant(1.0)).schedule == lrcore.constant(1.0)
    with pytest.raises(TypeError, match="schedule"):
        ljax.from_schedule(lambda k: 0.1)
    assert not jax.config.read("jax_enable_x64")
    with pytest.raises(ValueError, match="float64"):
        ljax.from_schedule(core, dtype=jnp.float64)
    with pytest.raises(ValueError, match="dtype"):
        ljax.from_schedule(core, dtype=jnp.int32)


def test_float64_with_x64_in_subprocess():
    code = (
        "import jax; jax.config.update('jax_enable_x64', True)\n"
        "import jax.numpy as jnp, numpy as np, lrcore, lrcore.jax as lj\n"
        "core = lrcore.cosine_restart(1.0, 10, period_mul=2.0)\n"
        "out = lj.from_schedule(core, dtype=jnp.float64)(jnp.arange(50))\n"
        "assert out.dtype == jnp.float64, out.dtype\n"
        "want = core(np.arange(50))\n"
        "assert np.max(np.abs(np.asarray(out) - want)) <= 4 * 2.0**-52, (out, want)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("schedule", [
    lrcore.cosine_decay(1.0, 250, 0.1, k_decay=0.5),
    lrcore.cosine_restart(0.3, 7, period_mul=1.7, whole_periods=False, k_decay=2.0),
    lrcore.polynomial_restart(1.0, 50, period_mul=1.5, power=2.0, k_decay=1.5),
    lrcore.cosine_decay(1.0, 300, exponent=30.0),
    lrcore.polynomial_decay(1.0, 0.0, 300, power=7.5),
], ids=repr)
def test_float64_keeps_the_float64_promise(schedule):
    """With x64, ``from_schedule(..., dtype=jnp.float64)`` is within 4·2⁻⁵²·M of the exact value,
    as NumPy is: XLA's own float64 ``log1p`` (k_decay's and the powers' logarithm near 1) erred by
    up to 240 ulp, 55 units of the promise."""
    steps = np.arange(0, 600)
    want = reference.values_of(schedule.to_dict(), steps)
    with jax.enable_x64(True):
        f = ljax.from_schedule(schedule, dtype=jnp.float64)
        for got in (f(jnp.asarray(steps)), jax.jit(f)(jnp.asarray(steps))):
            assert got.dtype == jnp.float64
            assert_ulp_close(np.asarray(got), want, 64, context=repr(schedule))


def test_jit_zero_d_and_array_steps_differ_at_most_in_the_last_bit_where_xla_fuses_a_multiply_add():
    """docs/step.md: under ``jax.jit`` on CPU, XLA may contract ``a·x + b·y`` into a fused
    multiply-add in an array's code and not in a 0-d step's; the two differ by at most one unit in
    the last place, each within the promise (a restart's warmup with real cycle lengths and a
    nonzero end_value showed it)."""
    from tests import reference

    for s in (
        lrcore.polynomial_restart(1.0, 7, period_mul=1.5, end_value=0.01, warmup_steps=6, whole_periods=False),
        lrcore.tanh_restart(0.9, 13, period_mul=1.3, end_value=0.03, warmup_steps=3, whole_periods=False),
    ):
        f = jax.jit(lrcore.jax.from_schedule(s))
        steps = np.arange(300)
        array = np.asarray(f(jnp.asarray(steps, dtype=jnp.int32)))
        alone = np.asarray([f(jnp.int32(k)) for k in steps], dtype=np.float32)
        single = np.asarray([f(jnp.asarray([k], dtype=jnp.int32))[0] for k in steps], dtype=np.float32)
        bits = [v.view(np.int32).astype(np.int64) for v in (array, alone, single)]
        assert max(np.max(np.abs(a - b)) for a in bits for b in bits) <= 1, s
        want = reference.values_of(s.to_dict(), steps)
        for got in (array, alone, single):
            assert np.max(np.abs(got.astype(np.float64) - want)) <= 4 * 2.0**-23 * np.max(np.abs(want)), s
