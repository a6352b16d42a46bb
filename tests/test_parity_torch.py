"""Value-by-value parity with the real ``torch.optim.lr_scheduler`` schedulers.

Each scheduler drives a real ``torch.optim.SGD`` on one parameter; the learning rate of update n is
``optimizer.param_groups[0]['lr']`` read before that update, i.e. after n ``scheduler.step()``
calls, which is lrcore's value at step n.

Torch keeps learning rates as Python floats (float64). Tolerances, in float64 ulp of the largest
value (lrcore.numpy is within 4 of the exact value):
- closed-form schedulers (OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts): a handful of float64
  roundings, so ``CLOSED`` ulp;
- chainable schedulers (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, PolynomialLR,
  LinearLR) compute lr_n from lr_{n-1} with a factor rounded a few times per step, and those
  errors add up: at most ``PER_STEP`` ulp of the largest value per step taken (``chained(n)``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as sched

import lrcore
import lrcore.numpy
import lrcore.torch
from tests import examples, reference
from tests.helpers import assert_ulp_close
from tests.peers import drive_torch, restart_steps

CLOSED = 8
PER_STEP = 4


def chained(n: int) -> float:
    return CLOSED + PER_STEP * n


def compare(schedule, make_scheduler, n, ulps, lr=1.0):
    want = drive_torch(make_scheduler, n, lr=lr)
    got = lrcore.numpy.from_schedule(schedule)(np.arange(n))
    assert_ulp_close(got, want, 64, ulps, context=repr(schedule))


@pytest.mark.parametrize(("step_size", "gamma"), [(1, 0.97), (30, 0.5), (7, 0.9)])
def test_step_lr(step_size, gamma):
    n = 300
    s = lrcore.exponential_decay(0.4, decay_steps=step_size, decay_rate=gamma, staircase=True)
    compare(s, lambda o: sched.StepLR(o, step_size=step_size, gamma=gamma), n, chained(n), lr=0.4)


def test_multi_step_lr():
    milestones, gamma, n = [10, 11, 80, 200], 0.3, 260
    s = lrcore.piecewise_constant(milestones, [0.7 * gamma**i for i in range(len(milestones) + 1)])
    compare(s, lambda o: sched.MultiStepLR(o, milestones=milestones, gamma=gamma), n, chained(n), lr=0.7)


@pytest.mark.parametrize("gamma", [0.99, 0.9])
def test_exponential_lr(gamma):
    n = 300
    s = lrcore.exponential_decay(0.25, decay_steps=1, decay_rate=gamma)
    compare(s, lambda o: sched.ExponentialLR(o, gamma=gamma), n, chained(n), lr=0.25)


@pytest.mark.parametrize("eta_min", [0.0, 0.02])
def test_cosine_annealing_lr(eta_min):
    """Equal for k <= T_max; past T_max torch rebounds along the cosine, lrcore holds eta_min."""
    t_max = 250
    s = lrcore.cosine_decay(0.5, decay_steps=t_max, end_value=eta_min)
    compare(s, lambda o: sched.CosineAnnealingLR(o, T_max=t_max, eta_min=eta_min), t_max + 1, chained(t_max + 1), lr=0.5)
    # The documented difference: torch climbs back after T_max, lrcore holds its end value.
    rebound = drive_torch(lambda o: sched.CosineAnnealingLR(o, T_max=t_max, eta_min=eta_min), t_max + 50, lr=0.5)
    assert rebound[-1] > eta_min + 0.01
    assert lrcore.numpy.from_schedule(s)(t_max + 49) == eta_min


def _closed_form_and_recursive(t_max: int, eta_min: float, n: int, lr: float):
    """torch ``CosineAnnealingLR``'s learning rates of updates ``0..n-1`` as its ``step()`` sets them
    (a recursion from the previous lr), and its own closed form at the same steps
    (``_get_closed_form_lr``, which torch uses when ``step`` is given an epoch)."""
    param = torch.nn.Parameter(torch.zeros(()))
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = sched.CosineAnnealingLR(optimizer, T_max=t_max, eta_min=eta_min)
    recursive, closed = [], []
    for i in range(n):
        recursive.append(optimizer.param_groups[0]["lr"])
        closed.append(scheduler._get_closed_form_lr()[0])
        optimizer.step()
        if i < n - 1:
            scheduler.step()
    return np.asarray(recursive), np.asarray(closed)


@pytest.mark.parametrize(("t_max", "eta_min"), [(10, 0.0), (7, 0.05), (25, 0.01), (1, 0.0), (2, 0.1), (100, 0.0)])
def test_cosine_annealing_lr_periodic(t_max, eta_min):
    """``cosine_decay(periodic=True)`` is torch's CosineAnnealingLR at every step, past ``T_max``
    too: down to eta_min at T_max, back up to the base lr at 2·T_max, and so on (driven for
    5·T_max steps). torch's ``step()`` computes lr_n from lr_{n-1}: its rounding errors add up, by at
    most ``PER_STEP`` float64 ulp of the peak per step (``chained``); its closed form rounds a few
    times per value (``CLOSED`` ulp)."""
    lr, n = 0.3, 5 * t_max + 1
    s = lrcore.cosine_decay(lr, decay_steps=t_max, end_value=eta_min, periodic=True)
    got = lrcore.numpy.from_schedule(s)(np.arange(n))
    recursive, closed = _closed_form_and_recursive(t_max, eta_min, n, lr)
    assert_ulp_close(got, recursive, 64, chained(n), context=repr(s))
    assert_ulp_close(got, closed, 64, CLOSED, context=repr(s))
    assert_ulp_close(got, drive_torch(lambda o: sched.CosineAnnealingLR(o, T_max=t_max, eta_min=eta_min), n, lr=lr),
                     64, chained(n))
    # The turning points are exact in lrcore: eta_min at odd multiples of T_max, the peak at even ones.
    bottoms, tops = np.arange(t_max, n, 2 * t_max), np.arange(0, n, 2 * t_max)
    assert np.all(got[bottoms] == eta_min) and np.all(got[tops] == lr)
    assert np.all(closed[tops] == lr)
    # float32 adapters agree with torch's closed form within the precision promise.
    got32 = lrcore.torch.from_schedule(s)(torch.arange(n)).double().numpy()
    assert_ulp_close(got32, closed, 32, 4 + 1e-6, context=repr(s))


def test_cosine_annealing_lr_periodic_far_steps():
    """At steps far past T_max (where torch's recursion would need that many steps), lrcore's
    periodic cosine is torch's closed form, evaluated with an exact integer position."""
    t_max, eta_min, lr = 37, 0.01, 0.5
    steps = np.asarray([10**6, 10**6 + 1, 37 * 10**9, 37 * (10**9 + 1), 2**40 + 3, 2**53 - 1], dtype=np.int64)
    s = lrcore.numpy.cosine_decay(lr, decay_steps=t_max, end_value=eta_min, periodic=True)
    for k, value in zip(steps, s(steps)):
        param = torch.nn.Parameter(torch.zeros(()))
        scheduler = sched.CosineAnnealingLR(torch.optim.SGD([param], lr=lr), T_max=t_max, eta_min=eta_min)
        scheduler.last_epoch = int(k)
        # torch's closed form takes cos(pi·k/T) of a float k/T: it rounds the position of a step
        # near 2**53, so it is compared against the position reduced mod 2·T_max there.
        reduced = int(k) % (2 * t_max)
        scheduler_reduced = sched.CosineAnnealingLR(torch.optim.SGD([param], lr=lr), T_max=t_max, eta_min=eta_min)
        scheduler_reduced.last_epoch = reduced
        assert_ulp_close([value], scheduler_reduced._get_closed_form_lr(), 64, CLOSED)
        # Unreduced, torch's cos argument pi·k/T carries an error of about its own ulp:
        # |pi·k/T|·2**-52, times the amplitude.
        unreduced = scheduler._get_closed_form_lr()[0]
        assert abs(float(value) - unreduced) <= 4 * math.pi * int(k) / t_max * 2.0**-52 * (lr - eta_min) + 1e-15


@pytest.mark.parametrize(
    ("t_0", "t_mult", "eta_min"), [(25, 1, 0.0), (20, 1, 0.05), (10, 2, 0.0), (7, 2, 0.01), (5, 3, 0.0)]
)
def test_cosine_annealing_warm_restarts(t_0, t_mult, eta_min):
    n = 500
    s = lrcore.cosine_restart(peak_value=0.3, first_period=t_0, period_mul=float(t_mult), end_value=eta_min)
    make = lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=t_0, T_mult=t_mult, eta_min=eta_min)  # noqa: E731
    compare(s, make, n, CLOSED, lr=0.3)
    # Every restart is exactly the peak in both.
    want = drive_torch(make, n, lr=0.3)
    starts = [0]
    while starts[-1] < n:
        starts.append(starts[-1] + t_0 * t_mult ** (len(starts) - 1))
    starts = [k for k in starts if k < n]
    assert np.all(want[starts] == 0.3)
    assert np.all(lrcore.numpy.from_schedule(s)(np.asarray(starts)) == 0.3)


