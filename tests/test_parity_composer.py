"""Value-by-value parity with Composer's schedulers (``composer.optim.scheduler``).

Composer's package ``__init__`` imports its Trainer stack (and torchvision); ``tests.peers`` loads
``composer/optim/scheduler.py`` and ``composer/core/time.py`` unmodified, with a stand-in for
``composer.core.State`` that holds the three attributes the schedulers read (``timestamp``,
``max_duration``, ``dataloader_len``). A Composer scheduler is a function of that state: its value at
batch ``k`` (the timestamp advanced ``k`` batches, as the trainer advances it) is a multiplier of the
optimizer's lr, lrcore's value at step ``k`` (lrcore schedules below start at 1 where Composer's do).

Composer computes each value in closed form with Python floats: the tolerance is ``ULPS`` float64
ulp of the largest value.
"""

from __future__ import annotations

import math
from pathlib import Path

import mpmath
import numpy as np
import pytest

import lrcore
from tests.helpers import assert_ulp_close
from tests.peers import composer_scheduler_module, composer_values

ULPS = 16


def composer(name: str):
    return getattr(composer_scheduler_module(), name)


def cosine_periods(lengths, alpha_f):
    """Cosine cycles of the given whole-step lengths from 1 down to ``alpha_f``, one after another."""
    pieces = [lrcore.cosine_decay(1.0, n, end_value=alpha_f) for n in lengths]
    return lrcore.join(pieces, [int(b) for b in np.cumsum(lengths)[:-1]])


def staircase(milestones, gamma, offset=0):
    """``gamma ** #{m <= k + offset}``: a multi-step curve seen ``offset`` steps late."""
    passed = sum(m <= offset for m in milestones)
    later = [m - offset for m in milestones if m > offset]
    if not later:
        return lrcore.constant(gamma**passed)
    return lrcore.piecewise_constant(later, [gamma ** (passed + i) for i in range(len(later) + 1)])


def _composer_restart_lengths(t_0: int, t_mult: float, total: int) -> list[int]:
    """Composer's cycle lengths: each one ``int(t_mult · previous)``, truncated from the truncated one."""
    lengths = [t_0]
    while sum(lengths) <= total:
        lengths.append(int(t_mult * lengths[-1]))
    return lengths


