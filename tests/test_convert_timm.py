"""``lrcore.from_timm`` against timm's real ``create_scheduler_v2`` (timm's installed scheduler files,
loaded by ``tests.peers``), value by value, driving a torch optimizer as timm's train loop does.

timm computes each value in closed form with Python floats: ``ULPS`` float64 ulp of the peak.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import lrcore
from tests.helpers import assert_ulp_close
from tests.peers import drive_timm, timm_scheduler_module, torch_optimizer

ULPS = 16
LR = 0.4

# name: (create_scheduler_v2 kwargs, steps compared)
CASES = {
    "cosine-defaults": (dict(), 330),
    "cosine-cycles": (dict(num_epochs=30, min_lr=0.01, cycle_limit=4, cycle_decay=0.5), 150),
    "cosine-cycle_mul": (dict(num_epochs=10, cycle_mul=2.0, cycle_limit=5, cycle_decay=0.7), 340),
    "cosine-cycle_mul-1.5": (dict(num_epochs=4, cycle_mul=1.5, cycle_limit=3, cycle_decay=0.9, min_lr=0.05), 30),
    "cosine-warmup-prefix": (dict(num_epochs=40, warmup_epochs=5, warmup_prefix=True, min_lr=1e-4, cycle_limit=3), 150),
    "cosine-per-update": (dict(num_epochs=12, warmup_epochs=2, warmup_prefix=True, step_on_epochs=False,
                               updates_per_epoch=7), 120),
    "cosine-cooldown": (dict(num_epochs=20, cooldown_epochs=5, min_lr=0.01), 40),
    "poly": (dict(sched="poly", num_epochs=50, decay_rate=2.0, min_lr=1e-3, warmup_epochs=5, warmup_prefix=True), 80),
    "poly-cycles": (dict(sched="poly", num_epochs=8, decay_rate=0.7, cycle_mul=2.0, cycle_limit=4, cycle_decay=0.8,
                         min_lr=0.001), 140),
    "step": (dict(sched="step", decay_epochs=10, decay_rate=0.5, warmup_epochs=3), 90),
    "step-prefix": (dict(sched="step", decay_epochs=7, decay_rate=0.5, warmup_epochs=4, warmup_prefix=True), 90),
    "step-no-warmup": (dict(sched="step", decay_epochs=30, decay_rate=0.1), 200),
    "step-per-update": (dict(sched="step", decay_epochs=2, decay_rate=0.5, warmup_epochs=1, step_on_epochs=False,
                             updates_per_epoch=5), 60),
    "multistep": (dict(sched="multistep", decay_milestones=[15, 40], decay_rate=0.2, warmup_epochs=4), 70),
    "multistep-prefix": (dict(sched="multistep", decay_milestones=[20, 50], decay_rate=0.3, warmup_epochs=6,
                              warmup_prefix=True), 120),
    "multistep-defaults": (dict(sched="multistep"), 300),
    "constant": (dict(sched="constant", warmup_epochs=6), 40),
    "wsd": (dict(sched="wsd", num_epochs=50, warmup_epochs=5, min_lr=1e-3), 70),
    "wsd-cosine-per-update": (dict(sched="wsd", num_epochs=10, warmup_epochs=1, decay_epochs=3, decay_fn="cosine",
                                   warmup_prefix=True, step_on_epochs=False, updates_per_epoch=8), 110),
    "wsd-linear": (dict(sched="wsd", num_epochs=40, decay_epochs=0.25, decay_fn="linear", warmup_lr=0.0,
                        warmup_epochs=4), 50),
    "rsqrt": (dict(sched="rsqrt", num_epochs=60, warmup_epochs=8, warmup_lr=0.0, warmup_prefix=True), 90),
    "rsqrt-warmup_lr": (dict(sched="rsqrt", num_epochs=60, warmup_epochs=8, decay_fn="1-sqrt"), 90),
    "rsqrt-timescale": (dict(sched="rsqrt", num_epochs=40, stable_timescale=5, decay_epochs=10, decay_fn="cosine"), 60),
    "tanh": (dict(sched="tanh", num_epochs=40, min_lr=0.01), 60),
    "tanh-warmup": (dict(sched="tanh", num_epochs=30, warmup_epochs=4, warmup_lr=0.0), 50),
    "tanh-warmup-prefix": (dict(sched="tanh", num_epochs=30, warmup_epochs=4, warmup_prefix=True, min_lr=1e-3), 50),
    "tanh-cycles": (dict(sched="tanh", num_epochs=12, cycle_limit=3, cycle_decay=0.5, min_lr=0.02), 50),
    "tanh-cycle_mul": (dict(sched="tanh", num_epochs=6, cycle_mul=2.0, cycle_limit=3, cycle_decay=0.8), 50),
    "cosine-k_decay": (dict(num_epochs=50, k_decay=2.0, min_lr=0.01), 70),
    "cosine-k_decay-cycles": (dict(num_epochs=10, k_decay=0.5, cycle_limit=3, cycle_decay=0.7, cycle_mul=2.0), 80),
    "cosine-warmup-no-prefix": (dict(num_epochs=40, warmup_epochs=5, min_lr=1e-4), 60),
    "cosine-warmup-no-prefix-cycles": (dict(num_epochs=12, warmup_epochs=5, cycle_limit=3, cycle_decay=0.5), 50),
    "cosine-cycle_limit-2": (dict(num_epochs=15, cycle_limit=2, cycle_decay=0.5, min_lr=0.01), 50),
    "cosine-fractional-cycles": (dict(num_epochs=5, cycle_mul=1.5, cycle_limit=4, cycle_decay=0.9, min_lr=0.01), 45),
    "poly-warmup-no-prefix": (dict(sched="poly", num_epochs=30, decay_rate=0.9, warmup_epochs=6), 40),
    "step-fractional": (dict(sched="step", decay_epochs=2.4, decay_rate=0.97), 60),
    "step-fractional-warmup": (dict(sched="step", decay_epochs=2.5, decay_rate=0.5, warmup_epochs=3), 40),
    "wsd-power": (dict(sched="wsd", num_epochs=50, warmup_epochs=5, decay_fn="power", min_lr=1e-3), 60),
    "wsd-exp": (dict(sched="wsd", num_epochs=50, warmup_epochs=5, decay_fn="exp", min_lr=1e-3), 60),
    "wsd-exp-per-update": (dict(sched="wsd", num_epochs=6, warmup_epochs=1, decay_epochs=2, decay_fn="exp",
                                step_on_epochs=False, updates_per_epoch=9), 70),
    "rsqrt-power": (dict(sched="rsqrt", num_epochs=40, warmup_epochs=4, decay_fn="power"), 50),
    "rsqrt-exp": (dict(sched="rsqrt", num_epochs=40, warmup_epochs=4, decay_fn="exp", min_lr=0.02), 50),
    "rsqrt-min_lr": (dict(sched="rsqrt", num_epochs=60, warmup_epochs=5, min_lr=0.01), 70),
    "rsqrt-min_lr-above-stable": (dict(sched="rsqrt", num_epochs=80, warmup_epochs=2, min_lr=0.1), 90),
    # Milestones 0 and 1 apply at t = 0 of timm's formula, but step 0 is the constructor's lr: without
    # warmup they apply at step 1; a prefix warmup ramps to the lr and hands over to the decayed value.
    "multistep-milestone-1": (dict(sched="multistep", decay_milestones=[1, 3], decay_rate=0.5), 10),
    "multistep-milestones-0-and-1": (dict(sched="multistep", decay_milestones=[0, 1, 4], decay_rate=0.5), 10),
    "multistep-milestone-1-prefix": (dict(sched="multistep", decay_milestones=[1, 3], decay_rate=0.5, warmup_epochs=2,
                                          warmup_prefix=True), 10),
    "multistep-milestone-0-prefix": (dict(sched="multistep", decay_milestones=[0, 5], decay_rate=0.5, warmup_epochs=3,
                                          warmup_prefix=True), 12),
    "multistep-milestone-0-no-prefix": (dict(sched="multistep", decay_milestones=[0, 5], decay_rate=0.5,
                                             warmup_epochs=3), 12),
    # min_lr above the lr: timm holds the stable phase (and the decay) at min_lr from the warmup's end.
    "wsd-min_lr-above-lr": (dict(sched="wsd", num_epochs=10, warmup_epochs=3, decay_epochs=3, min_lr=0.5), 14),
    "wsd-min_lr-above-lr-per-update": (dict(sched="wsd", num_epochs=4, warmup_epochs=1, decay_epochs=2, min_lr=0.7,
                                            step_on_epochs=False, updates_per_epoch=3), 16),
    "rsqrt-min_lr-above-lr": (dict(sched="rsqrt", num_epochs=10, warmup_epochs=3, decay_epochs=3, min_lr=0.5), 14),
}


def peer(kwargs, n):
    factory = timm_scheduler_module("scheduler_factory").create_scheduler_v2
    return drive_timm(lambda o: factory(o, **kwargs)[0], n, lr=LR, per_update=not kwargs.get("step_on_epochs", True))


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_create_scheduler_v2(case):
    kwargs, n = CASES[case]
    s = lrcore.from_timm(lr=LR, **kwargs)
    want = peer(kwargs, n)
    assert_ulp_close(s(np.arange(n)), want, 64, ULPS, context=f"{case}: {s!r}")
    assert len(set(want.tolist())) > 2


def test_a_huge_cycle_limit_is_one_restart_schedule():
    """A huge ``cycle_limit`` converts without building its cycles: the restart schedule keeps the
    limit, and the cycles past step 2**63 - 1 are never tabulated. timm's float logarithm misplaces
    restarts that far out: the converter warns."""
    with pytest.warns(UserWarning, match="float logarithm"):
        cosine = lrcore.from_timm(lr=LR, num_epochs=10, cycle_mul=2.0, cycle_limit=10**9, cycle_decay=1.0)
    assert cosine.params["cycle_limit"] == 10**9
    n = 200
    for sched, name in [("poly", "polynomial_restart"), ("tanh", "tanh_restart")]:
        kwargs = dict(sched=sched, num_epochs=6, cycle_mul=2.0, cycle_limit=10**9, cycle_decay=1.0, decay_rate=0.5)
        with pytest.warns(UserWarning, match="float logarithm"):
            s = lrcore.from_timm(lr=LR, **kwargs)
        body = s if sched == "poly" else s.params["schedules"][1].params["schedule"]  # tanh: timm's step 0 first
        assert (body.name, body.params["cycle_limit"]) == (name, 10**9)
        want = peer({**kwargs, "cycle_limit": 20}, n)  # timm overflows a float counting 10**9 cycles; 20 cover n steps
        assert_ulp_close(s(np.arange(n)), want, 64, ULPS)
        assert len(set(want.tolist())) > 10


def test_more_cycles_than_a_join_holds():
    """100,000 equal cycles of 3 epochs (timm's cycle_mul=1 counts them with integers): one restart
    schedule, equal to timm at the last of them and holding lr_min after."""
    kwargs = dict(sched="tanh", num_epochs=3, cycle_limit=100_000, cycle_decay=1.0, min_lr=0.01)
    s = lrcore.from_timm(lr=LR, **kwargs)
    optimizer = torch_optimizer(LR)
    scheduler = timm_scheduler_module("scheduler_factory").create_scheduler_v2(optimizer, **kwargs)[0]
    steps = [1, 2, 3, 299_997, 299_998, 299_999, 300_000, 300_001]
    want = []
    for t in steps:
        scheduler.step(t)
        want.append(float(optimizer.param_groups[0]["lr"]))
    assert_ulp_close(s(np.asarray(steps)), np.asarray(want), 64, ULPS)
    assert want[-2] == want[-1] == 0.01 and want[-3] > 0.01


def test_restart_logarithm_misplaces_a_restart():
    """timm finds the cycle of ``t`` as ``floor(log(1 - t/T0·(1 - m), m))``; with ``T0=1, m=3`` the
    float logarithm of 243 in base 3 is just below 5, so epoch 121 (the start of cycle 5) gets the
    end of cycle 4 (lr_min) instead of the peak. lrcore warns and restarts at the peak."""
    kwargs = dict(num_epochs=1, cycle_mul=3.0, cycle_limit=6, cycle_decay=1.0)
    with pytest.warns(UserWarning, match=r"cycle_mul=3.0: .*t=121 in cycle 4 instead of 5"):
        s = lrcore.from_timm(lr=LR, **kwargs)
    n = 370
    want, got = peer(kwargs, n), s(np.arange(n))
    assert want[121] == 0.0 and got[121] == LR
    others = np.arange(n) != 121
    assert_ulp_close(got[others], want[others], 64, ULPS)


def test_restart_logarithm_misplaces_the_hold_after_the_last_cycle():
    """With ``cycle_limit=5`` epoch 121 is the first after the last cycle, where lr_min is held; the
    same float logarithm puts it in cycle 4, so timm's tanh gives the end of cycle 4's curve there
    (not lr_min; cosine and poly end at lr_min, so they agree by chance). The converter warned only
    about the cycles' own first and last steps; it warns about this one too."""
    kwargs = dict(sched="tanh", num_epochs=1, cycle_mul=3.0, cycle_limit=5, cycle_decay=1.0)
    with pytest.warns(UserWarning, match=r"cycle_mul=3.0: .*t=121 in cycle 4 instead of 5: cycle 4's curve instead of lr_min"):
        s = lrcore.from_timm(lr=LR, **kwargs)
    n = 130
    want, got = peer(kwargs, n), s(np.arange(n))
    assert got[121] == 0.0 and want[121] > 0.0
    others = np.arange(n) != 121
    assert_ulp_close(got[others], want[others], 64, ULPS)


def drive_timm_per_update(kwargs, upe, n):
    """timm's train loop with ``step_on_epochs=True``: ``step_update(k)`` after every update (a no-op for
    an epoch scheduler) and ``step(epoch)`` at each epoch's end; the lr applied to updates ``0..n-1``."""
    factory = timm_scheduler_module("scheduler_factory").create_scheduler_v2
    optimizer = torch_optimizer(LR)
    scheduler = factory(optimizer, **kwargs, updates_per_epoch=upe)[0]
    lrs = []
    for k in range(n):
        if k and k % upe == 0:
            scheduler.step(k // upe)
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        scheduler.step_update(k + 1)
    return np.asarray(lrs)


PER_EPOCH = {
    "cosine-warmup": (dict(num_epochs=10, warmup_epochs=2, min_lr=0.01), 7),
    "step": (dict(sched="step", decay_epochs=3, decay_rate=0.5), 5),
    "tanh": (dict(sched="tanh", num_epochs=8, warmup_epochs=1, warmup_prefix=True), 4),
}


@pytest.mark.parametrize("case", sorted(PER_EPOCH))
def test_updates_per_epoch_gives_the_update_indexed_schedule(case):
    """``updates_per_epoch`` with ``step_on_epochs=True``: the lr of each update, held through its epoch."""
    kwargs, upe = PER_EPOCH[case]
    n = 14 * upe
    s = lrcore.from_timm(lr=LR, **kwargs, updates_per_epoch=upe)
    assert s.name == "per_epoch"
    want = drive_timm_per_update(kwargs, upe, n)
    assert_ulp_close(s(np.arange(n)), want, 64, ULPS, context=f"{case}: {s!r}")
    assert np.all(want[::upe][:, None] == want.reshape(-1, upe))


@pytest.mark.parametrize("noise", [0.25, [0.1, 0.6]])
def test_noise_has_timms_range_and_limit_with_a_warning(noise):
    """timm's noise becomes ``lrcore.noise``: a warning says the draws are lrcore's (timm's distribution,
    not its values); outside the noise range every value is timm's, inside each is within ``noise_pct``."""
    kwargs = dict(num_epochs=40, min_lr=0.01, noise=noise, noise_pct=0.3, noise_std=0.5, noise_seed=7)
    with pytest.warns(UserWarning, match="counter-based generator.*not timm's torch.Generator"):
        s = lrcore.from_timm(lr=LR, **kwargs)
    bounds = [noise] if isinstance(noise, float) else noise
    begin = int(np.ceil(bounds[0] * 40))
    end = int(np.ceil(bounds[1] * 40)) if len(bounds) == 2 else None
    assert s.name == "noise"
    assert (s.params["pct"], s.params["std"], s.params["seed"], s.params["begin"], s.params["end"]) == (0.3, 0.5, 7, begin, end)
    n = 60
    got = s(np.arange(n))
    clean = peer({**kwargs, "noise": None}, n)
    noisy = peer(kwargs, n)
    inside = (np.arange(n) >= begin) & (np.arange(n) < (end if end is not None else n))
    assert_ulp_close(got[~inside], noisy[~inside], 64, ULPS)
    assert np.all(np.abs(got[inside] / clean[inside] - 1) < 0.3)
    assert np.all(np.abs(noisy[inside] / clean[inside] - 1) < 0.3)
    assert np.any(got[inside] != clean[inside])


@pytest.mark.parametrize("sched", ["wsd", "rsqrt"])
def test_min_lr_above_the_lr_without_warmup(sched):
    """Step 0 is the lr the optimizer was built with; from step 1 timm holds min_lr."""
    kwargs = dict(sched=sched, num_epochs=5, decay_epochs=3, min_lr=1.0, stable_timescale=2)
    want = peer(kwargs, 8)
    assert_ulp_close(lrcore.from_timm(lr=LR, **kwargs)(np.arange(8)), want, 64, ULPS)
    assert want.tolist() == [LR] + [1.0] * 7


REFUSED = {
    "step-below-one-step": (dict(sched="step", decay_epochs=0.5), "decay_epochs=0.5.*below one step"),
    "wsd-callable": (dict(sched="wsd", decay_fn=lambda x: 1 - x), "decay_fn"),
    "plateau": (dict(sched="plateau"), "lrcore.plateau"),
    "cycle_mul-below-1": (dict(num_epochs=5, cycle_mul=0.5, cycle_limit=3), "cycle_mul=0.5 < 1.*math domain error"),
    "cycle_limit-0": (dict(num_epochs=5, cycle_limit=0), "cycle_limit"),
    "poly-cycle_mul-below-1": (dict(sched="poly", num_epochs=5, cycle_mul=0.9, cycle_limit=3), "cycle_mul=0.9 < 1"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refuses(name):
    kwargs, match = REFUSED[name]
    with pytest.raises(ValueError, match=match):
        lrcore.from_timm(lr=LR, **kwargs)


@pytest.mark.parametrize("milestones", [[10, 2], [5, 8, 3], [4, 4, 1]], ids=repr)
def test_unsorted_multistep_milestones_are_refused(milestones):
    """timm bisects decay_milestones as given: [10, 2] decays twice at epoch 1, where the sorted
    list the converter used decays at 1 and at 9 (a silently different schedule)."""
    kwargs = dict(sched="multistep", decay_milestones=milestones, decay_rate=0.1, num_epochs=12)
    timm = peer(kwargs, 12)
    ordered = peer({**kwargs, "decay_milestones": sorted(milestones)}, 12)
    assert not np.array_equal(timm, ordered)  # why it cannot be read as its sorted form
    with pytest.raises(ValueError, match=re.escape(f"unsorted decay_milestones={milestones!r}")):
        lrcore.from_timm(lr=LR, **kwargs)
    s = lrcore.from_timm(lr=LR, **{**kwargs, "decay_milestones": sorted(milestones)})
    assert_ulp_close(s(np.arange(12)), ordered, 64, ULPS)


def _cycle_sweep():
    """tanh and poly over timm's cycle space: cycle_mul 1 (whole cycles), 1.5 and 2.5 (real lengths),
    cycle_limit 1, 3 and 10**6, no warmup or 3 epochs of it with either warmup_prefix, epochs or
    updates, and poly's k_decay 1, 0.5 and 2 (cycle_decay 0.7 throughout)."""
    cases = {}
    for sched in ("tanh", "poly"):
        for mul in (1.0, 1.5, 2.5):
            for limit in (1, 3, 10**6):
                for warmup, prefix in ((0, False), (3, False), (3, True)):
                    for per_update in (False, True):
                        for k in ((1.0,) if sched == "tanh" else (1.0, 0.5, 2.0)):
                            name = (f"{sched}-m{mul}-limit{limit}-warmup{warmup}{'-prefix' if prefix else ''}"
                                    f"{'-per-update' if per_update else ''}{f'-k{k}' if k != 1.0 else ''}")
                            cases[name] = dict(sched=sched, num_epochs=7, cycle_mul=mul, cycle_limit=limit,
                                               cycle_decay=0.7, warmup_epochs=warmup, warmup_prefix=prefix,
                                               warmup_lr=0.001, min_lr=0.01, decay_rate=0.7, k_decay=k,
                                               step_on_epochs=not per_update, updates_per_epoch=3 if per_update else 0)
    return cases


SWEEP = _cycle_sweep()


@pytest.mark.parametrize("case", sorted(SWEEP))
def test_cycle_sweep_matches_create_scheduler_v2(case):
    """Value by value against timm's scheduler over 18 (54 updates) cycles' worth of steps. Where timm's
    float logarithm would misplace a restart the converter warns (none is in the steps compared)."""
    kwargs = SWEEP[case]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = lrcore.from_timm(lr=LR, **kwargs)
    assert all("float logarithm" in str(w.message) for w in caught), [str(w.message) for w in caught]
    n = 130 if kwargs["step_on_epochs"] else 330
    # timm's create_scheduler_v2 computes the cycles' total length as cycle_mul**cycle_limit, which
    # overflows a float for 10**6 cycles: 40 cover the steps compared.
    want = peer({**kwargs, "cycle_limit": min(kwargs["cycle_limit"], 40)}, n)
    assert_ulp_close(s(np.arange(n)), want, 64, ULPS, context=f"{case}: {s!r}")
    assert len(set(want.tolist())) > 5
