"""The scenario shared by keras_trainer_run.py (one process per Keras backend) and test_keras_trainers.py.

Only lrcore here: the test process must not import Keras under another backend.
"""

import lrcore

ACCUMULATE = 3  # gradient_accumulation_steps
BATCHES = 24  # micro-batches of one sample: 24 train steps, 8 updates under accumulation
RECORD = 32


def schedule():
    """A linear decay: lr(m) = 0.1 + (0.01 - 0.1)·min(m, 10)/10."""
    return lrcore.linear(0.1, 0.01, transition_steps=10)


def composed_parts(module):
    """Two schedules of ``module`` (an adapter module) and a factor: the lr is their product times it."""
    return module.linear(1.0, 0.25, transition_steps=16), module.exponential_decay(0.2, 4, 0.5, staircase=True), 0.5
