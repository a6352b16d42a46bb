"""Value-by-value parity with timm's schedulers (``timm.scheduler``), run from timm's installed files.

timm's package ``__init__`` imports its models (and torchvision); ``tests.peers`` loads the
``timm/scheduler`` files unmodified under a bare parent package instead. Each scheduler drives a real
``torch.optim.SGD`` the way timm's ``train.py`` does: the constructor sets the lr of epoch 0, then
``scheduler.step(t, metric)`` (or ``step_update(t)`` when stepping per update) sets the lr of epoch
(update) ``t``, which is lrcore's value at step ``t``.

A warmup that does not delay the schedule (timm's default ``warmup_prefix=False``) is
``lrcore.warmup(..., delay=False)``; a scheduler stepped per epoch (``t_in_epochs=True``) under an
update count is ``lrcore.per_epoch``.

timm computes each value in closed form with Python floats (a power, a cos, a product): the
tolerance is ``ULPS`` float64 ulp of the largest value of the curve (its peak).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import lrcore
import lrcore.numpy
from tests import examples
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


def timm_warmup(schedule, kw: dict):
    """timm's linear warmup of ``kw`` (``warmup_t``, ``warmup_lr_init``) before ``schedule``: one that
    delays it with ``warmup_prefix=True``, one over its first steps with timm's default ``False``."""
    if not kw.get("warmup_t"):
        return schedule
    return lrcore.warmup(schedule, kw["warmup_t"], init_value=kw.get("warmup_lr_init", 0.0),
                         delay=kw.get("warmup_prefix", False))


# -- CosineLRScheduler -------------------------------------------------------------------------------
def _length(kw: dict) -> int:
    """The steps timm's cycles take (warmup included), rounded up: ``ceil(S_limit)``."""
    m = Fraction(kw.get("cycle_mul", 1.0))
    cycles = sum(kw["t_initial"] * m**i for i in range(kw.get("cycle_limit", 1)))
    return (kw.get("warmup_t", 0) if kw.get("warmup_prefix", False) else 0) + math.ceil(cycles)


def _timm_cycle(t: int, t_initial: int, cycle_mul: float) -> int:
    """The cycle timm gives epoch ``t`` (of the cycles, after a prefix warmup): its own float formula."""
    if cycle_mul == 1:
        return t // t_initial
    return math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))


def _exact_cycle(t: int, t_initial: int, cycle_mul: float) -> int:
    """The cycle holding epoch ``t``: the last ``i`` with ``t_initial·(m**i - 1)/(m - 1) <= t``, in
    exact fractions."""
    m, i, start = Fraction(cycle_mul), 0, Fraction(0)
    if m == 1:
        return t // t_initial
    while start + t_initial * m**i <= t:
        start += t_initial * m**i
        i += 1
    return i


