"""Hostile inputs: a schedule owns its parameters, never computes an inf or a NaN from finite ones,
and compares equal only to what evaluates the same.

- Array levels given to an adapter factory are copied when the schedule is built: writing to the
  array afterwards (a NumPy assignment, torch's in-place ``mul_``, ``tf.Variable.assign``) changes
  neither its values nor its ``repr``, hash or equality.
- Every number a schedule forms (a level, a product of children, a nested scale's intermediate, a
  quotient such as one-cycle's initial value, a held growth times a factor) fits the float dtype it
  is evaluated in, or the schedule is refused with a ``ValueError`` naming the parameter and the
  dtype: at construction where float64 cannot hold it, at evaluation (or adapter construction) for
  float32.
- ``==`` agrees with the hash and with the values: an array level compares by library, dtype and
  exact value.
"""

from __future__ import annotations

import math
import pickle

import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrcore
import lrcore.jax as lj
import lrcore.numpy as lnp
import lrcore.tf as ltf
import lrcore.torch as lt
from lrcore import validate as check
from lrcore.schedule import REGISTRY, register, unregister

from . import strategies as S

STEPS = np.array([0, 1, 2, 3, 29, 50, 99, 1000, 2**31 - 1])
F32_MAX = float(np.finfo(np.float32).max)


# -- a schedule owns its array levels ---------------------------------------------------------------
def _identity(s):
    """What must not change: the values (float64 and float32), repr, hash, and equality with a copy."""
    core = s.schedule
    return (
        core.evaluate(STEPS).tolist(),
        core.evaluate(STEPS, dtype=np.float32).tolist(),
        repr(core),
        hash(core),
        pickle.loads(pickle.dumps(core)) == core,
    )


def _mutable_levels():
    """(label, adapter module, a fresh array holding 0.5, how to overwrite it with 2.0 in place)."""

    def numpy_set(a):
        a[...] = 2.0

    def readonly_view():
        base = np.array(0.5)
        view = base.view()
        view.flags.writeable = False  # read-only, yet its base is not
        return view, lambda v: base.__setitem__(..., 2.0)

    return [
        ("numpy", lnp, lambda: (np.array(0.5), numpy_set)),
        ("numpy-float32", lnp, lambda: (np.array(0.5, dtype=np.float32), numpy_set)),
        ("numpy-readonly-view", lnp, readonly_view),
        ("torch-mul_", lt, lambda: (torch.tensor(0.5), lambda t: t.mul_(4.0))),
        ("torch-requires-grad", lt, lambda: (torch.tensor(0.5, requires_grad=True), lambda t: t.data.mul_(4.0))),
        ("torch-float64", lt, lambda: (torch.tensor(0.5, dtype=torch.float64), lambda t: t.fill_(2.0))),
        ("tf-variable", ltf, lambda: (tf.Variable(0.5), lambda v: v.assign(2.0))),
        ("tf-variable-float64", ltf, lambda: (tf.Variable(0.5, dtype=tf.float64), lambda v: v.assign(2.0))),
    ]


@pytest.mark.parametrize("case", _mutable_levels(), ids=lambda c: c[0])
@pytest.mark.parametrize(
    "build",
    [
        lambda m, a: m.onecycle(peak_value=a, total_steps=100),
        lambda m, a: m.warmup_cosine_decay(0.0, a, 10, 100, end_value=a),
        lambda m, a: m.piecewise_constant([3, 50], [a, 0.25, a]),
        lambda m, a: m.from_schedule(lrcore.scale(m.constant(a).schedule, 2.0)),
    ],
    ids=["onecycle", "warmup_cosine_decay", "piecewise_constant", "scale-of-constant"],
)
def test_writing_to_a_given_array_level_changes_nothing(case, build):
    _, module, make = case
    level, overwrite = make()
    s = build(module, level)
    before = _identity(s)
    level2, _ = make()
    twin = build(module, level2)  # built from an equal array
    assert twin.schedule == s.schedule and hash(twin.schedule) == hash(s.schedule)
    overwrite(level)
    assert float(level.detach() if isinstance(level, torch.Tensor) else level) == 2.0  # the given array did change
    assert _identity(s) == before
    assert twin.schedule == s.schedule and hash(twin.schedule) == hash(s.schedule)
    with pytest.raises(TypeError, match="cannot be serialized"):
        s.schedule.to_dict()


