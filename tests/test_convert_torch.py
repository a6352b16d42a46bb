"""``lrcore.from_torch`` against the real torch schedulers, value by value.

Each case builds a real ``torch.optim.lr_scheduler`` scheduler on a real optimizer (one or two
param groups), converts it, and compares the lr (or momentum) of every group before each of ``n``
updates (``scheduler.step()`` after each) with the converted schedule at that step. torch computes in
float64, chaining some factors step by step: ``8 + 4·n`` float64 ulp of the largest value.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as sched
from transformers import optimization as tr

import lrcore
import lrcore.torch
from tests.helpers import assert_ulp_close
from tests.peers import drive_torch


def optimizer(lrs=(0.4,), momentum=0.9, adam=False):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(()))], "lr": lr} for lr in lrs]
    if adam:
        return torch.optim.Adam(groups, betas=(0.9, 0.999))
    return torch.optim.SGD(groups, momentum=momentum)


def record(opt, scheduler, n, key="lr"):
    """``key`` of every group before each of ``n`` updates: shape (n, groups)."""
    out = []
    for i in range(n):
        out.append([float(g["betas"][0] if key == "beta1" else g[key]) for g in opt.param_groups])
        opt.step()
        if i < n - 1:
            scheduler.step()
    return np.asarray(out)


def values(converted, n, groups):
    items = converted if isinstance(converted, list) else [converted] * groups
    assert len(items) == groups
    return np.stack([s(np.arange(n)) for s in items], axis=1)


def check(make, n, lrs=(0.4,), key="lr", adam=False, momentum=False):
    opt = optimizer(lrs, adam=adam)
    scheduler = make(opt)
    converted = lrcore.from_torch(scheduler, momentum=momentum)
    want = record(opt, scheduler, n, key)
    got = values(converted, n, len(lrs))
    assert_ulp_close(got, want, 64, 8 + 4 * n, context=repr(converted))
    return converted, want


def chained_first(o, children, later, milestones):
    """``SequentialLR(o, [ChainedScheduler(children), *later], milestones)``: its construction steps the
    chain's children again, which torch reports as a scheduler stepped before the optimizer."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)` before `optimizer\.step\(\)`")
        return sched.SequentialLR(o, [sched.ChainedScheduler(children), *later], milestones=milestones)


