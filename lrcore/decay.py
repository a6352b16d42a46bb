"""Constant, linear, exponential, inverse-time, polynomial, tanh and EMA-decay schedules."""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

from . import _array
from . import validate as check
from .schedule import Params, register


# -- constant ------------------------------------------------------------------------------------
def _constant(k, p, ops):
    return ops.full(k, p["value"])


@register(_constant, bound=lambda p, reach: reach.level("value", p["value"]))
def constant(value) -> Params:
    r"""A constant learning rate.

    .. math:: \eta(k) = v

    Args:
        value: the learning rate, a finite real number.

    Example:
        >>> import lrcore
        >>> print(float(lrcore.constant(0.1)(1000)))
        0.1
    """
    return {"value": check.level("value", value)}


# -- linear --------------------------------------------------------------------------------------
def _linear(k, p, ops):
    d = p["transition_steps"]
    j = ops.since(k, p["transition_begin"])
    cheap = ops.cheap_levels(p["init_value"], p["end_value"], cost=_array.RAMP_COST)
    if cheap is not None and _array.ramp_fits(*cheap, d, ops.xp.finfo(ops.float)):
        return ops.ramp(j, d, *cheap)  # steps past d hold end_value: no clamp needed
    w, w1 = ops.fraction(ops.minimum(j, d), d)
    return ops.lerp(p["init_value"], p["end_value"], w, w1)


@register(_linear, bound=lambda p, reach: reach.lerp(p, "init_value", "end_value"))
def linear(init_value, end_value, transition_steps, transition_begin=0) -> Params:
    r"""Linear interpolation from ``init_value`` to ``end_value``, then held.

    .. math::
        \eta(k) = v_0 + (v_1 - v_0)\,\mathrm{clip}\!\left(\frac{k - b}{T}, 0, 1\right)

    with :math:`v_0` = ``init_value``, :math:`v_1` = ``end_value``, :math:`T` =
    ``transition_steps`` and :math:`b` = ``transition_begin``.

    Args:
        init_value: value up to and at step ``transition_begin``.
        end_value: value from step ``transition_begin + transition_steps`` on.
        transition_steps: length of the ramp, an integer >= 1.
        transition_begin: steps to hold ``init_value`` first, an integer >= 0.

    Example:
        >>> import lrcore
        >>> print(float(lrcore.linear(0.0, 1.0, transition_steps=10)(5)))
        0.5

    Peers: optax ``linear_schedule``; torch ``LinearLR`` (factors times the base lr).
    """
    return {
        "init_value": check.level("init_value", init_value),
        "end_value": check.level("end_value", end_value),
        "transition_steps": check.length("transition_steps", transition_steps),
        "transition_begin": check.phase("transition_begin", transition_begin),
    }


# -- exponential decay -------------------------------------------------------------------------------
def _exponential_decay(k, p, ops):
    d, rate = p["decay_steps"], p["decay_rate"]
    j = ops.since(k, p["transition_begin"])
    end = p["end_value"]
    if rate > 1.0:
        # Growth: rate**(j/d) in integer arithmetic (see _growth), held at the float dtype's largest
        # value where it leaves the range, and at the end_value ceiling.
        if p["staircase"]:
            value = _growth(ops, p["init_value"], rate, 1, _stair(ops, j, d))
        else:
            value = _growth(ops, p["init_value"], rate, d, j)
        return value if end is None else ops.xp.minimum(value, ops.f(end))
    exponent = ops.tofloat(_stair(ops, j, d)) if p["staircase"] else ops.ratio(j, d)
    value = ops.f(p["init_value"]) * ops.power(rate, exponent)
    if end is None or rate == 1.0:
        return value
    return ops.xp.maximum(value, ops.f(end))


