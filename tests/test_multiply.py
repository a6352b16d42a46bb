"""``multiply`` (and ``a * b``): the product of schedules, value by value against torch's
``ChainedScheduler`` of real multiplicative schedulers.

``ChainedScheduler`` steps each scheduler in turn; each multiplies the current lr by its own
factor (the chainable form of ``ExponentialLR``, ``StepLR``, ``MultiStepLR``, ``ConstantLR``,
``MultiplicativeLR``, ``LinearLR``), so the lr of update n is the base lr times the product of the
factors at n. Torch computes it step by step in float64, so its rounding errors add up: the bound
grows by ``PER_STEP`` float64 ulp of the largest value per step (as in test_parity_torch.py).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as sched

import lrcore
import lrcore.jax
import lrcore.numpy
import lrcore.torch
from tests.helpers import assert_ulp_close
from tests.peers import drive_torch, lrcore_jax_values

CLOSED, PER_STEP = 8, 8
N = 200


def chained(n: int) -> float:
    return CLOSED + PER_STEP * n


def _factor_exponential(gamma):
    return lrcore.exponential_decay(1.0, decay_steps=1, decay_rate=gamma)


CASES = {
    "exponential-step": (
        lambda o: [sched.ExponentialLR(o, gamma=0.97), sched.StepLR(o, step_size=7, gamma=0.5)],
        [_factor_exponential(0.97), lrcore.exponential_decay(1.0, 7, 0.5, staircase=True)],
    ),
    "multistep-exponential": (
        lambda o: [sched.MultiStepLR(o, milestones=[10, 25, 120], gamma=0.1), sched.ExponentialLR(o, gamma=0.99)],
        [lrcore.piecewise_constant([10, 25, 120], [1.0, 0.1, 0.01, 0.001]), _factor_exponential(0.99)],
    ),
    "constant-multiplicative-step": (
        lambda o: [
            sched.ConstantLR(o, factor=0.25, total_iters=12),
            sched.MultiplicativeLR(o, lr_lambda=lambda epoch: 0.98),
            sched.StepLR(o, step_size=50, gamma=0.3),
        ],
        [
            lrcore.piecewise_constant([12], [0.25, 1.0]),
            _factor_exponential(0.98),
            lrcore.exponential_decay(1.0, 50, 0.3, staircase=True),
        ],
    ),
    "linear-exponential": (
        lambda o: [sched.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=30), sched.ExponentialLR(o, gamma=0.985)],
        [lrcore.linear(0.1, 1.0, 30), _factor_exponential(0.985)],
    ),
}


def _torch_chained(make_list, lr):
    return drive_torch(lambda o: sched.ChainedScheduler(make_list(o)), N, lr=lr)


@pytest.mark.parametrize("lr", [1.0, 0.03])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_chained_scheduler(name, lr):
    make_list, factors = CASES[name]
    want = _torch_chained(make_list, lr)
    product = lrcore.multiply([lrcore.constant(lr), *factors])
    steps = np.arange(N)
    got64 = lrcore.numpy.from_schedule(product)(steps)
    assert_ulp_close(got64, want, 64, chained(N), context=f"lrcore.numpy {name}")
    # float32 backends: their own promise (4 float32 ulp per factor) bounds the difference.
    ulps32 = 4 * (len(factors) + 1)
    assert_ulp_close(lrcore_jax_values(lrcore.jax.from_schedule(product), steps), want, 32, ulps32, context=f"jax {name}")
    got_torch = lrcore.torch.from_schedule(product)(torch.as_tensor(steps)).double().numpy()
    assert_ulp_close(got_torch, want, 32, ulps32, context=f"torch {name}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_lrcore_scheduler_of_a_product_matches_chained_scheduler(name):
    """The torch scheduler driven by a product gives ChainedScheduler's learning rates."""
    make_list, factors = CASES[name]
    want = _torch_chained(make_list, 0.5)
    product = lrcore.multiply([lrcore.constant(0.5), *factors])
    got = drive_torch(lambda o: lrcore.torch.scheduler(o, product), N, lr=0.5)
    assert_ulp_close(got, want, 32, 4 * (len(factors) + 1), context=name)
    # mode="relative" multiplies the optimizer's lr by the product of the factors, as ChainedScheduler does.
    got_rel = drive_torch(lambda o: lrcore.torch.scheduler(o, lrcore.multiply(factors), mode="relative"), N, lr=0.5)
    assert_ulp_close(got_rel, want, 32, 4 * len(factors), context=f"relative {name}")