def test_cosine_annealing_warm_restarts_closed_form_misplaces_restarts():
    """torch's ``scheduler.step(epoch)`` finds the cycle with ``int(math.log(epoch/T_0·(T_mult-1)+1,
    T_mult))``: when the float64 logarithm rounds just below the integer, a restart step gets the
    previous cycle's last value (eta_min) instead of the peak. lrcore finds cycles in integer
    arithmetic and is exact at every one of the same restart steps."""
    peak, eta_min = 1.0, 0.0
    misplaced_torch = misplaced_lrcore = total = 0
    for t_mult in (2, 3, 4, 5):
        for t_0 in range(1, 41):
            restarts = restart_steps(t_0, t_mult, 2**40)
            total += len(restarts)
            optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(()))], lr=peak)
            scheduler = sched.CosineAnnealingWarmRestarts(optimizer, T_0=t_0, T_mult=t_mult, eta_min=eta_min)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for k in restarts:
                    scheduler.step(k)
                    lr = optimizer.param_groups[0]["lr"]
                    misplaced_torch += lr < 0.5 * peak
            # Whatever torch warns about stepping with an explicit epoch, it is only a deprecation note.
            assert all(issubclass(w.category, (UserWarning, DeprecationWarning)) for w in caught)
            ours = lrcore.numpy.cosine_restart(peak, first_period=t_0, period_mul=float(t_mult), end_value=eta_min)
            misplaced_lrcore += int(np.sum(ours(np.asarray(restarts, dtype=np.int64)) != peak))
    assert misplaced_torch > 0, f"torch's closed form placed all {total} restarts correctly"
    assert misplaced_lrcore == 0, f"lrcore misplaced {misplaced_lrcore} of {total} restarts"
    print(f"torch step(epoch) misplaced {misplaced_torch} of {total} restarts; lrcore 0")


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize(("total", "pct_start"), [(300, 0.3), (257, 0.3), (101, 0.25), (333, 0.37), (200, 0.1)])
def test_one_cycle_lr(anneal, three_phase, total, pct_start):
    """Includes totals where pct_start·total_steps is not an integer (torch's phase ends are then
    fractional, computed in float64, and lrcore reproduces them)."""
    params = dict(peak_value=0.8, total_steps=total, pct_start=pct_start, div_factor=20.0, final_div_factor=300.0)
    s = lrcore.onecycle(**params, anneal=anneal, three_phase=three_phase)
    make = lambda o: sched.OneCycleLR(  # noqa: E731
        o,
        max_lr=0.8,
        total_steps=total,
        pct_start=pct_start,
        div_factor=20.0,
        final_div_factor=300.0,
        anneal_strategy=anneal,
        three_phase=three_phase,
        cycle_momentum=False,
    )
    compare(s, make, total, CLOSED)
    # Past total_steps torch raises; lrcore holds the last value.
    assert lrcore.numpy.from_schedule(s)(total + 10) == lrcore.numpy.from_schedule(s)(total - 1)