# -- stairs of a fractional period: floor(j / d), exact for a float d -------------------------------
# d = P/Q exactly (the float's binary value, Q a power of 2, P < 2**53). floor(j/d) = floor(j·Q/P)
# would overflow the integer dtype, so it is floor(j·N / 2**F) with N = ceil(2**F·Q/P): N passes
# Q/P by less than 2**-F, so j·N/2**F passes j/d by less than j·2**-F <= 2**-bits(P) < 1/P, while
# the fractional part of j/d is a multiple of 1/P below 1: the floor is the same. The product j·N
# is formed exactly in limbs (_schoolbook), as _growth forms its exponent.
def _stair(ops, j, d):
    """``floor(j / d)`` for an integer array ``j >= 0`` and a period ``d >= 1`` (an int or a float)."""
    if isinstance(d, int):
        return ops.floordiv(j, d)
    int_bits = int(ops.xp.iinfo(ops.int).bits)
    w, g, n_limbs = _stair_constants(d, int_bits, ops.max_step)
    j_limbs = _limbs(ops, j, ops.max_step, w)
    digits, carry = _schoolbook(ops, j_limbs, n_limbs, w, len(j_limbs) + len(n_limbs) - 1)
    total = carry  # the digits from the binary point up, most significant first: at most j, no overflow
    for digit in reversed(digits[g:]):
        total = total * ops.i(1 << w) + digit
    return total


