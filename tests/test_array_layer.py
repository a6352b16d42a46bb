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


@pytest.mark.parametrize(
    "step, cls",
    [
        (np.arange(3), _array.Ops),
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
