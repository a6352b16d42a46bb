"""One-cycle and cyclical (triangular) learning rates, after torch ``OneCycleLR`` and ``CyclicLR``."""

from __future__ import annotations

import math
from fractions import Fraction

from . import _array
from . import validate as check
from .schedule import MAX_LANDMARKS, Params, parameter_landmarks, register


# -- one cycle ----------------------------------------------------------------------------------
def _onecycle_phases(p):
    """Phase ends as torch computes them (float64), and each phase's (start, end) level names."""
    total, pct = p["total_steps"], p["pct_start"]
    if p["three_phase"]:
        ends = [float(pct * total) - 1, float(2 * pct * total) - 2, total - 1.0]
        levels = [("initial", "peak"), ("peak", "initial"), ("initial", "minimum")]
    else:
        ends = [float(pct * total) - 1, total - 1.0]
        levels = [("initial", "peak"), ("peak", "minimum")]
    return ends, levels


def _onecycle_curve(k, p, ops, levels, level_names):
    """torch ``OneCycleLR``'s annealing through its phases; ``levels`` maps level names to values.

    The learning rate (:func:`onecycle`) and the momentum (:func:`onecycle_momentum`) follow the
    same phases, each with its own start and end level per phase.
    """
    xp = ops.xp
    total = p["total_steps"]
    k = ops.minimum(k, total - 1)  # held at the last value after total_steps - 1
    ends = _onecycle_phases(p)[0]
    starts = [0.0] + ends[:-1]
    # Torch picks the first phase whose end is >= step (the last one otherwise). For an integer
    # step, step <= end  <=>  step <= floor(end): an exact integer comparison.
    phase = ops.xp.zeros_like(k) + ops.i(len(ends) - 1)
    for idx in range(len(ends) - 2, -1, -1):
        last_in_phase = math.floor(ends[idx])
        if last_in_phase >= 0:
            phase = xp.where(ops.lt(k, last_in_phase + 1), ops.i(idx), phase)
    # Position (k - start) / (end - start), with k - start = (k - s0) + (s0 - start), s0 = max(floor(start), 0).
    s0 = [max(math.floor(s), 0) for s in starts]
    offsets = [a - s for a, s in zip(s0, starts)]
    widths = [e - s if e - s > 0 else 1.0 for e, s in zip(ends, starts)]
    n = k - ops.take(ops.landmarks(s0), phase)
    width = ops.take(ops.floats(widths), phase)
    x = ops.ratio(n, width, ops.take(ops.floats(offsets), phase))
    # Its complement (end - k) / (end - start) = ((R - n) + r) / width with end - s0 = R + r split
    # exactly into an int R (within the integer range) and a float r, so that the last steps of a
    # phase, where the weight is tiny, have no cancellation error (e.g. under a clip far below the peak).
    rest, rest_offset = _phase_rests(tuple(ends), tuple(s0), ops.max_step)
    x1 = ops.ratio(ops.take(ops.ints(rest), phase) - n, width, ops.take(ops.floats(rest_offset), phase))
    # The half nearer 1 is 1 - the other: exact at the phase's end, where XLA's rewrite of the
    # division into a multiplication by 1/width (regrouped differently for a 0-d step) gave 1 ± ulp.
    low = x <= x1
    x, x1 = xp.where(low, x, 1.0 - x1), xp.where(low, 1.0 - x, x1)
    table = lambda which: xp.stack([levels[names[which]] for names in level_names])  # noqa: E731
    start, end = ops.take(table(0), phase), ops.take(table(1), phase)
    if p["anneal"] == "cos":
        c, c1 = ops.cos_half(x, x1)
        return ops.lerp(end, start, c, c1)
    return ops.lerp(start, end, x, x1)