@pytest.mark.parametrize(
    ("mode", "up", "down", "gamma"),
    [("triangular", 20, None, 1.0), ("triangular", 13, 29, 1.0), ("triangular2", 15, None, 1.0),
     ("triangular2", 10, 25, 1.0), ("exp_range", 20, None, 0.995), ("exp_range", 9, 17, 0.99)],
)
def test_cyclic_lr(mode, up, down, gamma):
    n = 400
    s = lrcore.cyclic(0.01, 0.5, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma)
    make = lambda o: sched.CyclicLR(  # noqa: E731
        o, base_lr=0.01, max_lr=0.5, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma,
        cycle_momentum=False,
    )
    # torch computes x = 1 + k/(U+D) - cycle, rounded at the magnitude of k/(U+D), then divides it
    # by U/(U+D) (or 1 - that): its error grows with the cycle count and the steeper slope.
    period = up + (down or up)
    ratio = up / period
    compare(s, make, n, CLOSED * (1 + n / period) / min(ratio, 1 - ratio), lr=0.01)


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial_lr(power):
    total, n = 150, 260
    s = lrcore.polynomial_decay(0.6, end_value=0.0, decay_steps=total, power=power)
    ulps = chained(n)
    if power < 1:
        # torch's chained factor ((1 - k/T)/(1 - (k-1)/T))**power: near the end the base's
        # rounding d is amplified by **power; at k = T the factor is exactly 0 again.
        ulps += 0.6 * (4 * 2.0**-53) ** power / (2.0**-52 * 0.6)
    compare(s, lambda o: sched.PolynomialLR(o, total_iters=total, power=power), n, ulps, lr=0.6)


