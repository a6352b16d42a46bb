"""Schedules from transformer training: inverse square root and warmup-stable-decay (WSD)."""

from __future__ import annotations

import math

from . import _array
from . import validate as check
from .schedule import Params, register


# -- inverse square root ----------------------------------------------------------------------------
def _inverse_sqrt(k, p, ops):
    xp = ops.xp
    w, scale = p["warmup_steps"], p["timescale"]
    if w and ops.reaches(k, w):  # no step in the warmup (known for a NumPy block): k - w >= 0
        return ops.inverse_sqrt(k - ops.i(w), scale, p["peak_value"])
    decay = ops.inverse_sqrt(ops.since(k, w), scale, p["peak_value"])
    peak = ops.f(p["peak_value"])
    if w == 0:
        return decay
    warm = peak * ops.ratio(ops.minimum(k, w), w)
    return xp.where(ops.lt(k, w), warm, decay)


@register(_inverse_sqrt, bound=lambda p, reach: reach.level("peak_value", p["peak_value"]))
def inverse_sqrt(peak_value, warmup_steps, timescale=None) -> Params:
    r"""Linear warmup, then decay with the inverse square root of the step.

    .. math::
        \eta(k) = \begin{cases}
          P\,k / W & k < W \\
          P \big/ \sqrt{(k + \tau - W) / \tau} & k \ge W
        \end{cases}

    Args:
        peak_value: value at step ``warmup_steps``, :math:`P`.
        warmup_steps: :math:`W \ge 0`.
        timescale: :math:`\tau \ge 1`; defaults to ``warmup_steps``, or 10 000 when that is 0.

    Example:
        >>> import lrcore
        >>> s = lrcore.inverse_sqrt(peak_value=1.0, warmup_steps=100)
        >>> print(float(s(50)), float(s(100)), float(s(400)))
        0.5 1.0 0.5

    Peer: transformers ``get_inverse_sqrt_schedule``. Reference: Vaswani et al.,
    https://arxiv.org/abs/1706.03762
    """
    warmup_steps = check.phase("warmup_steps", warmup_steps)
    if timescale is None:
        timescale = warmup_steps or 10_000
    return {
        "peak_value": check.level("peak_value", peak_value),
        "warmup_steps": warmup_steps,
        "timescale": check.length("timescale", timescale),
    }


# -- noam (the transformer paper's schedule, from d_model) -------------------------------------------
def _noam_peak(p) -> float:
    """``scale · (d_model · warmup_steps) ** -0.5``, the value at step ``warmup_steps`` (float64)."""
    return p["scale"] / math.sqrt(p["d_model"]) / math.sqrt(p["warmup_steps"])


def _noam_factor(p) -> float:
    """``(d_model · warmup_steps) ** -0.5`` as two square roots: the product passes float64 for a
    d_model near its largest (1 / sqrt(inf) is 0: a peak of 0, and a range check that saw 0)."""
    return 1.0 / math.sqrt(p["d_model"]) / math.sqrt(p["warmup_steps"])


def _noam(k, p, ops):
    w = p["warmup_steps"]
    if _array.is_array(p["scale"]):  # an array level (a tracer): scaled in the float dtype
        peak = ops.f(p["scale"]) * ops.f(_noam_factor(p))
    else:
        peak = _noam_peak(p)
    return _inverse_sqrt(k, {"peak_value": peak, "warmup_steps": w, "timescale": w}, ops)


def _noam_bound(p, reach):
    scale = reach.level("scale", p["scale"])
    factor = _noam_factor(p)
    reach.derived("d_model", p["d_model"], factor, "the factor (d_model·warmup_steps)**-0.5")
    return reach.derived("scale", p["scale"], scale / math.sqrt(p["d_model"]) / math.sqrt(p["warmup_steps"]),
                         "its peak scale·(d_model·warmup_steps)**-0.5")


