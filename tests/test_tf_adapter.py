"""``lrcore.tf``: Keras learning-rate schedules on TensorFlow ops.

Values agree with ``lrcore.numpy`` within the float32 promise (eager, ``tf.function`` with
``jit_compile=True``, int64 and int32 steps), reproduce the Keras peers, drive ``model.fit`` with the
value of step ``n`` at update ``n``, and survive ``model.save``/``keras.models.load_model`` in a fresh
process without ``custom_objects``.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import tensorflow as tf

import lrcore
import lrcore.numpy
import lrcore.tf
from tests import examples
from tests.helpers import assert_ulp_close, ulp_bound

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

# Every configuration of the tests' table, with its landmark steps.
CASES = {label: (schedule, landmarks) for label, schedule, landmarks in examples.examples()}


def _steps(landmarks, max_step):
    base = list(range(0, 320)) + [1000, 12345, 2**20, 2**24 + 1, 2**30, INT32_MAX - 1, INT32_MAX]
    if max_step > INT32_MAX:
        base += [2**32 + 7, 2**40, 2**53 + 1, 2**62, INT64_MAX]
    near = [b + d for b in landmarks for d in (-1, 0, 1)]
    return np.unique([s for s in base + near if 0 <= s <= max_step]).astype(np.int64)


STEPS = {bits: {label: _steps(marks, INT64_MAX if bits == 64 else INT32_MAX) for label, (_, marks) in CASES.items()}
         for bits in (32, 64)}
TF_INT = {32: tf.int32, 64: tf.int64}


def _want(schedule, steps):
    return lrcore.numpy.from_schedule(schedule)(steps)


def test_module_surface():
    assert set(lrcore.tf.__all__) == {*lrcore.SCHEDULES, "from_schedule", "TFSchedule"}
    assert {schedule.name for schedule, _ in CASES.values()} == set(lrcore.SCHEDULES)


@pytest.mark.parametrize("name", lrcore.SCHEDULES)
def test_factory_is_offered(name):
    got, core = inspect.signature(getattr(lrcore.tf, name)), inspect.signature(getattr(lrcore, name))
    assert got.parameters == core.parameters and got.return_annotation is lrcore.tf.TFSchedule


@pytest.mark.parametrize("bits", [64, 32])
@pytest.mark.parametrize("label", CASES, ids=examples.case_id)
def test_eager_values_match_numpy(label, bits):
    schedule = CASES[label][0]
    lr = lrcore.tf.from_schedule(schedule)
    assert isinstance(lr, keras.optimizers.schedules.LearningRateSchedule)
    steps = STEPS[bits][label]
    out = lr(tf.constant(steps, dtype=TF_INT[bits]))
    assert out.dtype == tf.float32 and out.shape == steps.shape
    assert_ulp_close(out.numpy(), _want(schedule, steps), 32, context=f"{label} int{bits}")


@pytest.fixture(scope="module")
def jit_values():
    """Every case on int64 and int32 steps, in one XLA compilation (compiling is the slow part)."""
    cases = [(label, bits) for bits in (64, 32) for label in CASES]
    lrs = [lrcore.tf.from_schedule(CASES[label][0]) for label, _ in cases]

    @tf.function(jit_compile=True)
    def evaluate_all(*steps):
        return [lr(k) for lr, k in zip(lrs, steps)]

    outs = evaluate_all(*[tf.constant(STEPS[bits][label], dtype=TF_INT[bits]) for label, bits in cases])
    return dict(zip(cases, outs))


@pytest.mark.parametrize("bits", [64, 32])
@pytest.mark.parametrize("label", CASES, ids=examples.case_id)
def test_jit_compiled_values_match_numpy(jit_values, label, bits):
    out, steps = jit_values[label, bits], STEPS[bits][label]
    assert out.dtype == tf.float32 and out.shape == steps.shape
    assert_ulp_close(out.numpy(), _want(CASES[label][0], steps), 32, context=f"{label} int{bits} jit")


def test_scalar_shapes_python_and_negative_steps():
    lr = lrcore.tf.cosine_restart(peak_value=1e-3, first_period=10, period_mul=2.0, warmup_steps=2)
    ref = lrcore.numpy.from_schedule(lr)
    for step in [0, 7, 10, 31, 2**40]:
        for given in (step, np.int64(step), tf.constant(step, tf.int64), keras.Variable(step, dtype="int64")):
            out = lr(given)
            assert out.dtype == tf.float32 and out.shape == ()
            assert_ulp_close(out.numpy(), ref(step), 32, scale=1e-3)
    assert lr(-5).numpy() == lr(0).numpy()
    assert lr(tf.constant(-(2**40), tf.int64)).numpy() == lr(0).numpy()
    assert lr(7.9).numpy() == lr(7).numpy()
    assert lr(tf.constant(12.5, tf.float32)).numpy() == lr(12).numpy()
    grid = np.arange(24).reshape(2, 3, 4)
    out = lr(tf.constant(grid, tf.int32))
    assert out.shape == (2, 3, 4)
    assert_ulp_close(out.numpy(), ref(grid), 32)
    with pytest.raises(TypeError, match="step"):
        lr(True)


def test_unknown_static_shape_in_tf_function():
    lr = lrcore.tf.piecewise_constant(boundaries=[3, 8], values=[1.0, 0.5, 0.25])

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int64)], jit_compile=True)
    def f(k):
        return lr(k)

    steps = np.array([[0, 3, 7], [8, 9, 100]])
    np.testing.assert_array_equal(f(tf.constant(steps)).numpy(), lrcore.numpy.from_schedule(lr)(steps))


def test_unknown_static_shape_gives_each_step_its_own_bits():
    """A step array of unknown length (padded where it is evaluated) gives each step the bits it
    has alone in the same graph mode: the kernels compute every step in their vector body."""
    lr = lrcore.tf.cosine_restart(1.0, first_period=37, warmup_steps=9, peak_mul=0.5)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64)])
    def unknown(k):
        return lr(k)

    known = tf.function(lambda k: lr(k))
    steps = np.arange(75)
    got = unknown(tf.constant(steps)).numpy()
    each = np.array([known(tf.constant(int(k), tf.int64)).numpy() for k in steps])
    assert got.shape == steps.shape
    np.testing.assert_array_equal(got.view(np.int32), each.view(np.int32))
    np.testing.assert_array_equal(got.view(np.int32), known(tf.constant(steps)).numpy().view(np.int32))


def test_validation_names_the_parameter():
    with pytest.raises(ValueError, match="decay_steps"):
        lrcore.tf.cosine_decay(init_value=1.0, decay_steps=0)
    with pytest.raises(TypeError, match="schedule"):
        lrcore.tf.from_schedule(keras.optimizers.schedules.ExponentialDecay(1.0, 10, 0.5))


def test_tensor_level_parameter():
    """A tensor or variable level is the schedule's own: assigning to the variable afterwards
    changes neither the values nor the schedule's hash and repr (it was copied when built)."""
    peak = tf.Variable(0.5, dtype=tf.float32)
    lr = lrcore.tf.cosine_decay(init_value=peak, decay_steps=100)
    before = (hash(lr.schedule), repr(lr.schedule))
    assert_ulp_close(lr(50).numpy(), 0.25, 32, scale=0.5)
    peak.assign(1.0)
    assert_ulp_close(lr(50).numpy(), 0.25, 32, scale=0.5)
    assert (hash(lr.schedule), repr(lr.schedule)) == before
    assert lr.schedule == lrcore.tf.cosine_decay(init_value=tf.Variable(0.5), decay_steps=100).schedule
    with pytest.raises(TypeError, match="init_value"):
        lr.get_config()