COSINE = {
    # name: timm kwargs (t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init,
    # warmup_prefix, k_decay)
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
    # timm's default warmup_prefix=False: the warmup covers the cosine's first epochs, which keeps
    # its count (epoch warmup_t is at cos(π·warmup_t/t_initial)), even across a restart.
    "warmup_overlay": dict(t_initial=50, lr_min=0.002, warmup_t=7, warmup_lr_init=1e-4),
    "warmup_overlay_cycles": dict(t_initial=12, lr_min=0.01, cycle_limit=3, cycle_decay=0.5, warmup_t=5,
                                  warmup_lr_init=0.02, warmup_prefix=False),
    "warmup_overlay_past_a_restart": dict(t_initial=4, cycle_limit=4, cycle_decay=0.8, warmup_t=6, warmup_lr_init=0.0),
    "warmup_overlay_cycle_mul_2": dict(t_initial=10, cycle_mul=2.0, cycle_limit=3, lr_min=0.001, warmup_t=4,
                                       warmup_lr_init=0.05),
    # k_decay (once a join of hand-built pieces could not express it)
    "k_decay_2": dict(t_initial=50, lr_min=0.01, k_decay=2.0),
    "k_decay_half_cycles": dict(t_initial=20, cycle_limit=3, cycle_decay=0.5, k_decay=0.5, lr_min=0.001),
    "k_decay_cycle_mul_2": dict(t_initial=6, cycle_mul=2.0, cycle_limit=4, k_decay=3.0),
    # Fractional cycle lengths: 10, 15, 22.5, 33.75, ... restarting at 10, 25, 48, 82, 132.
    "cycle_mul_1.5_fractional": dict(t_initial=10, cycle_mul=1.5, cycle_limit=6, cycle_decay=0.8, lr_min=0.01),
    "cycle_mul_1.3_k_decay_warmup": dict(t_initial=7, cycle_mul=1.3, cycle_limit=8, k_decay=1.5, warmup_t=4,
                                         warmup_lr_init=0.001, warmup_prefix=True, lr_min=0.02),
    "cycle_mul_2.5_limit_1": dict(t_initial=3, cycle_mul=2.5, cycle_limit=1),
    # A cycle_limit past the steps driven: the restarts go on (timm's log finds their cycle).
    "cycle_mul_1.1_unbounded": dict(t_initial=5, cycle_mul=1.1, cycle_limit=1000, cycle_decay=0.95),
}


def cosine_lrcore(kw: dict, lr=LR):
    """timm's CosineLRScheduler as one ``cosine_restart`` (behind timm's warmup, prefix or overlay)."""
    s = lrcore.cosine_restart(
        lr, first_period=kw["t_initial"], period_mul=kw.get("cycle_mul", 1.0), peak_mul=kw.get("cycle_decay", 1.0),
        end_value=kw.get("lr_min", 0.0), k_decay=kw.get("k_decay", 1.0), cycle_limit=kw.get("cycle_limit", 1),
        whole_periods=False,
    )
    return timm_warmup(s, kw)


def compare_where_timm_finds_the_cycle(schedule, kw, want, ulps=ULPS, first=0):
    """``schedule`` against timm's values ``want`` (epochs ``0..n-1``) and against the exact
    reference: equal to timm within ``ulps`` wherever timm's float logarithm finds the right cycle;
    where it does not (it rounds just below an integer at a restart), timm is off and lrcore is still
    exact. Returns the epochs timm misplaced."""
    n = len(want)
    got = lrcore.numpy.from_schedule(schedule)(np.arange(n))
    d = schedule.to_dict()
    exact = np.asarray([float(examples.value_of(d, k)) for k in range(n)])
    assert_ulp_close(got, exact, 64, 4, context=repr(schedule))
    w = kw.get("warmup_t", 0)
    delay = w if kw.get("warmup_prefix", False) else 0  # an overlaid warmup leaves timm's count alone
    misplaced = [k for k in range(w, n)
                 if _timm_cycle(k - delay, kw["t_initial"], kw.get("cycle_mul", 1.0))
                 != _exact_cycle(k - delay, kw["t_initial"], kw.get("cycle_mul", 1.0))]
    right = np.setdiff1d(np.arange(first, n), misplaced)
    assert_ulp_close(got[right], want[right], 64, ulps, context=repr(schedule))
    for k in misplaced:  # timm's value there is the previous cycle's (its end, lr_min), not the new one's
        assert abs(want[k] - exact[k]) > 1e-3 * LR, (k, want[k], exact[k])
    return misplaced


@pytest.mark.parametrize("name", sorted(COSINE))
@pytest.mark.parametrize("per_update", [False, True])
def test_cosine(name, per_update):
    kw = COSINE[name]
    make = lambda o: timm("CosineLRScheduler")(o, **kw, t_in_epochs=not per_update)  # noqa: E731
    n = min(_length(kw), 600) + 30
    want = drive_timm(make, n, lr=LR, per_update=per_update)
    compare_where_timm_finds_the_cycle(cosine_lrcore(kw), kw, want)


