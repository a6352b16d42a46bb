"""Composition of adapter objects: ``*``, ``+``, ``-`` and every registered combinator keep the adapter.

``lrcore.numpy``, ``lrcore.jax``, ``lrcore.torch``, ``lrcore.tf`` and ``lrcore.keras`` (Keras on its
TensorFlow backend in this process; the other two backends run in subprocesses in
test_keras_trainers.py) objects composed with ``*`` (schedule × schedule, × number, number ×), ``+`` and ``-`` (with a
schedule or a number, either side) or
given to a combinator come back as the same adapter, with the same options. The combinators are
found in the registry (every registration with ``children``) and their calls are rebuilt from the
examples of tests/examples.py with each child bound to the adapter. Values are compared with the
exact (mpmath) reference of tests/examples.py, and bit for bit with the core composition bound to
the same adapter.
"""

from __future__ import annotations

import itertools
import os
import warnings

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

import lrcore  # noqa: E402
import lrcore.jax  # noqa: E402
import lrcore.keras  # noqa: E402
import lrcore.numpy  # noqa: E402
import lrcore.tf  # noqa: E402
import lrcore.torch  # noqa: E402
from lrcore.schedule import REGISTRY  # noqa: E402
from tests import examples  # noqa: E402
from tests.helpers import assert_ulp_close  # noqa: E402

ADAPTERS = {
    "numpy": (lrcore.numpy, lrcore.numpy.NumpySchedule, 64),
    "jax": (lrcore.jax, lrcore.jax.JaxSchedule, 32),
    "torch": (lrcore.torch, lrcore.torch.TorchSchedule, 32),
    "tf": (lrcore.tf, lrcore.tf.TFSchedule, 32),
    "keras": (lrcore.keras, lrcore.keras.KerasSchedule, 32),
}
STEPS = np.array([*range(0, 130), 150, 200, 333, 1000, 2**20, 2**31 - 1])
COMBINATORS = [name for name in REGISTRY if REGISTRY[name].children]


def values(adapter: str, fn) -> np.ndarray:
    """``fn`` evaluated on :data:`STEPS` as an int32 array of the adapter's framework, as float64."""
    if adapter == "numpy":
        return np.asarray(fn(STEPS), dtype=np.float64)
    if adapter == "jax":
        return np.asarray(fn(jnp.asarray(STEPS, dtype=jnp.int32)), dtype=np.float64)
    if adapter == "torch":
        return fn(torch.as_tensor(STEPS, dtype=torch.int32)).double().numpy()
    if adapter == "tf":
        return fn(tf.constant(STEPS, dtype=tf.int32)).numpy().astype(np.float64)
    return keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(STEPS, dtype="int32"))).astype(np.float64)


def exact(schedule: lrcore.Schedule) -> np.ndarray:
    d = schedule.to_dict()
    return np.array([float(examples.value_of(d, int(k))) for k in STEPS])


def check(adapter: str, got, core: lrcore.Schedule):
    """``got`` is an object of the adapter holding ``core``, with the values of ``core``."""
    module, cls, bits = ADAPTERS[adapter]
    assert type(got) is cls, f"{adapter}: {type(got).__name__}"
    assert got.schedule == core
    out = values(adapter, got)
    np.testing.assert_array_equal(out, values(adapter, module.from_schedule(core)))
    assert_ulp_close(out, exact(core), bits, context=f"{adapter}: {core!r}")


def bound(adapter: str, core_call: lrcore.Schedule):
    """The arguments of the combinator call ``core_call`` (a core schedule) with every child (per
    the registration's ``children``) bound to the adapter."""
    module = ADAPTERS[adapter][0]
    children = REGISTRY[core_call.name].children
    kwargs = {}
    for key, value in core_call.params.items():
        if children.get(key) == "one":
            kwargs[key] = module.from_schedule(value)
        elif children.get(key) == "many":
            kwargs[key] = [module.from_schedule(v) for v in value]
        else:
            kwargs[key] = value
    return kwargs