def nested_first(o):
    """``SequentialLR(o, [SequentialLR(o, [LinearLR, ConstantLR], [5]), ExponentialLR], [12])``; the outer
    one's construction steps the inner one's LinearLR again (torch warns: stepped before the optimizer)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)` before `optimizer\.step\(\)`")
        inner = sched.SequentialLR(o, [sched.LinearLR(o, 0.1, 1.0, 5), sched.ConstantLR(o, 0.5, 5)], milestones=[5])
        return sched.SequentialLR(o, [inner, sched.ExponentialLR(o, 0.9)], milestones=[12])


CASES = {
    "StepLR": (lambda o: sched.StepLR(o, step_size=7, gamma=0.3), 60),
    "StepLR-growth": (lambda o: sched.StepLR(o, step_size=10, gamma=1.5), 60),
    "MultiStepLR": (lambda o: sched.MultiStepLR(o, milestones=[5, 17, 30], gamma=0.5), 60),
    "MultiStepLR-repeated-and-zero": (lambda o: sched.MultiStepLR(o, milestones=[0, 9, 9, 20], gamma=0.5), 40),
    "ExponentialLR": (lambda o: sched.ExponentialLR(o, gamma=0.95), 80),
    "CosineAnnealingLR": (lambda o: sched.CosineAnnealingLR(o, T_max=50, eta_min=0.01), 51),
    "CosineAnnealingLR-past-T_max": (lambda o: sched.CosineAnnealingLR(o, T_max=20, eta_min=0.01), 90),
    "CosineAnnealingWarmRestarts": (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=6, T_mult=2, eta_min=0.01), 200),
    "CosineAnnealingWarmRestarts-1": (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=9), 100),
    "LinearLR": (lambda o: sched.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=15), 40),
    "LinearLR-down": (lambda o: sched.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=30), 40),
    "ConstantLR": (lambda o: sched.ConstantLR(o, factor=0.25, total_iters=8), 30),
    "PolynomialLR": (lambda o: sched.PolynomialLR(o, total_iters=20, power=2.0), 40),
    "OneCycleLR": (lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=100), 100),
    "OneCycleLR-odd": (lambda o: sched.OneCycleLR(o, max_lr=0.8, total_steps=257, pct_start=0.37, div_factor=20.0,
                                                   final_div_factor=300.0, anneal_strategy="linear"), 257),
    "OneCycleLR-three-phase": (lambda o: sched.OneCycleLR(o, max_lr=0.8, total_steps=333, pct_start=0.37,
                                                          three_phase=True), 333),
    "OneCycleLR-final_div_factor": (lambda o: sched.OneCycleLR(o, max_lr=0.3, total_steps=90, div_factor=7.0,
                                                               final_div_factor=3.0, anneal_strategy="linear"), 90),
    "OneCycleLR-epochs": (lambda o: sched.OneCycleLR(o, max_lr=0.5, epochs=3, steps_per_epoch=17, pct_start=0.1), 51),
    "CyclicLR": (lambda o: sched.CyclicLR(o, base_lr=0.01, max_lr=0.4, step_size_up=4, step_size_down=6,
                                          mode="triangular2"), 90),
    "CyclicLR-exp_range": (lambda o: sched.CyclicLR(o, base_lr=0.01, max_lr=0.4, step_size_up=9, step_size_down=17,
                                                    mode="exp_range", gamma=0.99), 200),
    "CyclicLR-triangular": (lambda o: sched.CyclicLR(o, base_lr=0.05, max_lr=0.5, step_size_up=20), 150),
    "SequentialLR": (lambda o: sched.SequentialLR(o, [sched.LinearLR(o, 0.1, 1.0, total_iters=5),
                                                      sched.CosineAnnealingLR(o, T_max=40, eta_min=0.001)],
                                                  milestones=[5]), 45),
    "SequentialLR-three": (lambda o: sched.SequentialLR(o, [sched.ConstantLR(o, factor=0.5, total_iters=3),
                                                            sched.ExponentialLR(o, gamma=0.9),
                                                            sched.StepLR(o, step_size=4, gamma=0.5)],
                                                        milestones=[6, 20]), 50),
    "ChainedScheduler": (lambda o: sched.ChainedScheduler([sched.ExponentialLR(o, gamma=0.97),
                                                           sched.StepLR(o, step_size=10, gamma=0.5)]), 60),
    "ChainedScheduler-warmup-cosine": (lambda o: sched.ChainedScheduler([sched.LinearLR(o, 0.2, 1.0, total_iters=8),
                                                                         sched.CosineAnnealingLR(o, T_max=50)]), 51),
    # Past T_max torch's cosine climbs back (every step, each 2·T_max).
    "CosineAnnealingLR-past-T_max": (lambda o: sched.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 45),
    "SequentialLR-cosine-past-T_max": (lambda o: sched.SequentialLR(o, [sched.LinearLR(o, 0.1, 1.0, total_iters=5),
                                                                        sched.CosineAnnealingLR(o, T_max=10)],
                                                                    milestones=[5]), 40),
    # total_iters=0: torch applies the factor at construction and never takes it back (its step
    # checks for the end at last_epoch == total_iters, passed already); a SequentialLR's later
    # scheduler restarts from its closed form, which is the base lr.
    "SequentialLR-ConstantLR-total_iters-0-first": (
        lambda o: sched.SequentialLR(o, [sched.ConstantLR(o, factor=0.5, total_iters=0), sched.ExponentialLR(o, 0.9)],
                                     milestones=[3]), 12),
    "SequentialLR-ConstantLR-total_iters-0-later": (
        lambda o: sched.SequentialLR(o, [sched.ExponentialLR(o, 0.9), sched.ConstantLR(o, factor=0.5, total_iters=0)],
                                     milestones=[3]), 12),
    "ChainedScheduler-ConstantLR-total_iters-0": (
        lambda o: sched.ChainedScheduler([sched.ConstantLR(o, factor=0.5, total_iters=0), sched.ExponentialLR(o, 0.9)]),
        12),
    # A chained cosine (eta_min=0) multiplies, but at its rebound steps T_max + 1, 3·T_max + 1, ... it
    # adds base·c(n) to the lr (0 there): the other factors restart from there, until they end.
    "ChainedScheduler-warmup-cosine-past-T_max": (
        lambda o: sched.ChainedScheduler([sched.LinearLR(o, 0.25, 1.0, total_iters=6), sched.CosineAnnealingLR(o, T_max=4)]),
        40),
    "ChainedScheduler-cosine-multistep": (
        lambda o: sched.ChainedScheduler([sched.MultiStepLR(o, milestones=[2, 9, 9, 17], gamma=0.5),
                                          sched.CosineAnnealingLR(o, T_max=4)]), 60),
    "ChainedScheduler-cosine-first-polynomial-constant": (
        lambda o: sched.ChainedScheduler([sched.CosineAnnealingLR(o, T_max=5),
                                          sched.PolynomialLR(o, total_iters=20, power=0.5),
                                          sched.ConstantLR(o, factor=0.5, total_iters=11)]), 70),
    "ChainedScheduler-cosine-linear-to-zero": (
        lambda o: sched.ChainedScheduler([sched.CosineAnnealingLR(o, T_max=3),
                                          sched.LinearLR(o, 1.0, 0.0, total_iters=13)]), 40),
    "ChainedScheduler-cosine-T_max-1": (
        lambda o: sched.ChainedScheduler([sched.CosineAnnealingLR(o, T_max=1), sched.LinearLR(o, 0.5, 0.75, total_iters=9)]),
        20),
    # A SequentialLR's first ChainedScheduler: SequentialLR's initial step steps each child again at
    # step 0 (torch's ExponentialLR then applies gamma once more, its cosine the step-0 ratio).
    "SequentialLR-ChainedScheduler-first": (
        lambda o: chained_first(o, [sched.LinearLR(o, 0.5, 1.0, total_iters=3), sched.ExponentialLR(o, 0.9)],
                                [sched.ExponentialLR(o, 0.5)], [5]), 12),
    "SequentialLR-ChainedScheduler-cosine-first": (
        lambda o: chained_first(o, [sched.CosineAnnealingLR(o, T_max=3), sched.PolynomialLR(o, total_iters=8, power=2.0)],
                                [sched.ExponentialLR(o, 0.5)], [20]), 30),
    "SequentialLR-ChainedScheduler-cosine-T_max-1-first": (
        lambda o: chained_first(o, [sched.ConstantLR(o, factor=0.5, total_iters=4), sched.CosineAnnealingLR(o, T_max=1),
                                    sched.ExponentialLR(o, 1.0)], [sched.StepLR(o, step_size=2, gamma=0.5)], [9]), 16),
    # transformers' schedules are LambdaLR multipliers: recognized by their lambda functions.
    "hf-linear": (lambda o: tr.get_linear_schedule_with_warmup(o, num_warmup_steps=10, num_training_steps=60), 70),
    "hf-cosine": (lambda o: tr.get_cosine_schedule_with_warmup(o, num_warmup_steps=10, num_training_steps=60), 61),
    "hf-constant": (lambda o: tr.get_constant_schedule(o), 10),
    "hf-constant-warmup": (lambda o: tr.get_constant_schedule_with_warmup(o, num_warmup_steps=7), 20),
    "hf-polynomial": (lambda o: tr.get_polynomial_decay_schedule_with_warmup(o, 5, 40, lr_end=1e-4, power=2.0), 50),
    "hf-inverse-sqrt": (lambda o: tr.get_inverse_sqrt_schedule(o, num_warmup_steps=12), 80),
    "hf-wsd": (lambda o: tr.get_wsd_schedule(o, num_warmup_steps=5, num_decay_steps=10, num_stable_steps=20,
                                             min_lr_ratio=0.1), 50),
    "hf-cosine-min-lr": (lambda o: tr.get_cosine_with_min_lr_schedule_with_warmup(o, 5, 50, min_lr_rate=0.1), 51),
    # a fall of 100/3 steps: the periodic cosine with a speed
    "hf-cosine-cycles": (lambda o: tr.get_cosine_schedule_with_warmup(o, 0, 100, num_cycles=1.5), 100),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("lrs", [(0.4,), (0.4, 0.04)], ids=["one-group", "two-groups"])
def test_matches_torch(name, lrs):
    make, n = CASES[name]
    if name.startswith(("OneCycleLR", "CyclicLR")) and len(lrs) == 2:
        return  # their levels are absolute: the two-group cases below give each group its own
    converted, want = check(make, n, lrs)
    assert len(set(want[:, 0].tolist())) > 1 or name == "hf-constant"
    if len(lrs) == 2:
        assert isinstance(converted, list) and converted[0] != converted[1]
    else:
        assert isinstance(converted, lrcore.Schedule)


@pytest.mark.parametrize("make", [lambda o: sched.ConstantLR(o, factor=0.5, total_iters=0),
                                  lambda o: sched.LinearLR(o, start_factor=0.5, end_factor=0.25, total_iters=0)],
                         ids=["ConstantLR", "LinearLR"])
def test_total_iters_zero_keeps_the_first_factor(make):
    """torch applies the first factor at construction and never takes it back: 0.5 · lr throughout."""
    converted, want = check(make, 10)
    assert want[:, 0].tolist() == [0.2] * 10 and float(converted(10**6)) == 0.2


def test_one_schedule_when_every_group_follows_the_same_curve():
    converted, _ = check(lambda o: sched.StepLR(o, step_size=5, gamma=0.5), 30, lrs=(0.1, 0.1))
    assert isinstance(converted, lrcore.Schedule)


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
def test_absolute_levels_per_group(name):
    if name == "OneCycleLR":
        make = lambda o: sched.OneCycleLR(o, max_lr=[1.0, 0.1], total_steps=80, pct_start=0.25)  # noqa: E731
    else:
        make = lambda o: sched.CyclicLR(o, base_lr=[0.01, 0.001], max_lr=[0.5, 0.05], step_size_up=7)  # noqa: E731
    converted, _ = check(make, 80, lrs=(0.4, 0.04))
    assert isinstance(converted, list) and len(converted) == 2


@pytest.mark.parametrize("adam", [False, True], ids=["sgd-momentum", "adam-beta1"])
@pytest.mark.parametrize("name", ["OneCycleLR", "OneCycleLR-three-phase", "CyclicLR", "CyclicLR-exp_range"])
def test_momentum(name, adam):
    make, n = CASES[name]
    check(make, n, key="beta1" if adam else "momentum", adam=adam, momentum=True)


def test_converted_schedule_drives_an_optimizer_as_torch_does():
    """The converted schedules in ``lrcore.torch.scheduler`` (float32 values): lr and momentum."""
    n = 120
    opt = optimizer((0.4, 0.04))
    peer = sched.OneCycleLR(opt, max_lr=[1.0, 0.1], total_steps=n)
    lr, momentum = lrcore.from_torch(peer), lrcore.from_torch(peer, momentum=True)
    want_lr, want_m = record(opt, peer, n), None
    opt = optimizer((0.4, 0.04))
    peer = sched.OneCycleLR(opt, max_lr=[1.0, 0.1], total_steps=n)
    want_m = record(opt, peer, n, "momentum")
    opt = optimizer((0.4, 0.04))
    ours = lrcore.torch.scheduler(opt, lr, momentum=momentum)
    assert_ulp_close(record(opt, ours, n), want_lr, 32, 4)
    opt = optimizer((0.4, 0.04))
    ours = lrcore.torch.scheduler(opt, lr, momentum=momentum)
    assert_ulp_close(record(opt, ours, n, "momentum"), want_m, 32, 4)


def test_a_stepped_scheduler_converts_from_its_start():
    opt = optimizer()
    scheduler = sched.StepLR(opt, step_size=3, gamma=0.5)
    for _ in range(7):
        opt.step()
        scheduler.step()
    assert lrcore.from_torch(scheduler) == lrcore.exponential_decay(0.4, 3, 0.5, staircase=True)


@pytest.mark.parametrize("make", [lambda o, e: sched.StepLR(o, step_size=3, gamma=0.5, last_epoch=e),
                                  lambda o, e: sched.CosineAnnealingLR(o, T_max=30, eta_min=0.01, last_epoch=e)],
                         ids=["StepLR", "CosineAnnealingLR"])
def test_a_stepped_or_resumed_scheduler_converts_to_the_whole_curve(make):
    """A torch scheduler stepped ``n`` times, or built with ``last_epoch`` (a resumed run), converts to
    the curve from step 0; ``lrcore.torch.scheduler(..., last_epoch=scheduler.last_epoch - 1)`` then
    applies the stepped scheduler's lr at every later update."""
    opt = optimizer()
    stepped = make(opt, -1)
    for _ in range(8):
        opt.step()
        stepped.step()
    resumed_opt = optimizer()
    resumed_opt.param_groups[0]["initial_lr"] = 0.4  # what optimizer.load_state_dict restores
    resumed = make(resumed_opt, 8)
    s = lrcore.from_torch(stepped)
    assert s == lrcore.from_torch(resumed) == lrcore.from_torch(make(optimizer(), -1))
    ours_opt = optimizer()
    ours_opt.param_groups[0]["initial_lr"] = 0.4
    ours = lrcore.torch.scheduler(ours_opt, s, last_epoch=stepped.last_epoch - 1)
    want = record(opt, stepped, 20)
    assert_ulp_close(record(ours_opt, ours, 20), want, 32, 4)
    assert len(set(want.ravel().tolist())) > 2


