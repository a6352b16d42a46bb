"""torch's own scheduler tests that use ``scheduler.step(epoch)`` or the constructor's ``last_epoch``,
ported to ``lrcore.torch.scheduler``.

torch 2.13's ``test/optim/test_lrscheduler.py`` (``TestLRScheduler``) is not installed with torch;
each test below names the torch test it ports. Every one runs the real torch scheduler beside
lrcore's scheduler on the same optimizer setup (torch's ``setUp``: SGD with two param groups, lr
0.05 and a tensor lr 0.5) with the lrcore schedule equivalent to it, one schedule per group, and
compares them value by value: lrcore's values are float32 (the float64 value rounded once), so within
4 float32 ulp of the largest value (``assert_ulp_close(..., 32, 4)``).

torch warns ``EPOCH_DEPRECATION_WARNING`` at every ``step(epoch)``; lrcore's ``step(epoch)`` is exact
(``schedule(epoch)``, a pure function of the step) and supported, so it warns nothing. Warnings are
errors in this suite: torch's are expected where it raises them, and lrcore's runs warn nothing.

Not expressible, and why (only arbitrary Python callables):
- ``test_constant_initial_lr`` and ``test_lr_scheduler_checkpoint`` with ``LambdaLR`` and
  ``MultiplicativeLR`` (2 parametrizations of each): their ``lr_lambda`` is any Python callable of the
  epoch, which no lrcore schedule (a pure array function with parameters) stands for in general.
Fractional epochs (``test_CosineAnnealingWarmRestarts_lr2``, the third case of ``_lr3``) are refused
by lrcore with a ``ValueError`` naming the remedy (count updates); the remedy, 10 updates per epoch,
gives torch's values at every one of those fractional epochs (tested below).
"""

from __future__ import annotations

import copy
import types
import warnings
from functools import partial

import numpy as np
import pytest
import torch
from torch.optim import SGD, AdamW
from torch.optim.lr_scheduler import (
    EPOCH_DEPRECATION_WARNING,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    StepLR,
)
from torch.optim.swa_utils import SWALR

import lrcore
import lrcore.torch
from tests.helpers import assert_ulp_close

# -- torch's setUp and the lrcore equivalents of its schedulers --------------------------------------
def _optimizer():
    """torch's ``setUp``: SGD over two 1x1 convolutions, lr 0.05 and a tensor lr 0.5."""
    conv1, conv2 = torch.nn.Conv2d(1, 1, 1), torch.nn.Conv2d(1, 1, 1)
    return SGD([{"params": conv1.parameters()}, {"params": conv2.parameters(), "lr": torch.tensor(0.5)}], lr=0.05)


def _periodic_cosine(lr, t_max, eta_min, periods=4):
    """torch ``CosineAnnealingLR`` past ``T_max``: the cosine falls to ``eta_min`` and rises back to
    ``lr`` every ``T_max`` steps (a cosine decay, then ``periods`` cosine rises and decays)."""
    rise_and_fall = lrcore.warmup_stable_decay(lr, warmup_steps=t_max, stable_steps=0, decay_steps=t_max,
                                               end_value=eta_min, init_value=eta_min,
                                               warmup_shape="cosine", decay_shape="cosine")
    return lrcore.join([lrcore.cosine_decay(lr, t_max, end_value=eta_min)] + [rise_and_fall] * periods,
                       [t_max + 2 * t_max * i for i in range(periods)])


