"""``lrcore.from_composer`` against Composer's real schedulers (``composer/optim/scheduler.py``, loaded
unmodified by ``tests.peers``), value by value: the multiplier at batch ``k`` as the trainer advances
the timestamp. Composer computes in Python floats: ``ULPS`` float64 ulp of the largest value.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import lrcore
from tests.helpers import assert_ulp_close
from tests.peers import composer_scheduler_module, composer_time_module, composer_values

ULPS = 16


def composer(name: str):
    return getattr(composer_scheduler_module(), name)


# name: (make the scheduler, max_duration, steps_per_epoch, ssr, batches compared)
CASES = {
    "step": (lambda: composer("StepScheduler")("10ba", gamma=0.5), "100ba", None, 1.0, 100),
    "step-ep": (lambda: composer("StepScheduler")("3ep"), "12ep", 7, 1.0, 84),
    "step-dur-ssr": (lambda: composer("StepScheduler")("0.25dur", gamma=0.7), "80ba", None, 0.5, 80),
    "step-ssr": (lambda: composer("StepScheduler")("8ba", gamma=0.7), "80ba", None, 1.5, 80),
    "multistep": (lambda: composer("MultiStepScheduler")(["10ba", "25ba", "60ba"]), "100ba", None, 1.0, 100),
    "multistep-ep": (lambda: composer("MultiStepScheduler")(["2ep", "5ep"], gamma=0.5), "8ep", 9, 1.0, 72),
    "constant": (lambda: composer("ConstantScheduler")(alpha=0.3, t_max="40ba"), "100ba", None, 1.0, 100),
    "linear": (lambda: composer("LinearScheduler")(), "100ba", None, 1.0, 120),
    "linear-up-ep": (lambda: composer("LinearScheduler")(alpha_i=0.2, alpha_f=1.0, t_max="3ep"), "10ep", 10, 1.0, 100),
    "exponential-ep": (lambda: composer("ExponentialScheduler")(0.95), "40ep", 5, 1.0, 200),
    "exponential-ba": (lambda: composer("ExponentialScheduler")(0.8, decay_period="7ba"), "150ba", None, 1.0, 150),
    "cosine": (lambda: composer("CosineAnnealingScheduler")(), "100ba", None, 1.0, 120),
    "cosine-ep": (lambda: composer("CosineAnnealingScheduler")(t_max="4ep", alpha_f=0.1), "4ep", 13, 1.0, 60),
    "cosine-ssr": (lambda: composer("CosineAnnealingScheduler")(t_max="60ba", alpha_f=0.05), "60ba", None, 1.5, 100),
    "restarts": (lambda: composer("CosineAnnealingWarmRestartsScheduler")("10ba"), "400ba", None, 1.0, 400),
    "restarts-mult": (lambda: composer("CosineAnnealingWarmRestartsScheduler")("7ba", t_mult=2.0, alpha_f=0.1),
                      "400ba", None, 1.0, 400),
    "polynomial": (lambda: composer("PolynomialScheduler")(2.0), "100ba", None, 1.0, 120),
    "polynomial-sqrt": (lambda: composer("PolynomialScheduler")(0.5, t_max="70ba", alpha_f=0.1), "200ba", None, 1.0, 100),
    "multistep_warmup": (lambda: composer("MultiStepWithWarmupScheduler")("5ba", ["20ba", "40ba"], gamma=0.5),
                         "60ba", None, 1.0, 60),
    "multistep_warmup-inside": (lambda: composer("MultiStepWithWarmupScheduler")("1ep", ["4ba", "3ep"], gamma=0.1),
                                "5ep", 8, 1.0, 40),
    "constant_warmup": (lambda: composer("ConstantWithWarmupScheduler")("10ba", alpha=0.5), "50ba", None, 1.0, 60),
    "linear_warmup": (lambda: composer("LinearWithWarmupScheduler")("10ba", alpha_i=1.0, alpha_f=0.1), "100ba", None,
                      1.0, 120),
    "linear_warmup-ep": (lambda: composer("LinearWithWarmupScheduler")("2ep"), "10ep", 6, 1.0, 70),
    "cosine_warmup": (lambda: composer("CosineAnnealingWithWarmupScheduler")("0.1dur", alpha_f=0.05), "200ba", None,
                      1.0, 220),
    "cosine_warmup-ssr": (lambda: composer("CosineAnnealingWithWarmupScheduler")("10ba", t_max="100ba"), "100ba",
                          None, 2.0, 220),
    "polynomial_warmup": (lambda: composer("PolynomialWithWarmupScheduler")("8ba"), "100ba", None, 1.0, 120),
    "polynomial_warmup-ep": (lambda: composer("PolynomialWithWarmupScheduler")("3ep", power=0.5, alpha_f=0.2), "20ep",
                             4, 1.0, 90),
    # t_max not past the warmup (a warmup over the whole run): the decay's first value, held after it
    "cosine_warmup-whole-run": (lambda: composer("CosineAnnealingWithWarmupScheduler")("1dur", t_max="1dur"), "40ba",
                                None, 1.0, 60),
    "linear_warmup-whole-run": (lambda: composer("LinearWithWarmupScheduler")("50ba", alpha_i=0.5, t_max="40ba"),
                                "40ba", None, 1.0, 70),
    "polynomial_warmup-whole-run": (lambda: composer("PolynomialWithWarmupScheduler")("2ep", t_max="1dur"), "2ep", 9,
                                    1.0, 30),
}


# Times in samples or tokens, B per batch: name: (make the scheduler, max_duration, steps_per_epoch, ssr,
# samples_per_batch, tokens_per_batch, batches compared)
FINE_CASES = {
    "step-sp": (lambda: composer("StepScheduler")("1000sp", gamma=0.5), "32000sp", None, 1.0, 32, None, 1000),
    "multistep-sp-ep-ba": (lambda: composer("MultiStepScheduler")(["1000sp", "3ep", "90ba"], gamma=0.5), "10ep", 20,
                           1.0, 24, None, 200),
    "cosine_warmup-tok": (lambda: composer("CosineAnnealingWithWarmupScheduler")("500tok", t_max="1dur", alpha_f=0.1),
                          "50000tok", None, 1.0, None, 128, 420),
    "linear_warmup-dur-sp": (lambda: composer("LinearWithWarmupScheduler")("0.1dur", alpha_f=0.0), "10000sp", None,
                             1.0, 30, None, 350),
    "restarts-sp": (lambda: composer("CosineAnnealingWarmRestartsScheduler")("1000sp", t_mult=2.0), "40000sp", None,
                    1.0, 24, None, 1000),
    "cosine-sp-ssr": (lambda: composer("CosineAnnealingScheduler")(t_max="7000sp"), "7000sp", None, 1.5, 16, None, 700),
    "exponential-sp-max-ba": (lambda: composer("ExponentialScheduler")(0.9, decay_period="100sp"), "1000ba", None, 1.0,
                              7, None, 300),
    "polynomial_warmup-tok": (lambda: composer("PolynomialWithWarmupScheduler")("300tok", power=2.0), "6000tok", None,
                              1.0, None, 50, 130),
    "constant_warmup-sp": (lambda: composer("ConstantWithWarmupScheduler")("100sp", alpha=0.5, t_max="1dur"), "1000sp",
                           None, 1.0, 16, None, 80),
    "step-ba-max-tok": (lambda: composer("StepScheduler")("10ba", gamma=0.5), "100000tok", None, 1.0, None, 1000, 60),
    "multistep-sp-not-multiple": (lambda: composer("MultiStepScheduler")(["100sp", "101sp", "250sp"], gamma=0.5),
                                  "1000sp", None, 1.0, 50, None, 20),
}


@pytest.mark.parametrize("case", sorted(FINE_CASES))
def test_samples_and_tokens_match_composer(case):
    """A schedule in samples (tokens), evaluated at ``B·k`` at batch ``k``: Composer's multiplier
    with the timestamp's sample (token) count advanced by ``B`` each batch."""
    make, max_duration, spe, ssr, spb, tpb, n = FINE_CASES[case]
    scheduler = make()
    s = lrcore.from_composer(scheduler, max_duration, spe, ssr=ssr, samples_per_batch=spb, tokens_per_batch=tpb)
    assert s.name == "stride" and s.params["units_per_step"] == (spb or tpb)
    want = composer_values(scheduler, n, max_duration, spe, ssr=ssr, samples_per_batch=spb or 0,
                           tokens_per_batch=tpb or 0)
    assert_ulp_close(s(np.arange(n)), want, 64, ULPS, context=f"{case}: {s!r}")
    assert len(set(want.tolist())) > 1


