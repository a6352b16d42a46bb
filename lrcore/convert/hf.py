"""``from_hf``: a transformers schedule (``get_scheduler`` name and arguments) to its lrcore schedule.

transformers' schedules are ``LambdaLR`` multipliers of the optimizer's lr; the converted schedules
carry the lr itself (absolute values): use them with ``lrcore.torch.scheduler(optimizer, s)``. The
arguments are those of ``transformers.get_scheduler`` (``scheduler_specific_kwargs`` may be given
as keywords). This module imports no framework.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .. import combinators, cosine, decay, transformer
from ..schedule import MAX_LANDMARKS, Schedule
from ..validate import MAX_STEPS
from ._common import cannot, names_peer_arguments, peer_bug, real, whole

PEER = "transformers"


@names_peer_arguments(PEER, {
    "init_value": "lr", "peak_value": "lr", "value": "lr", "scale": "lr", "factor": "lr", "warmup_steps": "num_warmup_steps",
    "decay_steps": "num_training_steps", "transition_steps": "num_training_steps", "end_value": "lr_end (or min_lr_rate)",
    "power": "power", "timescale": "timescale",
})
def from_hf(name, *, lr, num_warmup_steps=None, num_training_steps=None, scheduler_specific_kwargs=None,
            **kwargs) -> Schedule:
    r"""The lrcore schedule of ``transformers.get_scheduler(name, optimizer, ...)`` for an optimizer
    whose learning rate is ``lr``: absolute values, the lr of update :math:`n` at step :math:`n`.

    .. math:: \eta(n) = \texttt{lr} \cdot \lambda_{\text{name}}(n)

    Names: ``constant``, ``constant_with_warmup``, ``linear``, ``cosine``, ``cosine_with_restarts``,
    ``polynomial``, ``inverse_sqrt``, ``cosine_with_min_lr``, ``cosine_warmup_with_min_lr`` and
    ``warmup_stable_decay``. ``num_cycles`` other than 0.5 gives the periodic cosine, falling over
    ``(num_training_steps - num_warmup_steps) / (2·num_cycles)`` steps, a ratio ``a/b``
    (``cosine_decay(..., periodic=True, speed=b)``), which climbs back inside training and past it
    as transformers' does; ``cosine_with_restarts`` cycles of a fractional length restart at the
    first step of each. With ``num_cycles=0.5`` the cosines hold their last value past
    ``num_training_steps`` (transformers' climbs back), except ``cosine_warmup_with_min_lr``'s, whose curve reaches its
    end one step early: it is the periodic cosine, which climbs back as transformers' does.

    Args:
        name: the scheduler name (a string or transformers' ``SchedulerType``).
        lr: the optimizer's learning rate (transformers' schedules multiply it).
        num_warmup_steps: as ``get_scheduler``'s.
        num_training_steps: as ``get_scheduler``'s.
        scheduler_specific_kwargs: as ``get_scheduler``'s (``num_cycles``, ``lr_end``, ``power``,
            ``timescale``, ``min_lr``, ``min_lr_rate``, ``num_decay_steps``, ...); they may also be
            passed as keywords.
        **kwargs: the scheduler-specific arguments, as keywords.

    Example:
        >>> import lrcore
        >>> s = lrcore.from_hf("linear", lr=1e-3, num_warmup_steps=10, num_training_steps=110)
        >>> print(float(s(5)), float(s(10)), float(s(60)))
        0.0005 0.001 0.0005
    """
    key = str(getattr(name, "value", name))
    extra = dict(scheduler_specific_kwargs or {})
    for k in set(extra) & set(kwargs):
        raise TypeError(f"transformers {key}: argument `{k}` given twice (as a keyword and in "
                        f"scheduler_specific_kwargs). Received: {k}={kwargs[k]!r}")
    extra.update(kwargs)
    lr = real(PEER, "lr", lr)
    if key in ("reduce_lr_on_plateau", "greedy"):
        raise cannot(PEER, f"the scheduler {key!r} (a rule driven by a metric)",
                     "Use lrcore.torch.ReduceLROnPlateau(lrcore.torch.scheduler(optimizer, schedule), ...).")
    if key not in _SIGNATURES:
        raise ValueError(f"transformers: unknown scheduler name {key!r}. Known: {', '.join(sorted(_SIGNATURES))}, "
                         f"reduce_lr_on_plateau, greedy. Received: name={name!r}")
    needs, defaults = _SIGNATURES[key]
    unknown = sorted(set(extra) - set(defaults))
    if unknown:
        raise TypeError(f"transformers {key}: unexpected argument(s) {', '.join(unknown)}; it takes "
                        f"{', '.join(sorted(defaults)) or 'none'}. Received: {', '.join(f'{k}={extra[k]!r}' for k in unknown)}")
    given = {"num_warmup_steps": num_warmup_steps, "num_training_steps": num_training_steps}
    args = {**defaults, **extra}
    for arg in needs:
        if given[arg] is None:
            raise ValueError(f"transformers {key} requires `{arg}`. Received: {arg}=None")
        args[arg] = whole(PEER, arg, given[arg])
    if key == "warmup_stable_decay":
        if args["num_decay_steps"] is None:
            raise ValueError("transformers warmup_stable_decay requires `num_decay_steps`. Received: num_decay_steps=None")
        if args["num_stable_steps"] is None:
            if num_training_steps is None:
                raise ValueError("transformers warmup_stable_decay requires `num_training_steps` or `num_stable_steps`. "
                                 "Received: both None")
            total = whole(PEER, "num_training_steps", num_training_steps)
            args["num_stable_steps"] = total - args["num_warmup_steps"] - whole(PEER, "num_decay_steps", args["num_decay_steps"])
    if key in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        min_lr = args.pop("min_lr")
        if min_lr is not None and args["min_lr_rate"] is not None:
            raise ValueError(f"transformers {key}: give one of `min_lr` and `min_lr_rate`. "
                             f"Received: min_lr={min_lr!r}, min_lr_rate={args['min_lr_rate']!r}")
        if min_lr is not None:
            args["min_lr_rate"] = real(PEER, "min_lr", min_lr) / lr  # as transformers computes it
        elif args["min_lr_rate"] is None:
            raise ValueError(f"transformers {key}: one of `min_lr` and `min_lr_rate` is required. Received: neither")
    if key == "polynomial":
        args["lr_init"] = lr
    if key == "inverse_sqrt" and args["timescale"] is None:
        args["timescale"] = args["num_warmup_steps"] or 10_000
    return _BUILDERS[_LAMBDA_OF[key]](lr, **args)


def from_lambda(fn, base: float):
    """The schedule of a transformers ``LambdaLR`` multiplier ``fn`` (a ``functools.partial`` of one of
    transformers' lambda functions, or its constant one) times ``base``, or None for another function."""
    inner = getattr(fn, "func", fn)
    if not str(getattr(inner, "__module__", "")).startswith("transformers"):
        return None
    name = getattr(inner, "__name__", "")
    if name == "_get_constant_lambda":
        return decay.constant(base)
    if name not in _BUILDERS:
        return None
    keywords = dict(getattr(fn, "keywords", {}) or {})
    if name == _LAMBDA_OF["polynomial"]:
        lr_init = real(PEER, "lr_init", keywords["lr_init"])
        s = _BUILDERS[name](lr_init, **keywords)
        return s if base == lr_init else combinators.scale(s, base / lr_init)
    return _BUILDERS[name](base, **keywords)


# -- the curves, one per transformers lambda function, from that function's keywords ----------------
def _warm(schedule: Schedule, w: int) -> Schedule:
    """A linear ramp 0 -> the schedule's first value over ``w`` steps (transformers' ``k / W``)."""
    return combinators.warmup(schedule, w) if w else schedule


def _decay_length(key: str, w: int, t: int) -> int:
    if t <= w:
        raise cannot(PEER, f"{key} with num_training_steps={t} <= num_warmup_steps={w}",
                     "Give more training steps than warmup steps.")
    return t - w


def _fall(key: str, num_cycles, d: int, top: float, end: float) -> Schedule:
    """transformers' ``end + (top - end)·½(1 + cos(2π·num_cycles·k/d))``: the periodic cosine whose
    fall lasts ``d / (2·num_cycles)`` steps, a ratio ``a/b`` of integers (``num_cycles`` read as the
    decimal it is written as, ``repr``: 0.3 is 3/10): ``cosine_decay(top, a, periodic=True, speed=b)``."""
    c = real(PEER, "num_cycles", num_cycles)
    if not c > 0:
        raise ValueError(f"transformers {key}: argument `num_cycles` must be > 0. Received: num_cycles={num_cycles!r}")
    half = Fraction(d) / (2 * Fraction(repr(c)))
    if half.numerator > cosine._MAX_SPED_STEPS:
        raise cannot(PEER, f"{key} with num_cycles={num_cycles!r} over {d} steps (a fall of {half} steps)",
                     "lrcore's periodic cosine falls over a/b steps with a <= 2**30 - 1: use a num_cycles with fewer "
                     "decimal digits.")
    return cosine.cosine_decay(top, half.numerator, end_value=end, periodic=True, speed=half.denominator)


def _constant_warmup(lr, *, num_warmup_steps):
    return _warm(decay.constant(lr), whole(PEER, "num_warmup_steps", num_warmup_steps))


def _linear(lr, *, num_warmup_steps, num_training_steps):
    w, t = whole(PEER, "num_warmup_steps", num_warmup_steps), whole(PEER, "num_training_steps", num_training_steps)
    if t > w:
        return _warm(decay.linear(lr, 0.0, t - w), w)
    # No decay phase: the ramp, then 0.
    return combinators.join([decay.linear(0.0, lr, w), decay.constant(0.0)], [w]) if w else decay.constant(0.0)


def _cosine(lr, *, num_warmup_steps, num_training_steps, num_cycles=0.5, min_lr_rate=0.0):
    w, t = whole(PEER, "num_warmup_steps", num_warmup_steps), whole(PEER, "num_training_steps", num_training_steps)
    d = _decay_length("cosine", w, t)
    rate = real(PEER, "min_lr_rate", min_lr_rate)
    if real(PEER, "num_cycles", num_cycles) == 0.5:
        return _at_least_0(cosine.warmup_cosine_decay(0.0, lr, w, t, end_value=rate * lr), rate, lr)
    # cos(2π·num_cycles·(k - W)/(T - W)): the periodic cosine, falling over (T - W)/(2·num_cycles) steps.
    return _at_least_0(_warm(_fall("cosine", num_cycles, d, lr, rate * lr), w), rate, lr)


def _at_least_0(schedule: Schedule, rate: float, lr: float) -> Schedule:
    """transformers' ``max(0, factor)``: a negative ``min_lr_rate`` (or ``min_lr``, or WSD's
    ``min_lr_ratio``) makes its factor cross 0, where the lr stays 0. The lr is ``lr · factor``:
    at most 0 for a negative ``lr``."""
    if rate >= 0.0 or lr == 0.0:
        return schedule
    return combinators.clip(schedule, min_value=0.0) if lr > 0.0 else combinators.clip(schedule, max_value=0.0)


def _hard_restarts(lr, *, num_warmup_steps, num_training_steps, num_cycles=1):
    w, t = whole(PEER, "num_warmup_steps", num_warmup_steps), whole(PEER, "num_training_steps", num_training_steps)
    cycles = whole(PEER, "num_cycles", num_cycles, 1)
    d = _decay_length("cosine_with_restarts", w, t)
    if cycles > min(d, MAX_LANDMARKS):  # each restart is checked against transformers' float position
        raise cannot(PEER, f"cosine_with_restarts with num_cycles={num_cycles!r} over {d} steps",
                     f"lrcore converts at most min(num_training_steps - num_warmup_steps, {MAX_LANDMARKS}) cycles "
                     "(a cycle shorter than one step restarts at every step): use fewer cycles.")
    # Cycle r covers the real steps [r·d/c, (r+1)·d/c) after the warmup; transformers finds it as
    # (num_cycles · progress) % 1 in floats: where that rounds just below a whole number at a
    # restart, it gives the cycle's end (0) instead of the peak.
    restarts = [-(-r * d // cycles) for r in range(1, cycles)]
    wrong = [w + k for r, k in enumerate(restarts, 1) if math.floor(float(cycles) * (float(k) / float(d))) < r]
    if wrong:
        peer_bug(PEER, f"cosine_with_restarts computes the cycle position in floats, which puts the restart(s) at "
                       f"step(s) {wrong[:5]} at the end of the previous cycle (lr ~ 0 instead of the peak).")
    if d % cycles == 0:
        body = cosine.cosine_restart(lr, d // cycles)
    else:
        # Cycles of d/c steps, a ratio a/b: lr·½(1 + cos(π·frac(x))) at x = c·k/d is the periodic cosine
        # falling over a/b steps in even cycles and its mirror (0 up to lr) in odd ones, each from its
        # restart ceil(r·d/c) on.
        period = Fraction(d, cycles)
        a, b = period.numerator, period.denominator
        if a > cosine._MAX_SPED_STEPS:
            raise cannot(PEER, f"cosine_with_restarts with cycles of {period} steps",
                         "lrcore's periodic cosine falls over a/b steps with a <= 2**30 - 1: make "
                         "num_training_steps - num_warmup_steps a multiple of num_cycles.")
        halves = (cosine.cosine_decay(lr, a, periodic=True, speed=b),
                  cosine.cosine_decay(0.0, a, end_value=lr, periodic=True, speed=b))
        pieces = [halves[0]] + [combinators.shift(halves[r % 2], k) for r, k in enumerate(restarts, 1)]
        body = combinators.join(pieces, restarts)
    return combinators.join([_warm(body, w), decay.constant(0.0)], [t])


def _polynomial(lr, *, num_warmup_steps, num_training_steps, lr_end=1e-7, power=1.0, lr_init=None):
    w, t = whole(PEER, "num_warmup_steps", num_warmup_steps), whole(PEER, "num_training_steps", num_training_steps)
    end = real(PEER, "lr_end", lr_end)
    if not lr > end:
        raise ValueError(f"transformers polynomial: lr_end ({end}) must be smaller than the initial lr ({lr}). "
                         f"Received: lr_end={lr_end!r}")
    d, power = _decay_length("polynomial", w, t), real(PEER, "power", power)
    if power == 0.0:
        # transformers: (lr - lr_end)·remaining**0 + lr_end is lr up to step T itself (0**0 = 1),
        # then lr_end; a decay of power 0 holds its first value for good. (Past the last int64
        # step, d = 2**63 - 1, lr_end is never reached: lr throughout.)
        if d + 1 > MAX_STEPS:
            return _warm(decay.constant(lr), w)
        return _warm(combinators.join([decay.constant(lr), decay.constant(end)], [d + 1]), w)
    return _warm(decay.polynomial_decay(lr, end, d, power=power), w)


def _inverse_sqrt(lr, *, num_warmup_steps, timescale=None):
    w = whole(PEER, "num_warmup_steps", num_warmup_steps)
    return transformer.inverse_sqrt(lr, w, timescale=whole(PEER, "timescale", (w or 10_000) if timescale is None else timescale, 1))


def _cosine_lr_rate(lr, *, num_warmup_steps, num_training_steps, num_cycles=0.5, min_lr_rate=0.0, warmup_lr_rate=None):
    w, t = whole(PEER, "num_warmup_steps", num_warmup_steps), whole(PEER, "num_training_steps", num_training_steps)
    d = _decay_length("cosine_warmup_with_min_lr", w, t)
    rate = real(PEER, "min_lr_rate", min_lr_rate)
    # Warmup (k + 1)/W (or warmup_lr_rate + (1 - warmup_lr_rate)·k/(W - 1)) reaching lr at k = W - 1,
    # where the cosine over t - W steps starts (its progress is (k - W + 1)/(t - W)).
    # Periodic: its end is at step T - 1, and transformers' cosine climbs back after it. Only the
    # cosine is clamped at 0 (the warmup is as given, a negative warmup_lr_rate included).
    body = _at_least_0(_fall("cosine_warmup_with_min_lr", num_cycles, d, lr, rate * lr), rate, lr)
    if w == 0:  # no warmup: the progress (k + 1)/t, the cosine one step in
        return combinators.shift(body, 1)
    if w == 1:
        if warmup_lr_rate is None or real(PEER, "warmup_lr_rate", warmup_lr_rate) == 1.0:
            return body  # warmup (0 + 1)/1: the cosine from step 0 on
        # Step 0 is warmup_lr_rate·lr, then the cosine one step in.
        return combinators.join([decay.constant(real(PEER, "warmup_lr_rate", warmup_lr_rate) * lr),
                                 combinators.shift(body, 1)], [1])
    first = 1.0 / w if warmup_lr_rate is None else real(PEER, "warmup_lr_rate", warmup_lr_rate)
    return combinators.join([decay.linear(first * lr, lr, w - 1), body], [w - 1])


def _wsd(lr, *, num_warmup_steps, num_stable_steps, num_decay_steps, warmup_type="linear", decay_type="cosine",
         min_lr_ratio=0.0, num_cycles=0.5):
    for arg, value in (("warmup_type", warmup_type), ("decay_type", decay_type)):
        if value not in ("linear", "cosine", "1-sqrt"):
            raise ValueError(f"transformers warmup_stable_decay: argument `{arg}` must be 'linear', 'cosine' or "
                             f"'1-sqrt'. Received: {arg}={value!r}")
    w, s = whole(PEER, "num_warmup_steps", num_warmup_steps), whole(PEER, "num_stable_steps", num_stable_steps)
    d, rate = whole(PEER, "num_decay_steps", num_decay_steps, 1), real(PEER, "min_lr_ratio", min_lr_ratio)
    end = rate * lr
    out = transformer.warmup_stable_decay(lr, w, s, d, end_value=end, warmup_shape=warmup_type, decay_shape=decay_type)
    if decay_type == "cosine" and real(PEER, "num_cycles", num_cycles) != 0.5:
        # cos(2π·num_cycles·progress) over the d decay steps: the periodic cosine, then min_lr_ratio·lr.
        fall = _fall("warmup_stable_decay", num_cycles, d, lr, end)
        out = combinators.join([fall, decay.constant(end)], [d]) if w + s == 0 else combinators.join(
            [out, fall, decay.constant(end)], [w + s, w + s + d])
    if rate >= 0.0:
        return out
    # transformers clamps the warmup and the decay at 0 (max(0, factor)), not what follows them:
    # min_lr_ratio·lr itself from step W + S + D on.
    return combinators.join([_at_least_0(out, rate, lr), decay.constant(end)], [w + s + d])


#: transformers' lambda functions, by name, and the curve each one gives.
_BUILDERS = {
    "_get_constant_schedule_with_warmup_lr_lambda": _constant_warmup,
    "_get_linear_schedule_with_warmup_lr_lambda": _linear,
    "_get_cosine_schedule_with_warmup_lr_lambda": _cosine,
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda": _hard_restarts,
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": _polynomial,
    "_get_inverse_sqrt_schedule_lr_lambda": _inverse_sqrt,
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda": _cosine_lr_rate,
    "_get_wsd_scheduler_lambda": _wsd,
    "constant": lambda lr: decay.constant(lr),
}
#: get_scheduler's names, and the lambda function each one builds.
_LAMBDA_OF = {
    "constant": "constant",
    "constant_with_warmup": "_get_constant_schedule_with_warmup_lr_lambda",
    "linear": "_get_linear_schedule_with_warmup_lr_lambda",
    "cosine": "_get_cosine_schedule_with_warmup_lr_lambda",
    "cosine_with_restarts": "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda",
    "polynomial": "_get_polynomial_decay_schedule_with_warmup_lr_lambda",
    "inverse_sqrt": "_get_inverse_sqrt_schedule_lr_lambda",
    "cosine_with_min_lr": "_get_cosine_schedule_with_warmup_lr_lambda",
    "cosine_warmup_with_min_lr": "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda",
    "warmup_stable_decay": "_get_wsd_scheduler_lambda",
}
_WT = ("num_warmup_steps", "num_training_steps")
#: get_scheduler's names: (the step counts it requires, its scheduler-specific arguments and defaults).
_SIGNATURES = {
    "constant": ((), {}),
    "constant_with_warmup": (("num_warmup_steps",), {}),
    "linear": (_WT, {}),
    "cosine": (_WT, {"num_cycles": 0.5}),
    "cosine_with_restarts": (_WT, {"num_cycles": 1}),
    "polynomial": (_WT, {"lr_end": 1e-7, "power": 1.0}),
    "inverse_sqrt": (("num_warmup_steps",), {"timescale": None}),
    "cosine_with_min_lr": (_WT, {"num_cycles": 0.5, "min_lr": None, "min_lr_rate": None}),
    "cosine_warmup_with_min_lr": (_WT, {"num_cycles": 0.5, "min_lr": None, "min_lr_rate": None, "warmup_lr_rate": None}),
    "warmup_stable_decay": (("num_warmup_steps",), {"num_decay_steps": None, "num_stable_steps": None,
                                                    "warmup_type": "linear", "decay_type": "cosine",
                                                    "min_lr_ratio": 0.0, "num_cycles": 0.5}),
}