@_array.host_constant
def _stair_constants(d: float, int_bits: int, max_step: int):
    """``(w, g, N's limbs)`` of :func:`_stair`: the binary point sits after ``g`` limbs of ``w`` bits."""
    num, den = float(d).as_integer_ratio()
    w = _LIMB[int_bits]
    g = -(-(max_step.bit_length() + num.bit_length()) // w)
    n = -((-(den << (g * w))) // num)  # ceil(2**(g·w) / d)
    return w, g, tuple((n >> (b * w)) & ((1 << w) - 1) for b in range(-(-n.bit_length() // w)))


def _limbs(ops, x, limit: int, w: int) -> list:
    """The base-``2**w`` digits of an integer array ``0 <= x <= limit``, least significant first."""
    base = 1 << w
    limbs, rest = [], x
    for _ in range(max(-(-limit.bit_length() // w), 1)):
        high = ops.floordiv(rest, base)
        limbs.append(rest - high * ops.i(base))
        rest = high
    return limbs


def _schoolbook(ops, limbs: list, c_limbs: tuple, w: int, columns: int):
    """The first ``columns`` base-``2**w`` digits of ``x · C`` (``x`` in ``limbs``, the Python int ``C``
    in ``c_limbs``), least significant first, and the carry out of the last column: column by
    column, each a sum of at most three limb products and the carry (within the integer dtype)."""
    base = 1 << w
    digits, carry = [], None
    for col in range(columns):
        total = carry
        for a, limb in enumerate(limbs):
            b = col - a
            if 0 <= b < len(c_limbs) and c_limbs[b]:
                term = limb * ops.i(c_limbs[b])
                total = term if total is None else total + term
        if total is None:
            total = ops.xp.zeros_like(limbs[0])
        carry = ops.floordiv(total, base)
        digits.append(total - carry * ops.i(base))
    return digits, carry


# -- growth: v0 · rate**(x/den), exact to the float dtype at every step -------------------------------
# rate**(x/den) = 2**y with y = x·log2(rate)/den. For a decay (rate < 1) exp(x·ln(rate)/den) is
# accurate enough: its error is relative to the argument, and the value shrinks as the argument
# grows. A growth's value is measured against itself, and exp amplifies the rounding of a float
# argument near 88 (float32) or 709 (float64) into 16 or 14 ulp. So y is formed exactly: the
# integer x (in limbs of _LIMB bits) times log2(rate)/den (a fixed-point constant to ~m + 6 + 63
# bits, computed on the host) in schoolbook integer arithmetic, whose integer part N is an exact
# exponent and whose fraction f in [0, 1) is accurate to 2**-(m + 5). The value is then
# m0·2**f·2**(N + e0) (v0 = ±m0·2**e0): one exp of an argument below ln 2, one rounding for the
# product, and an exact power of two from a table. Where N + e0 passes the largest exponent, the
# value is held at the dtype's largest finite value (an integer decision: never inf, never NaN).
_LIMB = {32: 14, 64: 30}  # products of two limbs, summed three at a time, stay below 2**31 / 2**63


def _float_format(ops):
    """``(mantissa bits, largest exponent, smallest normal exponent, largest value)`` of the float dtype."""
    fi = ops.xp.finfo(ops.float)
    exponent = lambda v: math.frexp(float(v))[1] - 1  # noqa: E731  (v = m·2**exponent, m in [1, 2))
    return 1 - exponent(fi.eps), exponent(fi.max), exponent(fi.smallest_normal), float(fi.max)


@_array.host_constant
def _growth_constants(rate: float, den, v0, int_bits: int, mantissa: int, emax: int, emin: int):
    """Host constants of _growth: ``(w, x_cap, c_limbs, g, frac_digits, e0, m0, table_lo)``."""
    with decimal.localcontext() as ctx:
        ctx.prec = 80
        c = decimal.Decimal(rate).ln() / decimal.Decimal(2).ln() / decimal.Decimal(den)  # log2(rate)/den, > 0
        if v0 is None:
            e0, m0 = None, None
            y_cap = emax - emin + 2  # any normal |v0| has overflowed by then
        else:
            fr, ex = math.frexp(abs(v0))
            e0, m0 = ex - 1, 2.0 * fr  # |v0| = m0·2**e0, m0 in [1, 2)
            y_cap = emax - e0 + 2
        # Steps past x_cap hold the value of x_cap, which is past the float range already.
        x_cap = int((decimal.Decimal(y_cap) / c).to_integral_value(rounding=decimal.ROUND_CEILING)) + 1
        x_bits = min(x_cap, (1 << (int_bits - 1)) - 1).bit_length()
        w = _LIMB[int_bits]
        g = -(-(mantissa + 6 + x_bits) // w)  # the binary point sits after g limbs
        big = int((c * (decimal.Decimal(2) ** (g * w))).to_integral_value(rounding=decimal.ROUND_FLOOR))
    mask = (1 << w) - 1
    c_limbs = tuple((big >> (b * w)) & mask for b in range(-(-big.bit_length() // w)))
    frac_digits = -(-(mantissa + 6) // w)
    return w, x_cap, c_limbs, g, frac_digits, e0, m0


def _growth(ops, v0, rate: float, den, x):
    """``v0 · rate**(x/den)`` for ``rate > 1``, a Python int or float ``den >= 1`` and an integer array
    ``x >= 0``; ``±max`` of the float dtype where it leaves the range; 0 for ``v0 = 0``."""
    xp = ops.xp
    mantissa, emax, emin, fmax = _float_format(ops)
    v = check.concrete(v0)
    if v is not None and v == 0.0:
        return ops.full(x, 0.0)
    int_bits = int(xp.iinfo(ops.int).bits)
    w, x_cap, c_limbs, g, frac_digits, e0, m0 = _growth_constants(
        float(rate), den, v, int_bits, mantissa, emax, emin
    )
    x = ops.minimum(x, x_cap)
    base = 1 << w
    # Schoolbook product x · C, column by column with carries, up to the binary point's limb.
    digits, carry = _schoolbook(ops, _limbs(ops, x, min(x_cap, ops.max_step), w), c_limbs, w, g + 1)
    n = digits[g] + carry * ops.i(base)  # the integer part of y (carry is 0 within x_cap)
    f = ops.full(x, 0.0)
    for i in range(frac_digits, 0, -1):  # smallest first: every partial sum but the last is exact
        f = f + ops.tofloat(digits[g - i]) * ops.f(2.0 ** (-w * i))
    mant = xp.exp(f * ops.f(math.log(2.0)))  # 2**f, in [1, 2]
    if e0 is None:
        # A level given as an array (a tracer): split 2**n in two factors that stay finite, and
        # clip (the frameworks that take array levels overflow to inf without a warning).
        n1 = xp.minimum(n, ops.i(emax - 1))
        n2 = xp.minimum(n - n1, ops.i(emax - 1))
        table = ops.floats([math.ldexp(1.0, e) for e in range(emax)])
        value = ops.f(v0) * mant * ops.take(table, n1) * ops.take(table, n2)
        return xp.clip(value, -fmax, fmax)
    mant = mant * ops.f(m0)  # in [1, 4)
    e = n + ops.i(e0)
    big_mant = mant >= 2.0
    mant = xp.where(big_mant, mant * 0.5, mant)
    e = xp.where(big_mant, e + ops.i(1), e)
    table = ops.floats([math.ldexp(1.0, i) for i in range(e0, emax + 1)])
    idx = xp.minimum(e, ops.i(emax)) - ops.i(e0)
    value = xp.where(e > ops.i(emax), ops.f(fmax), mant * ops.take(table, idx))
    return -value if v < 0.0 else value


def _exponential_bound(p, reach):
    rate, end = p["decay_rate"], p["end_value"]
    v0 = reach.level("init_value", p["init_value"])
    if rate <= 1.0:  # a decay (or flat): from |v0|, floored at end_value
        return v0 if rate == 1.0 else max(v0, reach.level("end_value", end))
    # A growth: |v0|·rate**(j/T) up to the largest step, held at the float maximum (never inf).
    reach.constant("decay_rate", rate)
    d, begin = p["decay_steps"], p["transition_begin"]
    j = max(check.MAX_STEPS - begin, 0)
    exponent = j // d if p["staircase"] else j / d
    if check.concrete(p["init_value"]) is None:  # a tracer: held wherever it grows to
        grown = reach.limit
    elif v0 == 0.0:
        grown = 0.0
    else:  # in logs (the host's float64 would overflow), within an ulp or so of the exact value
        log_grown = math.log(v0) + exponent * math.log(rate)
        fits = log_grown < min(math.log(reach.limit), 709.0)  # exp(709) is within float64
        grown = reach.held(math.exp(log_grown) * (1.0 + 4.0 * reach.eps) if fits else reach.limit)
    return grown if end is None else min(grown, reach.level("end_value", end))


@register(_exponential_decay, bound=_exponential_bound)
def exponential_decay(
    init_value, decay_steps, decay_rate, staircase=False, transition_begin=0, end_value=None
) -> Params:
    r"""Exponential decay, optionally in stairs, optionally bounded.

    .. math::
        p = \frac{\max(k - b, 0)}{T} \quad(\lfloor p \rfloor \text{ if staircase}), \qquad
        \eta(k) = v_0\, r^{p}

    bounded below by ``end_value`` when :math:`r < 1` (above when :math:`r > 1`).

    A rate above 1 without ``end_value`` grows without bound, as in TF1, Keras and optax (an lr
    range test grows the lr this way). Where :math:`v_0 r^p` passes the largest finite value of the
    result's float dtype (3.4e38 in float32, 1.8e308 in float64) it is held there (with the sign of
    :math:`v_0`): never inf, never NaN (``init_value=0`` stays 0). Growth is exact to the float
    dtype at every step: the exponent is formed in integer arithmetic.

    Args:
        init_value: value at step 0, :math:`v_0` (>= 0 when ``decay_rate > 1`` with an
            ``end_value`` ceiling).
        decay_steps: steps over which the value is multiplied by ``decay_rate``, :math:`T \ge 1`: a
            whole number, or a fractional period such as ``2.4`` (the float's exact value; each
            stair of a staircase is decided exactly on the integer step, as in timm's
            ``StepLRScheduler(decay_t=2.4)``).
        decay_rate: the factor :math:`r > 0`; above 1 the value grows.
        staircase: decay in stairs (the value changes AT each multiple of ``decay_steps``, or at the
            first step past it for a fractional period).
        transition_begin: steps to hold ``init_value`` first, :math:`b \ge 0`.
        end_value: optional floor (rate < 1) or ceiling (rate > 1).

    Example:
        >>> import lrcore
        >>> print(float(lrcore.exponential_decay(1.0, decay_steps=10, decay_rate=0.5)(20)))
        0.25

    Peers: Keras ``ExponentialDecay``, TF1 ``train.exponential_decay``, optax
    ``exponential_decay``, torch ``StepLR`` (staircase) and ``ExponentialLR`` (``decay_steps=1``),
    timm ``StepLRScheduler`` (staircase, ``decay_t`` whole or fractional).
    """
    init_value = check.level("init_value", init_value)
    rate = check.positive("decay_rate", decay_rate)
    end_value = check.optional_level("end_value", end_value)
    if rate > 1.0 and end_value is not None:
        check.level_at_least(
            "init_value", init_value, 0.0,
            "when decay_rate > 1: a negative value grows away from the end_value ceiling without bound",
            decay_rate=decay_rate,
        )
    if rate != 1.0:
        check.compare(
            "end_value", end_value, "<=" if rate < 1.0 else ">=", "init_value", init_value,
            f"when decay_rate is {'below' if rate < 1 else 'above'} 1: it bounds the decay",
            decay_rate=decay_rate,
        )
    return {
        "init_value": init_value,
        "decay_steps": check.period("decay_steps", decay_steps),
        "decay_rate": rate,
        "staircase": check.boolean("staircase", staircase),
        "transition_begin": check.phase("transition_begin", transition_begin),
        "end_value": end_value,
    }



# -- inverse time decay -------------------------------------------------------------------------------
def _inverse_time_decay(k, p, ops):
    d = p["decay_steps"]
    x = ops.tofloat(ops.floordiv(k, d)) if p["staircase"] else ops.ratio(k, d)
    rate = p["decay_rate"]
    if _rate_times_steps_fits(p, float(ops.xp.finfo(ops.float).max)):
        return ops.f(p["init_value"]) / (1.0 + ops.f(rate) * x)
    # r·x would pass the float dtype's largest value: v0/(1 + r·x) = v0·(1/r) / (1/r + x), whose
    # every number stays below v0 and the largest x (the same roundings). Where x = 0 it is v0
    # (the division by 1/r + x, which 1/r may round to 0 in, is not selected there).
    inv = ops.f(1.0 / rate)
    positive = x > 0.0
    den = ops.xp.where(positive, inv + x, ops.xp.ones_like(x))
    return ops.xp.where(positive, (ops.f(p["init_value"]) * inv) / den, ops.full(k, p["init_value"]))


def _largest_x(p) -> float:
    """The largest ``x = k/T`` (``floor(k/T)`` with ``staircase``) inverse_time_decay forms."""
    return check.MAX_STEPS // p["decay_steps"] if p["staircase"] else check.MAX_STEPS / p["decay_steps"]


def _rate_times_steps_fits(p, limit: float) -> bool:
    """Whether ``decay_rate · x`` stays well inside a float dtype whose largest value is ``limit``
    at every step (then ``1 + r·x`` is formed as written; otherwise through ``1/r``)."""
    return p["decay_rate"] * _largest_x(p) < 0.5 * limit


def _inverse_time_bound(p, reach):
    # v0 / (1 + r·x) with x = k/T up to the largest step: r·x is formed in the float dtype where it
    # fits; past that the evaluation forms v0·(1/r) and 1/r + x, each below v0 or the largest x.
    rate = p["decay_rate"]
    if _rate_times_steps_fits(p, reach.limit):
        reach.constant("decay_rate", rate)
        reach.derived("decay_rate", rate, rate * _largest_x(p), "decay_rate · (the largest step / decay_steps)")
    return reach.level("init_value", p["init_value"])


@register(_inverse_time_decay, bound=_inverse_time_bound)
def inverse_time_decay(init_value, decay_steps, decay_rate, staircase=False) -> Params:
    r"""Inverse-time decay.

    .. math::
        p = \frac{k}{T} \quad(\lfloor p \rfloor \text{ if staircase}), \qquad
        \eta(k) = \frac{v_0}{1 + r\,p}

    Args:
        init_value: value at step 0, :math:`v_0`.
        decay_steps: :math:`T \ge 1`.
        decay_rate: :math:`r \ge 0`.
        staircase: use whole multiples of ``decay_steps``.

    Example:
        >>> import lrcore
        >>> print(float(lrcore.inverse_time_decay(1.0, decay_steps=10, decay_rate=1.0)(10)))
        0.5

    Peer: Keras ``InverseTimeDecay``.
    """
    return {
        "init_value": check.level("init_value", init_value),
        "decay_steps": check.length("decay_steps", decay_steps),
        "decay_rate": check.at_least("decay_rate", decay_rate, 0.0),
        "staircase": check.boolean("staircase", staircase),
    }


# -- polynomial decay -------------------------------------------------------------------------------
def _polynomial_decay(k, p, ops):
    d = p["decay_steps"]
    j = ops.since(k, p["transition_begin"])
    if p["cycle"] and ops.in_range(d):
        # Cycle c = max(ceil(j/d), 1) ends at c·d; j = (c-1)·d + r with r in (0, d] (r = 0 at j = 0).
        c = ops.floordiv(ops.xp.maximum(j - ops.i(1), ops.i(0)), d) + ops.i(1)
        r = j - (c - ops.i(1)) * ops.i(d)
        # (c·d - j) / (c·d) = ((d - r)/d) / c, with (d - r)/d from ``fraction``: in the first cycle
        # (c = 1, where it is near 1 and a power amplifies its rounding) it is 1 - r/d with r/d
        # small, as without ``cycle``, not d - r times a rounded 1/d (which XLA makes of /d).
        first_done, first_rest = ops.fraction(r, d)
        rest = first_rest / ops.tofloat(c)
        # Its complement j/(c·d): r/d itself in the first cycle (the power reads it there, where the
        # rest is above ½); past it, the rest is below ½ and 1 - rest is exact enough.
        done = ops.xp.where(ops.lt(c, 2), first_done, 1.0 - rest)
    else:
        power = p["power"]
        if power in (1.0, 2.0):
            cost = _array.RAMP_COST if power == 1.0 else _array.SQUARE_RAMP_COST
            cheap = ops.cheap_levels(p["init_value"], p["end_value"], shrink=power == 2.0, cost=cost)
            if cheap is not None and power == 1.0 and _array.ramp_fits(*cheap, d, ops.xp.finfo(ops.float)):
                return ops.ramp(j, d, *cheap)
            if cheap is not None and power == 2.0 and ops.in_range(d) and _array.square_ramp_fits(*cheap, d, ops.xp.finfo(ops.float)):
                return ops.square_ramp(ops.minimum(j, d), d, *cheap)
        done, rest = ops.fraction(ops.minimum(j, d), d)
    power = p["power"]
    if power != 1.0:
        rest, done = ops.pow_unit_pair(rest, power, done)
    return ops.lerp(p["end_value"], p["init_value"], rest, done)


@register(_polynomial_decay, bound=lambda p, reach: reach.lerp(p, "init_value", "end_value"))
def polynomial_decay(
    init_value, end_value, decay_steps, power=1.0, cycle=False, transition_begin=0
) -> Params:
    r"""Polynomial decay from ``init_value`` to ``end_value``, optionally restarting.

    .. math::
        j = \max(k - b, 0), \quad
        \eta(k) = (v_0 - v_1)\left(1 - \frac{j'}{D}\right)^{p} + v_1

    Without ``cycle``: :math:`j' = \min(j, T)`, :math:`D = T`. With ``cycle``: :math:`j' = j`,
    :math:`D = T \max(\lceil j/T \rceil, 1)` (each cycle decays over a longer span).

    Args:
        init_value: value at step ``transition_begin``, :math:`v_0`.
        end_value: final value, :math:`v_1`.
        decay_steps: :math:`T \ge 1`.
        power: exponent :math:`p \ge 0` (1 is linear).
        cycle: restart the decay every ``decay_steps`` as Keras does.
        transition_begin: steps to hold ``init_value`` first, :math:`b \ge 0`.

    Example:
        >>> import lrcore
        >>> print(float(lrcore.polynomial_decay(1.0, 0.0, decay_steps=10, power=2.0)(5)))
        0.25

    Peers: Keras ``PolynomialDecay``, optax ``polynomial_schedule``, torch ``PolynomialLR``.
    """
    return {
        "init_value": check.level("init_value", init_value),
        "end_value": check.level("end_value", end_value),
        "decay_steps": check.length("decay_steps", decay_steps),
        "power": check.at_least("power", power, 0.0),
        "cycle": check.boolean("cycle", cycle),
        "transition_begin": check.phase("transition_begin", transition_begin),
    }


# -- EMA decay ------------------------------------------------------------------------------------
def _ema_decay(k, p, ops):
    # (1 + k) / (10 + k) in floats, so it never leaves the integer range.
    kf = ops.tofloat(k)
    warm = (kf + 1.0) / (kf + 10.0)
    return ops.xp.minimum(ops.f(p["decay"]), warm)


@register(_ema_decay, bound=lambda p, reach: reach.constant("decay", p["decay"]))
def ema_decay(decay) -> Params:
    r"""The moving-average decay used with ``num_updates`` by TF's ``ExponentialMovingAverage``.

    .. math:: \delta(k) = \min\!\left(d, \frac{1 + k}{10 + k}\right)

    Args:
        decay: the target decay :math:`d`, in [0, 1].

    Example:
        >>> import lrcore
        >>> print(float(lrcore.ema_decay(0.999)(0)))
        0.1

    Peer: TF1 ``train.ExponentialMovingAverage(decay, num_updates=step)``.
    """
    return {"decay": check.level_in_range("decay", decay, 0.0, 1.0)}


# -- tanh decay -----------------------------------------------------------------------------------
@_array.host_constant
def _tanh_anchor(decay_steps: int, lower: float, upper: float, max_step: int) -> tuple[int, float]:
    """``(a, z_a)``: the whole step ``a`` in ``[0, min(T, max_step)]`` nearest to where the tanh
    argument ``z(k) = lower + (upper - lower)·k/T`` crosses 0, and ``z(a)``, exact then rounded once.

    ``z(k) = z_a + (upper - lower)·(k - a)/T`` then has no cancellation near the crossing, where
    the curve is steepest: ``k - a`` is an exact integer and ``z_a`` is at most half a step's
    worth of ``z`` there.
    """
    lo, hi = Fraction(lower), Fraction(upper)
    crossing = -lo * decay_steps / (hi - lo)
    anchor = min(max(round(crossing), 0), decay_steps, max_step)
    return anchor, float(lo + (hi - lo) * anchor / decay_steps)


def _tanh_side(lower: float, upper: float) -> int:
    """Where the tanh argument lies on the whole curve, for :meth:`Ops.tanh_halves`: ``1`` where
    it is never negative (``lower >= 0``: the anchor is step 0, at ``lower``), ``-1`` where it is
    never positive (``upper <= 0``: the anchor is the last step, at ``upper``), else ``0``."""
    return 1 if lower >= 0.0 else -1 if upper <= 0.0 else 0


def _tanh_decay(k, p, ops):
    d, lower, upper = p["decay_steps"], p["lower"], p["upper"]
    anchor, z_anchor = _tanh_anchor(d, lower, upper, ops.max_step)
    j = ops.minimum(k, d) - ops.i(anchor)
    c, c1 = ops.tanh_halves(z_anchor, ops.f(upper - lower) * ops.ratio(j, d), _tanh_side(lower, upper))
    value = ops.lerp(p["end_value"], p["peak_value"], c, c1)
    return ops.xp.where(ops.lt(k, d), value, ops.full(k, p["end_value"]))


def _tanh_decay_bound(p, reach):
    reach.constant("lower", p["lower"])
    reach.constant("upper", p["upper"])
    reach.derived("upper", p["upper"], p["upper"] - p["lower"], "upper - lower")
    return reach.lerp(p, "peak_value", "end_value")


@register(_tanh_decay, bound=_tanh_decay_bound)
def tanh_decay(peak_value, decay_steps, end_value=0.0, lower=-7.0, upper=3.0) -> Params:
    r"""Hyperbolic-tangent decay from ``peak_value`` towards ``end_value`` over ``decay_steps``,
    then ``end_value`` held (timm's ``TanhLRScheduler``, one cycle).

    .. math::
        \eta(k) = \begin{cases}
          v_1 + (P - v_1)\,\tfrac12\left(1 - \tanh\left(L + (U - L)\,\frac{k}{T}\right)\right) & k < T \\
          v_1 & k \ge T
        \end{cases}

    The curve starts just below ``peak_value`` (at :math:`\tfrac12(1 - \tanh L)` of the way from
    :math:`v_1`: 0.9999983 for :math:`L = -7`), falls steepest where :math:`L + (U - L)k/T = 0`,
    and ends just above ``end_value`` (:math:`\tfrac12(1 - \tanh U)`: 0.0025 for :math:`U = 3`);
    from step :math:`T` on it is exactly ``end_value``, as in timm.

    Args:
        peak_value: the level the curve falls from, :math:`P`.
        decay_steps: :math:`T \ge 1`.
        end_value: the level it falls to and holds from step :math:`T`, :math:`v_1`.
        lower: :math:`L`, the tanh argument at step 0 (timm's ``lb``), finite.
        upper: :math:`U > L`, the tanh argument at step :math:`T` (timm's ``ub``), finite.

    Example:
        >>> import lrcore
        >>> print(float(lrcore.tanh_decay(1.0, decay_steps=100, lower=-1.0, upper=1.0)(50)))
        0.5

    Peers: timm ``TanhLRScheduler(t_initial=T, lb=L, ub=U, lr_min=end_value)`` with
    ``cycle_limit=1``.

    Reference: Hsueh et al., stochastic gradient descent with hyperbolic-tangent decay,
    https://arxiv.org/abs/1806.01593
    """
    lower = check.real("lower", lower)
    upper = check.real("upper", upper)
    check.less("lower", lower, "upper", upper)
    return {
        "peak_value": check.level("peak_value", peak_value),
        "decay_steps": check.length("decay_steps", decay_steps),
        "end_value": check.level("end_value", end_value),
        "lower": lower,
        "upper": upper,
    }