def test_cosine_fractional_cycles_restart_at_the_first_step_past_each_boundary():
    """t_initial=10, cycle_mul=1.5: cycles of 10, 15, 22.5, 33.75, 50.625 steps start at 0, 10, 25,
    47.5, 81.25: the restarts are epochs 10, 25, 48 and 82, where timm is not at the peak but at the
    position 0.5 (0.75) of the new cycle, as lrcore is."""
    kw = dict(t_initial=10, cycle_mul=1.5, cycle_limit=5)
    s = cosine_lrcore(kw)
    want = drive_timm(lambda o: timm("CosineLRScheduler")(o, **kw), 140, lr=LR)
    got = s(np.arange(140))
    for restart, offset, period in [(48, 0.5, 33.75), (82, 0.75, 50.625)]:
        value = 0.5 * LR * (1 + math.cos(math.pi * offset / period))
        assert got[restart - 1] < 0.01 * LR and abs(got[restart] - value) < 1e-15
        assert abs(want[restart] - value) < 1e-15
    # Whole periods (lrcore's default) instead restart at 48 exactly at the peak, then at 48 + 34 = 82.
    whole = lrcore.cosine_restart(LR, 10, 1.5)
    assert whole(48) == LR and whole(82) == LR and s(48) < LR
    # From cycle 5 (epoch ceil(131.875) = 132) on timm holds lr_min, and so does cycle_limit.
    assert np.all(want[132:] == 0.0) and np.all(got[132:] == 0.0) and got[131] > 0.0


@pytest.mark.parametrize(("t_initial", "cycle_mul", "epoch"), [(16, 1.5, 211), (16, 1.25, 61), (32, 1.25, 122)])
def test_cosine_logarithm_misplaces_fractional_restarts(t_initial, cycle_mul, epoch):
    """With a fractional ``cycle_mul`` a real cycle boundary can still fall on a whole epoch
    (t_initial=16, cycle_mul=1.5: 16 + 24 + 36 + 54 + 81 = 211). There ``1 - t/T0·(1 - m)`` is
    exactly ``m**i``, and timm's float64 logarithm rounds just below ``i``: timm gives that epoch
    the end of the previous cycle (lr_min) instead of the new peak. lrcore decides the cycle in
    exact arithmetic and matches the exact reference at every epoch; timm matches it everywhere
    else."""
    kw = dict(t_initial=t_initial, cycle_mul=cycle_mul, cycle_limit=8)
    want = drive_timm(lambda o: timm("CosineLRScheduler")(o, **kw), epoch + 40, lr=LR)
    misplaced = compare_where_timm_finds_the_cycle(cosine_lrcore(kw), kw, want)
    assert misplaced == [epoch]
    assert want[epoch] == 0.0 and cosine_lrcore(kw)(epoch) == LR * 1.0


def test_cosine_one_cycle_is_cosine_decay():
    """One cycle (timm's default ``cycle_limit=1``) then ``lr_min``: ``cosine_decay`` with an end value."""
    for per_update in (False, True):
        make = lambda o: timm("CosineLRScheduler")(o, t_initial=60, lr_min=0.01, t_in_epochs=not per_update)  # noqa: E731
        compare(lrcore.cosine_decay(LR, 60, end_value=0.01), make, 90, per_update=per_update)


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