#: ``{name: (torch factory(optimizer, **kw), lrcore schedule of the group's initial lr)}``, with the
#: arguments torch's tests use (torch's defaults: ConstantLR factor 1/3 for 5 steps, LinearLR 1/3 -> 1
#: over 5 steps, PolynomialLR over 5 steps).
EQUIVALENT = {
    "StepLR": (partial(StepLR, gamma=0.1, step_size=3),
               lambda lr: lrcore.exponential_decay(lr, 3, 0.1, staircase=True)),
    "StepLR-2": (partial(StepLR, step_size=2), lambda lr: lrcore.exponential_decay(lr, 2, 0.1, staircase=True)),
    "StepLR-30": (partial(StepLR, step_size=30), lambda lr: lrcore.exponential_decay(lr, 30, 0.1, staircase=True)),
    "MultiStepLR": (partial(MultiStepLR, gamma=0.1, milestones=[2, 5, 9]),
                    lambda lr: lrcore.piecewise_constant([2, 5, 9], [lr, lr * 0.1, lr * 0.01, lr * 0.001])),
    "MultiStepLR-30-80": (partial(MultiStepLR, milestones=[30, 80]),
                          lambda lr: lrcore.piecewise_constant([30, 80], [lr, lr * 0.1, lr * 0.01])),
    "ExponentialLR": (partial(ExponentialLR, gamma=0.9), lambda lr: lrcore.exponential_decay(lr, 1, 0.9)),
    "ExponentialLR-0.999": (partial(ExponentialLR, gamma=0.999), lambda lr: lrcore.exponential_decay(lr, 1, 0.999)),
    "ConstantLR": (ConstantLR, lambda lr: lrcore.piecewise_constant([5], [lr / 3, lr])),
    "ConstantLR-half": (partial(ConstantLR, factor=1.0 / 2, total_iters=5),
                        lambda lr: lrcore.piecewise_constant([5], [lr / 2, lr])),
    "ConstantLR-third-4": (partial(ConstantLR, factor=1.0 / 3, total_iters=4),
                           lambda lr: lrcore.piecewise_constant([4], [lr / 3, lr])),
    "LinearLR": (LinearLR, lambda lr: lrcore.linear(lr / 3, lr, 5)),
    "LinearLR-half-4": (partial(LinearLR, start_factor=1.0 / 2, total_iters=4), lambda lr: lrcore.linear(lr / 2, lr, 4)),
    "LinearLR-third-0.7": (partial(LinearLR, start_factor=1.0 / 3, end_factor=0.7, total_iters=4),
                           lambda lr: lrcore.linear(lr / 3, lr * 0.7, 4)),
    "PolynomialLR": (partial(PolynomialLR, power=0.9), lambda lr: lrcore.polynomial_decay(lr, 0.0, 5, power=0.9)),
    "PolynomialLR-1": (PolynomialLR, lambda lr: lrcore.polynomial_decay(lr, 0.0, 5)),
    "CosineAnnealingLR": (partial(CosineAnnealingLR, T_max=5, eta_min=1e-10),
                          lambda lr: _periodic_cosine(lr, 5, 1e-10)),
    "CosineAnnealingLR-10": (partial(CosineAnnealingLR, T_max=10), lambda lr: _periodic_cosine(lr, 10, 0.0)),
    "CosineAnnealingLR-continue": (partial(CosineAnnealingLR, T_max=5, eta_min=0.1),
                                   lambda lr: _periodic_cosine(lr, 5, 0.1)),
    "CosineAnnealingWarmRestarts-20": (partial(CosineAnnealingWarmRestarts, T_0=20),
                                       lambda lr: lrcore.cosine_restart(lr, first_period=20)),
    "SWALR": (partial(SWALR, swa_lr=0.01), lambda lr: lrcore.cosine_decay(lr, 10, end_value=0.01)),
}


def _ours(optimizer, name, **kwargs):
    """lrcore's scheduler equivalent to torch's ``name``, one schedule per param group."""
    make = EQUIVALENT[name][1]
    bases = [float(g["initial_lr"] if "initial_lr" in g else g["lr"]) for g in optimizer.param_groups]
    return lrcore.torch.scheduler(optimizer, [make(b) for b in bases], **kwargs)


def _lrs(optimizer):
    return [float(g["lr"]) for g in optimizer.param_groups]


def _torch_step(scheduler, *args):
    """``scheduler.step(epoch)`` of a torch scheduler: exactly one deprecation warning, torch's
    (``CosineAnnealingWarmRestarts`` has a ``step(epoch)`` of its own, which warns nothing)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.step(*args)
    deprecated = not isinstance(scheduler, CosineAnnealingWarmRestarts)
    assert [str(w.message) for w in caught] == [EPOCH_DEPRECATION_WARNING] * deprecated


def _step(scheduler, *args):
    """``scheduler.step(epoch)`` of lrcore's scheduler: no warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step(*args)


