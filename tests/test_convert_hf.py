"""``lrcore.from_hf`` against transformers' real ``get_scheduler`` driving a torch optimizer.

transformers' schedules are ``LambdaLR`` multipliers computed in float64 (a division, a cos or
sqrt, a multiply-add) times the lr: ``ULPS`` float64 ulp of the largest value.
"""

from __future__ import annotations

import numpy as np
import pytest
from transformers import SchedulerType, get_scheduler

import lrcore
from tests.helpers import assert_ulp_close
from tests.peers import drive_torch

ULPS = 16
LR = 0.3

# name: (num_warmup_steps, num_training_steps, scheduler_specific_kwargs, steps compared)
CASES = {
    "constant": (None, None, {}, 20),
    "constant_with_warmup": (12, None, {}, 40),
    "constant_with_warmup-0": (0, None, {}, 10),
    "linear": (30, 250, {}, 290),
    "linear-no-warmup": (0, 100, {}, 120),
    "linear-warmup-only": (20, 20, {}, 40),
    "cosine": (25, 300, {}, 301),
    "cosine-no-warmup": (0, 200, {"num_cycles": 0.5}, 201),
    "cosine_with_restarts": (20, 320, {"num_cycles": 4}, 360),
    "cosine_with_restarts-1": (10, 110, {}, 130),
    "polynomial": (30, 250, {"lr_end": 1e-3, "power": 2.0}, 290),
    "polynomial-defaults": (10, 100, {}, 120),
    "inverse_sqrt": (50, None, {}, 400),
    "inverse_sqrt-timescale": (40, None, {"timescale": 200}, 400),
    "inverse_sqrt-no-warmup": (0, None, {"timescale": 7}, 100),
    "cosine_with_min_lr-rate": (20, 200, {"min_lr_rate": 0.1}, 201),
    "cosine_with_min_lr-min_lr": (0, 150, {"min_lr": 0.003}, 151),
    "cosine_warmup_with_min_lr": (10, 200, {"min_lr_rate": 0.05}, 200),
    "cosine_warmup_with_min_lr-warmup_lr_rate": (8, 120, {"min_lr": 0.01, "warmup_lr_rate": 0.1}, 120),
    "cosine_warmup_with_min_lr-1": (1, 60, {"min_lr_rate": 0.0}, 60),
    "cosine_warmup_with_min_lr-0": (0, 100, {"min_lr_rate": 0.1}, 100),
    "cosine_warmup_with_min_lr-cycles": (6, 66, {"min_lr_rate": 0.1, "num_cycles": 1.5}, 90),
    "cosine-cycles": (10, 110, {"num_cycles": 2.0}, 150),
    "cosine-cycles-1": (0, 60, {"num_cycles": 1.0}, 100),
    "cosine_with_min_lr-cycles": (5, 85, {"min_lr_rate": 0.2, "num_cycles": 2.5}, 120),
    "cosine_warmup_with_min_lr-past-the-end": (5, 40, {"min_lr_rate": 0.1}, 90),
    "cosine_warmup_with_min_lr-0-past-the-end": (0, 30, {"min_lr_rate": 0.2}, 80),
    "cosine_warmup_with_min_lr-0-min_lr": (0, 50, {"min_lr": 0.002, "warmup_lr_rate": 0.3}, 50),
    "cosine_warmup_with_min_lr-1-warmup_lr_rate": (1, 80, {"min_lr_rate": 0.05, "warmup_lr_rate": 0.2}, 80),
    "cosine_warmup_with_min_lr-1-warmup_lr_rate-1": (1, 40, {"min_lr_rate": 0.05, "warmup_lr_rate": 1.0}, 40),
    "cosine_warmup_with_min_lr-2-warmup_lr_rate": (2, 40, {"min_lr_rate": 0.0, "warmup_lr_rate": 0.5}, 40),
    "warmup_stable_decay": (40, None, {"num_stable_steps": 100, "num_decay_steps": 80}, 260),
    "warmup_stable_decay-total": (10, 200, {"num_decay_steps": 50, "decay_type": "1-sqrt", "warmup_type": "cosine",
                                            "min_lr_ratio": 0.1}, 230),
    "warmup_stable_decay-linear": (0, None, {"num_stable_steps": 30, "num_decay_steps": 20, "decay_type": "linear"}, 70),
    # num_cycles whose fall is not a whole number of steps: the periodic cosine with a speed
    "cosine-cycles-thirds": (10, 110, {"num_cycles": 1.5}, 200),
    "cosine-cycles-decimal": (10, 110, {"num_cycles": 0.3}, 400),
    "cosine-cycles-three-quarters": (0, 101, {"num_cycles": 0.75}, 250),
    "cosine_with_min_lr-cycles-decimal": (3, 1003, {"num_cycles": 1.7, "min_lr": 0.001}, 1100),
    "cosine_warmup_with_min_lr-cycles-quarters": (10, 107, {"num_cycles": 1.25, "min_lr_rate": 0.1}, 200),
    "cosine_warmup_with_min_lr-0-cycles-thirds": (0, 101, {"num_cycles": 3.0, "min_lr_rate": 0.1}, 200),
    "cosine_warmup_with_min_lr-1-cycles-decimal": (1, 90, {"num_cycles": 0.7, "warmup_lr_rate": 0.2, "min_lr_rate": 0.0}, 150),
    # cycles of a fractional length, each restarting at its first whole step
    "cosine_with_restarts-fractional": (10, 110, {"num_cycles": 3}, 130),
    "cosine_with_restarts-fractional-7": (0, 100, {"num_cycles": 7}, 120),
    "cosine_with_restarts-fractional-warmup": (7, 200, {"num_cycles": 4}, 220),
    # warmup_stable_decay's cosine with num_cycles, then min_lr_ratio
    "warmup_stable_decay-cycles": (10, None, {"num_stable_steps": 20, "num_decay_steps": 33, "num_cycles": 1.5,
                                              "min_lr_ratio": 0.1}, 100),
    "warmup_stable_decay-cycles-no-warmup": (0, None, {"num_stable_steps": 0, "num_decay_steps": 33, "num_cycles": 0.75}, 60),
    "warmup_stable_decay-cycles-total": (5, 200, {"num_decay_steps": 77, "num_cycles": 0.9, "warmup_type": "1-sqrt"}, 230),
    "warmup_stable_decay-cycles-whole": (4, None, {"num_stable_steps": 6, "num_decay_steps": 40, "num_cycles": 2.0}, 70),
    # power 0: lr up to num_training_steps itself (0**0 = 1), then lr_end (the decay held lr for good)
    "polynomial-power-0": (5, 50, {"lr_end": 0.01, "power": 0.0}, 60),
    "polynomial-power-0-no-warmup": (0, 20, {"lr_end": 1e-4, "power": 0.0}, 30),
    # a negative minimum: transformers clamps the cosine (and WSD's warmup and decay) at 0 where it
    # crosses, and WSD holds min_lr_ratio itself after the decay
    "cosine_with_min_lr-negative": (3, 20, {"min_lr_rate": -0.5}, 25),
    "cosine_with_min_lr-negative-min_lr": (0, 40, {"min_lr": -0.05, "num_cycles": 1.5}, 50),
    "cosine_warmup_with_min_lr-negative": (3, 20, {"min_lr_rate": -0.5}, 25),
    "cosine_warmup_with_min_lr-negative-warmup": (4, 30, {"min_lr_rate": -0.2, "warmup_lr_rate": -0.5}, 40),
    "warmup_stable_decay-negative": (3, None, {"num_stable_steps": 2, "num_decay_steps": 5, "min_lr_ratio": -0.5}, 15),
    "warmup_stable_decay-negative-shapes": (6, None, {"num_stable_steps": 0, "num_decay_steps": 9, "min_lr_ratio": -0.3,
                                                       "warmup_type": "1-sqrt", "decay_type": "1-sqrt"}, 20),
    "warmup_stable_decay-negative-cycles": (0, None, {"num_stable_steps": 4, "num_decay_steps": 30, "num_cycles": 1.25,
                                                       "min_lr_ratio": -0.1}, 40),
}


