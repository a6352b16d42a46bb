"""``from_composer``: a Composer scheduler (``composer.optim.scheduler``) to its lrcore schedule.

Read by duck typing (class name and attributes; times as strings such as ``"10ba"`` or Composer
``Time`` objects): this module imports no Composer. Composer's schedulers are multipliers of the
optimizer's lr, a function of the batch; the converted schedule is that multiplier at batch ``k``
(times ``lr`` when given).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .. import combinators, cosine, decay, piecewise
from ..schedule import Schedule
from ._common import cannot, peer_arguments, peer_bug, real, stairs, whole

PEER = "composer"
_TIME = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ba|ep|dur|sp|tok|sec)\s*$")


def from_composer(scheduler, max_duration, steps_per_epoch=None, *, ssr=1.0, lr=1.0, samples_per_batch=None,
                  tokens_per_batch=None) -> Schedule:
    r"""The lrcore schedule of a Composer scheduler, in batches: its multiplier at batch :math:`k`
    times ``lr``.

    .. math:: \eta(k) = \texttt{lr} \cdot \alpha(k)

    Times given in epochs need ``steps_per_epoch`` (Composer's ``dataloader_len``); durations
    (``"0.5dur"``) are fractions of ``max_duration``. Where Composer's float arithmetic truncates a
    time or a restart period below its documented whole number of batches, a ``UserWarning`` says so
    and the documented curve is returned.

    Times in samples (``"sp"``) or tokens (``"tok"``), and a ``max_duration`` in them, need the
    constant ``samples_per_batch`` (or ``tokens_per_batch``) :math:`B`: the schedule is then built in
    samples (tokens), batch and epoch times taken as :math:`B` samples a batch, and evaluated at
    :math:`B k` at batch :math:`k` (``lrcore.stride``), as Composer compares such times with the
    trainer's sample (token) count.

    Composer's Trainer steps its schedulers before it advances its timestamp, so it trains batch
    :math:`k \ge 1` at the value for batch :math:`k - 1`; ``lrcore.shift(schedule, -1)`` repeats that.

    Args:
        scheduler: a ``composer.optim.scheduler`` scheduler (``CosineAnnealingWithWarmupScheduler``, ...).
        max_duration: the trainer's ``max_duration`` (``"10ep"``, ``"1000ba"`` or a ``Time``).
        steps_per_epoch: batches per epoch, for times in epochs.
        ssr: the trainer's scale schedule ratio.
        lr: the optimizer's learning rate (the multiplier's unit).
        samples_per_batch: the samples in each batch, for times in samples.
        tokens_per_batch: the tokens in each batch, for times in tokens (on JAX, TensorFlow and
            Keras, whose steps are int32, exact while tokens seen stay below 2**31: see
            ``lrcore.stride``).

    Example:
        >>> import lrcore
        >>> class CosineAnnealingWithWarmupScheduler:  # a stand-in with Composer's attributes
        ...     t_warmup, t_max, alpha_f, scale_warmup = "10ba", "1dur", 0.0, False
        >>> s = lrcore.from_composer(CosineAnnealingWithWarmupScheduler(), "110ba", lr=0.1)
        >>> print(float(s(5)), float(s(10)), float(s(110)))
        0.05 0.1 0.0
    """
    name = type(scheduler).__name__
    convert = _CONVERTERS.get(name)
    if convert is None:
        raise cannot(PEER, f"the scheduler {name}",
                     f"from_composer knows {', '.join(sorted(_CONVERTERS))}. Build the lrcore schedule by hand.")
    ssr = real(PEER, "ssr", ssr)
    if not ssr > 0:
        raise ValueError(f"composer: argument `ssr` (the scale schedule ratio) must be > 0. Received: ssr={ssr!r}")
    clock = _Clock(name, max_duration, steps_per_epoch, ssr)
    clock.count_in(_fine_unit(scheduler, clock), samples_per_batch, tokens_per_batch)
    with peer_arguments(f"{PEER} {name}", _PEER_NAMES):
        out = convert(scheduler, clock)
        if clock.per_batch != 1:
            out = combinators.stride(out, clock.per_batch)
        lr = real(PEER, "lr", lr)
        return out if lr == 1.0 else combinators.scale(out, lr)


#: The Composer argument each lrcore parameter of a conversion comes from (the errors of lrcore's
#: validation name the Composer argument; times are in batches).
_PEER_NAMES = {
    "decay_steps": "step_size (or decay_period)", "decay_rate": "gamma", "boundaries": "milestones (or t_max)",
    "values": "gamma (or alpha)", "value": "gamma (or alpha)", "init_value": "alpha_i", "end_value": "alpha_f",
    "transition_steps": "t_max (less t_warmup)", "first_period": "t_0", "period_mul": "t_mult", "power": "power",
    "warmup_steps": "t_warmup", "factor": "lr", "peak_value": "alpha_i",
}

#: The scheduler attributes that hold times.
_TIMES = ("step_size", "milestones", "t_max", "decay_period", "t_0", "t_warmup")
#: Composer's units counted within a batch: (name, the argument that gives their number per batch).
_FINE = {"sp": ("samples", "samples_per_batch"), "tok": ("tokens", "tokens_per_batch")}


def _fine_unit(scheduler, clock) -> str:
    """``"sp"`` or ``"tok"`` where a time of the scheduler (or ``max_duration``) is in that unit,
    else ``"ba"``; samples and tokens together are refused."""
    units = {clock.max_unit}
    for attr in _TIMES:
        value = getattr(scheduler, attr, None)
        for t in value if isinstance(value, (list, tuple)) else [value]:
            if t is None:
                continue
            try:
                units.add(_time(clock.name, attr, t)[1])
            except (TypeError, ValueError):
                continue  # the conversion names the bad time
    fine = sorted(units & set(_FINE))
    if len(fine) > 1:
        raise cannot(PEER, f"{clock.name} with times in both samples ('sp') and tokens ('tok')",
                     "Give the times in one of them (or in batches, epochs or 'dur').")
    return fine[0] if fine else "ba"


def _time(name: str, arg: str, value) -> tuple[Fraction, str]:
    """``(value, unit)`` of a Composer time: a string such as ``"10ba"``, or a ``Time``."""
    if isinstance(value, str):
        found = _TIME.match(value)
        if not found:
            raise ValueError(f"composer {name}: argument `{arg}` must be a time such as '10ba', '2ep' or '0.5dur'. "
                             f"Received: {arg}={value!r}")
        return Fraction(found.group(1)), found.group(2)
    unit = getattr(getattr(value, "unit", None), "value", None)
    number = getattr(value, "value", None)
    if not isinstance(unit, str) or number is None:
        raise TypeError(f"composer {name}: argument `{arg}` must be a time string or a Composer Time. "
                        f"Received: {arg}={value!r}")
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number) or number < 0:
        raise ValueError(f"composer {name}: argument `{arg}` must be a Time of a finite number >= 0. "
                         f"Received: {arg}={value!r}")
    return Fraction(repr(number)) if isinstance(number, float) else Fraction(number), unit


class _Clock:
    """Composer's conversion of times to batches (``_convert_time``), exactly and as Composer rounds it."""

    def __init__(self, name, max_duration, steps_per_epoch, ssr):
        self.name, self.ssr = name, ssr
        self.spe = None if steps_per_epoch is None else whole(PEER, "steps_per_epoch", steps_per_epoch, 1)
        value, unit = _time(name, "max_duration", max_duration)
        if unit not in ("ba", "ep", *_FINE):
            raise cannot(PEER, f"max_duration in {unit!r}",
                         "Give max_duration in batches ('ba'), epochs ('ep'), samples ('sp') or tokens ('tok').")
        self.max_value, self.max_unit = value, unit
        self.unit, self.per_batch = "ba", 1

    def count_in(self, unit: str, samples_per_batch, tokens_per_batch) -> None:
        """Count the times in ``unit`` (``"ba"``, ``"sp"``, ``"tok"``): a batch is ``per_batch`` of them."""
        for fine, (_, arg) in _FINE.items():
            given = samples_per_batch if fine == "sp" else tokens_per_batch
            if given is not None:
                whole(PEER, arg, given, 1)
        if unit == "ba":
            return
        what, arg = _FINE[unit]
        given = samples_per_batch if unit == "sp" else tokens_per_batch
        if given is None:
            raise ValueError(f"composer {self.name}: times (or max_duration) in {what} ({unit!r}) depend on the batch "
                             f"size; pass `{arg}` (the {what} in each batch). Received: {arg}=None")
        self.unit, self.per_batch = unit, whole(PEER, arg, given, 1)

    def _epochs(self, arg) -> int:
        if self.spe is None:
            raise ValueError(f"composer {self.name}: argument `{arg}` (or max_duration) is in epochs; pass "
                             "`steps_per_epoch` (the dataloader's length). Received: steps_per_epoch=None")
        return self.spe

    def batches(self, arg: str, value, scaled: bool = True) -> int:
        """The whole batches (samples, tokens: the clock's unit) of the time ``value``: the
        documented number, warned about where Composer's float arithmetic truncates below it."""
        v, unit = _time(self.name, arg, value)
        try:
            return self._batches(arg, value, v, unit, scaled)
        except OverflowError:  # Composer's float arithmetic: past float64 (the documented count is past 2**63)
            raise ValueError(f"composer {self.name}: argument `{arg}` is beyond the float64 range in batches. "
                             f"Received: {arg}={value!r}") from None

    def _batches(self, arg: str, value, v: Fraction, unit: str, scaled: bool) -> int:
        fv = float(v)
        counted = "ba"  # the unit Composer compares the time in
        if unit == "dur":
            if self.max_unit == "ep":
                spe = self._epochs(arg)
                exact, theirs = v * spe * self.max_value, int(fv * spe * float(self.max_value))
            else:
                exact, theirs = v * self.max_value, int(fv * float(self.max_value))
                counted = self.max_unit
        elif unit in ("ba", "ep", *_FINE):
            spe = self._epochs(arg) if unit == "ep" else 1
            ssr = self.ssr if scaled else 1.0
            exact = v * spe * Fraction(repr(ssr))
            theirs = int(fv * spe * ssr)
            counted = "ba" if unit == "ep" else unit
        else:
            raise cannot(PEER, f"`{arg}` in {unit!r}",
                         "Give times in batches ('ba'), epochs ('ep'), samples ('sp'), tokens ('tok') or 'dur'.")
        documented = math.floor(exact)
        if theirs != documented:
            what = "batches" if counted == "ba" else _FINE[counted][0]
            peer_bug(PEER, f"{self.name}: `{arg}`={value!r} is {exact} {what}, which Composer's float arithmetic "
                           f"truncates to {theirs}.")
        return documented * self.per_batch if counted == "ba" else documented


