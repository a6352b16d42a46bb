"""``from_timm``: timm's ``create_scheduler_v2`` arguments to the lrcore schedule of the scheduler it
makes. timm's arithmetic is followed (its ``t`` in epochs, or in updates with
``step_on_epochs=False``); this module imports no framework."""

from __future__ import annotations

import math

from .. import combinators, cosine, decay, piecewise, transformer
from ..schedule import Schedule
from ._common import cannot, flag, peer_bug, pending, real, whole

PEER = "timm"


def from_timm(*, lr, sched="cosine", num_epochs=300, decay_epochs=None, decay_milestones=(90, 180, 270),
              cooldown_epochs=0, patience_epochs=10, decay_rate=0.1, min_lr=0.0, warmup_lr=1e-5, warmup_epochs=0,
              warmup_prefix=False, noise=None, noise_pct=0.67, noise_std=1.0, noise_seed=42, cycle_mul=1.0,
              cycle_decay=0.1, cycle_limit=1, k_decay=1.0, decay_fn=None, stable_timescale=None, plateau_mode="max",
              step_on_epochs=True, updates_per_epoch=0) -> Schedule:
    r"""The lrcore schedule of ``timm.scheduler.create_scheduler_v2(optimizer, ...)`` for an optimizer
    whose learning rate is ``lr`` (the other arguments and defaults are timm's).

    .. math:: \eta(t) = \text{the lr timm sets for } t

    The step :math:`t` is timm's: the epoch (``step_on_epochs=True``, timm's ``scheduler.step(epoch)``)
    or the update (``step_on_epochs=False``, ``scheduler.step_update(num_updates)``). Supports
    ``cosine``, ``step``, ``multistep``, ``poly``, ``constant``, ``wsd`` and ``rsqrt``.
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
        noise: as timm's (a noisy lr is refused).
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
        updates_per_epoch: as timm's.

    Example:
        >>> import lrcore
        >>> s = lrcore.from_timm(lr=0.1, sched="step", decay_epochs=30, decay_rate=0.5)
        >>> print(float(s(29)), float(s(30)))
        0.1 0.05
    """
    lr = real(PEER, "lr", lr)
    warmup_prefix, step_on_epochs = flag(PEER, "warmup_prefix", warmup_prefix), flag(PEER, "step_on_epochs", step_on_epochs)
    if noise is not None:
        raise cannot(PEER, f"noise={noise!r} (a random lr)", "Leave noise=None.")
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
    milestones = list(decay_milestones)
    if not step_on_epochs:
        upe = whole(PEER, "updates_per_epoch", updates_per_epoch, 1)
        t_initial, warmup_t, decay_t = t_initial * upe, warmup_t * upe, decay_t * upe
        milestones = [m * upe for m in milestones]
        timescale_t = None if timescale_t is None else timescale_t * upe
    w = whole(PEER, "warmup_epochs", warmup_t)
    init = real(PEER, "warmup_lr", warmup_lr)
    min_lr = real(PEER, "min_lr", min_lr)
    _refuse_pending(sched, w, warmup_prefix, k_decay, decay_fn, min_lr)
    if sched in ("cosine", "poly"):
        body = _cycles(sched, lr, whole(PEER, "num_epochs", t_initial, 1), min_lr, real(PEER, "cycle_mul", cycle_mul),
                       real(PEER, "cycle_decay", cycle_decay), whole(PEER, "cycle_limit", cycle_limit, 1),
                       real(PEER, "decay_rate", decay_rate), w)
        return combinators.warmup(body, w, init_value=init) if w else body
    if sched in ("step", "constant"):
        d, rate = (1, 1.0) if sched == "constant" else (whole(PEER, "decay_epochs", decay_t, 1), real(PEER, "decay_rate", decay_rate))
        if w == 0 or warmup_prefix or sched == "constant":
            stairs = decay.exponential_decay(lr, d, rate, staircase=True)
            return combinators.warmup(stairs, w, init_value=init) if w else stairs
        return combinators.join([decay.linear(init, lr, w), _staircase_from(w, lr, d, rate)], [w])
    if sched == "multistep":
        return _multistep(lr, [whole(PEER, "decay_milestones", m) for m in milestones], real(PEER, "decay_rate", decay_rate),
                          w, init, warmup_prefix)
    return _wsd(sched, lr, t_initial, w, init, decay_epochs, decay_t, min_lr, decay_fn, timescale_t, warmup_prefix)


def _refuse_pending(sched, w, warmup_prefix, k_decay, decay_fn, min_lr) -> None:
    """The configurations that need an lrcore feature still to come, refused in this one place."""
    if sched == "tanh":
        raise pending(PEER, "sched='tanh'", "a tanh decay schedule")
    if real(PEER, "k_decay", k_decay) != 1.0 and sched in ("cosine", "poly"):
        raise pending(PEER, f"sched={sched!r} with k_decay={k_decay}", "the k-decay of the cosine and polynomial decays")
    if w and not warmup_prefix and sched in ("cosine", "poly"):
        raise pending(PEER, f"sched={sched!r} with warmup_epochs and warmup_prefix=False (the decay runs under the warmup)",
                      "a warmup that does not delay its schedule")
    if sched in ("wsd", "rsqrt") and decay_fn not in (None, "linear", "1-sqrt", "cosine"):
        raise pending(PEER, f"sched={sched!r} with decay_fn={decay_fn!r}", "that warmup-stable-decay decay shape")
    if sched == "rsqrt" and min_lr != 0.0:
        raise pending(PEER, "sched='rsqrt' with min_lr > 0", "an add combinator (min_lr plus the decaying rsqrt)")


