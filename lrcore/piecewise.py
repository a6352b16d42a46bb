"""Piecewise-constant and piecewise-linear schedules."""

from __future__ import annotations

from . import validate as check
from .schedule import Params, register


def _piecewise_constant(k, p, ops):
    i = ops.count_le(p["boundaries"], k)
    return ops.take(ops.floats(p["values"]), i)


@register(_piecewise_constant)
def piecewise_constant(boundaries, values) -> Params:
    r"""A step function: ``values[i]`` where ``i`` is the number of boundaries ``<= k``.

    .. math:: \eta(k) = v_i, \qquad i = \#\{\, j : b_j \le k \,\}

    The value changes AT each boundary step: with ``boundaries=[10]``, step 9 uses ``values[0]``
    and step 10 uses ``values[1]``.

    Args:
        boundaries: strictly increasing integers >= 0.
        values: ``len(boundaries) + 1`` finite values.

    Example:
        >>> import lrcore
        >>> s = lrcore.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.1, 0.01])
        >>> print(float(s(9)), float(s(10)))
        1.0 0.1

    Peers: torch ``MultiStepLR``; Keras ``PiecewiseConstantDecay`` with each boundary + 1 (Keras
    changes the value one step after the boundary); optax ``piecewise_constant_schedule``.
    """
    boundaries = check.boundaries("boundaries", boundaries)
    values = check.levels("values", values)
    check.lengths_match("values", values, "boundaries", boundaries, 1)
    return {"boundaries": boundaries, "values": values}


def _piecewise_linear(k, p, ops):
    b, v = p["boundaries"], p["values"]
    n = len(b)
    if n == 1:
        return ops.full(k, v[0])
    i = ops.count_le(b, k)  # 0 before the first point, n after the last
    # Segment i (1 <= i <= n-1) runs from point i-1 to point i; the two ends are flat.
    left_b = [0] + [min(x, ops.int_max) for x in b[:-1]] + [0]
    width = [1] + [b[s] - b[s - 1] for s in range(1, n)] + [1]
    left_v = [v[0]] + list(v[:-1]) + [v[-1]]
    right_v = [v[0]] + list(v[1:]) + [v[-1]]
    offset = k - ops.take(ops.ints(left_b), i)
    inside = (i > ops.i(0)) & (i < ops.i(n))
    w = ops.ratio(offset, ops.take(ops.floats(width), i))
    w = ops.xp.where(inside, w, ops.xp.zeros_like(w))
    return ops.lerp(ops.take(ops.floats(left_v), i), ops.take(ops.floats(right_v), i), w)


@register(_piecewise_linear)
def piecewise_linear(boundaries, values) -> Params:
    r"""Linear interpolation through the points ``(boundaries[i], values[i])``, flat outside.

    .. math::
        \eta(k) = v_{i-1} + (v_i - v_{i-1})\,\frac{k - b_{i-1}}{b_i - b_{i-1}}
        \quad\text{for } b_{i-1} \le k < b_i

    with :math:`\eta(k) = v_0` before :math:`b_0` and :math:`v_{n-1}` from :math:`b_{n-1}` on.

    Args:
        boundaries: strictly increasing integers >= 0 (at least one).
        values: one finite value per boundary.

    Example:
        >>> import lrcore
        >>> s = lrcore.piecewise_linear(boundaries=[0, 10, 20], values=[0.0, 1.0, 0.0])
        >>> print(float(s(5)), float(s(15)), float(s(100)))
        0.5 0.5 0.0

    Peers: ``numpy.interp``; optax ``piecewise_interpolate_schedule('linear', ...)``.
    """
    boundaries = check.boundaries("boundaries", boundaries)
    values = check.levels("values", values)
    check.lengths_match("values", values, "boundaries", boundaries, 0)
    check.nonempty("boundaries", boundaries)
    return {"boundaries": boundaries, "values": values}
