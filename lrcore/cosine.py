"""Cosine decay, warmup + cosine decay, and cosine annealing with warm restarts (SGDR)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from . import _array
from . import validate as check
from .decay import _growth, _tanh_side
from .schedule import MAX_LANDMARKS, Params, parameter_landmarks, register


def _k_powers(x, x1, k_decay: float, ops, log: bool = False):
    """``(x**k, 1 - x**k)`` for ``x`` in [0, 1] given with its exact complement ``x1``: timm's
    k-decay of the cosine position (https://arxiv.org/abs/2004.05909).

    Below ``x = ½`` they are ``x**k`` (accurate relative to itself near 0) and ``1 - x**k``; from
    ``½`` on both come from the exact complement, ``exp(k·log1p(-x1))`` and ``-expm1(k·log1p(-x1))``:
    ``x`` itself, rounded once, would carry its rounding times ``k`` into ``x**k`` (57 units of
    float32 at ``k = 1000``). ``log1p`` sees at most ``½``, so every branch is finite.

    Below ``½`` with a small ``k`` (``x**k > ½``, only where ``k < 1``), ``1 - x**k`` would cancel:
    at ``k = 10⁻⁶`` it keeps a few digits, which an exponent or power below 1 then magnifies
    (``(1 - x**k)**0.05``: 20 000 units of the promise). There the complement is
    ``-expm1(k·log x)``, accurate relative to itself.

    ``log=True`` (only for ``k < 1``) adds ``log(1 - x**k)``, accurate where ``1 - x**k`` itself
    falls below the smallest normal float (``k·|log x|`` tiny: ``k_decay=1e-17`` over 1000 steps
    in float32). There ``1 - x**k = -expm1(k·log x)`` is ``k·|log x|`` to within ``u``, and its
    log ``log k + log|log x|``, with ``log k`` from the host: a caller that raises it to a power
    below 1 (:meth:`lrcore._array.Ops.pow_unit`'s ``log_x``) keeps the promise.
    """
    xp = ops.xp
    xk = ops.pow_unit(x, k_decay)
    if k_decay < 1.0:
        # x**k > ½ below x = ½ happens only for k < 1; there ``log x`` is at most |log tiny|, and the
        # product with k < 1 is finite.
        tiny = ops.f(float(xp.finfo(ops.float).smallest_normal))
        low1 = xp.where(xk > 0.5, -xp.expm1(ops.f(k_decay) * xp.log(xp.maximum(x, tiny))), 1.0 - xk)
    else:
        low1 = 1.0 - xk
    # Past fmax / 2 the product with log1p (at most ln 2 in magnitude) could overflow; such an
    # exponent gives the same values (x**k is 0 below x = 1), so it is capped there.
    k_decay = min(k_decay, float(xp.finfo(ops.float).max) / 2.0)
    near_one = x1 < 0.5
    log_near = ops.log1p(-xp.minimum(x1, ops.f(0.5)))
    exponent = ops.f(k_decay) * log_near
    complement = xp.where(near_one, -xp.expm1(exponent), low1)
    powers = xp.where(near_one, xp.exp(exponent), xk)
    if not log:
        return powers, complement
    info = xp.finfo(ops.float)
    tiny = ops.f(float(info.smallest_normal))
    # log|log x| (log x from the exact complement near 1, as above); log x = 0 only at x = 1.
    ell = xp.where(near_one, log_near, xp.log(xp.maximum(x, tiny)))
    small = ops.f(math.log(k_decay)) + xp.log(xp.maximum(-ell, tiny))
    # k·|log x| below 2u: -expm1 is k·|log x| to within u.
    log_complement = xp.where(small < math.log(2.0 * float(info.eps)), small, xp.log(xp.maximum(complement, tiny)))
    return powers, complement, xp.where(ell < 0.0, log_complement, ops.f(-math.inf))


def _cosine_weights(j, d: int, exponent, ops, k_decay: float = 1.0):
    """``(w, 1-w)`` with ``w = (½(1+cos πx^k))^exponent`` at ``x = j/d`` (``0 <= j <= d``).

    ``x`` and ``1 - x`` both come from integers, so ``w`` is accurate relative to itself on the
    last steps too, where it is tiny and an exponent below 1 magnifies it (``w**0.05`` of a weight
    1e-19 is 0.12 of the range).
    """
    log_c = None
    if k_decay == 1.0:
        c, c1 = ops.cos_fraction(j, d)
    elif k_decay < 1.0 and exponent != 1.0:
        y, y1, log_y1 = _k_powers(*ops.fraction(j, d), k_decay, ops, log=True)
        c, c1 = ops.cos_half(y, y1)
        log_c = _log_small_half(c, y1, log_y1, ops)
    else:
        c, c1 = ops.cos_half(*_k_powers(*ops.fraction(j, d), k_decay, ops))
    if exponent != 1.0:
        # Through c1 where c is near 1 (no rounding times the exponent), through log_c where c is tiny.
        c, c1 = ops.pow_unit_pair(c, exponent, c1, log_c)
    return c, c1


def _log_small_half(c, y1, log_y1, ops):
    """``log c`` for ``c = ½(1 + cos πy) = sin²(π·y1/2)``, given ``y1 = 1 - y`` and its log: where
    ``π·y1/2`` is below ``√u`` (``sin z = z`` to within ``u``), ``2·(log(π/2) + log y1)``, accurate
    where ``c`` falls below the smallest normal float (``y1`` about 1e-20 in float32); elsewhere
    ``log c`` itself."""
    xp = ops.xp
    info = xp.finfo(ops.float)
    tiny = ops.f(float(info.smallest_normal))
    near = log_y1 < math.log(math.sqrt(float(info.eps)) / math.pi)
    return xp.where(near, 2.0 * (ops.f(math.log(math.pi / 2)) + log_y1), xp.log(xp.maximum(c, tiny)))


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
    plain = p["exponent"] == 1.0 and p["k_decay"] == 1.0 and not p["periodic"] and p["speed"] == 1
    cheap = ops.cheap_cos_levels(p["init_value"], p["end_value"]) if plain else None
    if cheap is not None:
        return ops.cos_ramp(k, d, *cheap)  # steps past d hold end_value: no clamp needed
    if p["speed"] != 1:
        j = _sped(k, d, p["speed"], p["periodic"], ops)
    else:
        j = _folded(k, d, ops) if p["periodic"] else ops.minimum(k, d)
    c, c1 = _cosine_weights(j, d, p["exponent"], ops, p["k_decay"])
    return ops.lerp(p["end_value"], p["init_value"], c, c1)


def _cosine_decay_landmarks(p, end, landmarks_of):
    """Its parameters' landmarks; periodic, every multiple of ``decay_steps`` below ``end`` (at
    most ``MAX_LANDMARKS``). With a ``speed``, the first whole steps at or past the real ends of
    its falls, ``ceil(i·decay_steps/speed)``."""
    d, speed = p["decay_steps"], p["speed"]
    if not p["periodic"]:
        own = parameter_landmarks({key: v for key, v in p.items() if key != "speed"})  # speed is no step count
        return own + ([-(-d // speed)] if speed != 1 else [])
    if speed != 1:
        points = (-(-i * d // speed) for i in range(MAX_LANDMARKS))
        return [j for j in points if j < end]
    return list(range(0, min(end, d * MAX_LANDMARKS), d))


# -- a curve that advances `speed` units of decay_steps per step (a fall of decay_steps/speed steps) --
#: The largest decay_steps with a speed: 2·decay_steps and every position fit a 32-bit step.
_MAX_SPED_STEPS = 2**30 - 1


def _add_mod(a, b, m: int, ops):
    """``(a + b) mod m`` for integer arrays ``0 <= a, b < m``, without forming ``a + b`` (which may
    pass the integer range)."""
    y = a - (ops.i(m) - b)
    return y + ops.xp.where(y < 0, ops.i(m), ops.i(0))


def _mul_mod(r, s: int, m: int, ops):
    """``(r·s) mod m`` for an integer array ``0 <= r < m`` and Python ints ``0 <= s < m``: one
    product where ``(m - 1)·s`` fits the integer range, else binary long multiplication."""
    if (m - 1) * s <= ops.max_step:
        return ops.mod(r * ops.i(s), m)
    acc = ops.xp.zeros_like(r)
    for bit in bin(s)[2:]:
        acc = _add_mod(acc, acc, m, ops)
        if bit == "1":
            acc = _add_mod(acc, r, m, ops)
    return acc


def _sped(k, d: int, speed: int, periodic: bool, ops):
    """The position ``0 <= j <= d`` of step ``k`` on the curve at ``k·speed`` units: folded
    (``d - |d - (k·speed mod 2d)|``) when periodic, else ``min(k·speed, d)``; exact integers for
    every step (``d <= 2**30 - 1``)."""
    if periodic:
        m = 2 * d
        x = _mul_mod(ops.mod(k, m), speed % m, m, ops)
        return ops.i(d) - ops.xp.abs(ops.i(d) - x)
    s = min(speed, d)
    return ops.xp.minimum(ops.minimum(k, -(-d // s)) * ops.i(s), ops.i(d))


@register(_cosine_decay, landmarks=_cosine_decay_landmarks, bound=lambda p, reach: reach.lerp(p, "init_value", "end_value"))
def cosine_decay(init_value, decay_steps, end_value=0.0, exponent=1.0, k_decay=1.0, periodic=False, speed=1) -> Params:
    r"""Cosine decay from ``init_value`` to ``end_value``, then held (or, ``periodic``, rising again).

    .. math::
        \eta(k) = v_1 + (v_0 - v_1)\left(\tfrac12\left(1 + \cos\frac{\pi\, j^{\kappa}}{T^{\kappa}}\right)\right)^{e},
        \qquad j = \begin{cases} \min(\sigma k, T) & \text{not periodic} \\
                                 T - |T - (\sigma k \bmod 2T)| & \text{periodic} \end{cases}

    ``periodic=True`` continues the curve past :math:`T` as torch's ``CosineAnnealingLR`` does:
    back up to ``init_value`` at :math:`2T`, a period of :math:`2T` steps, for every step
    (:math:`\tfrac12(1 + \cos(\pi k / T))` for :math:`\kappa = 1`). The position :math:`j` is an
    exact integer at any step.

    ``speed`` (:math:`\sigma`, 1 by default) advances the curve :math:`\sigma` units of
    ``decay_steps`` per step: a fall lasts :math:`T/\sigma` steps, a rational number (transformers'
    ``num_cycles`` cosines: ``periodic=True, decay_steps=a, speed=b`` falls over :math:`a/b` steps).

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
        speed: :math:`\sigma \ge 1`, a whole number of units per step; with :math:`\sigma > 1`,
            ``decay_steps`` is at most :math:`2^{30} - 1` (every position is formed exactly in
            32-bit integers).

    Example:
        >>> import lrcore
        >>> print(round(float(lrcore.cosine_decay(1.0, decay_steps=100)(50)), 12))
        0.5
        >>> s = lrcore.cosine_decay(1.0, decay_steps=5, periodic=True, speed=2)  # falls over 2.5 steps
        >>> print([round(float(s(k)), 12) for k in (0, 1, 2, 3, 5)])
        [1.0, 0.654508497187, 0.095491502813, 0.095491502813, 1.0]

    Peers: optax ``cosine_decay_schedule`` (``alpha = end_value / init_value``), Keras
    ``CosineDecay``, torch ``CosineAnnealingLR`` (``periodic=True``; with ``False`` the same for
    :math:`k \le T_{max}`), timm ``CosineLRScheduler`` (``k_decay``, one cycle).

    Reference: Loshchilov & Hutter, SGDR, https://arxiv.org/abs/1608.03983; k-decay:
    Zhang & Li, https://arxiv.org/abs/2004.05909
    """
    speed = check.length("speed", speed)
    if speed != 1:
        check.derived_at_most("decay_steps", decay_steps, check.length("decay_steps", decay_steps), _MAX_SPED_STEPS,
                              f"must be <= 2**30 - 1 with a `speed` (here {speed}: its positions are formed exactly "
                              "in 32-bit integers)")
    return {
        "init_value": check.level("init_value", init_value),
        "decay_steps": check.length("decay_steps", decay_steps),
        "end_value": check.level("end_value", end_value),
        "exponent": check.positive("exponent", exponent),
        "k_decay": check.positive("k_decay", k_decay),
        "periodic": check.boolean("periodic", periodic),
        "speed": speed,
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
                   whole: bool = True, cycle_limit: int | None = None, crossing: tuple[int, int] | None = None):
    """Per-cycle constants for every cycle starting at or before ``max_step``.

    With a ``cycle_limit`` the table ends at cycle ``cycle_limit``, where the value holds.

    Cycle ``i`` begins at the real step ``S_i`` (the sum of the whole lengths ``ceil(T_j)``
    before it when ``whole``, else ``T_0 (m**i - 1)/(m - 1)``) and restarts at the whole step
    ``R_i = ceil(S_i)``; its warmup ends at ``E_i = ceil(S_i + W_i)``.

    Returns ``(starts, warm_ceil, warm_len, warm_offset, cos_len, rest, rest_offset,
    start_offset)``: ``R_i`` and ``E_i - R_i`` as exact ints; ``W_i``, ``E_i - S_i - W_i`` and
    ``T_i - W_i`` as float64 (``peak_mul`` only keys the cache: the peaks are
    :func:`_table_peaks`); ``S_i + T_i - E_i`` split into an int (at most ``max_step``) and a
    float64 remainder, so that ``1 - x`` of the cosine position is formed
    without cancellation at the end of a cycle; and ``R_i - S_i`` in float64 (0 when ``whole``).

    Given a ``crossing`` ``f`` in [0, 1] (a numerator and a denominator: a position of the decay part where a shape needs ``x - f``
    without cancellation), two more: the whole number ``A_i`` of steps after ``E_i`` nearest to the
    real step ``X_i = S_i + W_i + f (T_i - W_i)`` (in ``[0, max_step]``), and ``E_i + A_i - X_i`` in
    float64, rounded once from the scaled integers.
    """
    starts, warm_ceil, warm_len, warm_offset, cos_len = [], [], [], [], []
    rest, rest_offset, start_offset = [], [], []
    anchor, anchor_offset = [], []
    crossing = None if crossing is None else Fraction(*crossing)
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
        rest.append(rest_int)
        rest_offset.append((scaled_rest - (rest_int << _SCALE_BITS)) / one)
        start_offset.append(((start << _SCALE_BITS) - s_scaled) / one)
        if crossing is not None:
            x_scaled = s_scaled + warmup_steps * power + crossing * ((first_period - warmup_steps) * power)
            a = min(max(round((x_scaled - end_scaled) / one), 0), max_step)
            anchor.append(a)
            anchor_offset.append(float((end_scaled + (a << _SCALE_BITS) - x_scaled) / one))
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
        ints(rest), floats(rest_offset), floats(start_offset), ints(anchor), floats(anchor_offset),
    )


#: Cycles whose peaks ``P·peak_mul**i`` a period_mul = 1 schedule tabulates (past them, and past
#: the cycle where the peak rounds to 0, ``P·exp(i·ln(peak_mul))``).
_PEAK_CYCLES = 2**14
#: Bits kept of ``P·peak_mul**i`` while it is formed (the rest truncated, with a bound on the error).
_PEAK_BITS = 192


def _dyadic(x: float) -> tuple[int, int]:
    """``x > 0`` as ``(n, e)``, ``x = n · 2**e`` with ``n`` odd."""
    n, d = x.as_integer_ratio()
    e = 1 - d.bit_length()
    while n % 2 == 0:
        n, e = n // 2, e + 1
    return n, e


@_array.host_constant
def _rounded_peaks(peak: float, peak_mul: float, count: int, bits: int, stop: int, limit: int | None = None):
    """``peak · peak_mul**i`` rounded once (to nearest) to the float format of ``bits`` (32 or 64),
    for each cycle ``i`` of ``range(count)`` (``min(i, limit - 1)`` with a ``limit``), ending after
    at most ``stop`` entries or at the first that rounds to 0 (all later ones do too).

    ``|peak|·peak_mul**i`` is carried as ``M·2**E`` with ``M`` cut to :data:`_PEAK_BITS` bits and its
    truncation bounded (the exact value lies in ``[M, M + err]·2**E``); where the two ends of that
    bracket round alike, that is the correctly rounded value, otherwise exact fractions decide.
    """
    significand, tiny = _array.FORMATS.get(bits, _array.FORMATS[64])
    peak = float(peak)
    sign = -1.0 if peak < 0 else 1.0
    if peak == 0.0:
        return (0.0,)
    mul_n, mul_e = _dyadic(peak_mul)
    m, e = _dyadic(abs(peak))
    err, at, out = 0, 0, []
    for j in range(count):
        i = j if limit is None else min(j, limit - 1)
        while at < i:
            m, err, e, at = m * mul_n, err * mul_n, e + mul_e, at + 1
            excess = m.bit_length() - _PEAK_BITS
            if excess > 0:
                m, err, e = m >> excess, (err >> excess) + 2, e + excess
        lo, hi = _array.round_to_format(m, e, significand, tiny), _array.round_to_format(m + err, e, significand, tiny)
        if lo != hi:
            exact = Fraction(abs(peak)) * Fraction(peak_mul) ** i
            lo = _array.round_to_format(exact.numerator, 1 - exact.denominator.bit_length(), significand, tiny)
        out.append(sign * lo)
        if lo == 0.0 or len(out) >= stop:
            break
    return tuple(out)


@_array.host_constant
def _hold_step(first_period: int, period_mul: float, warmup_steps: int, peak_mul: float, max_step: int, whole: bool,
               cycle_limit: int | None) -> int | None:
    """The restart step of cycle ``cycle_limit``, from which the value holds, as a Python int (a
    traced evaluation never indexes the table itself); ``None`` when it starts past ``max_step``."""
    starts = _restart_table(first_period, period_mul, warmup_steps, peak_mul, max_step, whole, cycle_limit)[0]
    return int(starts[cycle_limit]) if cycle_limit is not None and cycle_limit < len(starts) else None


def _held(value, k, hold_from: int | None, end, ops):
    """``value`` before step ``hold_from``, ``end`` from it on (``None``: never)."""
    if hold_from is None:
        return value
    return ops.xp.where(ops.lt(k, hold_from), value, ops.full(k, end))


@_array.host_constant
def _whole_anchor(crossing: tuple[int, int], d: int) -> tuple[int, float]:
    """The whole step ``a`` in ``[0, d]`` nearest to ``f d`` (``f`` = ``crossing``, a numerator and
    a denominator), and ``a - f d`` rounded once."""
    f = Fraction(*crossing)
    a = min(max(round(f * d), 0), d)
    return a, float(a - f * d)


class _WholePosition:
    """The position ``x = j/d`` in a decay part of whole length ``d`` (``0 <= j <= d``, integers)."""

    def __init__(self, j, d: int, ops):
        self.j, self.d, self.ops = j, d, ops

    def fraction(self):
        """``(x, 1 - x)``, each accurate relative to itself (``ops.fraction``)."""
        return self.ops.fraction(self.j, self.d)

    def minus(self, f: tuple[int, int]):
        """``x - f`` for an ``f`` in [0, 1] (a numerator and a denominator), without cancellation:
        ``(j - a + (a - f d)) / d`` with the whole step ``a`` nearest to ``f d``."""
        a, remainder = _whole_anchor(f, self.d)
        return self.ops.ratio(self.j - self.ops.i(a), self.d, remainder)


class _TablePosition:
    """The position ``x = (n + o_i) / (T_i - W_i)`` in the decay part of cycle ``i`` of
    :func:`_restart_table` (``n``: whole steps since the warmup's end ``E_i``)."""

    def __init__(self, i, n, table_args: tuple, table, ops):
        self.i, self.n, self.args, self.table, self.ops = i, n, table_args, table, ops
        self.length = ops.take(ops.floats(table[4]), i)

    def fraction(self):
        """``(x, 1 - x)``, the complement from the whole steps left in the cycle (no cancellation)."""
        ops, table = self.ops, self.table
        x = ops.ratio(self.n, self.length, ops.take(ops.floats(table[3]), self.i))
        x1 = ops.ratio(ops.take(ops.ints(table[5]), self.i) - self.n, self.length, ops.take(ops.floats(table[6]), self.i))
        return x, x1

    def minus(self, f: tuple[int, int]):
        """``x - f`` for an ``f`` in [0, 1] (a numerator and a denominator), without cancellation: ``(n - A_i + (E_i + A_i - X_i)) /
        (T_i - W_i)`` with the whole step ``A_i`` nearest to the real step ``X_i`` where ``x = f``."""
        ops = self.ops
        anchors, offsets = _restart_table(*self.args, f)[8:]
        return ops.ratio(self.n - ops.take(ops.ints(anchors), self.i), self.length, ops.take(ops.floats(offsets), self.i))


@_array.host_constant
def _table_peaks(table_args: tuple, peak: float, bits: int) -> tuple[float, ...]:
    """:func:`_rounded_peaks` for each cycle of :func:`_restart_table` (``table_args``), 0 after the
    first peak that rounds to 0."""
    count, peak_mul, limit = len(_restart_table(*table_args)[0]), table_args[3], table_args[6]
    peaks = _rounded_peaks(peak, peak_mul, count, bits, count, limit)
    return peaks + (0.0,) * (count - len(peaks))


def _cycle_peaks(cycle, last: int, peak_value, peak_mul: float, ops):
    """``weight -> P_i·weight`` for the cycle numbers ``cycle`` (an integer array, at most ``last``),
    with the peak ``P_i = P·peak_mul**i`` rounded once from a host table (a level array times
    ``peak_mul**i`` rounded once). Past the table (more than :data:`_PEAK_CYCLES` cycles before the
    peak rounds to 0) ``P·(peak_mul**i·weight)``, the power by ``exp`` (``peak_mul < 1``) or by
    exponential_decay's integer growth (``peak_mul > 1``), within the precision promise."""
    xp, bits = ops.xp, int(ops.xp.finfo(ops.float).bits)
    level = _array.is_array(peak_value)
    peaks = _rounded_peaks(1.0 if level else peak_value, peak_mul, last + 1, bits, _PEAK_CYCLES)
    covered = len(peaks) == last + 1 or peaks[-1] == 0.0
    top = ops.take(ops.floats(peaks), ops.minimum(cycle, len(peaks) - 1))
    peak = ops.f(peak_value)
    tabulated = (lambda weight: peak * (top * weight)) if level else (lambda weight: top * weight)
    if covered:
        return tabulated
    # The peak enters as P·(peak_mul**i·weight): under jit, XLA regroups the product of two
    # constant-scaled terms, (P·peak_mul**i)·(t·(1/W)), for a 0-d step but not for an array, which
    # made an array of steps differ from the steps alone by an ulp.
    inside = cycle < ops.i(len(peaks))
    # A growing peak by the exact integer exponent of exponential_decay's growth: exp(i·ln(peak_mul))
    # carries the rounding of its argument (up to about 88 in float32) into the largest values.
    factor = _growth(ops, 1.0, peak_mul, 1, cycle) if peak_mul > 1.0 else ops.power(peak_mul, ops.tofloat(cycle))
    return lambda weight: xp.where(inside, tabulated(weight), peak * (factor * weight))


def _restart(k, p, ops, weights):
    """The restart cycles shared by :func:`cosine_restart`, :func:`tanh_restart` and
    :func:`polynomial_restart`: the cycle of step ``k``, its peak, its warmup and its held end, with
    the decay part's weights ``(c, 1 - c)`` (``end·(1 - c) + peak_i·c``) given by
    ``weights(position)`` from a :class:`_WholePosition` or :class:`_TablePosition`."""
    xp = ops.xp
    t0, m, w = p["first_period"], p["period_mul"], p["warmup_steps"]
    limit, whole = p["cycle_limit"], p["whole_periods"]
    end, peak, pm = ops.f(p["end_value"]), ops.f(p["peak_value"]), p["peak_mul"]
    if not ops.in_range(w):
        # The first warmup outlasts every representable step: the schedule is that warmup line.
        return ops.lerp(end, peak, ops.ratio(k, float(w)))
    if m == 1.0:
        # Closed form: cycle i = k // T, position t = k - i·T, all exact integers.
        hold_from = None if limit is None else t0 * limit
        t = ops.mod(k, t0)  # a first period past the range never ends: t = k
        c, c1 = weights(_WholePosition(ops.since(t, w), t0 - w, ops))
        if pm == 1.0:
            peaked = lambda weight: peak * weight
        else:
            cycle = ops.floordiv(k, t0)
            last = ops.max_step // t0  # the cycle of the largest step
            if limit is not None:  # held from cycle `limit` on: its growing peak is never formed
                cycle = ops.minimum(cycle, limit - 1)
                last = min(last, limit - 1)
            peaked = _cycle_peaks(cycle, last, p["peak_value"], pm, ops)
        value = end * c1 + peaked(c)
        if w == 0:
            return _held(value, k, hold_from, p["end_value"], ops)
        # t clamped to the warmup: past it (lanes that ``where`` discards) t/w would reach
        # first_period/w, and peak·t/w could overflow (docs/numerics.md, Purity).
        a, a1 = ops.fraction(ops.minimum(t, w), w)
        warm = end * a1 + peaked(a)
        return _held(xp.where(ops.lt(t, w), warm, value), k, hold_from, p["end_value"], ops)
    table_args = (t0, m, w, pm, ops.max_step, whole, limit)
    table = _restart_table(*table_args)
    starts, warm_ceil, warm_lens, start_offsets = table[0], table[1], table[2], table[7]
    hold_from = _hold_step(*table_args)
    i = ops.searchsorted(ops.ints(starts), k) - ops.i(1)
    t = k - ops.take(ops.ints(starts), i)
    # P·peak_mul**i tabulated, rounded once to the evaluation's float format (a level array times
    # peak_mul**i rounded once).
    bits = int(ops.xp.finfo(ops.float).bits)
    if _array.is_array(p["peak_value"]):
        top = peak * ops.take(ops.floats(_table_peaks(table_args, 1.0, bits)), i)
    else:
        top = ops.take(ops.floats(_table_peaks(table_args, p["peak_value"], bits)), i)
    wc = ops.take(ops.ints(warm_ceil), i)
    # The decay position (t - W_i) / (T_i - W_i), with t - W_i = (t - ceil(W_i)) + (ceil(W_i) - W_i),
    # and its complement (T_i - ceil(W_i) - (t - ceil(W_i))) / (T_i - W_i) (t counted from the real
    # start S_i: the offsets carry R_i - S_i).
    n = xp.maximum(t - wc, ops.i(0))
    c, c1 = weights(_TablePosition(i, n, table_args, table, ops))
    value = end * c1 + top * c
    if w == 0:
        return _held(value, k, hold_from, p["end_value"], ops)
    # t clamped to the warmup's last step ceil(W_i) - 1 (0 where the warmup has none): there
    # t + offset < W_i, so a < 1; past it t/W_i would grow with the cycle and top·a could overflow in
    # the lanes ``where`` discards (docs/numerics.md, Purity). Clamped as an integer, before the
    # division, so that XLA compiles the selected lanes' arithmetic as it did unclamped.
    tw = xp.minimum(t, xp.maximum(wc - ops.i(1), ops.i(0)))
    if whole:
        a = ops.ratio(tw, ops.take(ops.floats(warm_lens), i))
    else:
        a = ops.ratio(tw, ops.take(ops.floats(warm_lens), i), ops.take(ops.floats(start_offsets), i))
    warm = end * (1.0 - a) + top * a
    return _held(xp.where(t < wc, warm, value), k, hold_from, p["end_value"], ops)


def _cosine_restart(k, p, ops):
    t0, w, kd, pm, limit = p["first_period"], p["warmup_steps"], p["k_decay"], p["peak_mul"], p["cycle_limit"]
    if p["period_mul"] == 1.0 and w == 0 and pm == 1.0 and kd == 1.0:
        cheap = ops.cheap_cos_levels(p["peak_value"], p["end_value"])
        if cheap is not None:
            # A cycle never reaches t = first_period: it restarts there, exactly at its peak.
            hold_from = None if limit is None else t0 * limit
            return _held(ops.cos_ramp(ops.mod(k, t0), t0, *cheap, held=False), k, hold_from, p["end_value"], ops)

    def weights(position):
        if isinstance(position, _WholePosition):
            return _cosine_weights(position.j, position.d, 1.0, ops, kd)
        x, x1 = position.fraction()
        if kd != 1.0:
            x, x1 = _k_powers(x, x1, kd, ops)
        return ops.cos_half(x, x1)

    return _restart(k, p, ops, weights)


def _restart_landmarks(p, end, landmarks_of):
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


def _restart_bound(p, reach):
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


@register(_cosine_restart, landmarks=_restart_landmarks, bound=_restart_bound)
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
    params = _restart_params(peak_value, first_period, period_mul, peak_mul, end_value, warmup_steps, cycle_limit,
                             whole_periods)
    return _ordered({**params, "k_decay": check.positive("k_decay", k_decay)}, "warmup_steps")


def _ordered(params: Params, after: str) -> Params:
    """``params`` with the shape's own parameters (those :func:`_restart_params` does not give) right
    after ``after``, in the order of the factory's signature."""
    shared = ("peak_value", "first_period", "period_mul", "peak_mul", "end_value", "warmup_steps", "cycle_limit",
              "whole_periods")
    own = [key for key in params if key not in shared]
    at = shared.index(after) + 1
    return {key: params[key] for key in (*shared[:at], *own, *shared[at:])}


def _restart_params(peak_value, first_period, period_mul, peak_mul, end_value, warmup_steps, cycle_limit,
                    whole_periods) -> Params:
    """The checked cycle parameters every restart schedule shares (see :func:`cosine_restart`)."""
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
        "makes the cycle peaks overflow float32: in the last of the "
        f"{last_cycle + 1} cycles that start at or before step 2**63 - 1, the factor peak_mul**{last_cycle} "
        "(formed on its own, then times peak_value) or the peak would reach "
        f"max(1, |peak_value|, |end_value|)·peak_mul**{last_cycle} = e**{log_top:.4g} (float32 holds up to 3.4e38). "
        "Use peak_mul <= 1, or a larger first_period or period_mul (fewer cycles in the step range)",
    )


# -- tanh and polynomial decay with warm restarts ----------------------------------------------------
@_array.host_constant
def _tanh_crossing(lower: float, upper: float) -> tuple[tuple[int, int], float, float]:
    """``(f, z_f, U - L)``: the position ``f`` in [0, 1] nearest to where ``L + (U - L) x`` crosses
    0 (a numerator and a denominator: plain ints for a traced evaluation), the argument there (0
    when the crossing is inside the cycle) and the slope, exact then rounded once."""
    lo, hi = Fraction(lower), Fraction(upper)
    f = min(max(-lo / (hi - lo), Fraction(0)), Fraction(1))
    return (f.numerator, f.denominator), float(lo + (hi - lo) * f), float(hi - lo)


def _tanh_restart(k, p, ops):
    f, z_f, slope = _tanh_crossing(p["lower"], p["upper"])

    side = _tanh_side(p["lower"], p["upper"])

    def weights(position):
        # z = z_f + (U - L)·(x - f): x - f is formed without cancellation where the curve is steepest
        # (f = 0 and z_f = L where lower >= 0, f = 1 and z_f = U where upper <= 0: see Ops.tanh_halves).
        return ops.tanh_halves(z_f, ops.f(slope) * position.minus(f), side)

    return _restart(k, p, ops, weights)


def _tanh_restart_bound(p, reach):
    reach.constant("lower", p["lower"])
    reach.constant("upper", p["upper"])
    reach.derived("upper", p["upper"], p["upper"] - p["lower"], "upper - lower")
    return _restart_bound(p, reach)


@register(_tanh_restart, landmarks=_restart_landmarks, bound=_tanh_restart_bound)
def tanh_restart(
    peak_value, first_period, period_mul=1.0, peak_mul=1.0, end_value=0.0, warmup_steps=0, lower=-7.0, upper=3.0,
    cycle_limit=None, whole_periods=True,
) -> Params:
    r"""Hyperbolic-tangent decay with warm restarts: :func:`cosine_restart`'s cycles with
    :func:`tanh_decay`'s curve in each.

    The cycles, their peaks :math:`P_i = P\,\mu^i`, warmups :math:`W_i` and ``cycle_limit`` are
    exactly :func:`cosine_restart`'s (the same code decides them); with :math:`t = k - S_i`:

    .. math::
        \eta(k) = \begin{cases}
          v_1 + (P_i - v_1)\,t / W_i & t < W_i \\
          v_1 + (P_i - v_1)\,\tfrac12\left(1 - \tanh\left(L + (U - L)\,x\right)\right),
            \quad x = \frac{t - W_i}{T_i - W_i} & \text{otherwise}
        \end{cases}

    Args:
        peak_value: peak of the first cycle, :math:`P`.
        first_period: :math:`T_0 \ge 1` steps.
        period_mul: :math:`1 \le m \le 2^{63}`, as in :func:`cosine_restart`.
        peak_mul: :math:`\mu > 0`, as in :func:`cosine_restart`.
        end_value: the level each cycle falls towards, :math:`v_1`.
        warmup_steps: :math:`0 \le W < T_0`, linear warmup from ``end_value`` at each restart.
        lower: :math:`L`, the tanh argument at each cycle's start (timm's ``lb``), finite.
        upper: :math:`U > L`, the tanh argument at each cycle's end (timm's ``ub``), finite.
        cycle_limit: ``None`` or an integer :math:`n \ge 1`: ``end_value`` from the start of cycle
            :math:`n` on.
        whole_periods: ``True`` for cycles of whole steps, ``False`` for real lengths (timm).

    Example:
        >>> import lrcore
        >>> s = lrcore.tanh_restart(1.0, first_period=100, period_mul=2.0, lower=-1.0, upper=1.0)
        >>> print(float(s(50)), float(s(200)))
        0.5 0.5

    Peers: timm ``TanhLRScheduler`` (``t_initial``, ``lb``, ``ub``, ``lr_min``, ``cycle_mul``,
    ``cycle_decay``, ``cycle_limit``; ``whole_periods=False``).

    Reference: Hsueh et al., stochastic gradient descent with hyperbolic-tangent decay,
    https://arxiv.org/abs/1806.01593
    """
    params = _restart_params(peak_value, first_period, period_mul, peak_mul, end_value, warmup_steps, cycle_limit,
                             whole_periods)
    lower = check.real("lower", lower)
    upper = check.real("upper", upper)
    check.less("lower", lower, "upper", upper)
    return _ordered({**params, "lower": lower, "upper": upper}, "warmup_steps")


def _polynomial_restart(k, p, ops):
    power, kd = p["power"], p["k_decay"]

    def weights(position):
        x, x1 = position.fraction()
        log_x1 = None
        if kd < 1.0 and power != 1.0:
            # (x**k, 1 - x**k, log(1 - x**k)): the power of a complement below the smallest normal
            x, x1, log_x1 = _k_powers(x, x1, kd, ops, log=True)
        elif kd != 1.0:
            x, x1 = _k_powers(x, x1, kd, ops)  # (x**k, 1 - x**k)
        if power == 1.0:
            return x1, x
        return ops.pow_unit_pair(x1, power, x, log_x1)

    return _restart(k, p, ops, weights)


@register(_polynomial_restart, landmarks=_restart_landmarks, bound=_restart_bound)
def polynomial_restart(
    peak_value, first_period, period_mul=1.0, peak_mul=1.0, end_value=0.0, warmup_steps=0, power=1.0, k_decay=1.0,
    cycle_limit=None, whole_periods=True,
) -> Params:
    r"""Polynomial decay with warm restarts: :func:`cosine_restart`'s cycles with a polynomial
    curve (and timm's k-decay) in each.

    The cycles, their peaks :math:`P_i = P\,\mu^i`, warmups :math:`W_i` and ``cycle_limit`` are
    exactly :func:`cosine_restart`'s (the same code decides them); with :math:`t = k - S_i`:

    .. math::
        \eta(k) = \begin{cases}
          v_1 + (P_i - v_1)\,t / W_i & t < W_i \\
          v_1 + (P_i - v_1)\left(1 - x^{\kappa}\right)^{p},
            \quad x = \frac{t - W_i}{T_i - W_i} & \text{otherwise}
        \end{cases}

    Args:
        peak_value: peak of the first cycle, :math:`P`.
        first_period: :math:`T_0 \ge 1` steps.
        period_mul: :math:`1 \le m \le 2^{63}`, as in :func:`cosine_restart`.
        peak_mul: :math:`\mu > 0`, as in :func:`cosine_restart`.
        end_value: the level each cycle decays to, :math:`v_1`.
        warmup_steps: :math:`0 \le W < T_0`, linear warmup from ``end_value`` at each restart.
        power: :math:`p \ge 0` (1 is linear).
        k_decay: :math:`\kappa > 0`, timm's ``k_decay`` (:math:`t^\kappa / T^\kappa`).
        cycle_limit: ``None`` or an integer :math:`n \ge 1`: ``end_value`` from the start of cycle
            :math:`n` on.
        whole_periods: ``True`` for cycles of whole steps, ``False`` for real lengths (timm).

    Example:
        >>> import lrcore
        >>> s = lrcore.polynomial_restart(1.0, first_period=10, period_mul=2.0, power=2.0)
        >>> print(float(s(5)), float(s(20)))
        0.25 0.25

    Peers: timm ``PolyLRScheduler`` (``t_initial``, ``power``, ``lr_min``, ``cycle_mul``,
    ``cycle_decay``, ``cycle_limit``, ``k_decay``; ``whole_periods=False``).

    Reference: k-decay: Zhang & Li, https://arxiv.org/abs/2004.05909
    """
    params = _restart_params(peak_value, first_period, period_mul, peak_mul, end_value, warmup_steps, cycle_limit,
                             whole_periods)
    power = check.at_least("power", power, 0.0)
    k_decay = check.positive("k_decay", k_decay)
    return _ordered({**params, "power": power, "k_decay": k_decay}, "warmup_steps")
