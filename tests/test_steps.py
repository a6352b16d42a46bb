"""The step, as docs/step.md defines it, on every backend and adapter, eager and compiled.

A NaN step gives NaN (never a plausible learning rate); ``-inf`` and negative steps are step 0;
``+inf`` and steps past the integer range a backend evaluates in (int32 for JAX without x64, int64
elsewhere), unsigned ones included, are the largest step of that range (never wrapped to step 0);
steps of every real dtype work; complex, bool, string and object steps raise ``TypeError``.
``tests/test_properties.py`` draws such steps at random; these are the reported cases, each named.
"""

from __future__ import annotations

import math
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

import lrcore
import lrcore.numpy

INT64_MAX, INT32_MAX = 2**63 - 1, 2**31 - 1
# Inductor imports torch.jit.script_method, deprecated in this torch; not lrcore's warning.
INDUCTOR_NOISE = "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"
# Its value at step 0 (1.0), in the middle, and at the int32 and int64 ends all differ.
SCHEDULE = lrcore.join([lrcore.linear(1.0, 0.5, INT32_MAX), lrcore.constant(0.25)], [2**40])
FIRST, LAST32, LAST64 = 1.0, 0.5, 0.25


def _tf():
    import tensorflow as tf

    import lrcore.tf

    return tf, lrcore.tf.from_schedule(SCHEDULE)


def _torch():
    import torch

    import lrcore.torch

    return torch, lrcore.torch.from_schedule(SCHEDULE)


def _jax():
    import jax
    import jax.numpy as jnp

    import lrcore.jax

    return jax, jnp, lrcore.jax.from_schedule(SCHEDULE)


# -- NaN ----------------------------------------------------------------------------------------
def _nan_numpy_core():
    return SCHEDULE(np.array([math.nan, 3.0]))


def _nan_python():
    return np.array([SCHEDULE(math.nan), lrcore.numpy.from_schedule(SCHEDULE)(math.nan), SCHEDULE(3.0)])


def _nan_strict():
    import array_api_strict as xs

    return np.asarray(SCHEDULE(xs.asarray([math.nan, 3.0])))


def _nan_jax_eager():
    jax, jnp, sched = _jax()
    return np.asarray(sched(jnp.asarray([math.nan, 3.0])))


def _nan_jax_jit():
    jax, jnp, sched = _jax()
    return np.asarray(jax.jit(sched)(jnp.asarray([math.nan, 3.0], dtype=jnp.float32)))


def _nan_jax_host():
    jax, jnp, sched = _jax()
    return np.array([sched(np.float64(math.nan)), sched(3.0)])


def _nan_torch_eager():
    torch, sched = _torch()
    return sched(torch.tensor([math.nan, 3.0])).double().numpy()


def _nan_torch_compile():
    torch, sched = _torch()
    return torch.compile(lambda k: sched(k), fullgraph=True)(torch.tensor([math.nan, 3.0])).double().numpy()


def _nan_tf_eager():
    tf, sched = _tf()
    return sched(tf.constant([math.nan, 3.0])).numpy().astype(np.float64)


def _nan_tf_xla():
    tf, sched = _tf()
    return tf.function(lambda k: sched(k), jit_compile=True)(tf.constant([math.nan, 3.0])).numpy().astype(np.float64)


NAN_CASES = {f.__name__[5:]: f for f in (
    _nan_numpy_core, _nan_python, _nan_strict, _nan_jax_eager, _nan_jax_jit, _nan_jax_host,
    _nan_torch_eager, _nan_torch_compile, _nan_tf_eager, _nan_tf_xla,
)}


@pytest.mark.filterwarnings(INDUCTOR_NOISE)
@pytest.mark.parametrize("case", sorted(NAN_CASES))
def test_nan_step_gives_nan(case):
    got = NAN_CASES[case]()
    assert np.all(np.isnan(got[:-1])), got
    assert got[-1] == pytest.approx(SCHEDULE(3), rel=1e-6)


# -- beyond the integer range -----------------------------------------------------------------------
def _range_numpy():
    steps = [np.array([2**63 + 5, 2**64 - 1], dtype=np.uint64), np.array([math.inf, 1e30]), 2**70, 10**30 + 0.5]
    return [SCHEDULE(s) for s in steps] + [lrcore.numpy.from_schedule(SCHEDULE)(2**70)], LAST64


