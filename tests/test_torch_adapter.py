"""The PyTorch adapter: tensor callables (also under torch.compile) and lrcore.torch.scheduler."""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import pytest
import torch

import lrcore
import lrcore.numpy
import lrcore.torch
from tests import examples
from tests.helpers import assert_ulp_close

# Inductor imports torch.jit.script_method, deprecated in this torch; not lrcore's warning.
INDUCTOR_NOISE = "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"

# Every configuration of the tests' table, built through lrcore.torch's own factories.
CASES = {label: schedule for label, schedule, _ in examples.examples()}


def _torch(label):
    schedule = CASES[label]
    return getattr(lrcore.torch, schedule.name)(**schedule.params)


STEPS = np.concatenate([np.arange(-3, 400), [2**24 - 1, 2**24, 2**24 + 1, 2**31 - 1, 2**40 + 7, 2**62]])


def test_every_schedule_is_offered():
    assert {s.name for s in CASES.values()} == set(lrcore.SCHEDULES)
    for name in lrcore.SCHEDULES:
        assert callable(getattr(lrcore.torch, name))
    assert set(lrcore.torch.__all__) == {*lrcore.SCHEDULES, "from_schedule", "scheduler", "TorchSchedule", "LrcoreScheduler"}
    assert all(hasattr(lrcore.torch, name) for name in lrcore.torch.__all__)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_numpy_within_4_ulp(name):
    fn = _torch(name)
    assert isinstance(fn, lrcore.torch.TorchSchedule)
    want = lrcore.numpy.from_schedule(fn.schedule)(STEPS)
    steps = torch.as_tensor(STEPS, dtype=torch.int64)
    got = fn(steps)
    assert got.dtype == torch.float32 and got.shape == steps.shape and got.device == steps.device
    assert_ulp_close(got.double().numpy(), want, 32, context=name)
    # int32 steps, a 2-D shape, and Python ints give the same values.
    small = torch.arange(0, 300, dtype=torch.int32).reshape(3, 100)
    assert torch.equal(fn(small), got[3:303].reshape(3, 100))
    one = fn(137)
    assert isinstance(one, torch.Tensor) and one.dtype == torch.float32 and one.shape == ()
    assert one.item() == got[140].item()


@pytest.mark.parametrize(
    "name", ["torch-cosine-restart", "torch-onecycle", "torch-piecewise-constant", "torch-join"]
)
def test_result_is_on_the_steps_device(name):
    # The meta device stands in for a GPU: any constant or table left on the CPU would fail here.
    fn = _torch(name)
    out = fn(torch.arange(50, device="meta"))
    assert out.device.type == "meta" and out.dtype == torch.float32 and out.shape == (50,)


def test_float_steps_are_floored_and_negative_steps_clamped():
    fn = lrcore.torch.linear(init_value=1.0, end_value=0.0, transition_steps=10)
    got = fn(torch.tensor([-2.5, 0.0, 3.9, 4.0]))
    assert got.tolist() == [fn(0).item(), fn(0).item(), fn(3).item(), fn(4).item()]


def test_from_schedule_and_bad_step():
    s = lrcore.cosine_decay(init_value=1.0, decay_steps=10)
    fn = lrcore.torch.from_schedule(s)
    assert fn.schedule == s and "from_schedule" in repr(fn)
    with pytest.raises(TypeError, match="step"):
        fn(True)
    with pytest.raises(TypeError, match="step"):
        fn(torch.tensor([True]))
    with pytest.raises(TypeError, match="schedule"):
        lrcore.torch.from_schedule(lambda k: 0.1)


@pytest.mark.filterwarnings(INDUCTOR_NOISE)
@pytest.mark.parametrize("name", ["torch-cosine-restart", "torch-onecycle"])
def test_torch_compile_fullgraph(name):
    fn = _torch(name)
    torch._dynamo.reset()
    compiled = torch.compile(lambda k: fn(k), fullgraph=True)
    steps = torch.as_tensor(STEPS, dtype=torch.int64)
    got = compiled(steps)
    assert got.dtype == torch.float32 and got.shape == steps.shape
    want = lrcore.numpy.from_schedule(fn.schedule)(STEPS)
    assert_ulp_close(got.double().numpy(), want, 32, context=name)


