"""The TensorFlow array-API shim: every operation the core uses, checked against NumPy.

Each op runs eagerly and inside ``tf.function(jit_compile=True)``, with the int32/int64 and float32
dtypes the adapter evaluates with.
"""

from __future__ import annotations

import os
import pathlib
import re

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import array_api_compat.numpy as anp
import numpy as np
import pytest
import tensorflow as tf

from lrcore.backends import tf_namespace as tnp

INTS = [tf.int32, tf.int64]
RNG = np.random.default_rng(1234)
MODES = ["eager", "jit"]


def run(mode, fn, *args):
    """``fn(*args)`` eagerly or compiled with XLA, returned as NumPy."""
    if mode == "jit":
        fn = tf.function(fn, jit_compile=True)
    out = fn(*args)
    return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()


def test_shim_has_every_xp_function_the_core_calls():
    root = pathlib.Path(__file__).resolve().parents[1] / "lrcore"
    used = set()
    for path in root.glob("*.py"):
        used |= set(re.findall(r"\bxp\.(\w+)", path.read_text()))
    assert used, "found no xp.<name> calls in the core"
    missing = sorted(name for name in used if not hasattr(tnp, name))
    assert not missing, f"the TF shim lacks {missing}"


def test_default_dtypes():
    d = tnp.__array_namespace_info__().default_dtypes()
    assert d["integral"] == tf.int64 and d["real floating"] == tf.float32
    assert tnp.bool == tf.bool


@pytest.mark.parametrize(
    "kind", ["bool", "signed integer", "unsigned integer", "integral", "real floating", "complex floating",
             "numeric", ("bool", "real floating")]
)
def test_isdtype_matches_numpy(kind):
    for tf_dtype in [tf.bool, tf.int8, tf.int32, tf.int64, tf.uint8, tf.uint32, tf.float16, tf.float32,
                     tf.float64, tf.complex64]:
        np_dtype = np.dtype(tf_dtype.as_numpy_dtype)
        assert tnp.isdtype(tf_dtype, kind) == anp.isdtype(np_dtype, kind), (tf_dtype, kind)
    assert tnp.isdtype(tf.int64, tf.int64) and not tnp.isdtype(tf.int64, tf.int32)
    with pytest.raises(ValueError, match="kind"):
        tnp.isdtype(tf.int64, "integer")


def test_iinfo_finfo():
    for dt in INTS:
        assert tnp.iinfo(dt).max == np.iinfo(dt.as_numpy_dtype).max
        assert tnp.iinfo(dt).bits == np.iinfo(dt.as_numpy_dtype).bits
    for dt in [tf.float16, tf.float32, tf.float64]:
        assert tnp.finfo(dt).bits == np.finfo(dt.as_numpy_dtype).bits
    assert tnp.finfo(tf.bfloat16).bits == 16


def test_asarray_defaults_and_dtypes():
    assert tnp.asarray(3).dtype == tf.int64
    assert tnp.asarray(2**40).numpy() == 2**40
    assert tnp.asarray([1, 2]).dtype == tf.int64
    assert tnp.asarray(0.5).dtype == tf.float32
    assert tnp.asarray(True).dtype == tf.bool
    assert tnp.asarray(np.arange(3, dtype=np.int32)).dtype == tf.int32
    assert tnp.asarray(np.float64(0.1)).dtype == tf.float64
    assert tnp.asarray(0.1, dtype=tf.float32).numpy() == np.float32(0.1)
    assert tnp.asarray(2**62 + 1, dtype=tf.int64).numpy() == 2**62 + 1
    np.testing.assert_array_equal(tnp.asarray([1, 5, 9], dtype=tf.int32).numpy(), [1, 5, 9])
    t = tf.constant([1, 2], tf.int32)
    assert tnp.asarray(t) is t
    assert tnp.asarray(t, dtype=tf.int64).dtype == tf.int64
    v = tf.Variable(0.25, dtype=tf.float64)
    out = tnp.asarray(v, dtype=tf.float32)
    assert out.dtype == tf.float32 and out.numpy() == np.float32(0.25)
    with pytest.raises(OverflowError):
        tnp.asarray(2**31, dtype=tf.int32)
    with pytest.raises(OverflowError):
        tnp.asarray(2**63)


def test_asarray_keras_variable():
    import keras

    v = keras.Variable(7, dtype="int64")
    out = tnp.asarray(v)
    assert out.dtype == tf.int64 and out.numpy() == 7


@pytest.mark.parametrize("mode", MODES)
def test_creation_and_shape_ops(mode):
    x = RNG.integers(0, 100, size=(3, 4)).astype(np.int64)

    def f(t):
        return (
            tnp.astype(t, tf.float32),
            tnp.zeros_like(t),
            tnp.zeros_like(t, dtype=tf.float32),
            tnp.ones_like(t, dtype=tnp.bool),
            tnp.reshape(t, (-1,)),
            tnp.reshape(tnp.reshape(t, (-1,)), t.shape),
            tnp.stack([tnp.asarray(1.5, dtype=tf.float32), tnp.astype(t[0, 0], tf.float32)]),
            tnp.zeros((5,), dtype=tf.int64),
            tnp.zeros((2,)),
            tnp.concat([tnp.reshape(t, (-1,)), tnp.zeros((3,), dtype=tf.int64)]),
            tnp.concat([t, t], axis=1),
        )

    got = run(mode, f, tf.constant(x))
    want = (
        x.astype(np.float32), np.zeros_like(x), np.zeros_like(x, dtype=np.float32),
        np.ones_like(x, dtype=bool), x.reshape(-1), x, np.array([1.5, x[0, 0]], np.float32),
        np.zeros(5, np.int64), np.zeros(2, np.float32), np.concatenate([x.reshape(-1), np.zeros(3, np.int64)]),
        np.concatenate([x, x], axis=1),
    )
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    assert tnp.astype(tf.constant(x), tf.int64).dtype == tf.int64