@pytest.mark.parametrize(("start", "end", "total"), [(0.1, 1.0, 50), (1.0, 0.05, 120), (0.25, 0.75, 7)])
def test_linear_lr(start, end, total):
    n = 200
    s = lrcore.linear(0.4 * start, 0.4 * end, transition_steps=total)
    compare(s, lambda o: sched.LinearLR(o, start_factor=start, end_factor=end, total_iters=total), n, chained(n), lr=0.4)


# -- lrcore.torch.scheduler against the torch schedulers -----------------------------------------
LR0 = 0.4
PEERS = {
    "StepLR": (
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3),
        lrcore.exponential_decay(init_value=LR0, decay_steps=7, decay_rate=0.3, staircase=True),
    ),
    "MultiStepLR": (
        lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[5, 17, 30], gamma=0.5),
        lrcore.piecewise_constant(boundaries=[5, 17, 30], values=[LR0, LR0 * 0.5, LR0 * 0.25, LR0 * 0.125]),
    ),
    "ExponentialLR": (
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.95),
        lrcore.exponential_decay(init_value=LR0, decay_steps=1, decay_rate=0.95),
    ),
    "CosineAnnealingWarmRestarts": (
        lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=6, T_mult=2, eta_min=0.01),
        lrcore.cosine_restart(peak_value=LR0, first_period=6, period_mul=2.0, end_value=0.01),
    ),
    "OneCycleLR": (
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=LR0, total_steps=50, pct_start=0.25, cycle_momentum=False),
        lrcore.onecycle(peak_value=LR0, total_steps=50, pct_start=0.25),
    ),
    "OneCycleLR-linear-3phase": (
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=LR0, total_steps=37, anneal_strategy="linear", three_phase=True, cycle_momentum=False
        ),
        lrcore.onecycle(peak_value=LR0, total_steps=37, anneal="linear", three_phase=True),
    ),
    "CyclicLR": (
        lambda o: torch.optim.lr_scheduler.CyclicLR(
            o, base_lr=0.01, max_lr=LR0, step_size_up=4, step_size_down=6, mode="triangular2", cycle_momentum=False
        ),
        lrcore.cyclic(base_value=0.01, max_value=LR0, step_size_up=4, step_size_down=6, mode="triangular2"),
    ),
    "CyclicLR-exp_range": (
        lambda o: torch.optim.lr_scheduler.CyclicLR(
            o, base_lr=0.01, max_lr=LR0, step_size_up=5, mode="exp_range", gamma=0.97, cycle_momentum=False
        ),
        lrcore.cyclic(base_value=0.01, max_value=LR0, step_size_up=5, mode="exp_range", gamma=0.97),
    ),
    "PolynomialLR": (
        lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=20, power=2.0),
        lrcore.polynomial_decay(init_value=LR0, end_value=0.0, decay_steps=20, power=2.0),
    ),
    "LinearLR": (
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=15),
        lrcore.linear(init_value=LR0 * 0.1, end_value=LR0, transition_steps=15),
    ),
}


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_lrcore_torch_scheduler_matches_torch_schedulers(peer):
    """``lrcore.torch.scheduler`` (float32 values) drives SGD as the torch scheduler does."""
    make_peer, schedule = PEERS[peer]
    updates = 50 if peer.startswith("OneCycleLR") else 60
    if peer == "OneCycleLR-linear-3phase":
        updates = 37  # torch raises past total_steps
    want = drive_torch(make_peer, updates, lr=LR0, momentum=0.9)
    got = drive_torch(lambda o: lrcore.torch.scheduler(o, schedule), updates, lr=LR0, momentum=0.9)
    assert_ulp_close(got, want, 32, context=peer)


