"""The tests' one table of schedules: for every registered schedule, what it must compute and how.

Each entry of :data:`TABLE`, keyed by the schedule's registered name, holds:

- ``reference``: the exact value at an integer step, ``reference(k, params) -> mpmath.mpf``, from an
  independent, slow, obviously-correct implementation written from the formulas of the catalog
  (``docs/catalog/``; for ``onecycle`` and ``cyclic``, also from the source of torch's ``OneCycleLR``
  and ``CyclicLR``), never from lrcore: every landmark decision (which piece, which cycle, which
  staircase step, which phase) is made on Python integers or exact :class:`fractions.Fraction`
  values, every value is computed with :mod:`mpmath` at 50 significant digits from the float64
  parameters taken exactly;
- ``examples``: ``(label, schedule, landmarks)`` configurations; every backend and adapter test
  evaluates them around their landmark steps (boundaries, phase ends, restarts, the last step).
  A label is unique, begins with the schedule's name or the entry's ``short`` form and says what
  the configuration exercises (``exp-staircase-floor``: a staircase decay held at its floor; a
  ``-keywords`` suffix: built with every argument named). Tests parametrized by labels take
  :func:`case_id` as their ids, which always carry the schedule's full name, so that
  ``pytest -k <name>`` selects every test of a schedule;
- ``huge``: optionally, ``H -> {label: (schedule, landmarks)}`` with landmarks near the huge step
  ``H`` (the precision tests);
- ``valid``, ``levels``, ``lengths``, ``phases``, ``flags``, ``choices``, ``bad``: the validation
  tests' valid baseline arguments, the parameters that follow the uniform rules, and the specific
  bad cases ``(overrides, exception, parameter named, value shown)``;
- ``plot``: the docs picture, ``(title, [schedules], steps, log scale)`` (``docs/gen_plots.py``);
- ``strategy``: optionally, for a schedule a hypothesis strategy of its keyword arguments (without
  one, the property tests draw from its examples), for a combinator a function of the children's
  strategy giving built schedules (required for a combinator); ``tests/strategies.py`` holds those
  of the built-in schedules;
- ``short``: optionally, the short form the example labels begin with (``"pc"`` for
  ``piecewise_constant``); without one, they begin with the schedule's name.

Adding a schedule adds one entry here (see CONTRIBUTING.md); :func:`coverage_problems` (run by
``tests/test_reference_values.py``) fails while a registered schedule has none.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from fractions import Fraction
from typing import Any, Callable

import mpmath

import lrcore as L
from lrcore.schedule import REGISTRY

mpmath.mp.dps = 50
mpf = mpmath.mpf
NAN, INF = float("nan"), float("inf")
C = L.constant(1.0)
#: What a combinator of a list of schedules (multiply, add) refuses.
SCHEDULE_LIST_BAD = [
    ({"schedules": []}, ValueError, "schedules", []),
    ({"schedules": C}, TypeError, "schedules", C),
    ({"schedules": [C, 0.5]}, TypeError, "schedules[1]", 0.5),
    ({"schedules": "constant"}, TypeError, "schedules", "constant"),
]


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


def stairs(start: int, width: int, count: int) -> list[int]:
    """Landmarks ``start + j·width`` for ``j < count``."""
    return [start + j * width for j in range(count)]


def value_of(d: dict, step: int) -> mpmath.mpf:
    """The exact value of a ``Schedule.to_dict()`` dict at integer ``step`` (negative = 0)."""
    return TABLE[d["name"]].reference(max(int(step), 0), d["params"])


# -- the table -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Entry:
    """Everything the tests know about one schedule (see the module docstring)."""

    reference: Callable[[int, dict], Any]
    examples: list[tuple[str, L.Schedule, list[int]]]
    valid: dict
    plot: tuple[str, list[L.Schedule], int, bool]
    huge: Callable[[int], dict] | None = None
    levels: list[str] = dataclasses.field(default_factory=list)
    lengths: list[str] = dataclasses.field(default_factory=list)
    phases: list[str] = dataclasses.field(default_factory=list)
    flags: list[str] = dataclasses.field(default_factory=list)
    choices: list[str] = dataclasses.field(default_factory=list)
    bad: list[tuple[dict, type, str, Any]] = dataclasses.field(default_factory=list)
    strategy: Any = None
    #: What the example labels begin with: the schedule's name, or this short form (``"pc"``).
    short: str | None = None


# -- the schedules ------------------------------------------------------------------------------


def _constant(k, p):
    return exact(p["value"])


def _linear(k, p):
    t = Fraction(k - p.get("transition_begin", 0), p["transition_steps"])
    t = min(max(t, Fraction(0)), Fraction(1))
    v0, v1 = exact(p["init_value"]), exact(p["end_value"])
    return v0 + (v1 - v0) * exact(t)


def _exponential_decay(k, p):
    q = Fraction(max(k - p.get("transition_begin", 0), 0)) / Fraction(p["decay_steps"])  # a float period exactly
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
    k = k * p.get("speed", 1)  # speed units of decay_steps per step
    if p.get("periodic", False):
        j = k % (2 * d)  # up for d steps, back down for d steps
        j = min(j, 2 * d - j)
    else:
        j = min(k, d)
    kd = p.get("k_decay", 1.0)
    if kd == 1.0:
        c = _half_cos(Fraction(j, d))
    else:
        c = (1 + mpmath.cos(mpmath.pi * exact(Fraction(j, d)) ** exact(kd))) / 2
    w = c ** exact(p.get("exponent", 1.0))
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


@functools.lru_cache(maxsize=None)
def _real_cycles(first_period: int, period_mul: float):
    """The real cycle starts S_i = T_0 + T_0·m + ... + T_0·m**(i-1), exact Fractions, extended on
    demand (cycles that keep their real lengths: ``whole_periods=False``)."""
    return [Fraction(0)]


def _real_cycle(k: int, first_period: int, period_mul: float):
    """(i, S_i, T_i) of the real cycle holding step ``k``: the last S_i <= k."""
    starts, mul = _real_cycles(first_period, period_mul), Fraction(period_mul)
    while starts[-1] <= k:
        starts.append(starts[-1] + first_period * mul ** (len(starts) - 1))
    i = bisect.bisect_right(starts, k) - 1
    return i, starts[i], first_period * mul**i


def _cosine_restart(k, p):
    t0, m, w = p["first_period"], p.get("period_mul", 1.0), p.get("warmup_steps", 0)
    kd, limit = p.get("k_decay", 1.0), p.get("cycle_limit")
    end = exact(p.get("end_value", 0.0))
    if m != 1.0 and not p.get("whole_periods", True):
        i, start, period = _real_cycle(k, int(t0), float(m))
        if limit is not None and i >= limit:
            return end
        t, warm = k - start, period * w / t0  # exact Fractions
        top = exact(p["peak_value"]) * exact(p.get("peak_mul", 1.0)) ** i
        if t < warm:
            return end + (top - end) * exact(t / warm)
        x = exact((t - warm) / (period - warm)) ** exact(kd)
        return end + (top - end) * (1 + mpmath.cos(mpmath.pi * x)) / 2
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
    if limit is not None and i >= limit:
        return end
    t = k - start
    assert 0 <= t < length
    top = exact(p["peak_value"]) * exact(p.get("peak_mul", 1.0)) ** i
    if t < warm:  # decided exactly
        return end + (top - end) * (t / warm_f)
    # T_i and W_i to 50 digits: t - W_i and T_i - W_i keep > 25 digits for any step < 2**64.
    x = (t - warm_f) / (period_f - warm_f)
    if kd != 1.0:
        x = x ** exact(kd)
    return end + (top - end) * (1 + mpmath.cos(mpmath.pi * x)) / 2


def real_restarts(first_period: int, period_mul: float, max_step: int) -> list[int]:
    """The restart steps ceil(S_i) of cycles that keep their real lengths, up to ``max_step``."""
    _real_cycle(max_step, int(first_period), float(period_mul))
    return [ceil_fraction(s) for s in _real_cycles(int(first_period), float(period_mul)) if s <= max_step]


def _tanh_decay(k, p):
    d = p["decay_steps"]
    v0, v1 = exact(p["peak_value"]), exact(p.get("end_value", 0.0))
    if k >= d:
        return v1
    lower, upper = exact(p.get("lower", -7.0)), exact(p.get("upper", 3.0))
    z = lower + (upper - lower) * exact(Fraction(k, d))
    return v1 + (v0 - v1) * (1 - mpmath.tanh(z)) / 2


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
    if p.get("final_value") is not None:
        levels["minimum"] = exact(p["final_value"])
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


def _onecycle_momentum(k, p):
    """torch OneCycleLR's momentum (cycle_momentum=True): its phases, levels max -> base -> max (-> max)."""
    total = p["total_steps"]
    k = min(k, total - 1)
    hi, lo = exact(p.get("max_momentum", 0.95)), exact(p.get("base_momentum", 0.85))
    pct = p.get("pct_start", 0.3)
    if p.get("three_phase", False):
        phases = [(float(pct * total) - 1, hi, lo), (float(2 * pct * total) - 2, lo, hi), (total - 1, hi, hi)]
    else:
        phases = [(float(pct * total) - 1, hi, lo), (total - 1, lo, hi)]
    start_step = Fraction(0)
    for idx, (end_step, start, stop) in enumerate(phases):
        end_step = Fraction(end_step)
        if k <= end_step or idx == len(phases) - 1:
            frac = exact((k - start_step) / (end_step - start_step))
            if p.get("anneal", "cos") == "cos":
                return stop + (start - stop) / 2 * (mpmath.cos(mpmath.pi * frac) + 1)
            return (stop - start) * frac + start
        start_step = end_step
    raise AssertionError("unreachable")


def _cyclic_momentum(k, p):
    """torch CyclicLR's momentum: max_momentum - (max_momentum - base_momentum)·h·s."""
    up = p["step_size_up"]
    down = p.get("step_size_down") or up
    total = up + down
    cycle = k // total
    r = k - cycle * total
    h = Fraction(r, up) if r <= up else Fraction(total - r, down)
    mode = p.get("mode", "triangular")
    if mode == "triangular":
        s = mpf(1)
    elif mode == "triangular2":
        s = mpf(1) / mpf(2) ** cycle
    else:
        s = exact(p.get("gamma", 1.0)) ** k
    hi, lo = exact(p.get("max_momentum", 0.9)), exact(p.get("base_momentum", 0.8))
    return hi - (hi - lo) * exact(h) * s


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


def _wsd_fall(x: Fraction, p: dict):
    shape = p.get("decay_shape", "linear")
    if shape == "linear":
        return exact(1 - x)
    if shape == "cosine":
        return (1 + mpmath.cos(mpmath.pi * exact(x))) / 2
    if shape == "power":
        return 1 - exact(x) ** exact(p.get("decay_power", 0.5))
    if shape == "exp":
        r = exact(p.get("decay_ratio", 0.1))
        return exact(1 - x) if r == 1 else (r ** exact(x) - r) / (1 - r)
    return 1 - mpmath.sqrt(exact(x))


def _warmup_stable_decay(k, p):
    w, s, d = p["warmup_steps"], p["stable_steps"], p["decay_steps"]
    peak, end = exact(p["peak_value"]), exact(p.get("end_value", 0.0))
    init = p.get("init_value")
    init = end if init is None else exact(init)
    if k < w:
        return init + (peak - init) * _wsd_rise(Fraction(k, w), p.get("warmup_shape", "linear"))
    top = peak
    power = p.get("stable_power", 0.0)
    if power:
        tau = p.get("stable_timescale") or w
        top = max(peak * exact(Fraction(tau + k - w, tau)) ** -exact(power), end)
    x = min(max(Fraction(k - w - s, d), Fraction(0)), Fraction(1))
    return end + (top - end) * _wsd_fall(x, p)


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
    # Delayed, the schedule starts at step W; overlaid (delay=False), it keeps its own steps.
    return value_of(p["schedule"], k - w if p.get("delay", True) else k)


def _shift(k, p):
    return value_of(p["schedule"], max(k + p["offset"], 0))