def test_hard_restarts_lambda_is_recognized():
    make = lambda o: tr.get_cosine_with_hard_restarts_schedule_with_warmup(o, 10, 70, num_cycles=3)  # noqa: E731
    check(make, 80)


def test_a_cosine_lambda_with_more_cycles_is_the_periodic_cosine():
    make = lambda o: tr.get_cosine_schedule_with_warmup(o, 10, 110, num_cycles=1.0)  # noqa: E731
    converted, _ = check(make, 160)
    assert converted == lrcore.warmup(lrcore.cosine_decay(0.4, 50, periodic=True), 10)


# -- what cannot be expressed -------------------------------------------------------------------------
REFUSED = {
    "LambdaLR": (lambda o: sched.LambdaLR(o, lr_lambda=lambda k: 0.9**k), "LambdaLR.*arbitrary Python function.*mode='relative'"),
    "MultiplicativeLR": (lambda o: sched.MultiplicativeLR(o, lr_lambda=lambda k: 0.9), "MultiplicativeLR.*arbitrary"),
    "CyclicLR-scale_fn": (lambda o: sched.CyclicLR(o, 0.01, 0.1, scale_fn=lambda x: 1.0), "custom scale_fn"),
    "CyclicLR-fractional": (lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=2.5), "CyclicLR with step_size_up=2.5"),
    "ReduceLROnPlateau": (lambda o: sched.ReduceLROnPlateau(o), "ReduceLROnPlateau.*lrcore.torch.ReduceLROnPlateau"),
    "Chained-OneCycle": (lambda o: sched.ChainedScheduler([sched.ExponentialLR(o, 0.9),
                                                           sched.CyclicLR(o, 0.01, 0.1)]), "ChainedScheduler holding CyclicLR"),
    "Chained-cosine-eta_min": (lambda o: sched.ChainedScheduler([sched.CosineAnnealingLR(o, 10, eta_min=0.1)]),
                               "eta_min != 0"),
    "Chained-warmup-cosine-eta_min": (lambda o: sched.ChainedScheduler([sched.LinearLR(o, 0.5, 1.0, total_iters=3),
                                                                        sched.CosineAnnealingLR(o, 4, eta_min=0.01)]),
                                      "eta_min != 0.*no factor of the lr"),
    "Chained-cosine-ExponentialLR": (lambda o: sched.ChainedScheduler([sched.CosineAnnealingLR(o, T_max=4),
                                                                       sched.ExponentialLR(o, gamma=0.5)]),
                                     "CosineAnnealingLR and ExponentialLR with gamma=0.5.*T_max \\+ 1 = 5.*restarts"),
    "Chained-StepLR-cosine": (lambda o: sched.ChainedScheduler([sched.StepLR(o, 3, 0.5), sched.CosineAnnealingLR(o, 10)]),
                              "CosineAnnealingLR and StepLR with gamma=0.5"),
    "Chained-two-cosines": (lambda o: sched.ChainedScheduler([sched.CosineAnnealingLR(o, 4), sched.CosineAnnealingLR(o, 6)]),
                            "2 CosineAnnealingLR"),
    "SequentialLR-ChainedScheduler-later": (
        lambda o: sched.SequentialLR(o, [sched.ExponentialLR(o, 0.5),
                                         sched.ChainedScheduler([sched.LinearLR(o, 0.5, 1.0, total_iters=3),
                                                                 sched.ExponentialLR(o, 0.9)])], milestones=[3]),
        "SequentialLR with a ChainedScheduler after milestone 3.*torch raises"),
    # torch's outer SequentialLR steps a nested one's current scheduler once more at construction (it
    # rewinds only the nested SequentialLR's own count), so its milestones act a step early.
    "SequentialLR-nested-first": (lambda o: nested_first(o), "SequentialLR holding a SequentialLR.*one step early.*lrcore.join"),
    "SequentialLR-nested-later": (
        lambda o: sched.SequentialLR(o, [sched.ExponentialLR(o, 0.9),
                                         sched.SequentialLR(o, [sched.LinearLR(o, 0.1, 1.0, 5), sched.ExponentialLR(o, 0.9)],
                                                            milestones=[5])], milestones=[4]),
        "SequentialLR holding a SequentialLR"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refuses_what_it_cannot_express(name):
    make, match = REFUSED[name]
    with pytest.raises(ValueError, match=match):
        lrcore.from_torch(make(optimizer()))


def test_a_nested_sequential_lr_switches_one_step_early():
    """Why a SequentialLR holding one is refused: torch's inner milestone (5) acts at step 4 and its
    ConstantLR's 5 steps end at step 8, where the inner SequentialLR alone switches at 5 and ends at 9."""
    opt = optimizer(lrs=(0.1,))
    want = [0.1 * (0.1 + 0.9 * n / 5) for n in range(4)] + [0.05] * 5 + [0.1] * 3
    assert_ulp_close(record(opt, nested_first(opt), len(want))[:, 0], want, 64, 8)
    alone = optimizer(lrs=(0.1,))
    inner = sched.SequentialLR(alone, [sched.LinearLR(alone, 0.1, 1.0, 5), sched.ConstantLR(alone, 0.5, 5)], milestones=[5])
    assert_ulp_close(record(alone, inner, len(want))[:, 0], [0.1 * (0.1 + 0.9 * n / 5) for n in range(5)] + [0.05] * 5 + [0.1] * 2, 64, 8)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_a_chained_cosine_with_another_factor_departs_from_the_product(eta_min):
    """Why the chains refused above are refused: torch's chained cosine is the product of the factors
    up to T_max (eta_min=0), then adds at its rebound step T_max + 1 and restarts the other factor; with
    eta_min != 0 the affine step mixes eta_min with the factor from step 2 on."""
    t_max, n = 4, 30
    opt = optimizer()
    peer = sched.ChainedScheduler([sched.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min),
                                   sched.ExponentialLR(opt, gamma=0.5)])
    with pytest.raises(ValueError, match="ExponentialLR" if eta_min == 0 else "eta_min != 0"):
        lrcore.from_torch(peer)
    want = record(opt, peer, n)[:, 0]
    product = lrcore.multiply([lrcore.cosine_decay(0.4, t_max, end_value=eta_min, periodic=True),
                               lrcore.exponential_decay(1.0, 1, 0.5)])(np.arange(n))
    same = np.isclose(product, want, rtol=1e-12, atol=0.0)
    first = t_max + 1 if eta_min == 0 else 2
    assert same[:first].all() and not same[first]
    assert (~same[first:]).sum() > n // 2  # off on most later steps, over several periods


