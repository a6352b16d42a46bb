"""Value-by-value parity with timm's schedulers (``timm.scheduler``), run from timm's installed files.

timm's package ``__init__`` imports its models (and torchvision); ``tests.peers`` loads the
``timm/scheduler`` files unmodified under a bare parent package instead. Each scheduler drives a real
``torch.optim.SGD`` the way timm's ``train.py`` does: the constructor sets the lr of epoch 0, then
``scheduler.step(t, metric)`` (or ``step_update(t)`` when stepping per update) sets the lr of epoch
(update) ``t``, which is lrcore's value at step ``t``.

timm computes each value in closed form with Python floats (a power, a cos, a product): the
tolerance is ``ULPS`` float64 ulp of the largest value of the curve (its peak).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrcore
from tests.helpers import assert_ulp_close
from tests.peers import drive_timm, plateau_loss, timm_scheduler_module, torch_optimizer

ULPS = 16
LR = 0.4


def timm(name: str):
    """The class or function ``name`` of timm's installed ``timm.scheduler`` package."""
    return getattr(timm_scheduler_module(), name)


def compare(schedule, make_scheduler, n, lr=LR, per_update=False, ulps=ULPS):
    want = drive_timm(make_scheduler, n, lr=lr, per_update=per_update)
    got = schedule(np.arange(n))
    assert_ulp_close(got, want, 64, ulps, context=repr(schedule))
    return want


def then_hold(schedule, length, value):
    """``schedule`` for ``length`` steps, then ``value`` (timm's ``lr_min`` past ``cycle_limit``)."""
    return lrcore.join([schedule, lrcore.constant(value)], [length])


def staircase_from(offset: int, base: float, decay_t: int, rate: float):
    """``base · rate**((j + offset) // decay_t)`` at step ``j``: a staircase seen ``offset`` steps
    late (timm's step decay after a warmup that does not shift it, ``warmup_prefix=False``)."""
    q, r = divmod(offset, decay_t)
    stairs = lrcore.exponential_decay(base * rate ** (q + (r > 0)), decay_t, rate, staircase=True)
    if r == 0:
        return stairs
    return lrcore.join([lrcore.constant(base * rate**q), stairs], [decay_t - r])


# -- CosineLRScheduler -------------------------------------------------------------------------------
def _cycles(t_initial, cycle_mul, cycle_limit):
    """The whole-step lengths of timm's first ``cycle_limit`` cycles (each must be an integer)."""
    lengths = [t_initial * cycle_mul**i for i in range(cycle_limit)]
    assert all(float(x).is_integer() for x in lengths), lengths
    return [int(x) for x in lengths]


COSINE = {
    # name: timm kwargs (t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix)
    "defaults": dict(t_initial=100),
    "lr_min": dict(t_initial=60, lr_min=0.01),
    "warmup_prefix": dict(t_initial=50, lr_min=0.002, warmup_t=7, warmup_lr_init=1e-4, warmup_prefix=True),
    "cycles": dict(t_initial=30, lr_min=0.01, cycle_limit=4, cycle_decay=0.5),
    "cycle_mul_2": dict(t_initial=10, cycle_mul=2.0, cycle_limit=5, cycle_decay=0.7),
    "cycle_mul_3_warmup": dict(t_initial=7, lr_min=0.003, cycle_mul=3.0, cycle_limit=4, warmup_t=5,
                               warmup_lr_init=0.01, warmup_prefix=True),
    # A fractional multiplier whose periods are whole steps (4, 6, 9): timm and lrcore restart together.
    "cycle_mul_1.5": dict(t_initial=4, cycle_mul=1.5, cycle_limit=3, cycle_decay=0.9, lr_min=0.05),
    "one_step_cycles": dict(t_initial=1, cycle_limit=6, cycle_decay=0.5),
}