def _stairs(milestones: list[int], gamma: float, offset: int = 0) -> Schedule:
    """``gamma ** #{m <= k + offset}``, a milestone given twice counting twice."""
    passed = sum(m <= offset for m in milestones)
    later = sorted(m - offset for m in milestones if m > offset)

    def power(n: int) -> float:
        try:
            return gamma**n
        except OverflowError:
            raise ValueError(
                f"composer: argument `gamma` makes the multiplier after {n} milestones pass the float64 range. "
                f"Received: gamma={gamma!r}"
            ) from None

    return stairs(later, power, passed)


def _step(s, clock):
    return decay.exponential_decay(1.0, whole(PEER, "step_size", clock.batches("step_size", s.step_size), 1),
                                   real(PEER, "gamma", s.gamma), staircase=True)


def _multistep(s, clock):
    return _stairs([clock.batches(f"milestones[{i}]", m) for i, m in enumerate(s.milestones)], real(PEER, "gamma", s.gamma))


def _constant(s, clock):
    t = clock.batches("t_max", s.t_max)
    alpha = real(PEER, "alpha", s.alpha)
    return piecewise.piecewise_constant([t], [alpha, 1.0]) if t else decay.constant(1.0)


def _linear(s, clock):
    t = whole(PEER, "t_max", clock.batches("t_max", s.t_max), 1)
    return decay.linear(real(PEER, "alpha_i", s.alpha_i), real(PEER, "alpha_f", s.alpha_f), t)


