"""The TensorFlow array-API shim: every operation the core uses, and every array-API element-wise
function (most of them TensorFlow's own, resolved on first use), checked against NumPy.

Each op runs eagerly and inside ``tf.function(jit_compile=True)``, with the int32/int64 and float32
dtypes the adapter evaluates with.
"""

from __future__ import annotations

import os
import pathlib
import re
import zlib

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import array_api_compat.numpy as anp
import array_api_compat.torch as compat_torch
import array_api_strict._elementwise_functions as strict_elementwise
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

from lrcore.backends import tf_namespace as tnp
from tests.helpers import assert_ulp_close

INTS = [tf.int32, tf.int64]
RNG = np.random.default_rng(1234)
MODES = ["eager", "jit"]


def run(mode, fn, *args):
    """``fn(*args)`` eagerly or compiled with XLA, returned as NumPy."""
    if mode == "jit":
        fn = tf.function(fn, jit_compile=True)
    out = fn(*args)
    return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()


#: The array API's element-wise functions (as array-api-strict defines them).
ELEMENTWISE = sorted(
    name
    for name, obj in vars(strict_elementwise).items()
    if callable(obj) and getattr(obj, "__module__", None) == strict_elementwise.__name__ and not name.startswith("_")
)


def _core_xp_names():
    root = pathlib.Path(__file__).resolve().parents[1] / "lrcore"
    used = set()
    for path in root.glob("*.py"):
        used |= set(re.findall(r"\bxp\.(\w+)", path.read_text()))
    assert used, "found no xp.<name> calls in the core"
    return used


def test_shim_has_every_xp_function_the_core_calls():
    missing = sorted(name for name in _core_xp_names() if not hasattr(tnp, name))
    assert not missing, f"the TF shim lacks {missing}"


def test_core_calls_only_shim_functions_or_array_api_elementwise_ones():
    """The shim resolves element-wise functions to TensorFlow's own; anything else the core calls
    (a reduction, a search) needs a definition with array-API semantics in the shim itself, where
    TensorFlow's function of the same name may differ (``tf.math.argmax`` reduces axis 0)."""
    defined = {name for name, obj in vars(tnp).items() if getattr(obj, "__module__", None) == tnp.__name__}
    dtypes_and_info = {"bool", "int32", "int64", "float32", "float64", "__array_namespace_info__"}
    other = sorted(_core_xp_names() - defined - set(ELEMENTWISE) - dtypes_and_info)
    assert not other, f"the core calls {other}: define them in lrcore/backends/tf_namespace.py"


def test_every_elementwise_function_exists_in_every_namespace():
    """NumPy (>= 2.1), jax.numpy and array_api_compat.torch have them all; the TF shim resolves them."""
    assert len(ELEMENTWISE) >= 60 and {"tanh", "expm1", "log1p", "sinh", "atan2", "hypot"} <= set(ELEMENTWISE)
    for namespace in (np, jnp, compat_torch, tnp):
        missing = [name for name in ELEMENTWISE if not callable(getattr(namespace, name, None))]
        assert not missing, (namespace.__name__, missing)
    assert set(ELEMENTWISE) == set(FLOAT_UNARY) | set(FLOAT_BINARY) | set(INTEGER) | set(BOOLEAN) | {"clip"}


def test_unknown_names_are_an_attribute_error_saying_where_to_add_them():
    with pytest.raises(AttributeError, match="'no_such_function'.*tf_namespace.py"):
        tnp.no_such_function  # noqa: B018
    with pytest.raises(AttributeError):
        tnp._private  # noqa: B018 - private and dunder names never resolve to TensorFlow
    # Resolved once, to TensorFlow's own function (bit for bit what a wrapper around it would give).
    assert tnp.tanh is tf.math.tanh and tnp.maximum is tf.math.maximum and tnp.pow is tf.math.pow
    assert tnp.remainder is tf.math.floormod and tnp.floor_divide is tf.math.floordiv


# Per element-wise function: the interval its float32 inputs are drawn from (where it is defined).
# The shim's result is compared with NumPy's in float64 on the same float32 inputs, within 4 float32
# ulp of the largest value (the precision promise), or exactly where the result is boolean or exact.
def _uniform(name, lo, hi, size=64):
    """float32 inputs drawn for ``name`` alone (the same ones in any test order)."""
    return np.random.default_rng(zlib.crc32(name.encode())).uniform(lo, hi, size=size).astype(np.float32)