def test_a_sequential_lr_cannot_switch_to_a_chained_scheduler():
    """torch itself raises at the milestone of a later ChainedScheduler (there is no curve to convert)."""
    opt = optimizer()
    peer = REFUSED["SequentialLR-ChainedScheduler-later"][0](opt)
    with pytest.raises((NotImplementedError, TypeError)):
        record(opt, peer, 5)


def test_refuses_momentum_of_a_scheduler_that_keeps_it():
    with pytest.raises(ValueError, match="momentum=True"):
        lrcore.from_torch(sched.StepLR(optimizer(), 3), momentum=True)
    opt = optimizer()
    with pytest.raises(ValueError, match="cycle_momentum=True"):
        lrcore.from_torch(sched.OneCycleLR(opt, 1.0, total_steps=10, cycle_momentum=False), momentum=True)
    # A sequence whose later scheduler cycles the momentum: refused, without saying nothing cycles it.
    opt = optimizer()
    sequence = sched.SequentialLR(opt, [sched.ExponentialLR(opt, 0.9), sched.CyclicLR(opt, 0.01, 0.1)], milestones=[3])
    with pytest.raises(ValueError, match="a scheduler of several converts the lr only") as info:
        lrcore.from_torch(sequence, momentum=True)
    assert "leaves the momentum alone" not in str(info.value)