def _range_torch():
    torch, sched = _torch()
    steps = [
        torch.tensor([2**63 + 5], dtype=torch.uint64),
        torch.tensor([math.inf, 1e30]),
        torch.tensor([math.inf], dtype=torch.float16),
        torch.tensor([1e30], dtype=torch.bfloat16),
        2**70,
        np.array([2**64 - 1], dtype=np.uint64),
    ]
    return [sched(s).double().numpy() for s in steps], LAST64


def _range_torch_compile():
    torch, sched = _torch()
    compiled = torch.compile(lambda k: sched(k), fullgraph=True)
    return [compiled(torch.tensor([math.inf, 1e30])).double().numpy()], LAST64


def _range_jax():
    jax, jnp, sched = _jax()
    jitted = jax.jit(sched)
    steps = [jnp.asarray([2**31 + 5, 2**32 - 1], dtype=jnp.uint32), jnp.asarray([math.inf, 3e9])]
    host = [np.int64(2**40), np.array([2**40, 2**62]), 2**40, 2**70, np.array([2**64 - 1], dtype=np.uint64), 3e9]
    return [np.asarray(f(s)) for s in steps for f in (sched, jitted)] + [np.asarray(sched(s)) for s in host], LAST32


def _range_tf():
    tf, sched = _tf()
    xla = tf.function(lambda k: sched(k), jit_compile=True)
    steps = [tf.constant([2**63 + 5], dtype=tf.uint64), tf.constant([math.inf, 1e30])]
    host = [2**70, np.array([2**64 - 1], dtype=np.uint64)]
    return [f(s).numpy() for s in steps for f in (sched, xla)] + [sched(s).numpy() for s in host], LAST64


@pytest.mark.filterwarnings(INDUCTOR_NOISE)
@pytest.mark.parametrize("case", [_range_numpy, _range_torch, _range_torch_compile, _range_jax, _range_tf], ids=lambda f: f.__name__[7:])
def test_steps_past_the_integer_range_are_the_last_step(case):
    results, last = case()
    for got in results:
        got = np.asarray(got, dtype=np.float64)
        np.testing.assert_allclose(got, np.full(got.shape, last), rtol=1e-6)


@pytest.mark.parametrize("step", [-math.inf, -1e30, -(2**70), -0.5])
def test_minus_inf_and_negative_steps_are_step_zero(step):
    torch, sched = _torch()
    assert SCHEDULE(step) == FIRST
    assert float(sched(torch.tensor(float(step)) if isinstance(step, float) else step)) == FIRST


# -- every real dtype ---------------------------------------------------------------------------------
HALF = [np.float16, ml_dtypes.bfloat16]


@pytest.mark.parametrize("dtype", HALF, ids=["float16", "bfloat16"])
def test_half_precision_steps(dtype):
    steps = np.array([0.0, 3.5, 96.0, 2048.0], dtype=dtype)
    whole = np.array([0, 3, 96, 2048])
    want = lrcore.numpy.from_schedule(SCHEDULE)(whole)
    np.testing.assert_array_equal(SCHEDULE(steps), want)
    torch, tsched = _torch()
    tdtype = torch.float16 if dtype is np.float16 else torch.bfloat16
    np.testing.assert_array_equal(tsched(torch.tensor(steps.astype(np.float32)).to(tdtype)).numpy(), tsched(torch.tensor(whole)).numpy())
    jax, jnp, jsched = _jax()
    jdtype = jnp.float16 if dtype is np.float16 else jnp.bfloat16
    for f in (jsched, jax.jit(jsched)):
        np.testing.assert_array_equal(np.asarray(f(jnp.asarray(steps, dtype=jdtype))), np.asarray(f(jnp.asarray(whole, dtype=jnp.int32))))
    tf, fsched = _tf()
    tfdtype = tf.float16 if dtype is np.float16 else tf.bfloat16
    np.testing.assert_array_equal(fsched(tf.constant(steps.astype(np.float32), dtype=tfdtype)).numpy(), fsched(tf.constant(whole)).numpy())