# -- TanhLRScheduler ---------------------------------------------------------------------------------
TANH = {
    # name: timm kwargs (t_initial, lb, ub, lr_min, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix)
    "defaults": dict(t_initial=100),
    "lr_min_symmetric": dict(t_initial=60, lr_min=0.01, lb=-3.0, ub=3.0),
    "positive_bounds": dict(t_initial=40, lb=0.5, ub=4.0, lr_min=0.002),
    "negative_bounds": dict(t_initial=33, lb=-6.0, ub=-0.5),
    "steep": dict(t_initial=200, lb=-40.0, ub=60.0, lr_min=0.001),
    "one_step": dict(t_initial=1, lr_min=0.05),
    "warmup_prefix": dict(t_initial=50, warmup_t=5, warmup_lr_init=1e-4, warmup_prefix=True, lr_min=0.003),
    "cycles": dict(t_initial=30, cycle_limit=3, cycle_decay=0.5, lr_min=0.01),
    "cycles_warmup_prefix": dict(t_initial=12, cycle_limit=4, cycle_decay=0.8, lb=-5.0, ub=2.0, warmup_t=3,
                                 warmup_lr_init=0.0, warmup_prefix=True),
    # Real cycle lengths: 10, 15, 22.5, 33.75 restarting at 10, 25, 48, 82.
    "cycle_mul_1.5_fractional": dict(t_initial=10, cycle_mul=1.5, cycle_limit=5, cycle_decay=0.8, lr_min=0.01),
    "cycle_mul_2.5_warmup_prefix": dict(t_initial=3, cycle_mul=2.5, cycle_limit=4, lb=-4.0, ub=4.0, warmup_t=4,
                                        warmup_lr_init=0.01, warmup_prefix=True),
    "cycle_mul_1.5_limit_1": dict(t_initial=9, cycle_mul=1.5, cycle_limit=1, lr_min=0.02),
    "cycle_mul_1.3_unbounded": dict(t_initial=5, cycle_mul=1.3, cycle_limit=1000, cycle_decay=0.9),
}


def tanh_lrcore(kw: dict, lr=LR):
    """timm's TanhLRScheduler: one ``tanh_restart`` with real cycle lengths. timm's prefix warmup ramps
    to the base lr (not to the curve's first value, just below it): a ``linear`` piece."""
    shape = dict(end_value=kw.get("lr_min", 0.0), lower=kw.get("lb", -7.0), upper=kw.get("ub", 3.0))
    s = lrcore.tanh_restart(lr, kw["t_initial"], period_mul=kw.get("cycle_mul", 1.0), peak_mul=kw.get("cycle_decay", 1.0),
                            cycle_limit=kw.get("cycle_limit", 1), whole_periods=False, **shape)
    if kw.get("warmup_t"):
        assert kw["warmup_prefix"]
        s = lrcore.join([lrcore.linear(kw["warmup_lr_init"], lr, kw["warmup_t"]), s], [kw["warmup_t"]])
    return s


@pytest.mark.parametrize("name", sorted(TANH))
@pytest.mark.parametrize("per_update", [False, True])
def test_tanh(name, per_update):
    """timm forms ``lb·(1 - t/T) + ub·t/T`` in float64, which cancels near the zero of the tanh
    argument: its error grows with ``|lb| + |ub|``, and so does the tolerance.

    timm never computes epoch 0 without a warmup: the optimizer keeps its base lr there (the same
    value for a cosine, not for a tanh, whose curve starts at ``½(1 - tanh lb)`` of the way). From
    epoch 1 on, and at every epoch with a warmup, timm is ``tanh_decay``."""
    kw = TANH[name]
    length = _length(kw)
    make = lambda o: timm("TanhLRScheduler")(o, **kw, t_in_epochs=not per_update)  # noqa: E731
    ulps = ULPS * max(1.0, abs(kw.get("lb", -7.0)) + abs(kw.get("ub", 3.0))) / 10
    n = min(length, 600) + 30
    want = drive_timm(make, n, lr=LR, per_update=per_update)
    s = tanh_lrcore(kw)
    got = s(np.arange(n))
    first = 0 if kw.get("warmup_t") else 1
    compare_where_timm_finds_the_cycle(s, kw, want, ulps, first)
    if first:
        assert want[0] == LR and got[0] <= LR
    # From the end of the last cycle timm holds lr_min exactly, as tanh_restart does.
    assert np.all(want[length:] == kw.get("lr_min", 0.0)) and np.all(got[length:] == kw.get("lr_min", 0.0))