def test_reshape_with_one_unknown_dimension():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64)])
    def f(t):
        return tnp.reshape(tnp.reshape(t, (-1,)) * 2, t.shape)

    np.testing.assert_array_equal(f(tf.constant([1, 2, 3], tf.int64)).numpy(), [2, 4, 6])
    with pytest.raises(ValueError, match="shape"):
        tnp.reshape(tf.constant([1, 2]), tf.TensorShape([None, None]))


@pytest.mark.parametrize("mode", MODES)
def test_elementwise_float32(mode):
    x = RNG.uniform(0.0, 1.0, size=50).astype(np.float32)
    y = RNG.uniform(-2.0, 2.0, size=50).astype(np.float32)

    def f(a, b):
        return (
            tnp.exp(b), tnp.cos(tnp.asarray(np.pi, dtype=tf.float32) * a), tnp.sqrt(a), tnp.pow(a, b),
            tnp.maximum(a, b), tnp.minimum(a, b), tnp.where(a > 0.5, a, b), tnp.floor(b * 10.0),
            tnp.clip(b, 0.0, 1.5), a / b, 1.0 - a, 0.5 + 0.5 * b, tnp.log(a + 0.25),
        )

    got = run(mode, f, tf.constant(x), tf.constant(y))
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    want = (
        np.exp(y64), np.cos(np.float32(np.pi) * x64), np.sqrt(x64), np.power(x64, y64),
        np.maximum(x, y), np.minimum(x, y), np.where(x > 0.5, x, y), np.floor(y * np.float32(10)),
        np.clip(y, 0.0, 1.5), x / y, np.float32(1) - x, np.float32(0.5) + np.float32(0.5) * y,
        np.log(x64 + 0.25),
    )
    for g, w in zip(got, want):
        assert g.dtype == np.float32 and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=4 * 2.0**-23, atol=4 * 2.0**-23)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", INTS)
def test_integer_ops_and_operators(mode, dtype):
    hi = np.iinfo(dtype.as_numpy_dtype).max
    x = np.concatenate([RNG.integers(0, hi, size=40, endpoint=True), [0, 1, hi, hi - 1]])
    x = x.astype(dtype.as_numpy_dtype)
    d = np.array(7, dtype=x.dtype)

    def f(a):
        k = tnp.asarray(d, dtype=dtype)
        return (
            a // k, a - (a // k) * k, a + k - k, tnp.maximum(a - k, tnp.asarray(0, dtype=dtype)),
            tnp.minimum(a, k), a < k, a <= k, (a > k) & (a < tnp.asarray(hi - 1, dtype=dtype)),
            tnp.clip(tnp.floor(a), 3, hi - 5),
        )

    got = run(mode, f, tf.constant(x))
    want = (
        x // d, x % d, x, np.maximum(x - d, 0), np.minimum(x, d), x < d, x <= d,
        (x > d) & (x < hi - 1), np.clip(x, 3, hi - 5),
    )
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


def test_float_to_int_step_conversion():
    # What prepare() does with float steps: floor, clip into the int64 range, cast.
    hi = float(np.nextafter(np.float32(2**63), np.float32(0)))
    x = np.array([-3.5, 0.0, 0.9, 7.99, 1e6 + 0.5, 1e30], np.float32)
    got = tnp.astype(tnp.clip(tnp.floor(tf.constant(x)), 0.0, hi), tf.int64).numpy()
    want = np.clip(np.floor(x), 0.0, hi).astype(np.int64)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(mode, dtype, side):
    np_dtype = dtype.as_numpy_dtype
    hi = np.iinfo(np_dtype).max
    table = np.unique(np.concatenate([[0, 1, hi], RNG.integers(0, hi, size=30)])).astype(np_dtype)
    for shape in [(), (5,), (2, 3)]:
        size = int(np.prod(shape))
        x = np.concatenate([table[RNG.integers(0, len(table), size=size)], RNG.integers(0, hi, size=size)])
        x = x[:size].copy() if size else np.array(table[3])
        x = x.reshape(shape).astype(np_dtype)
        got = run(mode, lambda t, v: tnp.searchsorted(t, v, side=side), tf.constant(table), tf.constant(x))
        want = np.searchsorted(table, x, side=side)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_searchsorted_rejects_bad_side():
    with pytest.raises(ValueError, match="side"):
        tnp.searchsorted(tf.constant([1]), tf.constant([1]), side="middle")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", INTS)
def test_take(mode, dtype):
    table = RNG.uniform(size=17).astype(np.float32)
    itable = RNG.integers(0, 2**31 - 1, size=17).astype(dtype.as_numpy_dtype)
    for shape in [(), (4,), (2, 5)]:
        idx = RNG.integers(0, 17, size=shape).astype(dtype.as_numpy_dtype)

        def f(t, it, i):
            return tnp.take(t, i, axis=0), tnp.take(it, i)

        got, igot = run(mode, f, tf.constant(table), tf.constant(itable), tf.constant(idx))
        np.testing.assert_array_equal(got, np.take(table, idx, axis=0))
        np.testing.assert_array_equal(igot, np.take(itable, idx))


def test_asarray_places_constants_on_the_step_device():
    step = tf.constant([1, 2], tf.int64)
    out = tnp.asarray([3, 4], dtype=tf.int64, device=step.device)
    assert out.device == step.device
    np.testing.assert_array_equal(out.numpy(), [3, 4])
    # An empty device string (symbolic tensors in tf.function) leaves placement to TensorFlow.
    assert tnp.asarray(0.5, dtype=tf.float32, device="").numpy() == np.float32(0.5)