@pytest.mark.parametrize(
    ("step", "want"),
    [
        (Fraction(11, 2), SCHEDULE(5)),
        ([Fraction(11, 2), 2**70], [SCHEDULE(5), LAST64]),
        ([Fraction(-7, 2), math.nan], [FIRST, math.nan]),
    ],
    ids=["fraction", "fraction-and-huge-int", "fraction-and-nan"],
)
def test_other_real_numbers_are_floored_exactly(step, want):
    """``s(Fraction(11, 2))`` said "must fit in a 64-bit integer"; it is step 5."""
    np.testing.assert_array_equal(SCHEDULE(step), np.asarray(want))


BAD_STEPS = [1j, np.complex64(2), np.array([1 + 2j]), True, np.array([True]), "3", np.array(["3"]), object(), [object()], None]


@pytest.mark.parametrize("step", BAD_STEPS, ids=[f"{i}-{type(x).__name__}" for i, x in enumerate(BAD_STEPS)])
def test_complex_bool_string_object_steps_raise_type_error(step):
    with pytest.raises(TypeError, match="step"):
        SCHEDULE(step)
    with pytest.raises(TypeError):
        lrcore.numpy.from_schedule(SCHEDULE)(step)
    torch, tsched = _torch()
    with pytest.raises(TypeError):
        tsched(step)
    tf, fsched = _tf()
    with pytest.raises(TypeError):
        fsched(step)


RAGGED_STEPS = [[[1], [2, 3]], [1, [2]], [[1], ["a", 2]]]
NON_NUMERIC_NESTED = [[[1, "a"]], [[b"1"]], np.array(["2020-01-01"], dtype="datetime64[D]")]


@pytest.mark.parametrize("step", RAGGED_STEPS + NON_NUMERIC_NESTED, ids=lambda s: repr(s)[:30])
def test_ragged_and_non_numeric_nested_steps_are_refused_naming_step(step):
    """A ragged list raised NumPy's bare "setting an array element with a sequence" on every adapter,
    and a nested list of strings torch's and JAX's own conversion errors; each now names `step` and
    shows it."""
    error = ValueError if any(step is s for s in RAGGED_STEPS) else TypeError
    _, tsched = _torch()
    _, _, jsched = _jax()
    _, fsched = _tf()
    for call in (SCHEDULE, lrcore.numpy.from_schedule(SCHEDULE), tsched, jsched, fsched):
        with pytest.raises(error, match=r"Argument `step` must .*Received: step=") as info:
            call(step)
        assert repr(step)[:8] in str(info.value) or "array(" in str(info.value), (call, info.value)


def test_complex_and_bool_tensors_raise_type_error():
    torch, tsched = _torch()
    jax, jnp, jsched = _jax()
    tf, fsched = _tf()
    for call in (
        lambda: tsched(torch.tensor([1 + 1j])),
        lambda: tsched(torch.tensor([True])),
        lambda: jsched(jnp.asarray([1 + 1j])),
        lambda: jax.jit(jsched)(jnp.asarray([True])),
        lambda: fsched(tf.constant([1 + 1j])),
        lambda: fsched(tf.constant([True])),
        lambda: fsched(tf.constant(["3"])),
    ):
        with pytest.raises(TypeError, match="step"):
            call()


def test_evaluate_accepts_only_real_floating_dtypes():
    with pytest.raises(TypeError, match="`dtype`.*int32"):
        lrcore.constant(math.pi).evaluate(3, xp=np, dtype=np.int32)
    with pytest.raises(TypeError, match="`dtype`"):
        lrcore.constant(math.pi).evaluate(3, xp=np, dtype=np.complex128)
    torch, _ = _torch()
    import array_api_compat.torch as xt

    with pytest.raises(TypeError, match="`dtype`"):
        lrcore.constant(math.pi).evaluate(torch.tensor(3), xp=xt, dtype=torch.int64)
    assert float(lrcore.constant(math.pi).evaluate(3, xp=np, dtype=np.float32)) == float(np.float32(math.pi))