def _restart_check(t_initial: int, mul: float, lengths: list[int]) -> None:
    """Warn where timm's float logarithm puts a step of the first ``len(lengths)`` cycles in another cycle."""
    wrong, start = [], 0
    for i, n in enumerate(lengths):
        for t in {start, start + n - 1} if i else {start + n - 1}:
            found = math.floor(math.log(1 - t / t_initial * (1 - mul), mul))
            if found != i:
                wrong.append((t, i, found))
        start += n
    if wrong:
        t, i, found = wrong[0]
        peer_bug(PEER, f"cycle_mul={mul}: timm finds the cycle of step t with a float logarithm, which puts "
                       f"{len(wrong)} cycle boundary step(s) in the wrong cycle (t={t} in cycle {found} instead of {i}: "
                       "the end of a cycle, lr_min, instead of the restart's peak).")


def _cycles(sched, lr, t_initial, lr_min, mul, cycle_decay, limit, power, w) -> Schedule:
    if mul < 1.0:
        raise cannot(PEER, f"cycle_mul={mul} < 1", "Use cycle_mul >= 1.")
    nominal = [t_initial * mul**i for i in range(limit)]
    lengths = [int(x) for x in nominal]
    if lengths != nominal:
        raise cannot(PEER, f"sched={sched!r} with cycles of {[x for x in nominal if x != int(x)][:3]} steps "
                     f"(t_initial={t_initial}, cycle_mul={mul})",
                     "lrcore counts whole steps: choose cycle_mul and num_epochs that give whole cycle lengths.")
    if mul != 1.0:
        _restart_check(t_initial, mul, lengths)
    total = sum(lengths)
    if limit == 1:  # one cycle, then lr_min held: the decay itself
        if sched == "cosine":
            return cosine.cosine_decay(lr, t_initial, end_value=lr_min)
        return decay.polynomial_decay(lr, lr_min, t_initial, power=power)
    if sched == "cosine":
        body = cosine.cosine_restart(lr, t_initial, period_mul=mul, peak_mul=cycle_decay, end_value=lr_min)
        return combinators.join([body, decay.constant(lr_min)], [total])
    pieces = [decay.polynomial_decay(lr * cycle_decay**i, lr_min, n, power=power) for i, n in enumerate(lengths)]
    bounds, at = [], 0
    for n in lengths:
        at += n
        bounds.append(at)
    return combinators.join([*pieces, decay.constant(lr_min)], bounds)


def _staircase_from(offset: int, base: float, decay_t: int, rate: float) -> Schedule:
    """``base · rate**((j + offset) // decay_t)`` at step ``j``: a staircase seen ``offset`` steps late."""
    q, r = divmod(offset, decay_t)
    stairs = decay.exponential_decay(base * rate ** (q + (r > 0)), decay_t, rate, staircase=True)
    if r == 0:
        return stairs
    return combinators.join([decay.constant(base * rate**q), stairs], [decay_t - r])


def _multistep(lr, milestones, rate, w, init, prefix) -> Schedule:
    """timm applies milestone ``m`` at ``t = m - 1`` (of the schedule after a prefix warmup)."""
    milestones = sorted(milestones)
    if w == 0 or prefix:
        bounds = [max(m - 1, 0) for m in milestones]
        stairs = _stairs(lr, rate, bounds, 0)
        return combinators.warmup(stairs, w, init_value=init) if w else stairs
    passed = sum(m - 1 <= w for m in milestones)
    later = [m - 1 - w for m in milestones if m - 1 > w]
    return combinators.join([decay.linear(init, lr, w), _stairs(lr, rate, later, passed)], [w])


def _stairs(lr, rate, bounds, passed) -> Schedule:
    """``lr · rate**(passed + #{b <= j})``, boundaries given twice applying the rate twice."""
    unique = sorted(set(bounds))
    if not unique:
        return decay.constant(lr * rate**passed)
    values, count = [lr * rate**passed], passed
    for b in unique:
        count += bounds.count(b)
        values.append(lr * rate**count)
    return piecewise.piecewise_constant(unique, values)


def _wsd(sched, lr, t_initial, w, init, decay_epochs, decay_t, lr_min, decay_fn, timescale_t, warmup_prefix):
    t_sched = t_initial if warmup_prefix else t_initial - w
    if 0 < decay_epochs < 1:
        decay_t = decay_epochs * t_sched
    d = int(round(decay_t))
    if not 0 < d <= t_sched:
        raise ValueError(f"timm {sched}: requires 0 < decay_epochs <= epochs{'' if warmup_prefix else ' - warmup_epochs'}, "
                         f"got decay {d} and stable + decay length {t_sched}. Received: decay_epochs={decay_epochs!r}")
    shape = decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt")
    stable = whole(PEER, "num_epochs", t_sched) - d
    if sched == "wsd":
        return transformer.warmup_stable_decay(lr, w, stable, d, end_value=lr_min, init_value=init, decay_shape=shape)
    tau = w if timescale_t is None else timescale_t
    tau = whole(PEER, "stable_timescale", tau, 1)
    factor = transformer.warmup_stable_decay(1.0, 0, 0, d, decay_shape=shape)
    after = combinators.multiply([transformer.inverse_sqrt(lr, 0, timescale=tau),
                                  combinators.join([decay.constant(1.0), factor], [stable])])
    if w == 0:
        return after
    return combinators.join([decay.linear(init, lr, w), after], [w])