def test_samples_mixed_with_batches_and_epochs():
    """Batch and epoch times become ``B`` samples a batch: milestones at 1000 samples, 3 epochs of 20
    batches (1440 samples) and 90 batches (2160 samples)."""
    s = lrcore.from_composer(composer("MultiStepScheduler")(["1000sp", "3ep", "90ba"], gamma=0.5), "10ep", 20,
                             samples_per_batch=24)
    assert s == lrcore.stride(lrcore.piecewise_constant([1000, 1440, 2160], [1.0, 0.5, 0.25, 0.125]), 24)
    # the first batch past 1000 samples: ceil(1000 / 24) = 42
    assert float(s(41)) == 1.0 and float(s(42)) == 0.5


def test_samples_and_tokens_refusals():
    with pytest.raises(ValueError, match="in samples .*pass `samples_per_batch`.*samples_per_batch=None"):
        lrcore.from_composer(composer("StepScheduler")("100sp"), "100ba")
    with pytest.raises(ValueError, match="in tokens .*pass `tokens_per_batch`.*tokens_per_batch=None"):
        lrcore.from_composer(composer("StepScheduler")("1ba"), "100tok", samples_per_batch=8)
    with pytest.raises(ValueError, match="both samples .* and tokens"):
        lrcore.from_composer(composer("MultiStepScheduler")(["100sp", "1000tok"]), "100ba", samples_per_batch=8,
                             tokens_per_batch=64)
    for bad, error in [(0, ValueError), (-4, ValueError), (2.5, ValueError), (True, TypeError), ("8", TypeError)]:
        with pytest.raises(error, match="samples_per_batch"):
            lrcore.from_composer(composer("StepScheduler")("100sp"), "1000sp", samples_per_batch=bad)
        with pytest.raises(error, match="tokens_per_batch"):
            lrcore.from_composer(composer("StepScheduler")("10ba"), "100ba", tokens_per_batch=bad)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_composer(case):
    make, max_duration, spe, ssr, n = CASES[case]
    scheduler = make()
    s = lrcore.from_composer(scheduler, max_duration, spe, ssr=ssr)
    want = composer_values(scheduler, n, max_duration, spe, ssr=ssr)
    assert_ulp_close(s(np.arange(n)), want, 64, ULPS, context=f"{case}: {s!r}")
    assert len(set(want.tolist())) > 1


