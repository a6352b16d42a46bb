"""``lrcore.keras.<name>(...)``: every schedule as a Keras 3 ``LearningRateSchedule``, on every backend.

    keras.optimizers.Adam(learning_rate=lrcore.keras.cosine_restart(peak_value=1e-3, first_period=1000))

Works on the TensorFlow, JAX and PyTorch Keras backends, in ``model.fit`` and compiled train steps,
also with mixed precision; results are float32 tensors of the backend. Schedules serialize as
``"lrcore>KerasSchedule"`` with the schedule's ``to_dict()`` as config: ``keras.models.load_model``
needs no ``custom_objects``, only that ``lrcore.keras`` has been imported in the loading process
(it also reads ``.keras`` files saved with ``lrcore.tf`` schedules). ``ReduceLROnPlateau`` is a
callback that scales the schedule by the reduce-on-plateau rule of :func:`lrcore.plateau`.
"""

from .backends import install as _install
from .backends.keras import KerasSchedule as KerasSchedule
from .backends.keras import ReduceLROnPlateau as ReduceLROnPlateau

# The factories are generated from the registry; lrcore/keras.pyi (python -m lrcore._stubs) is
# their static view for editors and type checkers.
__all__ = [*_install(globals(), KerasSchedule), "KerasSchedule", "ReduceLROnPlateau"]
