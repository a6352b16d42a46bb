"""Schedules built from schedules: join, warmup, shift, per_epoch, stride, scale, clip, multiply and add."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

from . import validate as check
from .schedule import MAX_LANDMARKS, Params, as_schedule, register, value_floor


# -- join ----------------------------------------------------------------------------------------
def _child_floor(p, floor_of, bound_of):
    """The lower bound of a combinator that evaluates its one schedule at other steps."""
    return floor_of(p["schedule"])


def _join(k, p, ops):
    schedules, boundaries = p["schedules"], p["boundaries"]
    out = schedules[0].evaluate_with(k, ops)
    for b, schedule in zip(boundaries, schedules[1:]):
        if not ops.in_range(b):
            break  # this and later pieces start past every representable step
        out = ops.xp.where(k < ops.i(b), out, schedule.evaluate_with(ops.since(k, b), ops))
    return out


def _join_at_zero(p, ops, zeros, at_zero_of_child):
    piece = sum(1 for b in p["boundaries"] if b == 0)  # since(0, 0) is 0: the piece sees step 0
    return at_zero_of_child(p["schedules"][piece])


def _join_landmarks(p, end, landmarks_of):
    """The boundaries, and each piece's landmarks from its start on."""
    out = list(p["boundaries"])
    for schedule, start in zip(p["schedules"], (0, *p["boundaries"])):
        if start < end:
            out += [start + q for q in landmarks_of(schedule, end - start)]
    return out


def _join_bound(p, reach):
    return max(map(reach.child, p["schedules"]))


def _join_floor(p, floor_of, bound_of):
    return min(map(floor_of, p["schedules"]))


@register(_join, children={"schedules": "many"}, at_zero=_join_at_zero, landmarks=_join_landmarks, bound=_join_bound, floor=_join_floor)
def join(schedules, boundaries: Sequence[int]) -> Params:
    r"""Run ``schedules`` one after another, each restarting its step count at its boundary.

    .. math:: \eta(k) = s_i(k - b_{i-1}), \qquad i = \#\{\, j : b_j \le k \,\}

    (``schedules[0]`` sees ``k`` itself). A zero-length segment (two equal boundaries) is skipped.

    Args:
        schedules: ``len(boundaries) + 1`` schedules.
        boundaries: non-decreasing integers >= 0.

    Example:
        >>> import lrcore
        >>> s = lrcore.join([lrcore.constant(1.0), lrcore.linear(1.0, 0.0, 10)], boundaries=[5])
        >>> print(float(s(4)), float(s(10)))
        1.0 0.5

    Peer: optax ``join_schedules``.
    """
    items = check.sequence("schedules", schedules)
    items = tuple(as_schedule(f"schedules[{i}]", s) for i, s in enumerate(items))
    boundaries = check.boundaries("boundaries", boundaries, strict=False)
    check.lengths_match("schedules", items, "boundaries", boundaries, 1)
    return {"schedules": items, "boundaries": boundaries}


# -- warmup -----------------------------------------------------------------------------------------
def _warmup(k, p, ops):
    schedule, w = p["schedule"], p["warmup_steps"]
    # Delayed, the schedule starts at the warmup's end; overlaid, it runs from step 0 under the ramp.
    after = schedule.evaluate_with(ops.since(k, w) if p["delay"] else k, ops)
    if w == 0:
        return after
    return _warm(k, p, ops, after, schedule.value_at_zero(ops.xp.zeros_like(k), ops))


def _warm(k, p, ops, after, start):
    """The warmup's value, given the inner schedule's values at ``k - W`` and at step 0."""
    w = p["warmup_steps"]
    a, a1 = ops.fraction(ops.minimum(k, w), w)
    warm = ops.lerp(p["init_value"], start, a, a1)
    return ops.xp.where(ops.lt(k, w), warm, after)