def test_momentum_is_a_flag():
    with pytest.raises(TypeError, match="`momentum` must be True or False. Received: momentum=0.9"):
        lrcore.from_torch(sched.StepLR(optimizer(), 3), momentum=0.9)


def test_refuses_what_is_not_a_scheduler():
    with pytest.raises(TypeError, match="Argument `scheduler` must be a torch learning-rate scheduler"):
        lrcore.from_torch(lrcore.constant(1.0))


def test_refusal_is_a_value_error_naming_the_scheduler():
    with pytest.raises(ValueError) as info:
        lrcore.from_torch(sched.LambdaLR(optimizer(), lr_lambda=lambda k: 1.0))
    assert str(info.value).startswith("torch: LambdaLR(lr_lambda=")


@pytest.mark.parametrize("later", ["StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"])
def test_a_scheduler_built_after_another_changed_the_lr_is_refused(later):
    """torch's chainable schedulers go on from the lr they find: a StepLR built after a ConstantLR
    that set 0.025 runs 0.025·0.5**(n//3), where the conversion, reading initial_lr (0.1), gave four
    times that. Refused, naming the group and both lrs, instead of converted to other values."""
    opt = optimizer(lrs=(0.1,))
    sched.ConstantLR(opt, factor=0.25, total_iters=100)
    make = {"StepLR": lambda o: sched.StepLR(o, 3, 0.5), "ExponentialLR": lambda o: sched.ExponentialLR(o, 0.9),
            "CosineAnnealingLR": lambda o: sched.CosineAnnealingLR(o, 10), "LinearLR": lambda o: sched.LinearLR(o, 0.5, 1.0, 4)}
    peer = make[later](opt)
    record(opt, peer, 4)  # what torch runs: from 0.025, not 0.1
    assert opt.param_groups[0]["lr"] < 0.05
    with pytest.raises(ValueError, match=rf"{later} whose lr at its step 0 is not its schedule.s \(param group 0: lr"):
        lrcore.from_torch(make[later](optimizer_after_constant()))


