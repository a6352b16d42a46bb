"""``noise``: the counter-based hash behind it gives the same bits on every backend and integer dtype,
and its draws have the distribution they claim (uniform, or a normal truncated to ``|n| <= pct``),
independent from step to step and from seed to seed. Exact values against the reference are in
``tests/test_reference_values.py`` and ``tests/test_precision.py`` (the ``noise`` entry of the table).

The statistics are computed on fixed steps and seeds: each test is deterministic, with bounds of
five to six standard errors of the statistic."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
import torch

import lrcore
from lrcore import _array
from lrcore import stochastic as noise_module
from lrcore.backends import tf_namespace as tnp
from tests import examples

N = 2**17
SEEDS = [0, 42, 43, 2**64 - 1]


def hashes(steps, seed: int, xp=np, dtype="int64") -> np.ndarray:
    """lrcore's 30-bit hash of ``(seed, step)`` for each step, evaluated in namespace ``xp``."""
    array = {np: np.asarray, jnp: jnp.asarray, torch.asarray: torch.asarray}.get(xp, tnp.asarray)
    step = array(np.asarray(steps, dtype=dtype))
    k, ops = _array.prepare(step, xp=tnp if xp is tnp else None)[:2]
    return np.asarray(noise_module._hash(ops, k, seed)).astype(np.int64)


def draws(distribution: str, steps, seed: int = 42, pct: float = 0.67, std: float = 1.0) -> np.ndarray:
    kwargs = dict(std=std) if distribution == "normal" else {}
    s = lrcore.noise(lrcore.constant(1.0), pct=pct, seed=seed, distribution=distribution, **kwargs)
    return s(np.asarray(steps, dtype=np.int64)) - 1.0


HUGE = [0, 1, 2**24 + 1, 2**30 - 1, 2**30, 2**31 - 1, 2**31, 2**40 + 3, 2**60, 2**62 + 12345, 2**63 - 1]


@pytest.mark.parametrize("seed", SEEDS)
def test_noise_hash_is_the_reference_on_every_namespace(seed):
    """The same 30-bit hash as the plain-Python reference, on NumPy, JAX (int32), PyTorch and the
    TensorFlow shim, at small and huge steps (int32 up to 2**31 - 1)."""
    small = list(range(300)) + [h for h in HUGE if h < 2**31]
    want_small = [examples._noise_hash(seed, k) for k in small]
    want_huge = [examples._noise_hash(seed, k) for k in HUGE]
    assert hashes(HUGE, seed).tolist() == want_huge
    assert hashes(HUGE, seed, xp=torch.asarray).tolist() == want_huge
    assert hashes(HUGE, seed, xp=tnp).tolist() == want_huge
    assert hashes(small, seed, xp=jnp, dtype="int32").tolist() == want_small


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("start", [0, 2**31 - N, 2**52, 2**63 - N])
def test_noise_hash_is_uniform(seed, start):
    """256 bins of the hash over 2**17 consecutive steps: chi-square with 255 degrees of freedom
    (mean 255, standard deviation 22.6) below 400; and every output bit set half the time."""
    h = hashes(np.arange(start, start + N, dtype=np.int64), seed)
    counts = np.bincount(h >> 22, minlength=256)
    chi2 = float(np.sum((counts - N / 256) ** 2 / (N / 256)))
    assert chi2 < 400, chi2
    bits = (h[:, None] >> np.arange(30)) & 1
    assert np.all(np.abs(bits.mean(axis=0) - 0.5) < 6 * 0.5 / math.sqrt(N)), bits.mean(axis=0)


def test_noise_hash_avalanche():
    """Flipping one bit of the step (any of its 63) or of the seed flips each of the 30 output
    bits about half the time."""
    rng = np.random.default_rng(0)
    steps = rng.integers(0, 2**62, size=4096, dtype=np.int64)
    base = hashes(steps, 42)
    for bit in range(63):
        flipped = hashes(steps ^ np.int64(1 << bit), 42)
        rate = float(np.mean(((base ^ flipped)[:, None] >> np.arange(30)) & 1))
        assert 0.47 < rate < 0.53, (bit, rate)
    for seed in (43, 42 ^ (1 << 40)):
        rate = float(np.mean(((base ^ hashes(steps, seed))[:, None] >> np.arange(30)) & 1))
        assert 0.47 < rate < 0.53, (seed, rate)


def _truncated_normal_std(a: float) -> float:
    """The standard deviation of a standard normal truncated to [-a, a]."""
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    return math.sqrt(1 - 2 * a * phi / math.erf(a / math.sqrt(2)))


@pytest.mark.parametrize(("distribution", "pct", "std"), [
    ("uniform", 0.67, 1.0), ("uniform", 0.1, 1.0), ("normal", 0.67, 1.0), ("normal", 0.5, 0.2),
    ("normal", 0.9, 5.0), ("normal", 1.0, 0.05)])
