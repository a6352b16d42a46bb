"""Cosine decay, warmup + cosine decay, and cosine annealing with warm restarts (SGDR)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from . import _array
from . import validate as check
from .schedule import MAX_LANDMARKS, Params, parameter_landmarks, register


def _k_powers(x, x1, k_decay: float, ops):
    """``(x**k, 1 - x**k)`` for ``x`` in [0, 1] given with its exact complement ``x1``: timm's
    k-decay of the cosine position (https://arxiv.org/abs/2004.05909).

    ``x**k`` comes from ``x`` (accurate relative to itself near 0), ``1 - x**k`` near ``x = 1``
    as ``-expm1(k·log1p(-x1))`` (accurate relative to itself where it is tiny), and as
    ``1 - x**k`` elsewhere; ``log1p`` sees at most ``½``, so every branch is finite.
    """
    xp = ops.xp
    xk = ops.pow_unit(x, k_decay)
    # Past fmax / 2 the product with log1p (at most ln 2 in magnitude) could overflow; such an
    # exponent gives the same values (x**k is 0 below x = 1), so it is capped there.
    k_decay = min(k_decay, float(xp.finfo(ops.float).max) / 2.0)
    near_one = x1 < 0.5
    tail = -xp.expm1(ops.f(k_decay) * xp.log1p(-xp.minimum(x1, ops.f(0.5))))
    return xk, xp.where(near_one, tail, 1.0 - xk)


def _cosine_weights(j, d: int, exponent, ops, k_decay: float = 1.0):
    """``(w, 1-w)`` with ``w = (½(1+cos πx^k))^exponent`` at ``x = j/d`` (``0 <= j <= d``).

    ``x`` and ``1 - x`` both come from integers, so ``w`` is accurate relative to itself on the
    last steps too, where it is tiny and an exponent below 1 magnifies it (``w**0.05`` of a weight
    1e-19 is 0.12 of the range).
    """
    if k_decay == 1.0:
        c, c1 = ops.cos_fraction(j, d)
    else:
        c, c1 = ops.cos_half(*_k_powers(*ops.fraction(j, d), k_decay, ops))
    if exponent != 1.0:
        c = ops.pow_unit(c, exponent)
        c1 = 1.0 - c
    return c, c1


def _folded(k, d: int, ops):
    """The position of step ``k`` on a wave that goes ``0 … d`` and back ``d … 0`` every ``2d``
    steps: ``d - |d - (k mod 2d)|``, exact integers at any magnitude."""
    if not ops.in_range(d):
        return k  # the first half-period outlasts every step
    d_ = ops.i(d)
    return d_ - ops.xp.abs(d_ - ops.mod(k, 2 * d))


# -- cosine decay ---------------------------------------------------------------------------------
def _cosine_decay(k, p, ops):
    d = p["decay_steps"]
    plain = p["exponent"] == 1.0 and p["k_decay"] == 1.0 and not p["periodic"]
    cheap = ops.cheap_levels(p["init_value"], p["end_value"], shrink=True, cost=_array.COS_RAMP_COST) if plain else None
    if cheap is not None:
        return ops.cos_ramp(k, d, *cheap)  # steps past d hold end_value: no clamp needed
    j = _folded(k, d, ops) if p["periodic"] else ops.minimum(k, d)
    c, c1 = _cosine_weights(j, d, p["exponent"], ops, p["k_decay"])
    return ops.lerp(p["end_value"], p["init_value"], c, c1)


def _cosine_decay_landmarks(p, end, landmarks_of):
    """Its parameters' landmarks; periodic, every multiple of ``decay_steps`` below ``end`` (at
    most ``MAX_LANDMARKS``)."""
    if not p["periodic"]:
        return parameter_landmarks(p)
    d = p["decay_steps"]
    return list(range(0, min(end, d * MAX_LANDMARKS), d))


@register(_cosine_decay, landmarks=_cosine_decay_landmarks, bound=lambda p, reach: reach.lerp(p, "init_value", "end_value"))
def cosine_decay(init_value, decay_steps, end_value=0.0, exponent=1.0, k_decay=1.0, periodic=False) -> Params:
    r"""Cosine decay from ``init_value`` to ``end_value``, then held (or, ``periodic``, rising again).

    .. math::
        \eta(k) = v_1 + (v_0 - v_1)\left(\tfrac12\left(1 + \cos\frac{\pi\, j^{\kappa}}{T^{\kappa}}\right)\right)^{e},
        \qquad j = \begin{cases} \min(k, T) & \text{not periodic} \\
                                 T - |T - (k \bmod 2T)| & \text{periodic} \end{cases}

    ``periodic=True`` continues the curve past :math:`T` as torch's ``CosineAnnealingLR`` does:
    back up to ``init_value`` at :math:`2T`, a period of :math:`2T` steps, for every step
    (:math:`\tfrac12(1 + \cos(\pi k / T))` for :math:`\kappa = 1`). The position :math:`j` is an
    exact integer at any step.

    Args:
        init_value: value at step 0, :math:`v_0`.
        decay_steps: :math:`T \ge 1`; the value is ``end_value`` from step :math:`T` on (at the
            odd multiples of :math:`T` when ``periodic``).
        end_value: final value, :math:`v_1`.
        exponent: :math:`e > 0`.
        k_decay: :math:`\kappa > 0`, timm's ``k_decay``: :math:`\kappa > 1` keeps the value high
            for longer, :math:`\kappa < 1` drops it sooner; 1 is the plain cosine.
        periodic: ``True`` to keep going past ``decay_steps`` (torch ``CosineAnnealingLR``), ``False``
            to hold ``end_value``.

    Example:
        >>> import lrcore
        >>> print(round(float(lrcore.cosine_decay(1.0, decay_steps=100)(50)), 12))
        0.5

    Peers: optax ``cosine_decay_schedule`` (``alpha = end_value / init_value``), Keras
    ``CosineDecay``, torch ``CosineAnnealingLR`` (``periodic=True``; with ``False`` the same for
    :math:`k \le T_{max}`), timm ``CosineLRScheduler`` (``k_decay``, one cycle).

    Reference: Loshchilov & Hutter, SGDR, https://arxiv.org/abs/1608.03983; k-decay:
    Zhang & Li, https://arxiv.org/abs/2004.05909
    """
    return {
        "init_value": check.level("init_value", init_value),
        "decay_steps": check.length("decay_steps", decay_steps),
        "end_value": check.level("end_value", end_value),
        "exponent": check.positive("exponent", exponent),
        "k_decay": check.positive("k_decay", k_decay),
        "periodic": check.boolean("periodic", periodic),
    }


# -- warmup + cosine decay ----------------------------------------------------------------------------
def _warmup_cosine_decay(k, p, ops):
    w, d = p["warmup_steps"], p["decay_steps"]
    j = ops.minimum(ops.since(k, w), d - w)
    c, c1 = _cosine_weights(j, d - w, p["exponent"], ops)
    decay = ops.lerp(p["end_value"], p["peak_value"], c, c1)
    if w == 0:
        return decay
    a, a1 = ops.fraction(ops.minimum(k, w), w)
    warm = ops.lerp(p["init_value"], p["peak_value"], a, a1)
    return ops.xp.where(ops.lt(k, w), warm, decay)


@register(_warmup_cosine_decay, bound=lambda p, reach: reach.lerp(p, "init_value", "peak_value", "end_value"))
def warmup_cosine_decay(
    init_value, peak_value, warmup_steps, decay_steps, end_value=0.0, exponent=1.0
) -> Params:
    r"""Linear warmup from ``init_value`` to ``peak_value``, then cosine decay to ``end_value``.

    .. math::
        \eta(k) = \begin{cases}
          v_0 + (P - v_0)\,k / W & k < W \\
          v_1 + (P - v_1)\left(\tfrac12\left(1 + \cos\frac{\pi \min(k - W, T - W)}{T - W}\right)\right)^{e} & k \ge W
        \end{cases}

    ``decay_steps`` (:math:`T`) counts the warmup, as in optax.

    Args:
        init_value: value at step 0, :math:`v_0`.
        peak_value: value at step ``warmup_steps``, :math:`P`.
        warmup_steps: :math:`W \ge 0`.
        decay_steps: total length :math:`T > W`.
        end_value: final value, :math:`v_1`.
        exponent: :math:`e > 0`.

    Example:
        >>> import lrcore
        >>> s = lrcore.warmup_cosine_decay(0.0, 1.0, warmup_steps=10, decay_steps=110)
        >>> print(float(s(5)), float(s(10)), float(s(60)))
        0.5 1.0 0.5

    Peers: optax ``warmup_cosine_decay_schedule``; Keras ``CosineDecay(warmup_target=...)`` with
    ``decay_steps`` = this ``decay_steps - warmup_steps``.
    """
    warmup_steps = check.phase("warmup_steps", warmup_steps)
    decay_steps = check.length("decay_steps", decay_steps)
    check.greater("decay_steps", decay_steps, "warmup_steps", warmup_steps, "it counts the warmup")
    return {
        "init_value": check.level("init_value", init_value),
        "peak_value": check.level("peak_value", peak_value),
        "warmup_steps": warmup_steps,
        "decay_steps": decay_steps,
        "end_value": check.level("end_value", end_value),
        "exponent": check.positive("exponent", exponent),
    }


# -- cosine with warm restarts ------------------------------------------------------------------------
# Cycles are tabulated up to this many entries; period_mul closer to 1 than that allows is refused.
_MAX_CYCLES = 1 << 20
_SCALE_BITS = 128
#: The largest period_mul (see cosine_restart's check).
_MAX_PERIOD_MUL = 2.0**63
_INT64_MAX = int(np.iinfo(np.int64).max)


def _ceil_times_power(base: int, power: int, error: int, mul: float, i: int) -> int:
    """``ceil(base · mul**i)`` exactly, from ``power``, a lower bound of ``mul**i · 2**_SCALE_BITS``
    that is off by at most ``error``.

    The bracket ``[base·power, base·(power + error)]`` decides the ceiling unless an integer falls
    inside it; only then (T_i within about 2**-60 of an integer without being exactly one) is the
    power recomputed with exact fractions.
    """
    lo = -(-base * power >> _SCALE_BITS)
    hi = -(-base * (power + error) >> _SCALE_BITS)
    if lo == hi:
        return lo
    return math.ceil(Fraction(base) * Fraction(mul) ** i)


def _cycle_count_bound(first_period: int, period_mul: float, max_step: int) -> int:
    """An upper bound on the cycles that start at or before ``max_step`` (lengths are >= T_i),
    for ``period_mul > 1``: ``log(1 + max_step·(m - 1)/T_0) / log(m)``, in logs where the product
    passes the float range (``period_mul`` up to 1.8e308)."""
    x = max_step * (period_mul - 1.0) / first_period
    log_x = math.log1p(x) if math.isfinite(x) else math.log(max_step / first_period) + math.log(period_mul - 1.0)
    return int(log_x / math.log(period_mul)) + 2


def _last_cycle(first_period: int, period_mul: float, whole: bool = True, cycle_limit: int | None = None) -> int:
    """The index of the last cycle that starts at or before the largest int64 step (and before
    ``cycle_limit``, after which the value holds)."""
    if period_mul == 1.0:
        last = _INT64_MAX // first_period  # cycles are exactly first_period steps long
    else:
        last = len(_restart_table(first_period, period_mul, 0, 1.0, _INT64_MAX, whole)[0]) - 1
    return last if cycle_limit is None else min(last, cycle_limit - 1)


def _ceil_scaled(scaled: int, error: int, exact) -> int:
    """``ceil(x)`` exactly, for ``x·2**_SCALE_BITS`` known to lie in ``[scaled, scaled + error]``;
    ``exact()`` (exact fractions) decides only when an integer falls inside the bracket."""
    lo = -(-scaled >> _SCALE_BITS)
    if lo == -(-(scaled + error) >> _SCALE_BITS):
        return lo
    return math.ceil(exact())


@_array.host_constant
def _restart_table(first_period: int, period_mul: float, warmup_steps: int, peak_mul: float, max_step: int,
                   whole: bool = True, cycle_limit: int | None = None):
    """Per-cycle constants for every cycle starting at or before ``max_step``.

    With a ``cycle_limit`` the table ends at cycle ``cycle_limit``, where the value holds (its peak
    factor is the one before's: it is never used, and stays finite).

    Cycle ``i`` begins at the real step ``S_i`` (the sum of the whole lengths ``ceil(T_j)``
    before it when ``whole``, else ``T_0 (m**i - 1)/(m - 1)``) and restarts at the whole step
    ``R_i = ceil(S_i)``; its warmup ends at ``E_i = ceil(S_i + W_i)``.

    Returns ``(starts, warm_ceil, warm_len, warm_offset, cos_len, peak_factor, rest, rest_offset,
    start_offset)``: ``R_i`` and ``E_i - R_i`` as exact ints; ``W_i``, ``E_i - S_i - W_i``,
    ``T_i - W_i`` and ``peak_mul**i`` as float64; ``S_i + T_i - E_i`` split into an int (at most
    ``max_step``) and a float64 remainder, so that ``1 - x`` of the cosine position is formed
    without cancellation at the end of a cycle; and ``R_i - S_i`` in float64 (0 when ``whole``).
    """
    starts, warm_ceil, warm_len, warm_offset, cos_len, peak_factor = [], [], [], [], [], []
    rest, rest_offset, start_offset = [], [], []
    # period_mul**i carried as an integer scaled by 2**_SCALE_BITS (relative error <= i·2**-_SCALE_BITS),
    # so that ceil(W_i) - W_i and T_i - W_i are rounded once, not computed by float cancellation
    # (which costs W_i/(T_i - W_i) ulps when the warmup is most of the cycle).
    mul = Fraction(period_mul)
    num, den = mul.as_integer_ratio()
    one = 1 << _SCALE_BITS
    power, error = one, 0  # mul**i · one lies in [power, power + error]
    total, total_error = 0, 0  # (mul**0 + ... + mul**(i-1)) · one lies in [total, total + total_error]
    start, i = 0, 0
    while True:
        if whole:
            s_scaled, s_error = start << _SCALE_BITS, 0  # S_i = R_i, an exact whole step
        else:
            s_scaled, s_error = first_period * total, first_period * total_error
            start = _ceil_scaled(s_scaled, s_error, lambda: first_period * (mul**i - 1) / (mul - 1))
        if start > max_step or (cycle_limit is not None and i > cycle_limit):
            break
        w_i = warmup_steps * power / one
        if not warmup_steps:
            wc = 0
        elif whole:
            wc = _ceil_times_power(warmup_steps, power, error, period_mul, i)
        else:
            wc = _ceil_scaled(s_scaled + warmup_steps * power, s_error + warmup_steps * error,
                              lambda: first_period * (mul**i - 1) / (mul - 1) + warmup_steps * mul**i) - start
        end_scaled = (start + wc) << _SCALE_BITS  # E_i · one
        offset = (end_scaled - s_scaled - warmup_steps * power) / one
        t_minus_w = (first_period - warmup_steps) * power / one
        scaled_rest = s_scaled + first_period * power - end_scaled  # (S_i + T_i - E_i) · one, > 0
        rest_int = min(scaled_rest >> _SCALE_BITS, max_step)
        starts.append(start)
        # A warmup ending past max_step covers every step of its cycle: clamping ceil(W_i) keeps the
        # table in the integer range and leaves `t < ceil(W_i)` unchanged (a cycle starting at
        # S_i >= 1 has t < max_step; cycle 0 is clamped only when warmup_steps itself is past the
        # range, and _cosine_restart handles that case before using the table).
        warm_ceil.append(min(wc, max_step))
        warm_len.append(w_i)
        warm_offset.append(offset)
        cos_len.append(t_minus_w)
        peak_factor.append(peak_mul ** (i if cycle_limit is None else min(i, cycle_limit - 1)))
        rest.append(rest_int)
        rest_offset.append((scaled_rest - (rest_int << _SCALE_BITS)) / one)
        start_offset.append(((start << _SCALE_BITS) - s_scaled) / one)
        if whole:
            start += _ceil_times_power(first_period, power, error, period_mul, i)
        total, total_error = total + power, total_error + error
        i += 1
        power, remainder = divmod(power * num, den)
        error = -(-error * num // den) + (1 if remainder else 0)
    ints = lambda xs: np.asarray(xs, dtype=np.int64)  # noqa: E731
    floats = lambda xs: np.asarray(xs, dtype=np.float64)  # noqa: E731
    return (
        ints(starts), ints(warm_ceil), floats(warm_len), floats(warm_offset), floats(cos_len),
        floats(peak_factor), ints(rest), floats(rest_offset), floats(start_offset),
    )


@_array.host_constant
def _peak_table(first_period: int, period_mul: float, warmup_steps: int, peak_mul: float, max_step: int, peak: float,
                whole: bool = True, cycle_limit: int | None = None):
    """``peak · peak_mul**i`` for every cycle of :func:`_restart_table`, in float64."""
    factors = _restart_table(first_period, period_mul, warmup_steps, peak_mul, max_step, whole, cycle_limit)[5]
    return factors * peak


def _held(value, k, hold_from: int | None, end, ops):
    """``value`` before step ``hold_from``, ``end`` from it on (``None``: never)."""
    if hold_from is None:
        return value
    return ops.xp.where(ops.lt(k, hold_from), value, ops.full(k, end))


def _cosine_restart(k, p, ops):
    xp = ops.xp
    t0, m, w = p["first_period"], p["period_mul"], p["warmup_steps"]
    kd, limit, whole = p["k_decay"], p["cycle_limit"], p["whole_periods"]
    end, peak, pm = ops.f(p["end_value"]), ops.f(p["peak_value"]), p["peak_mul"]
    if not ops.in_range(w):
        # The first warmup outlasts every representable step: the schedule is that warmup line.
        return ops.lerp(end, peak, ops.ratio(k, float(w)))
    if m == 1.0:
        # Closed form: cycle i = k // T, position t = k - i·T, all exact integers.
        hold_from = None if limit is None else t0 * limit
        t = ops.mod(k, t0)  # a first period past the range never ends: t = k
        plain = w == 0 and pm == 1.0 and kd == 1.0
        cheap = ops.cheap_levels(p["peak_value"], p["end_value"], shrink=True, cost=_array.COS_RAMP_COST) if plain else None
        if cheap is not None:
            # A cycle never reaches t = first_period: it restarts there, exactly at its peak.
            return _held(ops.cos_ramp(t, t0, *cheap, held=False), k, hold_from, p["end_value"], ops)
        c, c1 = _cosine_weights(ops.since(t, w), t0 - w, 1.0, ops, kd)
        if pm == 1.0:
            value = end * c1 + peak * c
        else:
            # The peak P·peak_mul**i enters as P·(peak_mul**i·weight): under jit, XLA regroups the
            # product of two constant-scaled terms, (P·peak_mul**i)·(t·(1/W)), for a 0-d step but
            # not for an array, which made an array of steps differ from the steps alone by an ulp.
            cycle = ops.floordiv(k, t0)
            if limit is not None:  # held from cycle `limit` on: its growing peak is never formed
                cycle = ops.minimum(cycle, limit - 1)
            factor = ops.power(pm, ops.tofloat(cycle))
            value = end * c1 + peak * (factor * c)
        if w == 0:
            return _held(value, k, hold_from, p["end_value"], ops)
        a, a1 = ops.fraction(t, w)
        warm = end * a1 + (peak * a if pm == 1.0 else peak * (factor * a))
        return _held(xp.where(ops.lt(t, w), warm, value), k, hold_from, p["end_value"], ops)
    table = _restart_table(t0, m, w, pm, ops.max_step, whole, limit)
    starts, warm_ceil, warm_lens, offsets, cos_lens, factors, rests, rest_offsets, start_offsets = table
    hold_from = int(starts[limit]) if limit is not None and limit < len(starts) else None
    i = ops.searchsorted(ops.ints(starts), k) - ops.i(1)
    t = k - ops.take(ops.ints(starts), i)
    if _array.is_array(p["peak_value"]):
        top = peak * ops.take(ops.floats(factors), i)
    else:  # P·peak_mul**i tabulated in float64, rounded once
        top = ops.take(ops.floats(_peak_table(t0, m, w, pm, ops.max_step, p["peak_value"], whole, limit)), i)
    wc = ops.take(ops.ints(warm_ceil), i)
    # Cosine position (t - W_i) / (T_i - W_i), with t - W_i = (t - ceil(W_i)) + (ceil(W_i) - W_i),
    # and its complement (T_i - ceil(W_i) - (t - ceil(W_i))) / (T_i - W_i) (t counted from the real
    # start S_i: the offsets carry R_i - S_i).
    n = xp.maximum(t - wc, ops.i(0))
    cos_len = ops.take(ops.floats(cos_lens), i)
    x = ops.ratio(n, cos_len, ops.take(ops.floats(offsets), i))
    x1 = ops.ratio(ops.take(ops.ints(rests), i) - n, cos_len, ops.take(ops.floats(rest_offsets), i))
    if kd != 1.0:
        x, x1 = _k_powers(x, x1, kd, ops)
    c, c1 = ops.cos_half(x, x1)
    value = end * c1 + top * c
    if w == 0:
        return _held(value, k, hold_from, p["end_value"], ops)
    if whole:
        a = ops.ratio(t, ops.take(ops.floats(warm_lens), i))
    else:
        a = ops.ratio(t, ops.take(ops.floats(warm_lens), i), ops.take(ops.floats(start_offsets), i))
    warm = end * (1.0 - a) + top * a
    return _held(xp.where(t < wc, warm, value), k, hold_from, p["end_value"], ops)


def _cosine_restart_landmarks(p, end, landmarks_of):
    """Its parameters' landmarks and each cycle's start and warmup end, up to ``end`` (at most
    ``MAX_LANDMARKS``), and the step from which ``cycle_limit`` holds the value."""
    points = []
    first, mul, warmup, limit = p["first_period"], p["period_mul"], p["warmup_steps"], p["cycle_limit"]
    start, i = 0.0, 0
    while start < end and len(points) < MAX_LANDMARKS and (limit is None or i <= limit):
        period, warm = first * mul**i, warmup * mul**i
        if p["whole_periods"]:
            points += [math.ceil(start), math.ceil(start) + math.ceil(warm)]
            start = math.ceil(start) + math.ceil(period)
        else:
            points += [math.ceil(start), math.ceil(start + warm)]
            start += period
        i += 1
    return parameter_landmarks({key: v for key, v in p.items() if key != "cycle_limit"}) + points


def _cosine_restart_bound(p, reach):
    # Cycle i peaks at P·peak_mul**i: P itself for peak_mul <= 1, the last cycle's for a growing peak.
    peak_mul = p["peak_mul"]
    reach.constant("peak_mul", peak_mul)
    if peak_mul <= 1.0:
        return reach.lerp(p, "peak_value", "end_value")
    last = _last_cycle(p["first_period"], p["period_mul"], p["whole_periods"], p["cycle_limit"])
    log_factor = last * math.log(peak_mul)
    factor = math.exp(log_factor) if log_factor < 709.0 else math.inf
    reach.derived("peak_mul", peak_mul, factor, "peak_mul**i of the last cycle")
    top = reach.derived("peak_mul", peak_mul, reach.level("peak_value", p["peak_value"]) * factor,
                        "peak_value·peak_mul**i of the last cycle")
    return reach.derived("peak_mul", peak_mul, max(top, reach.level("end_value", p["end_value"])),
                         "the largest value between end_value and the last cycle's peak")


@register(_cosine_restart, landmarks=_cosine_restart_landmarks, bound=_cosine_restart_bound)
def cosine_restart(
    peak_value, first_period, period_mul=1.0, peak_mul=1.0, end_value=0.0, warmup_steps=0, k_decay=1.0,
    cycle_limit=None, whole_periods=True,
) -> Params:
    r"""Cosine annealing with warm restarts (SGDR), with optional per-cycle linear warmup.

    Cycle :math:`i` (from 0) has nominal length :math:`T_i = T_0 m^i` and starts at
    :math:`S_i`: with ``whole_periods`` (the default) it lasts :math:`L_i = \lceil T_i \rceil` whole
    steps and :math:`S_i = L_0 + \dots + L_{i-1}`; without, cycles keep their real lengths,
    :math:`S_i = T_0 + \dots + T_{i-1} = T_0 (m^i - 1)/(m - 1)`, and the restart happens at the
    first whole step at or past :math:`S_i` (Keras and timm). Its peak is :math:`P_i = P\,\mu^i`
    and its warmup :math:`W_i = W m^i`. With :math:`t = k - S_i`:

    .. math::
        \eta(k) = \begin{cases}
          v_1 + (P_i - v_1)\,t / W_i & t < W_i \\
          v_1 + (P_i - v_1)\,\tfrac12\left(1 + \cos\left(\pi x^{\kappa}\right)\right),
            \quad x = \frac{t - W_i}{T_i - W_i} & \text{otherwise}
        \end{cases}

    and :math:`\eta(k) = v_1` from the start of cycle ``cycle_limit`` on, when one is given.

    With ``whole_periods`` every restart lands on a whole step :math:`S_i`, where the value is
    exactly the cycle's start value (:math:`v_1` with warmup, :math:`P_i` without). In both forms
    the cycle is found in integer arithmetic (a closed form for :math:`m = 1`, one binary search
    over a table of restart steps :math:`\lceil S_i \rceil` decided exactly otherwise), for every
    representable step, so the cost does not depend on how many cycles came before.

    Args:
        peak_value: peak of the first cycle, :math:`P`.
        first_period: :math:`T_0 \ge 1` steps.
        period_mul: :math:`1 \le m \le 2^{63}`; each cycle is :math:`m` times longer than the one
            before. Values so close to 1 that more than :math:`2^{20}` cycles fit in the int64 range
            are refused.
        peak_mul: :math:`\mu > 0`; each cycle's peak is :math:`\mu` times the one before. A
            growing peak (:math:`\mu > 1`, Keras' ``m_mul > 1``) is accepted as long as the peak of
            every cycle that starts at or before step :math:`2^{63}-1` (and before ``cycle_limit``)
            is finite in float32; otherwise a ``ValueError`` names ``peak_mul``. With
            ``period_mul = 1`` there are :math:`\approx 2^{63}/T_0` cycles, so only a huge
            ``first_period`` or a ``cycle_limit`` allows it.
        end_value: value at the end of every cycle (and start of every warmup), :math:`v_1`.
        warmup_steps: :math:`0 \le W < T_0`, linear warmup from ``end_value`` at each restart.
        k_decay: :math:`\kappa > 0`, timm's ``k_decay`` applied to each cycle's cosine position.
        cycle_limit: ``None`` (restart forever) or an integer :math:`n \ge 1`: after :math:`n`
            cycles the value holds at ``end_value`` (timm's ``cycle_limit``).
        whole_periods: ``True`` to round each cycle up to whole steps (every restart at its start
            value), ``False`` for real cycle lengths (timm, Keras); the two differ only when some
            :math:`T_i` is not a whole number.

    Example:
        >>> import lrcore
        >>> s = lrcore.cosine_restart(peak_value=1.0, first_period=10, period_mul=2.0)
        >>> print(float(s(5)), float(s(10)), float(s(20)))
        0.5 1.0 0.5

    Peers: Keras ``CosineDecayRestarts`` (``alpha = end/peak`` with ``m_mul = 1``, or ``alpha = 0``;
    ``m_mul > 1`` included; ``whole_periods=False``),
    torch ``CosineAnnealingWarmRestarts``, optax ``sgdr_schedule``, timm ``CosineLRScheduler``
    (``cycle_mul``, ``cycle_decay``, ``cycle_limit``, ``k_decay``; ``whole_periods=False``).

    Reference: Loshchilov & Hutter, SGDR, https://arxiv.org/abs/1608.03983
    """
    first_period = check.length("first_period", first_period)
    period_mul = check.at_least("period_mul", period_mul, 1.0)
    check.at_most(
        "period_mul", period_mul, _MAX_PERIOD_MUL,
        "each cycle at most 2**63 times longer than the one before: every cycle that starts within "
        "the int64 step range then lasts fewer than 2**126 steps, a length float32 holds",
    )
    peak_mul = check.positive("peak_mul", peak_mul)
    warmup_steps = check.phase("warmup_steps", warmup_steps)
    check.less("warmup_steps", warmup_steps, "first_period", first_period)
    if period_mul != 1.0:
        check.derived_at_most(
            "period_mul", period_mul, _cycle_count_bound(first_period, period_mul, _INT64_MAX), _MAX_CYCLES,
            "is too close to 1: the cycles up to step 2**63 would need a table of "
            f"more than {_MAX_CYCLES} entries. Use period_mul=1.0 or a larger factor",
        )
    peak_value = check.level("peak_value", peak_value)
    end_value = check.level("end_value", end_value)
    k_decay = check.positive("k_decay", k_decay)
    cycle_limit = None if cycle_limit is None else check.length("cycle_limit", cycle_limit)
    whole_periods = check.boolean("whole_periods", whole_periods)
    if peak_mul > 1.0:
        _check_growing_peaks(first_period, period_mul, peak_mul, peak_value, end_value, whole_periods, cycle_limit)
    return {
        "peak_value": peak_value,
        "first_period": first_period,
        "period_mul": period_mul,
        "peak_mul": peak_mul,
        "end_value": end_value,
        "warmup_steps": warmup_steps,
        "k_decay": k_decay,
        "cycle_limit": cycle_limit,
        "whole_periods": whole_periods,
    }


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_growing_peaks(first_period: int, period_mul: float, peak_mul: float, peak_value, end_value,
                         whole: bool, cycle_limit: int | None):
    """A growing peak (``peak_mul > 1``, Keras' ``m_mul > 1``) is accepted while the peak of every
    cycle starting at or before the largest int64 step, ``peak·peak_mul**i``, and the factor
    ``peak_mul**i`` itself are finite in float32 (and the values between it and ``end_value``)."""
    last_cycle = _last_cycle(first_period, period_mul, whole, cycle_limit)
    # log-space, so that a hopeless peak_mul**last_cycle never overflows the host's float64
    log_factor = last_cycle * math.log(peak_mul)
    levels = [abs(v) for v in (check.concrete(peak_value), check.concrete(end_value)) if v is not None]
    log_top = log_factor + math.log(max([1.0, *levels]))
    # Room for lerp(end, top) = end·(1-c) + top·c: its terms add to at most twice the larger.
    check.derived_at_most(
        "peak_mul", peak_mul, log_top, math.log(_FLOAT32_MAX / 2.0),
        "makes the cycle peaks overflow float32: the last of the "
        f"{last_cycle + 1} cycles that start at or before step 2**63 - 1 would peak at "
        f"peak_value·peak_mul**{last_cycle} = e**{log_top:.4g} (float32 holds up to 3.4e38). "
        "Use peak_mul <= 1, or a larger first_period or period_mul (fewer cycles in the step range)",
    )