# -- levels and the float dtype ---------------------------------------------------------------------
def test_levels_beyond_float32_are_refused_naming_them():
    s = lrcore.cosine_decay(1e39, 100)
    assert math.isfinite(s(50))  # float64 holds it
    with pytest.raises(ValueError, match="`init_value`.*Received: init_value=1e\\+39"):
        s.evaluate(np.arange(3), xp=np, dtype=np.float32)
    torch, _ = _torch()
    with pytest.raises(ValueError, match="`init_value`"):
        s(torch.arange(3))  # torch's default float is float32
    import lrcore.jax as ljax
    import lrcore.tf as ltf
    import lrcore.torch as ltorch

    for module in (ljax, ltorch, ltf):
        with pytest.raises(ValueError, match="`peak_value`"):
            module.warmup_cosine_decay(0.0, -4e38, 10, 100)
        with pytest.raises(ValueError, match="`values\\[1\\]`"):
            module.from_schedule(lrcore.join([lrcore.constant(1.0), lrcore.piecewise_constant([3], [1.0, 1e39])], [5]))
        with pytest.raises(ValueError, match="`factor`"):
            module.from_schedule(lrcore.scale(lrcore.constant(1e30), 1e10))
    # At the float32 limit itself: accepted, and finite.
    edge = float(np.finfo(np.float32).max)
    assert np.isfinite(float(ltorch.constant(edge)(torch.tensor(3))))


def test_a_python_int_step_gives_a_scalar_of_the_asked_dtype():
    """``evaluate(3, dtype=np.float32)`` returned the float32 value widened to np.float64."""
    import lrcore

    s = lrcore.cosine_decay(1.0, 10)
    for dtype in (np.float16, np.float32, np.float64):
        got = s.evaluate(3, dtype=dtype)
        assert type(got) is dtype and got == s.evaluate(np.asarray([3]), dtype=dtype)[0]
    assert type(s(3)) is np.float64


def test_evaluate_with_a_namespace_never_wraps_host_steps():
    """``evaluate(step, xp=jax.numpy)`` gave step 5 for ``np.int64(2**32 + 5)`` (``jnp.asarray``
    wraps int64 past int32 without x64) and a bare OverflowError for ``2**40``: host steps are
    converted on the host for any namespace, as ``lrcore.jax`` schedules convert them."""
    import jax.numpy as jnp
    import torch
    from array_api_compat import torch as xt

    s = lrcore.linear(1.0, 0.0, 100)
    end = float(np.float32(0.0))
    cases = [np.int64(2**32 + 5), np.array([2**32 + 5, 2**40]), np.uint64(2**63 + 5), 2**40, 2**31, [2**63 + 1],
             np.array([2.0**40, 1e300]), np.float32(2.0**33)]
    for step in cases:
        for xp in (jnp, xt):
            got = np.asarray(s.evaluate(step, xp=xp))
            assert np.all(got == end), (step, xp, got)
    # Below 0 is step 0; NaN stays NaN; fractional float64 steps are floored, not rounded to float32.
    got = np.asarray(s.evaluate(np.array([-2**40, np.nan, 2**24 + 1.5, 5.5]), xp=jnp))
    want = [1.0, math.nan, 0.0, float(np.float32(0.95))]
    np.testing.assert_array_equal(got, np.asarray(want, dtype=np.float32))
    assert torch.is_tensor(s.evaluate(2**40, xp=xt))


def test_evaluate_refuses_float64_where_jax_computes_float32():
    """``evaluate(5, xp=jax.numpy, dtype=jnp.float64)`` with x64 off returned float32 (JAX only warned
    that it truncates); ``lrcore.jax`` refuses the same request. Refused, naming ``dtype``; with x64
    on, float64 it is. Each setting in a fresh process (x64 is read at JAX's start)."""
    import subprocess
    import sys

    script = (
        "import jax, sys\n"
        "jax.config.update('jax_enable_x64', sys.argv[1] == 'on')\n"
        "import jax.numpy as jnp, lrcore\n"
        "try:\n"
        "    print(lrcore.linear(1.0, 0.0, 2**40).evaluate(5, xp=jnp, dtype=jnp.float64).dtype)\n"
        "except TypeError as e:\n"
        "    print('TypeError', e)\n"
    )
    outputs = {}
    for x64 in ("off", "on"):
        done = subprocess.run([sys.executable, "-c", script, x64], capture_output=True, text=True, check=True)
        outputs[x64] = done.stdout.strip().splitlines()[-1]
    assert outputs["off"].startswith("TypeError Argument `dtype` is float64"), outputs
    assert outputs["on"] == "float64", outputs
