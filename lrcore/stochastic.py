"""Deterministic multiplicative noise on a schedule, after timm's ``noise_range_t`` / ``noise_pct``."""

from __future__ import annotations

import hashlib
import math

import numpy as np

from . import _array
from . import validate as check
from .schedule import Params, as_schedule, register

# -- a counter-based hash of (seed, step), in integer operations every namespace has ------------------
# The state is a 30-bit integer. Products are formed from 15-bit halves, so that no intermediate
# passes 2**31 (int32 under JAX without x64, and every other integer dtype, evaluate it alike):
# (x1·2**15 + x0)·C mod 2**30 = x0·c0 + ((x1·c0 + x0·c1) mod 2**15)·2**15 mod 2**30.
_BITS = 30
_MASK = (1 << _BITS) - 1
_HALF = 15
#: Odd multipliers of the 30-bit mix (multiply, xor-shift; as in a 32-bit integer hash).
_MULTIPLIERS = (0x3FEB352D, 0x046CA68B)
#: How many 30-bit words of the step are hashed: 3 cover int64 steps; an int32 step has zeros there.
_WORDS = 3


def _mul(ops, x, c: int):
    """``x · c mod 2**30`` for an integer array ``0 <= x < 2**30`` and a Python int ``c``."""
    xp = ops.xp
    lo_mask = ops.i((1 << _HALF) - 1)
    x0, x1 = xp.bitwise_and(x, lo_mask), xp.bitwise_right_shift(x, ops.i(_HALF))
    c0, c1 = c & ((1 << _HALF) - 1), c >> _HALF
    cross = xp.bitwise_and(x1 * ops.i(c0) + x0 * ops.i(c1), lo_mask)
    return xp.bitwise_and(x0 * ops.i(c0) + cross * ops.i(1 << _HALF), ops.i(_MASK))


def _mix(ops, x):
    """A bijective mix of 30-bit integers: xor-shift, multiply, xor-shift, multiply, xor-shift."""
    xp = ops.xp
    for shift, c in zip((16, 15), _MULTIPLIERS):
        x = xp.bitwise_xor(x, xp.bitwise_right_shift(x, ops.i(shift)))
        x = _mul(ops, x, c)
    return xp.bitwise_xor(x, xp.bitwise_right_shift(x, ops.i(16)))


@_array.host_constant
def _keys(seed: int) -> tuple:
    """``_WORDS + 1`` 30-bit keys from the seed (any int), by SHA-256 of its decimal digits."""
    digest = int.from_bytes(hashlib.sha256(str(seed).encode()).digest(), "big")
    return tuple((digest >> (_BITS * i)) & _MASK for i in range(_WORDS + 1))


def _hash(ops, k, seed: int):
    """A 30-bit hash of ``(seed, k)`` for an integer step array ``0 <= k``: the same bits on every
    namespace and integer dtype. Each 30-bit word of the step is xored in, mixed, keyed by an
    addition and mixed again."""
    xp = ops.xp
    keys = _keys(seed)
    h = xp.zeros_like(k) + ops.i(keys[0])
    rest = k
    for i in range(_WORDS):
        word = xp.bitwise_and(rest, ops.i(_MASK))
        rest = xp.bitwise_right_shift(rest, ops.i(_BITS if i < _WORDS - 1 else 0))
        h = _mix(ops, xp.bitwise_xor(h, word))
        h = _mix(ops, xp.bitwise_and(h + ops.i(keys[i + 1]), ops.i(_MASK)))
    return h


# -- the inverse of the normal distribution function in its lower tail --------------------------------
# Wichura's algorithm AS 241 (PPND16, accurate to about 1e-16): Applied Statistics 37(3), 477-484
# (1988), https://www.jstor.org/stable/2347330. Coefficients of the numerator and the denominator,
# constant term first, for |p - 1/2| <= 0.425, then for sqrt(-log p) <= 5 and beyond.
_CENTRAL = (
    (3.3871328727963666080e0, 1.3314166789178437745e2, 1.9715909503065514427e3, 1.3731693765509461125e4,
     4.5921953931549871457e4, 6.7265770927008700853e4, 3.3430575583588128105e4, 2.5090809287301226727e3),
    (1.0, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
     2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4, 5.2264952788528545610e3),
)
_NEAR = (
    (1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0, 3.64784832476320460504e0,
     1.27045825245236838258e0, 2.41780725177450611770e-1, 2.27238449892691845833e-2, 7.74545014278341407640e-4),
    (1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
     1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4, 1.05075007164441684324e-9),
)
_FAR = (
    (6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0, 2.96560571828504891230e-1,
     2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7),
    (1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
     7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15),
)


