"""Schedules from transformer training: inverse square root and warmup-stable-decay (WSD)."""

from __future__ import annotations

from . import validate as check
from .schedule import Params, register


# -- inverse square root ----------------------------------------------------------------------------
def _inverse_sqrt(k, p, ops):
    xp = ops.xp
    w, scale = p["warmup_steps"], p["timescale"]
    peak = ops.f(p["peak_value"])
    decay = peak / xp.sqrt(1.0 + ops.ratio(ops.since(k, w), scale))
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


# -- warmup, stable, decay -----------------------------------------------------------------------------
_SHAPES = ("linear", "cosine", "1-sqrt")


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


def _fall(x, x1, shape, ops):
    """``(g, 1-g)`` for a fall from 1 to 0 with progress ``x`` (and the exact ``x1 = 1 - x``)."""
    if shape == "linear":
        return x1, x
    if shape == "cosine":
        return ops.cos_half(x, x1)
    s = ops.xp.sqrt(x)  # 1-sqrt: g = 1 - sqrt(x) = (1 - x) / (1 + sqrt(x))
    return x1 / (1.0 + s), s


def _warmup_stable_decay(k, p, ops):
    w, s, d = p["warmup_steps"], p["stable_steps"], p["decay_steps"]
    peak, end = p["peak_value"], p["end_value"]
    # Before the decay starts, since(k, w + s) is 0 and the decay weight is exactly 1 (the peak).
    x, x1 = ops.fraction(ops.minimum(ops.since(k, w + s), d), d)
    g, g1 = _fall(x, x1, p["decay_shape"], ops)
    value = ops.lerp(end, peak, g, g1)
    if w == 0:
        return value
    a, a1 = ops.fraction(ops.minimum(k, w), w)
    f, f1 = _rise(a, a1, p["warmup_shape"], ops)
    warm = ops.lerp(p["init_value"], peak, f, f1)
    return ops.xp.where(ops.lt(k, w), warm, value)


@register(_warmup_stable_decay, bound=lambda p, reach: reach.lerp(p, "peak_value", "end_value", "init_value"))
def warmup_stable_decay(
    peak_value,
    warmup_steps,
    stable_steps,
    decay_steps,
    end_value=0.0,
    init_value=None,
    warmup_shape="linear",
    decay_shape="linear",
) -> Params:
    r"""Warmup, a stable phase at the peak, a decay, then ``end_value`` held (WSD).

    With warmup progress :math:`a = k/W` and decay progress
    :math:`x = \mathrm{clip}((k - W - S)/D, 0, 1)`:

    .. math::
        \eta(k) = \begin{cases}
          v_0 + (P - v_0)\, f(a) & k < W \\
          v_1 + (P - v_1)\, g(x) & k \ge W
        \end{cases}

    with rising shapes :math:`f(a) = a`, :math:`\tfrac12(1 - \cos \pi a)` or
    :math:`1 - \sqrt{1 - a}` and falling shapes :math:`g(x) = 1 - x`,
    :math:`\tfrac12(1 + \cos \pi x)` or :math:`1 - \sqrt{x}` (``linear``, ``cosine``, ``1-sqrt``).

    Args:
        peak_value: :math:`P`.
        warmup_steps: :math:`W \ge 0`.
        stable_steps: :math:`S \ge 0` steps held at the peak.
        decay_steps: :math:`D \ge 1`.
        end_value: :math:`v_1`, the final value.
        init_value: :math:`v_0`, the value at step 0; defaults to ``end_value``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        decay_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.

    Example:
        >>> import lrcore
        >>> s = lrcore.warmup_stable_decay(1.0, warmup_steps=10, stable_steps=80, decay_steps=10)
        >>> print(float(s(5)), float(s(50)), float(s(95)), float(s(200)))
        0.5 1.0 0.5 0.0

    Peer: transformers ``get_wsd_schedule`` (``min_lr_ratio = end_value / peak_value``).
    Reference: Hu et al., MiniCPM, https://arxiv.org/abs/2404.06395
    """
    end_value = check.level("end_value", end_value)
    init_value = end_value if init_value is None else check.level("init_value", init_value)
    return {
        "peak_value": check.level("peak_value", peak_value),
        "warmup_steps": check.phase("warmup_steps", warmup_steps),
        "stable_steps": check.phase("stable_steps", stable_steps),
        "decay_steps": check.length("decay_steps", decay_steps),
        "end_value": end_value,
        "init_value": init_value,
        "warmup_shape": check.choice("warmup_shape", warmup_shape, _SHAPES),
        "decay_shape": check.choice("decay_shape", decay_shape, _SHAPES),
    }