def peer_name(case: str) -> str:
    return case.split("-")[0]


def peer_values(case, n):
    w, t, kwargs, _ = CASES[case]
    return drive_torch(lambda o: get_scheduler(peer_name(case), o, num_warmup_steps=w, num_training_steps=t,
                                               scheduler_specific_kwargs=dict(kwargs)), n, lr=LR)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_get_scheduler(case):
    w, t, kwargs, n = CASES[case]
    s = lrcore.from_hf(peer_name(case), lr=LR, num_warmup_steps=w, num_training_steps=t, **kwargs)
    want = peer_values(case, n)
    assert_ulp_close(s(np.arange(n)), want, 64, ULPS, context=f"{case}: {s!r}")
    assert len(set(want.tolist())) > 1 or case in ("constant", "constant_with_warmup-0")


def test_arguments_as_get_scheduler_takes_them():
    """``scheduler_specific_kwargs`` as a dict, and transformers' ``SchedulerType`` as the name."""
    a = lrcore.from_hf(SchedulerType.POLYNOMIAL, lr=LR, num_warmup_steps=5, num_training_steps=50,
                       scheduler_specific_kwargs={"power": 2.0})
    b = lrcore.from_hf("polynomial", lr=LR, num_warmup_steps=5, num_training_steps=50, power=2.0)
    assert a == b