# -- PolyLRScheduler ---------------------------------------------------------------------------------
POLY = {
    "defaults": dict(t_initial=100),  # power 0.5
    "power_2_lr_min": dict(t_initial=80, power=2.0, lr_min=0.01),
    "linear_warmup_prefix": dict(t_initial=60, power=1.0, warmup_t=10, warmup_lr_init=0.0, warmup_prefix=True),
    "cycles": dict(t_initial=25, power=1.5, lr_min=0.02, cycle_limit=3, cycle_decay=0.5),
    "cycle_mul_2": dict(t_initial=8, power=0.7, cycle_mul=2.0, cycle_limit=4, cycle_decay=0.8, lr_min=0.001),
    "warmup_overlay": dict(t_initial=60, power=2.0, lr_min=0.01, warmup_t=10, warmup_lr_init=0.001),
    "warmup_overlay_cycles": dict(t_initial=9, power=1.0, cycle_limit=3, cycle_decay=0.5, warmup_t=12,
                                  warmup_lr_init=0.0, warmup_prefix=False),
    # k_decay: 1 - t**k / T**k
    "k_decay_half": dict(t_initial=40, power=1.5, k_decay=0.5, lr_min=0.01),
    "k_decay_2_cycles": dict(t_initial=12, power=0.5, k_decay=2.0, cycle_limit=3, cycle_decay=0.7, warmup_t=5,
                             warmup_lr_init=0.001),
    # Real cycle lengths: 10, 15, 22.5, 33.75 restarting at 10, 25, 48, 82.
    "cycle_mul_1.5_fractional": dict(t_initial=10, power=2.0, cycle_mul=1.5, cycle_limit=5, cycle_decay=0.8, lr_min=0.01),
    "cycle_mul_2.5_k_decay_warmup_prefix": dict(t_initial=3, power=0.7, cycle_mul=2.5, cycle_limit=4, k_decay=0.5,
                                                warmup_t=4, warmup_lr_init=0.01, warmup_prefix=True),
    "cycle_mul_1.5_k_decay_2_unbounded": dict(t_initial=5, cycle_mul=1.5, cycle_limit=1000, k_decay=2.0,
                                              cycle_decay=0.9),
}


def poly_lrcore(kw: dict, lr=LR):
    """timm's PolyLRScheduler: one ``polynomial_restart`` with real cycle lengths, behind timm's warmup."""
    s = lrcore.polynomial_restart(
        lr, kw["t_initial"], period_mul=kw.get("cycle_mul", 1.0), peak_mul=kw.get("cycle_decay", 1.0),
        end_value=kw.get("lr_min", 0.0), power=kw.get("power", 0.5), k_decay=kw.get("k_decay", 1.0),
        cycle_limit=kw.get("cycle_limit", 1), whole_periods=False,
    )
    return timm_warmup(s, kw)


@pytest.mark.parametrize("name", sorted(POLY))
@pytest.mark.parametrize("per_update", [False, True])
def test_poly(name, per_update):
    kw = POLY[name]
    make = lambda o: timm("PolyLRScheduler")(o, **kw, t_in_epochs=not per_update)  # noqa: E731
    n = min(_length(kw), 600) + 30
    want = drive_timm(make, n, lr=LR, per_update=per_update)
    compare_where_timm_finds_the_cycle(poly_lrcore(kw), kw, want)


def test_poly_one_cycle_is_polynomial_decay():
    make = lambda o: timm("PolyLRScheduler")(o, t_initial=70, power=1.5, lr_min=0.02)  # noqa: E731
    compare(lrcore.polynomial_decay(LR, 0.02, 70, power=1.5), make, 100)