def _warmup_at_zero(p, ops, zeros, at_zero_of_child):
    inner = at_zero_of_child(p["schedule"])
    return inner if p["warmup_steps"] == 0 else _warm(zeros, p, ops, inner, inner)


def _warmup_landmarks(p, end, landmarks_of):
    """The warmup's end, and the schedule's landmarks from there on (placed after the warmup when
    it delays the schedule, at their own steps when the ramp only covers its first steps)."""
    w = p["warmup_steps"]
    if w >= end:
        return [w]
    if not p["delay"]:
        return [w, *(q for q in landmarks_of(p["schedule"], end) if q >= w)]
    return [w, *(w + q for q in landmarks_of(p["schedule"], end - w))]


def _warmup_bound(p, reach):
    inner = reach.child(p["schedule"])
    init = reach.level("init_value", p["init_value"])
    if not max(inner, init):
        return 0.0
    # The ramp interpolates from init_value to the schedule's first value, at most its bound; where
    # that bound leaves no room for the ramp's rounding (a growth held at the largest float), the
    # first value itself, with room for its own error (within 2·eps of the schedule's bound).
    first = inner
    if inner * (1.0 + 4.0 * reach.eps) >= reach.limit:
        at_zero = _first_value(p["schedule"])
        if at_zero is not None:
            first = min(inner, at_zero + 8.0 * reach.eps * inner)
    name = "init_value" if init >= first else "schedule"
    ramp = reach.derived(name, p[name], max(first, init), "the warmup's largest value, interpolated to")
    return max(inner, ramp)


def _first_value(schedule) -> float | None:
    """``|schedule(0)|`` in float64 on the host, or None where its levels have no value yet (tracers)."""
    try:
        value = abs(float(schedule(0)))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _warmup_floor(p, floor_of, bound_of):
    # The ramp lies between init_value and the schedule's first value.
    init = None if p["init_value"] is None else check.concrete(p["init_value"])
    return min(floor_of(p["schedule"]), 0.0 if init is None else float(init))


@register(_warmup, children={"schedule": "one"}, at_zero=_warmup_at_zero, landmarks=_warmup_landmarks, bound=_warmup_bound, floor=_warmup_floor)
def warmup(schedule, warmup_steps, init_value=0.0, delay=True) -> Params:
    r"""A linear warmup from ``init_value`` to the schedule's first value, before the schedule
    (``delay=True``) or over its first ``warmup_steps`` steps (``delay=False``).

    .. math::
        \eta(k) = \begin{cases} v_0 + (s(0) - v_0)\,k / W & k < W \\ s(k - W) & k \ge W,
        \ \text{delay} \\ s(k) & k \ge W,\ \text{not delay} \end{cases}

    With ``delay=False`` the schedule keeps its own step count: at step :math:`W` it is at
    :math:`s(W)`, as if the warmup had not been there (timm's ``warmup_prefix=False``).

    Args:
        schedule: the schedule :math:`s` that follows the warmup.
        warmup_steps: :math:`W \ge 0`.
        init_value: :math:`v_0`, the value at step 0.
        delay: True or False; whether the schedule starts after the warmup (its step 0 at step
            :math:`W`) or runs from step 0 under it.

    Example:
        >>> import lrcore
        >>> s = lrcore.warmup(lrcore.constant(1.0), warmup_steps=10)
        >>> print(float(s(5)), float(s(10)))
        0.5 1.0
        >>> overlaid = lrcore.warmup(lrcore.linear(1.0, 0.0, 20), warmup_steps=10, delay=False)
        >>> print(float(overlaid(5)), float(overlaid(10)))
        0.5 0.5

    Peers: timm ``warmup_t``, ``warmup_lr_init`` with ``warmup_prefix=True`` (``delay=True``) or
    ``warmup_prefix=False`` (``delay=False``); torch ``SequentialLR([LinearLR(...), s], [W])``.
    """
    return {
        "schedule": as_schedule("schedule", schedule),
        "warmup_steps": check.phase("warmup_steps", warmup_steps),
        "init_value": check.level("init_value", init_value),
        "delay": check.boolean("delay", delay),
    }


