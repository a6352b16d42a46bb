"""``from_timm``: timm's ``create_scheduler_v2`` arguments to the lrcore schedule of the scheduler it
makes. timm's arithmetic is followed (its ``t`` in epochs, or in updates with
``step_on_epochs=False``); this module imports no framework."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

from .. import combinators, cosine, decay, stochastic, transformer
from ..schedule import Schedule
from ._common import cannot, flag, names_peer_arguments, peer_bug, real, stairs, whole

PEER = "timm"
_LAST = 2**63 - 1  # the largest step lrcore evaluates
_CHECKED = 300  # the cycles whose boundaries are checked against timm's float logarithm


@names_peer_arguments(PEER, {
    "init_value": "warmup_lr", "peak_value": "lr", "value": "lr", "values": "lr (times decay_rate**i)", "factor": "lr",
    "end_value": "min_lr", "peak_mul": "cycle_decay", "period_mul": "cycle_mul", "first_period": "num_epochs",
    "decay_rate": "decay_rate", "power": "decay_rate", "k_decay": "k_decay", "decay_steps": "decay_epochs (or num_epochs)",
    "transition_steps": "num_epochs", "warmup_steps": "warmup_epochs", "boundaries": "decay_milestones",
    "pct": "noise_pct", "std": "noise_std", "seed": "noise_seed", "steps_per_epoch": "updates_per_epoch",
})
def from_timm(*, lr, sched="cosine", num_epochs=300, decay_epochs=None, decay_milestones=(90, 180, 270),
              cooldown_epochs=0, patience_epochs=10, decay_rate=0.1, min_lr=0.0, warmup_lr=1e-5, warmup_epochs=0,
              warmup_prefix=False, noise=None, noise_pct=0.67, noise_std=1.0, noise_seed=42, cycle_mul=1.0,
              cycle_decay=0.1, cycle_limit=1, k_decay=1.0, decay_fn=None, stable_timescale=None, plateau_mode="max",
              step_on_epochs=True, updates_per_epoch=0) -> Schedule:
    r"""The lrcore schedule of ``timm.scheduler.create_scheduler_v2(optimizer, ...)`` for an optimizer
    whose learning rate is ``lr`` (the other arguments and defaults are timm's).

    .. math:: \eta(t) = \text{the lr timm sets for } t

    The step :math:`t` is timm's: the epoch (``step_on_epochs=True``, timm's ``scheduler.step(epoch)``)
    or the update (``step_on_epochs=False``, ``scheduler.step_update(num_updates)``). Given
    ``updates_per_epoch`` with ``step_on_epochs=True`` (as timm's ``train.py`` passes it), the result
    is indexed by update: the epoch schedule held through each epoch (``lrcore.per_epoch``), the lr
    timm applies to update :math:`k` of epoch :math:`\lfloor k / N \rfloor`. Supports ``cosine``,
    ``tanh`` and ``poly`` (any ``cycle_mul >= 1``, real cycle lengths included, ``cycle_decay``,
    ``cycle_limit``, and ``k_decay`` for ``cosine`` and ``poly``: ``lrcore.cosine_restart``,
    ``tanh_restart`` and ``polynomial_restart``), ``step`` (a fractional ``decay_epochs`` too, of one
    step or more: timm's ``decay_epochs`` below one step decays several times a step, which is refused),
    ``multistep``, ``constant``, ``wsd`` and ``rsqrt`` (every ``decay_fn`` name), with either ``warmup_prefix``. ``noise`` gives
    ``lrcore.noise`` with timm's range, limit, std and seed, and a ``UserWarning``: lrcore draws from
    its own counter-based generator, so the noise has timm's distribution but not its values.
    ``cooldown_epochs`` only lengthens the training timm suggests (the lr is already held at ``min_lr``).

    Args:
        lr: the optimizer's learning rate.
        sched: timm's scheduler name.
        num_epochs: as timm's.
        decay_epochs: as timm's.
        decay_milestones: as timm's.
        cooldown_epochs: as timm's.
        patience_epochs: as timm's (a plateau rule is refused).
        decay_rate: as timm's (the power for ``poly``).
        min_lr: as timm's.
        warmup_lr: as timm's.
        warmup_epochs: as timm's.
        warmup_prefix: as timm's.
        noise: as timm's (``lrcore.noise``, with a warning: timm's distribution, not its values).
        noise_pct: as timm's.
        noise_std: as timm's.
        noise_seed: as timm's.
        cycle_mul: as timm's.
        cycle_decay: as timm's.
        cycle_limit: as timm's.
        k_decay: as timm's.
        decay_fn: as timm's.
        stable_timescale: as timm's.
        plateau_mode: as timm's.
        step_on_epochs: as timm's.
        updates_per_epoch: as timm's; with ``step_on_epochs=True`` a number above 0 makes the result
            update-indexed (``lrcore.per_epoch``).

    Example:
        >>> import lrcore
        >>> s = lrcore.from_timm(lr=0.1, sched="step", decay_epochs=30, decay_rate=0.5)
        >>> print(float(s(29)), float(s(30)))
        0.1 0.05
    """
    lr = real(PEER, "lr", lr)
    warmup_prefix, step_on_epochs = flag(PEER, "warmup_prefix", warmup_prefix), flag(PEER, "step_on_epochs", step_on_epochs)
    if sched == "plateau":
        raise cannot(PEER, "sched='plateau' (a rule driven by a metric)",
                     "Use lrcore.plateau (or lrcore.torch.ReduceLROnPlateau) on a warmup schedule.")
    if sched == "none":
        raise cannot(PEER, "sched='none' (no scheduler: the optimizer's lr stays)", "Use lrcore.constant(lr).")
    if sched not in ("cosine", "tanh", "step", "constant", "multistep", "poly", "wsd", "rsqrt"):
        raise ValueError(f"timm: unknown scheduler {sched!r}. Received: sched={sched!r}")
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial, warmup_t, decay_t, timescale_t = num_epochs, warmup_epochs, decay_epochs, stable_timescale
    if isinstance(decay_milestones, (str, bytes)) or not hasattr(decay_milestones, "__iter__"):  # "90" is no list of 9 and 0
        raise TypeError(f"timm: argument `decay_milestones` must be a sequence of epochs. Received: decay_milestones={decay_milestones!r}")
    milestones = list(decay_milestones)
    upe = None
    if not step_on_epochs:
        upe = whole(PEER, "updates_per_epoch", updates_per_epoch, 1)
        t_initial, warmup_t, decay_t = t_initial * upe, warmup_t * upe, decay_t * upe
        milestones = [m * upe for m in milestones]
        timescale_t = None if timescale_t is None else timescale_t * upe
    w = whole(PEER, "warmup_epochs", warmup_t)
    init = real(PEER, "warmup_lr", warmup_lr)
    min_lr = real(PEER, "min_lr", min_lr)
    k_decay = real(PEER, "k_decay", k_decay)
    if sched in ("cosine", "poly", "tanh"):
        body = _cycles(sched, lr, whole(PEER, "num_epochs", t_initial, 1), min_lr, real(PEER, "cycle_mul", cycle_mul),
                       real(PEER, "cycle_decay", cycle_decay), whole(PEER, "cycle_limit", cycle_limit, 1),
                       real(PEER, "decay_rate", decay_rate), k_decay)
        out = _warm(body, lr, w, init, warmup_prefix, tanh=sched == "tanh")
    elif sched in ("step", "constant"):
        if sched == "constant":
            d, rate = 1, 1.0
        else:
            d, rate = real(PEER, "decay_epochs", decay_t), real(PEER, "decay_rate", decay_rate)
            if not d > 0:
                raise ValueError(f"timm step: argument `decay_epochs` must be > 0. Received: decay_epochs={decay_epochs!r}")
            if d < 1:
                raise cannot(PEER, f"sched='step' with decay_epochs={decay_epochs!r} (a period of {d!r} "
                             f"{'epochs' if step_on_epochs else 'updates'}, below one step: timm decays by "
                             "decay_rate**(t // decay_epochs), several times a step)",
                             "lrcore's staircase period is at least one step: give decay_epochs >= 1 step.")
            d = int(d) if d == int(d) else d  # timm's fractional decay_t (2.4): lrcore's fractional period
        out = _warm(decay.exponential_decay(lr, d, rate, staircase=True), lr, w, init, warmup_prefix)
    elif sched == "multistep":
        epochs = [whole(PEER, "decay_milestones", m) for m in milestones]
        if any(later < earlier for earlier, later in zip(epochs, epochs[1:])):
            # timm bisects the list as given: [10, 2] decays twice at epoch 1, not once at 1 and at 9.
            raise cannot(PEER, f"sched='multistep' with unsorted decay_milestones={list(decay_milestones)!r} (timm "
                         "counts the milestones passed by a binary search of the list as given, which an unsorted "
                         "list answers with other counts than its sorted form)",
                         "Sort decay_milestones, in timm and here.")
        out = _multistep(lr, epochs, real(PEER, "decay_rate", decay_rate), w, init, warmup_prefix)
    else:
        out = _wsd(sched, lr, t_initial, w, init, decay_epochs, decay_t, min_lr, decay_fn, timescale_t, warmup_prefix)
    if noise is not None:
        out = _noise(out, noise, t_initial, real(PEER, "noise_pct", noise_pct), real(PEER, "noise_std", noise_std),
                     whole(PEER, "noise_seed", noise_seed))
    if step_on_epochs and updates_per_epoch:
        # The epoch-indexed schedule, held through each epoch: the lr of update k (timm steps at epoch ends).
        out = combinators.per_epoch(out, whole(PEER, "updates_per_epoch", updates_per_epoch, 1))
    return out


def _warm(body: Schedule, lr: float, w: int, init: float, prefix: bool, tanh: bool = False) -> Schedule:
    """timm's warmup ``init + t·(v - init)/W`` for ``t < W``, then the body (from its step 0 with
    ``warmup_prefix``, else at its own step ``t``). ``v`` is ``lr``, the body's start, except for
    tanh without prefix, which ramps to the body's value at ``W``. Without warmup, timm's step 0 is
    the constructor's ``lr`` (its train loop first steps the scheduler at step 1): tanh starts just
    below it."""
    if w == 0:
        return body if not tanh else combinators.join([decay.constant(lr), combinators.shift(body, 1)], [1])
    if not tanh:
        return combinators.warmup(body, w, init_value=init, delay=prefix)
    if prefix:
        return combinators.join([decay.linear(init, lr, w), body], [w])
    target = float(body(w))
    return combinators.join([decay.linear(init, target, w), combinators.shift(body, w)], [w])


def _noise(schedule: Schedule, noise, t_initial, pct: float, std: float, seed: int) -> Schedule:
    """timm's noise: ``lr·(1 + n)`` for ``t`` in ``[noise·t_initial, ...)``, ``n`` normal (std ``noise_std``)
    resampled until ``|n| < noise_pct``. timm draws ``n`` from ``torch.Generator(seed + t)``; lrcore's
    draws have the same distribution from its own counter-based generator."""
    bounds = list(noise) if isinstance(noise, (list, tuple)) else [noise]
    if len(bounds) not in (1, 2):
        raise ValueError(f"timm: argument `noise` must be a number or a list of one or two numbers. Received: noise={noise!r}")
    edges = [math.ceil(real(PEER, "noise", b) * t_initial) for b in bounds]
    begin = max(edges[0], 1)  # timm's step 0 is the constructor's value: never noisy
    end = edges[1] if len(edges) == 2 else None
    warnings.warn(
        f"timm: noise={noise!r}: the converted schedule draws its noise from lrcore's counter-based generator "
        "(lrcore.noise), not timm's torch.Generator: the same distribution (normal, std noise_std, |n| < noise_pct), "
        "other values.", UserWarning, stacklevel=3)
    if end is not None and end <= begin:
        return schedule
    return stochastic.noise(schedule, pct=pct, std=std, seed=seed, distribution="normal", begin=begin, end=end)


def _restart_check(t_initial: int, mul: float, limit: int) -> None:
    """Warn where timm's float logarithm puts the first or last step of one of the first ``limit``
    cycles (cycle ``i`` starts at ``S_i = T_0 (m^i - 1)/(m - 1)``, at the first whole step past it) in
    another cycle."""
    m, starts, length = Fraction(mul), [Fraction(0)], Fraction(t_initial)
    # The cycles that start at a step lrcore reaches (the first _CHECKED of them).
    while len(starts) <= min(limit, _CHECKED) and starts[-1] < _LAST:
        starts.append(starts[-1] + length)
        length *= m
    wrong = []
    for i in range(len(starts) - 1):
        first, last = math.ceil(starts[i]), math.ceil(starts[i + 1]) - 1
        for t in sorted({first, last} if i else {last}):
            if t < first:
                continue
            found = math.floor(math.log(1 - t / t_initial * (1 - mul), mul))
            if found != i:
                wrong.append((t, i, found))
    if limit < len(starts):  # the first step past the last cycle, where lr_min is held
        t = math.ceil(starts[limit])
        found = math.floor(math.log(1 - t / t_initial * (1 - mul), mul))
        if found < limit:
            wrong.append((t, limit, found))
    if wrong:
        t, i, found = wrong[0]
        effect = (f"cycle {found}'s curve instead of lr_min, held after the cycle_limit={limit} cycles" if i == limit
                  else "the end of a cycle, lr_min, instead of the restart's peak")
        peer_bug(PEER, f"cycle_mul={mul}: timm finds the cycle of step t with a float logarithm, which puts "
                       f"{len(wrong)} cycle boundary step(s) in the wrong cycle (t={t} in cycle {found} instead of {i}: "
                       f"{effect}).")


def _cycles(sched, lr, t_initial, lr_min, mul, cycle_decay, limit, power, k) -> Schedule:
    """timm's cycles (real lengths ``t_initial·cycle_mul**i``) as one restart schedule of the shape
    ``sched``; one cycle without k-decay is the plain decay."""
    if mul < 1.0:
        # timm's cycle of step t is floor(log(1 - t/T0·(1 - m), m)): for m < 1 the argument reaches 0
        # at t = T0/(1 - m), where math.log raises (m = 0: for every t), so timm defines no curve there.
        raise cannot(PEER, f"cycle_mul={mul} < 1 (timm's logarithm raises a math domain error from epoch "
                     "t_initial/(1 - cycle_mul) on)", "Use cycle_mul >= 1.")
    if mul != 1.0:
        _restart_check(t_initial, mul, limit)
    if limit == 1 and k == 1.0:  # one cycle, then lr_min held: the decay itself
        if sched == "cosine":
            return cosine.cosine_decay(lr, t_initial, end_value=lr_min)
        if sched == "poly":
            return decay.polynomial_decay(lr, lr_min, t_initial, power=power)
        return decay.tanh_decay(lr, t_initial, end_value=lr_min)
    if sched == "cosine" and limit == 1:
        return cosine.cosine_decay(lr, t_initial, end_value=lr_min, k_decay=k)
    cycles = dict(period_mul=mul, peak_mul=cycle_decay, end_value=lr_min, cycle_limit=limit, whole_periods=False)
    if sched == "cosine":
        return cosine.cosine_restart(lr, t_initial, k_decay=k, **cycles)
    if sched == "poly":
        return cosine.polynomial_restart(lr, t_initial, power=power, k_decay=k, **cycles)
    return cosine.tanh_restart(lr, t_initial, **cycles)


def _multistep(lr, milestones, rate, w, init, prefix) -> Schedule:
    """timm applies milestone ``m`` at ``t = m - 1`` (of the schedule after a prefix warmup). Step 0
    is the constructor's ``lr`` (or ``warmup_lr``): without warmup a milestone 0 or 1 applies at step 1;
    a prefix warmup ramps to ``lr`` and hands over at ``W`` to the stairs, milestones 0 and 1 applied."""
    if w == 0:
        return _stairs(lr, rate, [max(m - 1, 1) for m in milestones], 0)
    if prefix:
        stairs = _stairs(lr, rate, [max(m - 1, 0) for m in milestones], 0)
        if milestones and milestones[0] <= 1:  # the stairs start decayed; the ramp still ends at lr
            return combinators.join([decay.linear(init, lr, w), stairs], [w])
        return combinators.warmup(stairs, w, init_value=init)
    passed = sum(m - 1 <= w for m in milestones)
    later = [m - 1 - w for m in milestones if m - 1 > w]
    return combinators.join([decay.linear(init, lr, w), _stairs(lr, rate, later, passed)], [w])


def _stairs(lr, rate, bounds, passed) -> Schedule:
    """``lr · rate**(passed + #{b <= j})``, boundaries given twice applying the rate twice."""
    def level(n: int) -> float:
        try:  # exact, rounded once: lr * rate**n in floats can overflow or underflow on the way
            return float(Fraction(lr) * Fraction(rate) ** n)
        except OverflowError:
            raise ValueError(f"timm multistep: argument `decay_rate` makes the lr after {n} milestones pass the "
                             f"float64 range. Received: decay_rate={rate!r}, lr={lr!r}") from None

    return stairs(bounds, level, passed)


def _wsd(sched, lr, t_initial, w, init, decay_epochs, decay_t, lr_min, decay_fn, timescale_t, warmup_prefix):
    t_sched = t_initial if warmup_prefix else t_initial - w
    if 0 < decay_epochs < 1:
        decay_t = decay_epochs * t_sched
    d = int(round(decay_t))
    if not 0 < d <= t_sched:
        raise ValueError(f"timm {sched}: requires 0 < decay_epochs <= epochs{'' if warmup_prefix else ' - warmup_epochs'}, "
                         f"got decay {d} and stable + decay length {t_sched}. Received: decay_epochs={decay_epochs!r}")
    shape = decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt")
    if shape not in ("linear", "1-sqrt", "cosine", "power", "exp"):
        raise ValueError(f"timm {sched}: argument `decay_fn` must be 'linear', '1-sqrt', 'cosine', 'power' or 'exp' "
                         f"(a callable cannot be read). Received: decay_fn={decay_fn!r}")
    stable = whole(PEER, "num_epochs", t_sched) - d
    tau = whole(PEER, "stable_timescale", w if timescale_t is None else timescale_t, 1) if sched == "rsqrt" else None
    if lr_min > lr:
        # timm keeps the stable phase (and so the decay) at or above lr_min: lr_min from the end of the
        # warmup on. Step 0 is the constructor's value (warmup_lr, or lr without warmup).
        return combinators.join([decay.linear(init, lr, w) if w else decay.constant(lr), decay.constant(lr_min)],
                                [max(w, 1)])
    # create_scheduler_v2 leaves WSDLRScheduler's decay_power=0.5 and decay_ratio=0.1.
    shape_args = {"decay_shape": shape, "decay_power": 0.5, "decay_ratio": 0.1}
    if sched == "wsd":
        return transformer.warmup_stable_decay(lr, w, stable, d, end_value=lr_min, init_value=init, **shape_args)
    # rsqrt: the stable level max(lr·(1 + t_s/τ)**-0.5, lr_min), which the decay phase multiplies.
    return transformer.warmup_stable_decay(lr, w, stable, d, end_value=lr_min, init_value=init, stable_power=0.5,
                                           stable_timescale=tau, **shape_args)
