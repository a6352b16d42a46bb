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
- A plateau metric is a real scalar, finite or NaN, on the rule and on every framework's plateau
  (docs/numerics.md); a float16 step past 65504 is the last step; TensorFlow gives a step one value
  per mode of execution (docs/step.md); one lr tensor held by several param groups never silently
  takes the last group's lr.
"""

from __future__ import annotations

import math
import pickle
import re
from fractions import Fraction

import jax
import jax.numpy as jnp
import keras
import mpmath
import numpy as np
import pytest
import tensorflow as tf
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrcore
import lrcore.jax as lj
import lrcore.keras as lk
import lrcore.numpy as lnp
import lrcore.tf as ltf
import lrcore.torch as lt
from lrcore import validate as check
from lrcore.schedule import REGISTRY, register, unregister

from . import examples, reference
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
        # Another library's variable: torch could not convert it and failed at the first evaluation.
        ("tf-variable-in-torch", lt, lambda: (tf.Variable(0.5), lambda v: v.assign(2.0))),
        ("tf-bfloat16-in-torch", lt, lambda: (tf.Variable(0.5, dtype=tf.bfloat16), lambda v: v.assign(2.0))),
        ("keras-variable-in-torch", lt, lambda: (keras.Variable(0.5), lambda v: v.assign(2.0))),
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


@pytest.mark.parametrize("make", [lambda: tf.Variable(0.5), lambda: tf.constant(0.5), lambda: keras.Variable(0.5),
                                  lambda: tf.Variable(0.5, dtype=tf.bfloat16)],
                         ids=["tf-variable", "tf-constant", "keras-variable", "tf-bfloat16"])
def test_a_level_of_another_library_evaluates_on_torch(make):
    """``lrcore.torch.cosine_decay(tf.Variable(0.1), 100)`` was built, then every evaluation failed
    with a bare TypeError (torch cannot convert a TensorFlow variable): the level's copy is NumPy's."""
    steps = torch.arange(0, 120, 7)
    for build in (lambda a: lt.cosine_decay(a, 100), lambda a: lt.onecycle(a, 100), lambda a: lt.constant(a)):
        got = build(make())(steps)
        want = build(np.asarray(0.5, dtype=np.float32))(steps)  # an array level: the same (precise) formulas
        assert torch.equal(got, want)


@pytest.mark.parametrize("module", [lt, lnp, lj, ltf], ids=["torch", "numpy", "jax", "tf"])
def test_a_bfloat16_level_of_any_library_evaluates_on_every_adapter(module):
    """A bfloat16 level of another library was kept as it was: torch cannot read NumPy's or JAX's,
    NumPy not torch's, and TensorFlow's 0-d tensor gave NumPy a scalar (bare errors at building or
    at the first evaluation). It is the float32 level of the same value, exactly."""
    import ml_dtypes

    levels = [np.array(0.1, dtype=ml_dtypes.bfloat16), jnp.array(0.1, jnp.bfloat16), torch.tensor(0.1, dtype=torch.bfloat16),
              tf.constant(0.1, tf.bfloat16), tf.Variable(0.1, dtype=tf.bfloat16)]
    want = np.asarray(module.cosine_decay(np.asarray(np.float32(ml_dtypes.bfloat16(0.1))), 100)(37))
    for level in levels:
        assert np.asarray(module.cosine_decay(level, 100)(37)).tobytes() == want.tobytes(), (module, level)


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
    assert "at the largest float64: a level there, or a growth held there without an end_value ceiling" in message
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
        assert "at the largest float64: a level there, or a growth held there without an end_value ceiling" in message
    # A factor below one is refused too: held at the float maximum, the growth times 0.5 would be
    # held at half of it where its exact values (2**(n-1)) still fit, and a product with a decay
    # (2**n · 0.6**n = 1.2**n) would fall to 0 where the exact product grows.
    for make, name in ((lambda: growth * 0.5, "factor"),
                       (lambda: lrcore.multiply([growth, lrcore.exponential_decay(0.5, 1, 0.6)]), "schedules[1]"),
                       (lambda: lrcore.multiply([lrcore.exponential_decay(0.5, 1, 0.6), growth]), "schedules[1]")):
        with pytest.raises(ValueError, match=rf"^Argument `{re.escape(name)}` of \w+ multiplies a schedule held at the largest float64"):
            make()
    # -growth (a factor of -1, exact) holds what the growth holds.
    assert float((-growth)(2000)) == -float(np.finfo(np.float64).max)
    # With an end_value ceiling the growth has a largest value: a factor above one is fine.
    assert float((lrcore.exponential_decay(1.0, 1, 2.0, end_value=10.0) * 4)(100)) == 40.0


def _growth():
    """An LR range test's growth: 1e-7 times 10 every 100 steps, held at the float maximum."""
    return lrcore.exponential_decay(1e-7, 100, 10.0)


_BOUNDED_BY_A_CLIP = {
    "clip*2": lambda g: lrcore.clip(g, max_value=1.0) * 2.0,
    "clip+0.1": lambda g: lrcore.clip(g, max_value=1.0) + 0.1,
    "clip*cosine": lambda g: lrcore.clip(g, max_value=1.0) * lrcore.cosine_decay(1.0, 100),
    "noise(clip)": lambda g: lrcore.noise(lrcore.clip(g, max_value=1.0)),
    "warmup(clip)": lambda g: lrcore.warmup(lrcore.clip(g, max_value=1.0), 50),
    "warmup(growth)": lambda g: lrcore.warmup(g, 50),
    "warmup(growth, overlaid)": lambda g: lrcore.warmup(g, 50, init_value=1e-9, delay=False),
    "clip(min=0)*3": lambda g: lrcore.clip(lrcore.scale(g, -1.0), min_value=0.0, max_value=2.0) * 3.0,
}


@pytest.mark.parametrize("name", sorted(_BOUNDED_BY_A_CLIP))
def test_a_growth_whose_values_are_bounded_is_not_refused(name):
    """A growth clipped at max_value (its values are >= 0, so the clip's lie in [0, max_value]) and
    a warmup to a growth (the ramp reaches only the growth's first value) form no number near the
    largest float: built and evaluated in every dtype, with the exact values."""
    s = _BOUNDED_BY_A_CLIP[name](_growth())
    steps = np.array([0, 1, 25, 49, 50, 120, 690, 700, 800, 2000, 2**24 + 1, 2**31 - 1])
    want = reference.values_of(s.to_dict(), steps)
    largest = float(np.max(np.abs(want)))
    for dtype in (np.float64, np.float32):
        with np.errstate(over="raise", invalid="raise"):
            got = s.evaluate(steps, dtype=dtype).astype(np.float64)
        if name.startswith("warmup(growth"):  # the growth itself is held at the float maximum
            want_held = np.minimum(want, float(np.finfo(dtype).max))
            assert np.all(np.abs(got - want_held) <= 4.0 * np.finfo(dtype).eps * want_held), (dtype, got, want)
        else:
            assert np.all(np.abs(got - want) <= 4.0 * np.finfo(dtype).eps * largest), (dtype, got, want)
    # float16: the float32 values rounded once (a growth held at 65504).
    with np.errstate(over="ignore"):
        narrow = np.clip(s.evaluate(steps, dtype=np.float32), -65504.0, 65504.0).astype(np.float16)
    np.testing.assert_array_equal(s.evaluate(steps, dtype=np.float16), narrow)
    for module in (lj, lt, ltf):
        module.from_schedule(s)


def test_a_clip_or_warmup_that_does_reach_the_float_maximum_is_still_refused():
    """The other side: a growth below 0 clipped above (its values fall to -max), a growth clipped
    only from below, or a ramp to the float maximum itself (no room for its rounding), would overflow
    once scaled or rounded."""
    falling = lrcore.exponential_decay(-1e-7, 100, 10.0)
    _refused(lambda: lrcore.clip(falling, max_value=1.0) * 2.0, "factor", "float64")
    _refused(lambda: lrcore.clip(_growth(), min_value=1.0) * 2.0, "factor", "float64")
    _refused(lambda: lrcore.clip(_growth(), max_value=1e308) * 2.0, "factor", "float64")
    _refused(lambda: lrcore.clip(_growth(), max_value=1e39).evaluate(STEPS, dtype=np.float32), "max_value", "float32")
    _refused(lambda: lt.clip(lt.exponential_decay(1e-7, 100, 10.0), max_value=3e38) * 2.0, "factor", "float32")
    _refused(lambda: lrcore.warmup(lrcore.exponential_decay(float(np.finfo(np.float64).max), 1, 2.0), 5),
             "schedule", "float64")
    _refused(lambda: lrcore.warmup(lrcore.constant(float(np.finfo(np.float64).max)), 5), "schedule", "float64")
    top32 = float(np.finfo(np.float32).max)
    _refused(lambda: lt.warmup(lt.exponential_decay(top32, 1, 2.0), 5), "schedule", "float32")


def test_narrow_dtypes_check_their_values_not_their_float32_intermediates():
    """float16 and bfloat16 results are float32 results rounded once (docs/numerics.md): an
    intermediate past 65504 is no overflow, a value past it is, and a growth is held at 65504."""
    s = lrcore.inverse_time_decay(1.0, 7, 0.5)  # forms decay_rate·k/T up to 6.6e17 in float32
    steps = np.arange(0, 2000, 7)
    np.testing.assert_array_equal(s.evaluate(steps, dtype=np.float16),
                                  s.evaluate(steps, dtype=np.float32).astype(np.float16))
    assert torch.equal(s.evaluate(torch.as_tensor(steps), dtype=torch.bfloat16),
                       s.evaluate(torch.as_tensor(steps), dtype=torch.float32).to(torch.bfloat16))
    _refused(lambda: lrcore.constant(7e4).evaluate(steps, dtype=np.float16), "value", "float16")
    _refused(lambda: (lrcore.constant(6e4) * 2.0).evaluate(steps, dtype=np.float16), "factor", "float16")
    held = _growth().evaluate(np.array([0, 700, 1200, 2**40]), dtype=np.float16)
    assert held[0] == np.float16(1e-7) and held[1] == np.float16(1.0)
    assert held[2] == held[3] == np.finfo(np.float16).max
    neg = lrcore.exponential_decay(-1.0, 1, 2.0).evaluate(jnp.array([0, 1000]), dtype=jnp.bfloat16)
    assert float(neg[1]) == -float(jnp.finfo(jnp.bfloat16).max)