def test_a_snapshot_is_read_only_and_jax_arrays_are_kept():
    """The NumPy copy a schedule holds cannot be written through its params; a JAX array (never
    written to) is kept as it is, and a torch copy carries no autograd graph."""
    s = lnp.constant(np.array(0.5)).schedule
    with pytest.raises(ValueError, match="read-only"):
        s.params["value"][...] = 3.0
    a = jnp.asarray(0.5)
    assert lj.constant(a).schedule.params["value"] is a
    t = torch.tensor(0.5, requires_grad=True)
    kept = lt.constant(t).schedule.params["value"]
    assert kept is not t and not kept.requires_grad and float(kept) == 0.5


# -- no inf, no NaN from finite parameters ---------------------------------------------------------
def _refused(fn, name, dtype):
    with pytest.raises(ValueError) as info:
        fn()
    message = str(info.value)
    assert f"`{name}`" in message and dtype in message, message
    return message


def test_onecycle_initial_value_past_float32_is_refused():
    s = lrcore.onecycle(peak_value=1.0, total_steps=100, div_factor=1e-39)
    assert np.all(np.isfinite(s(STEPS)))  # float64 holds 1e39
    _refused(lambda: s.evaluate(STEPS, dtype=np.float32), "div_factor", "float32")
    for module in (lj, lt, ltf):
        _refused(lambda: module.onecycle(peak_value=1.0, total_steps=100, div_factor=1e-39), "div_factor", "float32")
    _refused(lambda: lrcore.onecycle(1.0, 100, div_factor=25.0, final_div_factor=1e-310), "final_div_factor", "float64")


def test_onecycle_levels_are_torchs_float64_levels_rounded_once():
    """The initial and final values are computed as torch computes them (float64), then rounded
    once to float32: the float32 curve starts at float32(P/d), not float32(P)/float32(d)."""
    s = lrcore.onecycle(peak_value=0.7, total_steps=100, div_factor=25.0, final_div_factor=7.0)
    assert np.float32(0.7) / np.float32(25.0) != np.float32(0.7 / 25.0)  # the two roundings differ here
    assert float(s.evaluate(0, dtype=np.float32)) == float(np.float32(0.7 / 25.0))
    assert float(s.evaluate(99, dtype=np.float32)) == float(np.float32(0.7 / 25.0 / 7.0))
    assert float(s(0)) == 0.7 / 25.0 and float(s(99)) == 0.7 / 25.0 / 7.0


def test_products_past_the_float_range_are_refused():
    big = lrcore.multiply([lrcore.constant(1e20)] * 2)
    assert float(big(0)) == 1e40
    _refused(lambda: big.evaluate(STEPS, dtype=np.float32), "schedules[1]", "float32")
    _refused(lambda: lj.from_schedule(big), "schedules[1]", "float32")
    # float64 cannot hold 1e400: refused when built, whatever it is evaluated in.
    _refused(lambda: lrcore.multiply([lrcore.constant(1e200)] * 2), "schedules[1]", "float64")
    _refused(lambda: lrcore.constant(1e200) * lrcore.constant(1e200), "schedules[1]", "float64")
    # A partial product past the range is refused even when a later factor brings it back.
    _refused(
        lambda: lrcore.multiply([lrcore.constant(1e20), lrcore.constant(1e20), lrcore.constant(1e-30)])
        .evaluate(STEPS, dtype=np.float32),
        "schedules[1]", "float32",
    )


