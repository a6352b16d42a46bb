"""Schedules built from schedules: join, warmup, scale, clip and multiply."""

from __future__ import annotations

from . import validate as check
from .schedule import REGISTRY, Params, as_schedule, register


# -- join ----------------------------------------------------------------------------------------
def _join(k, p, ops):
    schedules, boundaries = p["schedules"], p["boundaries"]
    out = schedules[0]._evaluate(k, ops)
    for b, schedule in zip(boundaries, schedules[1:]):
        if not ops.in_range(b):
            break  # this and later pieces start past every representable step
        out = ops.xp.where(k < ops.i(b), out, schedule._evaluate(ops.since(k, b), ops))
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


@register(_join, children={"schedules": "many"}, at_zero=_join_at_zero, landmarks=_join_landmarks, bound=lambda p, reach: max(map(reach.child, p["schedules"])))
def join(schedules, boundaries) -> Params:
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
    after = schedule._evaluate(ops.since(k, w), ops)
    if w == 0:
        return after
    return _warm(k, p, ops, after, _at_zero(schedule, ops.xp.zeros_like(k), ops))


def _warm(k, p, ops, after, start):
    """The warmup's value, given the inner schedule's values at ``k - W`` and at step 0."""
    w = p["warmup_steps"]
    a, a1 = ops.fraction(ops.minimum(k, w), w)
    warm = ops.lerp(p["init_value"], start, a, a1)
    return ops.xp.where(ops.lt(k, w), warm, after)


def _at_zero(schedule, zeros, ops):
    """``schedule._evaluate(zeros, ops)`` (bit for bit), with one evaluation per nesting level.

    A warmup needs its inner schedule's value at step 0 besides its value at ``k - W``; evaluating
    both by plain recursion would cost ``2**depth`` evaluations for nested warmups. At step 0 a
    combinator reads one value of the child that step 0 reaches (join: the piece that step 0 falls
    in), as its registration declares (``at_zero``).
    """
    # The slots: under torch.compile, Dynamo cannot use the `name` property's result as a dict key.
    name, p = schedule._name, schedule._params
    return REGISTRY[name].value_at_zero(p, ops, zeros, lambda child: _at_zero(child, zeros, ops))


def _warmup_at_zero(p, ops, zeros, at_zero_of_child):
    inner = at_zero_of_child(p["schedule"])
    return inner if p["warmup_steps"] == 0 else _warm(zeros, p, ops, inner, inner)


def _warmup_landmarks(p, end, landmarks_of):
    """The warmup's end, and the schedule's landmarks from there on."""
    w = p["warmup_steps"]
    return [w, *(w + q for q in landmarks_of(p["schedule"], end - w))] if w < end else [w]


def _warmup_bound(p, reach):
    inner = reach.child(p["schedule"])
    init = reach.level("init_value", p["init_value"])
    if not max(inner, init):
        return 0.0
    # The ramp interpolates from init_value to the schedule's first value.
    name = "init_value" if init >= inner else "schedule"
    return reach.derived(name, p[name], max(inner, init), "the warmup's largest value, interpolated to")


@register(_warmup, children={"schedule": "one"}, at_zero=_warmup_at_zero, landmarks=_warmup_landmarks, bound=_warmup_bound)
def warmup(schedule, warmup_steps, init_value=0.0) -> Params:
    r"""Prepend a linear warmup from ``init_value`` to the schedule's first value.

    .. math::
        \eta(k) = \begin{cases} v_0 + (s(0) - v_0)\,k / W & k < W \\ s(k - W) & k \ge W \end{cases}

    Args:
        schedule: the schedule :math:`s` that follows the warmup.
        warmup_steps: :math:`W \ge 0`.
        init_value: :math:`v_0`, the value at step 0.

    Example:
        >>> import lrcore
        >>> s = lrcore.warmup(lrcore.constant(1.0), warmup_steps=10)
        >>> print(float(s(5)), float(s(10)))
        0.5 1.0
    """
    return {
        "schedule": as_schedule("schedule", schedule),
        "warmup_steps": check.phase("warmup_steps", warmup_steps),
        "init_value": check.level("init_value", init_value),
    }


# -- scale -----------------------------------------------------------------------------------------
# scale, clip and multiply evaluate their schedules with precise values (``ops.exact()``): a
# product or a bound can make a schedule's small values its largest ones, and the cheap formulas
# are accurate relative to a schedule's largest value only (see docs/numerics.md).
def _scale(k, p, ops):
    return p["schedule"]._evaluate(k, ops.exact()) * ops.f(p["factor"])


def _scale_at_zero(p, ops, zeros, at_zero_of_child):
    return at_zero_of_child(p["schedule"]) * ops.f(p["factor"])


def _scale_bound(p, reach):
    inner = reach.child(p["schedule"])
    factor = reach.constant("factor", p["factor"])
    held = f" (held at the largest {reach.dtype}: a growth without an end_value ceiling)" if inner >= reach.limit else ""
    return reach.derived("factor", p["factor"], factor * inner, f"|factor| times its schedule's values{held}")


@register(_scale, children={"schedule": "one"}, at_zero=_scale_at_zero, bound=_scale_bound)
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
    return _bound(p["schedule"]._evaluate(k, ops.exact()), p, ops)


def _bound(out, p, ops):
    if p["min_value"] is not None:
        out = ops.xp.maximum(out, ops.f(p["min_value"]))
    if p["max_value"] is not None:
        out = ops.xp.minimum(out, ops.f(p["max_value"]))
    return out


def _clip_at_zero(p, ops, zeros, at_zero_of_child):
    return _bound(at_zero_of_child(p["schedule"]), p, ops)


def _clip_bound(p, reach):
    inner = reach.child(p["schedule"])
    lo, hi = reach.level("min_value", p["min_value"]), reach.level("max_value", p["max_value"])
    if p["min_value"] is not None and p["max_value"] is not None:
        return max(lo, hi)
    return max(inner, lo, hi)


@register(_clip, children={"schedule": "one"}, at_zero=_clip_at_zero, bound=_clip_bound)
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
def _multiply(k, p, ops):
    schedules = p["schedules"]
    exact = ops.exact() if len(schedules) > 1 else ops  # one schedule: its own values, no product
    out = schedules[0]._evaluate(k, exact)
    for schedule in schedules[1:]:
        out = out * schedule._evaluate(k, exact)
    return out


def _multiply_bound(p, reach):
    # The running product, one schedule at a time (each partial product is formed).
    schedules = p["schedules"]
    product = reach.child(schedules[0])
    for i, schedule in enumerate(schedules[1:], 1):
        inner = reach.child(schedule)
        held = f" (held at the largest {reach.dtype}: a growth without an end_value ceiling)" if max(product, inner) >= reach.limit else ""
        product = reach.derived(
            f"schedules[{i}]", schedule, product * inner, f"the product of schedules[0..{i}]'s values{held}"
        )
    return product


@register(_multiply, children={"schedules": "many"}, bound=_multiply_bound)
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
