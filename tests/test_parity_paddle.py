"""Value-by-value parity with PaddlePaddle's schedulers (``paddle.optimizer.lr``).

Paddle runs in a process of its own (its native libraries and TensorFlow's crash when loaded
together): ``tests.peers.paddle_values`` runs every configuration of this file in one child process.
A Paddle scheduler is used as its users use it: ``scheduler()`` is the learning rate of the current
step (``last_lr``), and ``scheduler.step()`` (``step(metric)`` for ``ReduceOnPlateau``) moves to the
next, so the value after ``n`` calls is lrcore's value at step ``n``.

Paddle computes in Python floats. Tolerances, in float64 ulp of the curve's largest value:
- closed forms (most schedulers): ``ULPS``;
- chained ones (``CosineAnnealingDecay``, ``LinearLR``, ``MultiplicativeDecay`` compute lr_n from
  lr_{n-1}): ``ULPS + PER_STEP`` per step taken;
- ``NaturalExpDecay`` is ``exponential_decay`` with the rate ``exp(-gamma)``, a rounded float: the
  rounding is amplified by the step count, at most ``1/(e·gamma)`` ulp of the peak;
- ``CyclicLR`` as torch's ``CyclicLR`` (the same formula): its error grows with the cycle count.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrcore
from tests.helpers import assert_ulp_close
from tests.peers import paddle_values, plateau_loss, restart_steps

ULPS = 16
PER_STEP = 1
LR = 0.4


def chained(n: int) -> float:
    return ULPS + PER_STEP * n


def periodic_cosine(lr, t_max, eta_min, periods):
    """``eta_min + (lr - eta_min)·(1 + cos(π k / T))/2`` for every ``k`` (the cosine rebounds after
    ``T``, as Paddle's and torch's ``CosineAnnealing`` do): a cosine decay, then ``periods`` times a
    cosine rise and a cosine decay (``warmup_stable_decay`` with cosine shapes and no stable phase)."""
    rise_and_fall = lrcore.warmup_stable_decay(lr, warmup_steps=t_max, stable_steps=0, decay_steps=t_max,
                                               end_value=eta_min, init_value=eta_min,
                                               warmup_shape="cosine", decay_shape="cosine")
    return lrcore.join([lrcore.cosine_decay(lr, t_max, end_value=eta_min)] + [rise_and_fall] * periods,
                       [t_max + 2 * t_max * i for i in range(periods)])


def spec(scheduler, n, **kwargs):
    return {"scheduler": scheduler, "kwargs": kwargs, "n": n}


def _cases() -> dict:
    """``{name: (paddle spec, lrcore schedule, ulps)}``; the spec runs ``n`` steps."""
    c = {}
    # NoamDecay(d_model, warmup_steps, lr): lr·d**-0.5·min(k**-0.5, k·W**-1.5), 0 at step 0: noam,
    # which is inverse_sqrt with peak lr·(d·W)**-0.5 at step W and timescale W.
    for d_model, w, lr in ((512, 4000, 1.0), (64, 10, 2.0), (1024, 1, 0.5), (16, 37, 0.4), (768, 250, 3.0)):
        c[f"noam-{d_model}-{w}"] = (spec("NoamDecay", w + 400, d_model=d_model, warmup_steps=w, learning_rate=lr),
                                    lrcore.noam(d_model, w, scale=lr), ULPS)
        c[f"noam-as-inverse_sqrt-{d_model}-{w}"] = (
            spec("NoamDecay", w + 400, d_model=d_model, warmup_steps=w, learning_rate=lr),
            lrcore.inverse_sqrt(lr * (d_model * w) ** -0.5, w, timescale=w), ULPS)
    for bounds, values in (([10, 25, 60], [1.0, 0.5, 0.1, 0.01]), ([0, 7], [3.0, 2.0, 1.0])):
        c[f"piecewise-{bounds}"] = (spec("PiecewiseDecay", 100, boundaries=bounds, values=values),
                                    lrcore.piecewise_constant(bounds, values), ULPS)
    for gamma in (0.5, 0.1, 0.01):
        c[f"natural_exp-{gamma}"] = (spec("NaturalExpDecay", 400, learning_rate=LR, gamma=gamma),
                                     lrcore.exponential_decay(LR, 1, math.exp(-gamma)), ULPS + 1 / (math.e * gamma))
    for gamma in (0.1, 0.5, 2.0):
        c[f"inverse_time-{gamma}"] = (spec("InverseTimeDecay", 300, learning_rate=LR, gamma=gamma),
                                      lrcore.inverse_time_decay(LR, 1, gamma), ULPS)
    for t, end, power, cycle in ((50, 1e-4, 1.0, False), (40, 0.0, 2.0, False), (30, 0.01, 0.5, True),
                                 (17, 1e-4, 1.0, True)):
        c[f"polynomial-{t}-{power}-{cycle}"] = (
            spec("PolynomialDecay", 200, learning_rate=LR, decay_steps=t, end_lr=end, power=power, cycle=cycle),
            lrcore.polynomial_decay(LR, end, t, power=power, cycle=cycle), ULPS)
    # LinearWarmup(learning_rate=<float or scheduler>, W, start_lr, end_lr): a ramp start -> end over
    # W steps, then the inner schedule (stepped to k - W, closed form), whatever its start value.
    c["linear_warmup-float"] = (spec("LinearWarmup", 60, learning_rate=LR, warmup_steps=10, start_lr=0.0, end_lr=LR),
                                lrcore.warmup(lrcore.constant(LR), 10, init_value=0.0), ULPS)
    inner = {
        "cosine": (spec("CosineAnnealingDecay", 0, learning_rate=LR, T_max=50, eta_min=0.01), 5, 0.01, LR,
                   periodic_cosine(LR, 50, 0.01, 2)),
        "polynomial": (spec("PolynomialDecay", 0, learning_rate=LR, decay_steps=30, end_lr=0.001, power=2.0), 8, 0.0,
                       0.2, lrcore.polynomial_decay(LR, 0.001, 30, power=2.0)),
        "step": (spec("StepDecay", 0, learning_rate=LR, step_size=10, gamma=0.5), 5, 0.0, LR,
                 lrcore.exponential_decay(LR, 10, 0.5, staircase=True)),
    }
    for name, (inner_spec, w, start, end, after) in inner.items():
        inner_spec.pop("n")
        c[f"linear_warmup-{name}"] = (
            {**spec("LinearWarmup", 250, warmup_steps=w, start_lr=start, end_lr=end), "inner": inner_spec},
            lrcore.join([lrcore.linear(start, end, w), after], [w]), ULPS)
    for gamma in (0.9, 0.99, 0.5):
        c[f"exponential-{gamma}"] = (spec("ExponentialDecay", 300, learning_rate=LR, gamma=gamma),
                                     lrcore.exponential_decay(LR, 1, gamma), ULPS)
    for milestones, gamma in (([30, 60, 90], 0.1), ([5, 6, 50], 0.5)):
        c[f"multistep-{milestones}"] = (spec("MultiStepDecay", 120, learning_rate=LR, milestones=milestones, gamma=gamma),
                                        lrcore.piecewise_constant(milestones, [LR * gamma**i for i in range(4)]), ULPS)
    for size, gamma in ((30, 0.1), (7, 0.5), (1, 0.9)):
        c[f"step-{size}-{gamma}"] = (spec("StepDecay", 150, learning_rate=LR, step_size=size, gamma=gamma),
                                     lrcore.exponential_decay(LR, size, gamma, staircase=True), ULPS)
    lambdas = {
        "lambda k: 0.95 ** k": lrcore.exponential_decay(LR, 1, 0.95),
        "lambda k: 1.0 / (1.0 + 0.05 * k)": lrcore.inverse_time_decay(LR, 1, 0.05),
        "lambda k: min(1.0, (k + 1) / 10)": lrcore.linear(0.1 * LR, LR, 9),
        "lambda k: 0.5 * (1 + math.cos(math.pi * min(k, 100) / 100))": lrcore.cosine_decay(LR, 100),
    }
    for source, s in lambdas.items():
        c[f"lambda-{source}"] = ({**spec("LambdaDecay", 150, learning_rate=LR), "lr_lambda": source}, s, ULPS)
    multiplicative = {
        "lambda e: 0.95": lrcore.exponential_decay(LR, 1, 0.95),
        "lambda e: 0.5 if e % 10 == 0 else 1.0": lrcore.exponential_decay(LR, 10, 0.5, staircase=True),
    }
    for source, s in multiplicative.items():
        c[f"multiplicative-{source}"] = (
            {**spec("MultiplicativeDecay", 150, learning_rate=LR), "lr_lambda": source}, s, chained(150))
    # CosineAnnealingDecay steps its recursive form (lr_n from lr_{n-1}); it rebounds after T_max.
    for t_max, eta_min in ((50, 0.0), (37, 0.02)):
        c[f"cosine-{t_max}-{eta_min}"] = (spec("CosineAnnealingDecay", 5 * t_max + 1, learning_rate=LR, T_max=t_max,
                                               eta_min=eta_min),
                                          periodic_cosine(LR, t_max, eta_min, 2), chained(5 * t_max + 1))
    # OneCycleLR ends at an absolute end_learning_rate: lrcore's final_value (0 included), or
    # final_div_factor = (peak/div)/end (that quotient is rounded: within the tolerance too).
    for total, pct, anneal, three, end in ((100, 0.3, "cos", False, 1e-3), (257, 0.25, "linear", False, 1e-3),
                                           (200, 0.3, "cos", True, 1e-3), (333, 0.37, "linear", True, 1e-3),
                                           (101, 0.1, "cos", False, 1e-3), (120, 0.3, "cos", False, 0.0),
                                           (90, 0.2, "linear", True, 0.0), (64, 0.4, "cos", False, 0.5)):
        peak, div = 0.8, 20.0
        paddle_spec = spec("OneCycleLR", total, max_learning_rate=peak, total_steps=total, divide_factor=div,
                           end_learning_rate=end, phase_pct=pct, anneal_strategy=anneal, three_phase=three)
        c[f"onecycle-{total}-{pct}-{anneal}-{three}-{end}"] = (
            paddle_spec,
            lrcore.onecycle(peak, total, pct_start=pct, div_factor=div, anneal=anneal, three_phase=three,
                            final_value=end), ULPS)
        if end > 0:
            c[f"onecycle-final_div_factor-{total}-{pct}-{anneal}-{three}-{end}"] = (
                paddle_spec,
                lrcore.onecycle(peak, total, pct_start=pct, div_factor=div, final_div_factor=peak / div / end,
                                anneal=anneal, three_phase=three), ULPS)
    for mode, up, down, gamma in (("triangular", 20, None, 1.0), ("triangular", 13, 29, 1.0),
                                  ("triangular2", 10, 25, 1.0), ("exp_range", 9, 17, 0.99)):
        n, period = 400, up + (down or up)
        ratio = up / period
        c[f"cyclic-{mode}-{up}-{down}"] = (
            spec("CyclicLR", n, base_learning_rate=0.01, max_learning_rate=0.5, step_size_up=up,
                 step_size_down=down, mode=mode, exp_gamma=gamma),
            lrcore.cyclic(0.01, 0.5, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma),
            ULPS * (1 + n / period) / min(ratio, 1 - ratio))
    # A scale_fn: base + amplitude·h(k)·f(x), x the cycle number 1 + k // (up + down) (scale_mode
    # "cycle") or the step (scale_mode "iterations"): a sum (the base) of a product (the triangle
    # times f), with f of the cycle held through each cycle (per_epoch).
    base, top, n = 0.01, 0.5, 300
    scale_fns = {
        "cycle": ("lambda c: 0.8 ** c", lambda period: lrcore.per_epoch(lrcore.exponential_decay(0.8, 1, 0.8), period)),
        "iterations": ("lambda k: 0.995 ** k", lambda period: lrcore.exponential_decay(1.0, 1, 0.995)),
    }
    for scale_mode, up, down in (("cycle", 10, 15), ("cycle", 7, 7), ("iterations", 12, 20)):
        source, factor = scale_fns[scale_mode]
        period = up + down
        ratio = up / period
        c[f"cyclic-scale_fn-{scale_mode}-{up}-{down}"] = (
            {**spec("CyclicLR", n, base_learning_rate=base, max_learning_rate=top, step_size_up=up,
                    step_size_down=down, scale_mode=scale_mode), "scale_fn": source},
            lrcore.cyclic(0.0, top - base, step_size_up=up, step_size_down=down) * factor(period) + base,
            ULPS * (1 + n / period) / min(ratio, 1 - ratio))
    for start, end, total in ((1 / 3, 1.0, 20), (1.0, 0.05, 120), (0.25, 0.75, 7)):
        c[f"linear-{start:.3f}-{end}-{total}"] = (
            spec("LinearLR", 200, learning_rate=LR, total_steps=total, start_factor=start, end_factor=end),
            lrcore.linear(LR * start, LR * end, total), chained(200))
    for t_0, t_mult, eta_min in ((25, 1, 0.0), (10, 2, 0.01), (5, 3, 0.0), (3, 4, 0.05)):
        c[f"warm_restarts-{t_0}-{t_mult}-{eta_min}"] = (
            spec("CosineAnnealingWarmRestarts", 500, learning_rate=LR, T_0=t_0, T_mult=t_mult, eta_min=eta_min),
            lrcore.cosine_restart(LR, t_0, period_mul=float(t_mult), end_value=eta_min), ULPS)
    return c


CASES = _cases()


PLATEAU = {
    "defaults": dict(),
    "patience_3_half": dict(patience=3, factor=0.5),
    "max_abs_min_lr": dict(mode="max", threshold_mode="abs", threshold=0.01, patience=2, factor=0.3, min_lr=0.01),
    # With a cooldown Paddle drops the metrics reported during it: lrcore's cooldown_metrics="ignore".
    "cooldown_3": dict(patience=1, factor=0.5, cooldown=3),
    "cooldown_12_max_abs": dict(mode="max", threshold_mode="abs", threshold=0.01, patience=0, factor=0.7, cooldown=12),
    "cooldown_2_min_lr": dict(patience=2, factor=0.3, cooldown=2, min_lr=0.005),
    "cooldown_improves": dict(patience=1, factor=0.5, cooldown=1),
}
#: A loss that improves during the cooldown (0.5), then settles between the old best and it (0.8).
COOLDOWN_IMPROVES = [1.0, 1.0, 1.0, 0.5, 0.8, 0.8, 0.8, 0.8]


def _metrics(kw: dict) -> list[float]:
    """The loss for ``mode="min"``, an accuracy (its inverse) for ``mode="max"``."""
    if kw == PLATEAU["cooldown_improves"]:
        return COOLDOWN_IMPROVES
    loss = plateau_loss(120)
    return loss if kw.get("mode", "min") == "min" else [1.0 / v for v in loss]


def _plateau_rule(kw: dict, cooldown_metrics: str):
    """lrcore's rule for Paddle's arguments: ``min_lr`` and ``epsilon`` are absolute in Paddle,
    relative to the base lr in lrcore's rule."""
    return lrcore.plateau(factor=kw.get("factor", 0.1), patience=kw.get("patience", 10), mode=kw.get("mode", "min"),
                          threshold=kw.get("threshold", 1e-4), threshold_mode=kw.get("threshold_mode", "rel"),
                          cooldown=kw.get("cooldown", 0), min_scale=kw.get("min_lr", 0.0) / LR, eps=1e-8 / LR,
                          cooldown_metrics=cooldown_metrics)


