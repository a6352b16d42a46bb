"""Every schedule and combinator against the independent exact reference, on every backend.

Each parameter set is evaluated once per backend on a few hundred steps covering every landmark
(boundaries, phase ends, restarts, the last step, far beyond the end, negative steps) and compared
with ``tests.reference`` within the API's promise: 4 ulp of the schedule's largest value.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from tests import reference
from tests.helpers import assert_ulp_close

L = lrcore

# (id, schedule, landmarks): landmarks are steps whose neighbourhoods are sampled (±2).
CASES = [
    # constant
    ("constant", L.constant(0.3), []),
    ("constant-negative", L.constant(-2.5), []),
    # linear
    ("linear", L.linear(1.0, 0.1, transition_steps=10), [10]),
    ("linear-begin", L.linear(0.0, 1.0, transition_steps=13, transition_begin=7), [7, 20]),
    ("linear-one-step", L.linear(1.0, 3.0, transition_steps=1, transition_begin=2), [2, 3]),
    ("linear-flat", L.linear(0.5, 0.5, transition_steps=4), [4]),
    # exponential decay
    ("exp", L.exponential_decay(1.0, decay_steps=10, decay_rate=0.5), [10, 100]),
    ("exp-staircase", L.exponential_decay(2.0, 7, 0.3, staircase=True), [7, 14, 21, 70]),
    (
        "exp-staircase-begin-floor",
        L.exponential_decay(1.0, 5, 0.5, staircase=True, transition_begin=12, end_value=0.07),
        [12, 17, 22, 27, 32],
    ),
    ("exp-floor", L.exponential_decay(1.0, 3, 0.9, end_value=0.2), [45]),
    ("exp-growth-ceiling", L.exponential_decay(0.01, 4, 1.7, end_value=1.0, transition_begin=3), [3, 38]),
    ("exp-rate-one", L.exponential_decay(0.4, 1, 1.0), []),
    ("exp-per-step", L.exponential_decay(1.0, 1, 0.97), []),
    # piecewise constant
    ("pc", L.piecewise_constant([10, 20, 50], [1.0, 0.1, 0.01, 0.001]), [10, 20, 50]),
    ("pc-zero-boundary", L.piecewise_constant([0, 1, 2], [5.0, 4.0, 3.0, 2.0]), [0, 1, 2]),
    ("pc-no-boundary", L.piecewise_constant([], [0.7]), []),
    ("pc-increasing", L.piecewise_constant([3], [-1.0, 2.0]), [3]),
    # piecewise linear
    ("pl", L.piecewise_linear([0, 10, 30], [0.0, 1.0, 0.2]), [0, 10, 30]),
    ("pl-late-start", L.piecewise_linear([5, 6, 40, 41], [0.3, 1.0, 0.1, 0.0]), [5, 6, 40, 41]),
    ("pl-single", L.piecewise_linear([17], [0.25]), [17]),
    # polynomial decay
    ("poly", L.polynomial_decay(1.0, 0.1, decay_steps=20), [20]),
    ("poly-power2", L.polynomial_decay(1.0, 0.0, 25, power=2.0), [25]),
    ("poly-sqrt-begin", L.polynomial_decay(0.5, 0.05, 30, power=0.5, transition_begin=9), [9, 39]),
    ("poly-power0", L.polynomial_decay(1.0, 0.2, 10, power=0.0), [10]),
    ("poly-cycle", L.polynomial_decay(1.0, 0.1, 10, power=2.0, cycle=True), [10, 20, 30, 40]),
    ("poly-cycle-begin", L.polynomial_decay(1.0, 0.1, 7, cycle=True, transition_begin=4), [4, 11, 18, 25]),
    ("poly-cycle-one", L.polynomial_decay(1.0, 0.1, 1, power=1.5, cycle=True), [1, 2, 3]),
    # inverse time decay
    ("inv-time", L.inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5), []),
    ("inv-time-staircase", L.inverse_time_decay(0.3, 6, 2.0, staircase=True), [6, 12, 18]),
    ("inv-time-rate0", L.inverse_time_decay(0.3, 6, 0.0), []),
    # cosine decay
    ("cos", L.cosine_decay(1.0, decay_steps=50), [25, 50]),
    ("cos-end-exp", L.cosine_decay(1.0, 40, end_value=0.1, exponent=2.0), [40]),
    ("cos-exp-half", L.cosine_decay(2.0, 33, end_value=0.5, exponent=0.5), [33]),
    ("cos-rising", L.cosine_decay(0.1, 20, end_value=1.0), [20]),
    ("cos-one-step", L.cosine_decay(1.0, 1, end_value=0.3), [1]),
    # warmup cosine decay
    ("wcd", L.warmup_cosine_decay(0.0, 1.0, warmup_steps=10, decay_steps=60), [10, 60]),
    ("wcd-no-warmup", L.warmup_cosine_decay(0.0, 1.0, 0, 30, end_value=0.1), [30]),
    ("wcd-exp", L.warmup_cosine_decay(0.1, 1.0, 7, 40, end_value=0.05, exponent=1.5), [7, 40]),
    ("wcd-all-warmup", L.warmup_cosine_decay(0.2, 1.0, 19, 20, end_value=0.0), [19, 20]),
    # cosine restart
    ("sgdr", L.cosine_restart(1.0, first_period=10), [10, 20, 30]),
    ("sgdr-m2", L.cosine_restart(1.0, 10, period_mul=2.0), [10, 30, 70, 150]),
    (
        "sgdr-m2-peak-end-warm",
        L.cosine_restart(1.0, 10, 2.0, peak_mul=0.5, end_value=0.1, warmup_steps=3),
        [3, 10, 16, 30, 42, 70],
    ),
    ("sgdr-m1.5", L.cosine_restart(0.5, 7, 1.5, end_value=0.01), [7, 18, 34, 58, 94]),
    ("sgdr-awkward", L.cosine_restart(1.0, 3, 1.3333333, warmup_steps=1), [3, 7, 13, 20, 30, 43]),
    ("sgdr-first1", L.cosine_restart(1.0, 1, 1.25, peak_mul=0.9), [1, 3, 5, 7, 10]),
    ("sgdr-first1-m1", L.cosine_restart(0.3, 1), [1, 2]),
    ("sgdr-m1-warm", L.cosine_restart(1.0, 9, warmup_steps=4, peak_mul=0.8, end_value=0.2), [4, 9, 13, 18]),
    # onecycle
    ("onecycle", L.onecycle(1.0, total_steps=100), [29, 30, 99, 100]),
    ("onecycle-linear", L.onecycle(0.5, 80, pct_start=0.25, anneal="linear"), [19, 20, 79]),
    ("onecycle-three", L.onecycle(1.0, 100, three_phase=True), [29, 58, 99]),
    ("onecycle-three-odd", L.onecycle(1.0, 7, pct_start=0.5, three_phase=True, anneal="linear"), [2, 5, 6]),
    ("onecycle-pct0", L.onecycle(1.0, 50, pct_start=0.0, div_factor=10.0), [0, 49]),
    ("onecycle-pct1", L.onecycle(1.0, 50, pct_start=1.0, final_div_factor=100.0), [49]),
    ("onecycle-total1", L.onecycle(1.0, 1), [0]),
    ("onecycle-total2", L.onecycle(1.0, 2, pct_start=0.5 + 2**-40), [0, 1]),
    # cyclic
    ("cyclic", L.cyclic(0.1, 1.0, step_size_up=10), [10, 20, 30]),
    ("cyclic-down", L.cyclic(0.1, 1.0, 4, step_size_down=9), [4, 13, 17, 26]),
    ("cyclic-tri2", L.cyclic(0.0, 1.0, 5, 3, mode="triangular2"), [5, 8, 13, 16, 24]),
    ("cyclic-exp", L.cyclic(0.01, 0.2, 6, mode="exp_range", gamma=0.98), [6, 12, 18]),
    ("cyclic-one", L.cyclic(0.3, 0.9, 1, mode="triangular2"), [1, 2]),
    # inverse sqrt
    ("inv-sqrt", L.inverse_sqrt(1.0, warmup_steps=10), [10]),
    ("inv-sqrt-no-warmup", L.inverse_sqrt(1.0, 0), []),
    ("inv-sqrt-timescale", L.inverse_sqrt(0.5, 20, timescale=3), [20]),
    # warmup stable decay
    ("wsd", L.warmup_stable_decay(1.0, 10, 20, 15), [10, 30, 45]),
    (
        "wsd-cos-sqrt",
        L.warmup_stable_decay(1.0, 8, 5, 12, end_value=0.1, warmup_shape="cosine", decay_shape="1-sqrt"),
        [8, 13, 25],
    ),
    (
        "wsd-sqrt-cos",
        L.warmup_stable_decay(1.0, 8, 5, 12, end_value=0.1, warmup_shape="1-sqrt", decay_shape="cosine"),
        [8, 13, 25],
    ),
    (
        "wsd-init-no-stable",
        L.warmup_stable_decay(2.0, 6, 0, 9, end_value=0.2, init_value=0.5, decay_shape="cosine"),
        [6, 15],
    ),
    ("wsd-no-warmup", L.warmup_stable_decay(1.0, 0, 4, 7, decay_shape="1-sqrt", warmup_shape="cosine"), [4, 11]),
    ("wsd-bare", L.warmup_stable_decay(1.0, 0, 0, 1, end_value=0.3), [1]),
    # ema decay
    ("ema", L.ema_decay(0.99), [89, 90]),
    ("ema-zero", L.ema_decay(0.0), []),
    ("ema-one", L.ema_decay(1.0), []),
    # join
    (
        "join",
        L.join([L.linear(0.0, 1.0, 10), L.cosine_decay(1.0, 30, 0.1), L.constant(0.1)], [10, 40]),
        [10, 40],
    ),
    (
        "join-zero-length",
        L.join([L.constant(1.0), L.constant(5.0), L.linear(0.5, 0.0, 8)], boundaries=[6, 6]),
        [6, 14],
    ),
    ("join-at-zero", L.join([L.constant(9.0), L.cosine_decay(1.0, 12)], boundaries=[0]), [0, 12]),
    (
        "join-nested",
        L.join([L.warmup(L.exponential_decay(1.0, 3, 0.5, staircase=True), 5), L.cosine_restart(0.5, 4, 2.0)], [20]),
        [5, 8, 11, 20, 24, 32, 48],
    ),
    # warmup
    ("warmup", L.warmup(L.cosine_decay(1.0, 30), warmup_steps=10), [10, 40]),
    ("warmup-init", L.warmup(L.constant(0.2), warmup_steps=3, init_value=1.0), [3]),
    ("warmup-zero", L.warmup(L.linear(1.0, 0.0, 10), warmup_steps=0, init_value=0.5), [10]),
    ("warmup-restart", L.warmup(L.cosine_restart(1.0, 5, 1.5, end_value=0.1), 4, 0.05), [4, 9, 17, 29]),
    # scale
    ("scale", L.scale(L.cosine_decay(1.0, 20), 0.1), [20]),
    ("scale-mul", L.onecycle(1.0, 40) * 3.0, [11, 12, 39]),
    ("scale-negative", L.scale(L.linear(0.0, 1.0, 10), -2.0), [10]),
    # clip
    ("clip", L.clip(L.linear(0.0, 1.0, 20), min_value=0.2, max_value=0.7), [4, 14, 20]),
    ("clip-min", L.clip(L.cosine_decay(1.0, 30), min_value=0.05), [30]),
    ("clip-max", L.clip(L.exponential_decay(0.01, 2, 1.5, end_value=10.0), max_value=0.5), [20]),
    # growing restart peaks (Keras' m_mul > 1); growth without a ceiling: test_exponential_growth.py
    ("sgdr-growing-peak", L.cosine_restart(0.5, 10, 2.0, peak_mul=1.5, end_value=0.01, warmup_steps=3), [10, 30, 70, 150]),
    # multiply
    ("multiply", L.multiply([L.exponential_decay(0.5, 1, 0.97), L.piecewise_constant([30, 80], [1.0, 0.1, 0.01])]), [30, 80]),
    ("multiply-three", L.multiply([L.warmup(L.constant(1.0), 10), L.cosine_decay(2.0, 100), L.constant(0.25)]), [10, 100]),
    ("multiply-mul", L.cosine_restart(1.0, 20) * L.linear(1.0, 0.1, 100), [20, 40, 100]),
]

FAR = [1_000, 12_345, 10**6, 2**24 + 1, 2**31 - 1]


def sample_steps(landmarks) -> np.ndarray:
    """-5..160, each landmark ± 2, the last landmark doubled, and a few far steps."""
    steps = set(range(-5, 161)) | set(FAR)
    for b in landmarks:
        steps |= set(range(b - 2, b + 3)) | {2 * b}
    return np.array(sorted(s for s in steps), dtype=np.int64)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_reference(backend, case):
    _, schedule, landmarks = case
    steps = sample_steps(landmarks)
    want = reference.values_of(schedule.to_dict(), steps)
    got = backend.evaluate(schedule, steps)
    assert_ulp_close(got, want, backend.bits, context=f"{schedule!r} on {backend}: steps {steps.tolist()}")
    # A negative step is step 0, bit for bit.
    negative = steps < 0
    np.testing.assert_array_equal(got[negative], np.full(int(negative.sum()), got[steps == 0][0]))


def test_every_schedule_is_covered():
    covered = {c[1].name for c in CASES}
    assert covered == set(lrcore.schedule.REGISTRY)
    assert set(reference.SCHEDULES) == set(lrcore.schedule.REGISTRY)


def _torch_lrs(make_scheduler, steps: int) -> np.ndarray:
    """The learning rates a real torch scheduler gives at steps 0..steps-1 (Python float64 math)."""
    import torch

    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=1.0, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for i in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        if i < steps - 1:
            optimizer.step()
            scheduler.step()
    return np.array(lrs)


PEER_CASES = [c for c in CASES if c[1].name in ("onecycle", "cyclic")]


@pytest.mark.parametrize("case", PEER_CASES, ids=[c[0] for c in PEER_CASES])
def test_reference_follows_torch(case):
    """The reference's onecycle and cyclic are torch's OneCycleLR and CyclicLR (checks the reference)."""
    import torch

    schedule = case[1]
    p = schedule.params
    if schedule.name == "onecycle":
        n = p["total_steps"]
        make = lambda opt: torch.optim.lr_scheduler.OneCycleLR(  # noqa: E731
            opt, max_lr=p["peak_value"], total_steps=n, pct_start=p["pct_start"], anneal_strategy=p["anneal"],
            div_factor=p["div_factor"], final_div_factor=p["final_div_factor"], three_phase=p["three_phase"],
        )
    else:
        n = 160
        make = lambda opt: torch.optim.lr_scheduler.CyclicLR(  # noqa: E731
            opt, base_lr=p["base_value"], max_lr=p["max_value"], step_size_up=p["step_size_up"],
            step_size_down=p["step_size_down"], mode=p["mode"], gamma=p["gamma"],
        )
    want = _torch_lrs(make, n)
    got = reference.values_of(schedule.to_dict(), np.arange(n))
    assert_ulp_close(got, want, 64, ulps=64)


@pytest.mark.parametrize("case", [c for c in CASES if c[1].name == "piecewise_linear"], ids=lambda c: c[0])
def test_reference_follows_numpy_interp(case):
    p = case[1].params
    steps = np.arange(0, 200)
    want = np.interp(steps, p["boundaries"], p["values"])
    assert_ulp_close(reference.values_of(case[1].to_dict(), steps), want, 64)