def test_noise_distribution(distribution, pct, std):
    """Mean 0 and the claimed spread: ``pct/sqrt(3)`` (uniform), or the truncated normal's
    ``std · sd(a)`` with ``a = pct/std``; never beyond ``pct``; the empirical distribution function
    within a Kolmogorov-Smirnov distance of 2/sqrt(n) of the exact one."""
    n = draws(distribution, np.arange(N), pct=pct, std=std)
    assert np.max(np.abs(n)) <= pct * (1 + 1e-12)
    if distribution == "uniform":
        sd = pct / math.sqrt(3)
        cdf = lambda x: (x + pct) / (2 * pct)  # noqa: E731
    else:
        a = pct / std
        sd = std * _truncated_normal_std(a)
        big = math.erf(a / math.sqrt(2))
        cdf = lambda x: (big + np.vectorize(math.erf)(x / std / math.sqrt(2))) / (2 * big)  # noqa: E731
    assert abs(float(np.mean(n))) < 5 * sd / math.sqrt(N)
    assert abs(float(np.std(n)) / sd - 1) < 0.01
    x = np.sort(n)
    ks = float(np.max(np.abs(cdf(x) - np.arange(1, N + 1) / N)))
    assert ks < 2 / math.sqrt(N), ks


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
def test_noise_independent_between_steps_and_seeds(distribution):
    """Autocorrelation at lags 1 to 8, and the correlation between seeds (the same steps, and steps
    one apart), all within five standard errors of 0."""
    steps = np.arange(N)
    bound = 5 / math.sqrt(N)
    n = draws(distribution, steps)
    for lag in range(1, 9):
        assert abs(np.corrcoef(n[:-lag], n[lag:])[0, 1]) < bound, lag
    other = draws(distribution, steps, seed=43)
    assert abs(np.corrcoef(n, other)[0, 1]) < bound
    assert abs(np.corrcoef(n[:-1], other[1:])[0, 1]) < bound
    assert abs(np.corrcoef(n, draws(distribution, steps ^ 1, seed=43))[0, 1]) < bound


def test_noise_is_a_pure_function_of_the_step():
    """The same value cold, in an array, after other steps, and after a to_dict round trip; only
    inside [begin, end)."""
    s = lrcore.noise(lrcore.cosine_decay(1.0, 1000), pct=0.3, seed=5, begin=100, end=900)
    steps = np.arange(0, 1000, 7)
    together = s(steps)
    alone = np.asarray([float(s(int(k))) for k in steps])
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(lrcore.from_dict(s.to_dict())(steps), together)
    inner = lrcore.cosine_decay(1.0, 1000)(steps)
    off = (steps < 100) | (steps >= 900)
    np.testing.assert_array_equal(together[off], inner[off])
    assert np.all(together[~off] != inner[~off])


@pytest.mark.parametrize("kwargs", [dict(), dict(pct=1.0), dict(pct=1.0, std=1000.0), dict(pct=1.0, std=0.01),
                                    dict(distribution="uniform", pct=1.0)], ids=repr)
@pytest.mark.parametrize("namespace, dtype", [(np, np.float16), (torch, torch.float16), (torch, torch.bfloat16),
                                              (jnp, jnp.float16), (jnp, jnp.bfloat16)],
                         ids=["numpy-float16", "torch-float16", "torch-bfloat16", "jax-float16", "jax-bfloat16"])
def test_noise_in_a_half_precision_dtype_is_finite_and_keeps_the_sign(kwargs, namespace, dtype):
    """In float16 and bfloat16 the draw is made in float32 (float16 cannot hold 2**30 or the quantile's
    coefficients; rounding a draw of -pct to half precision could pass -1) and the result rounded once:
    finite, >= 0, and the float32 value to within the half-precision rounding of 1 + n."""
    s = lrcore.noise(lrcore.constant(1.0), seed=7, **kwargs)
    steps = np.arange(2**16)
    out = s.evaluate(namespace.asarray(steps), dtype=dtype)
    got = np.asarray(out.float() if namespace is torch else out.astype(np.float32))
    want = np.asarray(s.evaluate(steps, dtype=np.float32))
    eps = float(namespace.finfo(dtype).eps)
    assert np.isfinite(got).all() and (got >= 0).all()
    np.testing.assert_allclose(got, want, rtol=eps, atol=0)


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
@pytest.mark.parametrize("kwargs", [{}, {"pct": 0.3, "begin": 10, "end": 1900}, {"pct": 1.0, "seed": 7}])
def test_noise_under_jit_gives_one_value_per_step_in_any_shape(distribution, kwargs):
    """docs/step.md: within one mode a step has one value, alone or in an array. Under ``jax.jit``
    the normal quantile's ``q·q`` was regrouped by XLA for a 0-d step and short arrays only
    (about 49 of 2000 steps differed in the last bit)."""
    import jax

    import lrcore.jax

    n = 2000
    if distribution == "normal" and kwargs:
        kwargs = {**kwargs, "std": 0.5 if kwargs["pct"] < 1.0 else 3.0}
    for base in (lrcore.constant(1.0), lrcore.constant(0.37), lrcore.cosine_decay(1.0, 500)):
        schedule = lrcore.noise(base, distribution=distribution, **kwargs)
        f = jax.jit(lrcore.jax.from_schedule(schedule))
        whole = np.asarray(f(jnp.arange(n, dtype=jnp.int32)))
        alone = np.array([np.asarray(f(jnp.int32(k))) for k in range(n)], dtype=np.float32)
        one = np.array([np.asarray(f(jnp.array([k], dtype=jnp.int32)))[0] for k in range(0, n, 7)], dtype=np.float32)
        np.testing.assert_array_equal(alone.view(np.int32), whole.view(np.int32))
        np.testing.assert_array_equal(one.view(np.int32), whole[::7].view(np.int32))
        for size in (2, 3, 8, 33, 257):
            np.testing.assert_array_equal(np.asarray(f(jnp.arange(1000, 1000 + size, dtype=jnp.int32))),
                                          whole[1000:1000 + size])