def test_inverse_time_decay_with_a_rate_past_the_float_range_is_exact_on_every_adapter():
    """decay_rate·k/T past float32 (1e30 · 2**63): the values v0/(1 + r·k/T) are all at most v0."""
    s = lrcore.inverse_time_decay(1.0, 1, 1e30)
    steps = np.array([0, 1, 2, 3, 1000, 2**31 - 1])
    want = reference.values_of(s.to_dict(), steps)
    for got in (lt.inverse_time_decay(1.0, 1, 1e30)(torch.as_tensor(steps)).double().numpy(),
                np.asarray(lj.inverse_time_decay(1.0, 1, 1e30)(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64),
                ltf.inverse_time_decay(1.0, 1, 1e30)(tf.constant(steps)).numpy().astype(np.float64),
                s.evaluate(steps, dtype=np.float32).astype(np.float64), s(steps)):
        assert got[0] == 1.0
        # Relative to each value, down to float32's smallest normal (JAX and TF flush below it).
        tiny = float(np.finfo(np.float32).smallest_normal)
        assert np.all(np.abs(got - want) <= np.maximum(4 * 2.0**-23 * want, tiny)), (got, want)
    for k in (1, 7):  # past float64 too (1e300 · 2**63), and staircase
        s = lrcore.inverse_time_decay(2.0, k, 1e300, staircase=k == 7)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got = s(steps)
        np.testing.assert_allclose(got, reference.values_of(s.to_dict(), steps), rtol=4 * 2.0**-52, atol=1e-320)
    _refused(lambda: lt.inverse_time_decay(1e39, 1, 1e30), "init_value", "float32")


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
    # A decay rate whose product with the step leaves the float dtype divides instead: every value
    # is at most init_value, which alone can be refused.
    s = lrcore.inverse_time_decay(1.0, 1, 1e39)
    assert float(s(0)) == 1.0
    for dtype in (np.float32, np.float64):
        values = s.evaluate(STEPS, dtype=dtype)
        assert np.all(np.isfinite(values)) and np.all(values <= 1.0), values
    _refused(lambda: lrcore.inverse_time_decay(1e39, 1, 1e39).evaluate(STEPS, dtype=np.float32), "init_value", "float32")


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


# -- the plateau metric: a finite-or-NaN real scalar ------------------------------------------------
def _infinite_metrics():
    inf = math.inf
    return [inf, -inf, np.float32(inf), np.float64(-inf), np.asarray(inf), np.asarray([-inf], np.float16),
            torch.tensor(inf), torch.tensor([-inf], dtype=torch.bfloat16), torch.tensor(inf, requires_grad=True),
            jnp.asarray(inf, jnp.bfloat16), jnp.asarray([-inf]), tf.constant(inf), tf.Variable(-inf),
            10**400, -(10**400)]


def _lrs_after(make_plateau, metrics):
    """The scales of a fresh torch plateau fed ``metrics`` (an lr of 1, so lr == scale)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    plateau = make_plateau(lt.scheduler(opt, lt.constant(1.0)))
    out = []
    for m in metrics:
        plateau.step(m)
        out.append(opt.param_groups[0]["lr"])
    return plateau, out


@pytest.mark.parametrize("metric", _infinite_metrics(), ids=lambda m: f"{type(m).__module__.split('.')[0]}-{m!r}"[:40])
def test_an_infinite_metric_is_refused_by_every_plateau(metric):
    """``-inf`` would become a best that nothing improves on, and every later metric would reduce
    the learning rate: refused with a ValueError naming the argument and what was received, by the
    rule, the torch plateau (`metrics`), the optax transformation (`value`) and the Keras callback
    (`metric`, with the monitor's name); nothing changes."""
    rule = lrcore.plateau(factor=0.5, patience=0)
    for state in (rule.init(), lrcore.PlateauState(*(jnp.asarray(v) for v in rule.init()))):
        with pytest.raises(ValueError, match="`metric` must be a finite real number or NaN") as info:
            rule.update(state, metric)
        assert "Received: metric=" in str(info.value)
    plateau, lrs = _lrs_after(lambda s: lt.ReduceLROnPlateau(s, factor=0.5, patience=0), [1.0])
    with pytest.raises(ValueError, match="`metrics` must be a finite real number or NaN.*Received: metrics="):
        plateau.step(metric)
    assert plateau.state == rule.update(rule.init(), 1.0) and plateau.get_last_lr() == lrs
    tx = lj.reduce_on_plateau(factor=0.5, patience=0)
    params = jnp.ones(1)
    with pytest.raises(ValueError, match="`value` must be a finite real number or NaN.*Received: value="):
        tx.update(params, tx.init(params), params, value=metric)
    callback = lk.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0)
    callback.set_model(_keras_model())
    callback.on_train_begin()
    with pytest.raises(ValueError, match="`metric` must be a finite real number or NaN.*monitor='loss'"):
        callback.on_epoch_end(0, {"loss": metric})
    assert callback.model.optimizer._learning_rate.plateau_state == rule.init()


def _keras_model():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lk.constant(1.0)), loss="mse")
    return model


@pytest.mark.parametrize("bad", ["0.5", True, np.ones(2), [0.5], None], ids=repr)
def test_the_keras_callback_reads_the_logs_as_the_rule_does(bad):
    """The callback read ``float(np.asarray(logs[monitor]))``: the string "0.5" was the metric 0.5
    and True was 1.0. Now refused as the rule refuses them, naming the monitor."""
    callback = lk.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0)
    callback.set_model(_keras_model())
    callback.on_train_begin()
    with pytest.raises(TypeError, match="`metric`.*monitor='val_loss'"):
        callback.on_epoch_end(0, {"val_loss": bad})


@pytest.mark.parametrize("bad", [torch.ones(2), torch.ones(1, 1), torch.tensor(True), torch.tensor(1 + 1j)], ids=repr)
def test_the_torch_plateau_refuses_a_non_scalar_naming_metrics(bad):
    """``metrics.item()`` raised torch's RuntimeError for a 2-element tensor; every non-scalar is a
    TypeError naming `metrics`, as the rule's."""
    plateau, _ = _lrs_after(lambda s: lt.ReduceLROnPlateau(s, factor=0.5, patience=0), [])
    with pytest.raises(TypeError, match="`metrics`"):
        plateau.step(bad)


def test_a_traced_infinite_metric_counts_as_nan():
    """Under ``jit`` a metric has no value to refuse: an infinite one is a bad metric, exactly as
    NaN (not a best that nothing improves on)."""
    rule = lrcore.plateau(factor=0.5, patience=1)
    step = jax.jit(rule.update)
    for bad in (math.inf, -math.inf):
        state, nan_state = rule.init(), rule.init()
        for m in (1.0, bad, 0.5, bad, bad):
            state = step(state, jnp.float32(m))
            nan_state = step(nan_state, jnp.float32(math.nan if math.isinf(m) else m))
        assert [float(v) for v in state] == [float(v) for v in nan_state]
        assert float(state.best) == 0.5 and float(state.scale) == 0.5
    tx = lj.reduce_on_plateau(factor=0.5, patience=0)
    params = jnp.ones(1)
    update = jax.jit(lambda s, v: tx.update(params, s, params, value=v))
    s = tx.init(params)
    for m in (1.0, -math.inf):
        updates, s = update(s, jnp.float32(m))
    assert float(s.best) == 1.0 and float(updates[0]) == 0.5


def test_a_finite_metric_past_the_states_float_is_refused():
    """A float32 state cannot hold 1e39: it was stored as inf (a best of inf, or a ``value`` of
    inf averaged into the optax state). Refused, naming the argument and the dtype."""
    rule = lrcore.plateau(factor=0.5, patience=0)
    state = lrcore.PlateauState(*(jnp.asarray(v, jnp.float32) if i < 2 else jnp.asarray(v) for i, v in enumerate(rule.init())))
    with pytest.raises(ValueError, match="`metric` must fit the plateau state's float dtype float32"):
        rule.update(state, 1e39)
    assert float(rule.update(state, 3e38).best) == float(np.float32(3e38))
    # Round to nearest: float32's largest value plus half its ulp (2**128 - 2**103) is the first
    # float64 that becomes inf; the float64 just below it rounds to the largest value.
    first_inf = 2.0**128 - 2.0**103
    assert float(rule.update(state, math.nextafter(first_inf, 0)).best) == F32_MAX
    for bad in (first_inf, -first_inf):
        with pytest.raises(ValueError, match="`metric` must fit"):
            rule.update(state, bad)
    tx = lj.reduce_on_plateau(factor=0.5, patience=0)
    params = jnp.ones(1)
    with pytest.raises(ValueError, match="`value` must fit the plateau state's float dtype float32.*value=1e\\+39"):
        tx.update(params, tx.init(params), params, value=1e39)


def test_the_optax_mean_of_finite_metrics_near_the_float_max_is_finite():
    """``(n·mean + value) / (n + 1)`` passed float32's range for two metrics of 3e38 (their mean is
    3e38): the rule then saw inf. The mean is finite, and elsewhere bit for bit optax's."""
    import optax

    tx = lj.reduce_on_plateau(factor=0.5, patience=0, accumulation_size=3)
    peer = optax.contrib.reduce_on_plateau(factor=0.5, patience=1, accumulation_size=3)
    params = jnp.ones(1)
    s, p = tx.init(params), peer.init(params)
    for m in (3e38, 3e38, 3e38):
        _, s = tx.update(params, s, params, value=m)
    assert float(s.best) == float(np.float32(3e38))
    s = tx.init(params)
    for m in (0.1, 0.7, 0.3, 0.3, 0.9):
        _, s = tx.update(params, s, params, value=m)
        _, p = peer.update(params, p, params, value=m)
        assert np.float32(s.avg_value).tobytes() == np.float32(p.avg_value).tobytes()


# -- within an ulp of the float maximum ---------------------------------------------------------------
def test_a_level_that_rounds_to_the_float32_maximum_is_accepted():
    """``3.4028235e+38`` (how float32's largest value prints) rounds to that value in float32: it is
    a float32 level, not an overflow. Round to nearest gives inf only from the largest value plus
    half its ulp, ``2**128 - 2**103``: refused there, naming the parameter, with numbers that
    differ in the message (they printed alike, ``3.40282e+38``, beyond ``3.40282e+38``)."""
    printed = 3.4028235e38
    assert printed > F32_MAX and float(np.float32(printed)) == F32_MAX
    for lr in (lj.constant(printed), lt.constant(printed), ltf.constant(printed)):
        assert float(np.asarray(lr(7))) == F32_MAX
    assert lrcore.constant(printed).evaluate(np.arange(3), dtype=np.float32).tolist() == [F32_MAX] * 3
    first_inf = 2.0**128 - 2.0**103
    assert float(np.float32(math.nextafter(first_inf, 0))) == F32_MAX
    assert float(np.asarray(lj.constant(math.nextafter(first_inf, 0))(0))) == F32_MAX
    for make in (lambda: lj.constant(first_inf), lambda: lrcore.constant(first_inf).evaluate(0, dtype=np.float32)):
        message = _refused(make, "value", "float32")
        assert repr(first_inf) in message and repr(F32_MAX) in message
    # Derived numbers keep their room for rounding: a product a few ulp below the maximum is refused.
    message = _refused(lambda: lj.from_schedule(lrcore.scale(lrcore.constant(2e38), F32_MAX / 2e38)), "factor", "float32")
    assert repr(F32_MAX) in message
    ok = lj.from_schedule(lrcore.scale(lrcore.constant(2e38), F32_MAX / 2e38 * (1 - 2.0**-20)))
    assert math.isfinite(float(np.asarray(ok(0))))


# -- float16 steps past 65504 and bit identity across step forms ---------------------------------------
def test_a_float16_step_past_65504_is_the_last_step():
    """float16 holds at most 65504: a count of 65520 or more is +inf once in float16 (before lrcore
    sees it), which is the largest step of the range, the schedule's final value, on every backend
    eagerly and compiled; 65504 itself is step 65504, and -inf is step 0."""
    s = lrcore.cosine_decay(1.0, decay_steps=100_000, end_value=0.1)  # still moving at 65504
    with np.errstate(over="ignore"):
        steps = np.array([65504.0, 65519.0, 65520.0, 70000.0, 1e6, -70000.0]).astype(np.float16)
    assert steps[2:5].tolist() == [math.inf] * 3 and steps[5] == -math.inf
    want = np.array([65504, 65504, 2**31 - 1, 2**31 - 1, 2**31 - 1, 0])
    ref32 = np.asarray(lt.from_schedule(s)(torch.tensor(want)))
    assert ref32[2] == np.float32(0.1) and ref32[0] != ref32[2]
    np.testing.assert_array_equal(lnp.from_schedule(s)(steps), lnp.from_schedule(s)(want))
    got = {
        "jax": lj.from_schedule(s)(jnp.asarray(steps)),
        "jax-jit": jax.jit(lj.from_schedule(s))(jnp.asarray(steps)),
        "torch": lt.from_schedule(s)(torch.from_numpy(steps)),
        "tf": ltf.from_schedule(s)(tf.constant(steps)),
        "tf-jit": tf.function(ltf.from_schedule(s), jit_compile=True)(tf.constant(steps)),
    }
    for name, out in got.items():
        np.testing.assert_allclose(np.asarray(out, dtype=np.float64), ref32, rtol=4 * 2.0**-23, err_msg=name)
        assert np.asarray(out)[2] == np.asarray(out)[4] == np.float32(0.1), name


def _tf_forms(lr, k: int) -> dict:
    """Step ``k`` in every form TensorFlow takes it, evaluated eagerly: the element's float32 bits."""
    arr = np.arange(k - 5, k + 12)
    return {
        "python-int": lr(k), "numpy-scalar": lr(np.int64(k)), "0-d-int64": lr(tf.constant(k, tf.int64)),
        "0-d-int32": lr(tf.constant(k, tf.int32)), "0-d-float32": lr(tf.constant(float(k))),
        "array": lr(tf.constant(arr))[5], "2-d": lr(tf.constant(arr[:16].reshape(4, 4)))[1, 1],
        "keras-variable": lr(keras.Variable(k, dtype="int64")),
    }