def test_every_combinator_is_covered():
    assert {"join", "warmup", "shift", "per_epoch", "scale", "clip", "multiply", "add"} <= set(COMBINATORS)
    assert all(examples.examples(name) for name in COMBINATORS)


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("name", COMBINATORS)
def test_combinators_of_adapter_objects_return_the_adapter(adapter, name):
    for label, core_call, _ in examples.examples(name):
        kwargs = bound(adapter, core_call)
        check(adapter, REGISTRY[name].factory(**kwargs), core_call)  # lrcore.<name>(...)
        # The adapter's own factory keeps its objects' options too.
        check(adapter, getattr(ADAPTERS[adapter][0], name)(**kwargs), core_call)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_operators_return_the_adapter(adapter):
    module = ADAPTERS[adapter][0]
    core_a = lrcore.warmup(lrcore.cosine_decay(0.8, 100, end_value=0.1), 10)
    core_b = lrcore.exponential_decay(1.0, 7, 0.5, staircase=True)
    a, b = module.from_schedule(core_a), module.from_schedule(core_b)
    check(adapter, a * b, lrcore.multiply([core_a, core_b]))
    check(adapter, a * 0.5, lrcore.scale(core_a, 0.5))
    check(adapter, 0.5 * a, lrcore.scale(core_a, 0.5))
    check(adapter, a * 3, lrcore.scale(core_a, 3))
    check(adapter, a * np.float32(0.25), lrcore.scale(core_a, 0.25))
    # A core schedule takes the adapter object's side.
    check(adapter, core_a * b, lrcore.multiply([core_a, core_b]))
    check(adapter, a * core_b, lrcore.multiply([core_a, core_b]))
    check(adapter, lrcore.multiply([core_a, b, core_b]), lrcore.multiply([core_a, core_b, core_b]))
    check(adapter, (a * b) * 2.0 * b, lrcore.multiply([lrcore.scale(lrcore.multiply([core_a, core_b]), 2.0), core_b]))
    # Core schedules alone stay core schedules.
    assert type(core_a * core_b) is lrcore.Schedule
    assert type(lrcore.scale(core_a, 2.0)) is lrcore.Schedule
    with pytest.raises(TypeError, match="unsupported operand"):
        a * object()
    with pytest.raises(TypeError):
        a * "0.5"
    with pytest.raises(TypeError, match="factor"):
        a * True


@pytest.mark.parametrize("adapter", ["core", *ADAPTERS])
def test_operators_refuse_arrays_and_timedeltas_on_either_side(adapter):
    """An array operand (of any shape: the factor and level parameters take numbers) is a TypeError,
    never NumPy broadcasting the schedule into an array of schedules; a NumPy timedelta (a NumPy
    integer) is a TypeError whichever side and operator, never read as its count of units."""
    core = lrcore.cosine_decay(1.0, 100)
    s = core if adapter == "core" else ADAPTERS[adapter][0].from_schedule(core)
    operations = [lambda x: s * x, lambda x: x * s, lambda x: s + x, lambda x: x + s, lambda x: s - x, lambda x: x - s]
    operands = [np.array(0.5), np.array([0.5]), np.array([0.5, 2.0]), np.timedelta64(3), np.timedelta64(1, "D")]
    for operand, operation in itertools.product(operands, operations):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nor a NumPy overflow warning on the way
            with pytest.raises(TypeError):
                operation(operand)
    # NumPy scalars stay numbers, on either side.
    assert np.float64(2.0) * s == s * 2.0 and np.float32(0.5) + s == 0.5 + s and np.int64(1) - s == 1 - s


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_sums_and_differences_return_the_adapter(adapter):
    """``+`` and ``-`` are :func:`lrcore.add` of the same terms as for core schedules: a number is a
    ``constant``, a subtracted schedule ``scale(b, -1.0)``; ``-a`` is ``scale(a, -1.0)``."""
    module = ADAPTERS[adapter][0]
    core_a = lrcore.warmup(lrcore.cosine_decay(0.8, 100, end_value=0.1), 10, delay=False)
    core_b = lrcore.per_epoch(lrcore.exponential_decay(0.3, 7, 0.5, staircase=True), 3)
    a, b = module.from_schedule(core_a), module.from_schedule(core_b)
    minus_b, minus_a = lrcore.scale(core_b, -1.0), lrcore.scale(core_a, -1.0)
    check(adapter, a + b, lrcore.add([core_a, core_b]))
    check(adapter, a - b, lrcore.add([core_a, minus_b]))
    check(adapter, -a, minus_a)
    check(adapter, a + 0.25, lrcore.add([core_a, lrcore.constant(0.25)]))
    check(adapter, 0.25 + a, lrcore.add([lrcore.constant(0.25), core_a]))
    check(adapter, a - 0.05, lrcore.add([core_a, lrcore.constant(-0.05)]))
    check(adapter, 1 - a, lrcore.add([lrcore.constant(1.0), minus_a]))
    check(adapter, a + np.float32(0.5), lrcore.add([core_a, lrcore.constant(0.5)]))
    # A core schedule takes the adapter object's side, on either side.
    check(adapter, core_a + b, lrcore.add([core_a, core_b]))
    check(adapter, core_a - b, lrcore.add([core_a, minus_b]))
    check(adapter, a - core_b, lrcore.add([core_a, minus_b]))
    check(adapter, (a + b) * 0.5 - b, lrcore.add([lrcore.scale(lrcore.add([core_a, core_b]), 0.5), minus_b]))
    # Core schedules alone stay core schedules, built alike.
    assert core_a + core_b == lrcore.add([core_a, core_b]) and type(core_a - 1) is lrcore.Schedule
    assert 2 - core_b == lrcore.add([lrcore.constant(2.0), minus_b]) and -core_b == minus_b
    assert core_b - np.uint64(3) == lrcore.add([core_b, lrcore.constant(-3.0)])  # no unsigned wrap-around
    for bad in (object(), "0.5", True, np.bool_(False)):
        for build in (lambda: a + bad, lambda: bad + a, lambda: a - bad, lambda: bad - a,
                      lambda: core_a + bad, lambda: bad - core_a):
            with pytest.raises(TypeError):
                build()



