"""lrcore.numpy: a float for a Python int, float64 arrays of the step's shape, equal to the core."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings

import lrcore
import lrcore.numpy as lnp

from . import examples, reference
from . import strategies as S


@pytest.mark.parametrize("name", S.LEAVES)
def test_each_schedule_matches_the_core(name):
    @settings(max_examples=8)
    @given(S.kwargs_for(name))
    def check(kwargs):
        core = getattr(lrcore, name)(**kwargs)
        adapted = getattr(lnp, name)(**kwargs)
        value = adapted(5)
        assert type(value) is float and value == float(core(5))
        for shape in [(), (7,), (2, 3)]:
            steps = np.asarray(np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape) * 13 - 3)
            got = adapted(steps)
            assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == shape
            assert np.array_equal(got, np.asarray(core(steps)))

    check()


def test_combinators_and_from_schedule():
    base = lrcore.cosine_decay(1.0, decay_steps=20)
    steps = np.arange(-2, 40)
    cases = [
        (lnp.join([lnp.constant(0.5), lnp.cosine_decay(1.0, 20)], [10]), lrcore.join([lrcore.constant(0.5), base], [10])),
        (lnp.warmup(base, 5), lrcore.warmup(base, 5)),
        (lnp.scale(lnp.cosine_decay(1.0, 20), 3.0), 3.0 * base),
        (lnp.clip(base, min_value=0.2), lrcore.clip(base, min_value=0.2)),
        (lnp.from_schedule(base), base),
    ]
    for adapted, core in cases:
        assert adapted.schedule == core
        assert np.array_equal(adapted(steps), core(steps))
        assert type(adapted(3)) is float


def test_step_kinds():
    s = lnp.linear(0.0, 1.0, transition_steps=10)
    assert type(s(np.int64(5))) is float or isinstance(s(np.int64(5)), np.floating)
    got = s(np.asarray([2.7, -1.0, 12.0]))  # float steps are floored; negative is step 0
    assert np.array_equal(got, np.asarray(lrcore.linear(0.0, 1.0, 10)(np.asarray([2, 0, 12]))))
    assert s(np.asarray(5, dtype=np.int32)).dtype == np.float64
    assert s(np.asarray(5)).shape == ()


@pytest.mark.parametrize("name", lrcore.SCHEDULES)
def test_signatures_match_core(name):
    got = inspect.signature(getattr(lnp, name))
    assert got.parameters == inspect.signature(getattr(lrcore, name)).parameters
    assert got.return_annotation is lnp.NumpySchedule


CASES = {label: (schedule, landmarks) for label, schedule, landmarks in examples.examples()}


@pytest.mark.parametrize("label", CASES, ids=examples.case_id)
def test_every_configuration_built_here_is_the_core_bit_for_bit(label):
    """Every configuration of the tests' table (combinators included), built with this adapter's factory."""
    schedule, landmarks = CASES[label]
    adapted = getattr(lnp, schedule.name)(**schedule.params)
    assert isinstance(adapted, lnp.NumpySchedule) and adapted.schedule == schedule
    near = {b + d for b in landmarks for d in (-1, 0, 1) if b + d < 2**63}
    steps = np.asarray(sorted({*range(-2, 40), *near}), dtype=np.int64)
    np.testing.assert_array_equal(adapted(steps), schedule(steps))
    assert type(adapted(7)) is float and adapted(7) == float(schedule(7))


def test_a_bfloat16_evaluation_in_numpy_is_the_float32_one_rounded_once():
    """NumPy computes in ml_dtypes' bfloat16 (JAX's bfloat16 on the host), but its isdtype refused
    it: evaluate(xp=numpy, dtype=bfloat16) raised where torch and JAX give the float32 values rounded
    once, as docs/numerics.md says of a bfloat16 result."""
    import ml_dtypes
    import torch

    steps = np.arange(0, 3000, 7)
    for schedule in (lrcore.cosine_decay(1.0, 2000, end_value=1e-3), lrcore.onecycle(0.1, 2500),
                     lrcore.warmup(lrcore.exponential_decay(3.0, 100, 0.9), 50)):
        got = schedule.evaluate(steps, xp=np, dtype=ml_dtypes.bfloat16)
        assert got.dtype == np.dtype(ml_dtypes.bfloat16)
        want = schedule.evaluate(torch.from_numpy(steps), xp=torch, dtype=torch.bfloat16)
        assert np.array_equal(got.astype(np.float32), want.float().numpy())
        exact = np.asarray(reference.values_of(schedule.to_dict(), steps), dtype=np.float64)
        # one rounding to bfloat16 (half its spacing: 2**-8 relative) of a float32 value within the promise
        top = float(np.max(np.abs(exact)))
        assert np.all(np.abs(got.astype(np.float64) - exact) <= 2.0**-8 * np.abs(exact) + 8 * 2.0**-24 * top)
    with pytest.raises(TypeError, match="Argument `dtype` must be a real floating dtype"):
        lrcore.constant(1.0).evaluate(3, xp=np, dtype=ml_dtypes.float8_e4m3fn)