@_array.host_constant
def _phase_rests(ends: tuple, s0: tuple, int_max: int) -> tuple[tuple, tuple]:
    """``end - s0 = R + r`` per phase, exactly: an int ``0 <= R <= int_max`` and a float ``r``."""
    rests, offsets = [], []
    for end, start in zip(ends, s0):
        q = Fraction(end) - start
        whole = min(max(math.floor(q), 0), int_max)
        rests.append(whole)
        offsets.append(float(q - whole))
    return tuple(rests), tuple(offsets)


def _onecycle(k, p, ops):
    peak, div, final_div = p["peak_value"], p["div_factor"], p["final_div_factor"]
    if _array.is_array(peak):
        # An array level (a tracer under vmap/grad): scaled in the float dtype by the reciprocals,
        # formed on the host (a factor cast to the dtype could round to 0 or inf; its reciprocal
        # fits, as the bound checks).
        top = ops.f(peak)
        initial = top * ops.f(1.0 / div)
        levels = {"peak": top, "initial": initial, "minimum": initial * ops.f(1.0 / final_div)}
    else:
        # torch's levels, computed as torch computes them (float64), each rounded once.
        initial = peak / div
        levels = {"peak": ops.f(peak), "initial": ops.f(initial), "minimum": ops.f(initial / final_div)}
    if p["final_value"] is not None:  # an absolute end (Paddle's end_learning_rate)
        levels["minimum"] = ops.f(p["final_value"])
    return _onecycle_curve(k, p, ops, levels, _onecycle_phases(p)[1])


def _onecycle_bound(p, reach):
    """Its levels: the peak, the initial value ``P/d`` and the final value ``P/d/f``."""
    div, final_div = p["div_factor"], p["final_div_factor"]
    peak = reach.level("peak_value", p["peak_value"])
    if _array.is_array(p["peak_value"]):
        reach.derived("div_factor", div, 1.0 / div, "1/div_factor")
        reach.derived("final_div_factor", final_div, 1.0 / final_div, "1/final_div_factor")
    initial = reach.derived("div_factor", div, peak / div, "the initial value peak_value/div_factor")
    if p["final_value"] is None:
        final, final_name = reach.derived(
            "final_div_factor", final_div, initial / final_div,
            "the final value peak_value/div_factor/final_div_factor",
        ), "final_div_factor"
    else:
        final, final_name = reach.level("final_value", p["final_value"]), "final_value"
    # Annealed between them: the rounding of the weights can pass the larger by an ulp.
    largest, name = max((peak, "peak_value"), (initial, "div_factor"), (final, final_name))
    return reach.derived(name, p[name], largest, "its largest value, annealed to")


#: torch's momentum levels per phase: down while the lr rises, back up while it falls.
_MOMENTUM_PHASES = {
    False: [("max", "base"), ("base", "max")],
    True: [("max", "base"), ("base", "max"), ("max", "max")],
}


def _onecycle_momentum(k, p, ops):
    levels = {"max": ops.f(p["max_momentum"]), "base": ops.f(p["base_momentum"])}
    return _onecycle_curve(k, p, ops, levels, _MOMENTUM_PHASES[p["three_phase"]])


def _onecycle_landmarks(p, end, landmarks_of):
    """Its parameters' landmarks and both sides of each phase end (torch's float phase ends)."""
    ends = _onecycle_phases(p)[0]
    return [*parameter_landmarks(p), *(math.floor(e) for e in ends), *(math.ceil(e) for e in ends)]