def _cases() -> dict:
    """``{name: (make the Composer scheduler, max_duration, dataloader_len, ssr, lrcore schedule, n)}``."""
    c = {}
    # -- without warmup
    c["step-10ba"] = (lambda: composer("StepScheduler")("10ba", gamma=0.5), "100ba", None, 1.0,
                      lrcore.exponential_decay(1.0, 10, 0.5, staircase=True), 100)
    c["step-3ep-default-gamma"] = (lambda: composer("StepScheduler")("3ep"), "12ep", 7, 1.0,
                                   lrcore.exponential_decay(1.0, 21, 0.1, staircase=True), 84)
    # A scale schedule ratio scales times given in batches or epochs; a duration is a fraction of
    # max_duration, which the trainer scales itself: 0.25dur of 80 batches is 20 batches whatever the ratio.
    c["step-0.25dur-ssr"] = (lambda: composer("StepScheduler")("0.25dur", gamma=0.7), "80ba", None, 0.5,
                             lrcore.exponential_decay(1.0, 20, 0.7, staircase=True), 80)
    c["step-ssr"] = (lambda: composer("StepScheduler")("8ba", gamma=0.7), "80ba", None, 1.5,
                     lrcore.exponential_decay(1.0, 12, 0.7, staircase=True), 80)
    c["multistep"] = (lambda: composer("MultiStepScheduler")(["10ba", "25ba", "60ba"]), "100ba", None, 1.0,
                      staircase([10, 25, 60], 0.1), 100)
    c["multistep-ep"] = (lambda: composer("MultiStepScheduler")(["2ep", "5ep"], gamma=0.5), "8ep", 9, 1.0,
                         staircase([18, 45], 0.5), 72)
    c["constant-defaults"] = (lambda: composer("ConstantScheduler")(), "50ba", None, 1.0, lrcore.constant(1.0), 60)
    c["constant-alpha"] = (lambda: composer("ConstantScheduler")(alpha=0.3, t_max="40ba"), "100ba", None, 1.0,
                           lrcore.piecewise_constant([40], [0.3, 1.0]), 100)
    c["linear-defaults"] = (lambda: composer("LinearScheduler")(), "100ba", None, 1.0,
                            lrcore.linear(1.0, 0.0, 100), 120)
    c["linear-up"] = (lambda: composer("LinearScheduler")(alpha_i=0.2, alpha_f=1.0, t_max="3ep"), "10ep", 10, 1.0,
                      lrcore.linear(0.2, 1.0, 30), 100)
    c["exponential-1ep"] = (lambda: composer("ExponentialScheduler")(0.95), "40ep", 5, 1.0,
                            lrcore.exponential_decay(1.0, 5, 0.95), 200)
    c["exponential-7ba"] = (lambda: composer("ExponentialScheduler")(0.8, decay_period="7ba"), "150ba", None, 1.0,
                            lrcore.exponential_decay(1.0, 7, 0.8), 150)
    c["cosine-defaults"] = (lambda: composer("CosineAnnealingScheduler")(), "100ba", None, 1.0,
                            lrcore.cosine_decay(1.0, 100), 120)
    c["cosine-alpha_f-ep"] = (lambda: composer("CosineAnnealingScheduler")(t_max="4ep", alpha_f=0.1), "4ep", 13, 1.0,
                              lrcore.cosine_decay(1.0, 52, end_value=0.1), 60)
    c["cosine-ssr"] = (lambda: composer("CosineAnnealingScheduler")(t_max="60ba", alpha_f=0.05), "60ba", None, 1.5,
                       lrcore.cosine_decay(1.0, 90, end_value=0.05), 100)
    for t_0, t_mult, alpha_f in ((10, 1.0, 0.0), (7, 2.0, 0.1), (5, 3.0, 0.0)):
        c[f"warm_restarts-{t_0}-{t_mult}-{alpha_f}"] = (
            lambda t_0=t_0, t_mult=t_mult, alpha_f=alpha_f: composer("CosineAnnealingWarmRestartsScheduler")(
                f"{t_0}ba", t_mult=t_mult, alpha_f=alpha_f), "400ba", None, 1.0,
            lrcore.cosine_restart(1.0, t_0, period_mul=t_mult, end_value=alpha_f), 400)
    # A fractional t_mult: Composer's periods are whole batches, each int(t_mult · the previous one)
    # (10, 15, 22, 33, 49, ...; 25, 28, 32, 37, ... for 1.16): cosine cycles of those lengths.
    for t_0, t_mult in ((10, 1.5), (25, 1.16)):
        c[f"warm_restarts-{t_0}-{t_mult}"] = (
            lambda t_0=t_0, t_mult=t_mult: composer("CosineAnnealingWarmRestartsScheduler")(
                f"{t_0}ba", t_mult=t_mult, alpha_f=0.02), "300ba", None, 1.0,
            cosine_periods(_composer_restart_lengths(t_0, t_mult, 300), 0.02), 300)
    c["polynomial"] = (lambda: composer("PolynomialScheduler")(2.0), "100ba", None, 1.0,
                       lrcore.polynomial_decay(1.0, 0.0, 100, power=2.0), 120)
    c["polynomial-sqrt-alpha_f"] = (lambda: composer("PolynomialScheduler")(0.5, t_max="70ba", alpha_f=0.1), "200ba",
                                    None, 1.0, lrcore.polynomial_decay(1.0, 0.1, 70, power=0.5), 100)
    # -- with warmup: a linear warmup 0 -> 1 (or -> alpha_i) over t_warmup, then the curve, which counts
    # t_max from step 0 (its decay lasts t_max - t_warmup)
    c["multistep_warmup"] = (
        lambda: composer("MultiStepWithWarmupScheduler")("5ba", ["20ba", "40ba"], gamma=0.5), "60ba", None, 1.0,
        lrcore.join([lrcore.linear(0.0, 1.0, 5), staircase([20, 40], 0.5, offset=5)], [5]), 60)
    c["multistep_warmup-milestone_inside"] = (
        lambda: composer("MultiStepWithWarmupScheduler")("1ep", ["4ba", "3ep"], gamma=0.1), "5ep", 8, 1.0,
        lrcore.join([lrcore.linear(0.0, 1.0, 8), staircase([4, 24], 0.1, offset=8)], [8]), 40)
    c["constant_warmup"] = (lambda: composer("ConstantWithWarmupScheduler")("10ba", alpha=0.5), "50ba", None, 1.0,
                            lrcore.warmup(lrcore.constant(0.5), 10), 60)
    c["linear_warmup"] = (
        lambda: composer("LinearWithWarmupScheduler")("10ba", alpha_i=1.0, alpha_f=0.1), "100ba", None, 1.0,
        lrcore.warmup(lrcore.linear(1.0, 0.1, 90), 10), 120)
    c["linear_warmup-defaults-ep"] = (
        lambda: composer("LinearWithWarmupScheduler")("2ep"), "10ep", 6, 1.0,
        lrcore.warmup(lrcore.linear(1.0, 0.0, 48), 12), 70)
    c["cosine_warmup"] = (
        lambda: composer("CosineAnnealingWithWarmupScheduler")("0.1dur", alpha_f=0.05), "200ba", None, 1.0,
        lrcore.warmup_cosine_decay(0.0, 1.0, 20, 200, end_value=0.05), 220)
    c["cosine_warmup-ssr"] = (
        lambda: composer("CosineAnnealingWithWarmupScheduler")("10ba", t_max="100ba"), "100ba", None, 2.0,
        lrcore.warmup_cosine_decay(0.0, 1.0, 10, 200), 220)
    c["polynomial_warmup"] = (lambda: composer("PolynomialWithWarmupScheduler")("8ba"), "100ba", None, 1.0,
                              lrcore.warmup(lrcore.polynomial_decay(1.0, 0.0, 92, power=2.0), 8), 120)
    c["polynomial_warmup-power"] = (
        lambda: composer("PolynomialWithWarmupScheduler")("3ep", power=0.5, alpha_f=0.2), "20ep", 4, 1.0,
        lrcore.warmup(lrcore.polynomial_decay(1.0, 0.2, 68, power=0.5), 12), 90)
    return c


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_scheduler(name):
    make, max_duration, dataloader_len, ssr, schedule, n = CASES[name]
    want = composer_values(make(), n, max_duration, dataloader_len, ssr=ssr)
    assert_ulp_close(schedule(np.arange(n)), want, 64, ULPS, context=name)
    assert len(set(want)) > 1 or name == "constant-defaults"


