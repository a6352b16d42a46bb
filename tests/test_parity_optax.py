"""Value-by-value parity with the real optax schedules (optax computes in float32 on int32 counts).

Each case compares optax's own values over hundreds of steps, including every boundary, with
``lrcore.numpy`` (float64) and ``lrcore.jax`` (float32, under jit).

Tolerance: optax rounds every float32 operation (a division, a ``pow``/``cos``, a multiply-add:
~4 roundings, each <= 1/2 ulp, and ``cos``/``pow`` amplify an argument error by at most
pi·max resp. max/e), so optax is within ~4 float32 ulp of the exact value measured against the
schedule's largest value; lrcore.numpy is exact to float64, so 4 float32 ulp bound the difference.
lrcore.jax carries its own promise (4 float32 ulp), so against optax the two add up to 8.
"""

from __future__ import annotations

import numpy as np
import optax
import pytest

import lrcore.jax
import lrcore.numpy
from tests.helpers import assert_ulp_close
from tests.peers import lrcore_jax_values, optax_values, steps_with_landmarks

NUMPY_ULPS = 4  # optax's float32 rounding only
JAX_ULPS = 8  # optax's float32 rounding + lrcore.jax's own float32 promise


def check(name, params, peer, steps, extra=0.0):
    """``extra`` widens the bound by an absolute amount where optax's float32 error is amplified
    (see test_polynomial)."""
    want = optax_values(peer, steps)
    got64 = getattr(lrcore.numpy, name)(**params)(steps)
    scale = np.max(np.abs(want))
    ulps64 = NUMPY_ULPS + extra / (2.0**-23 * scale)
    assert_ulp_close(got64, want, 32, ulps64, context=f"lrcore.numpy.{name}{params}")
    got32 = lrcore_jax_values(getattr(lrcore.jax, name)(**params), steps)
    assert_ulp_close(got32, want, 32, JAX_ULPS + ulps64 - NUMPY_ULPS, context=f"lrcore.jax.{name}{params}")


def _optax_exponential_decay(p: dict):
    """optax's exponential_decay with lrcore's parameters (``decay_steps`` is its ``transition_steps``)."""
    return optax.exponential_decay(
        init_value=p["init_value"],
        transition_steps=p["decay_steps"],
        decay_rate=p["decay_rate"],
        transition_begin=p.get("transition_begin", 0),
        staircase=p.get("staircase", False),
        end_value=p.get("end_value"),
    )


@pytest.mark.parametrize(
    "params",
    [
        dict(init_value=0.5, decay_steps=7, decay_rate=0.9),
        dict(init_value=0.5, decay_steps=7, decay_rate=0.9, staircase=True),
        dict(init_value=0.5, decay_steps=13, decay_rate=0.5, staircase=True, transition_begin=40),
        dict(init_value=0.5, decay_steps=10, decay_rate=0.8, transition_begin=25, end_value=0.05),
        dict(init_value=0.01, decay_steps=9, decay_rate=1.5, staircase=True, end_value=0.3),
    ],
)
def test_exponential_decay(params):
    p = dict(params)
    peer = _optax_exponential_decay(p)
    begin, d = p.get("transition_begin", 0), p["decay_steps"]
    check("exponential_decay", p, peer, steps_with_landmarks(300, *(begin + d * i for i in range(30))))


@pytest.mark.parametrize("begin", [0, 17])
def test_linear(begin):
    params = dict(init_value=0.2, end_value=1.3, transition_steps=150, transition_begin=begin)
    peer = optax.linear_schedule(0.2, 1.3, transition_steps=150, transition_begin=begin)
    check("linear", params, peer, steps_with_landmarks(300, begin, begin + 150))


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial(power):
    params = dict(init_value=1.0, end_value=0.1, decay_steps=200, power=power, transition_begin=30)
    peer = optax.polynomial_schedule(1.0, 0.1, power=power, transition_steps=200, transition_begin=30)
    # XLA may turn optax's `count / transition_steps` into a multiply by the float32 reciprocal, so
    # its `frac = 1 - count/T` is off by up to ~2 float32 ulp of 1 (it is not 0 at the last step).
    # For power < 1, x**power amplifies an error d in x near 0 into up to d**power: allow
    # (init - end)·(2·2^-24)**power on top of the ulp bound.
    extra = (1.0 - 0.1) * (2.0 * 2.0**-24) ** power if power < 1 else 0.0
    check("polynomial_decay", params, peer, steps_with_landmarks(320, 30, 230), extra)