def test_add_sums_past_the_float_range_are_refused():
    """A sum can pass each of its terms: it is bounded by the sum of their magnitudes, each partial
    sum checked (naming the term that makes it too large)."""
    big = lrcore.add([lrcore.constant(3e38), lrcore.constant(3e38)])
    assert float(big(0)) == 6e38
    _refused(lambda: big.evaluate(STEPS, dtype=np.float32), "schedules[1]", "float32")
    _refused(lambda: lj.from_schedule(big), "schedules[1]", "float32")
    _refused(lambda: lt.add([lt.constant(3e38), lt.constant(3e38)]), "schedules[1]", "float32")
    _refused(lambda: lrcore.add([lrcore.constant(1e308)] * 2), "schedules[1]", "float64")
    _refused(lambda: lrcore.constant(1e308) + 1e308, "schedules[1]", "float64")
    _refused(lambda: lrcore.constant(-1e308) - lrcore.constant(1e308), "schedules[1]", "float64")
    # A partial sum past the range is refused even when a later term brings it back.
    _refused(lambda: lrcore.add([lrcore.constant(2e38), lrcore.constant(2e38), lrcore.constant(-3e38)])
             .evaluate(STEPS, dtype=np.float32), "schedules[1]", "float32")
    message = _refused(lambda: lrcore.exponential_decay(1.0, 1, 2.0) + 1.0, "schedules[1]", "float64")
    assert "held at the largest float64: a growth without an end_value ceiling" in message
    assert float((lrcore.exponential_decay(1.0, 1, 2.0, end_value=10.0) + 1.0)(100)) == 11.0


def test_shift_and_per_epoch_keep_their_schedules_bound():
    """Moving a schedule along the steps forms no new number: its levels are checked as they are."""
    for s in (lrcore.shift(lrcore.constant(1e39), 5), lrcore.per_epoch(lrcore.constant(1e39), 5),
              lrcore.warmup(lrcore.constant(1e39), 5, delay=False)):
        assert float(s(7)) == 1e39
        _refused(lambda: s.evaluate(STEPS, dtype=np.float32), "value", "float32")
    s = lrcore.shift(lrcore.exponential_decay(1.0, 1, 2.0), 2**62)  # a growth held at the maximum
    for dtype in (np.float64, np.float32):
        assert np.all(s.evaluate(STEPS, dtype=dtype) == np.finfo(dtype).max)


def test_nested_scale_intermediate_past_float32_is_refused():
    s = lrcore.scale(lrcore.scale(lrcore.constant(1e38), 10), 0.01)
    assert float(s(0)) == pytest.approx(1e37, rel=1e-15)
    message = _refused(lambda: s.evaluate(STEPS, dtype=np.float32), "factor", "float32")
    assert "1e+39" in message
    _refused(lambda: lrcore.constant(1e300) * 1e10, "factor", "float64")


def test_a_held_growth_times_a_factor_above_one_is_refused():
    growth = lrcore.exponential_decay(1.0, 1, 2.0)  # held at the float maximum by contract
    for message in (
        _refused(lambda: growth * 4, "factor", "float64"),
        _refused(lambda: lrcore.multiply([growth, lrcore.constant(2.0)]), "schedules[1]", "float64"),
    ):
        assert "held at the largest float64: a growth without an end_value ceiling" in message
    half = growth * 0.5
    for dtype in (np.float64, np.float32):
        values = half.evaluate(np.array([0, 10, 200, 2000, 2**62]), dtype=dtype)
        assert np.all(np.isfinite(values)) and values[0] == 0.5
        assert values[-1] == np.float64(np.finfo(dtype).max) * 0.5
    # With an end_value ceiling the growth has a largest value: a factor above one is fine.
    assert float((lrcore.exponential_decay(1.0, 1, 2.0, end_value=10.0) * 4)(100)) == 40.0


def test_a_level_named_anything_is_range_checked():
    """A schedule registered without a bound is checked on every float parameter (its levels,
    whatever their names): ``lr_max=1e39`` is refused in float32, naming ``lr_max``."""

    def _hold(k, p, ops):
        return ops.full(k, p["lr_max"])

    def hostile_hold(lr_max, steps=1) -> dict:
        return {"lr_max": check.level("lr_max", lr_max), "steps": check.length("steps", steps)}

    factory = register(_hold)(hostile_hold)
    try:
        s = factory(1e39)
        assert float(s(3)) == 1e39
        _refused(lambda: s.evaluate(STEPS, dtype=np.float32), "lr_max", "float32")
        assert lrcore.schedule.level_names(s) == {"lr_max"}
        _refused(lambda: factory(1e200) * 1e200, "factor", "float64")
    finally:
        unregister("hostile_hold")
    assert "hostile_hold" not in REGISTRY