# -- step(epoch): the lr is constant for a constant epoch --------------------------------------------
@pytest.mark.parametrize("name", ["StepLR-2", "ExponentialLR", "ConstantLR", "LinearLR", "PolynomialLR"])
def test_lr_is_constant_for_constant_epoch(name):
    """test_{step_lr,exponential_lr,constantlr,linear_linearlr,polynomial_lr}_is_constant_for_constant_epoch."""
    theirs_opt, ours_opt = _optimizer(), _optimizer()
    theirs, ours = EQUIVALENT[name][0](theirs_opt), _ours(ours_opt, name)
    want, got = [], []
    for _ in range(10):
        theirs_opt.step()
        _torch_step(theirs, 2)
        ours_opt.step()
        _step(ours, 2)
        want.append(_lrs(theirs_opt))
        got.append(_lrs(ours_opt))
    assert min(g[0] for g in got) == max(g[0] for g in got) and ours.last_epoch == theirs.last_epoch == 2
    assert_ulp_close(got, want, 32, 4, context=name)


# -- step(epoch) with the epochs in order: the closed forms ----------------------------------------
@pytest.mark.parametrize(
    ("name", "targets"),
    [
        ("MultiStepLR", [0.05] * 2 + [0.005] * 3 + [0.0005] * 4 + [0.00005] * 3),
        ("ConstantLR-half", [0.025] * 5 + [0.05] * 5),
        ("LinearLR-half-4", [0.05 * (0.5 + i * 0.5 / 4) for i in range(4)] + [0.05] * 6),
    ],
)
def test_with_epoch(name, targets):
    """test_multi_step_lr_with_epoch, test_constantlr_with_epoch, test_linearlr_with_epoch: step(epoch)
    before each check, so epoch ``e`` reads the value at ``e``; torch's targets (group 0, group 1 = 10x)."""
    theirs_opt, ours_opt = _optimizer(), _optimizer()
    theirs, ours = EQUIVALENT[name][0](theirs_opt), _ours(ours_opt, name)
    want, got = [], []
    for epoch in range(10):
        theirs_opt.step()
        _torch_step(theirs, epoch)
        ours_opt.step()
        _step(ours, epoch)
        want.append(_lrs(theirs_opt))
        got.append(_lrs(ours_opt))
    assert_ulp_close(got, want, 32, 4, context=name)
    assert_ulp_close(np.asarray(got)[:, 0], targets[:10], 32, 4, context=f"{name} targets")
    assert_ulp_close(np.asarray(got)[:, 1], [10 * t for t in targets[:10]], 32, 4, context=f"{name} targets")


@pytest.mark.parametrize(
    "name",
    ["StepLR", "LinearLR-third-0.7", "ConstantLR-third-4", "MultiStepLR", "ExponentialLR", "PolynomialLR",
     "CosineAnnealingLR"],
)
def test_against_closed_form(name):
    """test_closed_form_{step_lr,linearlr,constantlr,multi_step_lr,exp_lr,poly_lr,cos_anneal_lr}: 20 epochs
    of torch's closed form (``step(epoch)``) against its chained form (``step()``), and lrcore's
    ``step(epoch)`` and ``step()`` against both. (torch's own version reads the lrs of the fresh
    optimizer its ``setUp()`` makes in between, which no scheduler drives; here each scheduler's own
    optimizer is read.)"""
    epochs = 20
    closed_opt, chained_opt, ours_epoch_opt, ours_opt = (_optimizer() for _ in range(4))
    closed, chained = EQUIVALENT[name][0](closed_opt), EQUIVALENT[name][0](chained_opt)
    ours_epoch, ours = _ours(ours_epoch_opt, name), _ours(ours_opt, name)
    want_closed, want_chained, got_epoch, got = [], [], [], []
    for epoch in range(epochs):
        for opt in (closed_opt, chained_opt, ours_epoch_opt, ours_opt):
            opt.step()
        _torch_step(closed, epoch)
        chained.step()
        _step(ours_epoch, epoch)
        ours.step()
        want_closed.append(_lrs(closed_opt))
        want_chained.append(_lrs(chained_opt))
        got_epoch.append(_lrs(ours_epoch_opt))
        got.append(_lrs(ours_opt))
    # torch: step(epoch) at epoch e is the chained value after e + 1 steps (its test's targets).
    np.testing.assert_allclose(np.asarray(want_chained)[:-1], np.asarray(want_closed)[1:], rtol=0, atol=1e-5)
    # lrcore: step(epoch) is exactly e steps; step() after e + 1 calls is the value at e + 1.
    assert got_epoch[1:] == got[:-1]
    assert_ulp_close(got_epoch, want_closed, 32, 4, context=f"{name} step(epoch)")
    assert_ulp_close(got, want_chained, 32, 4, context=f"{name} step()")