# -- the scheduler ------------------------------------------------------------------------------
def _cosine_reference(k, init, end, decay_steps):
    """Cosine decay in plain float64 math (independent of lrcore)."""
    k = min(max(k, 0), decay_steps)
    return end + (init - end) * 0.5 * (1.0 + math.cos(math.pi * k / decay_steps))


def _model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))


def _batch(n):
    g = torch.Generator().manual_seed(1000 + n)
    x = torch.randn(8, 3, generator=g)
    return x, x.sum(dim=1, keepdim=True) ** 2


def _train_step(model, opt, n):
    x, y = _batch(n)
    opt.zero_grad()
    torch.nn.functional.mse_loss(model(x), y).backward()
    opt.step()


@pytest.mark.parametrize("make_opt", [lambda p: torch.optim.SGD(p, lr=0.5), lambda p: torch.optim.Adam(p, lr=0.5)])
def test_scheduler_applies_schedule_n_at_update_n(make_opt):
    init, end, decay = 0.05, 0.001, 12
    model, ref_model = _model(), _model()
    opt, ref_opt = make_opt(model.parameters()), make_opt(ref_model.parameters())
    sched = lrcore.torch.scheduler(opt, lrcore.cosine_decay(init_value=init, decay_steps=decay, end_value=end))
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    for n in range(decay + 3):
        want = _cosine_reference(n, init, end, decay)
        lr = opt.param_groups[0]["lr"]
        assert sched.get_last_lr() == [lr]
        assert abs(lr - want) <= 4 * 2.0**-23 * init, (n, lr, want)
        for group in ref_opt.param_groups:
            group["lr"] = want
        _train_step(model, opt, n)
        _train_step(ref_model, ref_opt, n)
        sched.step()
        assert sched.last_epoch == n + 1
    for p, q in zip(model.parameters(), ref_model.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def _run(total, resume_at=None, order="optimizer_first"):
    """Train with Adam + cosine_restart; optionally checkpoint at `resume_at` and continue in fresh objects."""
    schedule = lrcore.cosine_restart(peak_value=0.02, first_period=5, period_mul=2.0, warmup_steps=1)
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    sched = lrcore.torch.scheduler(opt, schedule)
    lrs = []
    for n in range(total):
        if n == resume_at:
            buf = io.BytesIO()
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
            buf.seek(0)
            ckpt = torch.load(buf, weights_only=True)
            model = _model(seed=123)  # different initial weights: everything must come from the checkpoint
            model.load_state_dict(ckpt["model"])
            opt = torch.optim.Adam(model.parameters(), lr=0.7)
            if order == "optimizer_before_scheduler_built":
                # The new scheduler sets schedule(0); loading its state must restore the step's lr.
                opt.load_state_dict(ckpt["opt"])
                sched = lrcore.torch.scheduler(opt, lrcore.torch.from_schedule(schedule))
                sched.load_state_dict(ckpt["sched"])
            else:
                sched = lrcore.torch.scheduler(opt, lrcore.torch.from_schedule(schedule))
                if order == "optimizer_first":
                    opt.load_state_dict(ckpt["opt"])
                    sched.load_state_dict(ckpt["sched"])
                else:
                    sched.load_state_dict(ckpt["sched"])
                    opt.load_state_dict(ckpt["opt"])
        lrs.append(opt.param_groups[0]["lr"])
        _train_step(model, opt, n)
        sched.step()
    return lrs, [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("order", ["optimizer_first", "scheduler_first", "optimizer_before_scheduler_built"])
@pytest.mark.parametrize("resume_at", [1, 7, 16])
def test_resume_is_bit_exact(order, resume_at):
    lrs, weights = _run(20)
    lrs2, weights2 = _run(20, resume_at, order)
    assert lrs2 == lrs
    for p, q in zip(weights, weights2):
        assert torch.equal(p, q)


def test_step_count_is_exact_beyond_2_pow_24():
    big = 2**24 + 1
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = lrcore.torch.scheduler(opt, lrcore.piecewise_constant(boundaries=[big], values=[0.5, 0.25]))
    state = sched.state_dict()
    state["last_epoch"] = big - 1  # float32(2**24 + 1) would round down to 2**24
    sched.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == 0.5
    opt.step()
    sched.step()
    assert sched.last_epoch == big and isinstance(sched.last_epoch, int)
    assert opt.param_groups[0]["lr"] == 0.25


def test_relative_mode_scales_each_group():
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.1},
              {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.003}]
    opt = torch.optim.SGD(groups)
    schedule = lrcore.linear(init_value=1.0, end_value=0.25, transition_steps=4)
    sched = lrcore.torch.scheduler(opt, schedule, mode="relative")
    for n in range(6):
        factor = 1.0 + (0.25 - 1.0) * min(n, 4) / 4
        got = [g["lr"] for g in opt.param_groups]
        assert got == pytest.approx([0.1 * factor, 0.003 * factor], rel=1e-6)
        assert sched.get_last_lr() == got
        opt.step()
        sched.step()
    # Absolute mode gives every group the schedule's value.
    opt = torch.optim.SGD(copy.deepcopy(groups))
    lrcore.torch.scheduler(opt, schedule)
    assert [g["lr"] for g in opt.param_groups] == [1.0, 1.0]


