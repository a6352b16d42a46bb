"""An optimizer mixin for the Keras subprocess scripts: it records, per update, the learning rate
its (compiled) update step receives, in a variable of ``record_length`` slots indexed by
``optimizer.iterations``. Imported after Keras has picked its backend."""

from __future__ import annotations

import keras


class Recording:
    """Mix in before a Keras optimizer class; set ``record_length`` on the subclass."""

    record_length: int

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.record = self.add_variable((self.record_length,), initializer="zeros", dtype="float32", name="record")

    def update_step(self, gradient, variable, learning_rate):
        at = keras.ops.arange(self.record_length) == keras.ops.cast(self.iterations, "int32")
        lr = keras.ops.cast(learning_rate, "float32")
        self.assign(self.record, keras.ops.where(at, lr, self.record.value))
        super().update_step(gradient, variable, learning_rate)