@register(_noam, bound=_noam_bound, landmarks=lambda p, end, landmarks_of: [p["warmup_steps"]])
def noam(d_model, warmup_steps, scale=1.0) -> Params:
    r"""The transformer paper's schedule ("Noam"), from the model width ``d_model``.

    .. math::
        \eta(k) = s\, d^{-1/2} \min\!\left(k^{-1/2},\; k\, W^{-3/2}\right)

    a linear warmup to the peak :math:`s\,(d W)^{-1/2}` at step :math:`W`, then the inverse square
    root of the step: :func:`inverse_sqrt` with that peak and ``timescale = warmup_steps``. Step 0
    has the value 0 (Paddle's convention: its first step is step 0; the paper counts from 1).

    Args:
        d_model: the model width :math:`d > 0`.
        warmup_steps: :math:`W \ge 1`.
        scale: the factor :math:`s` (Paddle ``learning_rate``), a level.

    Example:
        >>> import lrcore
        >>> s = lrcore.noam(d_model=64, warmup_steps=100)
        >>> print(float(s(100)), float(s(400)))
        0.0125 0.00625

    Peer: Paddle ``NoamDecay(d_model, warmup_steps, learning_rate)``. Reference: Vaswani et al.,
    https://arxiv.org/abs/1706.03762 (section 5.3)
    """
    return {
        "d_model": check.positive("d_model", d_model),
        "warmup_steps": check.length("warmup_steps", warmup_steps),
        "scale": check.level("scale", scale),
    }


# -- warmup, stable, decay -----------------------------------------------------------------------------
_SHAPES = ("linear", "cosine", "1-sqrt")
_DECAY_SHAPES = (*_SHAPES, "power", "exp")


def _rise(x, x1, shape, ops):
    """``(f, 1-f)`` for a rise from 0 to 1 with progress ``x`` (and the exact ``x1 = 1 - x``).

    Each half is accurate relative to itself, also where it is tiny (so a ``clip`` far below the
    peak sees no cancellation error): ``1 - sqrt(1 - x)`` is computed as ``x / (1 + sqrt(x1))``.
    """
    if shape == "linear":
        return x, x1
    if shape == "cosine":
        c, c1 = ops.cos_half(x, x1)
        return c1, c
    s = ops.xp.sqrt(x1)  # 1-sqrt: f = 1 - sqrt(1 - x)
    return x / (1.0 + s), s


def _fall(x, x1, p, ops):
    """``(g, 1-g)`` for a fall from 1 to 0 with progress ``x`` (and the exact ``x1 = 1 - x``).

    Each half is accurate relative to itself: it is computed directly where it is the smaller one,
    and the other half is 1 minus it (so ``g`` is exactly 1 at ``x = 0`` and 0 at ``x = 1``).
    """
    xp, shape = ops.xp, p["decay_shape"]
    if shape == "linear":
        return x1, x
    if shape == "cosine":
        return ops.cos_half(x, x1)
    if shape == "1-sqrt":
        s = xp.sqrt(x)  # g = 1 - sqrt(x) = (1 - x) / (1 + sqrt(x))
        return x1 / (1.0 + s), s
    if shape == "power":
        # g = 1 - x**e: near x = 1 as -expm1(e·log1p(-x1)) (x1 <= 1/2 there, so the log is finite).
        # Past fmax/128 the power gives the same values (x1 >= 2**-63: x**e underflows to 0).
        e = min(p["decay_power"], float(xp.finfo(ops.float).max) / 128.0)
        head = ops.pow_unit(x, e)  # 1 - g
        tail = -xp.expm1(ops.f(e) * xp.log1p(-xp.minimum(x1, ops.f(0.5))))  # g
        near_end = x >= 0.5
        return xp.where(near_end, tail, 1.0 - head), xp.where(near_end, 1.0 - tail, head)
    # exp: g = (r**x - r)/(1 - r) = r·expm1(-x1·ln r)/(1 - r), 1 - g = -expm1(x·ln r)/(1 - r).
    r = p["decay_ratio"]
    if r == 1.0:  # the limit r -> 1 is linear
        return x1, x
    log_r = ops.f(math.log(r))
    g = ops.f(r / (1.0 - r)) * xp.expm1(-x1 * log_r)  # exactly 0 at x = 1, at most 1
    g1 = ops.f(-1.0 / (1.0 - r)) * xp.expm1(x * log_r)  # exactly 0 at x = 0, at most 1
    low = g <= g1
    return xp.where(low, g, 1.0 - g1), xp.where(low, 1.0 - g, g1)