@register(_onecycle, landmarks=_onecycle_landmarks, bound=_onecycle_bound)
def onecycle(
    peak_value,
    total_steps,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal="cos",
    three_phase=False,
    final_value=None,
) -> Params:
    r"""The one-cycle learning rate of torch ``OneCycleLR`` (and Paddle ``OneCycleLR``).

    With :math:`v_0 = P / d` (``div_factor``) and :math:`v_{min} = v_0 / f` (``final_div_factor``),
    or :math:`v_{min}` = ``final_value`` when given (an absolute end, 0 included),
    the phases end (as torch computes them, in float64) at :math:`e_0 = p N - 1` and
    :math:`N - 1` (two phases: :math:`v_0 \to P \to v_{min}`), or at :math:`p N - 1`,
    :math:`2 p N - 2` and :math:`N - 1` (three phases: :math:`v_0 \to P \to v_0 \to v_{min}`).
    Step :math:`k` belongs to the first phase whose end is :math:`\ge k`; inside phase
    :math:`[s, e]` the value anneals from its start level :math:`a` to its end level :math:`b`:

    .. math::
        x = \frac{k - s}{e - s}, \qquad
        \eta(k) = b + (a - b)\,\tfrac12(1 + \cos \pi x) \;\;(\text{cos}), \quad
        a + (b - a)\,x \;\;(\text{linear})

    The value is held at its step :math:`N - 1` value afterwards (torch raises instead).

    Args:
        peak_value: the maximum learning rate :math:`P` (torch ``max_lr``).
        total_steps: :math:`N \ge 1`.
        pct_start: fraction :math:`p \in [0, 1]` of the steps spent rising.
        div_factor: :math:`d > 0`.
        final_div_factor: :math:`f > 0`.
        anneal: ``"cos"`` or ``"linear"``.
        three_phase: use torch's three-phase variant.
        final_value: optional absolute final value :math:`v_{min}` (any finite level, 0
            included), instead of ``final_div_factor`` (then left at its default).

    Example:
        >>> import lrcore
        >>> s = lrcore.onecycle(peak_value=1.0, total_steps=100)
        >>> print(float(s(0)), float(s(29)))
        0.04 1.0
        >>> print(float(lrcore.onecycle(1.0, 100, final_value=0.0)(99)))
        0.0

    Peers: torch ``OneCycleLR``; Paddle ``OneCycleLR`` (``end_learning_rate`` is ``final_value``).
    Reference: Smith & Topin, https://arxiv.org/abs/1708.07120
    """
    final_value = check.optional_level("final_value", final_value)
    final_div_factor = check.positive("final_div_factor", final_div_factor)
    check.only_with("final_div_factor", final_div_factor, 1e4, "final_value", final_value, None)
    return {
        "peak_value": check.level("peak_value", peak_value),
        "total_steps": check.length("total_steps", total_steps),
        "pct_start": check.in_range("pct_start", pct_start, 0.0, 1.0),
        "div_factor": check.positive("div_factor", div_factor),
        "final_div_factor": final_div_factor,
        "anneal": check.choice("anneal", anneal, ("cos", "linear")),
        "three_phase": check.boolean("three_phase", three_phase),
        "final_value": final_value,
    }