# -- the tests' exact reference follows torch ------------------------------------------------------
# Per schedule: its torch peer, as (steps to compare, make(optimizer) -> scheduler, the group key it sets).
def _onecycle_peer(p):
    return p["total_steps"], lambda opt: torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=p["peak_value"], total_steps=p["total_steps"], pct_start=p["pct_start"],
        anneal_strategy=p["anneal"], div_factor=p["div_factor"], final_div_factor=p["final_div_factor"],
        three_phase=p["three_phase"],
    ), "lr"


def _cyclic_peer(p):
    return 160, lambda opt: torch.optim.lr_scheduler.CyclicLR(
        opt, base_lr=p["base_value"], max_lr=p["max_value"], step_size_up=p["step_size_up"],
        step_size_down=p["step_size_down"], mode=p["mode"], gamma=p["gamma"],
    ), "lr"


def _onecycle_momentum_peer(p):
    return p["total_steps"], lambda opt: torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=1.0, total_steps=p["total_steps"], pct_start=p["pct_start"], anneal_strategy=p["anneal"],
        three_phase=p["three_phase"], base_momentum=p["base_momentum"], max_momentum=p["max_momentum"],
    ), "momentum"


def _cyclic_momentum_peer(p):
    return 160, lambda opt: torch.optim.lr_scheduler.CyclicLR(
        opt, base_lr=0.1, max_lr=1.0, step_size_up=p["step_size_up"], step_size_down=p["step_size_down"],
        mode=p["mode"], gamma=p["gamma"], base_momentum=p["base_momentum"], max_momentum=p["max_momentum"],
    ), "momentum"


TORCH_PEER = {
    "onecycle": _onecycle_peer,
    "cyclic": _cyclic_peer,
    "onecycle_momentum": _onecycle_momentum_peer,
    "cyclic_momentum": _cyclic_momentum_peer,
}
# An absolute final_value is Paddle's OneCycleLR, not torch's (whose end is peak / (div · final_div)).
PEER_CASES = [c for c in examples.examples()
              if c[1].name in TORCH_PEER and c[1].params.get("final_value") is None]


@pytest.mark.parametrize("case", PEER_CASES, ids=[examples.case_id(c[0]) for c in PEER_CASES])
def test_reference_follows_torch(case):
    """The reference's onecycle and cyclic (and their momentum curves) are torch's OneCycleLR and
    CyclicLR (checks the reference)."""
    schedule = case[1]
    n, make, key = TORCH_PEER[schedule.name](schedule.params)
    want = drive_torch(make, n, momentum=0.9, key=key)
    got = reference.values_of(schedule.to_dict(), np.arange(n))
    assert_ulp_close(got, want, 64, ulps=64)


# -- lrcore.torch.scheduler against torch's schedulers on real optimizers -------------------------
# These drive real optimizers through lrcore.torch.scheduler (float32 values, the float64 value
# rounded once): 4 float32 ulp of the largest value, the precision promise (docs/numerics.md).
def _two_group_optimizer(kind: str, lrs=(0.1, 0.01)):
    import torch

    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return torch.optim.SGD(groups, momentum=0.9, weight_decay=1e-4)
    return torch.optim.Adam(groups, betas=(0.9, 0.999))


def _record(optimizer, scheduler, n: int, key: str = "lr") -> np.ndarray:
    """``key`` (``lr``, ``momentum`` or ``beta1``) of every param group before each of n updates."""
    out = []
    for _ in range(n):
        row = []
        for group in optimizer.param_groups:
            value = group["betas"][0] if key == "beta1" else group[key]
            row.append(float(value))
        out.append(row)
        for group in optimizer.param_groups:
            for p in group["params"]:
                p.grad = torch.ones_like(p)
        optimizer.step()
        scheduler.step()
    return np.asarray(out)


