"""The array-API subset the lrcore core uses, on TensorFlow ops.

TensorFlow has no array-API namespace, so this module is one. It defines the dtypes, inspection
helpers, creation, shape and indexing functions the core calls on ``xp``, and the element-wise
functions whose TensorFlow counterpart has other semantics (``floor`` and ``isnan`` of integers,
``clip`` with Python bounds, ``signbit`` of ``-0.0``), each with array-API semantics and each built on
ops that also compile under ``tf.function(jit_compile=True)``.

Every other element-wise function resolves to TensorFlow's own on first use (:func:`__getattr__`):
``xp.tanh`` is ``tf.math.tanh``, ``xp.expm1`` is ``tf.math.expm1``, and the few that TensorFlow spells
differently are mapped (``remainder`` is ``tf.math.floormod``, ``log2`` is
``tf.experimental.numpy.log2``). A schedule that uses a new element-wise function therefore needs no
change here. The arithmetic and comparison operators the core applies to arrays
(``+ - * / // < <= > &``) are TensorFlow's own. ``tests/test_tf_namespace.py`` checks every
array-API element-wise function against NumPy.

The default integer is ``int64`` (Keras' ``optimizer.iterations``); ``int32`` steps are widened to it.
The default real floating dtype is ``float32``.
"""

from __future__ import annotations

import numbers

import numpy as np
import tensorflow as tf

bool = tf.bool  # noqa: A001 - the array-API name
int32 = tf.int32
int64 = tf.int64
float32 = tf.float32
float64 = tf.float64

_DEFAULTS = {
    "real floating": tf.float32,
    "complex floating": tf.complex64,
    "integral": tf.int64,
    "indexing": tf.int64,
}


class _Info:
    """What ``__array_namespace_info__()`` returns; only ``default_dtypes`` is used by lrcore."""

    def default_dtypes(self, *, device=None):
        return dict(_DEFAULTS)


def __array_namespace_info__():
    return _Info()


# -- dtypes -------------------------------------------------------------------------------------
def isdtype(dtype, kind):
    """Array-API ``isdtype``: ``kind`` is a dtype, a kind name, or a tuple of those."""
    dtype = tf.as_dtype(dtype)
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if not isinstance(kind, str):
        return dtype == tf.as_dtype(kind)
    if kind == "bool":
        return dtype == tf.bool
    if kind == "signed integer":
        return dtype.is_integer and not dtype.is_unsigned
    if kind == "unsigned integer":
        return dtype.is_integer and dtype.is_unsigned
    if kind == "integral":
        return dtype.is_integer
    if kind == "real floating":
        return dtype.is_floating
    if kind == "complex floating":
        return dtype.is_complex
    if kind == "numeric":
        return dtype.is_integer or dtype.is_floating or dtype.is_complex
    raise ValueError(f"Argument `kind` is not an array-API dtype kind. Received: kind={kind!r}")


def iinfo(dtype):
    return np.iinfo(tf.as_dtype(dtype).as_numpy_dtype)


def finfo(dtype):
    np_dtype = tf.as_dtype(dtype).as_numpy_dtype
    try:
        return np.finfo(np_dtype)
    except ValueError:  # bfloat16 is an ml_dtypes type, which NumPy's finfo does not know
        import ml_dtypes

        return ml_dtypes.finfo(np_dtype)


# -- creation and conversion ----------------------------------------------------------------------
def asarray(obj, /, *, dtype=None, device=None):
    """A tensor from a tensor, variable, NumPy array or Python number/list (array-API defaults).

    ``device`` is a step tensor's ``.device`` string; constants are placed there when it names one
    (inside a ``tf.function`` it is empty and TensorFlow places them).
    """
    if device:
        with tf.device(device):
            return _asarray(obj, dtype)
    return _asarray(obj, dtype)