def test_hard_restarts_float_position_misplaces_a_restart():
    """transformers computes a restart's position as ``(num_cycles · progress) % 1`` in floats:
    with 22 cycles, ``22 · (15/22)`` is 14.999999999999998, so the 16th restart (step 75 of 5-step
    cycles) gets the end of the previous cycle (lr ~ 0) instead of the peak. lrcore warns and
    restarts at the peak; every other step agrees."""
    w, t, cycles, n = 0, 110, 22, 115
    with pytest.warns(UserWarning, match=r"cosine_with_restarts .* step\(s\) \[75\]"):
        s = lrcore.from_hf("cosine_with_restarts", lr=LR, num_warmup_steps=w, num_training_steps=t, num_cycles=cycles)
    want = drive_torch(lambda o: get_scheduler("cosine_with_restarts", o, w, t, {"num_cycles": cycles}), n, lr=LR)
    got = s(np.arange(n))
    assert want[75] < 1e-12 * LR and got[75] == LR
    others = np.arange(n) != 75
    assert_ulp_close(got[others], want[others], 64, ULPS)


def test_past_training_the_cosine_holds():
    """transformers' cosine climbs back past num_training_steps; lrcore holds its final value."""
    s = lrcore.from_hf("cosine", lr=LR, num_warmup_steps=0, num_training_steps=100)
    want = drive_torch(lambda o: get_scheduler("cosine", o, 0, 100), 140, lr=LR)
    assert want[-1] > 0.01 * LR and s(139) == 0.0