def test_tf_bits_are_one_per_mode_and_modes_agree_within_the_promise():
    """TensorFlow runs other kernels in a graph (``tf.function``: grappler rewrites the arithmetic)
    and under XLA (``jit_compile=True``: fusion) than eagerly, so the three modes may differ by an
    ulp (``inverse_sqrt`` at step 9: 0.89999998 eagerly, 0.90000004 in a graph). Within one mode a
    step has one value: alone, as a Python int, a NumPy scalar, a Keras variable, or inside an
    array of any shape. Across modes the values agree within the precision promise."""
    s = lrcore.inverse_sqrt(1.0, warmup_steps=10)
    lr = ltf.from_schedule(s)
    graph = tf.function(lambda k: lr(k))
    xla = tf.function(lambda k: lr(k), jit_compile=True)
    ref = [float(examples.value_of(s.to_dict(), k)) for k in range(40)]  # exact, from the formula
    differ = 0
    for k in range(5, 40):
        eager = {name: np.float32(v).view(np.int32) for name, v in _tf_forms(lr, k).items()}
        assert len(set(eager.values())) == 1, (k, eager)
        arr = tf.constant(np.arange(k - 5, k + 12))
        in_graph = {graph(tf.constant(k, tf.int64)).numpy().view(np.int32), graph(arr).numpy()[5].view(np.int32)}
        in_xla = {xla(tf.constant(k, tf.int64)).numpy().view(np.int32), xla(arr).numpy()[5].view(np.int32)}
        assert len(in_graph) == 1 and len(in_xla) == 1, k
        values = [np.int32(b).view(np.float32) for b in (*in_graph, *in_xla, next(iter(eager.values())))]
        for v in values:
            assert abs(float(v) - ref[k]) <= 4 * 2.0**-23 * 1.0
        differ += len({*in_graph, *in_xla, next(iter(eager.values()))}) > 1
    assert differ > 0  # the modes do differ (by an ulp): docs/step.md says so


# -- one lr tensor held by several param groups -------------------------------------------------------
def _shared_lr_optimizer():
    lr = torch.tensor(0.01)
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    return torch.optim.Adam([{"params": [a], "lr": lr}, {"params": [b], "lr": lr}], foreach=False), lr


def test_groups_sharing_an_lr_tensor_with_different_schedules_are_refused():
    """The scheduler fills a tensor lr in place: two groups holding one tensor both got the last
    group's lr (0.00794 for the constant 0.01 at step 3). Refused when built, naming `optimizer`
    and the groups; one schedule for both (the same values) is fine."""
    opt, _ = _shared_lr_optimizer()
    with pytest.raises(ValueError, match=r"`optimizer` has param groups 0 and 1 that hold one lr tensor"):
        lt.scheduler(opt, [lrcore.constant(0.01), lrcore.cosine_decay(0.01, 10)])
    opt, lr = _shared_lr_optimizer()
    sched = lt.scheduler(opt, lrcore.cosine_decay(0.01, 10))
    for _ in range(3):
        opt.step()
        sched.step()
    assert float(lr) == float(np.float32(examples.value_of(lrcore.cosine_decay(0.01, 10).to_dict(), 3)))


def test_floors_that_part_a_shared_lr_tensor_are_refused():
    """A plateau's per-group ``min_lr`` gives the two groups of one tensor different lrs once the
    scale falls: refused at that step, naming both values, never the last one silently."""
    opt, lr = _shared_lr_optimizer()
    plateau = lt.ReduceLROnPlateau(lt.scheduler(opt, lrcore.constant(0.01)), min_lr=[0.0, 0.009], factor=0.5, patience=0)
    opt.step()
    plateau.step(1.0)
    with pytest.raises(ValueError, match=r"param groups 0 and 1 that hold one lr tensor.*0\.00499\d* for group 0 and to 0\.009"):
        plateau.step(1.0)


# -- half-precision results -----------------------------------------------------------------------
HALF_CASES = {
    "linear": (lambda: lrcore.linear(1.0, 0.0, 100_000), lambda k: 1.0 - k / 100_000),
    "cosine_decay": (lambda: lrcore.cosine_decay(1.0, 100_000), lambda k: 0.5 * (1.0 + math.cos(math.pi * k / 100_000))),
    "exponential_decay": (lambda: lrcore.exponential_decay(1.0, 100_000, 0.5), lambda k: 0.5 ** (k / 100_000)),
    "tanh_decay": (lambda: lrcore.tanh_decay(1.0, 100_000),
                   lambda k: 0.5 * (1.0 - math.tanh(-7.0 + 10.0 * k / 100_000))),
    "noam": (lambda: lrcore.noam(512, 4000), lambda k: 512**-0.5 * min(k**-0.5 if k else math.inf, k * 4000**-1.5)),
}


@pytest.mark.parametrize("name", sorted(HALF_CASES))
@pytest.mark.parametrize("namespace, dtype", [(np, np.float16), (torch, torch.float16), (torch, torch.bfloat16),
                                              (jnp, jnp.float16), (jnp, jnp.bfloat16)],
                         ids=["numpy-float16", "torch-float16", "torch-bfloat16", "jax-float16", "jax-bfloat16"])
def test_a_half_precision_result_is_the_float32_value_rounded_once(name, namespace, dtype):
    """float16 cannot hold a phase of 100000 steps (nor 2**-30 ratios): a half-precision result is
    computed in float32 and rounded once to its dtype, never 1.0 halfway down a linear decay or NaN."""
    make, exact = HALF_CASES[name]
    steps = np.array([0, 3000, 4000, 50_000, 99_999])
    out = make().evaluate(namespace.asarray(steps), dtype=dtype)
    got = np.asarray(out.float() if namespace is torch else out.astype(np.float32), dtype=np.float64)
    want = np.array([exact(int(k)) for k in steps])
    eps = float(namespace.finfo(dtype).eps)
    np.testing.assert_allclose(got, want, rtol=eps, atol=4 * 2.0**-23)


# -- a third hostile pass: registration, the CLI's --import, converters, plateau and finder ---------
def _hold_v(k, p, ops):
    return ops.full(k, p["v"])


def test_a_schedule_cannot_take_an_adapter_modules_own_name():
    """A schedule named ``scheduler`` would have replaced ``lrcore.torch.scheduler`` with its factory,
    and unregistering it deleted ``lrcore.torch.scheduler``; ``plateau`` is a dict ``from_dict``
    reads as a plateau rule, so such a schedule could never be read back."""
    import lrcore.jax
    import lrcore.torch

    for name in ("scheduler", "from_schedule", "reduce_on_plateau", "TorchSchedule", "plateau"):
        validate = lambda v: {"v": check.level("v", v)}  # noqa: E731
        validate.__name__ = validate.__qualname__ = name
        with pytest.raises(ValueError, match=f"name '{name}' is taken by lrcore"):
            register(_hold_v)(validate)
        assert name not in REGISTRY
    assert lrcore.torch.scheduler is lrcore.backends.torch.scheduler
    assert lrcore.jax.from_schedule.__qualname__ == "from_schedule"
    for module in (lrcore.torch, lrcore.jax, lrcore.keras, lrcore.tf, lrcore.numpy):
        own = set(module.__all__) - set(lrcore.schedule.names())
        assert own <= lrcore.schedule.RESERVED_NAMES, (module.__name__, own - lrcore.schedule.RESERVED_NAMES)


@pytest.mark.parametrize("name", ["<lambda>", "my schedule", "_private", "class", ""])
def test_a_schedule_name_is_a_public_identifier(name):
    validate = lambda v: {"v": check.level("v", v)}  # noqa: E731
    validate.__name__ = name
    with pytest.raises(ValueError, match="public Python name.*Received: a function named"):
        register(_hold_v)(validate)
    assert name not in REGISTRY


def test_register_refuses_what_it_cannot_evaluate_or_save():
    """Checked when registering, not at the first evaluation: a non-callable evaluation function,
    children of an unknown kind, and parameters that from_dict and pickling cannot pass by name."""

    def hostile_defn(v):
        return {"v": check.level("v", v)}

    with pytest.raises(TypeError, match="Argument `evaluate`.*Received: evaluate=3"):
        register(3)(hostile_defn)
    with pytest.raises(TypeError, match="Argument `at_zero`.*Received: at_zero='x'"):
        register(_hold_v, at_zero="x")
    with pytest.raises(ValueError, match="Argument `children`.*Received: children=\\{'v': 'two'\\}"):
        register(_hold_v, children={"v": "two"})

    def hostile_star(*v):
        return {"v": v}

    def hostile_kw(**v):
        return v

    def hostile_pos(v, /):
        return {"v": v}

    for validate, shown in ((hostile_star, r"`\*v`"), (hostile_kw, r"`\*\*v`"), (hostile_pos, "`v`")):
        with pytest.raises(TypeError, match=f"must take named parameters.*{shown}"):
            register(_hold_v)(validate)
        assert validate.__name__ not in REGISTRY


def test_what_a_validation_function_returns_is_checked():
    """A validation function returning something else than its parameters' dict gave an
    AttributeError or a KeyError at the first evaluation; a list it returned stayed the caller's
    (appending to it changed the schedule, and its hash failed)."""

    def hostile_ret(v, mode="a"):
        return {"v": v, "mode": mode} if isinstance(v, float) else v  # a float: its dict; else v as is

    factory = register(_hold_v)(hostile_ret)
    try:
        with pytest.raises(TypeError, match="must return the dict of its validated parameters. Received: None"):
            factory(None)
        with pytest.raises(ValueError, match="one entry per parameter.*\\(v, mode\\). Received keys: 'v'"):
            factory({"v": 0.5})
        with pytest.raises(TypeError, match="returned `mode`=\\{'x': 1\\} \\(of type dict\\)"):
            factory(0.5, {"x": 1})
        given = [1, 2]
        s = factory(0.5, given)
        given.append(3)
        assert s.params["mode"] == (1, 2) and hash(s) == hash(factory(0.5, (1, 2)))
        assert pickle.loads(pickle.dumps(s)) == s
    finally:
        unregister("hostile_ret")


def test_unregister_names_what_it_cannot_remove():
    """An unknown name was a bare KeyError; removing one of lrcore's own schedules broke lrcore
    itself (``s + 1.0`` builds a ``constant``, ``-s`` a ``scale``)."""
    with pytest.raises(ValueError, match="must name a registered schedule. Received: name='no_such_schedule'"):
        unregister("no_such_schedule")
    for name in ("constant", "scale", "add"):
        with pytest.raises(ValueError, match=f"lrcore's own schedules.*Received: name='{name}'"):
            unregister(name)
        assert name in REGISTRY
    assert float((lrcore.constant(0.5) + 1.0)(0)) == 1.5


def test_the_ddp_mean_of_metrics_near_the_float_max_is_finite():
    """``math.fsum`` of two ranks' 1.7e308 raised an OverflowError; their mean is 1.7e308. The mean is
    the exact sum over the count rounded once (fractions), and NaN where a rank diverged."""
    from fractions import Fraction

    from lrcore.backends.torch import _mean_of

    big = np.finfo(np.float64).max
    assert _mean_of([big, big]) == big
    assert _mean_of([big, big, -big]) == float(Fraction(big) / 3)
    assert _mean_of([1.7e308, 1.6e308]) == float((Fraction(1.7e308) + Fraction(1.6e308)) / 2)
    values = [0.1, 0.2, 0.3]
    assert _mean_of(values) == float(sum(map(Fraction, values)) / 3)
    assert math.isnan(_mean_of([1.0, math.nan])) and math.isnan(_mean_of([math.nan, math.nan]))
    assert _mean_of([5e-324, 5e-324]) == 5e-324


@pytest.mark.parametrize("loss", ["1.0", b"1", True, np.bool_(False), torch.tensor(True), 1 + 2j, None, np.ones(2)],
                         ids=["str", "bytes", "bool", "np-bool", "bool-tensor", "complex", "none", "array"])