def _asarray(obj, dtype):
    if isinstance(obj, (tf.Tensor, tf.Variable)) or tf.is_tensor(obj):
        out = tf.convert_to_tensor(obj)
        return out if dtype is None or out.dtype == dtype else tf.cast(out, dtype)
    if hasattr(obj, "dtype") and hasattr(obj, "shape") and not isinstance(obj, np.ndarray | np.generic):
        out = tf.convert_to_tensor(obj)  # e.g. a Keras variable
        return out if dtype is None or out.dtype == dtype else tf.cast(out, dtype)
    if dtype is None:
        arr = np.asarray(obj)
        if not isinstance(obj, np.ndarray | np.generic):
            # Python numbers take the namespace defaults, not NumPy's.
            if arr.dtype.kind in "iu":
                if arr.size and (int(arr.max()) > iinfo(tf.int64).max or int(arr.min()) < iinfo(tf.int64).min):
                    raise OverflowError(f"Python int too large for int64: {obj!r}")
                arr = arr.astype(np.int64)
            elif arr.dtype.kind == "f":
                arr = arr.astype(np.float32)
        return tf.convert_to_tensor(arr)
    dtype = tf.as_dtype(dtype)
    if isinstance(obj, numbers.Integral) and dtype.is_integer:
        info = iinfo(dtype)
        if not info.min <= int(obj) <= info.max:
            raise OverflowError(f"Python int {obj!r} does not fit {dtype.name}")
    return tf.convert_to_tensor(np.asarray(obj, dtype=dtype.as_numpy_dtype))


def astype(x, dtype, /, *, copy=True):
    return x if x.dtype == dtype else tf.cast(x, dtype)


def zeros(shape, *, dtype=None, device=None):
    return tf.zeros(shape, dtype=dtype or tf.float32)


def concat(arrays, /, *, axis=0):
    return tf.concat(list(arrays), axis=axis)


def zeros_like(x, /, *, dtype=None):
    return tf.zeros_like(x, dtype=dtype)


def ones_like(x, /, *, dtype=None):
    return tf.ones_like(x, dtype=dtype)


def stack(arrays, /, *, axis=0):
    return tf.stack(list(arrays), axis=axis)


def reshape(x, /, shape):
    """``shape`` may be a tuple or a tensor's ``.shape``; one unknown dimension is inferred."""
    dims = tf.TensorShape(shape).as_list() if not isinstance(shape, (tuple, list)) else list(shape)
    dims = [-1 if d is None else d for d in dims]
    if dims.count(-1) > 1:
        raise ValueError(f"Argument `shape` may leave only one dimension unknown. Received: shape={shape}")
    return tf.reshape(x, dims)


# -- elementwise ----------------------------------------------------------------------------------
# Only the functions whose TensorFlow counterpart differs from the array API are defined here; the
# others resolve to TensorFlow's own through __getattr__ below.
def where(condition, x1, x2, /):
    return tf.where(condition, x1, x2)


def clip(x, /, min=None, max=None):  # noqa: A002 - array-API names
    if min is not None:
        x = tf.maximum(x, tf.cast(min, x.dtype))
    if max is not None:
        x = tf.minimum(x, tf.cast(max, x.dtype))
    return x


def floor(x, /):
    return x if x.dtype.is_integer else tf.floor(x)


def ceil(x, /):
    return x if x.dtype.is_integer else tf.math.ceil(x)


def round(x, /):  # noqa: A001 - the array-API name
    """Halves to even, as the array API (``tf.math.round`` does so, but refuses integers)."""
    return x if x.dtype.is_integer else tf.math.round(x)


def trunc(x, /):
    """Towards zero (``-0.0`` stays ``-0.0``); TensorFlow has no ``trunc``."""
    if x.dtype.is_integer:
        return x
    return tf.where(x < 0, tf.math.ceil(x), tf.floor(x))


def isnan(x, /):
    return tf.math.is_nan(x) if x.dtype.is_floating else tf.zeros_like(x, dtype=tf.bool)


def isinf(x, /):
    return tf.math.is_inf(x) if x.dtype.is_floating else tf.zeros_like(x, dtype=tf.bool)


