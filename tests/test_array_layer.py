"""The array layer: one Ops class per namespace, chosen once; its fast paths give the generic results."""

from __future__ import annotations

import array_api_strict
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import lrcore
from lrcore import _array
from lrcore.backends import tf_namespace as tnp
from tests import examples


@pytest.mark.parametrize(
    "step, cls",
    [
        (np.arange(3), _array._NumpyOps),
        (array_api_strict.asarray([0, 1, 2]), _array.Ops),
        (jnp.arange(3), _array._XlaOps),
        (torch.arange(3), _array._TorchOps),
    ],
    ids=["numpy", "array-api-strict", "jax", "torch"],
)
def test_prepare_picks_the_namespace_class(step, cls):
    ops = _array.prepare(step)[1]
    assert type(ops) is cls


def test_tf_shim_gets_its_class():
    ops = _array.prepare(tnp.asarray([0, 1, 2]), xp=tnp)[1]
    assert type(ops) is _array._TfOps


def _ops(xp, step):
    return _array.prepare(step, xp=xp)[1]


def test_integer_range_methods_at_the_int32_edge():
    ops = _ops(jnp, jnp.arange(3, dtype=jnp.int32))
    top = 2**31 - 1
    assert ops.max_step == top and ops.in_range(top) and not ops.in_range(top + 1)
    assert int(ops.landmark(top + 10)) == top
    assert [int(x) for x in ops.landmarks([5, top, 2**40])] == [5, top, top]
    k = jnp.asarray([0, 7, top], dtype=jnp.int32)
    np.testing.assert_array_equal(ops.mod(k, 7), [0, 0, top % 7])
    np.testing.assert_array_equal(ops.mod(k, 2**40), k)  # a period past the range never ends
    np.testing.assert_array_equal(ops.floordiv(k, 7), [0, 1, top // 7])
    np.testing.assert_array_equal(ops.lt(k, 2**40), [True, True, True])


@pytest.mark.parametrize("n", [1, 5, 128, 129, 300])
def test_xla_chain_and_search_agree_bit_for_bit(n, monkeypatch):
    """Tables up to the chain size are fused comparison/select chains under XLA, larger ones a
    binary search: both give the same bits (checked by forcing each on the same table)."""
    rng = np.random.default_rng(n)
    bounds = sorted(int(b) for b in rng.choice(10**6, size=n, replace=False))
    values = list(rng.uniform(0.1, 1.0, size=n + 1))
    steps = jnp.asarray(np.concatenate([bounds, np.asarray(bounds) - 1, rng.integers(0, 10**6, 500)]), dtype=jnp.int32)
    out = {}
    for chain in (10**6, 0):
        monkeypatch.setattr(_array, "_XLA_CHAIN", chain)
        pc = lrcore.jax.piecewise_constant(bounds, values)
        pl = lrcore.jax.piecewise_linear(bounds, values[:n])
        out[chain] = [np.asarray(jax.jit(f)(steps)) for f in (pc, pl)]
    for a, b in zip(out[10**6], out[0]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bounds", [[3, 10, 2**40], [0, 3, 10, 2**40], [0]], ids=["past-range", "at-zero", "only-zero"])
def test_pieces_index_and_pick_match_numpy(bounds):
    # 2**40 is past the int32 range (never reached); a boundary at 0 holds for every step.
    table = [float(i + 1) for i in range(len(bounds) + 1)]
    k_np = np.arange(-2, 15)
    want_index = np.searchsorted(np.asarray(bounds), np.maximum(k_np, 0), side="right")
    for xp, step in ((np, k_np), (jnp, jnp.asarray(k_np, dtype=jnp.int32)), (torch, torch.asarray(k_np))):
        k, ops = _array.prepare(step)[:2]
        piece = ops.locate(bounds, k)
        np.testing.assert_array_equal(np.asarray(piece.index), want_index)
        np.testing.assert_array_equal(np.asarray(piece.pick(ops.floats(table))), np.asarray(table)[want_index])


@pytest.mark.parametrize("exponent", [2.0, 3.0, 4.0])
def test_small_integer_powers_are_products(exponent):
    x = np.linspace(0.0, 1.0, 1001)
    ops = _ops(np, x)
    got = ops.pow_unit(x, exponent)
    want = {2.0: x * x, 3.0: (x * x) * x, 4.0: (x * x) * (x * x)}[exponent]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, x**exponent, rtol=4 * np.finfo(np.float64).eps, atol=0)


def _block_steps(landmarks):
    """More than two NumPy blocks of steps: every landmark and its neighbours, a dense run from 0,
    a negative step and steps near the int64 maximum."""
    block = _array._NUMPY_BLOCK
    near = [m + d for m in landmarks for d in (-1, 0, 1)]
    dense = list(range(2 * block + 7))
    return np.asarray([*near, *dense, -5, 2**62, 2**63 - 1], dtype=np.int64)


@pytest.mark.parametrize("name, schedule, landmarks", examples.examples(), ids=[examples.case_id(e[0]) for e in examples.examples()])
def test_numpy_blocks_give_the_generic_bits(name, schedule, landmarks):
    """NumPy evaluates large step arrays in blocks with its own class: every schedule of the table
    gives exactly the generic class's result on the whole array (float64 and float32, 1-D and 2-D)."""
    steps = _block_steps(landmarks)
    assert steps.size > 2 * _array._NUMPY_BLOCK
    for dtype in (np.float64, np.float32):
        got = schedule.evaluate(steps, xp=np, dtype=dtype)
        generic = _array.Ops(np, np.int64, dtype)
        want = schedule.evaluate_with(np.maximum(steps, 0), generic)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)
    square = steps[: (steps.size // 2) * 2].reshape(2, -1)
    np.testing.assert_array_equal(schedule(square), schedule(square.ravel()).reshape(square.shape))


def test_numpy_blocks_keep_nan_steps_and_leave_the_steps_alone():
    steps = np.arange(3 * _array._NUMPY_BLOCK, dtype=np.float64) - 3.0
    steps[[7, 20_000, -1]] = np.nan
    before = steps.copy()
    s = lrcore.cosine_decay(1.0, 30_000, end_value=0.1)
    got = s(steps)
    np.testing.assert_array_equal(steps, before)
    assert np.isnan(got[[7, 20_000, -1]]).all() and np.isnan(got).sum() == 3
    finite = ~np.isnan(steps)
    np.testing.assert_array_equal(got[finite], s(steps[finite].astype(np.int64)))
    ints = np.arange(3 * _array._NUMPY_BLOCK, dtype=np.int64)  # non-negative: evaluated without a copy
    s(ints)
    np.testing.assert_array_equal(ints, np.arange(3 * _array._NUMPY_BLOCK, dtype=np.int64))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_numpy_cos_halves_are_the_generic_bits(dtype):
    """The NumPy class's in-place cosine halves round exactly like the generic code, for every
    distance to the nearer end (ends, the quarter where the formula switches, and random ones)."""
    rng = np.random.default_rng(7)
    quarter = np.nextafter(dtype(0.25), [dtype(0), dtype(1)]).astype(dtype)
    t = np.concatenate([np.asarray([0.0, 0.25, 0.5], dtype), quarter, rng.uniform(0, 0.5, 5000).astype(dtype)])
    first = rng.random(t.size) < 0.5
    fast = _array._NumpyOps(np, np.int64, dtype)
    generic = _array.Ops(np, np.int64, dtype)
    for got, want in zip(fast._cos_halves(t, first), generic._cos_halves(t, first)):
        assert got.dtype == want.dtype == dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("j_d", [(0, 7), (7, 7), (3, 7), (4, 8), (1, 1), (0, 1)])
def test_cos_fraction_is_cos_half_of_fraction(j_d):
    """``cos_fraction(j, d)`` is ``cos_half(*fraction(j, d))`` bit for bit on every namespace."""
    j, d = j_d
    for xp, k in ((np, np.arange(d + 1)), (jnp, jnp.arange(d + 1)), (torch, torch.arange(d + 1)),
                  (array_api_strict, array_api_strict.arange(d + 1))):
        ops = _array.prepare(k)[1]
        for a, b in zip(ops.cos_fraction(k, d), ops.cos_half(*ops.fraction(k, d))):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        ops0 = _array.prepare(xp.asarray(j))[1]
        for a, b in zip(ops0.cos_fraction(xp.asarray(j), d), ops0.cos_half(*ops0.fraction(xp.asarray(j), d))):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
