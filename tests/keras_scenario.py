"""The scenario shared by keras_backend_run.py (one process per Keras backend) and test_keras_adapter.py.

Only lrcore and the tests' table here: the test process must not import Keras under another backend.
"""

import lrcore
from tests import examples

SCHEDULE = lrcore.cosine_restart(peak_value=1e-2, first_period=7, period_mul=1.5, end_value=1e-4, warmup_steps=2)
PEAK = 1e-2  # the schedule's largest value: the 4-ulp bound is measured against it
STEPS_PER_EPOCH, EPOCHS, MORE_EPOCHS, RECORD = 4, 6, 3, 64
# The metric fed to the plateau callback, one per epoch (the resumed run continues the sequence):
# a reduction after epoch 3, and one right after the resume that needs the saved bad count.
METRICS = [1.0, 0.9, 0.95, 0.97, 0.5, 0.6, 0.7, 0.4, 0.8]
PLATEAU = dict(monitor="fed_metric", factor=0.5, patience=1, mode="min", threshold=0.01, cooldown=1)
#: label -> schedule, for every configuration of the tests' table (tests/examples.py).
EAGER = {label: schedule for label, schedule, _ in examples.examples()}
#: The steps at which each of them is evaluated eagerly on each backend's int32 arrays: one shape for
#: all (JAX compiles each operation once per shape) with every landmark of the table in the int32
#: range and its neighbours, a dense start, and far steps up to the int32 limit.
_LANDMARKS = {b + d for _, _, marks in examples.examples() for b in marks for d in (-1, 0, 1)}
EAGER_STEPS = sorted(
    {*range(0, 160), 1000, 12345, 2**20, 2**24 + 1, 2**30, 2**31 - 1} | {s for s in _LANDMARKS if 0 <= s < 2**31}
)