# -- CosineAnnealingWarmRestarts.step(epoch) ---------------------------------------------------------
@pytest.mark.parametrize(
    ("t_mult", "epochs"),
    [(1, [0, 1, 2, 3, 4, 5, 12, 27, 3, 4, 5, 6, 13]), (2, [0, 1, 2, 3, 4, 5, 25, 32, 33, 34, 80, 81, 3])],
)
def test_interleaved_warm_restarts(t_mult, epochs):
    """test_CosineAnnealingWarmRestarts_lr3, integer cases: epochs back and forth, each one's value."""
    theirs_opt, ours_opt = _optimizer(), _optimizer()
    theirs = CosineAnnealingWarmRestarts(theirs_opt, T_0=10, T_mult=t_mult, eta_min=1e-10)
    ours = lrcore.torch.scheduler(ours_opt, [lrcore.cosine_restart(lr, first_period=10, period_mul=float(t_mult),
                                                                   end_value=1e-10) for lr in (0.05, 0.5)])
    want, got = [], []
    for epoch in epochs:
        theirs_opt.step()
        ours_opt.step()
        _torch_step(theirs, epoch)
        _step(ours, epoch)
        want.append(_lrs(theirs_opt))
        got.append(_lrs(ours_opt))
        assert ours.last_epoch == epoch
    assert_ulp_close(got, want, 32, 4, context=f"T_mult={t_mult}")


FRACTIONAL = {
    # test_CosineAnnealingWarmRestarts_lr2: every tenth of an epoch up to 30, T_0 = 10.
    **{f"lr2-T_mult={m}": (m, [round(k / 10, 1) for k in range(300)]) for m in (1, 2, 4)},
    # test_CosineAnnealingWarmRestarts_lr3, its third case.
    "lr3-T_mult=3": (3, [0, 0.1, 0.2, 0.3, 1.3, 2.3, 17.5, 18.5, 19.5, 29.5, 30.5, 31.5, 50]),
}


@pytest.mark.parametrize("case", sorted(FRACTIONAL))
def test_fractional_epochs_are_refused_and_the_remedy_gives_torch_s_values(case):
    """Fractional epochs name no step: refused with a ValueError naming `epoch` and the remedy. The
    remedy (the schedule in updates, 10 per epoch, stepped to ``epoch · 10``) gives torch's values."""
    t_mult, epochs = FRACTIONAL[case]
    theirs_opt, ours_opt = _optimizer(), _optimizer()
    theirs = CosineAnnealingWarmRestarts(theirs_opt, T_0=10, T_mult=t_mult, eta_min=1e-10)
    per_epoch = 10
    ours = lrcore.torch.scheduler(ours_opt, [lrcore.cosine_restart(lr, first_period=10 * per_epoch,
                                                                   period_mul=float(t_mult), end_value=1e-10)
                                             for lr in (0.05, 0.5)])
    with pytest.raises(ValueError, match=r"`epoch` must be a whole number.*count optimizer updates.*epoch=0\.1"):
        ours.step(0.1)
    with pytest.raises(ValueError, match="`epoch`"):
        ours.step(torch.tensor(0.5))
    assert ours.last_epoch == 0 and _lrs(ours_opt) == [float(np.float32(0.05)), 0.5]  # nothing changed
    want, got = [], []
    for epoch in epochs:
        theirs_opt.step()
        ours_opt.step()
        _torch_step(theirs, epoch)
        _step(ours, round(epoch * per_epoch))
        want.append(_lrs(theirs_opt))
        got.append(_lrs(ours_opt))
    assert_ulp_close(got, want, 32, 4, context=case)