def test_product_operator():
    a = lrcore.exponential_decay(0.1, 1, 0.9)
    b = lrcore.piecewise_constant([3], [1.0, 0.5])
    c = lrcore.cosine_decay(1.0, 10)
    assert a * b == lrcore.multiply([a, b])
    assert a * b * c == lrcore.multiply([lrcore.multiply([a, b]), c])
    # schedule * number stays scale, from either side
    assert a * 2.0 == lrcore.scale(a, 2.0) and 2.0 * a == lrcore.scale(a, 2.0)
    assert (a * b).name == "multiply" and (a * 3).name == "scale"
    for k in [0, 2, 3, 4, 9]:
        assert float((a * b)(k)) == float(a(k)) * float(b(k))
    with pytest.raises(TypeError):
        a * "2"
    with pytest.raises(TypeError):
        a * lrcore.plateau()


def test_multiply_of_adapter_schedules_and_single_factor():
    a = lrcore.jax.exponential_decay(0.1, 1, 0.9)
    b = lrcore.torch.constant(0.5)
    # Objects of one adapter give that adapter's object (tests/test_composition.py); of two, an error.
    s = lrcore.multiply([a, lrcore.jax.from_schedule(b.schedule)])
    assert type(s) is lrcore.jax.JaxSchedule and s.schedule == lrcore.multiply([a.schedule, b.schedule])
    with pytest.raises(TypeError, match="JaxSchedule and TorchSchedule"):
        lrcore.multiply([a, b])
    assert type(lrcore.multiply([a.schedule, b.schedule])) is lrcore.Schedule
    one = lrcore.multiply([lrcore.linear(1.0, 0.0, 10)])
    np.testing.assert_array_equal(one(np.arange(12)), lrcore.linear(1.0, 0.0, 10)(np.arange(12)))


def test_multiply_serializes_and_pickles():
    s = lrcore.multiply([lrcore.warmup(lrcore.constant(1.0), 5), lrcore.cosine_restart(0.1, 20, 2.0)])
    d = s.to_dict()
    assert d["name"] == "multiply" and [c["name"] for c in d["params"]["schedules"]] == ["warmup", "cosine_restart"]
    assert lrcore.from_dict(d) == s
    assert pickle.loads(pickle.dumps(s)) == s
    steps = np.arange(100)
    np.testing.assert_array_equal(lrcore.from_dict(d)(steps), s(steps))


def test_multiply_in_every_adapter_under_jit():
    import jax

    s = lrcore.jax.multiply([lrcore.exponential_decay(1.0, 1, 0.9), lrcore.piecewise_constant([3], [2.0, 1.0])])
    got = np.asarray(jax.jit(s)(np.arange(6, dtype=np.int32)), dtype=np.float64)
    want = [0.9**k * (2.0 if k < 3 else 1.0) for k in range(6)]
    np.testing.assert_allclose(got, want, rtol=4 * 2.0**-23)


def test_product_algebra_on_every_backend(backend):
    """multiply by a constant is scale, bit for bit; the product commutes, bit for bit."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests import strategies as S

    @settings(max_examples=15)
    @given(S.leaf_schedules(), S.leaf_schedules(), S.levels(-4.0, 4.0), S.steps(backend.max_step))
    def check(a, b, c, steps):
        steps = np.asarray(steps, dtype=np.int64)
        ab, ba = backend.evaluate(a * b, steps), backend.evaluate(b * a, steps)
        np.testing.assert_array_equal(ab, ba)
        np.testing.assert_array_equal(backend.evaluate(lrcore.multiply([a, lrcore.constant(c)]), steps),
                                      backend.evaluate(a * c, steps))

    check()