# -- StepLRScheduler, MultiStepLRScheduler -----------------------------------------------------------
@pytest.mark.parametrize(
    ("decay_t", "rate", "warmup_t", "prefix"),
    [(30, 0.1, 0, True), (7, 0.5, 0, True), (7, 0.5, 4, True), (10, 0.3, 5, False), (6, 0.7, 9, False),
     (5, 0.5, 10, False)],
)
def test_step(decay_t, rate, warmup_t, prefix):
    """``base · rate**(t // decay_t)``: a staircase. With ``warmup_prefix=True`` (the default of
    timm's step schedulers) the warmup delays it; with ``False`` the staircase counts from epoch 0
    under the warmup."""
    init = 0.001
    stairs = lrcore.exponential_decay(LR, decay_t, rate, staircase=True)
    s = lrcore.warmup(stairs, warmup_t, init_value=init, delay=prefix)
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
    """timm applies milestone ``m`` at epoch ``m - 1`` of the schedule: after a warmup that delays
    it (``warmup_prefix=True``), or of its own count under one that does not."""
    stairs = lrcore.piecewise_constant([m - 1 for m in milestones], [lr * rate**i for i in range(len(milestones) + 1)])
    return lrcore.warmup(stairs, warmup_t, init_value=init, delay=prefix)


@pytest.mark.parametrize(
    ("milestones", "rate", "warmup_t", "prefix"),
    [([30, 60, 90], 0.1, 0, True), ([10, 11, 40], 0.5, 0, True), ([20, 50], 0.3, 6, True),
     ([20, 50], 0.3, 6, False), ([3, 12, 30], 0.5, 8, False), ([4, 5, 6], 0.5, 10, False)],
)
def test_multistep(milestones, rate, warmup_t, prefix):
    init = 1e-5
    s = multistep_lrcore(milestones, rate, warmup_t, init, prefix)
    make = lambda o: timm("MultiStepLRScheduler")(  # noqa: E731
        o, decay_t=milestones, decay_rate=rate, warmup_t=warmup_t, warmup_lr_init=init, warmup_prefix=prefix)
    compare(s, make, 120)


# -- the training loop: per-epoch schedulers under an update count -------------------------------------
def drive_train_loop(make_scheduler, epochs: int, updates_per_epoch: int, lr: float = LR) -> np.ndarray:
    """The learning rate of every update, as timm's ``train.py`` steps its scheduler
    (https://github.com/huggingface/pytorch-image-models/blob/main/train.py): after each update
    ``step_update(num_updates)`` (the count of updates done), after each epoch ``step(epoch + 1)``.
    A scheduler with ``t_in_epochs=True`` ignores the first, one with ``False`` the second."""
    optimizer = torch_optimizer(lr)
    scheduler = make_scheduler(optimizer)
    lrs, num_updates = [], 0
    for epoch in range(epochs):
        for _ in range(updates_per_epoch):
            lrs.append(float(optimizer.param_groups[0]["lr"]))  # the lr this update applies
            num_updates += 1
            scheduler.step_update(num_updates=num_updates)
        scheduler.step(epoch + 1)
    return np.asarray(lrs, dtype=np.float64)


TRAIN_LOOP = {
    # name: (timm class, kwargs in epochs, the lrcore schedule in epochs)
    "cosine_warmup_overlay": ("CosineLRScheduler", COSINE["warmup_overlay_cycles"], cosine_lrcore(COSINE["warmup_overlay_cycles"])),
    "cosine_warmup_prefix": ("CosineLRScheduler", COSINE["cycle_mul_3_warmup"], cosine_lrcore(COSINE["cycle_mul_3_warmup"])),
    "step_warmup_overlay": ("StepLRScheduler", dict(decay_t=4, decay_rate=0.5, warmup_t=3, warmup_lr_init=0.01,
                                                  warmup_prefix=False),
                            lrcore.warmup(lrcore.exponential_decay(LR, 4, 0.5, staircase=True), 3, 0.01, delay=False)),
    "poly_warmup_overlay": ("PolyLRScheduler", POLY["warmup_overlay_cycles"], poly_lrcore(POLY["warmup_overlay_cycles"])),
}