def _bits(out) -> tuple[np.ndarray, np.ndarray]:
    out = np.asarray(out.numpy() if isinstance(out, (torch.Tensor, tf.Tensor)) else out, dtype=np.float64)
    return out, np.signbit(out)


CLIP_STEPS = {
    "numpy": np.arange,
    "jax": lambda n: jnp.arange(n, dtype=jnp.int32),
    "torch": torch.arange,
    "tf": lambda n: tf.range(n, dtype=tf.int32),
}


@pytest.mark.parametrize("adapter", CLIP_STEPS)
@pytest.mark.parametrize("bounds", [{"min_value": 0.0}, {"max_value": 0.0}, {"min_value": -0.0},
                                    {"max_value": -1e-320}, {"min_value": -1e-320}], ids=repr)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_clip_at_a_zero_bound_gives_the_same_bits_in_an_array_and_alone(adapter, bounds, sign):
    """A value equal to a bound (``-0.0`` against ``+0.0``) is the bound, with the bound's sign, for
    a step alone and the same step in an array of 40 (torch's vectorized maximum gave ``+0.0`` in
    full SIMD chunks and ``-0.0`` in the tail). ``-1e-320`` is ``-0.0`` in float32."""
    module, _, width = ADAPTERS[adapter]
    inner = module.linear(1.0, 0.0, 3) * sign  # exactly +-0.0 from step 3 on
    schedule = module.clip(inner, **bounds)
    bound = schedule.schedule.params[next(iter(bounds))]  # as validated (-0.0 is stored as 0.0)
    bound = float(np.float32(bound)) if width == 32 else bound
    runs = [("eager", schedule)]
    if adapter == "jax":
        runs.append(("jit", jax.jit(schedule)))
    for mode, fn in runs:
        values, signs = _bits(fn(CLIP_STEPS[adapter](40)))
        for k in range(40):
            alone, alone_sign = _bits(fn(k))
            assert alone == values[k] and alone_sign == signs[k], f"{mode} step {k}: {alone!r} alone, {values[k]!r} in the array"
        # From step 3 on the inner value is a zero: the result is the bound where the zero lies at
        # or past it, the zero itself where it lies strictly inside.
        zero = -0.0 if sign < 0 else 0.0
        inside = zero > bound if "min_value" in bounds else zero < bound
        expected = zero if inside else bound
        assert (values[3:] == expected).all() and (signs[3:] == np.signbit(expected)).all(), (mode, values[3:], expected)


@pytest.mark.parametrize(("left", "right"), list(itertools.permutations(ADAPTERS, 2)))
def test_two_adapters_are_refused_naming_both(left, right):
    a = ADAPTERS[left][0].constant(0.5)
    b = ADAPTERS[right][0].linear(1.0, 0.0, 10)
    names = f"{ADAPTERS[left][1].__name__} and {ADAPTERS[right][1].__name__}"
    remedy = f"lrcore.{left}.from_schedule"
    for build in (lambda: a * b, lambda: lrcore.multiply([a, b]), lambda: lrcore.join([a, b], [5]), lambda: a + b,
                  lambda: lrcore.add([a, b])):
        with pytest.raises(TypeError, match=rf"`schedules\[0\]` and `schedules\[1\]`.*\({names}\).*{remedy}"):
            build()
    # An adapter's own factory binds to its adapter whatever the children are.
    assert type(ADAPTERS[left][0].multiply([a, b])) is ADAPTERS[left][1]


def test_jax_dtype_is_kept_and_mixed_dtypes_are_refused():
    core = lrcore.cosine_decay(1.0, 50)
    with jax.enable_x64(True):
        f64 = lrcore.jax.from_schedule(core, dtype=jnp.float64)
        f32 = lrcore.jax.from_schedule(lrcore.constant(2.0))
        for composed in (f64 * 0.5, 0.5 * f64, f64 * f64, lrcore.constant(2.0) * f64, lrcore.clip(f64, max_value=0.5),
                         lrcore.jax.scale(f64, 0.5), lrcore.jax.multiply([f64, lrcore.torch.constant(2.0)])):
            assert type(composed) is lrcore.jax.JaxSchedule and composed.dtype == jnp.float64, composed
            assert composed(jnp.arange(3)).dtype == jnp.float64
        assert (f32 * 0.5).dtype == jnp.float32
        with pytest.raises(ValueError, match=r"`schedules\[0\]` and `schedules\[1\]` are JaxSchedule objects with "
                           r"different options \(dtype=float64 and dtype=float32\).*from_schedule"):
            f64 * f32
        with pytest.raises(ValueError, match="dtype=float32 and dtype=float64"):
            lrcore.join([f32, f64], [3])