def test_find_lr_refuses_a_loss_that_is_not_a_real_number(loss):
    """``float("1.0")`` and ``float(True)`` read a string or a flag as a loss: the sweep ran on them."""
    with pytest.raises(TypeError, match="Argument `step_fn` must return the step's loss, a real number.*at step 0"):
        lrcore.finder.find_lr(lambda lr: loss, num_steps=5)


def test_find_lr_takes_real_scalars_of_every_kind():
    for loss in (1.5, np.float32(1.5), torch.tensor(1.5), jnp.asarray(1.5), torch.tensor([1.5]), 3):
        result = lrcore.finder.find_lr(lambda lr: loss, num_steps=5)
        assert result.losses.tolist() == [float(loss)] * 5


def test_find_lr_takes_a_loss_past_float64_as_divergence():
    """An int loss past float64 (10**400) raised a bare OverflowError from ``float()``; it is a
    loss too large to record, as an inf one is: the sweep stops there, diverged."""
    losses = iter([3, 2, 1, 10**400, 0])
    result = lrcore.finder.find_lr(lambda lr: next(losses), num_steps=5)
    assert result.diverged and result.losses.tolist() == [3.0, 2.0, 1.0]
    inf_run = iter([3, 2, 1, math.inf, 0])
    twin = lrcore.finder.find_lr(lambda lr: next(inf_run), num_steps=5)
    assert twin.diverged and twin.losses.tolist() == result.losses.tolist()


def test_find_lr_refuses_a_sweep_too_narrow_to_increase():
    """``find_lr(f, 1.0, 1.0 + 1e-15, num_steps=10)`` ran the sweep, then its suggestions failed
    naming ``lrs``, an argument the caller never passed (neighbouring float64 lrs were equal)."""
    calls = []
    with pytest.raises(ValueError, match="Argument `num_steps` is too many for the sweep.*num_steps=10"):
        lrcore.finder.find_lr(lambda lr: calls.append(lr) or 1.0, start_value=1.0, end_value=1.0 + 1e-15, num_steps=10)
    assert calls == []  # refused before any training step
    # A narrow sweep whose neighbours still differ runs, strictly increasing.
    result = lrcore.finder.find_lr(lambda lr: 2.0 - lr, start_value=1.0, end_value=1.0 + 1e-9, num_steps=10)
    assert result.lrs.size == 10 and np.all(np.diff(result.lrs) > 0)


@pytest.mark.parametrize("lrs, losses, bad", [
    ([1e-3, 1e-2, 1e-1, 1.0, 10.0], ["5", "4", "3", "2", "1"], "losses"),
    ([1e-3, 1e-2, 1e-1, 1.0, 10.0], [True, False, True, False, True], "losses"),
    (["1e-3", "1e-2", "1e-1", "1", "10"], [5, 4, 3, 2, 1], "lrs"),
    ([1e-3, 1e-2, 1e-1, 1.0, 10.0], np.array([5, 4, 3, 2, 1], dtype=complex), "losses"),
])
def test_suggest_refuses_values_that_are_not_real_numbers(lrs, losses, bad):
    """``suggest`` read strings and flags through ``np.asarray(..., float64)``, which ``find_lr``
    refuses as a loss."""
    with pytest.raises(TypeError, match=f"Argument `{bad}` must hold real numbers"):
        lrcore.finder.suggest(lrs, losses)


def test_suggest_names_its_arguments_for_values_numpy_cannot_read():
    with pytest.raises(TypeError, match="Arguments `lrs` and `losses` must be 1-d sequences of real numbers"):
        lrcore.finder.suggest({1: 2}, {1: 2})


def _torch_scheduler(cls, lr=0.1, **kwargs):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    return cls(optimizer, **kwargs)


@pytest.mark.parametrize("make, argument, lrcore_name", [
    (lambda: _torch_scheduler(torch.optim.lr_scheduler.StepLR, step_size=3, gamma=0.0), "gamma", "decay_rate"),
    (lambda: _torch_scheduler(torch.optim.lr_scheduler.ExponentialLR, gamma=-0.5), "gamma", "decay_rate"),
    (lambda: _torch_scheduler(torch.optim.lr_scheduler.MultiStepLR, milestones=[2**64]), "milestones", "boundaries[0]"),
    (lambda: _torch_scheduler(torch.optim.lr_scheduler.CosineAnnealingWarmRestarts, T_0=2**64), "T_0", "first_period"),
    (lambda: _torch_scheduler(torch.optim.lr_scheduler.LinearLR, total_iters=2**63), "total_iters", "transition_steps"),
], ids=["StepLR-gamma", "ExponentialLR-gamma", "MultiStepLR-milestones", "WarmRestarts-T_0", "LinearLR-total_iters"])
def test_from_torch_errors_name_torchs_argument(make, argument, lrcore_name):
    """``from_torch`` of a ``StepLR(gamma=0)`` said "Argument `decay_rate` must be > 0": a name the
    user never wrote. The error names torch's argument first, lrcore's after."""
    with pytest.raises(ValueError, match=f"^torch \\w+: argument `{re.escape(argument)}` .*as `{re.escape(lrcore_name)}`"):
        lrcore.from_torch(make())


def test_from_torch_multistep_levels_are_exact_past_the_float_range_on_the_way():
    """``base * gamma**n`` underflowed ``gamma**2`` to 0 (lr 0 where torch applies 1e-100) and
    overflowed to an OverflowError; the levels are exact, rounded once, and a level past float64
    is refused naming ``gamma``."""
    peer = _torch_scheduler(torch.optim.lr_scheduler.MultiStepLR, lr=1e300, milestones=[1, 2], gamma=1e-200)
    ours = lrcore.from_torch(peer)
    applied = []
    for _ in range(4):
        applied.append(peer.optimizer.param_groups[0]["lr"])
        peer.optimizer.step()
        peer.step()
    for n, lr in enumerate(applied):
        assert float(ours(n)) == pytest.approx(lr, rel=1e-15), n
    assert float(ours(2)) == float(Fraction(1e300) * Fraction(1e-200) ** 2)
    with pytest.raises(ValueError, match="torch MultiStepLR: argument `gamma` makes the lr after milestone 5 pass"):
        lrcore.from_torch(_torch_scheduler(torch.optim.lr_scheduler.MultiStepLR, milestones=[2, 5], gamma=1e300))


def _peer_object(cls, **attrs):
    """A stand-in with the class name and attributes the duck-typed converters read."""
    return type(cls, (), attrs)()