@pytest.mark.parametrize("name", sorted(TRAIN_LOOP))
@pytest.mark.parametrize("updates_per_epoch", [1, 7])
def test_per_epoch_scheduler_in_the_training_loop(name, updates_per_epoch):
    """``t_in_epochs=True``: update ``u`` gets the value of epoch ``u // updates_per_epoch``, which is
    ``per_epoch(schedule, updates_per_epoch)`` at step ``u``."""
    cls, kw, epochs_schedule = TRAIN_LOOP[name]
    epochs = 60
    want = drive_train_loop(lambda o: timm(cls)(o, **kw, t_in_epochs=True), epochs, updates_per_epoch)
    got = lrcore.per_epoch(epochs_schedule, updates_per_epoch)(np.arange(epochs * updates_per_epoch))
    assert_ulp_close(got, want, 64, ULPS)
    assert len(set(want.tolist())) >= 8  # the curve moves: warmup, decay, cycles


@pytest.mark.parametrize("name", sorted(TRAIN_LOOP))
def test_per_update_scheduler_in_the_training_loop(name):
    """``t_in_epochs=False`` with the lengths in updates: the schedule itself, at the update count."""
    cls, kw, epochs_schedule = TRAIN_LOOP[name]
    n = 5
    in_updates = {k: (v * n if k in ("t_initial", "warmup_t", "decay_t") else v) for k, v in kw.items()}
    want = drive_train_loop(lambda o: timm(cls)(o, **in_updates, t_in_epochs=False), 30, n)
    schedule = {"CosineLRScheduler": cosine_lrcore, "PolyLRScheduler": poly_lrcore}.get(cls)
    if schedule is None:
        schedule = lambda k: lrcore.warmup(  # noqa: E731
            lrcore.exponential_decay(LR, k["decay_t"], k["decay_rate"], staircase=True), k["warmup_t"],
            k["warmup_lr_init"], delay=False)
    # The loop reads the lr of update u after step_update(u): the constructor's for update 0.
    assert_ulp_close(schedule(in_updates)(np.arange(30 * n)), want, 64, ULPS)


# -- WSDLRScheduler -------------------------------------------------------------------------------------
@pytest.mark.parametrize("decay_ratio", [0.01, 0.3])
def test_wsd_exp_cooldown_to_lr_min(decay_ratio):
    """timm's WSD ``decay_fn='exp'``: ``lr_min + (lr - lr_min)·(r**x - r)/(1 - r)`` over the last
    ``decay_t`` epochs (``x`` from 0 to 1): an exponential decay plus a constant, written with ``+``."""
    W, T, D, lr_min, r = 5, 40, 12, 0.01, decay_ratio
    a = (LR - lr_min) / (1 - r)
    body = lrcore.exponential_decay(a, D, r, transition_begin=T - D, end_value=a * r) + (lr_min - a * r)
    assert body.name == "add"
    s = lrcore.warmup(body, W, init_value=1e-3)  # timm's WSD warmup is always a prefix
    make = lambda o: timm("WSDLRScheduler")(  # noqa: E731
        o, t_initial=T, decay_t=D, lr_min=lr_min, decay_fn="exp", decay_ratio=r, warmup_t=W, warmup_lr_init=1e-3)
    want = compare(s, make, W + T + 15)
    assert want[-1] == pytest.approx(lr_min, rel=1e-12) and want[W] == LR


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
                 lrcore.warmup(lrcore.exponential_decay(lr, 10, 0.5, staircase=True), 3, w_lr, delay=False), 90, False),
        "multistep": (dict(sched="multistep", decay_milestones=[15, 40], decay_rate=0.2, warmup_epochs=4),
                      multistep_lrcore([15, 40], 0.2, 4, w_lr, prefix=False), 70, False),
        "poly": (dict(sched="poly", num_epochs=50, decay_rate=2.0, min_lr=1e-3, warmup_epochs=5, warmup_prefix=True),
                 poly_lrcore(dict(t_initial=50, power=2.0, lr_min=1e-3, warmup_t=5, warmup_lr_init=w_lr,
                                  warmup_prefix=True)), 80, False),
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