REFUSED = {
    "reduce_lr_on_plateau": (dict(num_warmup_steps=0), ValueError, "lrcore.torch.ReduceLROnPlateau"),
    "greedy": (dict(), ValueError, "a rule driven by a metric"),
    "cosine": (dict(num_warmup_steps=0, num_training_steps=100, num_cycles=0.123456789), ValueError,
               "num_cycles=0.123456789.*a fall of 50000000000/123456789 steps.*fewer decimal digits"),
    "cosine_with_restarts": (dict(num_warmup_steps=0, num_training_steps=2**31 + 1, num_cycles=2), ValueError,
                             "cycles of 2147483649/2 steps.*multiple of num_cycles"),
    "cosine_warmup_with_min_lr": (dict(num_warmup_steps=5, num_training_steps=100, min_lr_rate=0.1, num_cycles=0.0),
                                  ValueError, "num_cycles.*> 0"),
    "linear": (dict(num_warmup_steps=10), ValueError, "requires `num_training_steps`"),
    "polynomial": (dict(num_warmup_steps=0, num_training_steps=10, lr_end=1.0), ValueError, "lr_end"),
    "nonexistent": (dict(), ValueError, "unknown scheduler name 'nonexistent'"),
    "inverse_sqrt": (dict(num_warmup_steps=10, power=2.0), TypeError, "unexpected argument.*power"),
    "cosine_with_min_lr": (dict(num_warmup_steps=0, num_training_steps=10), ValueError, "min_lr"),
    "warmup_stable_decay": (dict(num_warmup_steps=0, num_stable_steps=10), ValueError, "num_decay_steps"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refuses(name):
    kwargs, error, match = REFUSED[name]
    with pytest.raises(error, match=match):
        lrcore.from_hf(name, lr=LR, **kwargs)


def test_fractional_steps_are_refused_naming_the_argument():
    with pytest.raises(ValueError, match="fractional `num_warmup_steps`"):
        lrcore.from_hf("linear", lr=LR, num_warmup_steps=2.5, num_training_steps=10)


@pytest.mark.parametrize("cycles", [10**6, 2**40, 10**400])
def test_hard_restarts_with_more_cycles_than_it_converts_are_refused_at_once(cycles):
    """The conversion built one restart per cycle (and checked each): 2**40 cycles never returned,
    10**400 ran out of memory."""
    with pytest.raises(ValueError, match="num_cycles"):
        lrcore.from_hf("cosine_with_restarts", lr=0.1, num_warmup_steps=3, num_training_steps=30, num_cycles=cycles)


@pytest.mark.parametrize("case", sorted(c for c in CASES if "negative" in c))
def test_a_negative_minimum_is_clamped_at_zero_as_transformers_does(case):
    """transformers' lambdas end in max(0, factor): with a negative min_lr_rate (min_lr,
    min_lr_ratio) the lr is 0 where its curve crosses 0; lrcore gave the negative values. Also
    through from_torch of the real scheduler (which refused WSD's: its step 0 lr was 0)."""
    w, t, kwargs, n = CASES[case]
    want = peer_values(case, n)
    assert np.any(want == 0.0) and np.any(want != 0.0)  # the clamp is reached
    lrs = []

    def keep(optimizer):
        scheduler = get_scheduler(peer_name(case), optimizer, num_warmup_steps=w, num_training_steps=t,
                                  scheduler_specific_kwargs=dict(kwargs))
        lrs.append(lrcore.from_torch(scheduler))
        return scheduler

    drive_torch(keep, 1, lr=LR)
    for s in (lrcore.from_hf(peer_name(case), lr=LR, num_warmup_steps=w, num_training_steps=t, **kwargs), lrs[0]):
        assert_ulp_close(s(np.arange(n)), want, 64, ULPS, context=f"{case}: {s!r}")


@pytest.mark.parametrize("w", [0, 5])
def test_polynomial_power_0_to_the_last_int64_step_is_lr_throughout(w):
    """num_training_steps = 2**63 - 1 with power 0: lr_end would start at step 2**63, past every
    int64 step; the conversion was refused naming an internal `boundaries[0]`."""
    import torch

    t = 2**63 - 1
    s = lrcore.from_hf("polynomial", lr=LR, num_warmup_steps=w, num_training_steps=t, lr_end=0.01, power=0.0)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(()))], lr=LR)
    peer = get_scheduler("polynomial", optimizer, num_warmup_steps=w, num_training_steps=t,
                         scheduler_specific_kwargs={"lr_end": 0.01, "power": 0.0})
    steps = [0, 3, w, w + 1, 2**62, t - 1, t]
    want = np.asarray([LR * peer.lr_lambdas[0](k) for k in steps])
    assert_ulp_close(s(np.asarray(steps, dtype=np.int64)), want, 64, ULPS, context=repr(s))


@pytest.mark.parametrize("case", sorted(c for c in CASES if "negative" in c and "min_lr" not in CASES[c][2]))
def test_a_negative_minimum_with_a_negative_lr_is_clamped_on_transformers_factor(case):
    """transformers clamps its factor (max(0, factor)); the lr is lr · factor. With a negative lr
    the clamp at 0 of the curve gave 0 where transformers gives the negative lr·factor."""
    import torch

    w, t, kwargs, n = CASES[case]
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(()))], lr=1.0)  # torch refuses lr < 0
    peer = get_scheduler(peer_name(case), optimizer, num_warmup_steps=w, num_training_steps=t,
                         scheduler_specific_kwargs=dict(kwargs))
    want = np.asarray([-LR * peer.lr_lambdas[0](k) for k in range(n)])
    assert np.any(want == 0.0) and np.any(want < 0.0)
    s = lrcore.from_hf(peer_name(case), lr=-LR, num_warmup_steps=w, num_training_steps=t, **kwargs)
    assert_ulp_close(s(np.arange(n)), want, 64, ULPS, context=f"{case}: {s!r}")
