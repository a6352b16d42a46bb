"""``lrcore.numpy.<name>(...)``: every schedule, evaluated with NumPy in float64.

A Python int step gives a ``float``; an array of steps gives a float64 array of the same shape.
"""

from .backends import install as _install
from .backends.numpy import NumpySchedule as NumpySchedule

# The factories are generated from the registry; lrcore/numpy.pyi (python -m lrcore._stubs) is
# their static view for editors and type checkers.
__all__ = [*_install(globals(), NumpySchedule), "NumpySchedule"]