@register(_onecycle_momentum, landmarks=_onecycle_landmarks, bound=lambda p, reach: reach.lerp(p, "base_momentum", "max_momentum"))
def onecycle_momentum(
    total_steps,
    pct_start=0.3,
    base_momentum=0.85,
    max_momentum=0.95,
    anneal="cos",
    three_phase=False,
) -> Params:
    r"""The momentum curve of torch ``OneCycleLR`` (``cycle_momentum=True``), companion of :func:`onecycle`.

    The same phases as :func:`onecycle` with the same ``total_steps``, ``pct_start``, ``anneal`` and
    ``three_phase``; the momentum moves opposite to the learning rate. With :math:`m_1` =
    ``max_momentum`` and :math:`m_0` = ``base_momentum``, the phase levels are
    :math:`m_1 \to m_0 \to m_1` (two phases) or :math:`m_1 \to m_0 \to m_1 \to m_1` (three phases),
    annealed inside phase :math:`[s, e]` from start level :math:`a` to end level :math:`b` as the
    learning rate is:

    .. math::
        x = \frac{k - s}{e - s}, \qquad
        \mu(k) = b + (a - b)\,\tfrac12(1 + \cos \pi x) \;\;(\text{cos}), \quad
        a + (b - a)\,x \;\;(\text{linear})

    The value is held at its step :math:`N - 1` value afterwards. Drive an optimizer's momentum (or
    Adam's ``betas[0]``) with ``lrcore.torch.scheduler(opt, lr_schedule, momentum=...)``.

    Args:
        total_steps: :math:`N \ge 1`.
        pct_start: fraction :math:`p \in [0, 1]` of the steps spent rising (for the lr).
        base_momentum: :math:`m_0`, the momentum at the lr's peak.
        max_momentum: :math:`m_1`, the momentum at the start and the end.
        anneal: ``"cos"`` or ``"linear"``.
        three_phase: use torch's three-phase variant.

    Example:
        >>> import lrcore
        >>> m = lrcore.onecycle_momentum(total_steps=100)
        >>> print(float(m(0)), float(m(29)), float(m(99)))
        0.95 0.85 0.95

    Peer: torch ``OneCycleLR`` momentum (``momentum`` or ``betas[0]``).
    """
    return {
        "total_steps": check.length("total_steps", total_steps),
        "pct_start": check.in_range("pct_start", pct_start, 0.0, 1.0),
        "base_momentum": check.level("base_momentum", base_momentum),
        "max_momentum": check.level("max_momentum", max_momentum),
        "anneal": check.choice("anneal", anneal, ("cos", "linear")),
        "three_phase": check.boolean("three_phase", three_phase),
    }


# -- cyclic ------------------------------------------------------------------------------------
def _cyclic(k, p, ops):
    xp = ops.xp
    up, down = p["step_size_up"], p["step_size_down"]
    period = up + down
    cycle, r = ops.floordiv(k, period), ops.mod(k, period)
    rising = ops.ratio(r, up)
    if ops.in_range(period):
        # 1 - (r - U)/D as (U + D - r)/D, from integers: no cancellation at the end of the fall.
        falling = ops.ratio(ops.i(period) - r, down)
    else:
        falling = 1.0 - ops.ratio(xp.maximum(r - ops.landmark(up), ops.i(0)), down)
    height = xp.where(ops.lt(r, up + 1), rising, falling)
    mode = p["mode"]
    if mode == "triangular2":
        height = height * ops.power(0.5, ops.tofloat(cycle))
    elif mode == "exp_range":
        height = height * ops.power(p["gamma"], ops.tofloat(k))
    return ops.lerp(p["base_value"], p["max_value"], height)