def cosine_lrcore(kw: dict, lr=LR):
    t0, mul, limit = kw["t_initial"], kw.get("cycle_mul", 1.0), kw.get("cycle_limit", 1)
    lr_min = kw.get("lr_min", 0.0)
    body = lrcore.cosine_restart(lr, first_period=t0, period_mul=mul, peak_mul=kw.get("cycle_decay", 1.0),
                                 end_value=lr_min)
    s = then_hold(body, sum(_cycles(t0, mul, limit)), lr_min)
    if kw.get("warmup_t"):
        assert kw["warmup_prefix"]
        s = lrcore.warmup(s, kw["warmup_t"], init_value=kw["warmup_lr_init"])
    return s


@pytest.mark.parametrize("name", sorted(COSINE))
@pytest.mark.parametrize("per_update", [False, True])
def test_cosine(name, per_update):
    kw = COSINE[name]
    length = kw.get("warmup_t", 0) + sum(_cycles(kw["t_initial"], kw.get("cycle_mul", 1.0), kw.get("cycle_limit", 1)))
    make = lambda o: timm("CosineLRScheduler")(o, **kw, t_in_epochs=not per_update)  # noqa: E731
    compare(cosine_lrcore(kw), make, length + 30, per_update=per_update)


def test_cosine_restart_logarithm_misplaces_restarts():
    """timm finds the cycle of epoch ``t`` as ``floor(log(1 - t/T0·(1 - m), m))``. At a restart the
    argument is exactly ``m**i``, but the float64 logarithm can round just below ``i``: timm then
    gives that epoch the previous cycle's end (``lr_min``) instead of the new peak (e.g. epoch 121·T0
    for ``cycle_mul=3``, where ``math.log(243, 3) < 5``). lrcore finds cycles in integer arithmetic
    and gives the peak at every one of the same restarts."""
    peak = 1.0
    misplaced_timm = misplaced_lrcore = total = 0
    first_bad = None
    for mul in (2, 3, 4, 5, 6, 7):
        for t0 in range(1, 31):
            restarts, start, i = [], t0, 1
            while start <= 2**40:
                restarts.append(start)
                start += t0 * mul**i
                i += 1
            total += len(restarts)
            o = torch_optimizer(peak)
            scheduler = timm("CosineLRScheduler")(o, t_initial=t0, cycle_mul=float(mul), cycle_limit=10**6)
            for t in restarts:
                scheduler.step(t)
                if o.param_groups[0]["lr"] < 0.5 * peak:
                    misplaced_timm += 1
                    first_bad = first_bad or (t0, mul, t)
            ours = lrcore.cosine_restart(peak, first_period=t0, period_mul=float(mul))
            misplaced_lrcore += int(np.sum(ours(np.asarray(restarts, dtype=np.int64)) != peak))
    assert misplaced_timm > 0, f"timm placed all {total} restarts correctly"
    assert misplaced_lrcore == 0, f"lrcore misplaced {misplaced_lrcore} of {total} restarts"
    # The smallest case, checked value by value: T0=1, cycle_mul=3, restart at epoch 121 = 1 + 3 + ... + 81.
    o = torch_optimizer(peak)
    scheduler = timm("CosineLRScheduler")(o, t_initial=1, cycle_mul=3.0, cycle_limit=10)
    scheduler.step(121)
    assert math.log(243, 3) < 5
    assert o.param_groups[0]["lr"] == 0.0  # the end of cycle 4, not the peak of cycle 5
    assert lrcore.cosine_restart(peak, first_period=1, period_mul=3.0)(121) == peak
    print(f"timm misplaced {misplaced_timm} of {total} restarts (first: T0, mul, epoch = {first_bad}); lrcore 0")


# -- PolyLRScheduler ---------------------------------------------------------------------------------
POLY = {
    "defaults": dict(t_initial=100),  # power 0.5
    "power_2_lr_min": dict(t_initial=80, power=2.0, lr_min=0.01),
    "linear_warmup_prefix": dict(t_initial=60, power=1.0, warmup_t=10, warmup_lr_init=0.0, warmup_prefix=True),
    "cycles": dict(t_initial=25, power=1.5, lr_min=0.02, cycle_limit=3, cycle_decay=0.5),
    "cycle_mul_2": dict(t_initial=8, power=0.7, cycle_mul=2.0, cycle_limit=4, cycle_decay=0.8, lr_min=0.001),
}