@pytest.mark.parametrize("convert, argument, lrcore_name", [
    (lambda: lrcore.from_keras({"initial_learning_rate": 0.1, "first_decay_steps": 10, "m_mul": 0.0},
                               class_name="CosineDecayRestarts"), "m_mul", "peak_mul"),
    (lambda: lrcore.from_keras({"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 1e300},
                               class_name="CosineDecayRestarts"), "t_mul", "period_mul"),
    (lambda: lrcore.from_keras({"initial_learning_rate": 10.0, "decay_steps": 10, "alpha": 1e308},
                               class_name="CosineDecay"), "alpha", "end_value"),
    (lambda: lrcore.from_paddle(_peer_object("StepDecay", base_lr=0.1, step_size=3, gamma=0.0)), "gamma", "decay_rate"),
    (lambda: lrcore.from_paddle(_peer_object("LinearLR", base_lr=1e300, start_factor=1e10, end_factor=1.0, total_steps=5)),
     "start_factor", "init_value"),
    (lambda: lrcore.from_composer(_peer_object("StepScheduler", step_size="10ba", gamma=0.0), "100ba"), "gamma", "decay_rate"),
    (lambda: lrcore.from_composer(_peer_object("LinearScheduler", t_max=f"{2**64}ba", alpha_i=1.0, alpha_f=0.0),
                                  f"{2**65}ba"), "t_max", "transition_steps"),
], ids=["keras-m_mul", "keras-t_mul", "keras-alpha", "paddle-gamma", "paddle-start_factor", "composer-gamma",
        "composer-t_max"])
def test_converter_errors_name_the_peers_argument(convert, argument, lrcore_name):
    """Keras' ``m_mul=0`` was refused as "Argument `peak_mul` must be > 0", Paddle's and Composer's
    ``gamma=0`` as `decay_rate`: names the user never wrote. The peer's argument comes first."""
    with pytest.raises(ValueError, match=f"^(keras|paddle|composer) \\w+: argument `{argument}`.*as `{lrcore_name}`"):
        convert()


@pytest.mark.parametrize("convert, message", [
    (lambda: lrcore.from_keras({"boundaries": [3], "values": None}, class_name="PiecewiseConstantDecay"),
     "keras PiecewiseConstantDecay: argument `values` must be a list. Received: values=None"),
    (lambda: lrcore.from_paddle(_peer_object("PiecewiseDecay", base_lr=0.1, boundaries=None, values=[1.0])),
     "paddle PiecewiseDecay: argument `boundaries` must be a list. Received: boundaries=None"),
    (lambda: lrcore.from_paddle(_peer_object("NaturalExpDecay", base_lr=0.1, gamma=-1000.0)),
     "paddle NaturalExpDecay: argument `gamma` makes the growth exp(-gamma) per step pass the float64 range"),
    (lambda: lrcore.from_paddle(_peer_object("MultiStepDecay", base_lr=0.1, milestones=[2, 5], gamma=1e300)),
     "paddle MultiStepDecay: argument `gamma` makes the lr after the last milestone pass the float64 range"),
    (lambda: lrcore.from_composer(_peer_object("MultiStepScheduler", milestones=["10ba", "20ba"], gamma=1e300), "100ba"),
     "composer: argument `gamma` makes the multiplier after 2 milestones pass the float64 range"),
    (lambda: lrcore.from_composer(_peer_object("StepScheduler", step_size="1e400ba", gamma=0.5), "100ba"),
     "composer StepScheduler: argument `step_size` is beyond the float64 range in batches. Received: step_size='1e400ba'"),
    (lambda: lrcore.from_composer(_peer_object("StepScheduler", step_size="1e308dur", gamma=0.5), "100ba"),
     "composer StepScheduler: argument `step_size` is beyond the float64 range"),
    (lambda: lrcore.from_composer(_peer_object("StepScheduler", step_size="10ba", gamma=0.5), "100ba", ssr=0.0),
     "composer: argument `ssr` (the scale schedule ratio) must be > 0. Received: ssr=0.0"),
], ids=["keras-values-None", "paddle-boundaries-None", "paddle-natural-exp-overflow", "paddle-multistep-overflow",
        "composer-multistep-overflow", "composer-time-past-float64", "composer-dur-past-float64", "composer-ssr-0"])
def test_hostile_peer_configurations_are_refused_naming_the_argument(convert, message):
    """Each gave a bare TypeError ("'NoneType' object is not iterable") or OverflowError, or (``ssr=0``)
    an error about `step_size`, which was not the cause."""
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        convert()


def test_paddle_multistep_levels_are_exact_past_the_float_range_on_the_way():
    """``lr * gamma**2`` underflowed ``gamma**2`` to 0: lr 0 where Paddle applies 1e-100."""
    s = lrcore.from_paddle(_peer_object("MultiStepDecay", base_lr=1e300, milestones=[1, 2], gamma=1e-200))
    assert [float(s(k)) for k in (0, 1, 2)] == [1e300, float(Fraction(1e300) * Fraction(1e-200)),
                                                float(Fraction(1e300) * Fraction(1e-200) ** 2)]


@pytest.mark.parametrize("source, module, said", [
    ("raise RuntimeError('boom in module')\n", "hostile_cli_raises", "raised RuntimeError: boom in module"),
    ("raise ValueError('a value')\n", "hostile_cli_value", "raised ValueError: a value"),
    ("def (:\n", "hostile_cli_syntax", "raised SyntaxError: invalid syntax"),
    ("import sys\nsys.exit(0)\n", "hostile_cli_exits", "raised SystemExit(0)"),
    (None, ".hostile_cli_relative", "raised TypeError"),
    (None, "", "raised ValueError: Empty module name"),
], ids=["runtime-error", "value-error", "syntax-error", "sys-exit", "relative", "empty"])
def test_cli_import_of_a_module_that_raises_is_one_error_line(tmp_path, monkeypatch, capsys, source, module, said):
    """A module raising anything but an ImportError printed a traceback (exit 1), or (a ValueError)
    its bare message as if the schedule were wrong; ``sys.exit(0)`` in it ended the command silently
    with status 0. Each is one line naming the module, status 2."""
    from lrcore.cli import main

    if source is not None:
        (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["table", "--import", module, "constant", "--value", "1", "--at", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lrcore: error: argument --import: importing {module!r} {said}") and err.count("\n") == 1


@pytest.mark.parametrize("make", [lambda: lrcore.cosine_decay(1.0, 1000, k_decay=1000.0),
                                  lambda: lrcore.cosine_restart(1.0, 1000, period_mul=1.5, k_decay=100.0)],
                         ids=["cosine_decay-k_decay-1000", "cosine_restart-k_decay-100"])
def test_a_large_k_decay_keeps_the_float32_promise(make):
    """``x**k`` from ``x = j/d`` rounded to float32 carried that rounding times ``k``: 57 units of
    float32 at ``k_decay=1000`` near the end of the decay (0.701884 for 0.701891 at step 999). Every
    step against the exact value (mpmath, tests/examples.py), on torch and jax; arrays as elements."""
    s = make()
    steps = np.arange(0, 1001)
    exact = np.array([float(examples.value_of(s.to_dict(), int(k))) for k in steps])
    got_torch = lt.from_schedule(s)(torch.as_tensor(steps)).double().numpy()
    got_jax = np.asarray(jax.jit(lj.from_schedule(s))(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64)
    for got in (got_torch, got_jax):
        assert np.max(np.abs(got - exact)) <= 4 * 2.0**-23 * 1.0
    ones = [float(lt.from_schedule(s)(int(k))) for k in steps[::37]]
    assert ones == got_torch[::37].tolist()


def test_a_level_past_float32_is_named_as_given_not_as_the_default_copied_from_it():
    """``warmup_stable_decay(end_value=3.4028235e38)`` (``init_value`` defaults to ``end_value``) was
    refused naming `init_value`, which the user never gave."""
    s = lrcore.warmup_stable_decay(1.0, 10, 10, 10, end_value=3.4028235e38)
    for module in (lt, lj):
        with pytest.raises(ValueError, match="^Argument `end_value` of warmup_stable_decay is too close"):
            module.from_schedule(s)


def test_a_pickle_of_a_schedule_registered_otherwise_is_refused_naming_its_parameters():
    """Unpickling a schedule saved under an earlier definition of its name (a notebook that
    redefined it) gave the validation function's own TypeError ("got an unexpected keyword
    argument"): the error says the registration differs, and names the parameters."""

    def hostile_redefined(v, w=1):
        return {"v": check.level("v", v), "w": check.length("w", w)}

    register(_hold_v)(hostile_redefined)
    try:
        blob = pickle.dumps(REGISTRY["hostile_redefined"].factory(0.5, 3))
    finally:
        unregister("hostile_redefined")

    def hostile_redefined(v, extra):  # noqa: F811 - the same name, redefined
        return {"v": check.level("v", v), "extra": extra}

    register(_hold_v)(hostile_redefined)
    try:
        with pytest.raises(ValueError, match=r"does not match the registration of 'hostile_redefined' here .*\(v, extra\)\).*"
                                             r"Unknown parameter\(s\): w; missing: extra"):
            pickle.loads(blob)
    finally:
        unregister("hostile_redefined")


def test_a_resumed_scheduler_without_initial_lr_is_also_a_value_error():
    """torch raises a ``KeyError`` there (kept, for code that catches it); it is also a ``ValueError``
    naming `last_epoch`, and reads as written rather than quoted as a key."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    for expected in (KeyError, ValueError):
        with pytest.raises(expected) as caught:
            lt.scheduler(optimizer, lrcore.constant(0.1), last_epoch=3)
        assert str(caught.value).startswith("param 'initial_lr' is not specified in param_groups[0]")
        assert "Argument `last_epoch`=3 resumes a run" in str(caught.value)


def test_a_sign_flip_of_a_level_at_the_float_maximum_is_exact():
    """``-s`` (and the subtracted term of ``a - b``) scales by -1, which is exact: ``-constant(-max)`` was refused, its bound
    given room for a rounding that a sign flip never makes (and the message called the constant a
    growth)."""
    for dtype, module in ((np.float64, lnp), (np.float32, lt)):
        top = float(np.finfo(dtype).max)
        s = -lrcore.constant(-top)
        assert float(module.from_schedule(s)(3)) == top
        assert float(module.from_schedule(-(-lrcore.constant(top)))(3)) == top
    message = _refused(lambda: lrcore.constant(1.7976931348623157e308) * 1.5, "factor", "float64")
    assert "a level there, or a growth held there" in message


@pytest.mark.parametrize("convert, argument, lrcore_name", [
    (lambda: lrcore.from_timm(lr=0.1, sched="cosine", cycle_decay=0.0, cycle_limit=3), "cycle_decay", "peak_mul"),
    (lambda: lrcore.from_timm(lr=0.1, sched="poly", decay_rate=-1.0), "decay_rate", "power"),
    (lambda: lrcore.from_timm(lr=0.1, sched="step", decay_epochs=10, decay_rate=0.0), "decay_rate", "decay_rate"),
    (lambda: lrcore.from_hf("linear", lr=0.1, num_warmup_steps=10, num_training_steps=2**64), "num_training_steps",
     "transition_steps"),
], ids=["timm-cycle_decay", "timm-poly-decay_rate", "timm-step-decay_rate", "hf-num_training_steps"])
def test_timm_and_hf_errors_name_their_argument(convert, argument, lrcore_name):
    with pytest.raises(ValueError, match=f"^(timm|transformers): argument `{argument}`.*as `{lrcore_name}`"):
        convert()


def test_timm_multistep_levels_are_exact_and_an_overflow_names_decay_rate():
    """``lr * decay_rate**n`` raised a bare OverflowError past float64, and underflowed on the way."""
    with pytest.raises(ValueError, match="timm multistep: argument `decay_rate` makes the lr after 2 milestones"):
        lrcore.from_timm(lr=0.1, sched="multistep", decay_milestones=(1, 2, 3), decay_rate=1e300)
    s = lrcore.from_timm(lr=1e300, sched="multistep", decay_milestones=(1, 2), decay_rate=1e-200)
    assert float(s(5)) == float(Fraction(1e300) * Fraction(1e-200) ** 2)


def test_hf_inverse_sqrt_timescale_zero_is_refused_not_replaced():
    """``timescale=0`` (transformers divides by it) silently became ``num_warmup_steps``."""
    with pytest.raises(ValueError, match="transformers: argument `timescale` must be >= 1. Received: timescale=0"):
        lrcore.from_hf("inverse_sqrt", lr=0.1, num_warmup_steps=10, scheduler_specific_kwargs={"timescale": 0})
    assert lrcore.from_hf("inverse_sqrt", lr=0.1, num_warmup_steps=10).params["timescale"] == 10


@pytest.mark.parametrize("loss", [lambda out: 1.5, lambda out: out, lambda out: out.sum() > 0, lambda out: "1.0"],
                         ids=["float", "vector", "bool-tensor", "str"])
def test_find_lr_torch_refuses_a_loss_it_cannot_backpropagate(loss):
    """A Python float gave a bare AttributeError (``.backward``), a vector torch's own message about
    implicit gradients; each names `loss_fn` now, and the model and optimizer are restored."""
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    before = [p.detach().clone() for p in model.parameters()]
    batches = [torch.ones(4, 2)] * 10
    with pytest.raises(TypeError, match="Argument `loss_fn` must return the batch's loss as a 1-element floating-point"):
        lrcore.finder.find_lr_torch(model, optimizer, lambda m, b: loss(m(b)), batches, num_steps=5)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert optimizer.param_groups[0]["lr"] == 0.5


@pytest.mark.parametrize("argv, said", [
    (["table", "constant", "--value", "1e400", "--at", "0"], "argument --value: the number 1e400 is beyond the float64 range"),
    (["table", "piecewise_constant", "--boundaries", "5", "--values", "1,-1e999", "--at", "0"],
     "argument --values: the number -1e999 is beyond the float64 range"),
    (["table", "scale", "--schedule", '{"name": "constant", "params": {"value": 1e999}}', "--factor", "2", "--at", "0"],
     "argument --schedule: the number 1e999 is beyond the float64 range"),
], ids=["value", "list-entry", "json-schedule"])
def test_cli_a_number_past_float64_is_named_as_typed(capsys, argv, said):
    """``--value 1e400`` was parsed to inf and refused as "Received: value=inf", a value never typed."""
    from lrcore.cli import main

    assert main(argv) == 2
    assert capsys.readouterr().err == f"lrcore: error: {said} (at most 1.8e308 in magnitude)\n"


def _edited(scheduler, **attributes):
    for key, value in attributes.items():
        setattr(scheduler, key, value)
    return scheduler


@pytest.mark.parametrize("convert, peer, read", [
    (lambda: lrcore.from_torch(_edited(_torch_scheduler(torch.optim.lr_scheduler.OneCycleLR, max_lr=0.1, total_steps=100),
                                       _schedule_phases=[])), "torch OneCycleLR", "IndexError"),
    (lambda: lrcore.from_torch(_edited(_torch_scheduler(torch.optim.lr_scheduler.MultiStepLR, milestones=[2]), milestones=None)),
     "torch MultiStepLR", "TypeError: 'NoneType' object is not iterable"),
    (lambda: lrcore.from_paddle(_peer_object("StepDecay", base_lr=0.1, step_size=3)), "paddle StepDecay", "AttributeError"),
    (lambda: lrcore.from_composer(_peer_object("StepScheduler", step_size="10ba"), "100ba"), "composer StepScheduler",
     "AttributeError"),
], ids=["torch-phases-emptied", "torch-milestones-None", "paddle-no-gamma", "composer-no-gamma"])
def test_an_edited_peer_object_is_refused_naming_the_peer(convert, peer, read):
    """A converter reading an edited or partly built object let a bare IndexError, AttributeError,
    KeyError or Python TypeError escape; it is a TypeError naming the peer's scheduler."""
    with pytest.raises(TypeError, match=f"^{peer}: the object lacks what the conversion reads \\({re.escape(read)}"):
        convert()


@pytest.mark.parametrize("convert, peer, what", [
    (lambda: lrcore.from_hf("cosine_with_min_lr", lr=0.0, num_warmup_steps=10, num_training_steps=100,
                            scheduler_specific_kwargs={"min_lr": 0.0}), "transformers", "ZeroDivisionError"),
    (lambda: lrcore.from_torch(_edited(_torch_scheduler(torch.optim.lr_scheduler.CyclicLR, base_lr=0.01, max_lr=0.1,
                                                        cycle_momentum=False), total_size=0.0)), "torch CyclicLR",
     "ZeroDivisionError"),
    (lambda: lrcore.from_timm(lr=0.1, sched="cosine", cycle_mul=1e308, cycle_limit=5), "timm", "OverflowError"),
], ids=["hf-min_lr-over-lr-0", "torch-cyclic-total_size-0", "timm-cycle_mul-1e308"])
def test_a_conversion_dividing_by_zero_or_overflowing_is_a_value_error(convert, peer, what):
    """``min_lr / lr`` with ``lr=0``, a cycle of size 0 and a cycle length past float64 let a bare
    ZeroDivisionError or OverflowError escape the converter."""
    with pytest.raises(ValueError, match=f"^{peer}: the scheduler's values cannot be converted: .* gave {what}"):
        convert()


def test_cli_a_spec_file_number_past_float64_is_named_as_written(tmp_path, capsys):
    from lrcore.cli import main

    spec = tmp_path / "big.json"
    spec.write_text('{"name": "constant", "params": {"value": 1e400}}')
    assert main(["table", "--spec", str(spec), "--at", "0"]) == 2
    assert capsys.readouterr().err == (
        f"lrcore: error: spec file {str(spec)!r}: the number 1e400 is beyond the float64 range (at most 1.8e308 in magnitude)\n"
    )


@pytest.mark.parametrize("milestones", ["90", 90], ids=["str", "int"])
def test_timm_decay_milestones_must_be_a_sequence(milestones):
    """``decay_milestones="90"`` was read as the milestones 9 and 0 (refused as "decay_milestones='9'")."""
    with pytest.raises(TypeError, match=f"timm: argument `decay_milestones` must be a sequence of epochs. Received: decay_milestones={milestones!r}"):
        lrcore.from_timm(lr=0.1, sched="multistep", decay_milestones=milestones)


# -- A second adversarial pass over the loaders and floors of the torch scheduler and plateau -----


def _sgd():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)


@pytest.mark.parametrize("min_lr, name", [(1e39, "min_lr"), ([1e300], "min_lr[0]")], ids=["scalar", "list"])
def test_torch_plateau_min_lr_past_float32_is_refused(min_lr, name):
    """A ``min_lr`` floor past float32 set the lr to 1e39 (a float32 parameter update gives inf),
    although a schedule reaching it is refused."""
    with pytest.raises(ValueError, match=re.escape(f"Argument `{name}` must be <= 3.40282e+38 (the floor is an lr, applied in float32). Received: {name}=")):
        lrcore.torch.ReduceLROnPlateau(lrcore.torch.scheduler(_sgd(), lrcore.constant(0.1)), min_lr=min_lr)


@pytest.mark.parametrize("where", ["plateau", "scheduler"])
def test_torch_loaded_min_lr_past_float32_is_refused(where):
    opt = _sgd()
    plateau = lrcore.torch.ReduceLROnPlateau(lrcore.torch.scheduler(opt, lrcore.constant(0.1)), min_lr=0.01)
    state = plateau.state_dict()
    if where == "plateau":
        state["min_lr"] = [1e39]
        entry, target = "state_dict['min_lr'][0]", plateau
    else:
        state = plateau.scheduler.state_dict()
        state["min_lr"] = [1e39]
        entry, target = "state_dict['min_lr'][0]", lrcore.torch.scheduler(_sgd(), lrcore.constant(0.1))
    with pytest.raises(ValueError, match=re.escape(f"Entry `{entry}` must be a finite number in [0, 3.40282e+38]. Received: {entry}=1e+39")):
        target.load_state_dict(state)


@pytest.mark.parametrize("built, saved", [(0.05, None), (0.05, [0.01]), (None, [0.05]), ([0.05], [0.06])],
                         ids=["dropped", "moved", "added", "list-moved"])
def test_torch_plateau_state_with_other_floors_is_refused(built, saved):
    """A checkpoint whose ``min_lr`` was dropped resumed without the floor the plateau was built
    with: 0.025, 0.0125, … where the uninterrupted run holds 0.05 (a different rule is refused)."""
    def make():
        opt = _sgd()
        return opt, lrcore.torch.ReduceLROnPlateau(lrcore.torch.scheduler(opt, lrcore.constant(0.1)), factor=0.5,
                                                   patience=0, min_lr=built)
    opt, plateau = make()
    for _ in range(2):
        opt.step()
        plateau.step(1.0)
    state = plateau.state_dict()
    make()[1].load_state_dict(state)  # the same floors resume
    with pytest.raises(ValueError, match=re.escape("Argument `state_dict['min_lr']` holds other floors than this plateau's")):
        make()[1].load_state_dict({**state, "min_lr": saved})


@pytest.mark.parametrize("count, patience", [(np.array(0, np.int8), 200), (np.array(0, np.uint8), 1000),
                                             (np.array(False), 1), (torch.tensor(0, dtype=torch.int8), 300)],
                         ids=["int8", "uint8", "bool", "torch-int8"])
def test_plateau_counts_of_a_dtype_too_narrow_for_patience_are_refused(count, patience):
    """An int8 bad count wrapped at 127 (a bool one stalled at 1): the rule never reduced the scale,
    although every metric after the first was worse, and plain counts reduce after patience + 1."""
    rule = lrcore.plateau(factor=0.5, patience=patience)
    plain = rule.init()
    for m in [1.0] + [2.0] * (patience + 1):
        plain = rule.update(plain, m)
    assert plain.scale == 0.5  # the reference: plain Python counts
    one = torch.tensor(1.0) if isinstance(count, torch.Tensor) else np.array(1.0)
    state = lrcore.PlateauState(one, one * math.inf, count, count)
    with pytest.raises(TypeError, match=re.escape(f"Argument `state` must hold its counts (num_bad, cooldown_left) in an integer dtype that reaches patience + 1 = {patience + 1}")):
        rule.update(state, 1.0)


@pytest.mark.parametrize("state, error, match", [
    (lrcore.PlateauState(math.nan, math.inf, 0, 0), ValueError, "Argument `state.scale` must be finite. Received: state.scale=nan"),
    (lrcore.PlateauState(-1.0, math.inf, 0, 0), ValueError, "Argument `state.scale` must be in [0, 1]. Received: state.scale=-1.0"),
    (lrcore.PlateauState("1.0", "inf", "0", "0"), TypeError, "Argument `state.scale` must be a real number. Received: state.scale='1.0'"),
    ({"scale": 1.0}, TypeError, "Argument `state` must be a PlateauState (scale, best, num_bad, cooldown_left)"),
    (lrcore.PlateauState(np.array([1.0, 0.5]), np.inf, 0, 0), TypeError, "Argument `state.scale` must be a number or a 0-d array (one scale for the lr). Received: state.scale of shape (2,)"),
], ids=["nan-scale", "negative-scale", "strings", "dict", "two-scales"])
def test_plateau_update_refuses_a_state_it_could_not_have_reached(state, error, match):
    """A NaN or negative scale was carried on (an lr of NaN or of the wrong sign), strings were read
    as numbers, a dict failed inside NamedTuple naming nothing, and a scale of shape (2,) gave two lrs."""
    with pytest.raises(error, match=re.escape(match)):
        lrcore.plateau(factor=0.5, patience=0).update(state, 1.0)


def test_torch_absolute_scheduler_built_on_an_optimizer_loaded_right_after_add_param_group_resumes():
    """The order torch's own message recommends (load the optimizer, then build the scheduler, then
    load its state) was refused for a checkpoint taken between ``add_param_group`` and the next
    ``step()``: the tracked group holds the scheduled lr, the added one its own, and the constructor
    compared the two instead of the groups' initial lrs."""
    import copy

    def exact(n):  # linear(0.5, 0.0, 10) after n steps, in float32
        return float(np.float32(float(Fraction(1, 2) * (1 - Fraction(min(n, 10), 10)))))

    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([params[0]], lr=0.5)
    sched = lrcore.torch.scheduler(opt, lrcore.linear(0.5, 0.0, 10))
    for _ in range(2):
        opt.step()
        sched.step()
    opt.add_param_group({"params": [params[1]], "lr": 0.5})
    ckpt = copy.deepcopy({"opt": opt.state_dict(), "sched": sched.state_dict()})

    opt2 = torch.optim.SGD([params[0]], lr=0.5)
    opt2.add_param_group({"params": [params[1]], "lr": 0.5})
    opt2.load_state_dict(ckpt["opt"])
    sched2 = lrcore.torch.scheduler(opt2, lrcore.linear(0.5, 0.0, 10))
    sched2.load_state_dict(ckpt["sched"])
    lrs = []
    for _ in range(4):
        opt2.step()
        sched2.step()
        lrs.append([g["lr"] for g in opt2.param_groups])
    assert lrs == [[exact(n)] * 2 for n in range(3, 7)]


@pytest.mark.parametrize("key", ["momentum", "weight_decay"])
def test_torch_per_group_schedules_refuse_one_shared_momentum_or_weight_decay_tensor(key):
    """Two groups holding one beta (or weight decay) tensor, given different schedules, both got the
    last group's value (0.95 and 0.95 for 0.8 and 0.95): the tensor is set in place. As for a shared
    lr tensor, the scheduler refuses it at construction."""
    shared = torch.tensor(0.9 if key == "momentum" else 0.01)
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(2)]
    if key == "momentum":
        opt = torch.optim.Adam([{"params": [p]} for p in params], lr=0.1, betas=(shared, torch.tensor(0.999)))
        schedules = [lrcore.constant(0.8), lrcore.constant(0.95)]
    else:
        opt = torch.optim.SGD([{"params": [p], "weight_decay": shared} for p in params], lr=0.1)
        schedules = [lrcore.constant(0.001), lrcore.constant(0.002)]
    with pytest.raises(ValueError, match=f"^Argument `optimizer` has param groups 0 and 1 that hold one {key} tensor"):
        lrcore.torch.scheduler(opt, lrcore.constant(0.1), **{key: schedules})
    # One schedule for every group writes one value: the shared tensor is fine then.
    sched = lrcore.torch.scheduler(opt, lrcore.constant(0.1), **{key: schedules[1]})
    opt.step()
    sched.step()
    held = [g["betas"][0] if key == "momentum" else g[key] for g in opt.param_groups]
    assert [float(v) for v in held] == [float(np.float32(schedules[1](0)))] * 2



# -- a checkpoint saved between add_param_group and the next step() --------------------------------
def _ramp32(k: int) -> float:
    """linear(1.0, 0.0, 10) at step k, exact, rounded once to float32 (the scheduler's lrs)."""
    return float(np.float32(float(1 - Fraction(min(k, 10), 10))))


def _sgd_groups(*lrs):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs])


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_a_reload_gives_a_group_added_after_the_saved_step_its_own_lr(mode):
    # Saved at step 2 with a group added since: reloaded after a later step, the added group is
    # back at its own lr (as when the state was saved), not at the later step's value.
    opt = _sgd_groups(1.0)
    sched = lt.scheduler(opt, lrcore.linear(1.0, 0.0, 10), mode=mode)
    for _ in range(2):
        opt.step()
        sched.step()
    own = 0.5 if mode == "relative" else 1.0  # absolute mode refuses a group it would overwrite
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": own})
    saved = sched.state_dict()
    opt.step()
    sched.step()
    sched.load_state_dict(saved)
    assert [g["lr"] for g in opt.param_groups] == [_ramp32(2), own]
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == [_ramp32(3), float(np.float32(own * float(1 - Fraction(3, 10))))]


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_a_resume_in_torchs_order_gives_a_group_added_after_the_saved_step_its_own_lr(mode):
    # The order torch's message recommends: the optimizer's state, a new scheduler, its state. The
    # new scheduler's constructor sets s(0) in every group; the added group must get its own back.
    s = lrcore.linear(0.0, 1.0, 10)  # s(0) = 0: what the new scheduler's constructor sets
    opt = _sgd_groups(1.0)
    sched = lt.scheduler(opt, s, mode=mode)
    for _ in range(5):
        opt.step()
        sched.step()
    own = 0.25 if mode == "relative" else 1.0  # absolute mode refuses a group it would overwrite
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": own})
    saved, optimizer_state = sched.state_dict(), opt.state_dict()
    resumed = _sgd_groups(1.0, 1.0)
    resumed.load_state_dict(optimizer_state)
    again = lt.scheduler(resumed, s, mode=mode)
    again.load_state_dict(saved)
    assert [g["lr"] for g in resumed.param_groups] == [g["lr"] for g in opt.param_groups] == [0.5, own]
    for run, scheduler in ((opt, sched), (resumed, again)):
        run.step()
        scheduler.step()
    assert [g["lr"] for g in resumed.param_groups] == [g["lr"] for g in opt.param_groups]