def _stable_top(k, p, ops):
    """The value the decay starts from: the peak, or ``max(P·(1 + (k - W)/τ)**-p, v1)``."""
    xp, power = ops.xp, p["stable_power"]
    peak = ops.f(p["peak_value"])
    if power == 0.0:
        return peak
    u = ops.ratio(ops.since(k, p["warmup_steps"]), p["stable_timescale"])
    if power == 0.5:
        factor = 1.0 / xp.sqrt(1.0 + u)
    else:
        # log1p(u) <= 44 (u < 2**63) and >= 1/tau > 2**-63: past fmax/128 the power gives exp(-huge) = 0
        # as the uncapped one does, and its product with the log never overflows.
        power = min(power, float(xp.finfo(ops.float).max) / 128.0)
        factor = xp.exp(ops.f(-power) * xp.log1p(u))
    return xp.maximum(peak * factor, ops.f(p["end_value"]))


def _warmup_stable_decay(k, p, ops):
    w, s, d = p["warmup_steps"], p["stable_steps"], p["decay_steps"]
    end = p["end_value"]
    # Before the decay starts, since(k, w + s) is 0 and the decay weight is exactly 1 (the top).
    x, x1 = ops.fraction(ops.minimum(ops.since(k, w + s), d), d)
    g, g1 = _fall(x, x1, p, ops)
    value = ops.lerp(end, _stable_top(k, p, ops), g, g1)
    if w == 0:
        return value
    a, a1 = ops.fraction(ops.minimum(k, w), w)
    f, f1 = _rise(a, a1, p["warmup_shape"], ops)
    warm = ops.lerp(p["init_value"], p["peak_value"], f, f1)
    return ops.xp.where(ops.lt(k, w), warm, value)


def _wsd_bound(p, reach):
    if p["decay_shape"] == "exp" and p["decay_ratio"] != 1.0:
        r = p["decay_ratio"]
        reach.constant("decay_ratio", 1.0 / (1.0 - r))
    return reach.lerp(p, "peak_value", "end_value", "init_value")