def test_lr_scales_the_multiplier_and_times_may_be_composer_time_objects():
    time = composer_time_module()
    scheduler = composer("CosineAnnealingWithWarmupScheduler")(time.Time(10, time.TimeUnit.BATCH), alpha_f=0.1)
    s = lrcore.from_composer(scheduler, time.Time.from_timestring("100ba"), lr=0.3)
    want = 0.3 * composer_values(scheduler, 110, "100ba")
    assert_ulp_close(s(np.arange(110)), want, 64, ULPS)


def test_truncated_restart_periods_warn_and_give_the_documented_periods():
    """Composer makes each period ``int(t_mult · previous)``: ``25 · 1.16`` is 28.999999999999996 in
    float64, so its second cycle lasts 28 batches. lrcore warns and follows the documented real
    periods (``cosine_restart(..., whole_periods=False)``: the second restart at the first batch at
    or past 25 + 28.999999999999996), which Composer agrees with over the first cycle."""
    scheduler = composer("CosineAnnealingWarmRestartsScheduler")("25ba", t_mult=1.16)
    with pytest.warns(UserWarning, match="period 1 lasts 28 batches instead of t_0·t_mult\\*\\*1 = 28.99999"):
        s = lrcore.from_composer(scheduler, "300ba")
    assert s == lrcore.cosine_restart(1.0, 25, period_mul=1.16, whole_periods=False)
    want = composer_values(scheduler, 88, "300ba")
    assert_ulp_close(s(np.arange(26)), want[:26], 64, ULPS)
    assert want[53] == 1.0 and s(53) < 0.01  # Composer restarts a batch early