# -- a plateau's floor limits a reduction, it never lifts an lr ------------------------------------
# torch's ReduceLROnPlateau sets max(old · factor, min_lr) and only where that is below the old lr:
# a group whose lr is below min_lr keeps it. Per-group lrs under one global floor (layer-wise lrs).
FLOOR_LRS = [float(np.float32(v)) for v in (1e-3, 1e-6, 4e-5)]  # float32 values: lrcore applies float32


def _floor_metrics(seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [float(v) for v in np.round(1.0 + np.cumsum(rng.choice([0.0, 0.0, 0.01, -0.02], 30)), 2)]


def _torch_plateau_lrs(lrs, metrics, **options) -> list:
    """torch's own ReduceLROnPlateau: every group's lr after construction and after each metric."""
    opt = _sgd_groups(*lrs)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
    out = [[g["lr"] for g in opt.param_groups]]
    for m in metrics:
        opt.step()
        ref.step(m)
        out.append([g["lr"] for g in opt.param_groups])
    return out


@pytest.mark.parametrize("mode", ["absolute", "relative"])
@pytest.mark.parametrize("min_lr", [1e-5, [2e-4, 1e-5, 5e-5]], ids=["scalar", "list"])
def test_torch_plateau_min_lr_never_raises_a_group_lr(mode, min_lr):
    """``min_lr=1e-5`` over groups at 1e-3 and 1e-6 set the second to 1e-5 at construction, before any
    metric (torch leaves it at 1e-6). Value by value torch's lrs, every group at or below its floor
    keeping its own lr."""
    reduced = 0
    for seed in range(4):
        metrics = _floor_metrics(seed)
        want = _torch_plateau_lrs(FLOOR_LRS, metrics, factor=0.5, patience=1, min_lr=min_lr)
        opt = _sgd_groups(*FLOOR_LRS)
        schedule = [lrcore.constant(v) for v in FLOOR_LRS] if mode == "absolute" else lrcore.constant(1.0)
        sched = lt.scheduler(opt, schedule, mode=mode)
        plateau = lt.ReduceLROnPlateau(sched, factor=0.5, patience=1, min_lr=min_lr)
        got = [[g["lr"] for g in opt.param_groups]]
        for m in metrics:
            opt.step()
            sched.step()
            plateau.step(m)
            got.append([g["lr"] for g in opt.param_groups])
        assert got[0] == want[0] == FLOOR_LRS
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, err_msg=f"seed {seed}: {metrics}")
        floors = min_lr if isinstance(min_lr, list) else [min_lr] * 3
        for i, (lr, floor) in enumerate(zip(FLOOR_LRS, floors)):
            if lr <= floor:
                assert [row[i] for row in got] == [lr] * len(got)  # never lifted, never reduced
        reduced += want[-1][0] < FLOOR_LRS[0]
    assert reduced >= 2, "too few sequences with a reduction: a weak case"