@pytest.mark.parametrize(("end_value", "exponent"), [(0.0, 1.0), (0.1, 1.0), (0.05, 2.0), (0.2, 0.5)])
def test_cosine_decay(end_value, exponent):
    init = 0.8
    params = dict(init_value=init, decay_steps=250, end_value=end_value, exponent=exponent)
    peer = optax.cosine_decay_schedule(init, decay_steps=250, alpha=end_value / init, exponent=exponent)
    # As in test_polynomial: optax's float32 ½(1 + cos) is off by ~2 ulp of 1 near 0, and an
    # exponent < 1 amplifies an error d there into up to d**exponent.
    extra = (init - end_value) * (2.0 * 2.0**-24) ** exponent if exponent < 1 else 0.0
    check("cosine_decay", params, peer, steps_with_landmarks(320, 250), extra)


@pytest.mark.parametrize(("warmup", "exponent"), [(0, 1.0), (30, 1.0), (45, 3.0)])
def test_warmup_cosine_decay(warmup, exponent):
    params = dict(init_value=0.01, peak_value=1.0, warmup_steps=warmup, decay_steps=260, end_value=0.1, exponent=exponent)
    peer = optax.warmup_cosine_decay_schedule(**params)
    check("warmup_cosine_decay", params, peer, steps_with_landmarks(320, warmup, 260))


def test_join():
    parts = [
        dict(name="linear", params=dict(init_value=0.0, end_value=1.0, transition_steps=40)),
        dict(name="cosine_decay", params=dict(init_value=1.0, decay_steps=100, end_value=0.1)),
        dict(name="exponential_decay", params=dict(init_value=0.1, decay_steps=10, decay_rate=0.5, staircase=True)),
    ]
    boundaries = [40, 140]
    peer = optax.join_schedules(
        [
            optax.linear_schedule(0.0, 1.0, 40),
            optax.cosine_decay_schedule(1.0, 100, alpha=0.1),
            optax.exponential_decay(0.1, 10, 0.5, staircase=True),
        ],
        boundaries,
    )
    steps = steps_with_landmarks(300, *boundaries, *(140 + 10 * i for i in range(16)))
    want = optax_values(peer, steps)
    got64 = lrcore.numpy.join([getattr(lrcore, p["name"])(**p["params"]) for p in parts], boundaries)(steps)
    assert_ulp_close(got64, want, 32, NUMPY_ULPS)
    got32 = lrcore_jax_values(
        lrcore.jax.join([getattr(lrcore, p["name"])(**p["params"]) for p in parts], boundaries), steps
    )
    assert_ulp_close(got32, want, 32, JAX_ULPS)


@pytest.mark.parametrize(
    ("first_period", "period_mul", "peak_mul", "warmup", "end_value"),
    [(50, 1.0, 1.0, 0, 0.0), (40, 2.0, 0.5, 0, 0.1), (30, 2.0, 0.8, 5, 0.05), (20, 3.0, 1.0, 4, 0.0)],
)
def test_sgdr(first_period, period_mul, peak_mul, warmup, end_value):
    """optax ``sgdr_schedule`` is a join of warmup_cosine_decay cycles: cycle i has init = end_value,
    peak P_i, warmup W_i and decay_steps L_i. With integer T_i and W_i this is cosine_restart."""
    peak, kwargs, start, i = 1.0, [], 0, 0
    while start < 600:
        length = int(first_period * period_mul**i)
        kwargs.append(
            dict(
                init_value=end_value,
                peak_value=peak * peak_mul**i,
                warmup_steps=int(warmup * period_mul**i),
                decay_steps=length,
                end_value=end_value,
            )
        )
        start += length
        i += 1
    peer = optax.sgdr_schedule(kwargs)
    restarts = np.cumsum([k["decay_steps"] for k in kwargs])[:-1]
    params = dict(
        peak_value=peak,
        first_period=first_period,
        period_mul=period_mul,
        peak_mul=peak_mul,
        end_value=end_value,
        warmup_steps=warmup,
    )
    steps = steps_with_landmarks(int(restarts[-1]), *restarts)
    check("cosine_restart", params, peer, steps)
    # Both put the restart exactly on the step: the peak (or end_value with warmup) is hit there.
    at = lrcore.numpy.cosine_restart(**params)(restarts)
    start_values = np.where(warmup > 0, end_value, peak * peak_mul ** np.arange(1, len(restarts) + 1))
    np.testing.assert_array_equal(at, start_values)