def optimizer_after_constant():
    opt = optimizer(lrs=(0.1,))
    sched.ConstantLR(opt, factor=0.25, total_iters=100)
    return opt


def test_a_chain_built_after_a_change_and_a_nudged_lr_are_refused_too():
    """A ChainedScheduler has no last_epoch of its own (each of its schedulers has): it was never
    checked. And a Python-float lr nudged by 9e-7 passed a float32 tolerance, though torch then runs
    at that lr and the conversion is compared to float64's promise."""
    opt = optimizer_after_constant()
    with pytest.raises(ValueError, match="ChainedScheduler whose lr at its step 0 is not its schedule's"):
        lrcore.from_torch(sched.ChainedScheduler([sched.ExponentialLR(opt, 0.9)]))
    opt = optimizer(lrs=(0.1,))
    sched.ConstantLR(opt, 1.0, 0)  # records initial_lr = 0.1, changes nothing
    opt.param_groups[0]["lr"] *= 1 + 9e-7
    with pytest.raises(ValueError, match="StepLR whose lr at its step 0"):
        lrcore.from_torch(sched.StepLR(opt, 3, 0.5))
    # A fresh chain converts.
    fresh = optimizer(lrs=(0.1,))
    assert lrcore.from_torch(sched.ChainedScheduler([sched.ExponentialLR(fresh, 0.9)])) is not None


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=str)
def test_the_start_check_allows_one_rounding_per_scheduler_in_the_lrs_own_dtype(dtype):
    """torch rounds a tensor lr to its dtype once per scheduler that sets it: a chain of four
    ConstantLRs on a float32 lr, or one LinearLR on a bfloat16 lr, was refused though torch builds
    it normally and the conversion is its curve."""
    import random

    random.seed(0)
    for length in (1, 4, 48, 200):
        opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(()))], lr=torch.tensor(0.1, dtype=dtype))
        chain = sched.ChainedScheduler([sched.ConstantLR(opt, random.uniform(0.8, 1.0), 10) for _ in range(length)])
        assert lrcore.from_torch(chain) is not None
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(()))], lr=torch.tensor(0.1, dtype=dtype))
    assert lrcore.from_torch(sched.LinearLR(opt, 1 / 3, 1.0, 10)) is not None