def poly_lrcore(kw: dict, lr=LR):
    lengths = _cycles(kw["t_initial"], kw.get("cycle_mul", 1.0), kw.get("cycle_limit", 1))
    lr_min, power, decay = kw.get("lr_min", 0.0), kw.get("power", 0.5), kw.get("cycle_decay", 1.0)
    pieces = [lrcore.polynomial_decay(lr * decay**i, lr_min, n, power=power) for i, n in enumerate(lengths)]
    s = lrcore.join([*pieces, lrcore.constant(lr_min)], list(np.cumsum(lengths)))
    if kw.get("warmup_t"):
        s = lrcore.warmup(s, kw["warmup_t"], init_value=kw["warmup_lr_init"])
    return s


@pytest.mark.parametrize("name", sorted(POLY))
def test_poly(name):
    kw = POLY[name]
    length = kw.get("warmup_t", 0) + sum(_cycles(kw["t_initial"], kw.get("cycle_mul", 1.0), kw.get("cycle_limit", 1)))
    compare(poly_lrcore(kw), lambda o: timm("PolyLRScheduler")(o, **kw), length + 20)


# -- StepLRScheduler, MultiStepLRScheduler -----------------------------------------------------------
@pytest.mark.parametrize(
    ("decay_t", "rate", "warmup_t", "prefix"),
    [(30, 0.1, 0, True), (7, 0.5, 0, True), (7, 0.5, 4, True), (10, 0.3, 5, False), (6, 0.7, 9, False),
     (5, 0.5, 10, False)],
)
def test_step(decay_t, rate, warmup_t, prefix):
    """``base · rate**(t // decay_t)``: a staircase. With ``warmup_prefix=True`` (timm's default here)
    the warmup shifts it; with ``False`` the staircase counts from epoch 0 under the warmup."""
    init = 0.001
    if warmup_t == 0:
        s = lrcore.exponential_decay(LR, decay_t, rate, staircase=True)
    elif prefix:
        s = lrcore.warmup(lrcore.exponential_decay(LR, decay_t, rate, staircase=True), warmup_t, init_value=init)
    else:
        s = lrcore.join([lrcore.linear(init, LR, warmup_t), staircase_from(warmup_t, LR, decay_t, rate)], [warmup_t])
    make = lambda o: timm("StepLRScheduler")(  # noqa: E731
        o, decay_t=decay_t, decay_rate=rate, warmup_t=warmup_t, warmup_lr_init=init, warmup_prefix=prefix)
    compare(s, make, 200)


def test_step_fractional_decay_t():
    """``decay_t=2.5``: ``t // 2.5`` steps down at epochs 3, 5, 8, 10, ... (``ceil(2.5·j)``)."""
    n, rate = 60, 0.8
    boundaries = [math.ceil(2.5 * j) for j in range(1, 25)]
    s = lrcore.piecewise_constant(boundaries, [LR * rate**j for j in range(len(boundaries) + 1)])
    compare(s, lambda o: timm("StepLRScheduler")(o, decay_t=2.5, decay_rate=rate), n)


@pytest.mark.parametrize("decay_t", [2.4, 2.5, 1.7, 3.3, 1.05, 7.25])
@pytest.mark.parametrize(("warmup_t", "per_update"), [(0, False), (3, False), (5, True)])
def test_step_fractional_period(decay_t, warmup_t, per_update):
    """``rate ** (t // decay_t)`` with a fractional ``decay_t`` (EfficientNet's 2.4 epochs):
    ``exponential_decay`` with the same fractional ``decay_steps`` and ``staircase=True``, each
    stair decided exactly on the integer step (timm's float floor division is exact below 2**53)."""
    rate, init = 0.97, 1e-3
    s = lrcore.exponential_decay(LR, decay_t, rate, staircase=True)
    if warmup_t:
        s = lrcore.warmup(s, warmup_t, init_value=init)
    make = lambda o: timm("StepLRScheduler")(  # noqa: E731
        o, decay_t=decay_t, decay_rate=rate, warmup_t=warmup_t, warmup_lr_init=init, t_in_epochs=not per_update)
    want = compare(s, make, 400, per_update=per_update)
    assert len(set(want)) >= 400 // math.ceil(decay_t)  # every stair seen


