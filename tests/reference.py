"""An independent, slow, obviously-correct implementation of every lrcore schedule.

Written from the formulas of API.md (and, for ``onecycle`` and ``cyclic``, from the source of torch's
``OneCycleLR`` and ``CyclicLR``), not from lrcore. Plain Python, one step at a time:

- every landmark decision (which piece, which cycle, which staircase step, which phase) is made on
  Python integers or exact :class:`fractions.Fraction` values;
- every value is computed with :mod:`mpmath` at 50 significant digits from the float64 parameters
  taken exactly, so the result is the exact real value far beyond float64.

Entry points: :func:`value` (``name, params, step``) and :func:`value_of` (a ``Schedule.to_dict()``
dict and a step), both returning an ``mpmath.mpf``; :func:`values_of` gives float64 NumPy values
for a list of steps; :func:`restart_starts` gives the exact cycle starts of ``cosine_restart``.
"""

from __future__ import annotations

import bisect
import functools
import json
from fractions import Fraction

import mpmath
import numpy as np

mpmath.mp.dps = 50
mpf = mpmath.mpf


def exact(x) -> mpmath.mpf:
    """A float, int or Fraction as an mpf (floats and ints exactly; fractions to 50 digits)."""
    if isinstance(x, Fraction):
        # Through a ~256-bit integer quotient: huge numerators and denominators (restart tables
        # carry period_mul**i exactly) are slow to turn into mpf directly.
        n, d = x.numerator, x.denominator
        shift = 256 - (abs(n).bit_length() - d.bit_length())
        mant = (n << shift) // d if shift >= 0 else n // (d << -shift)
        return mpmath.ldexp(mpf(mant), -shift)
    if isinstance(x, (bool,)):
        raise TypeError(x)
    return mpf(x)  # exact for Python floats and ints