FLOAT_UNARY = {
    "abs": (-3, 3), "acos": (-1, 1), "acosh": (1, 10), "asin": (-1, 1), "asinh": (-5, 5), "atan": (-5, 5),
    "atanh": (-0.99, 0.99), "ceil": (-5, 5), "conj": (-3, 3), "cos": (-3, 3), "cosh": (-5, 5), "exp": (-5, 5),
    "expm1": (-1, 1), "floor": (-5, 5), "imag": (-3, 3), "isfinite": (-3, 3), "isinf": (-3, 3),
    "isnan": (-3, 3), "log": (0.1, 10), "log10": (0.1, 10), "log1p": (-0.5, 2), "log2": (0.1, 10),
    "negative": (-3, 3), "positive": (-3, 3), "real": (-3, 3), "reciprocal": (0.5, 4), "round": (-5, 5),
    "sign": (-3, 3), "signbit": (-3, 3), "sin": (-3, 3), "sinh": (-5, 5), "sqrt": (0, 10), "square": (-3, 3),
    "tan": (-1.2, 1.2), "tanh": (-5, 5), "trunc": (-5, 5),
}
FLOAT_BINARY = {
    "add": ((-3, 3), (-3, 3)), "atan2": ((-3, 3), (-3, 3)), "copysign": ((-3, 3), (-3, 3)),
    "divide": ((-3, 3), (0.5, 3)), "equal": ((-3, 3), (-3, 3)), "floor_divide": ((-9, 9), (0.5, 3)),
    "greater": ((-3, 3), (-3, 3)), "greater_equal": ((-3, 3), (-3, 3)), "hypot": ((-3, 3), (-3, 3)),
    "less": ((-3, 3), (-3, 3)), "less_equal": ((-3, 3), (-3, 3)), "logaddexp": ((-5, 5), (-5, 5)),
    "maximum": ((-3, 3), (-3, 3)), "minimum": ((-3, 3), (-3, 3)), "multiply": ((-3, 3), (-3, 3)),
    "nextafter": ((-3, 3), (-3, 3)), "not_equal": ((-3, 3), (-3, 3)), "pow": ((0.1, 3), (-2, 2)),
    "remainder": ((-9, 9), (0.5, 3)), "subtract": ((-3, 3), (-3, 3)),
}
INTEGER = {  # integer inputs (the arity is the tuple's length)
    "bitwise_and": 2, "bitwise_invert": 1, "bitwise_left_shift": 2, "bitwise_or": 2, "bitwise_right_shift": 2,
    "bitwise_xor": 2,
}
BOOLEAN = {"logical_and": 2, "logical_not": 1, "logical_or": 2, "logical_xor": 2}
#: Special values: signed zeros, infinities, NaN, halves.
SPECIAL = np.array([-0.0, 0.0, np.inf, -np.inf, np.nan, -np.nan, 2.5, -2.5, 0.5, -1.5, 3.0, -7.25], np.float32)


def _exact(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)
    if got.dtype.kind == "f":
        number = ~np.isnan(want)  # -0.0 is not 0.0 (a NaN's sign is unspecified)
        np.testing.assert_array_equal(np.signbit(got[number]), np.signbit(want[number]))


def _matches_float64(got, want, name):
    """A predicate exactly; a float32 result within the promise of NumPy's float64 value."""
    if want.dtype == bool:
        _exact(got, want)
    else:
        assert got.dtype == np.float32
        assert_ulp_close(got, want, 32, context=name)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(FLOAT_UNARY))
def test_elementwise_unary_float32_matches_numpy(mode, name):
    x = _uniform(name, *FLOAT_UNARY[name])
    got = run(mode, getattr(tnp, name), tf.constant(x))
    want = getattr(np, name)(x.astype(np.float64))
    _matches_float64(got, want, name)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(FLOAT_BINARY))
def test_elementwise_binary_float32_matches_numpy(mode, name):
    (lo1, hi1), (lo2, hi2) = FLOAT_BINARY[name]
    x1, x2 = _uniform(name, lo1, hi1), _uniform(name + "2", lo2, hi2)
    x2[:8] = x1[:8]  # some ties, for the comparisons
    got = run(mode, getattr(tnp, name), tf.constant(x1), tf.constant(x2))
    if name == "nextafter":  # a float32 function: exact in float32
        _exact(got, np.nextafter(x1, x2))
        return
    want = getattr(np, {"pow": "power"}.get(name, name))(x1.astype(np.float64), x2.astype(np.float64))
    _matches_float64(got, want, name)