def test_cosine_restarts_truncate_periods():
    """Composer's documented cycle ``i`` lasts ``t_0 · t_mult**i``; it computes each length as
    ``int(t_mult · previous length)``. With ``t_0=25, t_mult=1.16`` the float64 product ``1.16 · 25``
    is 28.999999999999996, truncated to 28: the second cycle anneals over 28 batches instead of 29
    and the third starts at batch 53, not 54 (later lengths compound the truncation). lrcore's
    ``cosine_restart`` follows the documented formula (checked against mpmath) over the first three
    cycles, whose starts 0, 25 and 54 are whole batches (steps 0..87); Composer departs from it in
    its second cycle."""
    t_0, t_mult, n = 25, 1.16, 88
    assert 1.16 * 25 < 29 and int(1.16 * 25) == 28
    want = composer_values(composer("CosineAnnealingWarmRestartsScheduler")(f"{t_0}ba", t_mult=t_mult), n, "300ba")
    m = mpmath.mpf(t_mult)  # the float64 t_mult, exactly

    def documented(t):  # alpha(t) = (1 + cos(pi · tau_i)) / 2, tau_i as Composer's docstring defines it
        with mpmath.workdps(40):
            start, i = mpmath.mpf(0), 0
            while start + t_0 * m**i <= t:
                start += t_0 * m**i
                i += 1
            return float((1 + mpmath.cos(mpmath.pi * (t - start) / (t_0 * m**i))) / 2)

    exact = np.array([documented(t) for t in range(n)])
    ours = lrcore.cosine_restart(1.0, t_0, period_mul=t_mult)(np.arange(n))
    assert_ulp_close(ours, exact, 64, ULPS)
    assert_ulp_close(want[:26], exact[:26], 64, ULPS)  # the first cycle and the first restart agree
    assert np.max(np.abs(want[26:53] - exact[26:53])) > 0.01  # the second cycle is too short
    assert want[53] == 1.0 and exact[53] < 0.01  # and Composer restarts one batch early