# -- step(epoch) leaves the groups' initial values alone ---------------------------------------------
CONSTANT_INITIAL = ["StepLR-30", "MultiStepLR-30-80", "ConstantLR", "LinearLR", "ExponentialLR",
                    "PolynomialLR-1", "CosineAnnealingLR-10", "CosineAnnealingWarmRestarts-20"]


@pytest.mark.parametrize("name", CONSTANT_INITIAL)
def test_constant_initial_lr(name):
    """test_constant_initial_lr (its 8 parametrizations without a Python callable): a tensor lr, changed
    in place by someone else between ``step(i)`` calls; ``initial_lr`` and ``base_lrs`` stay, and
    step(i) gives the value at ``i`` in both. lrcore also warns once that something else changed it."""
    runs = {}
    for who in ("torch", "lrcore"):
        lr = torch.as_tensor(0.1)
        opt = SGD([torch.nn.Parameter(torch.randn(1))], lr=lr)
        sch = EQUIVALENT[name][0](opt) if who == "torch" else _ours(opt, name)
        original = copy.deepcopy(opt.param_groups)
        seen = []
        for i in range(2):
            opt.step()
            if who == "torch":
                _torch_step(sch, i)
            elif i == 0:
                _step(sch, i)
            else:
                with pytest.warns(UserWarning, match="something other than this scheduler changed"):
                    sch.step(i)
            seen.append(float(opt.param_groups[0]["lr"]))
            lr.multiply_(0.1)
            for group, before in zip(opt.param_groups, original):
                assert torch.equal(group["initial_lr"], before["initial_lr"])
                assert float(sch.base_lrs[0]) == float(np.float32(0.1))
                assert sch.base_lrs[0] is not group["initial_lr"]
        runs[who] = seen
    assert_ulp_close(runs["lrcore"], runs["torch"], 32, 4, context=name)


def test_constant_initial_params_cyclelr():
    """test_constant_initial_params_cyclelr: tensor levels and momenta changed in place after the
    schedulers are built; both keep the values they were built with (lrcore's schedule takes their
    values as numbers)."""
    runs = {}
    for who in ("torch", "lrcore"):
        lr, max_lr = torch.as_tensor(0.1), torch.as_tensor(0.2)
        base_momentum, max_momentum = torch.as_tensor(0.8), torch.as_tensor(0.9)
        opt = SGD([torch.nn.Parameter(torch.randn(1))], lr=lr)
        if who == "torch":
            sch = CyclicLR(opt, base_lr=lr, max_lr=max_lr, base_momentum=base_momentum, max_momentum=max_momentum)
        else:
            sch = lrcore.torch.scheduler(
                opt, lrcore.cyclic(float(lr), float(max_lr), 2000),
                momentum=lrcore.cyclic_momentum(2000, base_momentum=float(base_momentum),
                                                max_momentum=float(max_momentum)),
            )
        seen = []
        for i in range(2):
            lr.multiply_(0.5)
            max_lr.multiply_(0.5)
            base_momentum.multiply_(0.5)
            max_momentum.multiply_(0.5)
            opt.step()
            if who == "torch":
                _torch_step(sch, i)
                assert sch.base_lrs == [0.1] and sch.max_lrs == [0.2]
                assert opt.param_groups[0]["max_momentum"] == 0.9 and opt.param_groups[0]["base_momentum"] == 0.8
            elif i == 0:
                with pytest.warns(UserWarning, match="something other than this scheduler changed"):
                    sch.step(i)
            else:
                _step(sch, i)
            seen.append([float(opt.param_groups[0]["lr"]), float(opt.param_groups[0]["momentum"])])
        runs[who] = seen
    assert_ulp_close(runs["lrcore"], runs["torch"], 32, 4)


