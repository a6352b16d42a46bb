"""``lrcore.tf.<name>(...)``: every schedule as a Keras ``LearningRateSchedule`` on TensorFlow ops.

    keras.optimizers.Adam(learning_rate=lrcore.tf.cosine_restart(peak_value=1e-3, first_period=1000))

Results are float32 tensors; schedules work in ``tf.function`` (also ``jit_compile=True``) and in
``model.fit``. They serialize as ``"lrcore>TFSchedule"`` with the schedule's ``to_dict()`` as
config; ``keras.models.load_model`` needs no ``custom_objects``, only that ``lrcore.tf`` has been
imported in the loading process (Keras resolves registered names only from classes already
registered, and imports modules only for its own packages). Use the Keras TensorFlow backend.
"""

from .backends.tf import *  # noqa: F403
from .backends.tf import TFSchedule as TFSchedule
from .backends.tf import __all__ as _names

__all__ = [*_names, "TFSchedule"]