def test_scale_warmup_scales_the_slope_not_the_end():
    """With ``scale_warmup=True`` a scale schedule ratio σ "also scales the warmup period": the
    documented curve is ``alpha(t / σ)``, a warmup over σ·t_warmup batches. Composer scales the
    warmup's slope (``LinearScheduler(0, 1, t_warmup)`` called with σ) but still ends it at the
    unscaled ``t_warmup``: with σ = 2 and 10 warmup batches it climbs to 0.45 over 10 batches and
    jumps to 1 (the same in every ``*WithWarmupScheduler``). What Composer computes is
    ``join([linear(0, 0.5, 10), cosine_decay(1, 190)], [10])``; the documented curve (checked
    against mpmath) is lrcore's ``warmup_cosine_decay(0, 1, 20, 200)``."""
    n = 220
    make = composer("CosineAnnealingWithWarmupScheduler")("10ba", t_max="100ba", scale_warmup=True)
    want = composer_values(make, n, "100ba", ssr=2.0)
    assert_ulp_close(lrcore.join([lrcore.linear(0.0, 0.5, 10), lrcore.cosine_decay(1.0, 190)], [10])(np.arange(n)),
                     want, 64, ULPS)

    def documented(t):  # alpha(t / 2) of the unscaled curve: warmup over 10, cosine over 90
        with mpmath.workdps(40):
            u = mpmath.mpf(t) / 2
            return float(u / 10 if u < 10 else (1 + mpmath.cos(mpmath.pi * min(u - 10, 90) / 90)) / 2)

    exact = np.array([documented(t) for t in range(n)])
    assert_ulp_close(lrcore.warmup_cosine_decay(0.0, 1.0, 20, 200)(np.arange(n)), exact, 64, ULPS)
    assert want[9] == 0.45 and want[10] == 1.0 and exact[10] == 0.5


def test_duration_fractions_truncate():
    """``_convert_time`` turns a duration into batches with ``int(fraction · max_duration)``:
    ``0.29 · 100`` is 28.999999999999996 in float64, so ``t_max="0.29dur"`` of 100 batches is 28
    batches. The documented curve ends at 0.29 of the training, batch 29: lrcore's
    ``cosine_decay(1, 29)`` gives it (checked against mpmath), Composer reaches 0 one batch early."""
    assert 0.29 * 100 < 29
    want = composer_values(composer("CosineAnnealingScheduler")("0.29dur"), 40, "100ba")
    with mpmath.workdps(40):
        exact = np.array([float((1 + mpmath.cos(mpmath.pi * min(t, 29) / 29)) / 2) for t in range(40)])
    assert_ulp_close(lrcore.cosine_decay(1.0, 29)(np.arange(40)), exact, 64, ULPS)
    assert_ulp_close(lrcore.cosine_decay(1.0, 28)(np.arange(40)), want, 64, ULPS)  # what Composer computes
    assert want[28] == 0.0 and exact[28] > 0.002