@pytest.mark.parametrize("t, cycles, rate", [(2, 0.99, 0.0), (3, 1.49, 0.0), (5, 1.49, -0.5)])
def test_a_step_0_formed_by_cancellation_in_the_peer_is_not_taken_for_a_changed_lr(t, cycles, rate):
    """transformers' cosine_warmup_with_min_lr without warmup starts one step into its cosine: near
    cos(π) its ½(1 + cos x) keeps few digits of the small value (0.0002467198171342 where the exact
    value is 0.000246719817134221937...). The start check allowed roundings of that small value, not
    of the curve's scale, and refused the unmodified scheduler as 'something changed the lr'."""
    import transformers

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    peer = transformers.get_scheduler("cosine_warmup_with_min_lr", optimizer, num_warmup_steps=0, num_training_steps=t,
                                      scheduler_specific_kwargs=dict(num_cycles=cycles, min_lr_rate=rate))
    s = lrcore.from_torch(peer)
    hf = lrcore.from_hf("cosine_warmup_with_min_lr", lr=1.0, num_warmup_steps=0, num_training_steps=t,
                        num_cycles=cycles, min_lr_rate=rate)
    assert s == hf


@pytest.mark.parametrize("start_factor, gamma", [(1e-16, 2.0), (1e-10, 1 + 1e-5), (1e-9, 1 + 1e-7)])
def test_a_changed_lr_under_a_tiny_start_factor_is_still_refused(start_factor, gamma):
    """Counting the start check in units of initial_lr for every scheduler let a changed lr through
    where step 0 is far below initial_lr: LinearLR(start_factor=1e-16) after an ExponentialLR had
    doubled the lr converted to a curve ending at 0.1 where torch's ends at 0.2."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    first = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=gamma)
    opt.step()
    first.step()
    later = torch.optim.lr_scheduler.LinearLR(opt, start_factor=start_factor, total_iters=10)
    with pytest.raises(ValueError, match="LinearLR whose lr at its step 0 is not its schedule's"):
        lrcore.from_torch(later)


@pytest.mark.parametrize(
    "make",
    [lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=3e-4, total_steps=100),
     lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=100, div_factor=1e6),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 10, 1, eta_min=0.01)],
    ids=["onecycle-default", "onecycle-div-1e6", "warm-restarts-eta-min-above"],
)
def test_an_unmodified_scheduler_whose_step_0_is_formed_from_its_levels_converts(make):
    """OneCycleLR and CosineAnnealingWarmRestarts form step 0 as end + (start - end)·1, off by a
    rounding of max_lr or eta_min: hundreds of roundings of a small step 0. The start check counted
    roundings of step 0 and refused them, unmodified, as 'something changed the lr'."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    s = lrcore.from_torch(make(optimizer))
    want = drive_torch(make, 40, lr=1e-3)
    assert_ulp_close(s(np.arange(40)), want, 64, 16, context=repr(s))