def test_constants_that_gave_nan_now_give_the_exact_values():
    """An exponent past float32 (cast to inf, then inf·log(1) = NaN at step 0) gives the exact
    values; a decay rate whose product with the step leaves float32 is refused."""
    for s in (lrcore.cosine_decay(1.0, 10, exponent=1e39), lrcore.polynomial_decay(1.0, 0.0, 10, power=1e300)):
        for dtype in (np.float32, np.float64):
            values = s.evaluate(np.arange(12), dtype=dtype)
            assert values[0] == 1.0 and np.all(values[1:] == 0.0), values
    s = lrcore.inverse_time_decay(1.0, 1, 1e39)
    assert float(s(0)) == 1.0
    _refused(lambda: s.evaluate(STEPS, dtype=np.float32), "decay_rate", "float32")


@st.composite
def _hostile_schedule(draw):
    """A schedule with its levels scaled by up to 1e300, maybe scaled again by a huge factor or
    multiplied with itself: many are past float32, some past float64."""
    s = S.scaled_levels(draw(S.schedules(max_leaves=3)), 10.0 ** draw(st.integers(0, 300)))
    kind = draw(st.sampled_from(["as is", "scale", "square"]))
    if kind == "scale":
        s = s * (10.0 ** draw(st.integers(-300, 300)))
    elif kind == "square":
        s = s * s
    return s


@settings(max_examples=200)
@given(st.data())
def test_finite_parameters_never_give_inf_or_nan(data):
    """Either every value is finite, or a ValueError names the parameter (when built, or when
    evaluated in a dtype that cannot hold what it computes)."""
    try:
        s = data.draw(_hostile_schedule())
    except ValueError as exc:
        assert str(exc).startswith("Argument `") and "float64" in str(exc), exc
        return
    steps = np.array([-1, 0, 1, 2, 5, 17, 64, 99, 100, 150, 2**24 + 1, 2**31 - 1, 2**62, 2**63 - 1])
    for dtype in (np.float64, np.float32):
        try:
            values = s.evaluate(steps, dtype=dtype)
        except ValueError as exc:
            assert dtype is np.float32 and str(exc).startswith("Argument `") and "float32" in str(exc), exc
            continue
        assert np.all(np.isfinite(values)), (s, dtype, values)


# -- equality agrees with the hash and the values --------------------------------------------------
def test_array_levels_compare_by_library_dtype_and_value():
    variants = {
        "float": lnp.constant(0.1),
        "numpy-float32": lnp.constant(np.array(0.1, dtype=np.float32)),
        "numpy-float64": lnp.constant(np.array(0.1)),
        "numpy-scalar-float32": lnp.constant(np.float32(0.1)),  # a NumPy scalar is a number: its float64 value
        "torch-float32": lt.constant(torch.tensor(0.1)),
        "jax-float32": lj.constant(jnp.asarray(0.1, dtype=jnp.float32)),
    }
    schedules = {k: v.schedule for k, v in variants.items()}
    for a_name, a in schedules.items():
        for b_name, b in schedules.items():
            if a == b:
                assert hash(a) == hash(b), (a_name, b_name)
                for dtype in (np.float64, np.float32):
                    assert np.array_equal(a.evaluate(STEPS, dtype=dtype), b.evaluate(STEPS, dtype=dtype))
            assert (a == b) == (a_name == b_name), (a_name, b_name)
    twin = lnp.constant(np.array(0.1, dtype=np.float32)).schedule
    assert twin == schedules["numpy-float32"] and hash(twin) == hash(schedules["numpy-float32"])
    assert lrcore.constant(np.float32(0.1)) == lrcore.constant(float(np.float32(0.1)))


def test_a_negative_zero_level_is_zero():
    """Equal levels give equal bits: a level -0.0 is 0.0 (a Python number), and an array level's
    sign is part of what it compares by."""
    a, b = lrcore.constant(-0.0), lrcore.constant(0.0)
    assert a == b and hash(a) == hash(b)
    assert np.array_equal(a(STEPS).view(np.int64), b(STEPS).view(np.int64))
    assert lnp.constant(np.array(-0.0)).schedule != lnp.constant(np.array(0.0)).schedule