def _exponential(s, clock):
    period = whole(PEER, "decay_period", clock.batches("decay_period", s.decay_period), 1)
    return decay.exponential_decay(1.0, period, real(PEER, "gamma", s.gamma))


def _cosine(s, clock):
    t = whole(PEER, "t_max", clock.batches("t_max", s.t_max), 1)
    return cosine.cosine_decay(1.0, t, end_value=real(PEER, "alpha_f", s.alpha_f))


def _restarts(s, clock):
    t0 = whole(PEER, "t_0", clock.batches("t_0", s.t_0), 1)
    mul = real(PEER, "t_mult", s.t_mult)
    if mul < 1.0:
        raise cannot(PEER, f"CosineAnnealingWarmRestartsScheduler with t_mult={mul} < 1 (periods that shrink to 0)",
                     "Use t_mult >= 1.")
    # Composer makes each period int(t_mult · the previous one); its documented cycle i lasts
    # t_0·t_mult**i (real), cycle i starting at the sum of those before it: lrcore's cycles of real
    # lengths (whole_periods=False), each restarting at the first whole batch at or past its start.
    horizon = clock.batches("max_duration", "1dur")
    theirs, ours, start, i = t0, Fraction(t0), Fraction(0), 0
    while start <= horizon and i < 10_000:
        if theirs != ours:
            peer_bug(PEER, f"CosineAnnealingWarmRestartsScheduler truncates each period to int(t_mult · the previous "
                           f"one): period {i} lasts {theirs} batches instead of t_0·t_mult**{i} = {float(ours)!r}.")
            break
        start += ours
        i += 1
        theirs = int(mul * theirs)
        ours = Fraction(t0) * Fraction(mul) ** i
    return cosine.cosine_restart(1.0, t0, period_mul=mul, end_value=real(PEER, "alpha_f", s.alpha_f),
                                 whole_periods=mul == math.floor(mul))


