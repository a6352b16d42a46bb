"""The exact value of any schedule at any step, from the independent implementation in tests/examples.py.

Entry points: :func:`value` (``name, params, step``) and :func:`value_of` (a ``Schedule.to_dict()``
dict and a step), both returning an ``mpmath.mpf``; :func:`values_of` gives float64 NumPy values
for a list of steps; :func:`restart_starts` gives the exact cycle starts of ``cosine_restart``.
Each schedule's reference implementation is its ``reference`` in :data:`tests.examples.TABLE`.
"""

from __future__ import annotations

import functools
import json

import mpmath
import numpy as np

from tests.examples import TABLE, ceil_fraction, exact, restart_starts, value_of


def value(name: str, params: dict, step: int) -> mpmath.mpf:
    """The exact value of schedule ``name`` with ``params`` at integer ``step`` (negative = 0)."""
    return TABLE[name].reference(max(int(step), 0), params)


@functools.lru_cache(maxsize=4096)
def _values_cached(key: str, steps: tuple) -> np.ndarray:
    d = json.loads(key)
    out = np.array([float(value_of(d, k)) for k in steps], dtype=np.float64)
    out.setflags(write=False)
    return out


def values_of(d: dict, steps) -> np.ndarray:
    """float64 values (each correctly rounded from the exact value) of ``d`` at ``steps``."""
    steps = np.asarray(steps)
    flat = tuple(int(k) for k in steps.ravel())
    return _values_cached(json.dumps(d, sort_keys=True), flat).reshape(steps.shape)


__all__ = ["value", "value_of", "values_of", "restart_starts", "exact", "ceil_fraction"]