def test_constant_initial_params_onecyclelr():
    """test_constant_initial_params_onecyclelr, as the CyclicLR one."""
    runs = {}
    for who in ("torch", "lrcore"):
        lr = torch.as_tensor(0.1)
        base_momentum, max_momentum = torch.as_tensor(0.85), torch.as_tensor(0.95)
        opt = SGD([torch.nn.Parameter(torch.randn(1))], lr=lr)
        if who == "torch":
            sch = OneCycleLR(opt, max_lr=lr, total_steps=10, base_momentum=base_momentum, max_momentum=max_momentum)
        else:
            sch = lrcore.torch.scheduler(
                opt, lrcore.onecycle(float(lr), 10),
                momentum=lrcore.onecycle_momentum(10, base_momentum=float(base_momentum),
                                                  max_momentum=float(max_momentum)),
            )
        seen = []
        for i in range(2):
            lr.multiply_(0.5)
            base_momentum.multiply_(0.5)
            max_momentum.multiply_(0.5)
            opt.step()
            if who == "torch":
                _torch_step(sch, i)
                assert opt.param_groups[0]["max_momentum"] == 0.95 and opt.param_groups[0]["base_momentum"] == 0.85
            elif i == 0:
                with pytest.warns(UserWarning, match="something other than this scheduler changed"):
                    sch.step(i)
            else:
                _step(sch, i)
            seen.append([float(opt.param_groups[0]["lr"]), float(opt.param_groups[0]["momentum"])])
        runs[who] = seen
    assert_ulp_close(runs["lrcore"], runs["torch"], 32, 4)


# -- last_epoch: resuming --------------------------------------------------------------------------
def test_raise_error_when_last_epoch_is_greater_than_0_and_initial_lr_is_not_specified():
    """torch's KeyError, with its words, and lrcore's remedy after them."""
    pattern = r"param \'initial_lr\' is not specified in param_groups\[0\] when resuming scheduler with last_epoch >= 0"
    for build in (lambda o: StepLR(o, step_size=3, gamma=0.1, last_epoch=1),
                  lambda o: _ours(o, "StepLR", last_epoch=1)):
        optimizer = SGD([torch.nn.Parameter(torch.randn(2, 2, requires_grad=True))], 0.1)
        with pytest.raises(KeyError, match=pattern):
            build(optimizer)
        assert "initial_lr" not in optimizer.param_groups[0] and optimizer.param_groups[0]["lr"] == 0.1
    optimizer = SGD([torch.nn.Parameter(torch.randn(2, 2, requires_grad=True))], 0.1)
    with pytest.raises(KeyError, match="`last_epoch`=1 resumes a run.*`initial_lr`.*optimizer.load_state_dict"):
        _ours(optimizer, "StepLR", last_epoch=1)


@pytest.mark.parametrize("variant", ["resuming", "resuming_with_arg", "with_overridden_optim_step"])
def test_old_pattern_warning_resuming(variant):
    """test_old_pattern_warning_resuming{,_with_arg,_with_overridden_optim_step}: built with
    last_epoch=10 (every group's initial_lr 0.01) warns nothing; stepping the scheduler before the
    optimizer warns torch's warning. lrcore's value is torch's closed form from ``initial_lr``."""
    for who in ("torch", "lrcore"):
        opt = _optimizer()
        for group in opt.param_groups:
            group["initial_lr"] = 0.01
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if who == "torch":
                sch = StepLR(opt, gamma=0.1, step_size=3, last_epoch=10)
            else:
                sch = lrcore.torch.scheduler(opt, lrcore.exponential_decay(1.0, 3, 0.1, staircase=True),
                                             mode="relative", last_epoch=10)
        assert sch.last_epoch == 11
        if who == "torch":
            closed = [float(v) for v in sch._get_closed_form_lr()]
        else:
            assert_ulp_close(_lrs(opt), closed, 32, 4)  # 0.01 · 0.1**3 in every group
        if variant == "with_overridden_optim_step":
            old_step = opt.step

            def new_step(o, *args, **kwargs):
                return old_step(*args, **kwargs)

            opt.step = types.MethodType(new_step, opt)

        def old_pattern():
            for _ in range(35):
                sch.step()
                opt.step()

        with pytest.warns(UserWarning, match=r"how-to-adjust-learning-rate"):
            old_pattern()


