"""The TensorFlow/Keras adapter: Keras ``LearningRateSchedule`` objects built on TensorFlow ops.

``lrcore.tf.<name>(...)`` returns a :class:`TFSchedule`. Calling it on a step (Keras'
``optimizer.iterations``, an int64 or int32 tensor, or a Python int) evaluates the core schedule
through :mod:`lrcore.backends.tf_namespace` (TensorFlow has no array-API namespace) and returns a
float32 tensor; it works eagerly, in ``tf.function`` and with ``jit_compile=True``. The class is
registered with Keras as ``"lrcore>TFSchedule"`` and its config is the schedule's ``to_dict()``, so
``keras.models.load_model`` restores it without ``custom_objects`` once ``lrcore.tf`` is imported.
"""

from __future__ import annotations

import numbers

import keras
import numpy as np
import tensorflow as tf

from .._array import _LANES, host_steps
from ..schedule import Schedule, as_schedule, check_levels_fit, from_dict
from . import Composable
from . import tf_namespace as tnp


@keras.saving.register_keras_serializable(package="lrcore")
class TFSchedule(keras.optimizers.schedules.LearningRateSchedule, Composable):
    """An lrcore schedule as a Keras learning-rate schedule (float32, TensorFlow ops).

    Example:
        >>> import keras, lrcore.tf
        >>> lr = lrcore.tf.cosine_restart(peak_value=0.5, first_period=1000)
        >>> optimizer = keras.optimizers.Adam(learning_rate=lr)
        >>> print(round(float(lr(500)), 6), float(lr(1000)))
        0.25 0.5
    """

    def __init__(self, schedule: Schedule):
        self.schedule = as_schedule("schedule", schedule)
        check_levels_fit(self.schedule, float(np.finfo(np.float32).max), "float32")  # refused now, not at step 0

    def __call__(self, step):
        step = _step_tensor(step)
        if step.shape.is_fully_defined():
            return self.schedule.evaluate(step, xp=tnp, dtype=tf.float32)
        # A step of unknown static shape is evaluated flat, padded with step 0 to a multiple of the
        # vector width (as the core pads a known shape: every step in the kernels' vector body, so
        # each gets the bits it has alone), and given its dynamic shape back.
        flat = tf.reshape(step, (-1,))
        n = tf.size(flat)
        padded = tf.concat([flat, tf.zeros([-n % _LANES], dtype=flat.dtype)], axis=0)
        out = self.schedule.evaluate(padded, xp=tnp, dtype=tf.float32)
        return tf.reshape(out[:n], tf.shape(step))

    def get_config(self) -> dict:
        """The schedule's ``to_dict()``: ``{"name": ..., "params": {...}}``."""
        return self.schedule.to_dict()

    @classmethod
    def from_config(cls, config: dict) -> "TFSchedule":
        return cls(from_dict(config))

    def __eq__(self, other):
        if not isinstance(other, TFSchedule):
            return NotImplemented
        return self.schedule == other.schedule

    def __hash__(self):
        return hash(self.schedule)

    def __repr__(self):
        return f"lrcore.tf.from_schedule({self.schedule!r})"


def _step_tensor(step):
    if isinstance(step, keras.Variable) and keras.backend.backend() != "tensorflow":
        raise TypeError(
            "`step` is a Keras variable of the "
            f"{keras.backend.backend()!r} backend: lrcore.tf schedules run on TensorFlow only. Use "
            "lrcore.keras.<name>(...) or lrcore.keras.from_schedule(schedule), which work on every "
            "Keras backend (and read the .keras files saved with lrcore.tf). Received: "
            f"{type(step).__name__}"
        )
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"`step` must be an integer or a tensor of steps. Received: {step!r}")
    if isinstance(step, (numbers.Real, list, tuple, np.ndarray, np.generic)):
        # Clamped and converted on the host: Python ints past int64 hold its largest step, a Python
        # float keeps float64, a Fraction is floored exactly (complex and strings: TypeError below).
        step = host_steps(step)
    try:
        return tnp.asarray(step)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "`step` must be a Python int, a NumPy array or a TensorFlow tensor (lrcore.tf needs the "
            "Keras TensorFlow backend; for Keras on any backend use lrcore.keras). "
            f"Received: {type(step).__name__}"
        ) from exc