@pytest.mark.parametrize("mode", MODES)
def test_elementwise_special_values_are_exact(mode):
    def f(x):
        return (
            tnp.isnan(x), tnp.isinf(x), tnp.isfinite(x), tnp.signbit(x), tnp.trunc(x), tnp.round(x),
            tnp.ceil(x), tnp.floor(x), tnp.copysign(tnp.asarray(1.5, dtype=tf.float32), x),
            tnp.hypot(x, tnp.asarray(np.nan, dtype=tf.float32)), tnp.hypot(x, x[::-1]),
        )

    got = run(mode, f, tf.constant(SPECIAL))
    x = SPECIAL
    want = (
        np.isnan(x), np.isinf(x), np.isfinite(x), np.signbit(x), np.trunc(x), np.round(x), np.ceil(x),
        np.floor(x), np.copysign(np.float32(1.5), x), np.hypot(x, np.float32(np.nan)), np.hypot(x, x[::-1]),
    )
    for i, (g, w) in enumerate(zip(got, want)):
        if i == len(want) - 1:  # hypot of finite values: rounded, within the promise
            finite = np.isfinite(w)
            np.testing.assert_array_equal(np.isfinite(g), finite)
            assert_ulp_close(g[finite], w[finite], 32)
        else:
            _exact(g, w)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", INTS)
def test_elementwise_integer_functions_match_numpy(mode, dtype):
    np_dtype = dtype.as_numpy_dtype
    x1 = RNG.integers(-1000, 1000, size=40).astype(np_dtype)
    x2 = np.concatenate([RNG.integers(1, 30, size=20), -RNG.integers(1, 30, size=20)]).astype(np_dtype)
    shift = RNG.integers(0, 8, size=40).astype(np_dtype)

    def f(a, b, s):
        out = {name: getattr(tnp, name)(a, b) for name in ("bitwise_and", "bitwise_or", "bitwise_xor")}
        out["bitwise_invert"] = tnp.bitwise_invert(a)
        out["bitwise_left_shift"] = tnp.bitwise_left_shift(a, s)
        out["bitwise_right_shift"] = tnp.bitwise_right_shift(a, s)
        for name in ("floor_divide", "remainder", "maximum", "minimum", "multiply", "subtract"):
            out[name] = getattr(tnp, name)(a, b)
        for name in ("abs", "negative", "sign", "square", "floor", "ceil", "round", "trunc", "positive"):
            out[name] = getattr(tnp, name)(a)
        for name in ("isnan", "isinf", "isfinite", "signbit"):
            out[name] = getattr(tnp, name)(a)
        return tuple(out.values()), tuple(out)

    names = f(tf.constant(x1), tf.constant(x2), tf.constant(shift))[1]
    got = run(mode, lambda a, b, s: f(a, b, s)[0], tf.constant(x1), tf.constant(x2), tf.constant(shift))
    numpy = {"bitwise_invert": "invert", "bitwise_left_shift": "left_shift", "bitwise_right_shift": "right_shift"}
    for name, g in zip(names, got):
        fn = getattr(np, numpy.get(name, name))
        w = fn(x1, shift) if "shift" in name else fn(x1, x2) if getattr(fn, "nin", 1) == 2 else fn(x1)
        _exact(g, w)
    assert set(INTEGER) <= set(names)


@pytest.mark.parametrize("mode", MODES)
def test_elementwise_boolean_functions_match_numpy(mode):
    a, b = RNG.integers(0, 2, size=16).astype(bool), RNG.integers(0, 2, size=16).astype(bool)

    def f(x, y):
        return (tnp.logical_and(x, y), tnp.logical_or(x, y), tnp.logical_xor(x, y), tnp.logical_not(x),
                tnp.bitwise_and(x, y), tnp.bitwise_or(x, y), tnp.bitwise_xor(x, y), tnp.bitwise_invert(x))

    got = run(mode, f, tf.constant(a), tf.constant(b))
    want = (a & b, a | b, a ^ b, ~a, a & b, a | b, a ^ b, ~a)
    for g, w in zip(got, want):
        _exact(g, w)


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