@register(_warmup_stable_decay, bound=_wsd_bound)
def warmup_stable_decay(
    peak_value,
    warmup_steps,
    stable_steps,
    decay_steps,
    end_value=0.0,
    init_value=None,
    warmup_shape="linear",
    decay_shape="linear",
    decay_power=0.5,
    decay_ratio=0.1,
    stable_power=0.0,
    stable_timescale=None,
) -> Params:
    r"""Warmup, a stable phase at the peak, a decay, then ``end_value`` held (WSD).

    With warmup progress :math:`a = k/W` and decay progress
    :math:`x = \mathrm{clip}((k - W - S)/D, 0, 1)`:

    .. math::
        \eta(k) = \begin{cases}
          v_0 + (P - v_0)\, f(a) & k < W \\
          v_1 + (T(k) - v_1)\, g(x) & k \ge W
        \end{cases}

    with rising shapes :math:`f(a) = a`, :math:`\tfrac12(1 - \cos \pi a)` or
    :math:`1 - \sqrt{1 - a}` (``linear``, ``cosine``, ``1-sqrt``) and falling shapes
    :math:`g(x) = 1 - x`, :math:`\tfrac12(1 + \cos \pi x)`, :math:`1 - \sqrt{x}`,
    :math:`1 - x^{q}` or :math:`(r^x - r)/(1 - r)` (``linear``, ``cosine``, ``1-sqrt``,
    ``power``, ``exp``). The stable level is :math:`T(k) = P` (``stable_power`` 0), or a power
    decay kept at or above the end value, which the decay phase then multiplies:

    .. math:: T(k) = \max\!\big(P\,(1 + (k - W)/\tau)^{-p},\; v_1\big)

    (:math:`p = 1/2` is the reciprocal square root schedule of Big Vision).

    Args:
        peak_value: :math:`P`.
        warmup_steps: :math:`W \ge 0`.
        stable_steps: :math:`S \ge 0` steps before the decay starts.
        decay_steps: :math:`D \ge 1`.
        end_value: :math:`v_1`, the final value.
        init_value: :math:`v_0`, the value at step 0; defaults to ``end_value``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        decay_shape: ``"linear"``, ``"cosine"``, ``"1-sqrt"``, ``"power"`` or ``"exp"``.
        decay_power: :math:`q > 0`, only for ``decay_shape="power"`` (0.5 is ``1-sqrt``, 1 is
            ``linear``, 2 a square decay).
        decay_ratio: :math:`r \in [10^{-20}, 1]`, only for ``decay_shape="exp"``: the exponential
            decay to :math:`r` times the stable level, normalized to reach :math:`v_1` (1 is its
            limit, ``linear``).
        stable_power: :math:`p \ge 0`; 0 holds the peak during the stable phase.
        stable_timescale: :math:`\tau \ge 1`; defaults to ``warmup_steps`` (then at least 1);
            only with a ``stable_power`` above 0.

    Example:
        >>> import lrcore
        >>> s = lrcore.warmup_stable_decay(1.0, warmup_steps=10, stable_steps=80, decay_steps=10)
        >>> print(float(s(5)), float(s(50)), float(s(95)), float(s(200)))
        0.5 1.0 0.5 0.0

    Peers: transformers ``get_wsd_schedule`` (``min_lr_ratio = end_value / peak_value``); timm
    ``WSDLRScheduler`` (``t_initial = S + D``, ``decay_t = D``, ``lr_min = end_value``,
    ``decay_fn``, ``stable_fn='rsqrt'`` or ``'power'``). References: Hu et al., MiniCPM,
    https://arxiv.org/abs/2404.06395; Hägele et al., https://arxiv.org/abs/2405.18392
    """
    end_value = check.level("end_value", end_value)
    init_value = end_value if init_value is None else check.level("init_value", init_value)
    peak_value = check.level("peak_value", peak_value)
    warmup_steps = check.phase("warmup_steps", warmup_steps)
    decay_shape = check.choice("decay_shape", decay_shape, _DECAY_SHAPES)
    decay_power = check.positive("decay_power", decay_power)
    check.only_with("decay_power", decay_power, 0.5, "decay_shape", decay_shape, "power")
    decay_ratio = check.in_range("decay_ratio", decay_ratio, 1e-20, 1.0)
    check.only_with("decay_ratio", decay_ratio, 0.1, "decay_shape", decay_shape, "exp")
    stable_power = check.at_least("stable_power", stable_power, 0.0)
    if stable_timescale is not None:
        stable_timescale = check.length("stable_timescale", stable_timescale)
    check.only_when("stable_timescale", stable_timescale, None, stable_power > 0.0, "with stable_power > 0",
                    stable_power=stable_power)
    if stable_power > 0.0:
        check.compare("end_value", end_value, "<=", "peak_value", peak_value,
                      "the stable phase decays towards it", stable_power=stable_power)
        check.required_when("stable_timescale", stable_timescale, warmup_steps == 0,
                            "with stable_power > 0 and no warmup (it defaults to warmup_steps)",
                            stable_power=stable_power, warmup_steps=warmup_steps)
        stable_timescale = warmup_steps if stable_timescale is None else stable_timescale
    return {
        "peak_value": peak_value,
        "warmup_steps": warmup_steps,
        "stable_steps": check.phase("stable_steps", stable_steps),
        "decay_steps": check.length("decay_steps", decay_steps),
        "end_value": end_value,
        "init_value": init_value,
        "warmup_shape": check.choice("warmup_shape", warmup_shape, _SHAPES),
        "decay_shape": decay_shape,
        "decay_power": decay_power,
        "decay_ratio": decay_ratio,
        "stable_power": stable_power,
        "stable_timescale": stable_timescale,
    }
