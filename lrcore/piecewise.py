"""Piecewise-constant and piecewise-linear schedules."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from . import validate as check
from .schedule import Params, register


def _piecewise_constant(k, p, ops):
    return ops.locate(p["boundaries"], k).pick(ops.floats(p["values"]))


@register(_piecewise_constant, bound=lambda p, reach: reach.levels("values", p["values"]))
def piecewise_constant(boundaries: Sequence[int], values: Sequence[float]) -> Params:
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
    # Piece i (1 <= i <= n-1) runs from point i-1 to point i: v[i-1] + slope_i·(k - b[i-1]), exactly
    # v[i-1] at its first step. Pieces 0 (before the first point) and n (from the last) are flat.
    piece = ops.locate(b, k)
    if ops.precise:
        return _piecewise_linear_precise(k, b, v, piece, ops)
    start = ops.landmarks([0, *b[:-1], b[-1]])
    level = [v[0], *v[:-1], v[-1]]
    slope = [0.0, *(_slope(v[s - 1], v[s], b[s] - b[s - 1], ops) for s in range(1, n)), 0.0]
    offset = ops.tofloat(k - piece.pick(start))
    tiny = float(ops.xp.finfo(ops.float).smallest_normal)
    if any(isinstance(c, numbers.Real) and 0.0 < abs(c) < tiny for c in slope):
        # A subnormal slope keeps few digits, and JAX and TensorFlow flush it to 0 (the piece would
        # sit at its first value): the rise times the fraction of the piece instead.
        rise = [0.0, *(_rise(v[s - 1], v[s], ops) for s in range(1, n)), 0.0]
        width = [1.0, *(float(b[s] - b[s - 1]) for s in range(1, n)), 1.0]
        return piece.pick(ops.floats(level)) + piece.pick(ops.floats(rise)) * (offset / piece.pick(ops.floats(width)))
    return piece.pick(ops.floats(level)) + piece.pick(ops.floats(slope)) * offset


def _piecewise_linear_precise(k, b, v, piece, ops):
    """Each piece accurate relative to its own values (what an enclosing ``clip`` or product needs):
    from the level its values approach, ``end + (start - end)·(b_i - k)/width`` on a piece that
    shrinks toward its end (the exact complement ``b_i - k``: ``start + slope·offset`` cancels
    there, erring by a rounding of ``start``), ``start + (end - start)·(k - b_{i-1})/width`` on one
    that grows. Both terms have the value's sign where the levels share it; the flat pieces before
    the first point and from the last one are their level (a rise of 0)."""
    n = len(b)
    inner = range(1, n)
    shrinks = [False, *(_shrinks(v[i - 1], v[i]) for i in inner), False]
    base = [v[0], *(v[i] if shrinks[i] else v[i - 1] for i in inner), v[-1]]
    rise = [0.0, *(_rise(v[i], v[i - 1], ops) if shrinks[i] else _rise(v[i - 1], v[i], ops) for i in inner), 0.0]
    width = [1.0, *(float(b[i] - b[i - 1]) for i in inner), 1.0]
    # The steps from the piece's start (a growing piece) or to its end (a shrinking one), exact
    # integers; an end past the integer range is the range's end plus the rest as a float.
    start = piece.pick(ops.landmarks([0, *b[:-1], b[-1]]))
    end = piece.pick(ops.landmarks([b[0], *b[1:], b[-1]]))
    beyond = [0.0, *(float(b[i] - min(b[i], ops.max_step)) if shrinks[i] else 0.0 for i in inner), 0.0]
    count = ops.xp.where(piece.pick(ops.ints([int(f) for f in shrinks])) > ops.i(0), end - k, k - start)
    if any(beyond):
        fraction = ops.ratio(count, piece.pick(ops.floats(width)), piece.pick(ops.floats(beyond)))
    else:
        fraction = ops.ratio(count, piece.pick(ops.floats(width)))
    return piece.pick(ops.floats(base)) + piece.pick(ops.floats(rise)) * fraction


def _shrinks(a, b) -> bool:
    """Whether a piece from level ``a`` to ``b`` ends nearer 0 than it starts (levels of one sign),
    decided on the host; levels given as traced arrays count as growing (the start-based form)."""
    a, b = check.concrete(a), check.concrete(b)
    return a is not None and b is not None and a * b >= 0.0 and abs(b) < abs(a)


def _rise(a, b, ops):
    """``b - a``: rounded once in float64 for Python levels, in ``ops``' float dtype for array levels."""
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return b - a
    return ops.f(b) - ops.f(a)


def _slope(a, b, width: int, ops):
    """``(b - a) / width``: rounded once from float64 for Python levels, in ``ops``' float dtype
    for array levels."""
    rise = _rise(a, b, ops)
    return rise / width if isinstance(rise, numbers.Real) else rise / ops.f(float(width))


def _piecewise_linear_bound(p, reach):
    """Its levels, and each piece's rise ``values[i] - values[i-1]`` (formed in the float dtype for
    array levels, and as ``slope · offset`` inside the piece for any)."""
    values = p["values"]
    bound = reach.levels("values", values)
    for i in range(1, len(values)):
        a, b = check.concrete(values[i - 1]), check.concrete(values[i])
        if a is not None and b is not None:
            reach.derived(f"values[{i}]", values[i], abs(b - a), f"values[{i}] - values[{i - 1}]")
    return reach.derived("values", values, bound, "its largest value, interpolated to") if bound else 0.0


@register(_piecewise_linear, bound=_piecewise_linear_bound)
def piecewise_linear(boundaries: Sequence[int], values: Sequence[float]) -> Params:
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