def test_torch_plateau_min_lr_does_not_lift_a_warmup():
    """A warmup from 0 was floored at step 0 (lr ``min_lr``, not 0) and all along the ramp below the
    floor. The lr is the schedule's own wherever that is at or below ``min_lr``, and never above it."""
    floor = 0.03
    schedule = lrcore.warmup_cosine_decay(0.0, 0.1, warmup_steps=10, decay_steps=60)
    opt = _sgd_groups(0.1)
    sched = lt.scheduler(opt, schedule)
    plateau = lt.ReduceLROnPlateau(sched, factor=0.5, patience=0, min_lr=floor)
    values = lnp.from_schedule(schedule)(np.arange(60)).astype(np.float32).astype(np.float64)
    assert opt.param_groups[0]["lr"] == values[0] == 0.0
    metrics = [1.0 - 0.01 * k if k < 12 else 1.0 for k in range(60)]  # improves on the ramp, then flat
    held, below = [], []
    for k in range(59):
        lr, v = opt.param_groups[0]["lr"], float(values[k])
        # torch's rule, as a case split: below the floor no reduction applies; above it the reduced
        # lr is held at the floor.
        want = v if v <= floor else max(v * plateau.scale, floor)
        assert lr == pytest.approx(want, rel=1e-12, abs=0), k
        assert lr <= v, k
        (held if lr == floor < v else below if plateau.scale < 1 and lr == v < floor else []).append(k)
        opt.step()
        sched.step()
        plateau.step(metrics[k])
    assert plateau.scale < 1 and len(held) > 5 and len(below) > 3, (held, below)  # both sides of the floor


def test_every_plateau_front_end_leaves_an_lr_below_its_floor():
    """The rule (``min_scale = min_lr / L``, above 1 for an lr below the floor), the optax
    transformation and the Keras callback give torch's lrs for each of the per-group lrs, one lr at
    a time: the one below the floor is never raised."""
    min_lr, metrics = 1e-5, _floor_metrics(7)
    want = np.asarray(_torch_plateau_lrs(FLOOR_LRS, metrics, factor=0.5, patience=1, min_lr=min_lr))[1:]
    assert want[-1][0] < FLOOR_LRS[0]
    for i, lr in enumerate(FLOOR_LRS):
        options = dict(factor=0.5, patience=1, min_scale=min_lr / lr)
        rule, state, plain = lrcore.plateau(**options), None, []
        state = rule.init()
        for m in metrics:
            state = rule.update(state, m)
            plain.append(lr * state.scale)
        np.testing.assert_allclose(plain, want[:, i], rtol=1e-12, atol=0, err_msg=f"rule, group {i}")
        tx = lj.reduce_on_plateau(**options)
        params = jnp.ones(1)
        opt_state, scaled = tx.init(params), []
        for m in metrics:
            _, opt_state = tx.update(params, opt_state, params, value=m)
            scaled.append(lr * float(opt_state.scale))
        np.testing.assert_allclose(scaled, want[:, i], rtol=1e-6, atol=0, err_msg=f"optax, group {i}")
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=lk.constant(lr)), loss="mse")
        callback = lk.ReduceLROnPlateau(monitor="loss", **options)
        callback.set_model(model)
        callback.on_train_begin()
        rates = []
        for epoch, m in enumerate(metrics):
            callback.on_epoch_end(epoch, {"loss": m})
            rates.append(float(np.asarray(model.optimizer.learning_rate)))
        np.testing.assert_allclose(rates, want[:, i], rtol=1e-6, atol=0, err_msg=f"Keras, group {i}")


# -- the plateau's eps is decided on torch's numbers ------------------------------------------------
def test_torch_plateau_eps_is_decided_on_the_float64_lr():
    """constant(0.1), factor 0.9, eps 0.01: torch's change 0.1 - 0.09 = 0.00999... is not above eps,
    so torch keeps 0.1; lrcore compared the float32 lr 0.10000000149 (a change of 0.0100000001) and
    reduced to 0.09."""
    want = _torch_plateau_lrs([0.1], [1.0, 1.0, 1.0], factor=0.9, patience=0, eps=0.01)
    opt = _sgd_groups(0.1)
    sched = lt.scheduler(opt, lrcore.constant(0.1))
    plateau = lt.ReduceLROnPlateau(sched, factor=0.9, patience=0, eps=0.01)
    for m in [1.0, 1.0, 1.0]:
        plateau.step(m)
    assert want[-1] == [0.1] and plateau.scale == 1.0
    assert opt.param_groups[0]["lr"] == float(np.float32(0.1))


def test_torch_plateau_eps_boundary_search_against_torch():
    """Random lrs, factors and floors, with ``eps`` exactly torch's first change ``old - new`` and
    its float64 neighbours: each reduction happens where torch's does. On powers of two lrcore's lr
    (the lr times the scale) is torch's (the lr times the factor, again and again) exactly, so every
    later reduction is at the boundary too; other lrs are compared within float32 rounding."""
    rng = np.random.default_rng(2024)
    decided = {True: 0, False: 0}
    for trial in range(150):
        exact = trial % 2 == 0
        lr = 2.0 ** -int(rng.integers(0, 20)) if exact else float(rng.uniform(1e-4, 1.0))
        factor = float(rng.uniform(0.05, 0.95))
        floor = 0.0 if trial % 3 else float(lr * rng.uniform(0.0, 1.0))
        first = _torch_plateau_lrs([lr], [1.0, 1.0], factor=factor, patience=0, min_lr=floor, eps=0.0)
        change = first[1][0] - first[2][0]  # torch's old_lr - new_lr at its first reduction
        for eps in (change, math.nextafter(change, 0.0), math.nextafter(change, math.inf)):
            options = dict(factor=factor, patience=0, min_lr=floor, eps=eps)
            want = _torch_plateau_lrs([lr], [1.0] * 8, **options)
            opt = _sgd_groups(float(np.float32(lr)))
            sched = lt.scheduler(opt, lrcore.constant(lr))
            plateau = lt.ReduceLROnPlateau(sched, **options)
            got = [[opt.param_groups[0]["lr"]]]
            for m in [1.0] * 8:
                plateau.step(m)
                got.append([opt.param_groups[0]["lr"]])
            context = f"lr={lr!r}, factor={factor!r}, min_lr={floor!r}, eps={eps!r}"
            moved = [a != b for a, b in zip(want, want[1:])]
            assert [a != b for a, b in zip(got, got[1:])] == moved, context
            if exact:
                assert got == want, context
            else:
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, err_msg=context)
            decided[moved[1]] += 1
    assert min(decided.values()) >= 50, decided  # both sides of the boundary, many times


# -- momentum and weight-decay values the optimizer's own constructor refuses -----------------------
def _params():
    return [torch.nn.Parameter(torch.ones(2))]