def test_per_group_schedules_match_per_group_lambda_lr():
    import lrcore.torch

    n = 80
    lambdas = [lambda k: 0.5 * (1 + math.cos(math.pi * min(k, 60) / 60)), lambda k: 0.97**k]
    opt = _two_group_optimizer("sgd")
    want = _record(opt, sched.LambdaLR(opt, lr_lambda=lambdas), n)
    # Absolute per-group schedules carrying each group's lr ...
    opt = _two_group_optimizer("sgd")
    absolute = [lrcore.cosine_decay(0.1, 60), lrcore.exponential_decay(0.01, 1, 0.97)]
    got = _record(opt, lrcore.torch.scheduler(opt, absolute), n)
    for g in range(2):
        assert_ulp_close(got[:, g], want[:, g], 32, 4, context=f"absolute group {g}")
    # ... and relative per-group multipliers, as LambdaLR's lambdas.
    opt = _two_group_optimizer("sgd")
    relative = [lrcore.cosine_decay(1.0, 60), lrcore.exponential_decay(1.0, 1, 0.97)]
    got = _record(opt, lrcore.torch.scheduler(opt, relative, mode="relative"), n)
    for g in range(2):
        assert_ulp_close(got[:, g], want[:, g], 32, 4, context=f"relative group {g}")


def test_one_multiplier_for_every_group_matches_lambda_lr():
    import lrcore.torch

    n = 50
    opt = _two_group_optimizer("adam")
    want = _record(opt, sched.LambdaLR(opt, lr_lambda=lambda k: min(1.0, (k + 1) / 10)), n)
    opt = _two_group_optimizer("adam")
    multiplier = lrcore.linear(0.1, 1.0, transition_steps=9)  # (k+1)/10 up to k = 9
    got = _record(opt, lrcore.torch.scheduler(opt, multiplier, mode="relative"), n)
    assert_ulp_close(got, want, 32, 4, context="LambdaLR multiplier")


ONE_CYCLE_MOMENTUM = [
    dict(total_steps=97, pct_start=0.3, anneal="cos", three_phase=False, base_momentum=0.85, max_momentum=0.95),
    dict(total_steps=64, pct_start=0.25, anneal="linear", three_phase=True, base_momentum=0.8, max_momentum=0.9),
]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("p", ONE_CYCLE_MOMENTUM, ids=["cos", "linear-three-phase"])
def test_one_cycle_momentum_matches_one_cycle_lr(kind, p):
    import lrcore.torch

    n, key = p["total_steps"], ("momentum" if kind == "sgd" else "beta1")
    make = lambda o: sched.OneCycleLR(  # noqa: E731
        o, max_lr=0.4, total_steps=n, pct_start=p["pct_start"], anneal_strategy=p["anneal"],
        three_phase=p["three_phase"], cycle_momentum=True, base_momentum=p["base_momentum"],
        max_momentum=p["max_momentum"],
    )
    opt = _two_group_optimizer(kind, lrs=(0.4, 0.4))
    torch_sched = make(opt)
    opt_m = _two_group_optimizer(kind, lrs=(0.4, 0.4))
    ours = lrcore.torch.scheduler(
        opt_m,
        lrcore.onecycle(0.4, n, p["pct_start"], anneal=p["anneal"], three_phase=p["three_phase"]),
        momentum=lrcore.onecycle_momentum(n, **{k: v for k, v in p.items() if k != "total_steps"}),
    )
    want_lr, want_m = [], []
    got_lr, got_m = [], []
    for _ in range(n):
        for o, lr_out, m_out in ((opt, want_lr, want_m), (opt_m, got_lr, got_m)):
            lr_out.append([g["lr"] for g in o.param_groups])
            m_out.append([g["momentum"] if key == "momentum" else g["betas"][0] for g in o.param_groups])
            for g in o.param_groups:
                for q in g["params"]:
                    q.grad = torch.ones_like(q)
            o.step()
        torch_sched.step()
        ours.step()
    assert_ulp_close(np.asarray(got_m), np.asarray(want_m), 32, 4, context=f"momentum {kind}")
    assert_ulp_close(np.asarray(got_lr), np.asarray(want_lr), 32, 4, context=f"lr {kind}")
    if key == "beta1":
        assert all(g["betas"][1] == 0.999 for g in opt_m.param_groups)  # beta2 untouched


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(
    ("mode", "gamma"), [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.98)]
)
def test_cyclic_momentum_matches_cyclic_lr(kind, mode, gamma):
    import lrcore.torch

    n, up, down = 90, 7, 11
    key = "momentum" if kind == "sgd" else "beta1"
    opt = _two_group_optimizer(kind, lrs=(0.01, 0.01))
    want = _record(opt, sched.CyclicLR(
        opt, base_lr=0.01, max_lr=0.3, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma,
        cycle_momentum=True, base_momentum=0.75, max_momentum=0.92,
    ), n, key)  # fmt: skip
    opt = _two_group_optimizer(kind, lrs=(0.01, 0.01))
    ours = lrcore.torch.scheduler(
        opt,
        lrcore.cyclic(0.01, 0.3, up, down, mode=mode, gamma=gamma),
        momentum=lrcore.cyclic_momentum(up, down, base_momentum=0.75, max_momentum=0.92, mode=mode, gamma=gamma),
    )
    got = _record(opt, ours, n, key)
    assert_ulp_close(got, want, 32, 4, context=f"CyclicLR momentum {kind} {mode}")