def _timm_step_lr(decay_t, rate, t):
    """The lr timm's StepLRScheduler sets for epoch ``t`` (``step(t)``), base lr 1."""
    o = torch_optimizer(1.0)
    timm("StepLRScheduler")(o, decay_t=decay_t, decay_rate=rate).step(t)
    return o.param_groups[0]["lr"]


def _stair_edges(decay_t, counts):
    """The first step of stair ``n`` (``ceil(n · decay_t)``, exact) and its neighbours."""
    from fractions import Fraction

    d = Fraction(decay_t)
    return [-((-n * d.numerator) // d.denominator) + e for n in counts for e in (-1, 0, 1)]


def test_step_fractional_period_at_large_epochs():
    """Value by value at epochs up to 2**52 (the stair edges of stair numbers up to 1.8e15): a rate
    of 1 + 2**-44 makes each stair change the value by 2**-44 (256 ulp), a growth lrcore computes
    exactly to the float dtype, measured against the value itself."""
    decay_t, rate = 2.4, 1.0 + 2.0**-44
    steps = _stair_edges(decay_t, [10**6, 2**30 + 1, 3 * 10**12, 2**46 - 5, 1876499844737023])
    assert max(steps) < 2**53
    ours = lrcore.exponential_decay(1.0, decay_t, rate, staircase=True)(np.asarray(steps, dtype=np.int64))
    want = [_timm_step_lr(decay_t, rate, t) for t in steps]
    for t, got, w in zip(steps, ours, want):
        assert abs(got - w) <= ULPS * np.spacing(w), (t, got, w)
    assert len(set(want)) == len(steps) // 3 * 2  # each edge: one value before, one at and after


def test_step_fractional_period_past_float_integers():
    """timm computes ``t // decay_t`` in float64: past 2**53 the epoch itself rounds to a float (and
    so does the stair number), and timm's stair is off, here by 45 stairs at epoch 2**60 + 77777
    (about 45 ulp of the lr with a rate of 1 + 2**-52). lrcore decides the stair on the integer
    step, exactly, and its growth is exact to float64: it gives the exact value."""
    from fractions import Fraction

    import mpmath

    decay_t, rate, t = 2.4, 1.0 + 2.0**-52, 2**60 + 77777
    exact_stair = t * Fraction(decay_t).denominator // Fraction(decay_t).numerator
    float_stair = int(float(t) // decay_t)
    assert exact_stair - float_stair == -45
    with mpmath.workdps(50):
        exact = float(mpmath.mpf(rate) ** exact_stair)
        at_float_stair = float(mpmath.mpf(rate) ** float_stair)
    peer = _timm_step_lr(decay_t, rate, t)
    ours = float(lrcore.exponential_decay(1.0, decay_t, rate, staircase=True)(np.int64(t)))
    assert abs(peer - at_float_stair) <= 4 * np.spacing(peer)  # timm: the float stair
    assert abs(peer - exact) >= 30 * np.spacing(exact)  # which is not the exact one
    assert abs(ours - exact) <= 4 * np.spacing(exact)


def multistep_lrcore(milestones, rate, warmup_t=0, init=0.0, prefix=True, lr=LR):
    """timm applies milestone ``m`` at epoch ``m - 1`` (of the schedule after a prefix warmup)."""
    if warmup_t == 0 or prefix:
        stairs = lrcore.piecewise_constant([m - 1 for m in milestones], [lr * rate**i for i in range(len(milestones) + 1)])
        return stairs if warmup_t == 0 else lrcore.warmup(stairs, warmup_t, init_value=init)
    # Under a warmup that does not shift it, milestone m still applies at epoch m - 1.
    passed = sum(m - 1 <= warmup_t for m in milestones)
    later = [m - 1 - warmup_t for m in milestones if m - 1 > warmup_t]
    stairs = lrcore.piecewise_constant(later, [lr * rate ** (passed + i) for i in range(len(later) + 1)]) if later \
        else lrcore.constant(lr * rate**passed)
    return lrcore.join([lrcore.linear(init, lr, warmup_t), stairs], [warmup_t])


@pytest.mark.parametrize(
    ("milestones", "rate", "warmup_t", "prefix"),
    [([30, 60, 90], 0.1, 0, True), ([10, 11, 40], 0.5, 0, True), ([20, 50], 0.3, 6, True),
     ([20, 50], 0.3, 6, False), ([3, 12, 30], 0.5, 8, False)],
)
def test_multistep(milestones, rate, warmup_t, prefix):
    init = 1e-5
    s = multistep_lrcore(milestones, rate, warmup_t, init, prefix)
    make = lambda o: timm("MultiStepLRScheduler")(  # noqa: E731
        o, decay_t=milestones, decay_rate=rate, warmup_t=warmup_t, warmup_lr_init=init, warmup_prefix=prefix)
    compare(s, make, 120)


# -- PlateauLRScheduler (torch's ReduceLROnPlateau behind a warmup) ----------------------------------
@pytest.mark.parametrize(
    ("kwargs", "mode"),
    [(dict(), "max"),
     (dict(patience_t=2, decay_rate=0.5, cooldown_t=3, warmup_t=4, warmup_lr_init=0.01, lr_min=0.02), "max"),
     (dict(patience_t=5, decay_rate=0.3, threshold=1e-3, lr_min=1e-3), "min")],
)
def test_plateau(kwargs, mode):
    """lrcore's plateau rule (torch's) times a warmup schedule. timm's warmup runs to epoch ``warmup_t``
    (inclusive) and passes no metric to the rule before; the rule then sees the metric of each epoch
    from ``warmup_t`` on. ``min_lr`` and ``eps`` are absolute in torch, relative to the base lr in lrcore."""
    n = 120
    loss = plateau_loss(n)
    metrics = loss if mode == "min" else [1.0 / v for v in loss]  # an accuracy for mode="max"
    make = lambda o: timm("PlateauLRScheduler")(o, mode=mode, **kwargs)  # noqa: E731
    with pytest.warns(FutureWarning, match="PlateauLRScheduler is deprecated"):
        want = drive_timm(make, n, lr=LR, metrics=metrics)
    w = kwargs.get("warmup_t", 0)
    rule = lrcore.plateau(factor=kwargs.get("decay_rate", 0.1), patience=kwargs.get("patience_t", 10), mode=mode,
                          threshold=kwargs.get("threshold", 1e-4), cooldown=kwargs.get("cooldown_t", 0),
                          min_scale=kwargs.get("lr_min", 0.0) / LR, eps=1e-8 / LR)
    schedule = lrcore.warmup(lrcore.constant(LR), w, init_value=kwargs.get("warmup_lr_init", 0.0))
    state, got = rule.init(), []
    for t in range(n):
        if t - 1 >= w:
            state = rule.update(state, metrics[t - 1])
        got.append(float(schedule(t)) * state.scale)
    assert_ulp_close(got, want, 64, ULPS)
    assert len(set(want[w + 1:])) >= 3  # the metric drove at least two reductions


# -- create_scheduler_v2 -----------------------------------------------------------------------------
def _factory_cases():
    lr = LR
    w_lr = 1e-5  # the factory's default warmup_lr
    return {
        # The factory's defaults: 300-epoch cosine, no warmup, one cycle.
        "cosine_defaults": (dict(), cosine_lrcore(dict(t_initial=300)), 330, False),
        "cosine_warmup_prefix_cycles": (
            dict(num_epochs=40, warmup_epochs=5, warmup_prefix=True, min_lr=1e-4, cycle_limit=3),
            cosine_lrcore(dict(t_initial=40, lr_min=1e-4, cycle_limit=3, cycle_decay=0.1, warmup_t=5,
                               warmup_lr_init=w_lr, warmup_prefix=True)), 150, False),
        "cosine_per_update": (
            dict(num_epochs=12, warmup_epochs=2, warmup_prefix=True, step_on_epochs=False, updates_per_epoch=7),
            cosine_lrcore(dict(t_initial=84, warmup_t=14, warmup_lr_init=w_lr, warmup_prefix=True)), 120, True),
        "step": (dict(sched="step", decay_epochs=10, decay_rate=0.5, warmup_epochs=3),
                 lrcore.join([lrcore.linear(w_lr, lr, 3), staircase_from(3, lr, 10, 0.5)], [3]), 90, False),
        "multistep": (dict(sched="multistep", decay_milestones=[15, 40], decay_rate=0.2, warmup_epochs=4),
                      multistep_lrcore([15, 40], 0.2, 4, w_lr, prefix=False), 70, False),
        "poly": (dict(sched="poly", num_epochs=50, decay_rate=2.0, min_lr=1e-3, warmup_epochs=5, warmup_prefix=True),
                 poly_lrcore(dict(t_initial=50, power=2.0, lr_min=1e-3, warmup_t=5, warmup_lr_init=w_lr)), 80, False),
        "constant": (dict(sched="constant", warmup_epochs=6),
                     lrcore.warmup(lrcore.constant(lr), 6, init_value=w_lr), 40, False),
        # wsd: stable + decay fit in num_epochs - warmup; decay over round(0.2 · 45) = 9 epochs, 1-sqrt.
        "wsd": (dict(sched="wsd", num_epochs=50, warmup_epochs=5, min_lr=1e-3),
                lrcore.warmup_stable_decay(lr, warmup_steps=5, stable_steps=36, decay_steps=9, end_value=1e-3,
                                           init_value=w_lr, decay_shape="1-sqrt"), 70, False),
        "wsd_cosine_per_update": (
            dict(sched="wsd", num_epochs=10, warmup_epochs=1, decay_epochs=3, decay_fn="cosine",
                 warmup_prefix=True, step_on_epochs=False, updates_per_epoch=8),
            lrcore.warmup_stable_decay(lr, warmup_steps=8, stable_steps=56, decay_steps=24, init_value=w_lr,
                                       decay_shape="cosine"), 110, True),
        # rsqrt: lr · (1 + t/τ)**-0.5 after a linear warmup from 0 (τ = warmup), times a linear cooldown
        # over the last round(0.2 · 60) = 12 epochs.
        "rsqrt": (dict(sched="rsqrt", num_epochs=60, warmup_epochs=8, warmup_lr=0.0, warmup_prefix=True),
                  lrcore.multiply([lrcore.inverse_sqrt(lr, warmup_steps=8),
                                   lrcore.join([lrcore.constant(1.0), lrcore.linear(1.0, 0.0, 12)], [8 + 48])]),
                  90, False),
        # The same rsqrt schedule as one warmup_stable_decay (stable_power=0.5), and with a cosine
        # cooldown, a timescale of 3 epochs and an lr floor.
        "rsqrt_as_wsd": (dict(sched="rsqrt", num_epochs=60, warmup_epochs=8, warmup_lr=0.0, warmup_prefix=True),
                         lrcore.warmup_stable_decay(lr, 8, 48, 12, stable_power=0.5, init_value=0.0), 90, False),
        "rsqrt_cosine_timescale_min_lr": (
            dict(sched="rsqrt", num_epochs=50, warmup_epochs=5, decay_fn="cosine", stable_timescale=3,
                 min_lr=1e-3, decay_epochs=0.3),
            lrcore.warmup_stable_decay(lr, 5, 31, 14, end_value=1e-3, init_value=w_lr, stable_power=0.5,
                                       stable_timescale=3, decay_shape="cosine"), 70, False),
    }


@pytest.mark.parametrize("name", sorted(_factory_cases()))
def test_create_scheduler_v2(name):
    kwargs, s, n, per_update = _factory_cases()[name]
    make = lambda o: timm("create_scheduler_v2")(o, **kwargs)[0]  # noqa: E731
    compare(s, make, n, per_update=per_update)


# -- WSDLRScheduler ----------------------------------------------------------------------------------
WSD = {
    # name: timm kwargs (t_initial = stable + decay, decay_t, lr_min, stable_fn, stable_timescale,
    # stable_power, decay_fn, decay_power, decay_ratio, warmup_t, warmup_lr_init)
    "defaults": dict(t_initial=100, decay_t=20),  # constant stable, 1-sqrt decay to 0
    "linear_lr_min_warmup": dict(t_initial=80, decay_t=30, lr_min=0.01, decay_fn="linear", warmup_t=10,
                                 warmup_lr_init=1e-4),
    "cosine": dict(t_initial=60, decay_t=60, lr_min=0.02, decay_fn="cosine", warmup_t=5),
    "power_2": dict(t_initial=70, decay_t=25, lr_min=0.003, decay_fn="power", decay_power=2.0, warmup_t=7),
    "power_0.3": dict(t_initial=50, decay_t=40, decay_fn="power", decay_power=0.3),
    "power_0.5_is_1-sqrt": dict(t_initial=40, decay_t=15, decay_fn="power", decay_power=0.5, lr_min=0.05),
    "exp": dict(t_initial=90, decay_t=45, lr_min=0.001, decay_fn="exp", warmup_t=9, warmup_lr_init=0.01),
    "exp_ratio_0.01": dict(t_initial=40, decay_t=40, decay_fn="exp", decay_ratio=0.01),
    "rsqrt_linear_cooldown": dict(t_initial=120, decay_t=24, stable_fn="rsqrt", decay_fn="linear", warmup_t=12),
    "rsqrt_timescale_lr_min": dict(t_initial=150, decay_t=30, stable_fn="rsqrt", stable_timescale=3.0,
                                   lr_min=0.1, decay_fn="cosine", warmup_t=4),
    "power_stable_exp_decay": dict(t_initial=100, decay_t=50, stable_fn="power", stable_power=0.8,
                                   stable_timescale=10.0, decay_fn="exp", decay_ratio=0.2, lr_min=0.004),
    "power_stable_no_warmup": dict(t_initial=60, decay_t=10, stable_fn="power", stable_power=1.5,
                                   stable_timescale=5.0, decay_fn="power", decay_power=3.0),
    "one_step_decay": dict(t_initial=30, decay_t=1, lr_min=0.01, warmup_t=3),
}


def wsd_lrcore(kw: dict, lr=LR):
    """timm's WSD: ``t_initial`` steps after the warmup, the last ``decay_t`` of them decaying."""
    decay_fn = kw.get("decay_fn", "1-sqrt")
    stable_fn = kw.get("stable_fn", "constant")
    extra = {}
    if decay_fn == "power":
        extra["decay_power"] = kw.get("decay_power", 0.5)
    if decay_fn == "exp":
        extra["decay_ratio"] = kw.get("decay_ratio", 0.1)
    if stable_fn != "constant":
        extra["stable_power"] = 0.5 if stable_fn == "rsqrt" else kw.get("stable_power", 0.5)
        timescale = kw.get("stable_timescale")
        extra["stable_timescale"] = None if timescale is None else int(timescale)
    return lrcore.warmup_stable_decay(
        lr, warmup_steps=kw.get("warmup_t", 0), stable_steps=kw["t_initial"] - kw["decay_t"],
        decay_steps=kw["decay_t"], end_value=kw.get("lr_min", 0.0), init_value=kw.get("warmup_lr_init", 0.0),
        decay_shape=decay_fn, **extra)


@pytest.mark.parametrize("name", sorted(WSD))
@pytest.mark.parametrize("per_update", [False, True])
def test_wsd(name, per_update):
    """Every decay function of timm's ``WSDLRScheduler`` (``linear``, ``1-sqrt``, ``cosine``,
    ``power``, ``exp``) and every stable function (``constant``, ``rsqrt``, ``power``), value by
    value, through the warmup, the stable phase, the decay and the hold at ``lr_min`` after it."""
    kw = WSD[name]
    make = lambda o: timm("WSDLRScheduler")(o, **kw, t_in_epochs=not per_update)  # noqa: E731
    want = compare(wsd_lrcore(kw), make, kw.get("warmup_t", 0) + kw["t_initial"] + 20, per_update=per_update)
    assert want[-1] == kw.get("lr_min", 0.0)