@pytest.mark.parametrize(
    "kind, key, schedule, shown, torch_kwargs",
    [
        ("adam", "momentum", lrcore.cyclic_momentum(step_size_up=2, base_momentum=0.9, max_momentum=1.2), "1.2", {"betas": (1.2, 0.999)}),
        ("adam", "momentum", lrcore.cyclic_momentum(step_size_up=2, base_momentum=0.9, max_momentum=1.0), "1", {"betas": (1.0, 0.999)}),
        ("adamw", "momentum", lrcore.linear(0.9, -0.5, 10), "-0.5", {"betas": (-0.5, 0.999)}),
        ("sgd", "momentum", lrcore.constant(-0.1), "-0.1", {"momentum": -0.1}),
        ("sgd", "momentum", lrcore.scale(lrcore.onecycle_momentum(100), -1.0), "-0.95", {"momentum": -0.95}),
        ("sgd", "weight_decay", lrcore.constant(-1.0), "-1", {"weight_decay": -1.0}),
        ("adam", "weight_decay", lrcore.constant(0.01) - lrcore.linear(0.0, 0.02, 10), "-0.02", {"weight_decay": -0.01}),
        # Below 1 in float64, 1.0 in float32, where the scheduler applies it (NAdam trained on with it).
        ("nadam", "momentum", lrcore.constant(0.99999999), "1", {"betas": (float(np.float32(0.99999999)), 0.999)}),
        ("adam", "momentum", lrcore.linear(0.9, 1 - 2.0**-26, 5), "1", {"betas": (float(np.float32(1 - 2.0**-26)), 0.999)}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_torch_scheduler_refuses_momentum_and_weight_decay_its_optimizer_refuses(kind, key, schedule, shown, torch_kwargs):
    """``cyclic_momentum(max_momentum=1.2)`` on Adam set betas[0] to 1.05 and training went on (torch's
    Adam(betas=(1.0, ...)) raises; 1.0 itself ended in a bare ZeroDivisionError), and SGD took a
    momentum of -0.1 and a weight decay of -1. Refused at construction, naming the parameter and the
    value the schedule reaches, as torch's own constructor refuses that value."""
    make = {"sgd": lambda **kw: torch.optim.SGD(_params(), lr=0.1, **{"momentum": 0.9, **kw}),
            "adam": lambda **kw: torch.optim.Adam(_params(), lr=0.1, **kw),
            "nadam": lambda **kw: torch.optim.NAdam(_params(), lr=0.1, **kw),
            "adamw": lambda **kw: torch.optim.AdamW(_params(), lr=0.1, **kw)}[kind]
    with pytest.raises(ValueError):  # the peer: torch's constructor refuses such a value
        make(**torch_kwargs)
    target = "betas[0]" if "betas" in torch_kwargs else key
    with pytest.raises(ValueError, match=rf"^Argument `{key}` sets \w+'s {re.escape(target)} .*reach {re.escape(shown)} "):
        lt.scheduler(make(), lrcore.constant(0.1), **{key: schedule})
    # Per-group schedules name the group's entry.
    opt = make()
    opt.add_param_group({"params": _params()})
    ok = lrcore.constant(0.9) if key == "momentum" else lrcore.constant(0.01)
    with pytest.raises(ValueError, match=rf"^Argument `{key}\[1\]` sets .*param group 1"):
        lt.scheduler(opt, lrcore.constant(0.1), **{key: [ok, schedule]})


@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("adam", dict(momentum=lrcore.onecycle_momentum(100))),
        ("adam", dict(momentum=lrcore.cyclic_momentum(step_size_up=2, base_momentum=0.0, max_momentum=0.999))),
        ("sgd", dict(momentum=lrcore.onecycle_momentum(100), weight_decay=lrcore.cosine_decay(0.01, 100))),
        ("sgd", dict(momentum=lrcore.constant(1.5), weight_decay=lrcore.ema_decay(0.9))),  # SGD has no upper bound
        ("sgd", dict(momentum=lrcore.constant(0.0), weight_decay=lrcore.constant(0.0))),
        ("adam", dict(momentum=lrcore.noise(lrcore.onecycle_momentum(100), pct=0.05))),  # 0.95 · 1.05 < 1
        ("sgd", dict(weight_decay=lrcore.clip(lrcore.linear(0.01, -0.01, 10), min_value=0.0))),
    ],
    ids=str,
)
def test_torch_scheduler_keeps_momentum_and_weight_decay_its_optimizer_accepts(kind, kwargs):
    opt = torch.optim.Adam(_params(), lr=0.1) if kind == "adam" else torch.optim.SGD(_params(), lr=0.1, momentum=0.9, weight_decay=0.01)
    sched = lt.scheduler(opt, lrcore.constant(0.1), **kwargs)
    opt.step()
    sched.step()


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before:UserWarning")
@pytest.mark.parametrize("key", ["lr", "momentum", "weight_decay"])
def test_torch_scheduler_holds_a_growth_at_float32s_largest_value(key):
    """A growth past float32 set an lr (momentum, weight decay) of inf, and the parameters became
    -inf after one update; ``lrcore.torch``'s schedule holds it at float32's largest value, as
    docs/numerics.md promises, and so does the scheduler now."""
    start = 0.5 if key == "momentum" else 0.1
    growth = lrcore.exponential_decay(start, 1, 10.0)
    opt = torch.optim.SGD(_params(), lr=0.1, momentum=0.9, weight_decay=0.01)
    kwargs = {"schedule": growth} if key == "lr" else {"schedule": lrcore.constant(0.1), key: growth}
    sched = lt.scheduler(opt, **kwargs)
    assert float(lt.from_schedule(growth)(torch.tensor(60))) == F32_MAX
    for epoch in (37, 38, 39, 40, 60):
        sched.step(epoch)
        exact = Fraction(start) * 10**epoch  # independent of the code under test
        got = opt.param_groups[0][key]
        if exact > F32_MAX:
            assert got == F32_MAX, (epoch, got)
        else:
            assert abs(Fraction(got) - exact) <= exact * Fraction(4, 2**23), (epoch, got, float(exact))


@pytest.mark.parametrize("schedule", [lrcore.linear(0.1, -0.1, 10), lrcore.constant(-0.1),
                                      lrcore.constant(0.1) - 0.2, lrcore.constant(0.1) * -1.0],
                         ids=["linear", "constant", "difference", "negated"])
@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_torch_scheduler_refuses_an_lr_its_optimizer_refuses(schedule, mode):
    """A schedule reaching a negative lr was applied (SGD(lr=-0.1) itself raises "Invalid learning rate")."""
    with pytest.raises(ValueError, match="Invalid learning rate"):
        torch.optim.SGD(_params(), lr=-0.1)
    with pytest.raises(ValueError, match=r"^Argument `schedule` sets SGD's lr \(param group 0\).*reach -0\.[12] "):
        lt.scheduler(torch.optim.SGD(_params(), lr=0.1), schedule, mode=mode)


@pytest.mark.parametrize("base", [float("nan"), -1.0, float("inf"), "0.1"], ids=str)
def test_torch_relative_scheduler_refuses_a_group_lr_it_cannot_scale(base):
    """Relative mode multiplies each group's initial lr by the schedule: a NaN or negative one (an
    added group, an edited group, an ``initial_lr`` from a resume) was applied, and the scheduler
    then saved a state its own loader refuses."""
    opt = torch.optim.SGD(_params(), lr=0.1)
    sched = lt.scheduler(opt, lrcore.constant(1.0), mode="relative")
    opt.param_groups[0]["params"][0].grad = torch.ones(2)
    opt.add_param_group({"params": _params(), "lr": base})
    opt.step()
    with pytest.raises(ValueError, match=r"^Param group 1's `lr` must be a finite number >= 0"):
        sched.step()
    opt = torch.optim.SGD(_params(), lr=0.1)
    opt.param_groups[0]["initial_lr"] = base
    with pytest.raises(ValueError, match=r"^Param group 0's `initial_lr` must be a finite number >= 0"):
        lt.scheduler(opt, lrcore.constant(1.0), mode="relative", last_epoch=3)


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before:UserWarning")
def test_torch_scheduler_stepped_past_the_largest_step_saves_a_state_that_loads():
    """``step()`` from step 2**63 - 1 went to 2**63, a state its loader refuses; it holds the largest
    step (every later step has its value, docs/step.md)."""
    opt = torch.optim.SGD(_params(), lr=0.1)
    sched = lt.scheduler(opt, lrcore.cosine_decay(0.1, 2**63 - 1, end_value=0.01))
    sched.step(2**63 - 1)
    sched.step()
    state = sched.state_dict()
    assert state["last_epoch"] == 2**63 - 1 and opt.param_groups[0]["lr"] == float(np.float32(0.01))
    again = lt.scheduler(torch.optim.SGD(_params(), lr=0.1), lrcore.cosine_decay(0.1, 2**63 - 1, end_value=0.01))
    again.load_state_dict(state)
    assert again.last_epoch == 2**63 - 1
    plateau = lt.ReduceLROnPlateau(lt.scheduler(torch.optim.SGD(_params(), lr=0.1), lrcore.constant(0.1)))
    plateau.step(1.0, epoch=2**63 - 1)
    plateau.step(1.0)
    assert plateau.state_dict()["last_epoch"] == 2**63 - 1


def test_value_floor_of_a_traced_level_is_unknown():
    """A warmup's floor took a traced ``init_value`` as 0 and a clip's a traced ``max_value`` as
    absent, so a clip of a warmup from a traced -3e35 was bounded by its ``max_value``: a traced
    level has no sign yet, and the floor of a schedule holding one is -inf."""
    import jax
    import jax.numpy as jnp

    from lrcore.schedule import value_floor

    seen = {}

    def floors(a):
        LJ = lrcore.jax
        seen["warmup"] = value_floor(LJ.warmup(LJ.constant(1.0), 10, init_value=a).schedule)
        seen["clip"] = value_floor(LJ.clip(LJ.constant(0.5), max_value=a).schedule)
        seen["nested"] = value_floor(LJ.scale(LJ.join([LJ.constant(a), LJ.constant(1.0)], [5]), 2.0).schedule)
        seen["values"] = value_floor(LJ.clip(LJ.piecewise_constant([5], [a, 1.0]), max_value=1.0).schedule)
        seen["points"] = value_floor(LJ.piecewise_linear([0, 5], [a, 1.0]).schedule)
        return a

    jax.jit(floors)(jnp.float32(-3e35))
    assert seen == {"warmup": -math.inf, "clip": -math.inf, "nested": -math.inf, "values": -math.inf, "points": -math.inf}
    # With values, the same schedules have their levels' floors.
    assert value_floor(lrcore.warmup(lrcore.constant(1.0), 10, init_value=-3e35)) == -3e35
    assert value_floor(lrcore.clip(lrcore.constant(0.5), max_value=-2.0)) == -2.0


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_level_beyond_the_float_dtype_is_shown_with_its_sign(sign):
    """The refusal gave the magnitude: "`min_value` of clip is 3.4e+38" for min_value=-3.4e+38."""
    s = lrcore.clip(lrcore.exponential_decay(-1.0, 10, 10.0), min_value=sign * -3.4e38)
    with pytest.raises(ValueError, match=re.escape(f"`min_value` of clip is {sign * -3.4e38!r}, beyond the largest float16")):
        s.evaluate(0, dtype=np.float16)


def test_a_held_growth_times_a_schedule_below_one_and_a_level_at_the_maximum_times_one_are_refused():
    """Products the bound must keep room for: a growth held at the float maximum times a factor
    schedule of values up to 1 would be held at the maximum times the factor, not at the maximum
    (2**1025 · 0.5 read 8.99e307); and a factor of bound 1 can round above 1 in float32
    (inverse_sqrt(1, warmup_steps=19) is 1.0000001 at step 19 on torch): times a level at float32's
    maximum, inf."""
    growth = lrcore.exponential_decay(1.0, 1, 2.0)
    for factor in (lrcore.piecewise_constant([100], [1.0, 0.5]), lrcore.exponential_decay(1.0, 1, 0.5),
                   lrcore.join([lrcore.constant(1.0), lrcore.constant(0.25)], [100])):
        with pytest.raises(ValueError, match=r"Argument `schedules\[1\]` of multiply .*largest float64"):
            lrcore.multiply([growth, factor])
    top = float(np.finfo(np.float32).max)
    product = lrcore.multiply([lrcore.constant(top), lrcore.inverse_sqrt(1.0, warmup_steps=19)])
    with pytest.raises(ValueError, match="float32"):
        product.evaluate(19, dtype=np.float32)


def test_noam_with_a_d_model_near_float64s_largest_keeps_its_peak_and_its_range_check():
    """d_model·warmup_steps passed float64: 1/sqrt(inf) is 0, so the range check saw a peak of 0 and
    scale(noam(1e308, 4, scale=1e300), 1e300) gave inf at every step; an array scale gave a peak
    of 0. The factor is taken as two square roots, as the evaluation's peak is."""
    import torch

    import lrcore.torch

    want_peak = mpmath.mpf(10) ** 300 / mpmath.sqrt(mpmath.mpf(10) ** 308 * 4)  # 5e145
    assert lrcore.noam(1e308, 4, scale=1e300)(4) == pytest.approx(float(want_peak), rel=4 * 2.0**-52)
    with pytest.raises(ValueError, match="Argument `factor` of scale"):
        lrcore.scale(lrcore.noam(1e308, 4, scale=1e300), 1e300)
    with pytest.raises(ValueError, match="beyond the largest float64"):
        lrcore.multiply([lrcore.noam(1e308, 4, scale=1e300), lrcore.constant(1e300)])
    # a tensor scale (an array level): the peak 1e20 / sqrt(4e300) = 5e-131 in float64, not 0
    s = lrcore.torch.noam(1e300, 4, scale=torch.tensor(1e20, dtype=torch.float64))
    assert float(s(torch.tensor(4))) == pytest.approx(5e-131, rel=1e-6)


@pytest.mark.parametrize(
    "inner, low",
    [(lambda: lrcore.cosine_restart(-3.0, 9, peak_mul=1.5, cycle_limit=5), 3.0 * 1.5**4),
     (lambda: lrcore.polynomial_restart(-3.0, 9, peak_mul=1.5, cycle_limit=5), 3.0 * 1.5**4),
     (lambda: lrcore.onecycle(-2.0, 50, div_factor=0.5, final_div_factor=0.25), 16.0)],
    ids=["cosine_restart", "polynomial_restart", "onecycle"],
)
def test_a_negative_level_that_grows_or_derives_past_itself_is_floored_by_its_bound(inner, low):
    """A growing restart of a negative peak, and onecycle's peak/div_factor with div_factor < 1, go
    below their levels: the floor said min(0, levels), so add(...) of them claimed values >= 0, a
    clip on top bounded them by its max_value, and scale(..., 1.5e308) gave -inf; the torch
    scheduler applied a negative lr. Their floor is -bound."""
    import torch

    import lrcore.torch

    schedule = inner()
    steps = np.arange(400)
    assert float(np.min(schedule(steps))) == pytest.approx(-low, rel=1e-12)  # the true minimum
    shifted = lrcore.add([schedule, lrcore.clip(lrcore.constant(low - 2.0), min_value=low - 2.0)])
    assert float(np.min(shifted(steps))) < 0.0
    with pytest.raises(ValueError, match="beyond the largest float64"):
        lrcore.scale(lrcore.clip(shifted, max_value=1.0), 1.5e308)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(ValueError):
        lrcore.torch.scheduler(optimizer, shifted)