# -- ReduceLROnPlateau ------------------------------------------------------------------------------
METRICS = [
    1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.8, 0.85, 0.86, 0.87, 0.79999, 0.88, 0.89, 0.9, 0.5, 0.5, 0.5,
    0.51, 0.6, 0.7, 0.2, 0.21, 0.22, 0.23, 0.24, 0.25, 0.26, 0.27, 0.28, 0.29, 0.3, 0.31, 0.32,
]  # fmt: skip
PLATEAU_CASES = [
    dict(),
    dict(factor=0.5, patience=2),
    dict(factor=0.5, patience=1, cooldown=2, min_lr=0.01),
    dict(mode="max", factor=0.3, patience=0, threshold=0.01),
    dict(threshold_mode="abs", threshold=0.05, patience=1, factor=0.2),
    dict(mode="max", threshold_mode="abs", threshold=0.0, patience=3, cooldown=1),
]


@pytest.mark.parametrize("options", PLATEAU_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
def test_reduce_on_plateau_matches_torch_on_a_constant_schedule(options):
    import lrcore.torch

    metrics = METRICS * 3
    if options.get("mode") == "max":
        metrics = [-m for m in metrics]
    lr0 = 0.1
    opt = _two_group_optimizer("sgd", lrs=(lr0, lr0))
    torch_plateau = sched.ReduceLROnPlateau(opt, **options)
    opt_m = _two_group_optimizer("sgd", lrs=(lr0, lr0))
    ours = lrcore.torch.scheduler(opt_m, lrcore.constant(lr0))
    plateau = lrcore.torch.ReduceLROnPlateau(ours, **options)
    assert isinstance(plateau, sched.ReduceLROnPlateau)
    want, got = [], []
    for m in metrics:
        m = torch.tensor(m) if len(want) % 2 else m  # 0-d tensors too, as trainers pass them
        opt.step()
        torch_plateau.step(m)  # torch changes the lr at once ...
        want.append([g["lr"] for g in opt.param_groups])
        opt_m.step()
        ours.step()
        plateau.step(m)
        got.append([g["lr"] for g in opt_m.param_groups])  # ... and so does lrcore's
        assert plateau.num_bad_epochs == torch_plateau.num_bad_epochs
        assert plateau.cooldown_counter == torch_plateau.cooldown_counter
        assert plateau.best == torch_plateau.best
    want, got = np.asarray(want), np.asarray(got)
    assert len(set(want[:, 0].tolist())) > 1 or options == {}  # the cases do reduce
    assert_ulp_close(got, want, 32, 4, context=repr(options))


def test_reduce_on_plateau_scales_a_varying_schedule():
    import lrcore.torch

    peak, total, n = 0.2, 40, 45
    opt = _two_group_optimizer("sgd", lrs=(1.0, 1.0))
    scale_ref = sched.ReduceLROnPlateau(opt, factor=0.5, patience=1)  # the scale, from torch itself
    opt_m = _two_group_optimizer("sgd", lrs=(peak, peak))
    ours = lrcore.torch.scheduler(opt_m, lrcore.cosine_decay(peak, total, end_value=0.01))
    plateau = lrcore.torch.ReduceLROnPlateau(ours, factor=0.5, patience=1)
    metrics = [1.0 / (1 + k) if k % 9 < 4 else 1.0 for k in range(n)]
    for k in range(n):
        cosine = 0.01 + (peak - 0.01) * 0.5 * (1 + math.cos(math.pi * min(k, total) / total))
        want = cosine * opt.param_groups[0]["lr"]
        got = opt_m.param_groups[0]["lr"]
        assert abs(got - want) <= 4 * 2.0**-23 * peak, (k, got, want)
        opt.step()
        opt_m.step()
        ours.step()  # the new step's lr keeps the scale
        scale_ref.step(metrics[k])
        plateau.step(metrics[k])
        assert plateau.scale == opt.param_groups[0]["lr"]
    assert plateau.scale < 1.0


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_relative_mode_lr_is_relative_and_momentum_absolute_as_onecycle(kind):
    """mode="relative" scales each group's lr; momentum (beta1) is torch OneCycleLR's, not scaled."""
    n, key = 100, ("momentum" if kind == "sgd" else "beta1")
    opt = _two_group_optimizer(kind)  # lrs 0.1 and 0.01, momentum / beta1 0.9
    ref = sched.OneCycleLR(opt, max_lr=[0.1, 0.01], total_steps=n)
    want_lr, want_m = _record_both(opt, ref, n, key)
    opt_m = _two_group_optimizer(kind)
    ours = lrcore.torch.scheduler(
        opt_m, lrcore.onecycle(1.0, n), mode="relative", momentum=lrcore.onecycle_momentum(n)
    )
    got_lr, got_m = _record_both(opt_m, ours, n, key)
    assert want_m[0, 0] == pytest.approx(0.95) and got_m[0, 0] == pytest.approx(0.95)  # not 0.9 * 0.95
    assert_ulp_close(got_m, want_m, 32, 4, context=f"relative mode {key}")
    assert_ulp_close(got_lr, want_lr, 32, 8, context="relative mode lr")


def _record_both(opt, scheduler, n, key):
    lrs, ms = [], []
    for _ in range(n):
        lrs.append([float(g["lr"]) for g in opt.param_groups])
        ms.append([float(g["betas"][0] if key == "beta1" else g[key]) for g in opt.param_groups])
        opt.step()
        scheduler.step()
    return np.asarray(lrs), np.asarray(ms)


# Near lr ~ eps torch's eps test (`old_lr - new_lr > eps`) stops the reductions: the same lrs.
EPS_CASES = [
    dict(factor=0.1, patience=0),
    dict(factor=0.5, patience=0),
    dict(factor=0.5, patience=1, cooldown=1),
    dict(factor=0.3, patience=2, eps=1e-6),
    dict(factor=0.1, patience=0, eps=1e-4),
    dict(factor=0.1, patience=0, eps=0.0),
    dict(factor=0.9, patience=0, eps=1e-9),
    dict(factor=0.5, patience=0, min_lr=1e-9),
    dict(factor=0.2, patience=3, cooldown=2, threshold_mode="abs", threshold=0.0),
]


@pytest.mark.parametrize("lr0", [1e-3, 0.1])
@pytest.mark.parametrize("options", EPS_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_reduce_on_plateau_eps_applies_to_the_lr_as_torch(options, lr0):
    import lrcore.torch

    metrics = [1.0] * 200  # flat: every update is bad, the reductions run into eps
    lr0 = float(np.float32(lr0))  # the float32 lr lrcore's scheduler applies, given to torch too
    opt = _two_group_optimizer("sgd", lrs=(lr0, lr0))
    torch_plateau = sched.ReduceLROnPlateau(opt, **options)
    opt_m = _two_group_optimizer("sgd", lrs=(lr0, lr0))
    ours = lrcore.torch.scheduler(opt_m, lrcore.constant(lr0))
    plateau = lrcore.torch.ReduceLROnPlateau(ours, **options)
    want, got = [], []
    for m in metrics:
        opt.step()
        torch_plateau.step(m)
        want.append([g["lr"] for g in opt.param_groups])
        opt_m.step()
        ours.step()
        plateau.step(m)
        got.append([g["lr"] for g in opt_m.param_groups])
        assert plateau.num_bad_epochs == torch_plateau.num_bad_epochs
        assert plateau.cooldown_counter == torch_plateau.cooldown_counter
    want, got = np.asarray(want), np.asarray(got)
    assert want[-1, 0] < lr0
    if options.get("eps", 1e-8) > 0:  # reduced, then stopped by eps
        assert len(set(want[-10:, 0].tolist())) == 1
    # Value by value: torch multiplies the lr by the factor each time, lrcore multiplies the scale.
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, err_msg=repr(options))