# -- shift -----------------------------------------------------------------------------------------
def _shift(k, p, ops):
    return p["schedule"].evaluate_with(_shifted(k, p["offset"], ops), ops)


def _shifted(k, n, ops):
    """``k + n`` within ``[0, max_step]``: a delay (``n < 0``) holds step 0, an advance past the
    integer range is its largest step (as any step beyond it is); never an integer overflow."""
    if n <= 0:
        return ops.since(k, -n)
    return ops.ahead(k, min(n, ops.max_step))


def _shift_at_zero(p, ops, zeros, at_zero_of_child):
    if p["offset"] <= 0:  # the delay holds the schedule at its step 0
        return at_zero_of_child(p["schedule"])
    return _shift(zeros, p, ops)


def _shift_landmarks(p, end, landmarks_of):
    """The schedule's landmarks moved by ``offset``; a delay's end is one too."""
    n = p["offset"]
    if n >= 0:
        return [q - n for q in landmarks_of(p["schedule"], end + n) if q >= n]
    d = -n
    return [d, *(d + q for q in landmarks_of(p["schedule"], end - d))] if d < end else [d]


@register(_shift, children={"schedule": "one"}, at_zero=_shift_at_zero, landmarks=_shift_landmarks, floor=_child_floor)
def shift(schedule, offset) -> Params:
    r"""Move a schedule along the steps: ahead by ``offset`` steps, or late by ``-offset`` when negative.

    .. math:: \eta(k) = s(\max(k + n, 0))

    ``offset > 0`` starts the schedule ``offset`` steps into its curve (a run resumed at step
    :math:`n` of a schedule, or one whose count starts before the optimizer's); ``offset < 0``
    holds :math:`s(0)` for :math:`-n` steps, then runs :math:`s` from its start (a delay). As for
    any step, :math:`k + n` beyond the integer range the step is evaluated in is its largest step
    (:math:`2^{31} - 1` on JAX without x64, Keras on the JAX backend too, whose steps are int32).

    Args:
        schedule: the schedule :math:`s`.
        offset: :math:`n`, an integer number of steps (negative: a delay), with
            :math:`|n| \le 2^{63} - 1`.

    Example:
        >>> import lrcore
        >>> s = lrcore.linear(1.0, 0.0, 10)
        >>> print(float(lrcore.shift(s, 5)(0)), float(lrcore.shift(s, -5)(7)))
        0.5 0.8

    Peer: timm's warmup with ``warmup_prefix=False``: ``warmup(s, W, v0, delay=False)`` is
    ``join([linear(v0, s(0), W), shift(s, W)], [W])``.
    """
    limit = check.MAX_STEPS
    return {
        "schedule": as_schedule("schedule", schedule),
        "offset": check.integer("offset", offset, minimum=-limit, maximum=limit),
    }


# -- per_epoch --------------------------------------------------------------------------------------
def _per_epoch(k, p, ops):
    return p["schedule"].evaluate_with(ops.floordiv(k, p["steps_per_epoch"]), ops)


def _per_epoch_at_zero(p, ops, zeros, at_zero_of_child):
    return at_zero_of_child(p["schedule"])  # step 0 is in epoch 0


