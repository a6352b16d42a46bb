"""The NumPy adapter: float64 results, a plain ``float`` for a Python int step."""

from __future__ import annotations

import numbers

import numpy as np

from .._array import _NUMPY, host_steps
from ..schedule import Schedule, as_schedule
from . import Composable


class NumpySchedule(Composable):
    """A schedule evaluated with NumPy in float64."""

    __slots__ = ("schedule", "__weakref__")

    def __init__(self, schedule: Schedule):
        self.schedule = as_schedule("schedule", schedule)

    def __call__(self, step):
        if isinstance(step, numbers.Integral) and not isinstance(step, (bool, np.bool_)):
            return float(self.schedule.evaluate(np.asarray(step), xp=_NUMPY, dtype=np.float64))
        return self.schedule.evaluate(host_steps(step), xp=_NUMPY, dtype=np.float64)

    def __repr__(self):
        return f"lrcore.numpy.from_schedule({self.schedule!r})"
