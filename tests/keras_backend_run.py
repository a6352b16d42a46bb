"""One Keras backend, in its own process (Keras picks the backend at import): run by test_keras_adapter.py.

    KERAS_BACKEND=jax python tests/keras_backend_run.py train DIR
    KERAS_BACKEND=jax python tests/keras_backend_run.py resume DIR

``train`` evaluates every configuration of the tests' table (``keras_scenario.EAGER``) eagerly on
the backend's int32 arrays, then fits a one-weight model with ``RecordingSGD`` (it writes the
learning rate its compiled update step receives to an optimizer variable, at index
``optimizer.iterations``) and an lrcore.keras schedule scaled by ``lrcore.keras.ReduceLROnPlateau`` fed a fixed metric sequence, saves it to
``DIR/model.keras``, then fits again under ``mixed_float16``. On TensorFlow it also saves a model
with an ``lrcore.tf`` schedule (``DIR/legacy.keras``). ``resume`` loads the model in this fresh
process without ``custom_objects`` and continues training; it also loads ``legacy.keras``. Each
phase prints one JSON line; the test compares it with NumPy float64 references.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import lrcore  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_recording import Recording  # noqa: E402
from keras_scenario import (  # noqa: E402
    EAGER,
    EAGER_STEPS,
    EPOCHS,
    METRICS,
    MORE_EPOCHS,
    PLATEAU,
    RECORD,
    SCHEDULE,
    STEPS_PER_EPOCH,
)

BACKEND = keras.backend.backend()


@keras.saving.register_keras_serializable(package="lrcore_tests")
class RecordingSGD(Recording, keras.optimizers.SGD):
    """SGD that records, per update, the learning rate its (compiled) update step receives."""

    record_length = RECORD


@keras.saving.register_keras_serializable(package="lrcore_tests")
def mean_prediction(y_true, y_pred):
    """Loss whose gradient with respect to the kernel is exactly 1 on inputs of 1."""
    return keras.ops.mean(y_pred)


class FeedMetric(keras.callbacks.Callback):
    """Writes METRICS[epoch] into the epoch's logs (placed before the plateau callback)."""

    def on_epoch_end(self, epoch, logs=None):
        logs["fed_metric"] = METRICS[epoch]


def _model(lr, jit_compile=True):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=RecordingSGD(learning_rate=lr), loss=mean_prediction, jit_compile=jit_compile)
    return model


def _data():
    x = np.ones((STEPS_PER_EPOCH * 2, 1), np.float32)
    return x, np.zeros_like(x)


def _inner(optimizer):
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def _fit(model, initial_epoch, epochs):
    x, y = _data()
    model.fit(x, y, batch_size=2, epochs=epochs, initial_epoch=initial_epoch, shuffle=False, verbose=0,
              callbacks=[FeedMetric(), lrcore.keras.ReduceLROnPlateau(**PLATEAU)])


def _report(model):
    opt = _inner(model.optimizer)
    lr = opt._learning_rate
    return {
        "iterations": int(keras.ops.convert_to_numpy(opt.iterations)),
        "record": [float(v) for v in keras.ops.convert_to_numpy(opt.record)],
        "kernel": float(keras.ops.convert_to_numpy(model.layers[0].kernel)[0, 0]),
        "config": lr.get_config(),
        "type": f"{type(lr).__module__}.{type(lr).__name__}",
        "state": list(lr.plateau_state),
    }


def _eager_values():
    """lrcore.keras on an array of steps of the backend's integer type, outside any train step."""
    steps = np.array(EAGER_STEPS)
    out = {}
    for name, s in EAGER.items():
        got = lrcore.keras.from_schedule(s)(keras.ops.convert_to_tensor(steps, dtype="int32"))
        assert keras.backend.standardize_dtype(got.dtype) == "float32", got.dtype
        assert keras.ops.is_tensor(got), type(got)
        out[name] = [float(v) for v in keras.ops.convert_to_numpy(got)]
    return steps.tolist(), out