@pytest.mark.parametrize("label", CASES, ids=examples.case_id)
def test_config_round_trip_and_registration(label):
    schedule = CASES[label][0]
    lr = lrcore.tf.from_schedule(schedule)
    config = lr.get_config()
    assert config == schedule.to_dict()
    json.dumps(config)
    assert lrcore.tf.TFSchedule.from_config(config) == lr
    serialized = keras.saving.serialize_keras_object(lr)
    assert serialized["registered_name"] == "lrcore>TFSchedule"
    restored = keras.saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert isinstance(restored, lrcore.tf.TFSchedule) and restored.schedule == schedule


# -- model.fit, save and load --------------------------------------------------------------------
FIT_SCHEDULE = lrcore.cosine_restart(peak_value=1e-2, first_period=20, period_mul=1.5, peak_mul=0.8,
                                     end_value=1e-4, warmup_steps=3)
BATCHES, EPOCHS = 80, 3


class Recorder(keras.callbacks.Callback):
    """Per update: optimizer.iterations, the learning rate it sees, and the kernel before/after."""

    def __init__(self):
        super().__init__()
        self.iterations, self.lrs, self.before, self.after = [], [], [], []

    def on_train_batch_begin(self, batch, logs=None):
        opt = self.model.optimizer
        self.iterations.append(int(opt.iterations.numpy()))
        self.lrs.append(float(np.asarray(opt.learning_rate)))
        self.before.append(float(self.model.layers[0].kernel.numpy()[0, 0]))

    def on_train_batch_end(self, batch, logs=None):
        self.after.append(float(self.model.layers[0].kernel.numpy()[0, 0]))