#: Times in samples or tokens: ``{name: (make, max_duration, samples_per_batch, tokens_per_batch,
#: the lrcore schedule in samples or tokens, n)}``; at batch ``k`` Composer's timestamp holds ``k·B``.
FINE = {
    "multistep-sp": (lambda: composer("MultiStepScheduler")(["100sp", "101sp", "250sp"], gamma=0.5), "1000sp", 50,
                     0, lrcore.piecewise_constant([100, 101, 250], [1.0, 0.5, 0.25, 0.125]), 20),
    "cosine_warmup-tok": (lambda: composer("CosineAnnealingWithWarmupScheduler")("500tok", alpha_f=0.1), "50000tok",
                          0, 128, lrcore.warmup_cosine_decay(0.0, 1.0, 500, 50000, end_value=0.1), 420),
    "linear-sp": (lambda: composer("LinearScheduler")(alpha_i=1.0, alpha_f=0.2, t_max="3000sp"), "3000sp", 24, 0,
                  lrcore.linear(1.0, 0.2, 3000), 140),
    "step-sp": (lambda: composer("StepScheduler")("1000sp", gamma=0.5), "32000sp", 33, 0,
                lrcore.exponential_decay(1.0, 1000, 0.5, staircase=True), 1000),
}


@pytest.mark.parametrize("name", sorted(FINE))
def test_samples_and_tokens_are_a_stride(name):
    """A Composer schedule in samples (tokens) at batch ``k`` is ``stride(the schedule, B)`` at ``k``."""
    make, max_duration, spb, tpb, schedule, n = FINE[name]
    want = composer_values(make(), n, max_duration, samples_per_batch=spb, tokens_per_batch=tpb)
    assert_ulp_close(lrcore.stride(schedule, spb or tpb)(np.arange(n)), want, 64, ULPS, context=name)
    assert len(set(want.tolist())) > 1


def test_trainer_applies_each_value_one_batch_late():
    """Composer's Trainer steps its schedulers before it advances the timestamp (its train loop, read
    from the installed ``composer/trainer/trainer.py``): the compiled ``LambdaLR`` evaluates the
    scheduler at the batch just trained, so batch ``k >= 1`` trains at the value for batch ``k - 1``.
    The lrs it applies are ``shift(from_composer(...), -1)``; ``from_composer`` itself gives batch
    ``k`` the scheduler's value at ``k``, as Composer defines it."""
    import torch

    from tests.peers import ComposerState, _installed_package_dir, composer_time_module

    source = Path(_installed_package_dir("composer"), "trainer", "trainer.py").read_text()
    loop = source[source.index("def _train_loop"):]
    stepped = loop.index("scheduler.step()")
    advanced = loop.index("self.state.timestamp = self.state.timestamp.to_next_batch(")
    assert stepped < advanced, "Composer's Trainer now advances the timestamp before stepping its schedulers"

    make = lambda: composer("CosineAnnealingWithWarmupScheduler")("10ba", alpha_f=0.1)  # noqa: E731
    time = composer_time_module()
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    state = ComposerState(time.Timestamp(), time.Time.from_timestring("100ba"))
    state.optimizers = [opt]
    compiled = composer_scheduler_module().compile_composer_scheduler(make(), state)
    applied = []
    for _ in range(120):  # the trainer's order: train the batch, step the scheduler, advance the time
        applied.append(opt.param_groups[0]["lr"])
        opt.step()
        compiled.step()
        state.timestamp = state.timestamp.to_next_batch(samples=1, tokens=0)
    schedule = lrcore.shift(lrcore.from_composer(make(), "100ba", lr=0.1), -1)
    assert_ulp_close(schedule(np.arange(120)), np.asarray(applied), 64, ULPS, context="trainer order")
    assert applied[0] == applied[1] != applied[2]
