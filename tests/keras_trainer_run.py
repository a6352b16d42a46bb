"""One Keras backend, in its own process: run by test_keras_trainers.py.

    KERAS_BACKEND=jax python tests/keras_trainer_run.py

Fits a one-weight model ``y = w·x`` on inputs of 1 with the loss ``mean(y)``, whose gradient with
respect to ``w`` is exactly 1 (also the mean of K accumulated gradients), so SGD moves ``w`` by the
learning rate of each update. ``RecordingSGD`` / ``RecordingAdam`` also write the learning rate their
(compiled) update step receives to an optimizer variable, at index ``optimizer.iterations`` (Keras'
count of applied updates). Runs:

* ``composed``: a schedule composed from lrcore.keras objects (``lrcore.multiply``, ``*`` with a
  number and with a core schedule), compiled fit;
* ``accumulate``: SGD with ``gradient_accumulation_steps=K``, compiled fit;
* ``accumulate_adam``: Adam with ``gradient_accumulation_steps=K``, eager fit;
* ``no_accumulation``: SGD without accumulation (the step is the train-step count).

Prints one JSON line; the test compares it with float64 references.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import lrcore  # noqa: E402
import lrcore.keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_recording import Recording  # noqa: E402
from keras_trainer_scenario import ACCUMULATE, BATCHES, RECORD, composed_parts, schedule  # noqa: E402

BACKEND = keras.backend.backend()


class RecordingSGD(Recording, keras.optimizers.SGD):
    record_length = RECORD


class RecordingAdam(Recording, keras.optimizers.Adam):
    record_length = RECORD


def mean_prediction(y_true, y_pred):
    return keras.ops.mean(y_pred)


def _fit(optimizer, jit_compile):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=optimizer, loss=mean_prediction, jit_compile=jit_compile)
    x = np.ones((BATCHES, 1), np.float32)
    model.fit(x, np.zeros_like(x), batch_size=1, epochs=1, shuffle=False, verbose=0)
    return {
        "iterations": int(keras.ops.convert_to_numpy(optimizer.iterations)),
        "micro_steps": int(keras.ops.convert_to_numpy(optimizer._iterations)),
        "record": [float(v) for v in keras.ops.convert_to_numpy(optimizer.record)],
        "kernel": float(keras.ops.convert_to_numpy(model.layers[0].kernel)[0, 0]),
        # What a callback reading the optimizer's lr after training sees: the next update's lr.
        "learning_rate": float(keras.ops.convert_to_numpy(optimizer.learning_rate)),
    }


def main():
    out = {"backend": BACKEND}
    linear, decay, factor = composed_parts(lrcore.keras)
    lr = lrcore.multiply([linear, decay]) * factor
    out["composed_type"] = f"{type(lr).__module__}.{type(lr).__name__}"
    out["composed_rtype"] = type(lrcore.constant(1.0) * linear).__name__
    out["composed"] = _fit(RecordingSGD(learning_rate=lr), jit_compile=True)
    optimizer = RecordingSGD(learning_rate=lrcore.keras.from_schedule(schedule()), gradient_accumulation_steps=ACCUMULATE)
    # Called directly with the optimizer's train-step counter first: that value, and the optimizer
    # is still found when it calls the schedule itself.
    out["direct"] = float(keras.ops.convert_to_numpy(optimizer._learning_rate(optimizer._iterations)))
    out["accumulate"] = _fit(optimizer, jit_compile=True)
    out["accumulate_adam"] = _fit(
        RecordingAdam(learning_rate=lrcore.keras.from_schedule(schedule()), gradient_accumulation_steps=ACCUMULATE),
        jit_compile=False,
    )
    out["no_accumulation"] = _fit(RecordingSGD(learning_rate=lrcore.keras.from_schedule(schedule())), jit_compile=False)
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