@pytest.fixture(scope="module")
def fitted():
    """A one-weight model trained with Adam on a loss whose gradient is always exactly 1."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    lr = lrcore.tf.from_schedule(FIT_SCHEDULE)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr, epsilon=1e-12), loss=_mean_prediction,
                  jit_compile=True)
    x = np.ones((BATCHES * 4, 1), np.float32)
    recorder = Recorder()
    model.fit(x, np.zeros_like(x), batch_size=4, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[recorder])
    return model, recorder


def _mean_prediction(y_true, y_pred):
    return keras.ops.mean(y_pred)


keras.saving.register_keras_serializable(package="lrcore_tests")(_mean_prediction)


def test_fit_applies_the_value_of_step_n_at_update_n(fitted):
    model, rec = fitted
    n = np.arange(BATCHES * EPOCHS)
    assert rec.iterations == list(n)
    assert int(model.optimizer.iterations.numpy()) == len(n)
    want = lrcore.numpy.from_schedule(FIT_SCHEDULE)(n)
    assert_ulp_close(rec.lrs, want, 32, scale=1e-2)
    # With gradient 1, Adam moves the weight by lr·(1 - O(eps)): the update itself shows step n's value.
    applied = np.array(rec.before) - np.array(rec.after)
    tolerance = 1e-6 * want + 4 * ulp_bound(np.abs(rec.before), 32)
    assert np.all(np.abs(applied - want) <= tolerance), np.max(np.abs(applied - want) - tolerance)
    # ... which an off-by-one schedule would not reproduce.
    assert np.any(np.abs(applied - lrcore.numpy.from_schedule(FIT_SCHEDULE)(n + 1)) > tolerance)


LOADER = textwrap.dedent(
    """
    import json, os, sys
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    import lrcore  # the core alone does not register the Keras class
    keras.saving.register_keras_serializable(package="lrcore_tests", name="_mean_prediction")(
        lambda y_true, y_pred: keras.ops.mean(y_pred))
    try:
        keras.models.load_model(sys.argv[1])
        without_import = "loaded"
    except TypeError as exc:
        without_import = str(exc)
    import lrcore.tf  # registers "lrcore>TFSchedule"
    model = keras.models.load_model(sys.argv[1])
    lr = model.optimizer._learning_rate
    steps = json.loads(sys.argv[2])
    print(json.dumps({
        "without_import": without_import,
        "type": type(lr).__module__ + "." + type(lr).__name__,
        "config": lr.get_config(),
        "iterations": int(model.optimizer.iterations.numpy()),
        "current": float(model.optimizer.learning_rate),
        "values": [float(v) for v in lr(keras.ops.convert_to_tensor(steps, dtype="int64")).numpy()],
    }))
    """
)


def test_save_and_load_in_a_fresh_process_without_custom_objects(fitted, tmp_path):
    model, _ = fitted
    path = tmp_path / "model.keras"
    model.save(path)
    steps = [0, 1, 2, 3, 19, 20, 21, 49, 50, 95, 96, 240, 2**31 - 1, 2**40]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", LOADER, str(path), json.dumps(steps)], capture_output=True,
                          text=True, env=env, timeout=120, cwd=os.path.dirname(os.path.dirname(lrcore.__file__)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    # Keras finds registered classes only: without `import lrcore.tf` the schedule cannot be located.
    assert "TFSchedule" in got["without_import"] and "Could not locate" in got["without_import"]
    assert got["type"] == "lrcore.backends.tf.TFSchedule"
    assert got["config"] == FIT_SCHEDULE.to_dict()
    assert got["iterations"] == BATCHES * EPOCHS
    lr = model.optimizer._learning_rate
    here = lr(tf.constant(steps, tf.int64)).numpy()
    np.testing.assert_array_equal(np.array(got["values"], np.float32), here)
    assert got["current"] == float(model.optimizer.learning_rate)
