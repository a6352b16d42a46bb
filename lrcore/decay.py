"""Constant, linear, exponential, inverse-time, polynomial and EMA-decay schedules."""

from __future__ import annotations

import math

from . import validate as check
from .schedule import Params, register


# -- constant ------------------------------------------------------------------------------------
def _constant(k, p, ops):
    return ops.full(k, p["value"])


@register(_constant)
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
    j = ops.minimum(ops.since(k, p["transition_begin"]), d)
    w, w1 = ops.fraction(j, d)
    return ops.lerp(p["init_value"], p["end_value"], w, w1)


@register(_linear)
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
    exponent = ops.tofloat(ops.floordiv(j, d)) if p["staircase"] else ops.ratio(j, d)
    end = p["end_value"]
    if rate > 1.0:
        # Past the ceiling the exponent no longer matters: cap it so that rate**exponent stays
        # finite (an overflow to inf would warn, and give NaN for init_value = 0).
        exponent = ops.xp.minimum(exponent, ops.f(_growth_cap(p["init_value"], end, rate)))
    value = ops.f(p["init_value"]) * ops.power(rate, exponent)
    if end is None or rate == 1.0:
        return value
    bound = ops.xp.maximum if rate < 1.0 else ops.xp.minimum
    return bound(value, ops.f(end))


def _growth_cap(init_value, end_value, rate: float) -> float:
    """An exponent at which ``init_value * rate**exponent`` has passed the ceiling ``end_value``."""
    v0, v1 = check.concrete(init_value), check.concrete(end_value)
    if v0 is not None and v1 is not None and v0 > 0.0:
        return max(math.log(v1 / v0), 0.0) / math.log(rate) + 1.0
    return 80.0 / math.log(rate)  # e**80 is far below the float32 maximum


@register(_exponential_decay)
def exponential_decay(
    init_value, decay_steps, decay_rate, staircase=False, transition_begin=0, end_value=None
) -> Params:
    r"""Exponential decay, optionally in stairs, optionally bounded.

    .. math::
        p = \frac{\max(k - b, 0)}{T} \quad(\lfloor p \rfloor \text{ if staircase}), \qquad
        \eta(k) = v_0\, r^{p}

    bounded below by ``end_value`` when :math:`r < 1` (above when :math:`r > 1`).

    Args:
        init_value: value at step 0, :math:`v_0`.
        decay_steps: steps over which the value is multiplied by ``decay_rate``, :math:`T \ge 1`.
        decay_rate: the factor :math:`r > 0`. A rate above 1 grows without bound, so it needs
            ``end_value`` as a ceiling.
        staircase: decay in whole multiples of ``decay_steps`` (the value changes AT multiples).
        transition_begin: steps to hold ``init_value`` first, :math:`b \ge 0`.
        end_value: optional floor (rate < 1) or ceiling (rate > 1).

    Example:
        >>> import lrcore
        >>> print(float(lrcore.exponential_decay(1.0, decay_steps=10, decay_rate=0.5)(20)))
        0.25

    Peers: Keras ``ExponentialDecay``, TF1 ``train.exponential_decay``, optax
    ``exponential_decay``, torch ``StepLR`` (staircase) and ``ExponentialLR`` (``decay_steps=1``).
    """
    init_value = check.level("init_value", init_value)
    rate = check.positive("decay_rate", decay_rate)
    end_value = check.optional_level("end_value", end_value)
    if rate > 1.0 and end_value is None:
        raise ValueError(
            "Argument `end_value` is required when decay_rate > 1: the value grows without bound "
            f"and would overflow. Received: decay_rate={decay_rate!r}, end_value=None"
        )
    v0, v1 = check.concrete(init_value), check.concrete(end_value)
    if rate > 1.0 and v0 is not None and v0 < 0.0:
        raise ValueError(
            "Argument `init_value` must be >= 0 when decay_rate > 1: a negative value grows away from "
            f"the end_value ceiling without bound. Received: init_value={init_value!r}, decay_rate={decay_rate!r}"
        )
    if v0 is not None and v1 is not None and rate != 1.0 and (v1 - v0) * (rate - 1.0) < 0:
        relation = "<=" if rate < 1.0 else ">="
        raise ValueError(
            f"Argument `end_value` must be {relation} init_value when decay_rate is "
            f"{'below' if rate < 1 else 'above'} 1 (it bounds the decay). "
            f"Received: end_value={end_value!r}, init_value={init_value!r}, decay_rate={decay_rate!r}"
        )
    return {
        "init_value": init_value,
        "decay_steps": check.length("decay_steps", decay_steps),
        "decay_rate": rate,
        "staircase": check.boolean("staircase", staircase),
        "transition_begin": check.phase("transition_begin", transition_begin),
        "end_value": end_value,
    }


# -- inverse time decay -------------------------------------------------------------------------------
def _inverse_time_decay(k, p, ops):
    d = p["decay_steps"]
    x = ops.tofloat(ops.floordiv(k, d)) if p["staircase"] else ops.ratio(k, d)
    return ops.f(p["init_value"]) / (1.0 + ops.f(p["decay_rate"]) * x)


@register(_inverse_time_decay)
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
        rest = ops.ratio(ops.i(d) - r, d) / ops.tofloat(c)  # (c·d - j) / (c·d)
        done = 1.0 - rest
    else:
        done, rest = ops.fraction(ops.minimum(j, d), d)
    power = p["power"]
    if power != 1.0:
        rest = ops.pow_unit(rest, power)
        done = 1.0 - rest
    return ops.lerp(p["end_value"], p["init_value"], rest, done)


@register(_polynomial_decay)
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


@register(_ema_decay)
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
