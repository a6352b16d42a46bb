"""``lrcore.numpy.<name>(...)``: every schedule, evaluated with NumPy in float64.

A Python int step gives a ``float``; an array of steps gives a float64 array of the same shape.
"""

from .backends.numpy import *  # noqa: F403
from .backends.numpy import NumpySchedule as NumpySchedule
from .backends.numpy import __all__ as _names

__all__ = [*_names, "NumpySchedule"]