def _rational(ops, coefficients, x):
    """``num(x) / den(x)`` by Horner's rule."""
    num, den = (ops.full(x, c[-1]) for c in coefficients)
    for a, b in zip(reversed(coefficients[0][:-1]), reversed(coefficients[1][:-1])):
        num, den = num * x + ops.f(a), den * x + ops.f(b)
    return num / den


def _lower_quantile(ops, p, q, qq):
    """``-Φ⁻¹(p) >= 0`` for ``0 < p <= 1/2``, given ``q = p - 1/2`` accurate to itself and ``qq``,
    ``q²`` formed by the caller (see :func:`_noise`)."""
    xp = ops.xp
    central = -q * _rational(ops, _CENTRAL, ops.f(0.180625) - qq)
    tiny = float(xp.finfo(ops.float).smallest_normal)
    r = xp.sqrt(-xp.log(xp.maximum(p, ops.f(tiny))))
    tail = xp.where(r <= 5.0, _rational(ops, _NEAR, r - 1.6), _rational(ops, _FAR, r - 5.0))
    return xp.where(q >= -0.425, central, tail)


# -- noise ----------------------------------------------------------------------------------------------
#: ``a = pct/std`` below which the truncated normal is drawn as uniform: a²/6 < 2**-53.
_UNIFORM_BELOW = 2.0**-26


def _noise(k, p, ops):
    xp = ops.xp
    inner = p["schedule"].evaluate_with(k, ops)
    h = _hash(ops, k, p["seed"])
    upper = h >= ops.i(1 << (_BITS - 1))  # u >= 1/2: a positive draw
    v = xp.where(upper, ops.i(_MASK) - h, h)  # u or 1 - u, as (v + 1/2) / 2**30, in [0, 2**29)
    w = ops.ratio(v, float(1 << _BITS), 0.5)  # the nearer end's distance, in (0, 1/2)
    half_gap = ops.ratio(ops.i((1 << (_BITS - 1)) - 1) - v, float(1 << _BITS), 0.5)  # 1/2 - w
    pct = p["pct"]
    # A normal truncated to |z| <= a = pct/std is the uniform draw on [-a, a] to within a²/6 of
    # itself: below _UNIFORM_BELOW it is drawn as uniform (within a rounding of float64), and its
    # spread, far smaller, would go subnormal in the quantile's constants (from std = 1e29 on,
    # float32 and JAX drew no noise, or noise past pct).
    if p["distribution"] == "uniform" or pct / p["std"] < _UNIFORM_BELOW:
        size = 2.0 * half_gap * ops.f(pct)  # |2u - 1|·pct
    else:
        a = pct / p["std"]
        spread = math.erf(a / math.sqrt(2.0))  # Φ(a) - Φ(-a)
        low = 0.5 * math.erfc(a / math.sqrt(2.0))  # Φ(-a)
        # The truncated normal's lower-tail probability Φ(-a) + w·spread, and its distance to 1/2,
        # q = -g·c with g = 2**30·half_gap (a whole number plus 1/2, exact) and c = spread/2**30.
        # Its square is formed as (g·g)·c², c² from the host: under jit XLA regroups q·q =
        # (g·c)·(g·c) into (g·g)·(c·c) for a 0-d step or a short array but not for a long one, which
        # made a step alone differ from the same step in an array; written regrouped, there is
        # nothing left to regroup.
        gap = ops.tofloat(ops.i((1 << (_BITS - 1)) - 1) - v) + ops.f(0.5)
        # c: the spread rounded to the float dtype (as ops.f rounds it), times 2**-30 (exact); c² in
        # float64 is exact, rounded once by ops.f.
        c = (float(np.float32(spread)) if xp.finfo(ops.float).bits == 32 else spread) / float(1 << _BITS)
        q = -(gap * ops.f(c))
        qq = (gap * gap) * ops.f(c * c)
        size = ops.f(p["std"]) * _lower_quantile(ops, ops.f(low) + w * ops.f(spread), q, qq)
    draw = xp.where(upper, size, -size)
    noisy = inner + inner * draw
    on = xp.logical_not(ops.lt(k, p["begin"]))
    if p["end"] is not None:
        on = xp.logical_and(on, ops.lt(k, p["end"]))
    return xp.where(on, noisy, inner)