def _per_epoch_landmarks(p, end, landmarks_of):
    """Every epoch's first step (the value jumps there), up to ``MAX_LANDMARKS`` of them, and the
    schedule's landmarks (epochs) at their first steps."""
    n = p["steps_per_epoch"]
    epochs = -(-end // n)  # the epochs that start before `end`
    out = [q * n for q in landmarks_of(p["schedule"], epochs)]
    return out + [j * n for j in range(1, min(epochs, MAX_LANDMARKS + 1))]


@register(_per_epoch, children={"schedule": "one"}, at_zero=_per_epoch_at_zero, landmarks=_per_epoch_landmarks, floor=_child_floor)
def per_epoch(schedule, steps_per_epoch) -> Params:
    r"""Evaluate a schedule written in epochs on an update count: held for each epoch.

    .. math:: \eta(k) = s(\lfloor k / N \rfloor)

    The schedule's step is the number of epochs completed, and the value changes only when an
    epoch begins: what a framework stepping its scheduler once per epoch applies to each update
    (torch and Paddle schedulers stepped per epoch, timm's ``t_in_epochs=True``), given the update
    count that optax, Keras and Hugging Face pass.

    Args:
        schedule: the schedule :math:`s`, in epochs.
        steps_per_epoch: :math:`N \ge 1`, the updates in one epoch.

    Example:
        >>> import lrcore
        >>> s = lrcore.per_epoch(lrcore.linear(1.0, 0.0, 10), steps_per_epoch=100)
        >>> print(float(s(99)), float(s(100)))
        1.0 0.9

    Peers: timm ``t_in_epochs=True``; torch and Paddle ``scheduler.step()`` once per epoch.
    """
    return {
        "schedule": as_schedule("schedule", schedule),
        "steps_per_epoch": check.length("steps_per_epoch", steps_per_epoch),
    }


# -- stride -----------------------------------------------------------------------------------------
def _strided(k, n, ops):
    """``n·k`` within ``[0, max_step]``: a product past the integer range is its largest step (as
    any step beyond it is); never an integer overflow."""
    if n == 1:
        return k
    top = ops.max_step // n  # the largest k whose product is in range
    out = ops.minimum(k, top) * ops.i(n) if top > 0 else ops.xp.zeros_like(k)
    return ops.xp.where(k > ops.i(top), ops.i(ops.max_step), out)


def _stride_eval(k, p, ops):
    return p["schedule"].evaluate_with(_strided(k, p["units_per_step"], ops), ops)


def _stride_at_zero(p, ops, zeros, at_zero_of_child):
    return at_zero_of_child(p["schedule"])  # n·0 = 0


def _stride_landmarks(p, end, landmarks_of):
    """The schedule's landmarks ``q`` at the first steps that reach them: ``ceil(q / n)``."""
    n = p["units_per_step"]
    return sorted({-(-q // n) for q in landmarks_of(p["schedule"], (end - 1) * n + 1)})


@register(_stride_eval, children={"schedule": "one"}, at_zero=_stride_at_zero, landmarks=_stride_landmarks, floor=_child_floor)
def stride(schedule, units_per_step) -> Params:
    r"""Evaluate a schedule written in a finer unit (samples, tokens) on an update count.

    .. math:: \eta(k) = s(n \cdot k)

    The schedule's step is the number of units seen after :math:`k` updates of :math:`n` units
    each: a schedule in samples or tokens (Composer's ``"sp"`` and ``"tok"`` times) driven by the
    update count, with a constant batch. Exact integer arithmetic; as for any step, :math:`n k`
    beyond the integer range the step is evaluated in is its largest step. JAX without x64 (Keras
    on the JAX backend too) counts steps in int32: there the values are exact for
    :math:`n k \le 2^{31} - 1`, and later updates take :math:`s(2^{31} - 1)` (a token count
    passes it after :math:`2^{31} / n` updates: count tokens with ``lrcore.torch``, NumPy or
    TensorFlow, whose steps are int64). The inverse idea of :func:`per_epoch`.

    Args:
        schedule: the schedule :math:`s`, in units.
        units_per_step: :math:`n \ge 1`, the units (samples, tokens) in one update.

    Example:
        >>> import lrcore
        >>> s = lrcore.stride(lrcore.exponential_decay(1.0, 1000, 0.5, staircase=True), units_per_step=32)
        >>> print(float(s(31)), float(s(32)))
        1.0 0.5

    Peer: Composer's schedulers with times in samples or tokens, ``B`` of them per batch.
    """
    return {
        "schedule": as_schedule("schedule", schedule),
        "units_per_step": check.length("units_per_step", units_per_step),
    }


# -- scale -----------------------------------------------------------------------------------------
# scale, clip and multiply evaluate their schedules with precise values (``ops.exact()``): a
# product or a bound can make a schedule's small values its largest ones, and the cheap formulas
# are accurate relative to a schedule's largest value only (see docs/numerics.md).
def _scale(k, p, ops):
    return p["schedule"].evaluate_with(k, ops.exact()) * ops.f(p["factor"])


def _scale_at_zero(p, ops, zeros, at_zero_of_child):
    return at_zero_of_child(p["schedule"]) * ops.f(p["factor"])


def _scale_bound(p, reach):
    inner = reach.child(p["schedule"])
    factor = reach.constant("factor", p["factor"])
    if factor == 1.0:  # 1 or -1 (`-s`, `a - b`): the product is exact, with no rounding to make room for
        return inner
    reach.product_of_held("factor", p["factor"], inner, factor)
    held = f" (at the largest {reach.dtype}: a level there, or a growth held there without an end_value ceiling)" if inner >= reach.limit else ""
    return reach.derived("factor", p["factor"], factor * inner, f"|factor| times its schedule's values{held}")


def _scale_floor(p, floor_of, bound_of):
    factor = check.concrete(p["factor"])  # a traced factor never reaches here: value_floor gives -inf
    child = p["schedule"]
    return factor * floor_of(child) if factor >= 0 else factor * bound_of(child)


@register(_scale, children={"schedule": "one"}, at_zero=_scale_at_zero, bound=_scale_bound, floor=_scale_floor)
def scale(schedule, factor) -> Params:
    r"""Multiply a schedule by a constant; ``schedule * factor`` is the same.

    .. math:: \eta(k) = c \cdot s(k)

    Args:
        schedule: the schedule :math:`s`.
        factor: the finite factor :math:`c`.

    Example:
        >>> import lrcore
        >>> print(float((lrcore.constant(0.5) * 4)(0)))
        2.0
    """
    return {"schedule": as_schedule("schedule", schedule), "factor": check.level("factor", factor)}


# -- clip -----------------------------------------------------------------------------------------
def _clip(k, p, ops):
    return _bound(p["schedule"].evaluate_with(k, ops.exact()), p, ops)


def _bound(out, p, ops):
    # A comparison and a select, not maximum/minimum: a value equal to a bound (-0.0 against +0.0
    # included) gives the bound's own bits on every namespace, while torch's vectorized maximum
    # picks either zero depending on where the element falls in an array. A NaN compares false
    # and stays NaN.
    if p["min_value"] is not None:
        lo = ops.f(p["min_value"])
        out = ops.xp.where(out <= lo, lo, out)
    if p["max_value"] is not None:
        hi = ops.f(p["max_value"])
        out = ops.xp.where(out >= hi, hi, out)
    return out


def _clip_at_zero(p, ops, zeros, at_zero_of_child):
    return _bound(at_zero_of_child(p["schedule"]), p, ops)


def _clip_bound(p, reach):
    inner = reach.child(p["schedule"])
    lo, hi = reach.level("min_value", p["min_value"]), reach.level("max_value", p["max_value"])
    if p["min_value"] is not None and p["max_value"] is not None:
        return max(lo, hi)
    top = check.concrete(p["max_value"])
    if top is not None and top >= 0.0 and value_floor(p["schedule"]) >= 0.0:
        return hi  # min(s(k), b) of values >= 0 lies in [0, b] (a growth clipped, say)
    return max(inner, lo, hi)


def _clip_floor(p, floor_of, bound_of):
    floor = floor_of(p["schedule"])
    lo, hi = (None if p[k] is None else check.concrete(p[k]) for k in ("min_value", "max_value"))
    floor = floor if lo is None else max(floor, float(lo))
    return floor if hi is None else min(floor, float(hi))


@register(_clip, children={"schedule": "one"}, at_zero=_clip_at_zero, bound=_clip_bound, floor=_clip_floor)
def clip(schedule, min_value=None, max_value=None) -> Params:
    r"""Bound a schedule's values.

    .. math:: \eta(k) = \min(\max(s(k), a), b)

    Args:
        schedule: the schedule :math:`s`.
        min_value: the lower bound :math:`a`, or None.
        max_value: the upper bound :math:`b`, or None; at least one bound is required, and
            ``min_value <= max_value``.

    Example:
        >>> import lrcore
        >>> print(float(lrcore.clip(lrcore.linear(0.0, 1.0, 10), min_value=0.2)(0)))
        0.2
    """
    schedule = as_schedule("schedule", schedule)
    lo = check.optional_level("min_value", min_value)
    hi = check.optional_level("max_value", max_value)
    check.any_given("clip needs at least one bound", min_value=lo, max_value=hi)
    check.ordered("min_value", min_value, "max_value", max_value)
    return {"schedule": schedule, "min_value": lo, "max_value": hi}



# -- multiply -----------------------------------------------------------------------------------------
def _running(k, p, ops, combine):
    """The schedules' values combined left to right (a running product or sum); one schedule
    gives its own values.

    A product takes its schedules' precise values (``ops.exact()``): it can make a schedule's
    small values its largest ones. A sum of ``n`` schedules spends ``n - 1`` units of the
    evaluation's budget on its roundings (``ops.spend``): a term takes a cheap formula only where
    that formula's error and the sum's roundings stay within the promise, relative to the sum of
    the terms' largest magnitudes. Where a term holds a combinator that takes precise values
    (``scale``, ``clip``, a product), every term takes them: ``a - a`` is
    ``add([a, scale(a, -1.0)])``, and is 0 only if both terms are the same values."""
    schedules = p["schedules"]
    terms = _terms_ops(schedules, ops, combine)
    out = schedules[0].evaluate_with(k, terms)
    for schedule in schedules[1:]:
        out = combine(out, schedule.evaluate_with(k, terms))
    return out


def _terms_ops(schedules, ops, combine):
    """The evaluation a running product or sum of ``schedules`` evaluates them with."""
    if len(schedules) == 1:
        return ops
    if combine is operator.add and not any(map(_takes_precise, schedules)):
        return ops.spend(len(schedules) - 1)
    return ops.exact()


def _takes_precise(schedule) -> bool:
    """Whether ``schedule`` or a schedule inside it evaluates its schedules' precise values
    (``scale``, ``clip``, ``multiply`` of two or more)."""
    return any(name in ("scale", "clip") or (name == "multiply" and len(params["schedules"]) > 1)
               for name, params in schedule.nodes())


def _multiply(k, p, ops):
    return _running(k, p, ops, operator.mul)


def _running_bound(p, reach, combine, what: str) -> float:
    """The bound of a running product or sum, one schedule at a time (each partial result is
    formed, and can pass each of its terms' bounds: 0.5 + 0.5 is larger than both)."""
    schedules = p["schedules"]
    total = reach.child(schedules[0])
    for i, schedule in enumerate(schedules[1:], 1):
        inner = reach.child(schedule)
        if combine is operator.mul:
            reach.product_of_held(f"schedules[{i}]", schedule, inner, total)
            reach.product_of_held(f"schedules[{i}]", schedule, total, inner)
        held = f" (at the largest {reach.dtype}: a level there, or a growth held there without an end_value ceiling)" if max(total, inner) >= reach.limit else ""
        total = reach.derived(f"schedules[{i}]", schedule, combine(total, inner), f"{what} of schedules[0..{i}]'s values{held}")
    return total


def _multiply_bound(p, reach):
    return _running_bound(p, reach, operator.mul, "the product")


def _multiply_floor(p, floor_of, bound_of):
    lo = hi = 1.0
    for child in p["schedules"]:
        a, b = floor_of(child), bound_of(child)
        ends = [lo * a, lo * b, hi * a, hi * b]
        lo, hi = min(ends), max(ends)
    return lo


@register(_multiply, children={"schedules": "many"}, bound=_multiply_bound, floor=_multiply_floor)
def multiply(schedules) -> Params:
    r"""The product of schedules, step by step; ``a * b`` is ``multiply([a, b])``.

    .. math:: \eta(k) = \prod_i s_i(k)

    This is what torch's ``ChainedScheduler`` computes for multiplicative schedulers
    (``ExponentialLR``, ``StepLR``, ``MultiStepLR``, ``MultiplicativeLR``, ``LambdaLR`` factors …):
    each scheduler multiplies the lr by its own factor, so the lr is the base lr times the product
    of the factors. Build each factor as a schedule that starts at 1 (or give one of them the base
    lr), e.g. ``exponential_decay(1.0, 1, 0.9)`` for ``ExponentialLR(gamma=0.9)``.

    Args:
        schedules: one or more schedules :math:`s_i`, multiplied in this order.

    Example:
        >>> import lrcore
        >>> s = lrcore.multiply([lrcore.constant(0.5), lrcore.linear(1.0, 0.0, 10)])
        >>> print(float(s(5)))
        0.25

    Peer: torch ``ChainedScheduler`` of multiplicative schedulers.
    """
    items = check.sequence("schedules", schedules)
    check.nonempty("schedules", items, "schedule")
    items = tuple(as_schedule(f"schedules[{i}]", s) for i, s in enumerate(items))
    return {"schedules": items}


# -- add -----------------------------------------------------------------------------------------------
def _add(k, p, ops):
    return _running(k, p, ops, operator.add)


def _add_at_zero(p, ops, zeros, at_zero_of_child):
    schedules = p["schedules"]
    terms = _terms_ops(schedules, ops, operator.add)  # the terms' values as _add evaluates them
    out = schedules[0].value_at_zero(zeros, terms)
    for schedule in schedules[1:]:
        out = out + schedule.value_at_zero(zeros, terms)
    return out


def _add_bound(p, reach):
    return _running_bound(p, reach, operator.add, "the sum of the magnitudes")


def _add_floor(p, floor_of, bound_of):
    return sum(map(floor_of, p["schedules"]))


@register(_add, children={"schedules": "many"}, at_zero=_add_at_zero, bound=_add_bound, floor=_add_floor)
def add(schedules) -> Params:
    r"""The sum of schedules, step by step; ``a + b`` is ``add([a, b])``.

    .. math:: \eta(k) = \sum_i s_i(k)

    ``s + c`` and ``c + s`` with a number ``c`` add ``constant(c)``; ``a - b`` is
    ``add([a, scale(b, -1.0)])`` and ``-s`` is ``scale(s, -1.0)``. A floor under a decay
    (``cosine_decay(lr - lr_min, T) + lr_min``), the shape :math:`(r^x - r)/(1 - r)` of a scaled
    exponential, or a cyclic schedule's ``base + amplitude · f(k)`` are sums. The terms are added
    in order; a term's rounding counts against the sum, so a sum much smaller than its terms (they
    cancel) keeps the precision of the terms, not of the sum.

    Args:
        schedules: one or more schedules :math:`s_i`, added in this order.

    Example:
        >>> import lrcore
        >>> s = lrcore.cosine_decay(0.9, 10) + 0.1
        >>> print(float(s(0)), float(s(10)))
        1.0 0.1

    Peers: timm's ``lr_min + (lr - lr_min)·f(t)`` forms; Paddle's ``CyclicLR`` with a ``scale_fn``.
    """
    items = check.sequence("schedules", schedules)
    check.nonempty("schedules", items, "schedule")
    items = tuple(as_schedule(f"schedules[{i}]", s) for i, s in enumerate(items))
    return {"schedules": items}