def _piecewise_interpolate_linear():
    """optax ``piecewise_interpolate_schedule('linear', init, {b: scale})`` interpolates through
    (0, init), (b_i, init·prod(scales[:i+1])): lrcore ``piecewise_linear`` with the point (0, init)
    added and the cumulative products as values."""
    init, table = 0.5, {20: 2.0, 70: 0.5, 150: 0.1, 151: 3.0, 260: 0.2}
    peer = optax.piecewise_interpolate_schedule("linear", init, table)
    return peer, "piecewise_linear", [0, *table], list(np.cumprod([init, *table.values()])), 320


def _piecewise_constant():
    """optax ``piecewise_constant_schedule(init, {b: scale})`` switches AT step b (``count >= b``),
    like lrcore: same boundaries, values = cumulative products of the scales."""
    init, table = 0.3, {10: 0.5, 45: 0.1, 46: 4.0, 200: 0.25}
    peer = optax.piecewise_constant_schedule(init, table)
    return peer, "piecewise_constant", list(table), list(np.cumprod([init, *table.values()])), 300


@pytest.mark.parametrize("case", [_piecewise_interpolate_linear, _piecewise_constant], ids=lambda f: f.__name__[1:])
def test_piecewise(case):
    peer, name, boundaries, values, n = case()
    steps = steps_with_landmarks(n, *boundaries)
    want = optax_values(peer, steps)
    assert_ulp_close(getattr(lrcore.numpy, name)(boundaries, values)(steps), want, 32, NUMPY_ULPS)
    got32 = lrcore_jax_values(getattr(lrcore.jax, name)(boundaries, values), steps)
    assert_ulp_close(got32, want, 32, JAX_ULPS)


@pytest.mark.parametrize(
    "params",
    [
        dict(init_value=0.01, decay_steps=9, decay_rate=1.5),
        dict(init_value=1e-6, decay_steps=4, decay_rate=2.0, staircase=True),
        dict(init_value=0.3, decay_steps=1, decay_rate=1.01, transition_begin=20),
    ],
)
def test_exponential_growth_without_ceiling(params):
    """decay_rate > 1 without end_value grows as optax's exponential_decay does, value by value.

    Measured against each value (the growth's own scale): optax's float32 ``rate ** p`` amplifies
    the rounding of its argument ``p·ln(rate)`` into ``|p·ln(rate)|`` float32 ulp of the value, and
    the rounding of its float32 ``rate`` p times, on top of ~4 ulp of rounding; lrcore.jax is within
    4 ulp of the exact value itself."""
    p = dict(params)
    peer = _optax_exponential_decay(p)
    steps = np.arange(300)
    want = optax_values(peer, steps)
    j = np.maximum(steps - p.get("transition_begin", 0), 0)
    power = j // p["decay_steps"] if p.get("staircase") else j / p["decay_steps"]
    x = power * np.log(p["decay_rate"])
    # ... and optax's float32 rate carries its rounding into rate**p p times over.
    rate_error = abs(float(np.float32(p["decay_rate"])) - p["decay_rate"]) / p["decay_rate"]
    bound = ((4 + x) * 2.0**-23 + power * rate_error) * np.abs(want)
    got64 = lrcore.numpy.exponential_decay(**p)(steps)
    np.testing.assert_array_less(np.abs(got64 - want), bound + 1e-300)
    got32 = lrcore_jax_values(lrcore.jax.exponential_decay(**p), steps)
    np.testing.assert_array_less(np.abs(got32 - want), bound + 4 * 2.0**-23 * np.abs(want) + 1e-300)
    assert got64[-1] > 10 * got64[0]