def ceil_fraction(q: Fraction) -> int:
    return -((-q.numerator) // q.denominator)


# -- the schedules ------------------------------------------------------------------------------


def _constant(k, p):
    return exact(p["value"])


def _linear(k, p):
    t = Fraction(k - p.get("transition_begin", 0), p["transition_steps"])
    t = min(max(t, Fraction(0)), Fraction(1))
    v0, v1 = exact(p["init_value"]), exact(p["end_value"])
    return v0 + (v1 - v0) * exact(t)


def _exponential_decay(k, p):
    q = Fraction(max(k - p.get("transition_begin", 0), 0), p["decay_steps"])
    if p.get("staircase", False):
        q = Fraction(q.numerator // q.denominator)
    rate = p["decay_rate"]
    v = exact(p["init_value"]) * exact(rate) ** exact(q)
    end = p.get("end_value")
    if end is not None:
        if rate < 1:
            v = max(v, exact(end))
        elif rate > 1:
            v = min(v, exact(end))
    return v


def _piecewise_constant(k, p):
    i = 0
    for b in p["boundaries"]:
        if b <= k:
            i += 1
    return exact(p["values"][i])


def _piecewise_linear(k, p):
    b, v = list(p["boundaries"]), list(p["values"])
    if k <= b[0]:
        return exact(v[0])
    if k >= b[-1]:
        return exact(v[-1])
    i = 1
    while not (b[i - 1] <= k < b[i]):
        i += 1
    w = Fraction(k - b[i - 1], b[i] - b[i - 1])
    return exact(v[i - 1]) + (exact(v[i]) - exact(v[i - 1])) * exact(w)


def _polynomial_decay(k, p):
    d = p["decay_steps"]
    j = max(k - p.get("transition_begin", 0), 0)
    if p.get("cycle", False):
        span = d * max(ceil_fraction(Fraction(j, d)), 1)
    else:
        j, span = min(j, d), d
    rest = exact(1 - Fraction(j, span))
    v0, v1 = exact(p["init_value"]), exact(p["end_value"])
    return (v0 - v1) * rest ** exact(p.get("power", 1.0)) + v1


def _inverse_time_decay(k, p):
    q = Fraction(k, p["decay_steps"])
    if p.get("staircase", False):
        q = Fraction(q.numerator // q.denominator)
    return exact(p["init_value"]) / (1 + exact(p["decay_rate"]) * exact(q))


def _half_cos(q: Fraction):
    """½(1 + cos(π q)) for an exact q."""
    return (1 + mpmath.cos(mpmath.pi * exact(q))) / 2


def _cosine_decay(k, p):
    d = p["decay_steps"]
    w = _half_cos(Fraction(min(k, d), d)) ** exact(p.get("exponent", 1.0))
    v0, v1 = exact(p["init_value"]), exact(p.get("end_value", 0.0))
    return v1 + (v0 - v1) * w


def _warmup_cosine_decay(k, p):
    w = p["warmup_steps"]
    if k < w:
        v0, peak = exact(p["init_value"]), exact(p["peak_value"])
        return v0 + (peak - v0) * exact(Fraction(k, w))
    return _cosine_decay(
        k - w,
        {
            "init_value": p["peak_value"],
            "decay_steps": p["decay_steps"] - w,
            "end_value": p.get("end_value", 0.0),
            "exponent": p.get("exponent", 1.0),
        },
    )


@functools.lru_cache(maxsize=None)
def _cycles(first_period: int, period_mul: float):
    """A growing list of (S_i, T_i) with exact Fractions, extended on demand by a plain loop."""
    return {"starts": [0], "periods": [Fraction(first_period)], "mul": Fraction(period_mul), "mpf": {}}


def _cycle_lengths(c, i: int, warmup_steps: int):
    """(T_i, W_i) as exact Fractions and as mpf (cached: the Fractions grow with i)."""
    key = (i, warmup_steps)
    if key not in c["mpf"]:
        period = c["periods"][i]
        warm = period * warmup_steps / c["periods"][0]
        c["mpf"][key] = (period, warm, ceil_fraction(period), exact(period), exact(warm))
    return c["mpf"][key]


def restart_starts(first_period: int, period_mul: float, max_step: int) -> list[int]:
    """The exact cycle starts S_i = L_0 + ... + L_{i-1}, L_i = ceil(first_period * period_mul**i),
    for every cycle that starts at or before ``max_step`` (period_mul > 1)."""
    if period_mul == 1.0:
        raise ValueError("period_mul = 1 has a start every first_period steps")
    c = _extend_cycles(int(first_period), float(period_mul), max_step)
    return [s for s in c["starts"] if s <= max_step]


def _extend_cycles(first_period: int, period_mul: float, max_step: int):
    c = _cycles(first_period, period_mul)
    starts, periods = c["starts"], c["periods"]
    while starts[-1] <= max_step:
        t = periods[-1]
        starts.append(starts[-1] + ceil_fraction(t))
        periods.append(t * c["mul"])
    return c


def _cosine_restart(k, p):
    t0, m, w = p["first_period"], p.get("period_mul", 1.0), p.get("warmup_steps", 0)
    if m == 1.0:
        i = k // t0  # every cycle is exactly t0 whole steps long
        start, period, warm, length = i * t0, Fraction(t0), Fraction(w), t0
        period_f, warm_f = exact(period), exact(warm)
    else:
        c = _extend_cycles(int(t0), float(m), k)
        i = bisect.bisect_right(c["starts"], k) - 1
        start = c["starts"][i]
        period, warm, length, period_f, warm_f = _cycle_lengths(c, i, w)
        assert c["starts"][i + 1] - start == length
    t = k - start
    assert 0 <= t < length
    end = exact(p.get("end_value", 0.0))
    top = exact(p["peak_value"]) * exact(p.get("peak_mul", 1.0)) ** i
    if t < warm:  # decided exactly
        return end + (top - end) * (t / warm_f)
    # T_i and W_i to 50 digits: t - W_i and T_i - W_i keep > 25 digits for any step < 2**64.
    return end + (top - end) * (1 + mpmath.cos(mpmath.pi * (t - warm_f) / (period_f - warm_f))) / 2


def _onecycle_phase_ends(p):
    """The phase ends and level names exactly as torch's OneCycleLR builds them (float64)."""
    total, pct = p["total_steps"], p.get("pct_start", 0.3)
    if p.get("three_phase", False):
        return [
            (float(pct * total) - 1, "initial", "peak"),
            (float(2 * pct * total) - 2, "peak", "initial"),
            (total - 1, "initial", "minimum"),
        ]
    return [(float(pct * total) - 1, "initial", "peak"), (total - 1, "peak", "minimum")]


def _onecycle(k, p):
    total = p["total_steps"]
    k = min(k, total - 1)  # torch stops at the end; lrcore holds the value of step total - 1
    peak = exact(p["peak_value"])
    initial = peak / exact(p.get("div_factor", 25.0))
    levels = {"peak": peak, "initial": initial, "minimum": initial / exact(p.get("final_div_factor", 1e4))}
    phases = _onecycle_phase_ends(p)
    start_step = Fraction(0)
    for idx, (end_step, a, b) in enumerate(phases):
        end_step = Fraction(end_step)  # the float64 value, exactly
        if k <= end_step or idx == len(phases) - 1:
            pct = (k - start_step) / (end_step - start_step)  # ZeroDivisionError where torch has one
            start, stop = levels[a], levels[b]
            if p.get("anneal", "cos") == "cos":
                return stop + (start - stop) / 2 * (mpmath.cos(mpmath.pi * exact(pct)) + 1)
            return (stop - start) * exact(pct) + start
        start_step = end_step
    raise AssertionError("unreachable")


def _cyclic(k, p):
    up = p["step_size_up"]
    down = p.get("step_size_down") or up
    total = up + down
    cycle = k // total  # torch: floor(1 + k/total) - 1
    r = k - cycle * total
    if r <= up:  # torch: x = r/total <= step_ratio = up/total
        h = Fraction(r, up)
    else:
        h = Fraction(total - r, down)
    mode = p.get("mode", "triangular")
    if mode == "triangular":
        s = mpf(1)
    elif mode == "triangular2":
        s = mpf(1) / mpf(2) ** cycle
    else:
        s = exact(p.get("gamma", 1.0)) ** k
    base, top = exact(p["base_value"]), exact(p["max_value"])
    return base + (top - base) * exact(h) * s


def _inverse_sqrt(k, p):
    w = p["warmup_steps"]
    tau = p.get("timescale")
    if tau is None:
        tau = w if w else 10_000
    peak = exact(p["peak_value"])
    if k < w:
        return peak * exact(Fraction(k, w))
    return peak / mpmath.sqrt(exact(Fraction(k + tau - w, tau)))


def _wsd_rise(a: Fraction, shape: str):
    if shape == "linear":
        return exact(a)
    if shape == "cosine":
        return (1 - mpmath.cos(mpmath.pi * exact(a))) / 2
    return 1 - mpmath.sqrt(exact(1 - a))


def _wsd_fall(x: Fraction, shape: str):
    if shape == "linear":
        return exact(1 - x)
    if shape == "cosine":
        return (1 + mpmath.cos(mpmath.pi * exact(x))) / 2
    return 1 - mpmath.sqrt(exact(x))


def _warmup_stable_decay(k, p):
    w, s, d = p["warmup_steps"], p["stable_steps"], p["decay_steps"]
    peak, end = exact(p["peak_value"]), exact(p.get("end_value", 0.0))
    init = p.get("init_value")
    init = end if init is None else exact(init)
    if k < w:
        return init + (peak - init) * _wsd_rise(Fraction(k, w), p.get("warmup_shape", "linear"))
    x = min(max(Fraction(k - w - s, d), Fraction(0)), Fraction(1))
    return end + (peak - end) * _wsd_fall(x, p.get("decay_shape", "linear"))


def _ema_decay(k, p):
    return min(exact(p["decay"]), exact(Fraction(1 + k, 10 + k)))


def _join(k, p):
    schedules, boundaries = p["schedules"], p["boundaries"]
    i = 0
    for b in boundaries:
        if b <= k:
            i += 1
    shift = boundaries[i - 1] if i else 0
    return value_of(schedules[i], k - shift)


def _warmup(k, p):
    w = p["warmup_steps"]
    if k < w:
        v0 = exact(p.get("init_value", 0.0))
        return v0 + (value_of(p["schedule"], 0) - v0) * exact(Fraction(k, w))
    return value_of(p["schedule"], k - w)


def _scale(k, p):
    return exact(p["factor"]) * value_of(p["schedule"], k)


def _clip(k, p):
    v = value_of(p["schedule"], k)
    if p.get("min_value") is not None:
        v = max(v, exact(p["min_value"]))
    if p.get("max_value") is not None:
        v = min(v, exact(p["max_value"]))
    return v


def _multiply(k, p):
    out = mpf(1)
    for s in p["schedules"]:
        out *= value_of(s, k)
    return out


SCHEDULES = {
    "constant": _constant,
    "linear": _linear,
    "exponential_decay": _exponential_decay,
    "piecewise_constant": _piecewise_constant,
    "piecewise_linear": _piecewise_linear,
    "polynomial_decay": _polynomial_decay,
    "inverse_time_decay": _inverse_time_decay,
    "cosine_decay": _cosine_decay,
    "warmup_cosine_decay": _warmup_cosine_decay,
    "cosine_restart": _cosine_restart,
    "onecycle": _onecycle,
    "cyclic": _cyclic,
    "inverse_sqrt": _inverse_sqrt,
    "warmup_stable_decay": _warmup_stable_decay,
    "ema_decay": _ema_decay,
    "join": _join,
    "warmup": _warmup,
    "scale": _scale,
    "clip": _clip,
    "multiply": _multiply,
}


def value(name: str, params: dict, step: int) -> mpmath.mpf:
    """The exact value of schedule ``name`` with ``params`` at integer ``step`` (negative = 0)."""
    return SCHEDULES[name](max(int(step), 0), params)


def value_of(d: dict, step: int) -> mpmath.mpf:
    """The exact value of a ``Schedule.to_dict()`` dict at integer ``step``."""
    return value(d["name"], d["params"], step)


@functools.lru_cache(maxsize=4096)
def _values_cached(key: str, steps: tuple) -> np.ndarray:
    d = json.loads(key)
    out = np.array([float(value_of(d, k)) for k in steps], dtype=np.float64)
    out.setflags(write=False)
    return out


def values_of(d: dict, steps) -> np.ndarray:
    """float64 values (each correctly rounded from the exact value) of ``d`` at ``steps``."""
    steps = np.asarray(steps)
    flat = tuple(int(k) for k in steps.ravel())
    return _values_cached(json.dumps(d, sort_keys=True), flat).reshape(steps.shape)


__all__ = ["value", "value_of", "values_of", "restart_starts", "exact", "ceil_fraction"]
