"""The scenario shared by keras_backend_run.py (one process per Keras backend) and test_keras_adapter.py.

Only lrcore here: the test process must not import Keras under another backend.
"""

import lrcore

SCHEDULE = lrcore.cosine_restart(peak_value=1e-2, first_period=7, period_mul=1.5, end_value=1e-4, warmup_steps=2)
PEAK = 1e-2  # the schedule's largest value: the 4-ulp bound is measured against it
STEPS_PER_EPOCH, EPOCHS, MORE_EPOCHS, RECORD = 4, 6, 3, 64
# The metric fed to the plateau callback, one per epoch (the resumed run continues the sequence):
# a reduction after epoch 3, and one right after the resume that needs the saved bad count.
METRICS = [1.0, 0.9, 0.95, 0.97, 0.5, 0.6, 0.7, 0.4, 0.8]
PLATEAU = dict(monitor="fed_metric", factor=0.5, patience=1, mode="min", threshold=0.01, cooldown=1)
EAGER = {
    "cosine_restart": SCHEDULE,
    "onecycle": lrcore.onecycle(1.0, total_steps=50),
    "warmup_stable_decay": lrcore.warmup_stable_decay(1.0, 5, 10, 20, end_value=0.1, decay_shape="1-sqrt"),
    "join": lrcore.join([lrcore.linear(0.0, 1.0, 5), lrcore.exponential_decay(1.0, 3, 0.5)], [5]),
}
EAGER_STEPS = [0, 1, 2, 3, 7, 8, 17, 18, 100, 2**20, 2**31 - 1]