def test_keras_composition_serializes_as_the_core_composition():
    a, b = lrcore.keras.cosine_decay(1.0, 20), lrcore.keras.linear(1.0, 0.5, 10)
    composed = lrcore.multiply([a, b]) * 0.5
    assert composed.get_config() == lrcore.scale(lrcore.multiply([a.schedule, b.schedule]), 0.5).to_dict()
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(composed))
    assert type(restored) is lrcore.keras.KerasSchedule and restored == composed


def test_keras_schedule_driven_by_a_plateau_is_not_composed():
    lr = lrcore.keras.constant(0.1)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    zeros = np.zeros((4, 1), "float32")
    model.fit(zeros, zeros, epochs=1, verbose=0, callbacks=[lrcore.keras.ReduceLROnPlateau(monitor="loss")])
    with pytest.raises(ValueError, match="ReduceLROnPlateau cannot be composed"):
        lr * 0.5
    with pytest.raises(ValueError, match="ReduceLROnPlateau cannot be composed"):
        lrcore.join([lrcore.keras.constant(1.0), lr], [3])
    assert type(lr.schedule * 0.5) is lrcore.Schedule  # its core schedule composes


def test_keras_optimizer_applies_a_composed_schedule_in_fit():
    """SGD on ``w·x`` with inputs of 1 and loss ``mean(w·x)``: the gradient is exactly 1, so the
    weight after ``n`` updates is minus the sum of the first ``n`` learning rates."""
    a, b = lrcore.keras.linear(1.0, 0.25, 16), lrcore.keras.exponential_decay(0.2, 4, 0.5, staircase=True)
    lr = lrcore.multiply([a, b]) * 0.5
    assert type(lr) is lrcore.keras.KerasSchedule
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=lambda y, p: keras.ops.mean(p), jit_compile=True)
    x = np.ones((12, 1), np.float32)
    model.fit(x, x, batch_size=1, epochs=1, shuffle=False, verbose=0)
    want = [0.5 * (1.0 - 0.75 * min(n, 16) / 16) * 0.2 * 0.5 ** (n // 4) for n in range(12)]
    kernel = float(model.layers[0].kernel.numpy()[0, 0])
    assert abs(kernel + sum(want)) <= 12 * 4 * 2.0**-23 * sum(want)


@pytest.mark.parametrize("module", ["numpy", "jax", "torch", "keras", "tf"])
def test_adapter_objects_compare_by_value(module):
    """``lrcore.torch.constant(0.1) == lrcore.torch.constant(0.1)`` was False (identity) on the
    NumPy, JAX and torch adapters while Keras' and the core's compare by value: every adapter now
    compares by its schedule (and dtype), with a hash to match."""
    m = getattr(lrcore, module)
    a, b, c = m.cosine_decay(0.1, 100), m.cosine_decay(0.1, 100), m.cosine_decay(0.2, 100)
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != c
    assert len({a, b, c}) == 2
    assert a != lrcore.cosine_decay(0.1, 100)  # a core schedule is another kind of object
    if module == "jax" and jax.config.read("jax_enable_x64"):  # the dtype is part of the value
        assert m.from_schedule(lrcore.cosine_decay(0.1, 100), dtype=jnp.float64) != a


@pytest.mark.parametrize("module, cls", [("numpy", "NumpySchedule"), ("jax", "JaxSchedule"), ("torch", "TorchSchedule"),
                                         ("keras", "KerasSchedule"), ("tf", "TFSchedule")])
def test_adapter_classes_take_an_adapter_object_and_name_what_they_refuse(module, cls):
    """``lrcore.jax.JaxSchedule(lrcore.jax.linear(...))`` raised a bare AttributeError (``_bounds``),
    and ``JaxSchedule(0.1)`` one that named nothing, as did the torch and NumPy classes."""
    m = getattr(lrcore, module)
    make = getattr(m, cls)
    wrapped = make(m.linear(1.0, 0.0, 10))
    assert wrapped == make(lrcore.linear(1.0, 0.0, 10))
    for junk in (0.1, "linear", None):
        with pytest.raises(TypeError, match="Argument `schedule` must be an lrcore schedule"):
            make(junk)
