"""``lrcore.tf.<name>(...)``: every schedule as a Keras ``LearningRateSchedule`` on TensorFlow ops.

    keras.optimizers.Adam(learning_rate=lrcore.tf.cosine_restart(peak_value=1e-3, first_period=1000))

Results are float32 tensors; schedules work in ``tf.function`` (also ``jit_compile=True``) and in
``model.fit``. They serialize as ``"lrcore>TFSchedule"`` with the schedule"s ``to_dict()`` as
config; ``keras.models.load_model`` needs no ``custom_objects``, only that ``lrcore.tf`` has been
imported in the loading process (Keras resolves registered names only from classes already
registered, and imports modules only for its own packages). Use the Keras TensorFlow backend.
"""

from .backends import install as _install
from .backends.tf import TFSchedule as TFSchedule

# The factories are generated from the registry; lrcore/tf.pyi (python -m lrcore._stubs) is
# their static view for editors and type checkers.
__all__ = [*_install(globals(), TFSchedule), "TFSchedule"]
