"""Cosine decay, warmup + cosine decay, and cosine annealing with warm restarts (SGDR)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from . import _array
from . import validate as check
from .schedule import MAX_LANDMARKS, Params, parameter_landmarks, register


def _cosine_weights(j, d: int, exponent, ops):
    """``(w, 1-w)`` with ``w = (½(1+cos πx))^exponent`` at ``x = j/d`` (``0 <= j <= d``).

    ``x`` and ``1 - x`` both come from integers, so ``w`` is accurate relative to itself on the
    last steps too, where it is tiny and an exponent below 1 magnifies it (``w**0.05`` of a weight
    1e-19 is 0.12 of the range).
    """
    c, c1 = ops.cos_fraction(j, d)
    if exponent != 1.0:
        c = ops.pow_unit(c, exponent)
        c1 = 1.0 - c
    return c, c1


# -- cosine decay ---------------------------------------------------------------------------------
def _cosine_decay(k, p, ops):
    d = p["decay_steps"]
    cheap = ops.cheap_levels(p["init_value"], p["end_value"], shrink=True) if p["exponent"] == 1.0 else None
    if cheap is not None:
        return ops.cos_ramp(k, d, *cheap)  # steps past d hold end_value: no clamp needed
    c, c1 = _cosine_weights(ops.minimum(k, d), d, p["exponent"], ops)
    return ops.lerp(p["end_value"], p["init_value"], c, c1)


@register(_cosine_decay, bound=lambda p, reach: reach.lerp(p, "init_value", "end_value"))
def cosine_decay(init_value, decay_steps, end_value=0.0, exponent=1.0) -> Params:
    r"""Cosine decay from ``init_value`` to ``end_value``, then held (no rebound).

    .. math::
        \eta(k) = v_1 + (v_0 - v_1)\left(\tfrac12\left(1 + \cos\frac{\pi \min(k, T)}{T}\right)\right)^{e}

    Args:
        init_value: value at step 0, :math:`v_0`.
        decay_steps: :math:`T \ge 1`; the value is ``end_value`` from step :math:`T` on.
        end_value: final value, :math:`v_1`.
        exponent: :math:`e > 0`.

    Example:
        >>> import lrcore
        >>> print(float(lrcore.cosine_decay(1.0, decay_steps=100)(50)))
        0.5

    Peers: optax ``cosine_decay_schedule`` (``alpha = end_value / init_value``), Keras
    ``CosineDecay``, torch ``CosineAnnealingLR`` for :math:`k \le T_{max}` (torch rebounds after).

    Reference: Loshchilov & Hutter, SGDR, https://arxiv.org/abs/1608.03983
    """
    return {
        "init_value": check.level("init_value", init_value),
        "decay_steps": check.length("decay_steps", decay_steps),
        "end_value": check.level("end_value", end_value),
        "exponent": check.positive("exponent", exponent),
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


def _last_cycle(first_period: int, period_mul: float) -> int:
    """The index of the last cycle that starts at or before the largest int64 step."""
    if period_mul == 1.0:
        return _INT64_MAX // first_period  # cycles are exactly first_period steps long
    return len(_restart_table(first_period, period_mul, 0, 1.0, _INT64_MAX)[0]) - 1


@_array.host_constant
def _restart_table(first_period: int, period_mul: float, warmup_steps: int, peak_mul: float, max_step: int):
    """Per-cycle constants for every cycle starting at or before ``max_step``.

    Returns ``(starts, warm_ceil, warm_len, warm_offset, cos_len, peak_factor, rest, rest_offset)``:
    ``S_i`` and ``ceil(W_i)`` as exact ints; ``W_i``, ``ceil(W_i) - W_i``, ``T_i - W_i`` and
    ``peak_mul**i`` as float64; and ``T_i - ceil(W_i)`` split into an int (at most ``max_step``)
    and a float64 remainder, so that ``1 - x`` of the cosine position is formed without
    cancellation at the end of a cycle.
    """
    starts, warm_ceil, warm_len, warm_offset, cos_len, peak_factor = [], [], [], [], [], []
    rest, rest_offset = [], []
    # period_mul**i carried as an integer scaled by 2**_SCALE_BITS (relative error <= i·2**-_SCALE_BITS),
    # so that ceil(W_i) - W_i and T_i - W_i are rounded once, not computed by float cancellation
    # (which costs W_i/(T_i - W_i) ulps when the warmup is most of the cycle).
    num, den = Fraction(period_mul).as_integer_ratio()
    one = 1 << _SCALE_BITS
    power, error = one, 0  # mul**i · one lies in [power, power + error]
    start, i = 0, 0
    while start <= max_step:
        w_i = warmup_steps * power / one
        wc = _ceil_times_power(warmup_steps, power, error, period_mul, i) if warmup_steps else 0
        offset = ((wc << _SCALE_BITS) - warmup_steps * power) / one
        t_minus_w = (first_period - warmup_steps) * power / one
        scaled_rest = first_period * power - (wc << _SCALE_BITS)  # (T_i - ceil(W_i)) · one, > 0
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
        peak_factor.append(peak_mul**i)
        rest.append(rest_int)
        rest_offset.append((scaled_rest - (rest_int << _SCALE_BITS)) / one)
        start += _ceil_times_power(first_period, power, error, period_mul, i)
        i += 1
        power, remainder = divmod(power * num, den)
        error = -(-error * num // den) + (1 if remainder else 0)
    ints = lambda xs: np.asarray(xs, dtype=np.int64)  # noqa: E731
    floats = lambda xs: np.asarray(xs, dtype=np.float64)  # noqa: E731
    return (
        ints(starts), ints(warm_ceil), floats(warm_len), floats(warm_offset), floats(cos_len),
        floats(peak_factor), ints(rest), floats(rest_offset),
    )


@_array.host_constant
def _peak_table(first_period: int, period_mul: float, warmup_steps: int, peak_mul: float, max_step: int, peak: float):
    """``peak · peak_mul**i`` for every cycle of :func:`_restart_table`, in float64."""
    factors = _restart_table(first_period, period_mul, warmup_steps, peak_mul, max_step)[5]
    return factors * peak


def _cosine_restart(k, p, ops):
    xp = ops.xp
    t0, m, w = p["first_period"], p["period_mul"], p["warmup_steps"]
    end, peak, pm = ops.f(p["end_value"]), ops.f(p["peak_value"]), p["peak_mul"]
    if not ops.in_range(w):
        # The first warmup outlasts every representable step: the schedule is that warmup line.
        return ops.lerp(end, peak, ops.ratio(k, float(w)))
    if m == 1.0:
        # Closed form: cycle i = k // T, position t = k - i·T, all exact integers.
        t = ops.mod(k, t0)  # a first period past the range never ends: t = k
        cheap = ops.cheap_levels(p["peak_value"], p["end_value"], shrink=True) if w == 0 and pm == 1.0 else None
        if cheap is not None:
            # A cycle never reaches t = first_period: it restarts there, exactly at its peak.
            return ops.cos_ramp(t, t0, *cheap, held=False)
        c, c1 = ops.cos_fraction(ops.since(t, w), t0 - w)
        if pm == 1.0:
            value = end * c1 + peak * c
        else:
            # The peak P·peak_mul**i enters as P·(peak_mul**i·weight): under jit, XLA regroups the
            # product of two constant-scaled terms, (P·peak_mul**i)·(t·(1/W)), for a 0-d step but
            # not for an array, which made an array of steps differ from the steps alone by an ulp.
            factor = ops.power(pm, ops.tofloat(ops.floordiv(k, t0)))
            value = end * c1 + peak * (factor * c)
        if w == 0:
            return value
        a, a1 = ops.fraction(t, w)
        warm = end * a1 + (peak * a if pm == 1.0 else peak * (factor * a))
        return xp.where(ops.lt(t, w), warm, value)
    table = _restart_table(t0, m, w, pm, ops.max_step)
    starts, warm_ceil, warm_lens, offsets, cos_lens, factors, rests, rest_offsets = table
    i = ops.searchsorted(ops.ints(starts), k) - ops.i(1)
    t = k - ops.take(ops.ints(starts), i)
    if _array.is_array(p["peak_value"]):
        top = peak * ops.take(ops.floats(factors), i)
    else:  # P·peak_mul**i tabulated in float64, rounded once
        top = ops.take(ops.floats(_peak_table(t0, m, w, pm, ops.max_step, p["peak_value"])), i)
    wc = ops.take(ops.ints(warm_ceil), i)
    # Cosine position (t - W_i) / (T_i - W_i), with t - W_i = (t - ceil(W_i)) + (ceil(W_i) - W_i),
    # and its complement (T_i - ceil(W_i) - (t - ceil(W_i))) / (T_i - W_i).
    n = xp.maximum(t - wc, ops.i(0))
    cos_len = ops.take(ops.floats(cos_lens), i)
    x = ops.ratio(n, cos_len, ops.take(ops.floats(offsets), i))
    x1 = ops.ratio(ops.take(ops.ints(rests), i) - n, cos_len, ops.take(ops.floats(rest_offsets), i))
    c, c1 = ops.cos_half(x, x1)
    value = end * c1 + top * c
    if w == 0:
        return value
    a = ops.ratio(t, ops.take(ops.floats(warm_lens), i))
    warm = end * (1.0 - a) + top * a
    return xp.where(t < wc, warm, value)


def _cosine_restart_landmarks(p, end, landmarks_of):
    """Its parameters' landmarks and each cycle's start and warmup end, up to ``end`` (at most
    ``MAX_LANDMARKS``), with the cycle lengths rounded up as a plot shows them."""
    points = []
    start, i = 0, 0
    while start < end and len(points) < MAX_LANDMARKS:
        period = p["first_period"] * p["period_mul"] ** i
        warm = p["warmup_steps"] * p["period_mul"] ** i
        points += [start, start + math.ceil(warm)]
        start += math.ceil(period)
        i += 1
    return parameter_landmarks(p) + points


def _cosine_restart_bound(p, reach):
    # Cycle i peaks at P·peak_mul**i: P itself for peak_mul <= 1, the last cycle's for a growing peak.
    peak_mul = p["peak_mul"]
    reach.constant("peak_mul", peak_mul)
    if peak_mul <= 1.0:
        return reach.lerp(p, "peak_value", "end_value")
    log_factor = _last_cycle(p["first_period"], p["period_mul"]) * math.log(peak_mul)
    factor = math.exp(log_factor) if log_factor < 709.0 else math.inf
    reach.derived("peak_mul", peak_mul, factor, "peak_mul**i of the last cycle")
    top = reach.derived("peak_mul", peak_mul, reach.level("peak_value", p["peak_value"]) * factor,
                        "peak_value·peak_mul**i of the last cycle")
    return reach.derived("peak_mul", peak_mul, max(top, reach.level("end_value", p["end_value"])),
                         "the largest value between end_value and the last cycle's peak")


@register(_cosine_restart, landmarks=_cosine_restart_landmarks, bound=_cosine_restart_bound)
def cosine_restart(
    peak_value, first_period, period_mul=1.0, peak_mul=1.0, end_value=0.0, warmup_steps=0
) -> Params:
    r"""Cosine annealing with warm restarts (SGDR), with optional per-cycle linear warmup.

    Cycle :math:`i` (from 0) has nominal length :math:`T_i = T_0 m^i`, lasts
    :math:`L_i = \lceil T_i \rceil` whole steps and starts at :math:`S_i = L_0 + \dots + L_{i-1}`.
    Its peak is :math:`P_i = P\,\mu^i` and its warmup :math:`W_i = W m^i`. With :math:`t = k - S_i`:

    .. math::
        \eta(k) = \begin{cases}
          v_1 + (P_i - v_1)\,t / W_i & t < W_i \\
          v_1 + (P_i - v_1)\,\tfrac12\left(1 + \cos\frac{\pi (t - W_i)}{T_i - W_i}\right) & \text{otherwise}
        \end{cases}

    Every restart lands on a whole step :math:`S_i`, where the value is exactly the cycle's start
    value (:math:`v_1` with warmup, :math:`P_i` without), for every representable step. The cycle
    is found in integer arithmetic (a closed form for :math:`m = 1`, one binary search over an
    exact table of cycle starts otherwise), so the cost does not depend on how many cycles came
    before.

    Args:
        peak_value: peak of the first cycle, :math:`P`.
        first_period: :math:`T_0 \ge 1` steps.
        period_mul: :math:`1 \le m \le 2^{63}`; each cycle is :math:`m` times longer than the one
            before. Values so close to 1 that more than :math:`2^{20}` cycles fit in the int64 range
            are refused.
        peak_mul: :math:`\mu > 0`; each cycle's peak is :math:`\mu` times the one before. A
            growing peak (:math:`\mu > 1`, Keras' ``m_mul > 1``) is accepted as long as the peak of
            every cycle that starts at or before step :math:`2^{63}-1` is finite in float32;
            otherwise a ``ValueError`` names ``peak_mul``. With ``period_mul = 1`` there are
            :math:`\approx 2^{63}/T_0` cycles, so only a huge ``first_period`` allows it.
        end_value: value at the end of every cycle (and start of every warmup), :math:`v_1`.
        warmup_steps: :math:`0 \le W < T_0`, linear warmup from ``end_value`` at each restart.

    Example:
        >>> import lrcore
        >>> s = lrcore.cosine_restart(peak_value=1.0, first_period=10, period_mul=2.0)
        >>> print(float(s(5)), float(s(10)), float(s(20)))
        0.5 1.0 0.5

    Peers: Keras ``CosineDecayRestarts`` (``alpha = end/peak`` with ``m_mul = 1``, or ``alpha = 0``;
    ``m_mul > 1`` included),
    torch ``CosineAnnealingWarmRestarts``, optax ``sgdr_schedule``.

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
    if peak_mul > 1.0:
        _check_growing_peaks(first_period, period_mul, peak_mul, peak_value, end_value)
    return {
        "peak_value": peak_value,
        "first_period": first_period,
        "period_mul": period_mul,
        "peak_mul": peak_mul,
        "end_value": end_value,
        "warmup_steps": warmup_steps,
    }


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_growing_peaks(first_period: int, period_mul: float, peak_mul: float, peak_value, end_value):
    """A growing peak (``peak_mul > 1``, Keras' ``m_mul > 1``) is accepted while the peak of every
    cycle starting at or before the largest int64 step, ``peak·peak_mul**i``, and the factor
    ``peak_mul**i`` itself are finite in float32 (and the values between it and ``end_value``)."""
    last_cycle = _last_cycle(first_period, period_mul)
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