def _plateau_lrs(rule, metrics) -> list[float]:
    state, out = rule.init(), [LR]
    for m in metrics:
        state = rule.update(state, m)
        out.append(LR * state.scale)
    return out


ONECYCLE_END = (100, 1.0, 25.0, 1e-4, 0.3)  # total_steps, peak, divide_factor, end_learning_rate, phase_pct
RESTART_GRID = [(t_0, t_mult) for t_mult in (2, 3, 4, 5) for t_0 in range(1, 41)]


@pytest.fixture(scope="module")
def paddle():
    """Every Paddle run of this file, from one child process."""
    specs = {name: case[0] for name, case in CASES.items()}
    for name, kw in PLATEAU.items():
        metrics = _metrics(kw)
        specs[f"plateau-{name}"] = {"scheduler": "ReduceOnPlateau", "kwargs": dict(learning_rate=LR, **kw),
                                    "metrics": metrics}
    total, peak, div, end, pct = ONECYCLE_END
    specs["onecycle-end"] = spec("OneCycleLR", total + 1, max_learning_rate=peak, total_steps=total, divide_factor=div,
                                 end_learning_rate=end, phase_pct=pct, anneal_strategy="linear")
    for t_0, t_mult in RESTART_GRID:
        specs[f"restart-epochs-{t_0}-{t_mult}"] = {
            "scheduler": "CosineAnnealingWarmRestarts", "kwargs": dict(learning_rate=1.0, T_0=t_0, T_mult=t_mult),
            "epochs": restart_steps(t_0, t_mult, 2**40)}
    return paddle_values(specs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scheduler(paddle, name):
    _, schedule, ulps = CASES[name]
    want = paddle[name]
    assert_ulp_close(schedule(np.arange(len(want))), want, 64, ulps, context=name)


@pytest.mark.parametrize("name", sorted(PLATEAU))
def test_reduce_on_plateau(paddle, name):
    """Paddle's ``ReduceOnPlateau`` is lrcore's plateau rule with ``cooldown_metrics="ignore"``: during
    a cooldown Paddle drops the metric, where torch's rule (lrcore's default, ``"track"``) still
    records a better one as the best. Without a cooldown the two are one rule. (Paddle's first
    metric is the best whatever it is; lrcore's rule starts from ``+inf``, so they agree from a first
    finite metric on, as here.)"""
    kw = PLATEAU[name]
    metrics = _metrics(kw)
    want = paddle[f"plateau-{name}"]
    assert_ulp_close(_plateau_lrs(_plateau_rule(kw, "ignore"), metrics), want, 64, ULPS, context=name)
    assert len(set(want)) >= 3  # at least two reductions
    track = _plateau_lrs(_plateau_rule(kw, "track"), metrics)
    if "cooldown" not in kw:
        assert_ulp_close(track, want, 64, ULPS, context=f"{name}, the default rule")
    if name == "cooldown_improves":
        # torch's rule records the 0.5 of the cooldown as the best: the 0.8s after it are bad at once,
        # and it reduces one metric earlier than Paddle, which finds 0.8 better than 1.0.
        assert track[6] == LR * 0.25 and want[6] == LR * 0.5 and want[-1] == LR * 0.25


@pytest.mark.parametrize("name", ["cooldown_3", "cooldown_2_min_lr", "cooldown_improves"])
def test_torch_plateau_with_cooldown_metrics_ignore_gives_paddle_s_lrs(paddle, name):
    """``lrcore.torch.ReduceLROnPlateau(..., cooldown_metrics="ignore")`` on a constant schedule gives
    Paddle's learning rates; ``min_lr`` and ``eps`` are absolute there, as Paddle's."""
    import torch

    import lrcore.torch

    kw = PLATEAU[name]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    scheduler = lrcore.torch.scheduler(opt, lrcore.constant(LR))
    plateau = lrcore.torch.ReduceLROnPlateau(
        scheduler, factor=kw["factor"], patience=kw["patience"], cooldown=kw["cooldown"],
        min_lr=kw.get("min_lr", 0.0), cooldown_metrics="ignore",
    )  # fmt: skip
    got = [opt.param_groups[0]["lr"]]
    for m in _metrics(kw):
        opt.step()
        scheduler.step()
        plateau.step(m)
        got.append(opt.param_groups[0]["lr"])
    assert_ulp_close(got, paddle[f"plateau-{name}"], 32, 4, context=name)  # float32 lrs


def test_one_cycle_linear_end_goes_negative(paddle):
    """Paddle's OneCycleLR accepts ``total_steps`` steps, so after the last ``step()`` it reports the
    value at step ``total_steps``: one step past the end of the last phase, which it extrapolates.
    With ``anneal_strategy='linear'`` that overshoots ``end_learning_rate`` by a whole slope and,
    for a small end value, is negative. lrcore holds the end value (exactly ``end_learning_rate``)."""
    total, peak, div, end, pct = ONECYCLE_END
    lr = paddle["onecycle-end"]
    ours = lrcore.onecycle(peak, total, pct_start=pct, div_factor=div, final_value=end, anneal="linear")
    # Exact: the last phase runs from step pct·N - 1 = 29 to N - 1 = 99, from peak to end;
    # Paddle's step N is 71/70 of the way.
    assert lr[total] == pytest.approx(peak + (end - peak) * 71 / 70, rel=1e-12)
    assert lr[total] < 0
    assert_ulp_close(ours(np.arange(total)), lr[:total], 64, ULPS)
    assert abs(float(ours(total)) - end) <= 4 * 2.0**-52 * peak and float(ours(total)) == float(ours(total - 1))


def test_one_cycle_refuses_a_negative_end():
    """Paddle's OneCycleLR refuses a negative ``end_learning_rate`` (its message calls it an
    integer: "'end_learning_rate' must be a positive integer."), so a one-cycle curve that anneals
    below 0 has no Paddle twin. lrcore's ``final_value`` takes any finite level and anneals to it
    (checked against the exact reference in ``tests/test_reference_values.py``,
    ``onecycle-final-negative-three``); here: Paddle's refusal, and lrcore's exact end."""
    import pathlib
    import subprocess
    import sys

    code = (
        "from tests.peers import paddle_lr\n"
        "try:\n"
        "    paddle_lr().OneCycleLR(max_learning_rate=1.0, total_steps=100, end_learning_rate=-0.1)\n"
        "except ValueError as exc:\n"
        "    print('refused:', exc)\n"
    )
    root = pathlib.Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "refused: 'end_learning_rate' must be a positive integer." in done.stdout, done.stdout
    ours = lrcore.onecycle(1.0, 100, final_value=-0.1)
    assert float(ours(99)) == -0.1 and float(ours(10**9)) == -0.1


def test_warm_restarts_closed_form_misplaces_restarts(paddle):
    """``CosineAnnealingWarmRestarts.step(epoch)`` finds the cycle as
    ``int(math.log(epoch/T_0·(T_mult - 1) + 1, T_mult))``; where the float64 logarithm rounds just
    below the integer, a restart epoch gets the previous cycle's end (eta_min = 0) instead of the
    peak. lrcore places every one of the same restarts exactly. (Stepping with ``step()`` keeps
    integer counters in Paddle and is exact: the parity cases above.)"""
    misplaced_paddle = misplaced_lrcore = total = 0
    for t_0, t_mult in RESTART_GRID:
        restarts = restart_steps(t_0, t_mult, 2**40)
        total += len(restarts)
        misplaced_paddle += int(np.sum(paddle[f"restart-epochs-{t_0}-{t_mult}"] < 0.5))
        ours = lrcore.cosine_restart(1.0, first_period=t_0, period_mul=float(t_mult))
        misplaced_lrcore += int(np.sum(ours(np.asarray(restarts, dtype=np.int64)) != 1.0))
    assert misplaced_paddle > 0, f"Paddle placed all {total} restarts correctly"
    assert misplaced_lrcore == 0, f"lrcore misplaced {misplaced_lrcore} of {total} restarts"
    print(f"Paddle step(epoch) misplaced {misplaced_paddle} of {total} restarts; lrcore 0")