def test_cos_anneal_lr_continue():
    """test_cos_anneal_lr_continue: a scheduler stepped once, and one built on the same optimizer with
    last_epoch=0 (torch's convention: the constructor takes one step), have the same lrs."""
    lrs = {}
    for who in ("torch", "lrcore"):
        opt = _optimizer()
        make = EQUIVALENT["CosineAnnealingLR-continue"][0] if who == "torch" else partial(_ours, name="CosineAnnealingLR-continue")
        scheduler = make(opt)
        opt.step()
        scheduler.step()
        original = [float(v) for v in scheduler._last_lr]
        new = make(opt, last_epoch=0)
        assert new.last_epoch == 1
        torch.testing.assert_close(original, [float(v) for v in new._last_lr], rtol=1e-4, atol=1e-5)
        if who == "lrcore":
            assert [float(v) for v in new._last_lr] == original  # the same function of the same step
        lrs[who] = original
    assert_ulp_close(lrs["lrcore"], lrs["torch"], 32, 4)


CHECKPOINT = ["ExponentialLR-0.999", "StepLR-30", "MultiStepLR-30-80", "ConstantLR", "LinearLR", "PolynomialLR-1",
              "CosineAnnealingLR-10", "CosineAnnealingWarmRestarts-20", "SWALR"]
CHECKPOINT_MOMENTUM = {  # cycle_momentum=True by default: betas[0] too
    "CyclicLR": (partial(CyclicLR, base_lr=0.01, max_lr=0.1),
                 lambda lr: lrcore.cyclic(0.01, 0.1, 2000), lrcore.cyclic_momentum(2000)),
    "OneCycleLR": (partial(OneCycleLR, max_lr=0.01, total_steps=10),
                   lambda lr: lrcore.onecycle(0.01, 10), lrcore.onecycle_momentum(10)),
}


@pytest.mark.parametrize("name", [*CHECKPOINT, *CHECKPOINT_MOMENTUM])
def test_lr_scheduler_checkpoint(name):
    """test_lr_scheduler_checkpoint (its 11 parametrizations without a Python callable): AdamW stepped
    once; a second AdamW loads its state, and a scheduler built on it with last_epoch=0 has the lr of
    the first."""
    values = {}
    for who in ("torch", "lrcore"):
        model = torch.nn.Linear(3, 3)
        optim = AdamW(model.parameters())
        if name in CHECKPOINT_MOMENTUM:
            make_torch, make_lr, momentum = CHECKPOINT_MOMENTUM[name]
            make = make_torch if who == "torch" else (
                lambda o, **kw: lrcore.torch.scheduler(o, make_lr(1e-3), momentum=momentum, **kw))
        else:
            make = EQUIVALENT[name][0] if who == "torch" else partial(_ours, name=name)
        sch = make(optim)
        optim.step()
        sch.step()
        optim2 = AdamW(model.parameters())
        optim2.load_state_dict(optim.state_dict())
        sch2 = make(optim2, last_epoch=0)
        assert float(sch2.get_last_lr()[0]) == float(optim.param_groups[0]["lr"])
        if who == "lrcore":
            assert sch2.last_epoch == sch.last_epoch == 1
            assert optim2.param_groups[0]["betas"] == optim.param_groups[0]["betas"]
        values[who] = [float(optim.param_groups[0]["lr"]), float(optim.param_groups[0]["betas"][0])]
    assert_ulp_close(values["lrcore"], values["torch"], 32, 4, context=name)