def train(workdir):
    import lrcore.keras

    steps, values = _eager_values()
    model = _model(lrcore.keras.from_schedule(SCHEDULE))
    _fit(model, 0, EPOCHS)
    model.save(os.path.join(workdir, "model.keras"))
    result = {"backend": BACKEND, "steps": steps, "values": values, "train": _report(model)}

    # Mixed precision: float16 compute, float32 weights and learning rate (Keras' default compile).
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        mixed = _model(lrcore.keras.from_schedule(SCHEDULE), jit_compile="auto")
        x, y = _data()
        mixed.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
        result["mixed"] = {
            "optimizer": type(mixed.optimizer).__name__,
            "compute_dtype": mixed.layers[0].compute_dtype,
            "iterations": int(keras.ops.convert_to_numpy(_inner(mixed.optimizer).iterations)),
            "record": [float(v) for v in keras.ops.convert_to_numpy(_inner(mixed.optimizer).record)],
            "lr_dtype": keras.backend.standardize_dtype(mixed.optimizer.learning_rate.dtype),
        }
    finally:
        keras.mixed_precision.set_global_policy("float32")

    result["pointers"] = _pointers()
    if BACKEND == "tensorflow":  # a model saved with today's lrcore.tf schedule
        import lrcore.tf

        legacy = _model(lrcore.tf.from_schedule(SCHEDULE), jit_compile="auto")
        x, y = _data()
        legacy.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        legacy.save(os.path.join(workdir, "legacy.keras"))
    return result


def _pointers():
    """What a Keras user of this backend who picks lrcore.jax / lrcore.torch / lrcore.tf is told."""
    messages = {}
    adapters = {"jax": ["jax", "tf"], "torch": ["torch"], "tensorflow": []}[BACKEND]
    for name in adapters:
        module = __import__(f"lrcore.{name}", fromlist=["_"])
        model = _model(module.constant(0.1), jit_compile=False)
        x, y = _data()
        try:
            model.fit(x, y, batch_size=2, epochs=1, verbose=0)
            messages[name] = "trained"
        except TypeError as exc:
            messages[name] = str(exc)
    return messages


def resume(workdir):
    path = os.path.join(workdir, "model.keras")
    try:
        keras.models.load_model(path)
        without_import = "loaded"
    except TypeError as exc:
        without_import = str(exc)
    import lrcore.keras  # registers "lrcore>KerasSchedule" (and reads "lrcore>TFSchedule")

    model = keras.models.load_model(path)
    loaded = _report(model)
    if BACKEND == "torch":
        # The compiled torch step was checked in `train`; torch.compile takes ~15 s per model on
        # a small CPU, so the resumed run (which checks the saved state) runs eagerly.
        model.jit_compile = False
    _fit(model, EPOCHS, EPOCHS + MORE_EPOCHS)
    result = {"backend": BACKEND, "without_import": without_import, "loaded": loaded, "resumed": _report(model)}

    legacy_path = os.path.join(workdir, "legacy.keras")
    if os.path.exists(legacy_path):
        legacy = keras.models.load_model(legacy_path)
        lr = _inner(legacy.optimizer)._learning_rate
        steps = [0, 1, 2, 8, 9, 20, 2**31 - 1]
        x, y = _data()
        legacy.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        result["legacy"] = {
            "type": f"{type(lr).__module__}.{type(lr).__name__}",
            "config": lr.get_config(),
            "steps": steps,
            "values": [float(v) for v in keras.ops.convert_to_numpy(lr(keras.ops.convert_to_tensor(steps, "int32")))],
            "record": [float(v) for v in keras.ops.convert_to_numpy(_inner(legacy.optimizer).record)],
            "iterations": int(keras.ops.convert_to_numpy(_inner(legacy.optimizer).iterations)),
        }
    return result


if __name__ == "__main__":
    phase, workdir = sys.argv[1], sys.argv[2]
    print(json.dumps({"train": train, "resume": resume}[phase](workdir)))