def _cyclic_landmarks(p, end, landmarks_of):
    """Its parameters' landmarks and each cycle's start and turn, up to ``end`` (at most
    ``MAX_LANDMARKS``)."""
    up, period = p["step_size_up"], p["step_size_up"] + p["step_size_down"]
    points = parameter_landmarks(p)
    for c in range(min(MAX_LANDMARKS // 2, end // period + 1)):
        points += [c * period, c * period + up]
    return points


@register(_cyclic, landmarks=_cyclic_landmarks, bound=lambda p, reach: reach.lerp(p, "base_value", "max_value"))
def cyclic(
    base_value, max_value, step_size_up, step_size_down=None, mode="triangular", gamma=1.0
) -> Params:
    r"""Cyclical learning rate (triangular waves), after torch ``CyclicLR``.

    With :math:`U` = ``step_size_up``, :math:`D` = ``step_size_down``, cycle
    :math:`c = \lfloor k / (U + D) \rfloor` and position :math:`r = k - c(U + D)`:

    .. math::
        h = \begin{cases} r / U & r \le U \\ 1 - (r - U)/D & r > U \end{cases}, \qquad
        \eta(k) = v_0 + (v_1 - v_0)\, h\, s

    with :math:`s = 1` (``triangular``), :math:`2^{-c}` (``triangular2``) or :math:`\gamma^k`
    (``exp_range``).

    Args:
        base_value: the low value :math:`v_0` (torch ``base_lr``).
        max_value: the high value :math:`v_1` (torch ``max_lr``).
        step_size_up: :math:`U \ge 1`.
        step_size_down: :math:`D \ge 1`; defaults to ``step_size_up``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: :math:`0 < \gamma \le 1`, only for ``exp_range``.

    Example:
        >>> import lrcore
        >>> s = lrcore.cyclic(base_value=0.0, max_value=1.0, step_size_up=10)
        >>> print(float(s(5)), float(s(10)), float(s(15)))
        0.5 1.0 0.5

    Peer: torch ``CyclicLR``. Reference: Smith, https://arxiv.org/abs/1506.01186
    """
    return {
        "base_value": check.level("base_value", base_value),
        "max_value": check.level("max_value", max_value),
        **_cyclic_shape(step_size_up, step_size_down, mode, gamma),
    }


def _cyclic_shape(step_size_up, step_size_down, mode, gamma) -> dict:
    """The validated wave parameters shared by :func:`cyclic` and :func:`cyclic_momentum`."""
    step_size_up = check.length("step_size_up", step_size_up)
    step_size_down = step_size_up if step_size_down is None else check.length("step_size_down", step_size_down)
    mode = check.choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    gamma = check.positive("gamma", gamma)
    check.at_most("gamma", gamma, 1.0, "a growing gamma**step overflows to infinity")
    check.only_with("gamma", gamma, 1.0, "mode", mode, "exp_range")
    return {"step_size_up": step_size_up, "step_size_down": step_size_down, "mode": mode, "gamma": gamma}


def _cyclic_momentum(k, p, ops):
    # torch: momentum = max - (max - base)·h·s, i.e. the lr's wave from max_momentum towards base_momentum.
    wave = {key: p[key] for key in ("step_size_up", "step_size_down", "mode", "gamma")}
    return _cyclic(k, {"base_value": p["max_momentum"], "max_value": p["base_momentum"], **wave}, ops)


@register(_cyclic_momentum, landmarks=_cyclic_landmarks, bound=lambda p, reach: reach.lerp(p, "base_momentum", "max_momentum"))
def cyclic_momentum(
    step_size_up, step_size_down=None, base_momentum=0.8, max_momentum=0.9, mode="triangular", gamma=1.0
) -> Params:
    r"""The momentum curve of torch ``CyclicLR`` (``cycle_momentum=True``), companion of :func:`cyclic`.

    The same wave as :func:`cyclic` (cycle :math:`c`, height :math:`h`, scale :math:`s`), moving
    opposite to the learning rate: from :math:`m_1` = ``max_momentum`` down towards
    :math:`m_0` = ``base_momentum`` while the lr rises, and back:

    .. math::
        \mu(k) = m_1 - (m_1 - m_0)\, h\, s

    Drive an optimizer's momentum (or Adam's ``betas[0]``) with
    ``lrcore.torch.scheduler(opt, lr_schedule, momentum=...)``.

    Args:
        step_size_up: :math:`U \ge 1`, steps of the lr's rise (the momentum's fall).
        step_size_down: :math:`D \ge 1`; defaults to ``step_size_up``.
        base_momentum: :math:`m_0`, the momentum at the lr's peak.
        max_momentum: :math:`m_1`, the momentum at the lr's base.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: :math:`0 < \gamma \le 1`, only for ``exp_range``.

    Example:
        >>> import lrcore
        >>> m = lrcore.cyclic_momentum(step_size_up=10)
        >>> print(float(m(0)), float(m(10)), float(m(20)))
        0.9 0.8 0.9

    Peer: torch ``CyclicLR`` momentum (``momentum`` or ``betas[0]``).
    """
    return {
        **_cyclic_shape(step_size_up, step_size_down, mode, gamma),
        "base_momentum": check.level("base_momentum", base_momentum),
        "max_momentum": check.level("max_momentum", max_momentum),
    }