def _polynomial(s, clock):
    t = whole(PEER, "t_max", clock.batches("t_max", s.t_max), 1)
    return decay.polynomial_decay(1.0, real(PEER, "alpha_f", s.alpha_f), t, power=real(PEER, "power", s.power))


def _warmup_length(s, clock) -> int:
    """The warmup's batches: Composer ends it at the unscaled ``t_warmup``; with ``scale_warmup`` the
    documented warmup lasts ``t_warmup`` times the scale schedule ratio."""
    w = clock.batches("t_warmup", s.t_warmup, scaled=False)
    if getattr(s, "scale_warmup", False) and clock.ssr != 1.0:
        scaled = clock.batches("t_warmup", s.t_warmup)
        if scaled != w:
            peer_bug(PEER, f"{clock.name} with scale_warmup=True and ssr={clock.ssr} scales the warmup's slope but still "
                           f"ends it at {w} batches (it jumps to the peak there) instead of the documented {scaled}.")
        return scaled
    return w


def _decay_after(s, clock, w: int) -> int | None:
    """``t_max`` in batches, or None when it is not past the warmup: Composer's fraction of the
    decay is then 0 from the warmup's end on (the decay's first value, held)."""
    t = clock.batches("t_max", s.t_max)
    return t if t > w else None


def _warm(schedule, w):
    return combinators.warmup(schedule, w) if w else schedule


def _multistep_warmup(s, clock):
    w = _warmup_length(s, clock)
    stairs = _stairs([clock.batches(f"milestones[{i}]", m) for i, m in enumerate(s.milestones)],
                     real(PEER, "gamma", s.gamma), offset=w)
    return combinators.join([decay.linear(0.0, 1.0, w), stairs], [w]) if w else stairs


def _constant_warmup(s, clock):
    return _warm(decay.constant(real(PEER, "alpha", s.alpha)), _warmup_length(s, clock))


def _linear_warmup(s, clock):
    w = _warmup_length(s, clock)
    t = _decay_after(s, clock, w)
    if t is None:
        return _warm(decay.constant(real(PEER, "alpha_i", s.alpha_i)), w)
    return _warm(decay.linear(real(PEER, "alpha_i", s.alpha_i), real(PEER, "alpha_f", s.alpha_f), t - w), w)


def _cosine_warmup(s, clock):
    w = _warmup_length(s, clock)
    t = _decay_after(s, clock, w)
    if t is None:
        return _warm(decay.constant(1.0), w)
    return cosine.warmup_cosine_decay(0.0, 1.0, w, t, end_value=real(PEER, "alpha_f", s.alpha_f))


def _polynomial_warmup(s, clock):
    w = _warmup_length(s, clock)
    t = _decay_after(s, clock, w)
    if t is None:
        return _warm(decay.constant(1.0), w)
    return _warm(decay.polynomial_decay(1.0, real(PEER, "alpha_f", s.alpha_f), t - w, power=real(PEER, "power", s.power)), w)


_CONVERTERS = {
    "StepScheduler": _step,
    "MultiStepScheduler": _multistep,
    "ConstantScheduler": _constant,
    "LinearScheduler": _linear,
    "ExponentialScheduler": _exponential,
    "CosineAnnealingScheduler": _cosine,
    "CosineAnnealingWarmRestartsScheduler": _restarts,
    "PolynomialScheduler": _polynomial,
    "MultiStepWithWarmupScheduler": _multistep_warmup,
    "ConstantWithWarmupScheduler": _constant_warmup,
    "LinearWithWarmupScheduler": _linear_warmup,
    "CosineAnnealingWithWarmupScheduler": _cosine_warmup,
    "PolynomialWithWarmupScheduler": _polynomial_warmup,
}