def test_real_restart_periods_follow_the_documented_formula():
    """``t_mult=1.5`` from 10 batches: documented cycles of 10, 15, 22.5, 33.75 batches (Composer's
    ``int`` makes them 10, 15, 22, 33). lrcore warns and gives the documented
    ``alpha_f + (1 - alpha_f)·½(1 + cos(π·τ_i))``, ``τ_i = (t - S_i)/(10·1.5**i)``; Composer agrees
    over the first two cycles."""
    scheduler = composer("CosineAnnealingWarmRestartsScheduler")("10ba", t_mult=1.5, alpha_f=0.1)
    with pytest.warns(UserWarning, match="period 2 lasts 22 batches instead of t_0·t_mult\\*\\*2 = 22.5"):
        s = lrcore.from_composer(scheduler, "100ba")
    want = []
    for t in range(100):  # the documented formula, cycle by cycle in exact fractions
        start, length = Fraction(0), Fraction(10)
        while start + length <= t:
            start, length = start + length, length * Fraction(3, 2)
        tau = (t - start) / length
        want.append(0.1 + 0.9 * float((1 + mpmath.cos(mpmath.pi * mpmath.mpf(tau.numerator) / tau.denominator)) / 2))
    assert_ulp_close(s(np.arange(100)), want, 64, ULPS)
    assert_ulp_close(s(np.arange(25)), composer_values(scheduler, 25, "100ba"), 64, ULPS)


def test_truncated_duration_warns_and_gives_the_documented_length():
    """``0.29dur`` of 100 batches is 29 batches; Composer's ``int(0.29 · 100)`` is 28."""
    scheduler = composer("CosineAnnealingScheduler")("0.29dur")
    with pytest.warns(UserWarning, match="0.29dur.*29 batches, which Composer's float arithmetic truncates to 28"):
        s = lrcore.from_composer(scheduler, "100ba")
    assert s == lrcore.cosine_decay(1.0, 29)


def test_scaled_warmup_warns_and_gives_the_documented_warmup():
    """With ``scale_warmup=True`` and ssr 2 Composer scales the warmup's slope but ends it at the
    unscaled 10 batches; the documented warmup lasts 20."""
    scheduler = composer("CosineAnnealingWithWarmupScheduler")("10ba", t_max="100ba", scale_warmup=True)
    with pytest.warns(UserWarning, match="scale_warmup=True and ssr=2.0.*instead of the documented 20"):
        s = lrcore.from_composer(scheduler, "100ba", ssr=2.0)
    assert s == lrcore.warmup_cosine_decay(0.0, 1.0, 20, 200)


def test_refuses():
    with pytest.raises(ValueError, match="the scheduler LambdaScheduler|from_composer knows"):
        lrcore.from_composer(type("LambdaScheduler", (), {})(), "10ba")
    with pytest.raises(ValueError, match="pass `steps_per_epoch`"):
        lrcore.from_composer(composer("StepScheduler")("1ep"), "10ep")
    with pytest.raises(ValueError, match="max_duration in 'sec'"):
        lrcore.from_composer(composer("StepScheduler")("1ba"), "100sec")
    with pytest.raises(ValueError, match="must be a time such as"):
        lrcore.from_composer(composer("StepScheduler")("ten batches"), "10ba")