def _noise_bound(p, reach):
    inner = reach.child(p["schedule"])
    if p["distribution"] == "normal" and p["pct"] / p["std"] >= _UNIFORM_BELOW:  # else std is not used
        reach.constant("std", p["std"])
    return reach.derived("pct", p["pct"], inner * (1.0 + p["pct"]), "its schedule's values times 1 + pct")


def _noise_landmarks(p, end, landmarks_of):
    """Its schedule's landmarks, and where the noise begins and ends."""
    return [*landmarks_of(p["schedule"], end), p["begin"], *([] if p["end"] is None else [p["end"]])]


def _noise_floor(p, floor_of, bound_of):
    # The schedule's value times 1 + d, |d| <= pct.
    lo, hi, pct = floor_of(p["schedule"]), bound_of(p["schedule"]), float(p["pct"])
    return min(lo * (1.0 - pct), lo * (1.0 + pct), hi * (1.0 - pct), hi * (1.0 + pct))


@register(_noise, children={"schedule": "one"}, bound=_noise_bound, landmarks=_noise_landmarks, floor=_noise_floor)
def noise(schedule, pct=0.67, std=1.0, seed=42, distribution="normal", begin=0, end=None) -> Params:
    r"""A schedule times ``1 + n(k)``, with ``n(k)`` a deterministic pseudo-random draw per step.

    .. math:: \eta(k) = s(k)\,\big(1 + n(k)\big) \quad (b \le k < e), \qquad s(k) \text{ elsewhere}

    ``n(k)`` comes from a uniform :math:`u(k) \in (0, 1)`, a counter-based hash of ``(seed, k)``
    (30 bits, in integer operations that give the same bits on every backend and integer dtype):
    :math:`n = (2u - 1)\,c` (``uniform``), or :math:`n = \sigma z` with :math:`z` the normal
    quantile of :math:`u`, truncated to :math:`|z| \le c/\sigma` (``normal``: the distribution of
    timm's draws, which resample until :math:`|n| < c`). Where :math:`c/\sigma < 2^{-26}` that
    truncated normal is the uniform draw to within a rounding of float64, and is drawn as one. A
    pure function of the step: the same noise at the same step, cold, after a checkpoint or in an
    array of steps.

    Args:
        schedule: the schedule :math:`s`.
        pct: the limit :math:`0 < c \le 1` of :math:`|n|` (timm ``noise_pct``).
        std: :math:`\sigma > 0`, the normal draw's standard deviation before truncation (timm
            ``noise_std``); only for ``distribution="normal"``.
        seed: an integer in [0, 2**64 - 1] (timm ``noise_seed``).
        distribution: ``"normal"`` or ``"uniform"`` (timm ``noise_type``).
        begin: :math:`b \ge 0`, the first step with noise.
        end: the first step without noise again, :math:`e > b`; ``None``: never (timm
            ``noise_range_t``: ``b`` or ``(b, e)``).

    Example:
        >>> import lrcore
        >>> s = lrcore.noise(lrcore.constant(1.0), pct=0.1, distribution="uniform", begin=10)
        >>> print(float(s(5)), 0.9 <= float(s(50)) <= 1.1)
        1.0 True

    Peer: timm's scheduler noise (``noise_range_t``, ``noise_pct``, ``noise_std``, ``noise_seed``,
    ``noise_type``), with its own generator: timm seeds a ``torch.Generator`` with ``seed + t``,
    which no array operation reproduces, so the draws differ while their distribution is the same.
    """
    pct = check.positive("pct", pct)
    check.at_most("pct", pct, 1.0, "a draw below -1 would flip the value's sign")
    distribution = check.choice("distribution", distribution, ("normal", "uniform"))
    std = check.positive("std", std)
    check.only_with("std", std, 1.0, "distribution", distribution, "normal")
    begin = check.phase("begin", begin)
    if end is not None:
        end = check.length("end", end)
        check.greater("end", end, "begin", begin)
    return {
        "schedule": as_schedule("schedule", schedule),
        "pct": pct,
        "std": std,
        "seed": check.integer("seed", seed, minimum=0, maximum=2**64 - 1),
        "distribution": distribution,
        "begin": begin,
        "end": end,
    }