def test_tensor_lr_is_filled_in_place():
    lr = torch.tensor(0.01)
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([p], lr=lr)
    sched = lrcore.torch.scheduler(opt, lrcore.linear(init_value=1.0, end_value=0.0, transition_steps=4))
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 1.0
    p.grad = torch.ones(2)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 0.75
    last = sched.get_last_lr()[0]
    assert isinstance(last, torch.Tensor) and last is not lr and last.item() == 0.75
    state = sched.state_dict()
    sched2 = lrcore.torch.scheduler(opt, lrcore.linear(init_value=1.0, end_value=0.0, transition_steps=4))
    assert lr.item() == 1.0
    sched2.load_state_dict(state)
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 0.75


def test_scheduler_validation():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    s = lrcore.constant(0.1)
    with pytest.raises(TypeError, match="`optimizer`"):
        lrcore.torch.scheduler([torch.zeros(1)], s)
    with pytest.raises(TypeError, match="`schedule`"):
        lrcore.torch.scheduler(opt, lambda n: 0.1)
    with pytest.raises(TypeError, match="`schedule`"):
        lrcore.torch.scheduler(opt, 0.1)
    with pytest.raises(ValueError, match="`mode`"):
        lrcore.torch.scheduler(opt, s, mode="multiplicative")
    sched = lrcore.torch.scheduler(opt, s)
    with pytest.raises(TypeError, match="`epoch`"):
        sched.step(3)
    other = lrcore.torch.scheduler(opt, lrcore.constant(0.2)).state_dict()
    with pytest.raises(ValueError, match="`state_dict`"):
        sched.load_state_dict(other)
    relative = lrcore.torch.scheduler(opt, s, mode="relative").state_dict()
    with pytest.raises(ValueError, match="`state_dict`"):
        sched.load_state_dict(relative)


# -- parity with torch's own schedulers ------------------------------------------------------------
def _sgd(lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(3))], lr=lr, momentum=0.9)


def _lr_sequence(opt, sched, updates):
    out = []
    for _ in range(updates):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        sched.step()
    return np.asarray(out)


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
def test_parity_with_torch_schedulers(peer):
    make_peer, schedule = PEERS[peer]
    updates = 50 if peer.startswith("OneCycleLR") else 60
    if peer == "OneCycleLR-linear-3phase":
        updates = 37  # torch raises past total_steps
    opt = _sgd(LR0)
    want = _lr_sequence(opt, make_peer(opt), updates)
    opt = _sgd(LR0)
    got = _lr_sequence(opt, lrcore.torch.scheduler(opt, schedule), updates)
    assert_ulp_close(got, want, 32, context=peer)


@pytest.mark.parametrize(
    "schedule",
    [
        lrcore.polynomial_decay(1.0, 0.1, 3000, power=0.5),
        lrcore.cosine_decay(1.0, 3000, 0.1, exponent=1.7),
        lrcore.warmup_cosine_decay(0.0, 1.0, 100, 3000, exponent=3.0),
    ],
    ids=["polynomial_power", "cosine_exponent", "warmup_cosine_exponent"],
)
def test_array_of_steps_is_bit_identical_to_each_step_alone(schedule):
    # torch's vectorized and scalar pow kernels round differently; the core avoids pow for this.
    steps = torch.arange(3000)
    together = schedule(steps)
    alone = torch.stack([schedule(steps[i]) for i in range(3000)])
    assert torch.equal(together, alone)