def _per_epoch(k, p):
    return value_of(p["schedule"], k // p["steps_per_epoch"])


def _stride(k, p):
    return value_of(p["schedule"], k * p["units_per_step"])


def _add(k, p):
    return mpmath.fsum([value_of(s, k) for s in p["schedules"]])


def _scale(k, p):
    return exact(p["factor"]) * value_of(p["schedule"], k)


def _multiply(k, p):
    out = mpf(1)
    for s in p["schedules"]:
        out *= value_of(s, k)
    return out


def _clip(k, p):
    v = value_of(p["schedule"], k)
    if p.get("min_value") is not None:
        v = max(v, exact(p["min_value"]))
    if p.get("max_value") is not None:
        v = min(v, exact(p["max_value"]))
    return v


TABLE: dict[str, Entry] = {
    "constant": Entry(
        reference=_constant,
        examples=[
            ("constant", L.constant(0.3), []),
            ("constant-negative", L.constant(-2.5), []),
            ("constant-keyword", L.constant(value=0.1), []),
        ],
        valid=dict(value=0.1),
        levels=["value"],
        plot=("constant(value=0.1)", [L.constant(0.1)], 100, False),
    ),
    "linear": Entry(
        reference=_linear,
        examples=[
            ("linear", L.linear(1.0, 0.1, transition_steps=10), [10]),
            ("linear-begin", L.linear(0.0, 1.0, transition_steps=13, transition_begin=7), [7, 20]),
            ("linear-one-step", L.linear(1.0, 3.0, transition_steps=1, transition_begin=2), [2, 3]),
            ("linear-flat", L.linear(0.5, 0.5, transition_steps=4), [4]),
            ("linear-down-begin", L.linear(init_value=1.0, end_value=0.1, transition_steps=97, transition_begin=13), [13, 110]),
            ("linear-down-begin-keywords", L.linear(init_value=1.0, end_value=0.1, transition_steps=100, transition_begin=5), []),
            ("linear-up-keywords", L.linear(init_value=0.0, end_value=1.0, transition_steps=10), []),
        ],
        huge=lambda H: {
            "linear": (L.linear(1.0, 0.1, transition_steps=H - 1, transition_begin=H - 5), [H - 5, 2 * H - 6]),
        },
        valid=dict(init_value=0.0, end_value=1.0, transition_steps=10),
        levels=["init_value", "end_value"],
        lengths=["transition_steps"],
        phases=["transition_begin"],
        plot=(
            "linear(1.0, 0.1, transition_steps=60, transition_begin=20)",
            [L.linear(1.0, 0.1, transition_steps=60, transition_begin=20)],
            100,
            False,
        ),
    ),
    "exponential_decay": Entry(
        reference=_exponential_decay,
        short="exp",
        examples=[
            ("exp", L.exponential_decay(1.0, decay_steps=10, decay_rate=0.5), [10, 100]),
            ("exp-staircase", L.exponential_decay(2.0, 7, 0.3, staircase=True), [7, 14, 21, 70]),
            ("exp-staircase-begin-floor", L.exponential_decay(1.0, 5, 0.5, staircase=True, transition_begin=12, end_value=0.07), [12, 17, 22, 27, 32]),
            ("exp-floor", L.exponential_decay(1.0, 3, 0.9, end_value=0.2), [45]),
            ("exp-growth-ceiling", L.exponential_decay(0.01, 4, 1.7, end_value=1.0, transition_begin=3), [3, 38]),
            ("exp-rate-one", L.exponential_decay(0.4, 1, 1.0), []),
            ("exp-per-step", L.exponential_decay(1.0, 1, 0.97), []),
            ("exp-begin", L.exponential_decay(1.0, decay_steps=7, decay_rate=0.9, transition_begin=5), [5]),
            ("exp-staircase-floor", L.exponential_decay(1.0, decay_steps=7, decay_rate=0.5, staircase=True, end_value=0.01), [7, 14, 49]),
            ("exp-growth-ceiling-rate1.5", L.exponential_decay(0.01, decay_steps=10, decay_rate=1.5, end_value=1.0), [110, 114]),
            ("exp-staircase-floor-keywords", L.exponential_decay(init_value=1.0, decay_steps=10, decay_rate=0.5, staircase=True, end_value=0.01), []),
            ("exp-staircase-keywords", L.exponential_decay(init_value=1.0, decay_steps=10, decay_rate=0.5, staircase=True), []),
        ],
        huge=lambda H: {
            "exp": (L.exponential_decay(1.0, decay_steps=H // 8 + 1, decay_rate=0.5), [H // 8 + 1, H]),
            "exp-staircase": (L.exponential_decay(1.0, decay_steps=H // 1000 + 1, decay_rate=0.999, staircase=True), [j * (H // 1000 + 1) for j in (1, 2, 999, 1000, 1001, 1998, 1999)]),
            "exp-staircase-begin": (L.exponential_decay(1.0, 7, 0.9, staircase=True, transition_begin=H, end_value=1e-3), stairs(H, 7, 12)),
            "exp-staircase-wide": (L.exponential_decay(2.0, H // 3, 0.5, staircase=True, end_value=0.3), stairs(0, H // 3, 7)),
        },
        valid=dict(init_value=1.0, decay_steps=10, decay_rate=0.5),
        levels=["init_value"],
        phases=["transition_begin"],
        flags=["staircase"],
        bad=[
            ({"decay_rate": 0.0}, ValueError, "decay_rate", 0.0),
            ({"decay_rate": -0.5}, ValueError, "decay_rate", -0.5),
            ({"decay_rate": NAN}, ValueError, "decay_rate", NAN),
            ({"decay_rate": 0.5, "end_value": 2.0}, ValueError, "end_value", 2.0),
            ({"decay_rate": 2.0, "end_value": 0.5}, ValueError, "end_value", 0.5),
            ({"decay_rate": 2.0, "end_value": 1.0, "init_value": -1.0}, ValueError, "init_value", -1.0),
            ({"end_value": NAN}, ValueError, "end_value", NAN),
        ],
        plot=(
            "exponential_decay(1.0, decay_steps=20, decay_rate=0.5), smooth and staircase",
            [
                L.exponential_decay(1.0, decay_steps=20, decay_rate=0.5),
                L.exponential_decay(1.0, decay_steps=20, decay_rate=0.5, staircase=True),
            ],
            100,
            False,
        ),
    ),
    "piecewise_constant": Entry(
        reference=_piecewise_constant,
        short="pc",
        examples=[
            ("pc", L.piecewise_constant([10, 20, 50], [1.0, 0.1, 0.01, 0.001]), [10, 20, 50]),
            ("pc-zero-boundary", L.piecewise_constant([0, 1, 2], [5.0, 4.0, 3.0, 2.0]), [0, 1, 2]),
            ("pc-no-boundary", L.piecewise_constant([], [0.7]), []),
            ("pc-increasing", L.piecewise_constant([3], [-1.0, 2.0]), [3]),
            ("pc-huge-boundaries", L.piecewise_constant([10, 50, 10**6, 2**40], [1.0, 0.5, 0.1, 0.05, 0.01]), [10, 50, 10**6, 2**40]),
            ("pc-tenfold-keywords", L.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.1, 0.01]), []),
            ("pc-keywords", L.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.5, 0.1]), []),
        ],
        huge=lambda H: {
            "pc": (L.piecewise_constant([17, H - 1, H, H + 3, 2 * H - 2], [1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125]), [17, H - 1, H, H + 3, 2 * H - 2]),
        },
        valid=dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
        bad=[
            ({"boundaries": [20, 10]}, ValueError, "boundaries", [20, 10]),
            ({"boundaries": [10, 10]}, ValueError, "boundaries", [10, 10]),
            ({"boundaries": [-1, 10]}, ValueError, "boundaries[0]", -1),
            ({"boundaries": [1.5, 10]}, ValueError, "boundaries[0]", 1.5),
            ({"boundaries": [True, 10]}, TypeError, "boundaries[0]", True),
            ({"boundaries": "10"}, TypeError, "boundaries", "10"),
            ({"boundaries": 10}, TypeError, "boundaries", 10),
            ({"values": [1.0, 0.5]}, ValueError, "values", [1.0, 0.5]),
            ({"values": [1.0, NAN, 0.1]}, ValueError, "values[1]", NAN),
            ({"values": [1.0, "x", 0.1]}, TypeError, "values[1]", "x"),
        ],
        plot=(
            "piecewise_constant([30, 60, 80], [1.0, 0.5, 0.1, 0.02])",
            [L.piecewise_constant([30, 60, 80], [1.0, 0.5, 0.1, 0.02])],
            100,
            False,
        ),
    ),
    "piecewise_linear": Entry(
        reference=_piecewise_linear,
        short="pl",
        examples=[
            ("pl", L.piecewise_linear([0, 10, 30], [0.0, 1.0, 0.2]), [0, 10, 30]),
            ("pl-late-start", L.piecewise_linear([5, 6, 40, 41], [0.3, 1.0, 0.1, 0.0]), [5, 6, 40, 41]),
            ("pl-single", L.piecewise_linear([17], [0.25]), [17]),
            ("pl-huge-boundary", L.piecewise_linear([0, 20, 150, 2**33], [0.0, 1.0, 0.2, 0.1]), [20, 150, 2**33]),
            ("pl-warmup-decay-keywords", L.piecewise_linear(boundaries=[0, 10, 20], values=[0.0, 1.0, 0.1]), []),
            ("pl-ramp-keywords", L.piecewise_linear(boundaries=[0, 10], values=[0.0, 1.0]), []),
        ],
        huge=lambda H: {
            "pl": (L.piecewise_linear([0, H + 3, 2 * H - 2], [0.1, 1.0, 0.3]), [H + 3, 2 * H - 2]),
        },
        valid=dict(boundaries=[0, 10], values=[0.0, 1.0]),
        bad=[
            ({"boundaries": [10, 0]}, ValueError, "boundaries", [10, 0]),
            ({"boundaries": [5, 5]}, ValueError, "boundaries", [5, 5]),
            ({"boundaries": [-5, 5]}, ValueError, "boundaries[0]", -5),
            ({"values": [0.0]}, ValueError, "values", [0.0]),
            ({"values": [0.0, INF]}, ValueError, "values[1]", INF),
            ({"boundaries": [], "values": []}, ValueError, "boundaries", []),
        ],
        plot=(
            "piecewise_linear([10, 40, 90], [0.0, 1.0, 0.1])",
            [L.piecewise_linear([10, 40, 90], [0.0, 1.0, 0.1])],
            100,
            False,
        ),
    ),
    "polynomial_decay": Entry(
        reference=_polynomial_decay,
        short="poly",
        examples=[
            ("poly", L.polynomial_decay(1.0, 0.1, decay_steps=20), [20]),
            ("poly-power2", L.polynomial_decay(1.0, 0.0, 25, power=2.0), [25]),
            ("poly-sqrt-begin", L.polynomial_decay(0.5, 0.05, 30, power=0.5, transition_begin=9), [9, 39]),
            ("poly-power0", L.polynomial_decay(1.0, 0.2, 10, power=0.0), [10]),
            ("poly-cycle", L.polynomial_decay(1.0, 0.1, 10, power=2.0, cycle=True), [10, 20, 30, 40]),
            ("poly-cycle-begin", L.polynomial_decay(1.0, 0.1, 7, cycle=True, transition_begin=4), [4, 11, 18, 25]),
            ("poly-cycle-one", L.polynomial_decay(1.0, 0.1, 1, power=1.5, cycle=True), [1, 2, 3]),
            ("poly-power2-begin", L.polynomial_decay(1.0, 0.01, decay_steps=60, power=2.0, transition_begin=3), [63]),
            ("poly-cycle-sqrt", L.polynomial_decay(1.0, 0.1, decay_steps=30, power=0.5, cycle=True), [30, 60]),
            ("poly-cycle-keywords", L.polynomial_decay(init_value=1.0, end_value=0.1, decay_steps=50, power=2.0, cycle=True), []),
            ("poly-cycle-to-zero-keywords", L.polynomial_decay(init_value=1.0, end_value=0.0, decay_steps=10, power=2.0, cycle=True), []),
        ],
        huge=lambda H: {
            "poly": (L.polynomial_decay(1.0, 0.01, H + 1, power=2.0, transition_begin=H // 2 + 7), [H // 2 + 7, H + H // 2 + 8]),
            "poly-cycle": (L.polynomial_decay(1.0, 0.1, H // 2 + 3, cycle=True), stairs(0, H // 2 + 3, 4)),
        },
        valid=dict(init_value=1.0, end_value=0.0, decay_steps=10),
        levels=["init_value", "end_value"],
        lengths=["decay_steps"],
        phases=["transition_begin"],
        flags=["cycle"],
        bad=[
            ({"power": -1.0}, ValueError, "power", -1.0),
            ({"power": NAN}, ValueError, "power", NAN),
        ],
        plot=(
            "polynomial_decay(1.0, 0.1, decay_steps=40, power=2), cycle=False and True",
            [
                L.polynomial_decay(1.0, 0.1, decay_steps=40, power=2.0),
                L.polynomial_decay(1.0, 0.1, decay_steps=40, power=2.0, cycle=True),
            ],
            150,
            False,
        ),
    ),
    "inverse_time_decay": Entry(
        reference=_inverse_time_decay,
        short="inv-time",
        examples=[
            ("inv-time", L.inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5), []),
            ("inv-time-staircase", L.inverse_time_decay(0.3, 6, 2.0, staircase=True), [6, 12, 18]),
            ("inv-time-rate0", L.inverse_time_decay(0.3, 6, 0.0), []),
            ("inv-time-staircase-slow", L.inverse_time_decay(1.0, 10, 0.5, staircase=True), [10, 20]),
            ("inv-time-keywords", L.inverse_time_decay(init_value=1.0, decay_steps=10, decay_rate=0.5), []),
        ],
        huge=lambda H: {
            "inv-time-staircase": (L.inverse_time_decay(1.0, H // 4 + 1, 0.5, staircase=True), stairs(0, H // 4 + 1, 8)),
        },
        valid=dict(init_value=1.0, decay_steps=10, decay_rate=0.5),
        levels=["init_value"],
        lengths=["decay_steps"],
        flags=["staircase"],
        bad=[
            ({"decay_rate": -1.0}, ValueError, "decay_rate", -1.0),
            ({"decay_rate": INF}, ValueError, "decay_rate", INF),
        ],
        plot=(
            "inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5), smooth and staircase",
            [
                L.inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5),
                L.inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5, staircase=True),
            ],
            100,
            False,
        ),
    ),
    "cosine_decay": Entry(
        reference=_cosine_decay,
        short="cos",
        examples=[
            ("cos", L.cosine_decay(1.0, decay_steps=50), [25, 50]),
            ("cos-end-exp", L.cosine_decay(1.0, 40, end_value=0.1, exponent=2.0), [40]),
            ("cos-exp-half", L.cosine_decay(2.0, 33, end_value=0.5, exponent=0.5), [33]),
            ("cos-rising", L.cosine_decay(0.1, 20, end_value=1.0), [20]),
            ("cos-one-step", L.cosine_decay(1.0, 1, end_value=0.3), [1]),
            ("cos-end-exp1.5", L.cosine_decay(1.0, decay_steps=150, end_value=0.1, exponent=1.5), [150]),
            ("cos-end-exp-keywords", L.cosine_decay(init_value=1.0, decay_steps=100, end_value=0.1, exponent=2.0), []),
            ("cos-keywords", L.cosine_decay(init_value=1.0, decay_steps=10), []),
            # timm's k_decay: the position x becomes x**k
            ("cos-k2", L.cosine_decay(1.0, 40, end_value=0.1, k_decay=2.0), [40]),
            ("cos-k-half-exp-half", L.cosine_decay(2.0, 33, end_value=0.5, exponent=0.5, k_decay=0.5), [33]),
            ("cos-k7-one-step", L.cosine_decay(1.0, 1, end_value=0.3, k_decay=7.0), [1]),
            # periodic: torch CosineAnnealingLR past T_max, up again to init_value at 2T
            ("cos-periodic", L.cosine_decay(1.0, 10, end_value=0.1, periodic=True), [10, 20, 30, 40, 50]),
            ("cos-periodic-k3-exp2", L.cosine_decay(1.0, 7, periodic=True, k_decay=3.0, exponent=2.0), [7, 14, 21]),
            ("cos-periodic-one-step", L.cosine_decay(0.5, 1, end_value=0.1, periodic=True), [1, 2, 3]),
            ("cos-periodic-keywords", L.cosine_decay(init_value=1.0, decay_steps=25, periodic=True), []),
            # speed: falls of decay_steps / speed steps (transformers' num_cycles cosines)
            ("cos-speed-periodic", L.cosine_decay(1.0, 55, end_value=0.1, periodic=True, speed=2), [27, 28, 55, 83]),
            ("cos-speed-periodic-k-exp", L.cosine_decay(1.0, 20, periodic=True, speed=3, k_decay=2.0, exponent=2.0), [7, 14]),
            ("cos-speed", L.cosine_decay(2.0, 7, end_value=0.5, speed=3), [3]),
            ("cos-speed-past-end", L.cosine_decay(1.0, 3, speed=5), [1]),
            ("cos-speed-wide", L.cosine_decay(1.0, 2**30 - 1, end_value=0.1, periodic=True, speed=987654321), []),
            ("cos-speed-keywords", L.cosine_decay(init_value=1.0, decay_steps=25, periodic=True, speed=4), []),
        ],
        huge=lambda H: {
            "cos-speed-periodic": (L.cosine_decay(1.0, 2**30 - 1, end_value=0.1, periodic=True, speed=987654321), [H - 1]),
            "cos-speed": (L.cosine_decay(1.0, 2**30 - 1, end_value=0.1, speed=3), [H - 1]),
            "cos": (L.cosine_decay(1.0, 2 * H - 2, end_value=0.1), [H - 1, 2 * H - 2]),
            "cos-k1.5": (L.cosine_decay(1.0, 2 * H - 2, end_value=0.1, k_decay=1.5), [H - 1, 2 * H - 2]),
            "cos-periodic": (L.cosine_decay(1.0, H // 3 + 1, end_value=0.1, periodic=True), stairs(0, H // 3 + 1, 7)),
        },
        valid=dict(init_value=1.0, decay_steps=10),
        levels=["init_value", "end_value"],
        lengths=["decay_steps"],
        flags=["periodic"],
        bad=[
            ({"exponent": 0.0}, ValueError, "exponent", 0.0),
            ({"k_decay": 0.0}, ValueError, "k_decay", 0.0),
            ({"k_decay": -2.0}, ValueError, "k_decay", -2.0),
            ({"k_decay": NAN}, ValueError, "k_decay", NAN),
            ({"k_decay": INF}, ValueError, "k_decay", INF),
            ({"k_decay": True}, TypeError, "k_decay", True),
        ],
        plot=(
            "cosine_decay(1.0, decay_steps=80, end_value=0.1)",
            [L.cosine_decay(1.0, decay_steps=80, end_value=0.1)],
            100,
            False,
        ),
    ),
    "warmup_cosine_decay": Entry(
        reference=_warmup_cosine_decay,
        short="wcd",
        examples=[
            ("wcd", L.warmup_cosine_decay(0.0, 1.0, warmup_steps=10, decay_steps=60), [10, 60]),
            ("wcd-no-warmup", L.warmup_cosine_decay(0.0, 1.0, 0, 30, end_value=0.1), [30]),
            ("wcd-exp", L.warmup_cosine_decay(0.1, 1.0, 7, 40, end_value=0.05, exponent=1.5), [7, 40]),
            ("wcd-all-warmup", L.warmup_cosine_decay(0.2, 1.0, 19, 20, end_value=0.0), [19, 20]),
            ("wcd-end", L.warmup_cosine_decay(0.0, 1.0, warmup_steps=25, decay_steps=200, end_value=0.05), [25, 200]),
            ("wcd-keywords", L.warmup_cosine_decay(init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=100), []),
            ("wcd-short-keywords", L.warmup_cosine_decay(init_value=0.0, peak_value=1.0, warmup_steps=5, decay_steps=20), []),
        ],
        huge=lambda H: {
            "wcd": (L.warmup_cosine_decay(0.0, 1.0, H - 3, 2 * H - 5, end_value=0.01), [H - 3, 2 * H - 5]),
        },
        valid=dict(init_value=0.0, peak_value=1.0, warmup_steps=5, decay_steps=20),
        levels=["init_value", "peak_value", "end_value"],
        lengths=["decay_steps"],
        phases=["warmup_steps"],
        bad=[
            ({"warmup_steps": 20, "decay_steps": 20}, ValueError, "decay_steps", 20),
            ({"warmup_steps": 30, "decay_steps": 20}, ValueError, "decay_steps", 20),
            ({"exponent": -1.0}, ValueError, "exponent", -1.0),
        ],
        plot=(
            "warmup_cosine_decay(0.0, 1.0, warmup_steps=20, decay_steps=100)",
            [L.warmup_cosine_decay(0.0, 1.0, warmup_steps=20, decay_steps=100)],
            120,
            False,
        ),
    ),
    "cosine_restart": Entry(
        reference=_cosine_restart,
        short="sgdr",
        examples=[
            ("sgdr", L.cosine_restart(1.0, first_period=10), [10, 20, 30]),
            ("sgdr-m2", L.cosine_restart(1.0, 10, period_mul=2.0), [10, 30, 70, 150]),
            ("sgdr-m2-peak-end-warm", L.cosine_restart(1.0, 10, 2.0, peak_mul=0.5, end_value=0.1, warmup_steps=3), [3, 10, 16, 30, 42, 70]),
            ("sgdr-m1.5", L.cosine_restart(0.5, 7, 1.5, end_value=0.01), [7, 18, 34, 58, 94]),
            ("sgdr-awkward", L.cosine_restart(1.0, 3, 1.3333333, warmup_steps=1), [3, 7, 13, 20, 30, 43]),
            ("sgdr-first1", L.cosine_restart(1.0, 1, 1.25, peak_mul=0.9), [1, 3, 5, 7, 10]),
            ("sgdr-first1-m1", L.cosine_restart(0.3, 1), [1, 2]),
            ("sgdr-m1-warm", L.cosine_restart(1.0, 9, warmup_steps=4, peak_mul=0.8, end_value=0.2), [4, 9, 13, 18]),
            ("sgdr-far-restart", L.cosine_restart(1.0, first_period=37), [37, 74, 37 * 58040099]),
            ("sgdr-m1.5-peak-end-warm", L.cosine_restart(1.0, first_period=10, period_mul=1.5, peak_mul=0.9, end_value=0.01, warmup_steps=3), [10, 25, 48, 82]),
            ("sgdr-m2-peak-warm-keywords", L.cosine_restart(peak_value=1.0, first_period=10, period_mul=2.0, peak_mul=0.5, warmup_steps=3), []),
            # growing peaks (Keras' m_mul > 1)
            ("sgdr-growing-peak", L.cosine_restart(0.5, 10, 2.0, peak_mul=1.5, end_value=0.01, warmup_steps=3), [10, 30, 70, 150]),
            ("sgdr-m2-warm-keywords", L.cosine_restart(peak_value=1.0, first_period=10, period_mul=2.0, warmup_steps=2), []),
            # cycle_limit: end_value held from the start of that cycle on
            ("sgdr-m2-limit", L.cosine_restart(1.0, 10, 2.0, peak_mul=0.7, end_value=0.05, cycle_limit=3), [10, 30, 70]),
            ("sgdr-m1-warm-limit", L.cosine_restart(1.0, 9, warmup_steps=4, end_value=0.2, cycle_limit=2), [4, 9, 13, 18]),
            ("sgdr-m1-growing-limit", L.cosine_restart(0.1, 10, peak_mul=1.5, cycle_limit=4), [10, 20, 30, 40]),
            ("sgdr-m1-limit-one", L.cosine_restart(1.0, 1, peak_mul=0.5, cycle_limit=1), [1, 2]),
            # k_decay
            ("sgdr-m2-k2", L.cosine_restart(1.0, 10, 2.0, k_decay=2.0), [10, 30, 70]),
            ("sgdr-m1-k3-limit", L.cosine_restart(1.0, 12, peak_mul=0.8, k_decay=3.0, cycle_limit=5), [12, 24, 48, 60]),
            ("sgdr-m1.5-k-half-warm", L.cosine_restart(1.0, 10, 1.5, warmup_steps=3, k_decay=0.5), [3, 10, 15, 25, 48]),
            # real cycle lengths (Keras, timm): restarts at the first whole step at or past each boundary
            ("sgdr-real-m1.5", L.cosine_restart(0.4, 10, 1.5, whole_periods=False), real_restarts(10, 1.5, 400)),
            ("sgdr-real-m1.5-warm-limit", L.cosine_restart(1.0, 10, 1.5, peak_mul=0.9, end_value=0.01, warmup_steps=3, whole_periods=False, cycle_limit=4), real_restarts(10, 1.5, 100)),
            ("sgdr-real-awkward-warm", L.cosine_restart(1.0, 3, 1.3333333, warmup_steps=2, whole_periods=False), real_restarts(3, 1.3333333, 300)),
            ("sgdr-real-k-half", L.cosine_restart(1.0, 7, 1.25, end_value=0.1, k_decay=0.5, whole_periods=False), real_restarts(7, 1.25, 300)),
            ("sgdr-real-first1", L.cosine_restart(1.0, 1, 1.1, whole_periods=False, cycle_limit=30), real_restarts(1, 1.1, 200)),
            ("sgdr-real-keywords", L.cosine_restart(peak_value=1.0, first_period=4, period_mul=2.5, whole_periods=False, k_decay=2.0, cycle_limit=5), []),
        ],
        huge=lambda H: {
            "sgdr-m1": (L.cosine_restart(1.0, H // 2 + 7, warmup_steps=5), stairs(0, H // 2 + 7, 4)),
            "sgdr-m2": (L.cosine_restart(1.0, 3, 2.0, end_value=0.1), restart_starts(3, 2.0, 2 * H)[-3:]),
            "sgdr-m1.5-warm": (L.cosine_restart(1.0, 1000, 1.5, peak_mul=0.9, warmup_steps=100), restart_starts(1000, 1.5, 2 * H)[-3:]),
            "sgdr-real-m1.5-warm": (L.cosine_restart(1.0, 1000, 1.5, peak_mul=0.9, warmup_steps=100, whole_periods=False),
                                    real_restarts(1000, 1.5, 2 * H)[-3:]),
            "sgdr-real-m1.5-k2-limit": (L.cosine_restart(1.0, 7, 1.5, k_decay=2.0, whole_periods=False,
                                                         cycle_limit=len(real_restarts(7, 1.5, H)) - 1),
                                        real_restarts(7, 1.5, 2 * H)[-3:]),
            "sgdr-m1-limit": (L.cosine_restart(1.0, H // 2 + 7, cycle_limit=1), [H // 2 + 7]),
        },
        valid=dict(peak_value=1.0, first_period=10),
        levels=["peak_value", "end_value"],
        lengths=["first_period", "cycle_limit"],
        phases=["warmup_steps"],
        flags=["whole_periods"],
        bad=[
            ({"k_decay": 0.0}, ValueError, "k_decay", 0.0),
            ({"k_decay": NAN}, ValueError, "k_decay", NAN),
            ({"cycle_limit": 2**63}, ValueError, "cycle_limit", 2**63),
            ({"period_mul": 1.0 + 1e-9, "whole_periods": False}, ValueError, "period_mul", 1.0 + 1e-9),
            ({"peak_mul": 1.5, "cycle_limit": 2**40}, ValueError, "peak_mul", 1.5),
            ({"warmup_steps": 10}, ValueError, "warmup_steps", 10),
            ({"warmup_steps": 11}, ValueError, "warmup_steps", 11),
            ({"period_mul": 0.5}, ValueError, "period_mul", 0.5),
            ({"period_mul": NAN}, ValueError, "period_mul", NAN),
            ({"period_mul": 1.0 + 1e-9}, ValueError, "period_mul", 1.0 + 1e-9),
            ({"period_mul": "2"}, TypeError, "period_mul", "2"),
            ({"peak_mul": 0.0}, ValueError, "peak_mul", 0.0),
            ({"peak_mul": 1.5}, ValueError, "peak_mul", 1.5),  # period_mul=1: ~2**63/10 cycles
            ({"peak_mul": 1e-9 + 1.0}, ValueError, "peak_mul", 1e-9 + 1.0),
            ({"period_mul": 2.0, "peak_mul": 5.0}, ValueError, "peak_mul", 5.0),
            ({"period_mul": 2.0, "peak_mul": 4.0, "peak_value": 1e4}, ValueError, "peak_mul", 4.0),
            ({"peak_mul": True}, TypeError, "peak_mul", True),
        ],
        plot=(
            "cosine_restart(1.0, first_period=30, period_mul=1.25, peak_mul=0.8, warmup_steps=6)",
            [L.cosine_restart(1.0, first_period=30, period_mul=1.25, peak_mul=0.8, warmup_steps=6)],
            200,
            False,
        ),
    ),
    "tanh_decay": Entry(
        reference=_tanh_decay,
        short="tanh",
        examples=[
            ("tanh", L.tanh_decay(1.0, decay_steps=50), [50]),
            ("tanh-end", L.tanh_decay(0.4, 120, end_value=0.01), [120]),
            ("tanh-symmetric", L.tanh_decay(1.0, 101, lower=-1.0, upper=1.0), [50, 51, 101]),
            ("tanh-positive", L.tanh_decay(1.0, 30, end_value=0.2, lower=0.5, upper=4.0), [30]),
            ("tanh-negative", L.tanh_decay(2.0, 30, lower=-6.0, upper=-0.5), [30]),
            ("tanh-one-step", L.tanh_decay(1.0, 1, end_value=0.3), [1]),
            ("tanh-rising", L.tanh_decay(0.1, 40, end_value=1.0, lower=-3.0, upper=3.0), [20, 40]),
            ("tanh-steep", L.tanh_decay(1.0, 1000, lower=-400.0, upper=600.0), [399, 400, 401, 1000]),
            ("tanh-keywords", L.tanh_decay(peak_value=1.0, decay_steps=10, end_value=0.0, lower=-7.0, upper=3.0), []),
        ],
        huge=lambda H: {
            "tanh": (L.tanh_decay(1.0, 2 * H - 2, end_value=0.1), [H - 1, 2 * H - 2]),
            "tanh-crossing": (L.tanh_decay(1.0, 2 * H - 1, lower=-1.0, upper=1.0), [H - 1, H, 2 * H - 1]),
        },
        valid=dict(peak_value=1.0, decay_steps=10),
        levels=["peak_value", "end_value"],
        lengths=["decay_steps"],
        bad=[
            ({"lower": 3.0}, ValueError, "lower", 3.0),
            ({"lower": 1.0, "upper": -1.0}, ValueError, "lower", 1.0),
            ({"lower": NAN}, ValueError, "lower", NAN),
            ({"upper": INF}, ValueError, "upper", INF),
            ({"lower": -INF}, ValueError, "lower", -INF),
            ({"upper": True}, TypeError, "upper", True),
            ({"lower": "-7"}, TypeError, "lower", "-7"),
            ({"lower": -1e308, "upper": 1e308}, ValueError, "upper", 1e308),
        ],
        plot=(
            "tanh_decay(1.0, decay_steps=100, end_value=0.05), and with lower=-3.0, upper=3.0",
            [L.tanh_decay(1.0, 100, end_value=0.05), L.tanh_decay(1.0, 100, end_value=0.05, lower=-3.0, upper=3.0)],
            120,
            False,
        ),
    ),
    "onecycle": Entry(
        reference=_onecycle,
        examples=[
            ("onecycle", L.onecycle(1.0, total_steps=100), [29, 30, 99, 100]),
            ("onecycle-linear", L.onecycle(0.5, 80, pct_start=0.25, anneal="linear"), [19, 20, 79]),
            ("onecycle-three", L.onecycle(1.0, 100, three_phase=True), [29, 58, 99]),
            ("onecycle-three-odd", L.onecycle(1.0, 7, pct_start=0.5, three_phase=True, anneal="linear"), [2, 5, 6]),
            ("onecycle-pct0", L.onecycle(1.0, 50, pct_start=0.0, div_factor=10.0), [0, 49]),
            ("onecycle-pct1", L.onecycle(1.0, 50, pct_start=1.0, final_div_factor=100.0), [49]),
            ("onecycle-total1", L.onecycle(1.0, 1), [0]),
            ("onecycle-total2", L.onecycle(1.0, 2, pct_start=0.5 + 2**-40), [0, 1]),
            ("onecycle-three-long", L.onecycle(1.0, total_steps=300, three_phase=True), [89, 178, 299]),
            ("onecycle-linear-default-pct", L.onecycle(1.0, total_steps=250, anneal="linear"), [74, 249]),
            ("onecycle-three-keywords", L.onecycle(peak_value=1.0, total_steps=100, three_phase=True), []),
            ("onecycle-short-keywords", L.onecycle(peak_value=1.0, total_steps=30), []),
        ],
        huge=lambda H: {
            "onecycle": (L.onecycle(1.0, 2 * H - 1), [int(0.3 * (2 * H - 1)) - 1, int(0.3 * (2 * H - 1)), 2 * H - 2]),
            "onecycle-three": (L.onecycle(1.0, 2 * H - 1, pct_start=0.25, three_phase=True, anneal="linear"), [(2 * H - 1) // 4 - 1, (2 * H - 1) // 2 - 2, 2 * H - 2]),
        },
        valid=dict(peak_value=1.0, total_steps=100),
        levels=["peak_value"],
        lengths=["total_steps"],
        flags=["three_phase"],
        choices=["anneal"],
        bad=[
            ({"pct_start": -0.1}, ValueError, "pct_start", -0.1),
            ({"pct_start": 1.1}, ValueError, "pct_start", 1.1),
            ({"pct_start": NAN}, ValueError, "pct_start", NAN),
            ({"div_factor": 0.0}, ValueError, "div_factor", 0.0),
            ({"final_div_factor": -1.0}, ValueError, "final_div_factor", -1.0),
            ({"div_factor": INF}, ValueError, "div_factor", INF),
        ],
        plot=(
            "onecycle(1.0, total_steps=100), two and three phases",
            [L.onecycle(1.0, total_steps=100), L.onecycle(1.0, total_steps=100, three_phase=True)],
            110,
            False,
        ),
    ),
    "cyclic": Entry(
        reference=_cyclic,
        examples=[
            ("cyclic", L.cyclic(0.1, 1.0, step_size_up=10), [10, 20, 30]),
            ("cyclic-down", L.cyclic(0.1, 1.0, 4, step_size_down=9), [4, 13, 17, 26]),
            ("cyclic-tri2", L.cyclic(0.0, 1.0, 5, 3, mode="triangular2"), [5, 8, 13, 16, 24]),
            ("cyclic-exp", L.cyclic(0.01, 0.2, 6, mode="exp_range", gamma=0.98), [6, 12, 18]),
            ("cyclic-one", L.cyclic(0.3, 0.9, 1, mode="triangular2"), [1, 2]),
            ("cyclic-down-tri2", L.cyclic(0.1, 1.0, step_size_up=20, step_size_down=30, mode="triangular2"), [20, 50, 70]),
            ("cyclic-exp-slow", L.cyclic(0.1, 1.0, step_size_up=15, mode="exp_range", gamma=0.995), [15, 30]),
            ("cyclic-down-exp-keywords", L.cyclic(base_value=0.1, max_value=1.0, step_size_up=5, step_size_down=7, mode="exp_range", gamma=0.99), []),
            ("cyclic-tri2-keywords", L.cyclic(base_value=0.0, max_value=1.0, step_size_up=5, mode="triangular2"), []),
        ],
        huge=lambda H: {
            "cyclic": (L.cyclic(0.1, 1.0, H // 2 + 1, H // 4), stairs(0, H // 2 + 1, 2) + [H // 2 + 1 + H // 4]),
            "cyclic-tri2": (L.cyclic(0.0, 1.0, 5, 3, mode="triangular2"), [H // 8 * 8, H]),
            "cyclic-exp": (L.cyclic(0.01, 1.0, 1000, mode="exp_range", gamma=1.0 - 1.0 / H), [H // 2000 * 2000]),
        },
        valid=dict(base_value=0.0, max_value=1.0, step_size_up=10),
        levels=["base_value", "max_value"],
        lengths=["step_size_up", "step_size_down"],
        choices=["mode"],
        bad=[
            ({"mode": "exp_range", "gamma": 0.0}, ValueError, "gamma", 0.0),
            ({"mode": "exp_range", "gamma": 1.5}, ValueError, "gamma", 1.5),
            ({"mode": "triangular", "gamma": 0.9}, ValueError, "gamma", 0.9),
            ({"mode": "exp_range", "gamma": "0.9"}, TypeError, "gamma", "0.9"),
        ],
        plot=(
            "cyclic(0.1, 1.0, step_size_up=10, step_size_down=15), triangular and triangular2",
            [
                L.cyclic(0.1, 1.0, step_size_up=10, step_size_down=15),
                L.cyclic(0.1, 1.0, step_size_up=10, step_size_down=15, mode="triangular2"),
            ],
            100,
            False,
        ),
    ),
    "onecycle_momentum": Entry(
        reference=_onecycle_momentum,
        short="onecycle-mom",
        examples=[
            ("onecycle-mom", L.onecycle_momentum(100), [29, 30, 99, 100]),
            ("onecycle-mom-three", L.onecycle_momentum(57, 0.27, 0.8, 0.93, anneal="linear", three_phase=True), [14, 29, 56]),
            ("onecycle-mom-total1", L.onecycle_momentum(1), [0]),
            ("onecycle-mom-keywords", L.onecycle_momentum(total_steps=100, pct_start=0.25, base_momentum=0.8, max_momentum=0.95), []),
        ],
        huge=lambda H: {
            "onecycle-mom": (L.onecycle_momentum(2 * H - 1), [int(0.3 * (2 * H - 1)) - 1, 2 * H - 2]),
        },
        valid=dict(total_steps=100),
        levels=["base_momentum", "max_momentum"],
        lengths=["total_steps"],
        flags=["three_phase"],
        choices=["anneal"],
        bad=[({"pct_start": 1.1}, ValueError, "pct_start", 1.1)],
        plot=(
            "onecycle_momentum(total_steps=100), two and three phases",
            [L.onecycle_momentum(total_steps=100), L.onecycle_momentum(total_steps=100, three_phase=True)],
            110,
            False,
        ),
    ),
    "cyclic_momentum": Entry(
        reference=_cyclic_momentum,
        short="cyclic-mom",
        examples=[
            ("cyclic-mom", L.cyclic_momentum(10), [10, 20, 30]),
            ("cyclic-mom-tri2", L.cyclic_momentum(5, 3, 0.7, 0.95, mode="triangular2"), [5, 8, 13, 16, 24]),
            ("cyclic-mom-exp", L.cyclic_momentum(6, base_momentum=0.5, mode="exp_range", gamma=0.98), [6, 12, 18]),
            ("cyclic-mom-down-tri2-keywords", L.cyclic_momentum(step_size_up=5, step_size_down=7, mode="triangular2"), []),
        ],
        huge=lambda H: {
            "cyclic-mom": (L.cyclic_momentum(H // 2 + 1, H // 4, 0.5, 0.9), stairs(0, H // 2 + 1, 2)),
        },
        valid=dict(step_size_up=10),
        levels=["base_momentum", "max_momentum"],
        lengths=["step_size_up", "step_size_down"],
        choices=["mode"],
        bad=[
            ({"mode": "exp_range", "gamma": 1.5}, ValueError, "gamma", 1.5),
            ({"mode": "triangular", "gamma": 0.9}, ValueError, "gamma", 0.9),
        ],
        plot=(
            "cyclic_momentum(step_size_up=10, step_size_down=15), triangular and triangular2",
            [
                L.cyclic_momentum(step_size_up=10, step_size_down=15),
                L.cyclic_momentum(step_size_up=10, step_size_down=15, mode="triangular2"),
            ],
            100,
            False,
        ),
    ),
    "inverse_sqrt": Entry(
        reference=_inverse_sqrt,
        short="inv-sqrt",
        examples=[
            ("inv-sqrt", L.inverse_sqrt(1.0, warmup_steps=10), [10]),
            ("inv-sqrt-no-warmup", L.inverse_sqrt(1.0, 0), []),
            ("inv-sqrt-timescale", L.inverse_sqrt(0.5, 20, timescale=3), [20]),
            ("inv-sqrt-long-warmup", L.inverse_sqrt(1.0, warmup_steps=40), [40]),
            ("inv-sqrt-keywords", L.inverse_sqrt(peak_value=1.0, warmup_steps=10), []),
        ],
        huge=lambda H: {
            "inv-sqrt": (L.inverse_sqrt(1.0, H, timescale=3), [H]),
        },
        valid=dict(peak_value=1.0, warmup_steps=10),
        levels=["peak_value"],
        lengths=["timescale"],
        phases=["warmup_steps"],
        plot=(
            "inverse_sqrt(1.0, warmup_steps=20)",
            [L.inverse_sqrt(1.0, warmup_steps=20)],
            200,
            False,
        ),
    ),
    "warmup_stable_decay": Entry(
        reference=_warmup_stable_decay,
        short="wsd",
        examples=[
            ("wsd", L.warmup_stable_decay(1.0, 10, 20, 15), [10, 30, 45]),
            ("wsd-cos-sqrt", L.warmup_stable_decay(1.0, 8, 5, 12, end_value=0.1, warmup_shape="cosine", decay_shape="1-sqrt"), [8, 13, 25]),
            ("wsd-sqrt-cos", L.warmup_stable_decay(1.0, 8, 5, 12, end_value=0.1, warmup_shape="1-sqrt", decay_shape="cosine"), [8, 13, 25]),
            ("wsd-init-no-stable", L.warmup_stable_decay(2.0, 6, 0, 9, end_value=0.2, init_value=0.5, decay_shape="cosine"), [6, 15]),
            ("wsd-no-warmup", L.warmup_stable_decay(1.0, 0, 4, 7, decay_shape="1-sqrt", warmup_shape="cosine"), [4, 11]),
            ("wsd-bare", L.warmup_stable_decay(1.0, 0, 0, 1, end_value=0.3), [1]),
            ("wsd-cos-sqrt-long", L.warmup_stable_decay(1.0, warmup_steps=20, stable_steps=100, decay_steps=80, end_value=0.1,
                                               warmup_shape="cosine", decay_shape="1-sqrt"), [20, 120, 200]),
            ("wsd-sqrt-keywords", L.warmup_stable_decay(peak_value=1.0, warmup_steps=10, stable_steps=20, decay_steps=30, decay_shape="1-sqrt"), []),
            ("wsd-sqrt-short-keywords", L.warmup_stable_decay(peak_value=1.0, warmup_steps=5, stable_steps=5, decay_steps=10, decay_shape="1-sqrt"), []),
        ],
        huge=lambda H: {
            "wsd": (L.warmup_stable_decay(1.0, H // 4, H // 2, H // 4 + 1, end_value=0.1, decay_shape="cosine"), [H // 4, 3 * H // 4, H + 1]),
        },
        valid=dict(peak_value=1.0, warmup_steps=10, stable_steps=10, decay_steps=10),
        levels=["peak_value", "end_value", "init_value"],
        lengths=["decay_steps"],
        phases=["warmup_steps", "stable_steps"],
        choices=["warmup_shape", "decay_shape"],
        plot=(
            "warmup_stable_decay(1.0, 10, 60, 30, end_value=0.1), three decay shapes",
            [
                L.warmup_stable_decay(1.0, 10, 60, 30, end_value=0.1),
                L.warmup_stable_decay(1.0, 10, 60, 30, end_value=0.1, decay_shape="1-sqrt"),
                L.warmup_stable_decay(1.0, 10, 60, 30, end_value=0.1, decay_shape="cosine"),
            ],
            120,
            False,
        ),
    ),
    "ema_decay": Entry(
        reference=_ema_decay,
        short="ema",
        examples=[
            ("ema", L.ema_decay(0.99), [89, 90]),
            ("ema-zero", L.ema_decay(0.0), []),
            ("ema-one", L.ema_decay(1.0), []),
            ("ema-0.999", L.ema_decay(0.999), []),
            ("ema-keywords", L.ema_decay(decay=0.99), []),
        ],
        huge=lambda H: {
            "ema": (L.ema_decay(1.0 - 1.0 / H), [H - 10]),
        },
        valid=dict(decay=0.99),
        levels=["decay"],
        bad=[
            ({"decay": 1.5}, ValueError, "decay", 1.5),
            ({"decay": -0.1}, ValueError, "decay", -0.1),
        ],
        # The cap 0.99 is reached at (10·0.99 - 1)/(1 - 0.99) = 890 steps: the picture shows it.
        plot=("ema_decay(decay=0.99)", [L.ema_decay(0.99)], 1500, False),
    ),
    "join": Entry(
        reference=_join,
        examples=[
            ("join", L.join([L.linear(0.0, 1.0, 10), L.cosine_decay(1.0, 30, 0.1), L.constant(0.1)], [10, 40]), [10, 40]),
            ("join-zero-length", L.join([L.constant(1.0), L.constant(5.0), L.linear(0.5, 0.0, 8)], boundaries=[6, 6]), [6, 14]),
            ("join-at-zero", L.join([L.constant(9.0), L.cosine_decay(1.0, 12)], boundaries=[0]), [0, 12]),
            ("join-nested", L.join([L.warmup(L.exponential_decay(1.0, 3, 0.5, staircase=True), 5), L.cosine_restart(0.5, 4, 2.0)], [20]), [5, 8, 11, 20, 24, 32, 48]),
            ("join-warmup-cosine", L.join([L.linear(0.0, 1.0, 30), L.cosine_decay(1.0, 100)], boundaries=[30]), [30, 130]),
            ("join-keywords", L.join(schedules=[L.constant(1.0), L.cosine_decay(1.0, 10)], boundaries=[5]), []),
        ],
        huge=lambda H: {
            "join": (L.join([L.constant(1.0), L.cosine_decay(1.0, H - 1), L.linear(0.5, 0.0, 3)], [H - 1, 2 * H - 2]), [H - 1, 2 * H - 2, 2 * H + 1]),
        },
        valid=dict(schedules=[C, C], boundaries=[5]),
        bad=[
            ({"boundaries": [5, 3], "schedules": [C, C, C]}, ValueError, "boundaries", [5, 3]),
            ({"boundaries": [-5]}, ValueError, "boundaries[0]", -5),
            ({"boundaries": [2.5]}, ValueError, "boundaries[0]", 2.5),
            ({"boundaries": [5, 6]}, ValueError, "schedules", [C, C]),
            ({"schedules": [C, 0.1]}, TypeError, "schedules[1]", 0.1),
            ({"schedules": C}, TypeError, "schedules", C),
            ({"schedules": "constant"}, TypeError, "schedules", "constant"),
        ],
        plot=(
            "join([linear(0, 1, 10), cosine_decay(1, 60)], boundaries=[10])",
            [L.join([L.linear(0.0, 1.0, 10), L.cosine_decay(1.0, 60)], boundaries=[10])],
            100,
            False,
        ),
    ),
    "warmup": Entry(
        reference=_warmup,
        examples=[
            ("warmup", L.warmup(L.cosine_decay(1.0, 30), warmup_steps=10), [10, 40]),
            ("warmup-init", L.warmup(L.constant(0.2), warmup_steps=3, init_value=1.0), [3]),
            ("warmup-zero", L.warmup(L.linear(1.0, 0.0, 10), warmup_steps=0, init_value=0.5), [10]),
            ("warmup-restart", L.warmup(L.cosine_restart(1.0, 5, 1.5, end_value=0.1), 4, 0.05), [4, 9, 17, 29]),
            ("warmup-exp-init", L.warmup(L.exponential_decay(1.0, 20, 0.8), warmup_steps=15, init_value=0.1), [15]),
            ("warmup-keywords", L.warmup(schedule=L.cosine_decay(1.0, 10), warmup_steps=5), []),
            # delay=False: the ramp covers the schedule's first steps, which keeps its own count.
            ("warmup-overlay", L.warmup(L.cosine_decay(1.0, 30), warmup_steps=10, delay=False), [10, 30]),
            ("warmup-overlay-staircase-init", L.warmup(L.exponential_decay(1.0, 7, 0.5, staircase=True), 10, 0.05, delay=False), [7, 10, 14, 21]),
            ("warmup-overlay-zero", L.warmup(L.linear(1.0, 0.0, 10), warmup_steps=0, init_value=0.5, delay=False), [10]),
            ("warmup-overlay-restart", L.warmup(L.cosine_restart(1.0, 5, 1.5, end_value=0.1), 4, 0.05, delay=False), [4, 5, 13, 25]),
            ("warmup-overlay-nested", L.warmup(L.warmup(L.cosine_decay(1.0, 40), 8, 0.2), 5, 0.0, delay=False), [5, 8, 48]),
            ("warmup-overlay-past-end", L.warmup(L.linear(1.0, 0.5, 6), warmup_steps=9, delay=False), [6, 9]),
            ("warmup-overlay-keywords", L.warmup(schedule=L.cosine_decay(1.0, 10), warmup_steps=5, init_value=0.1, delay=False), []),
        ],
        huge=lambda H: {
            "warmup": (L.warmup(L.exponential_decay(1.0, 5, 0.5, staircase=True), H, 0.1), stairs(H, 5, 5)),
            "warmup-overlay": (L.warmup(L.cosine_decay(1.0, H + H // 2), H, 0.1, delay=False), [H, H + H // 2]),
        },
        valid=dict(schedule=C, warmup_steps=5),
        levels=["init_value"],
        phases=["warmup_steps"],
        flags=["delay"],
        bad=[
            ({"schedule": 0.1}, TypeError, "schedule", 0.1),
            ({"schedule": "constant"}, TypeError, "schedule", "constant"),
        ],
        plot=(
            "warmup(cosine_decay(1.0, 60), warmup_steps=20), delay=True and delay=False, and the schedule",
            [
                L.cosine_decay(1.0, 60),
                L.warmup(L.cosine_decay(1.0, 60), warmup_steps=20),
                L.warmup(L.cosine_decay(1.0, 60), warmup_steps=20, delay=False),
            ],
            100,
            False,
        ),
    ),
    "shift": Entry(
        reference=_shift,
        examples=[
            ("shift", L.shift(L.cosine_decay(1.0, 40, end_value=0.1), 10), [30]),
            ("shift-delay", L.shift(L.linear(1.0, 0.0, 20), -7), [7, 27]),
            ("shift-zero", L.shift(L.exponential_decay(1.0, 5, 0.5, staircase=True), 0), [5, 10]),
            ("shift-restart-ahead", L.shift(L.cosine_restart(1.0, 10, 2.0), 15), [15, 55, 135]),
            ("shift-delay-warmup", L.shift(L.warmup(L.constant(0.5), 4, 0.1), -3), [3, 7]),
            ("shift-past-the-range", L.shift(L.linear(1.0, 0.1, 100), 2**40), []),
            ("shift-delay-past-the-range", L.shift(L.linear(0.3, 1.0, 100), -(2**40)), []),
            ("shift-of-shift", L.shift(L.shift(L.piecewise_constant([10, 30], [1.0, 0.5, 0.25]), -6), 9), [7, 27]),
            ("shift-keywords", L.shift(schedule=L.cosine_decay(1.0, 10), offset=3), []),
        ],
        huge=lambda H: {
            "shift": (L.shift(L.linear(1.0, 0.1, H), H // 2), [H - H // 2]),
            "shift-delay": (L.shift(L.cosine_decay(1.0, H), -(H // 3)), [H // 3, H // 3 + H]),
        },
        valid=dict(schedule=C, offset=5),
        bad=[
            ({"schedule": 0.1}, TypeError, "schedule", 0.1),
            ({"offset": 2.5}, ValueError, "offset", 2.5),
            ({"offset": NAN}, ValueError, "offset", NAN),
            ({"offset": -INF}, ValueError, "offset", -INF),
            ({"offset": True}, TypeError, "offset", True),
            ({"offset": "3"}, TypeError, "offset", "3"),
            ({"offset": 2**63}, ValueError, "offset", 2**63),
            ({"offset": -(2**63)}, ValueError, "offset", -(2**63)),
        ],
        plot=(
            "cosine_decay(1.0, 60), shifted by offset=20 and offset=-20",
            [L.cosine_decay(1.0, 60), L.shift(L.cosine_decay(1.0, 60), 20), L.shift(L.cosine_decay(1.0, 60), -20)],
            100,
            False,
        ),
    ),
    "per_epoch": Entry(
        reference=_per_epoch,
        examples=[
            ("per_epoch", L.per_epoch(L.cosine_decay(1.0, 10), 7), [7, 14, 63, 70]),
            ("per_epoch-one", L.per_epoch(L.linear(1.0, 0.0, 10), 1), [10]),
            ("per_epoch-warmup-restart", L.per_epoch(L.warmup(L.cosine_restart(1.0, 5, 2.0), 2, 0.1), 3), [6, 21, 51, 111]),
            ("per_epoch-staircase", L.per_epoch(L.exponential_decay(0.5, 2, 0.5, staircase=True), 11), [22, 44]),
            ("per_epoch-past-the-range", L.per_epoch(L.exponential_decay(1.0, 1, 0.5), 2**40), []),
            ("per_epoch-keywords", L.per_epoch(schedule=L.cosine_decay(1.0, 10), steps_per_epoch=100), []),
        ],
        huge=lambda H: {
            "per_epoch": (L.per_epoch(L.exponential_decay(1.0, 3, 0.5, staircase=True), H // 7), [j * (H // 7) for j in (1, 3, 6)]),
        },
        valid=dict(schedule=C, steps_per_epoch=10),
        lengths=["steps_per_epoch"],
        bad=[
            ({"schedule": None}, TypeError, "schedule", None),
        ],
        plot=(
            "cosine_decay(1.0, 100) per step, and per_epoch(cosine_decay(1.0, 10), steps_per_epoch=10)",
            [L.cosine_decay(1.0, 100), L.per_epoch(L.cosine_decay(1.0, 10), steps_per_epoch=10)],
            100,
            False,
        ),
    ),
    "stride": Entry(
        reference=_stride,
        examples=[
            ("stride", L.stride(L.cosine_decay(1.0, 700), 7), [100]),
            ("stride-one", L.stride(L.linear(1.0, 0.0, 10), 1), [10]),
            ("stride-staircase", L.stride(L.exponential_decay(0.5, 100, 0.5, staircase=True), 32), [4, 7, 10]),
            ("stride-warmup", L.stride(L.warmup(L.linear(1.0, 0.1, 900), 90, 0.0), 30), [3, 33]),
            ("stride-join", L.stride(L.join([L.constant(1.0), L.linear(1.0, 0.0, 100)], [50]), 16), [3, 4, 9, 10]),
            ("stride-past-the-range", L.stride(L.linear(1.0, 0.1, 1000), 2**40), []),
            ("stride-keywords", L.stride(schedule=L.cosine_decay(1.0, 1000), units_per_step=100), [10]),
        ],
        valid=dict(schedule=C, units_per_step=10),
        lengths=["units_per_step"],
        bad=[
            ({"schedule": None}, TypeError, "schedule", None),
        ],
        plot=(
            "cosine_decay(1.0, 100) per step, and stride(cosine_decay(1.0, 1000), units_per_step=10)",
            [L.cosine_decay(1.0, 100), L.stride(L.cosine_decay(1.0, 1000), units_per_step=10)],
            100,
            False,
        ),
    ),
    "scale": Entry(
        reference=_scale,
        examples=[
            ("scale", L.scale(L.cosine_decay(1.0, 20), 0.1), [20]),
            ("scale-mul", L.onecycle(1.0, 40) * 3.0, [11, 12, 39]),
            ("scale-negative", L.scale(L.linear(0.0, 1.0, 10), -2.0), [10]),
            ("scale-restart", L.scale(L.cosine_restart(1.0, 50), factor=0.5), [50]),
            ("scale-keywords", L.scale(schedule=L.cosine_decay(1.0, 10), factor=0.5), []),
        ],
        valid=dict(schedule=C, factor=2.0),
        levels=["factor"],
        bad=[
            ({"schedule": lambda k: 0.1}, TypeError, "schedule", None),
        ],
        plot=(
            "cosine_decay(1.0, 100) and cosine_decay(1.0, 100) * 0.5",
            [L.cosine_decay(1.0, 100), L.cosine_decay(1.0, 100) * 0.5],
            100,
            False,
        ),
    ),
    "clip": Entry(
        reference=_clip,
        examples=[
            ("clip", L.clip(L.linear(0.0, 1.0, 20), min_value=0.2, max_value=0.7), [4, 14, 20]),
            ("clip-min", L.clip(L.cosine_decay(1.0, 30), min_value=0.05), [30]),
            ("clip-max", L.clip(L.exponential_decay(0.01, 2, 1.5, end_value=10.0), max_value=0.5), [20]),
            ("clip-cyclic", L.clip(L.cyclic(0.0, 1.0, 25), min_value=0.2, max_value=0.8), [25]),
            ("clip-keywords", L.clip(schedule=L.cosine_decay(1.0, 10), min_value=0.2, max_value=0.8), []),
        ],
        valid=dict(schedule=C, min_value=0.0),
        levels=["min_value"],
        bad=[
            ({"schedule": None}, TypeError, "schedule", None),
            ({"min_value": None}, ValueError, "min_value", None),
            ({"min_value": 0.5, "max_value": 0.1}, ValueError, "min_value", 0.5),
            ({"max_value": NAN}, ValueError, "max_value", NAN),
            ({"max_value": "1"}, TypeError, "max_value", "1"),
        ],
        plot=(
            "clip(cyclic(0.0, 1.0, 10), min_value=0.2, max_value=0.8), and the schedule it clips",
            [L.cyclic(0.0, 1.0, 10), L.clip(L.cyclic(0.0, 1.0, 10), min_value=0.2, max_value=0.8)],
            60,
            False,
        ),
    ),
    "multiply": Entry(
        reference=_multiply,
        examples=[
            ("multiply", L.multiply([L.exponential_decay(0.5, 1, 0.97), L.piecewise_constant([30, 80], [1.0, 0.1, 0.01])]), [30, 80]),
            ("multiply-three", L.multiply([L.warmup(L.constant(1.0), 10), L.cosine_decay(2.0, 100), L.constant(0.25)]), [10, 100]),
            ("multiply-mul", L.cosine_restart(1.0, 20) * L.linear(1.0, 0.1, 100), [20, 40, 100]),
            ("multiply-restart", L.multiply([L.exponential_decay(1.0, 1, 0.99), L.cosine_restart(1.0, 50)]), [50, 100]),
            ("multiply-keywords", L.multiply(schedules=[L.exponential_decay(1.0, 1, 0.99), L.piecewise_constant([10], [1.0, 0.1])]), []),
        ],
        valid=dict(schedules=[C, C]),
        bad=SCHEDULE_LIST_BAD,
        plot=(
            "exponential_decay(1.0, 1, 0.98) * piecewise_constant([40, 70], [1, 0.5, 0.25])",
            [L.exponential_decay(1.0, 1, 0.98) * L.piecewise_constant([40, 70], [1.0, 0.5, 0.25])],
            100,
            False,
        ),
    ),
    "add": Entry(
        reference=_add,
        examples=[
            ("add", L.add([L.cosine_decay(0.9, 30), L.constant(0.1)]), [30]),
            ("add-operator", L.warmup(L.cosine_decay(0.5, 40), 10) + L.linear(0.0, 0.5, 50), [10, 50]),
            # (r**x - r) / (1 - r) for x = min(k / 20, 1) and r = 0.1: from 1 down to 0.
            ("add-exponential-shape", L.exponential_decay(1 / 0.9, 20, 0.1, end_value=0.1 / 0.9) - 0.1 / 0.9, [20]),
            ("add-subtract", L.constant(1.0) - L.linear(0.0, 0.5, 10), [10]),
            ("add-three-restart", L.add([L.cosine_restart(0.5, 10), L.cyclic(0.0, 0.2, 5), L.constant(0.05)]), [5, 10, 20]),
            ("add-one", L.add([L.linear(1.0, 0.0, 8)]), [8]),
            ("add-keywords", L.add(schedules=[L.constant(0.1), L.cosine_decay(1.0, 10)]), []),
        ],
        huge=lambda H: {
            "add": (L.add([L.linear(0.5, 0.0, H), L.cosine_decay(0.5, H // 2 + 1)]), [H // 2 + 1, H]),
        },
        valid=dict(schedules=[C, C]),
        bad=SCHEDULE_LIST_BAD,
        plot=(
            "cosine_decay(0.9, 100), and add([cosine_decay(0.9, 100), constant(0.1)])",
            [L.cosine_decay(0.9, 100), L.cosine_decay(0.9, 100) + 0.1],
            100,
            False,
        ),
    ),
}



# -- tanh and polynomial decay with warm restarts (timm TanhLRScheduler, PolyLRScheduler) ----------
def _restart_shape(k, p, weight):
    """A restart schedule's exact value: the cycle of step ``k`` found in exact Fractions (a closed
    form for period_mul = 1, the whole lengths ceil(T_i) or the real ones T_0·m**i otherwise), then
    ``end + (P·mu**i - end)·weight(x)`` at the decay position ``x = (t - W_i)/(T_i - W_i)``."""
    t0, m, w = p["first_period"], p.get("period_mul", 1.0), p.get("warmup_steps", 0)
    limit, end = p.get("cycle_limit"), exact(p.get("end_value", 0.0))
    if m == 1.0:
        i, start, period = k // t0, Fraction(k // t0 * t0), Fraction(t0)
    elif p.get("whole_periods", True):
        c = _extend_cycles(int(t0), float(m), k)
        i = bisect.bisect_right(c["starts"], k) - 1
        start, period = Fraction(c["starts"][i]), c["periods"][i]
    else:
        i, start, period = _real_cycle(k, int(t0), float(m))
    if limit is not None and i >= limit:
        return end
    t, warm = k - start, period * w / t0
    top = exact(p["peak_value"]) * exact(p.get("peak_mul", 1.0)) ** i
    if t < warm:
        return end + (top - end) * exact(t / warm)
    return end + (top - end) * weight(exact((t - warm) / (period - warm)))


def _tanh_restart(k, p):
    lower, upper = exact(p.get("lower", -7.0)), exact(p.get("upper", 3.0))
    return _restart_shape(k, p, lambda x: (1 - mpmath.tanh(lower + (upper - lower) * x)) / 2)


def _polynomial_restart(k, p):
    power, kd = exact(p.get("power", 1.0)), exact(p.get("k_decay", 1.0))
    return _restart_shape(k, p, lambda x: (1 - x**kd) ** power)


TABLE["tanh_restart"] = Entry(
    reference=_tanh_restart,
    examples=[
        ("tanh_restart", L.tanh_restart(1.0, first_period=20), [20, 40, 60]),
        ("tanh_restart-m2-decay-end", L.tanh_restart(0.4, 10, 2.0, peak_mul=0.7, end_value=0.01), [10, 30, 70, 150]),
        ("tanh_restart-real-m1.5", L.tanh_restart(1.0, 10, 1.5, peak_mul=0.8, end_value=0.01, whole_periods=False),
         real_restarts(10, 1.5, 400)),
        ("tanh_restart-real-m2.5-limit", L.tanh_restart(1.0, 3, 2.5, lower=-4.0, upper=4.0, cycle_limit=4,
                                                        whole_periods=False), real_restarts(3, 2.5, 300)),
        ("tanh_restart-m1-limit-warm", L.tanh_restart(1.0, 12, peak_mul=0.5, warmup_steps=3, cycle_limit=3,
                                                      end_value=0.1), [3, 12, 15, 24, 36]),
        ("tanh_restart-real-warm-positive", L.tanh_restart(1.0, 7, 1.3, warmup_steps=2, lower=0.5, upper=4.0,
                                                           whole_periods=False), real_restarts(7, 1.3, 200)),
        ("tanh_restart-negative-bounds", L.tanh_restart(1.0, 33, 1.5, lower=-6.0, upper=-0.5), [33, 83]),
        ("tanh_restart-keywords", L.tanh_restart(peak_value=1.0, first_period=5, period_mul=1.5, peak_mul=0.9,
                                                 end_value=0.0, warmup_steps=1, lower=-3.0, upper=3.0, cycle_limit=6,
                                                 whole_periods=False), []),
    ],
    huge=lambda H: {
        "tanh_restart-m1": (L.tanh_restart(1.0, H // 2 + 7, warmup_steps=5), stairs(0, H // 2 + 7, 4)),
        "tanh_restart-real-m1.5": (L.tanh_restart(1.0, 1000, 1.5, peak_mul=0.9, whole_periods=False),
                                   real_restarts(1000, 1.5, 2 * H)[-3:]),
    },
    valid=dict(peak_value=1.0, first_period=10),
    levels=["peak_value", "end_value"],
    lengths=["first_period", "cycle_limit"],
    phases=["warmup_steps"],
    flags=["whole_periods"],
    bad=[
        ({"lower": 3.0}, ValueError, "lower", 3.0),
        ({"upper": -8.0}, ValueError, "upper", -8.0),
        ({"lower": NAN}, ValueError, "lower", NAN),
        ({"period_mul": 0.5}, ValueError, "period_mul", 0.5),
        ({"period_mul": 1.0 + 1e-9}, ValueError, "period_mul", 1.0 + 1e-9),
        ({"warmup_steps": 10}, ValueError, "warmup_steps", 10),
        ({"peak_mul": 0.0}, ValueError, "peak_mul", 0.0),
        ({"cycle_limit": 0}, ValueError, "cycle_limit", 0),
    ],
    plot=(
        "tanh_restart(1.0, first_period=30, period_mul=1.5, peak_mul=0.8, whole_periods=False)",
        [L.tanh_restart(1.0, first_period=30, period_mul=1.5, peak_mul=0.8, whole_periods=False)],
        200,
        False,
    ),
)

TABLE["polynomial_restart"] = Entry(
    reference=_polynomial_restart,
    examples=[
        ("polynomial_restart", L.polynomial_restart(1.0, first_period=20), [20, 40, 60]),
        ("polynomial_restart-m2-power", L.polynomial_restart(0.4, 10, 2.0, peak_mul=0.7, end_value=0.01, power=2.0),
         [10, 30, 70, 150]),
        ("polynomial_restart-real-m1.5-sqrt", L.polynomial_restart(1.0, 10, 1.5, peak_mul=0.8, power=0.5,
                                                                   whole_periods=False), real_restarts(10, 1.5, 400)),
        ("polynomial_restart-real-m2.5-k-half", L.polynomial_restart(1.0, 3, 2.5, power=0.7, k_decay=0.5, cycle_limit=4,
                                                                     whole_periods=False), real_restarts(3, 2.5, 300)),
        ("polynomial_restart-k2-warm-limit", L.polynomial_restart(1.0, 12, peak_mul=0.5, warmup_steps=3, power=1.5,
                                                                  k_decay=2.0, cycle_limit=3, end_value=0.1),
         [3, 12, 15, 24, 36]),
        ("polynomial_restart-real-warm-k3", L.polynomial_restart(1.0, 7, 1.3, warmup_steps=2, power=3.0, k_decay=3.0,
                                                                 whole_periods=False), real_restarts(7, 1.3, 200)),
        ("polynomial_restart-power-0", L.polynomial_restart(1.0, 8, 2.0, power=0.0, end_value=0.2), [8, 24]),
        ("polynomial_restart-keywords", L.polynomial_restart(peak_value=1.0, first_period=5, period_mul=1.5,
                                                             peak_mul=0.9, end_value=0.0, warmup_steps=1, power=2.0,
                                                             k_decay=0.5, cycle_limit=6, whole_periods=False), []),
    ],
    huge=lambda H: {
        "polynomial_restart-m1": (L.polynomial_restart(1.0, H // 2 + 7, warmup_steps=5, power=2.0),
                                  stairs(0, H // 2 + 7, 4)),
        "polynomial_restart-real-m1.5-k2": (L.polynomial_restart(1.0, 1000, 1.5, peak_mul=0.9, power=0.5, k_decay=2.0,
                                                                 whole_periods=False),
                                            real_restarts(1000, 1.5, 2 * H)[-3:]),
    },
    valid=dict(peak_value=1.0, first_period=10),
    levels=["peak_value", "end_value"],
    lengths=["first_period", "cycle_limit"],
    phases=["warmup_steps"],
    flags=["whole_periods"],
    bad=[
        ({"power": -1.0}, ValueError, "power", -1.0),
        ({"k_decay": 0.0}, ValueError, "k_decay", 0.0),
        ({"k_decay": NAN}, ValueError, "k_decay", NAN),
        ({"period_mul": 0.5}, ValueError, "period_mul", 0.5),
        ({"period_mul": 1.0 + 1e-9}, ValueError, "period_mul", 1.0 + 1e-9),
        ({"warmup_steps": 10}, ValueError, "warmup_steps", 10),
        ({"peak_mul": 0.0}, ValueError, "peak_mul", 0.0),
        ({"cycle_limit": 0}, ValueError, "cycle_limit", 0),
    ],
    plot=(
        "polynomial_restart(1.0, first_period=30, period_mul=1.5, power=2.0, k_decay=0.5, whole_periods=False)",
        [L.polynomial_restart(1.0, first_period=30, period_mul=1.5, power=2.0, k_decay=0.5, whole_periods=False)],
        200,
        False,
    ),
)


# -- shapes from timm, Paddle and the transformer paper ----------------------------------------------
# warmup_stable_decay's power and exp decays and its power-law stable phase (timm WSDLRScheduler),
# onecycle's absolute final value (Paddle OneCycleLR), noam from d_model (Paddle NoamDecay) and
# exponential_decay's fractional staircase periods (timm StepLRScheduler, decay_t=2.4).
def _noam(k, p):
    """``s · d**-1/2 · min(k**-1/2, k·W**-3/2)``, 0 at step 0 (Paddle's first step)."""
    if k == 0:
        return mpf(0)
    d, w = exact(p["d_model"]), exact(p["warmup_steps"])
    return exact(p.get("scale", 1.0)) / mpmath.sqrt(d) * min(1 / mpmath.sqrt(k), k * w ** mpf(-1.5))


TABLE["noam"] = Entry(
    reference=_noam,
    examples=[
        ("noam", L.noam(512, 4000), [4000]),
        ("noam-scale", L.noam(64, 10, scale=2.0), [10]),
        ("noam-one-step-warmup", L.noam(1024, 1, 0.5), [1]),
        ("noam-real-width", L.noam(d_model=96.5, warmup_steps=37, scale=0.4), [37]),
        ("noam-keywords", L.noam(d_model=16, warmup_steps=25, scale=3.0), []),
    ],
    huge=lambda H: {"noam": (L.noam(512, H // 2, scale=1e6), [H // 2, H])},
    valid=dict(d_model=512, warmup_steps=100),
    levels=["scale"],
    lengths=["warmup_steps"],
    bad=[
        ({"d_model": 0}, ValueError, "d_model", 0),
        ({"d_model": -512}, ValueError, "d_model", -512),
        ({"d_model": NAN}, ValueError, "d_model", NAN),
        ({"d_model": True}, TypeError, "d_model", True),
        ({"d_model": "512"}, TypeError, "d_model", "512"),
    ],
    plot=("noam(d_model=512, warmup_steps=20)", [L.noam(512, 20)], 200, False),
)

TABLE["warmup_stable_decay"].examples.extend([
    ("wsd-power2", L.warmup_stable_decay(1.0, 5, 10, 20, end_value=0.1, decay_shape="power", decay_power=2.0), [5, 15, 35]),
    ("wsd-power0.3", L.warmup_stable_decay(1.0, 0, 7, 30, decay_shape="power", decay_power=0.3), [7, 37]),
    ("wsd-power-long", L.warmup_stable_decay(2.0, 10, 0, 997, end_value=0.01, decay_shape="power", decay_power=1.7), [10, 1007]),
    ("wsd-exp", L.warmup_stable_decay(1.0, 6, 4, 25, end_value=0.02, decay_shape="exp", decay_ratio=0.05), [6, 10, 35]),
    ("wsd-exp-tiny-ratio", L.warmup_stable_decay(1.0, 0, 3, 40, decay_shape="exp", decay_ratio=1e-20), [3, 43]),
    ("wsd-exp-ratio-near-one", L.warmup_stable_decay(1.0, 2, 3, 50, end_value=0.5, decay_shape="exp", decay_ratio=0.999), [5, 55]),
    ("wsd-exp-ratio-one", L.warmup_stable_decay(1.0, 2, 3, 10, decay_shape="exp", decay_ratio=1.0), [5, 15]),
    ("wsd-rsqrt", L.warmup_stable_decay(1.0, 10, 60, 30, end_value=0.01, stable_power=0.5), [10, 70, 100]),
    ("wsd-stable-power-floor", L.warmup_stable_decay(1.0, 4, 50, 20, end_value=0.3, stable_power=1.3, stable_timescale=3,
                                                     decay_shape="exp", decay_ratio=0.2), [4, 54, 74]),
    ("wsd-stable-power-no-warmup", L.warmup_stable_decay(1.0, 0, 20, 20, stable_power=2.0, stable_timescale=7,
                                                         decay_shape="power", decay_power=3.0), [20, 40]),
    ("wsd-rsqrt-keywords", L.warmup_stable_decay(peak_value=1.0, warmup_steps=8, stable_steps=30, decay_steps=12,
                                                 end_value=0.001, stable_power=0.5, decay_shape="linear"), []),
])
_wsd_huge = TABLE["warmup_stable_decay"].huge
TABLE["warmup_stable_decay"] = dataclasses.replace(
    TABLE["warmup_stable_decay"],
    huge=lambda H: {
        **_wsd_huge(H),
        "wsd-rsqrt-exp": (L.warmup_stable_decay(1.0, H // 4, H // 2, H // 4 + 1, end_value=1e-3, stable_power=0.5,
                                                decay_shape="exp", decay_ratio=0.01), [H // 4, 3 * H // 4, H + 1]),
        "wsd-power": (L.warmup_stable_decay(1.0, 3, H - 10, H // 2, end_value=0.1, stable_power=0.9, stable_timescale=5,
                                            decay_shape="power", decay_power=2.5), [3, H - 7, H - 7 + H // 2]),
    },
)
TABLE["warmup_stable_decay"].bad.extend([
    ({"decay_shape": "power", "decay_power": 0.0}, ValueError, "decay_power", 0.0),
    ({"decay_shape": "power", "decay_power": NAN}, ValueError, "decay_power", NAN),
    ({"decay_shape": "power", "decay_power": True}, TypeError, "decay_power", True),
    ({"decay_power": 2.0}, ValueError, "decay_power", 2.0),
    ({"decay_shape": "exp", "decay_ratio": 0.0}, ValueError, "decay_ratio", 0.0),
    ({"decay_shape": "exp", "decay_ratio": 1.5}, ValueError, "decay_ratio", 1.5),
    ({"decay_shape": "exp", "decay_ratio": 1e-21}, ValueError, "decay_ratio", 1e-21),
    ({"decay_ratio": 0.5}, ValueError, "decay_ratio", 0.5),
    ({"stable_power": -0.5}, ValueError, "stable_power", -0.5),
    ({"stable_power": INF}, ValueError, "stable_power", INF),
    ({"stable_timescale": 5}, ValueError, "stable_timescale", 5),
    ({"stable_power": 0.5, "warmup_steps": 0}, ValueError, "stable_timescale", None),
    ({"stable_power": 0.5, "stable_timescale": 2.5}, ValueError, "stable_timescale", 2.5),
    ({"stable_power": 0.5, "stable_timescale": 0}, ValueError, "stable_timescale", 0),
    ({"stable_power": 0.5, "end_value": 2.0}, ValueError, "end_value", 2.0),
])

TABLE["onecycle"].examples.extend([
    ("onecycle-final-value", L.onecycle(0.8, 100, div_factor=20.0, final_value=1e-3), [29, 99]),
    ("onecycle-final-zero", L.onecycle(1.0, 60, pct_start=0.25, anneal="linear", final_value=0.0), [14, 59]),
    ("onecycle-final-negative-three", L.onecycle(1.0, 90, three_phase=True, final_value=-0.1), [26, 53, 89]),
    ("onecycle-final-above-initial", L.onecycle(1.0, 40, final_value=0.5), [11, 39]),
])
TABLE["onecycle"].bad.extend([
    ({"final_value": 0.0, "final_div_factor": 100.0}, ValueError, "final_div_factor", 100.0),
    ({"final_value": NAN}, ValueError, "final_value", NAN),
    ({"final_value": INF}, ValueError, "final_value", INF),
    ({"final_value": True}, TypeError, "final_value", True),
    ({"final_value": "0"}, TypeError, "final_value", "0"),
])


TABLE["exponential_decay"].examples.extend([
    ("exp-staircase-fractional", L.exponential_decay(0.4, 2.4, 0.97, staircase=True), [3, 5, 8, 10, 12, 13, 240]),
    ("exp-staircase-fractional-begin-floor", L.exponential_decay(1.0, 1.7, 0.5, staircase=True, transition_begin=4,
                                                                 end_value=0.01), [4, 6, 8, 10, 16]),
    ("exp-fractional", L.exponential_decay(1.0, 2.5, 0.9), [5, 100]),
    ("exp-staircase-fractional-growth", L.exponential_decay(0.001, 3.3, 1.5, staircase=True, end_value=1.0), [4, 7, 10, 56]),
    ("exp-fractional-growth-ceiling", L.exponential_decay(0.001, 1.25, 1.1, end_value=2.0), [5, 91, 92, 93]),
    ("exp-staircase-fractional-keywords", L.exponential_decay(init_value=1.0, decay_steps=7.25, decay_rate=0.5,
                                                              staircase=True), []),
])
_exp_huge = TABLE["exponential_decay"].huge


def _fractional_stair_edges(d: float, first: int, count: int) -> list[int]:
    """The first steps ``ceil(n·d)`` of stairs ``first .. first + count - 1`` (exact)."""
    q = Fraction(d)
    return [ceil_fraction(n * q) for n in range(first, first + count)]


TABLE["exponential_decay"] = dataclasses.replace(
    TABLE["exponential_decay"],
    huge=lambda H: {
        **_exp_huge(H),
        "exp-staircase-fractional-begin": (
            L.exponential_decay(1.0, 2.4, 0.9, staircase=True, transition_begin=H, end_value=1e-3),
            [H + e for e in _fractional_stair_edges(2.4, 1, 12)]),
        "exp-staircase-fractional-wide": (
            L.exponential_decay(2.0, H / 3.5, 0.5, staircase=True, end_value=0.01),
            _fractional_stair_edges(H / 3.5, 1, 7)),
    },
)
TABLE["exponential_decay"].bad.extend([
    ({"decay_steps": 0}, ValueError, "decay_steps", 0),
    ({"decay_steps": -3}, ValueError, "decay_steps", -3),
    ({"decay_steps": 0.5}, ValueError, "decay_steps", 0.5),
    ({"decay_steps": NAN}, ValueError, "decay_steps", NAN),
    ({"decay_steps": INF}, ValueError, "decay_steps", INF),
    ({"decay_steps": 2**63}, ValueError, "decay_steps", 2**63),
    ({"decay_steps": True}, TypeError, "decay_steps", True),
    ({"decay_steps": "2.4"}, TypeError, "decay_steps", "2.4"),
])


# -- noise: timm's lr noise as a pure function of the step ---------------------------------------------
def _noise_hash(seed: int, k: int) -> int:
    """The 30-bit counter-based hash of ``(seed, k)``, in plain Python integers: keys from SHA-256 of
    the seed's digits; per 30-bit word of the step: xor, mix, add a key (mod 2**30), mix."""
    import hashlib

    mask = (1 << 30) - 1
    digest = int.from_bytes(hashlib.sha256(str(seed).encode()).digest(), "big")
    keys = [(digest >> (30 * i)) & mask for i in range(4)]

    def mix(x):
        x ^= x >> 16
        x = (x * 0x3FEB352D) & mask
        x ^= x >> 15
        x = (x * 0x046CA68B) & mask
        return x ^ (x >> 16)

    h = keys[0]
    for i in range(3):
        h = mix(h ^ ((k >> (30 * i)) & mask))
        h = mix((h + keys[i + 1]) & mask)
    return h


def _noise(k, p):
    inner = value_of(p["schedule"], k)
    end = p.get("end")
    if k < p.get("begin", 0) or (end is not None and k >= end):
        return inner
    u = Fraction(2 * _noise_hash(p.get("seed", 42), k) + 1, 2**31)
    pct = exact(p.get("pct", 0.67))
    if p.get("distribution", "normal") == "uniform":
        n = (2 * exact(u) - 1) * pct
    else:
        std = exact(p.get("std", 1.0))
        phi = lambda x: mpmath.erfc(-x / mpmath.sqrt(2)) / 2  # noqa: E731
        a = pct / std
        # Φ(±a) near 1/2 for a tiny a: digits enough that their difference keeps 50 of its own.
        with mpmath.workdps(50 + max(0, int(-mpmath.log10(a)))):
            prob = phi(-a) + exact(u) * (phi(a) - phi(-a))  # the truncated normal's distribution function
            n = std * mpmath.sqrt(2) * mpmath.erfinv(2 * prob - 1)
    return inner * (1 + n)


def _noise_strategy(children):
    import hypothesis.strategies as st

    return st.builds(
        L.noise, children, pct=st.floats(0.01, 1.0), seed=st.integers(0, 2**64 - 1),
        distribution=st.sampled_from(["normal", "uniform"]), begin=st.integers(0, 130),
    )


TABLE["noise"] = Entry(
    reference=_noise,
    examples=[
        ("noise", L.noise(L.cosine_decay(1.0, 100)), [100]),
        ("noise-uniform", L.noise(L.constant(0.4), pct=0.2, distribution="uniform", seed=7), []),
        ("noise-range", L.noise(L.warmup_cosine_decay(0.0, 1.0, 10, 90), pct=0.5, std=0.3, begin=20, end=60), [20, 60]),
        ("noise-wide-std", L.noise(L.constant(1.0), pct=0.9, std=5.0, seed=2**64 - 1), []),
        ("noise-narrow", L.noise(L.linear(1.0, 0.5, 50), pct=0.01, std=1e-3), [50]),
        # a = pct/std tiny: the truncated normal is the uniform draw (its constants went subnormal)
        ("noise-huge-std", L.noise(L.constant(1.0), pct=1.0, std=1e36), []),
        ("noise-huge-std-float64", L.noise(L.constant(1.0), pct=0.5, std=1.7e308, seed=3), []),
        ("noise-std-at-the-switch", L.noise(L.constant(1.0), pct=1.0, std=2.0**26 * 1.01), []),
        ("noise-keywords", L.noise(schedule=L.constant(1.0), pct=1.0, std=2.0, seed=0, distribution="normal",
                                   begin=3, end=40), [3, 40]),
    ],
    huge=lambda H: {
        "noise": (L.noise(L.cosine_decay(1.0, H), pct=0.3, seed=123, begin=H // 2), [H // 2, H]),
        "noise-uniform": (L.noise(L.constant(1.0), pct=0.67, distribution="uniform", begin=H - 3, end=H + 3), [H - 3, H + 3]),
    },
    valid=dict(schedule=C),
    phases=["begin"],
    choices=["distribution"],
    bad=[
        ({"schedule": lambda k: 0.1}, TypeError, "schedule", None),
        ({"pct": 0.0}, ValueError, "pct", 0.0),
        ({"pct": 1.5}, ValueError, "pct", 1.5),
        ({"pct": NAN}, ValueError, "pct", NAN),
        ({"pct": True}, TypeError, "pct", True),
        ({"std": 0.0}, ValueError, "std", 0.0),
        ({"std": INF}, ValueError, "std", INF),
        ({"std": 2.0, "distribution": "uniform"}, ValueError, "std", 2.0),
        ({"seed": -1}, ValueError, "seed", -1),
        ({"seed": 2**64}, ValueError, "seed", 2**64),
        ({"seed": 4.5}, ValueError, "seed", 4.5),
        ({"seed": True}, TypeError, "seed", True),
        ({"seed": "42"}, TypeError, "seed", "42"),
        ({"end": 0}, ValueError, "end", 0),
        ({"end": 5, "begin": 5}, ValueError, "end", 5),
        ({"end": 2.5}, ValueError, "end", 2.5),
    ],
    strategy=_noise_strategy,
    plot=("noise(cosine_decay(1.0, 100), pct=0.2, begin=20, end=80)",
          [L.noise(L.cosine_decay(1.0, 100), pct=0.2, begin=20, end=80)], 100, False),
)


def coverage_problems() -> list[str]:
    """Registered schedules without an entry, entries without a registered schedule, and examples
    filed under the wrong name."""
    problems = [f"{name}: no entry in tests/examples.py" for name in REGISTRY if name not in TABLE]
    problems += [f"{name}: an entry but no registered schedule" for name in TABLE if name not in REGISTRY]
    for name, entry in TABLE.items():
        if not entry.examples:
            problems.append(f"{name}: no examples")
        problems += [f"{name}: example {label} is a {s.name}" for label, s, _ in entry.examples if s.name != name]
        prefix = entry.short or name
        problems += [
            f"{name}: example label {label} does not begin with {prefix!r}"
            for label, _, _ in entry.examples
            if label != prefix and not label.startswith(prefix + "-")
        ]
        problems += [
            f"{name}: example label {label} reads as {owner}'s (its test ids would name {owner})"
            for label, _, _ in entry.examples
            if label.startswith(prefix) and (owner := _owner(label)) not in (name, None)
        ]
    labels = [label for entry in TABLE.values() for label, _, _ in entry.examples]
    problems += [f"example label {x} is used twice" for x in sorted({x for x in labels if labels.count(x) > 1})]
    return problems


def schedule_of(label: str) -> str:
    """The schedule a label belongs to: the one whose name or short form begins it (followed by the
    end, ``-`` or ``(``); the longest such prefix wins (``warmup_cosine_decay`` over ``cosine_decay``)."""
    found = None
    for name, entry in TABLE.items():
        for prefix in (name, entry.short):
            if prefix and re.match(rf"{re.escape(prefix)}(?:$|[-(])", label):
                if found is None or len(prefix) > len(found[1]):
                    found = (name, prefix)
    if found is None:
        raise ValueError(f"The label {label!r} begins with no schedule's name or short form.")
    return found[0]


def _owner(label: str) -> str | None:
    try:
        return schedule_of(label)
    except ValueError:
        return None


def case_id(label: str) -> str:
    """The test id of a configuration labelled ``label``: the label, preceded by the schedule's name
    where it begins with a short form (``piecewise_constant:pc-huge-boundaries``), so that
    ``pytest -k piecewise_constant`` selects it."""
    name = schedule_of(label)
    return label if re.match(rf"{re.escape(name)}(?:$|[-(])", label) else f"{name}:{label}"


def examples(name: str | None = None) -> list[tuple[str, L.Schedule, list[int]]]:
    """``(label, schedule, landmarks)`` of one schedule, or of every schedule in table order."""
    if name is not None:
        return list(TABLE[name].examples)
    return [example for entry in TABLE.values() for example in entry.examples]


def first(name: str) -> L.Schedule:
    """The first example of schedule ``name``: its canonical configuration."""
    return TABLE[name].examples[0][1]


def huge_examples(H: int) -> dict[str, tuple[L.Schedule, list[int]]]:
    """``label -> (schedule, landmarks)`` near the huge step ``H``, for every schedule that has them."""
    out = {}
    for entry in TABLE.values():
        if entry.huge is not None:
            out.update(entry.huge(H))
    return out


def leaves() -> tuple[str, ...]:
    """The schedules that take no schedule (everything but the combinators), in table order."""
    return tuple(name for name in TABLE if not REGISTRY[name].children)