def isfinite(x, /):
    return tf.math.is_finite(x) if x.dtype.is_floating else tf.ones_like(x, dtype=tf.bool)


_SAME_WIDTH_INT = {tf.float16: tf.int16, tf.bfloat16: tf.int16, tf.float32: tf.int32, tf.float64: tf.int64}


def signbit(x, /):
    """Whether the sign bit is set: true for ``-0.0`` and negative NaNs too (read from the bits)."""
    if not x.dtype.is_floating:
        return x < tf.zeros_like(x)
    return tf.bitcast(x, _SAME_WIDTH_INT[x.dtype]) < 0


def copysign(x1, x2, /):
    magnitude = tf.abs(x1)
    return tf.where(signbit(x2), -magnitude, magnitude)


def hypot(x1, x2, /):
    """``sqrt(x1² + x2²)`` without overflow or underflow in between; ``inf`` if either is infinite."""
    a, b = tf.abs(x1), tf.abs(x2)
    big, small = tf.maximum(a, b), tf.minimum(a, b)
    ratio = small / tf.where(big > 0, big, tf.ones_like(big))
    out = big * tf.sqrt(1 + ratio * ratio)
    out = tf.where(tf.math.is_nan(a) | tf.math.is_nan(b), a + b, out)
    return tf.where(tf.math.is_inf(a) | tf.math.is_inf(b), tf.constant(np.inf, out.dtype), out)


def bitwise_invert(x, /):
    return tf.logical_not(x) if x.dtype == tf.bool else tf.bitwise.invert(x)


def _tf_spelling(name):
    """The TensorFlow function of an array-API element-wise function that TensorFlow names differently."""
    tnp = tf.experimental.numpy
    return {
        "remainder": tf.math.floormod,  # the sign of the divisor, as the array API's remainder
        "floor_divide": tf.math.floordiv,
        "bitwise_and": tnp.bitwise_and,  # integers and bools
        "bitwise_or": tnp.bitwise_or,
        "bitwise_xor": tnp.bitwise_xor,
        "bitwise_left_shift": tf.bitwise.left_shift,
        "bitwise_right_shift": tf.bitwise.right_shift,
        "log2": tnp.log2,
        "log10": tnp.log10,
        "logaddexp": tnp.logaddexp,
        "positive": tf.identity,
    }.get(name)


def __getattr__(name: str):
    """An array-API element-wise function not defined above: TensorFlow's own, resolved once.

    ``tf.math.<name>`` (``tanh``, ``expm1``, ``log1p``, ``maximum``, ``pow``, ...), or TensorFlow's
    spelling of it (:func:`_tf_spelling`). Anything else is an ``AttributeError`` that says where to
    add it.
    """
    function = None
    if not name.startswith("_"):
        function = _tf_spelling(name) or getattr(tf.math, name, None)
    if not callable(function):
        raise AttributeError(
            f"lrcore's TensorFlow namespace has no {name!r}: it is not defined in "
            "lrcore/backends/tf_namespace.py and TensorFlow has no element-wise function of that name "
            f"(tf.math.{name}). Define it there with array-API semantics."
        )
    globals()[name] = function
    return function


# -- searching and indexing ---------------------------------------------------------------------
def searchsorted(x1, x2, /, *, side="left", sorter=None):
    """Insertion indices of ``x2`` into the sorted 1-D ``x1`` (int64, ``x2``'s shape)."""
    if sorter is not None:
        raise NotImplementedError("`sorter` is not supported")
    if side not in ("left", "right"):
        raise ValueError(f"Argument `side` must be 'left' or 'right'. Received: side={side!r}")
    flat = tf.reshape(x2, (-1,))
    idx = tf.searchsorted(x1, flat, side=side, out_type=tf.int64)
    return tf.reshape(idx, tf.shape(x2))


def take(x, indices, /, *, axis=None):
    if axis is None:
        if len(x.shape) != 1:
            raise ValueError("Argument `axis` is required for arrays of more than one dimension.")
        axis = 0
    return tf.gather(x, indices, axis=axis)
