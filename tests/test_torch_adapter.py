"""The PyTorch adapter: tensor callables (also under torch.compile) and lrcore.torch.scheduler."""

from __future__ import annotations

import copy
import inspect
import io
import math
import warnings

import numpy as np
import pytest
import torch

import lrcore
import lrcore.backends.torch
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


@pytest.mark.parametrize("name", lrcore.SCHEDULES)
def test_factory_is_offered(name):
    got, core = inspect.signature(getattr(lrcore.torch, name)), inspect.signature(getattr(lrcore, name))
    assert got.parameters == core.parameters and got.return_annotation is lrcore.torch.TorchSchedule


def test_every_schedule_is_offered():
    assert {s.name for s in CASES.values()} == set(lrcore.SCHEDULES)
    assert set(lrcore.torch.__all__) == {
        *lrcore.SCHEDULES, "from_schedule", "scheduler", "TorchSchedule", "LrcoreScheduler", "ReduceLROnPlateau"
    }
    assert all(hasattr(lrcore.torch, name) for name in lrcore.torch.__all__)


@pytest.mark.parametrize("name", CASES, ids=examples.case_id)
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
    "name", ["sgdr-m2-peak-warm-keywords", "onecycle-three-keywords", "pc-tenfold-keywords", "join-keywords"],
    ids=examples.case_id,
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
@pytest.mark.parametrize("name", ["sgdr-m2-peak-warm-keywords", "onecycle-three-keywords"], ids=examples.case_id)
def test_torch_compile_fullgraph(name):
    fn = _torch(name)
    torch._dynamo.reset()
    compiled = torch.compile(lambda k: fn(k), fullgraph=True)
    steps = torch.as_tensor(STEPS, dtype=torch.int64)
    got = compiled(steps)
    assert got.dtype == torch.float32 and got.shape == steps.shape
    want = lrcore.numpy.from_schedule(fn.schedule)(STEPS)
    assert_ulp_close(got.double().numpy(), want, 32, context=name)


@pytest.mark.filterwarnings(INDUCTOR_NOISE)
@pytest.mark.parametrize(
    "name",
    ["sgdr-m2-peak-warm-keywords", "onecycle-three-keywords", "cyclic-down-exp-keywords", "join-keywords"],
    ids=examples.case_id,
)
def test_torch_compile_dynamic_fullgraph(name):
    # sgdr-m2-peak-warm-keywords has period_mul=2: its host-side cycle table needs the float
    # parameters as constants, also under dynamic=True (where Dynamo makes floats read from objects
    # symbolic).
    fn = _torch(name)
    torch._dynamo.reset()
    compiled = torch.compile(lambda k: fn(k), fullgraph=True, dynamic=True)
    for n in (50, 70, 150):  # several shapes, one dynamic graph
        want = lrcore.numpy.from_schedule(fn.schedule)(np.arange(n))
        assert_ulp_close(compiled(torch.arange(n)).double().numpy(), want, 32, context=name)


# One configuration per registered schedule (the first of the tests' table), plus the ones whose
# 0-d step once failed under fullgraph (a Python index by a 0-d tensor's value in the phase tables).
_ONE_PER_NAME = {}
for _label, _schedule, _ in examples.examples():
    _ONE_PER_NAME.setdefault(_schedule.name, _label)
COMPILE_CASES = {
    **{label: CASES[label] for label in _ONE_PER_NAME.values()},
    "onecycle(1.0, 100)": lrcore.onecycle(1.0, 100),
    "onecycle(1.0, 100, linear)": lrcore.onecycle(1.0, 100, anneal="linear"),
    "onecycle_momentum(100)": lrcore.onecycle_momentum(100),
    "cosine_restart(1.0, 10, period_mul=2.0)": lrcore.cosine_restart(1.0, 10, period_mul=2.0),
    # Real cycle lengths with a cycle_limit: the held step and the tanh's crossing are host constants.
    "cosine_restart(1.0, 10, 1.5, cycle_limit=5, whole_periods=False)": lrcore.cosine_restart(
        1.0, 10, 1.5, peak_mul=0.8, warmup_steps=2, cycle_limit=5, whole_periods=False),
    "tanh_restart(1.0, 10, 1.5, cycle_limit=5, whole_periods=False)": lrcore.tanh_restart(
        1.0, 10, 1.5, peak_mul=0.8, warmup_steps=2, cycle_limit=5, whole_periods=False),
    "polynomial_restart(1.0, 10, 2.5, k_decay=2.0, cycle_limit=4, whole_periods=False)": lrcore.polynomial_restart(
        1.0, 10, 2.5, power=0.5, k_decay=2.0, cycle_limit=4, whole_periods=False),
    # A warmup reads its schedule's first value through each combinator's declared `at_zero`.
    "warmup(clip(scale(join([constant, warmup]))))": lrcore.warmup(
        lrcore.clip(lrcore.join([lrcore.constant(0.5), lrcore.warmup(lrcore.cosine_decay(1.0, 30), 4)], [0]) * 2.0, max_value=1.5),
        6, 0.1,
    ),  # fmt: skip
}


def test_every_registered_schedule_has_a_compile_case():
    assert {s.name for s in COMPILE_CASES.values()} == set(lrcore.schedule.names())


@pytest.mark.parametrize("label", sorted(COMPILE_CASES), ids=examples.case_id)
def test_fullgraph_on_a_0d_and_an_array_step_is_bit_identical_to_eager(label):
    # Dynamo's graph capture with fullgraph=True, run by the eager kernels (aot_eager): the traced
    # operations are the eager ones, so the values are bit for bit.
    fn = lrcore.torch.from_schedule(COMPILE_CASES[label])
    for step in (torch.tensor(40), torch.tensor(0), torch.tensor(2**40), torch.arange(-2, 130)):
        torch._dynamo.reset()
        got = torch.compile(fn, fullgraph=True, backend="aot_eager")(step)
        want = fn(step)
        assert got.shape == step.shape and got.dtype == torch.float32
        assert torch.equal(got, want), (label, step)


@pytest.mark.filterwarnings(INDUCTOR_NOISE)
@pytest.mark.parametrize("label", ["onecycle(1.0, 100)", "onecycle_momentum(100)", "cosine_restart(1.0, 10, period_mul=2.0)"])
def test_inductor_fullgraph_on_a_0d_step(label):
    fn = lrcore.torch.from_schedule(COMPILE_CASES[label])
    torch._dynamo.reset()
    compiled = torch.compile(fn, fullgraph=True)
    for n in (0, 29, 40, 99, 500):
        want = lrcore.numpy.from_schedule(fn.schedule)(np.asarray(n))
        # Inductor's own kernels (cos): within 4 float32 ulp of the schedule's peak (1.0), as eager.
        assert_ulp_close(compiled(torch.tensor(n)).double().numpy(), want, 32, scale=1.0, context=f"{label} at {n}")


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
    # Absolute mode would overwrite the groups' different lrs with one value: refused, naming the remedy.
    opt = torch.optim.SGD(copy.deepcopy(groups))
    before = [g["lr"] for g in opt.param_groups]
    with pytest.raises(ValueError, match="`mode`.*per param group.*mode='relative'"):
        lrcore.torch.scheduler(opt, schedule)
    assert [g["lr"] for g in opt.param_groups] == before  # untouched
    # Groups that start with the same lr take the schedule's value.
    same = [{"params": [torch.nn.Parameter(torch.zeros(2))]}, {"params": [torch.nn.Parameter(torch.zeros(2))]}]
    opt = torch.optim.SGD(same, lr=0.3)
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
    other = lrcore.torch.scheduler(opt, lrcore.constant(0.2)).state_dict()
    with pytest.raises(ValueError, match="`state_dict`"):
        sched.load_state_dict(other)
    relative = lrcore.torch.scheduler(opt, s, mode="relative").state_dict()
    with pytest.raises(ValueError, match="`state_dict`"):
        sched.load_state_dict(relative)


# -- step(epoch) and last_epoch (torch's own tests of them: tests/test_torch_lrscheduler_port.py) ----
def _sgd(lr=1.0, groups=1):
    return torch.optim.SGD(_groups(*[lr] * groups))


def test_step_epoch_goes_to_that_step_exactly_and_warns_nothing():
    schedule = lrcore.exponential_decay(1.0, 1, 0.5)
    opt = _sgd()
    sched = lrcore.torch.scheduler(opt, schedule)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns EPOCH_DEPRECATION_WARNING here; lrcore does not
        for epoch in [3, 3, 0, 7, 2**40, 5, np.int64(6), torch.tensor(9), 12.0, np.array(4), np.array([2.0])]:
            opt.step()
            sched.step(epoch)
            n = int(np.asarray(epoch).item())
            assert sched.last_epoch == n and isinstance(sched.last_epoch, int)
            assert sched.get_last_lr() == [opt.param_groups[0]["lr"]] == [float(np.float32(0.5**n))]
        opt.step()
        sched.step()  # step() goes on from there
    assert sched.last_epoch == 3 and opt.param_groups[0]["lr"] == 0.5**3


@pytest.mark.parametrize(
    ("epoch", "error", "match"),
    [
        (2.5, ValueError, r"`epoch` must be a whole number: .*count optimizer updates.*Received: epoch=2\.5"),
        (float("nan"), ValueError, r"`epoch` must be a whole number"),
        (float("inf"), ValueError, r"`epoch` must be a whole number"),
        (torch.tensor(1.5), ValueError, r"`epoch` must be a whole number.*tensor\(1\.5"),
        (-1, ValueError, r"`epoch` must be in \[0, 9223372036854775807\]. Received: epoch=-1"),
        (2**63, ValueError, r"`epoch` must be in \[0, "),
        (True, TypeError, r"`epoch` must be an integer"),
        ("3", TypeError, r"`epoch` must be an integer \(a whole number of steps\). Received: epoch='3'"),
        (torch.ones(2), TypeError, r"`epoch` must be an integer"),
        (torch.tensor(True), TypeError, r"`epoch` must be an integer"),
        (torch.empty((), device="meta", dtype=torch.int64), TypeError, r"`epoch` must be an integer"),
        (torch.empty(1, device="meta"), TypeError, r"`epoch` must be an integer"),
        (np.array(2.5), ValueError, r"`epoch` must be a whole number"),
        (np.array("3"), TypeError, r"`epoch` must be an integer"),
        (np.ones(3), TypeError, r"`epoch` must be an integer"),
        (1 + 2j, TypeError, r"`epoch` must be an integer"),
    ],
    ids=repr,
)
def test_step_epoch_refuses_what_is_not_a_step_and_changes_nothing(epoch, error, match):
    opt = _sgd()
    sched = lrcore.torch.scheduler(opt, lrcore.exponential_decay(1.0, 1, 0.5))
    opt.step()
    sched.step()
    with pytest.raises(error, match=match):
        sched.step(epoch)
    assert sched.last_epoch == 1 and opt.param_groups[0]["lr"] == 0.5 and sched.get_last_lr() == [0.5]


def test_step_epoch_hands_the_scheduler_over_from_a_wrapping_plateau():
    """step(epoch) places the scheduler: after it the plateau no longer advances it (nothing counts
    twice, however many updates the plateau advanced before)."""
    opt = _sgd()
    sched = lrcore.torch.scheduler(opt, lrcore.linear(1.0, 0.0, 100))
    plateau = lrcore.torch.ReduceLROnPlateau(sched)
    for _ in range(3):
        opt.step()  # the plateau advances the scheduler after each
    assert sched.last_epoch == 3
    sched.step(10)
    opt.step()
    assert sched.last_epoch == 10 and opt.param_groups[0]["lr"] == float(np.float32(0.9))
    sched.step()
    assert sched.last_epoch == 11 and plateau.scale == 1.0


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_last_epoch_resumes_as_torch_one_step_on(mode):
    """last_epoch=N: the constructor steps to N + 1 (torch's convention), in relative mode from each
    group's initial_lr; the value is the schedule's, whatever the lr the group holds."""
    schedule = lrcore.exponential_decay(1.0, 1, 0.5)
    opt = torch.optim.SGD(_groups(0.3, 0.3 if mode == "absolute" else 0.7))
    for group, initial in zip(opt.param_groups, (0.4, 0.4 if mode == "absolute" else 0.8)):
        group["initial_lr"] = initial
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched = lrcore.torch.scheduler(opt, schedule, mode=mode, last_epoch=4)
    assert sched.last_epoch == 5
    want = [0.5**5] * 2 if mode == "absolute" else [0.4 * 0.5**5, 0.8 * 0.5**5]
    assert [g["lr"] for g in opt.param_groups] == pytest.approx(want, rel=1e-7)
    assert [g["initial_lr"] for g in opt.param_groups] == ([0.4, 0.4] if mode == "absolute" else [0.4, 0.8])
    opt.step()
    sched.step()
    assert sched.last_epoch == 6
    # -1 is a fresh start (the default); anything else below it, or not an integer, is refused.
    assert lrcore.torch.scheduler(_sgd(), schedule, last_epoch=-1).last_epoch == 0
    for bad, error in [(-2, ValueError), (1.5, ValueError), ("4", TypeError), (None, TypeError), (2**63 - 1, ValueError)]:
        opt = _sgd()
        opt.param_groups[0]["initial_lr"] = 1.0
        with pytest.raises(error, match="`last_epoch`"):
            lrcore.torch.scheduler(opt, schedule, last_epoch=bad)
        assert opt.param_groups[0]["lr"] == 1.0  # nothing changed


def test_last_epoch_without_initial_lr_is_a_key_error_naming_it():
    opt = torch.optim.SGD(_groups(0.1, 0.1))
    opt.param_groups[0]["initial_lr"] = 0.1  # the second group lacks it
    with pytest.raises(KeyError, match=r"param_groups\[1\].*`last_epoch`=3 resumes a run.*`initial_lr`"):
        lrcore.torch.scheduler(opt, lrcore.constant(0.1), last_epoch=3)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.1] and "initial_lr" not in opt.param_groups[1]


def test_plateau_step_with_epoch_sets_last_epoch_as_torch_and_warns_nothing():
    opt, torch_opt = _sgd(0.1, 2), _sgd(0.1, 2)
    plateau = lrcore.torch.ReduceLROnPlateau(lrcore.torch.scheduler(opt, lrcore.constant(0.1)), patience=1)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, patience=1)
    for epoch, metric in [(5, 1.0), (5, 1.0), (2, 1.0), (9, 0.5), (3, 0.5), (4, 0.5)]:
        with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
            theirs.step(metric, epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            plateau.step(metric, epoch)
        assert plateau.last_epoch == theirs.last_epoch == epoch
        assert plateau.num_bad_epochs == theirs.num_bad_epochs and plateau.best == theirs.best
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in torch_opt.param_groups], rel=1e-7)
    plateau.step(0.5)
    assert plateau.last_epoch == 5 and plateau.state_dict()["last_epoch"] == 5
    for bad, error in [(1.5, ValueError), (-1, ValueError), ("2", TypeError)]:
        with pytest.raises(error, match="`epoch`"):
            plateau.step(0.1, bad)
    assert plateau.last_epoch == 5 and plateau.best == 0.5  # a refused step changes nothing


# -- parity with torch's own schedulers ------------------------------------------------------------
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


# -- per-group schedules, added groups, momentum and weight decay -----------------------------------
def _groups(*lrs, **extra):
    return [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr, **extra} for lr in lrs]


def _step(opt, sched):
    for group in opt.param_groups:
        for p in group["params"]:
            p.grad = torch.ones_like(p)
    opt.step()
    sched.step()


def test_per_group_schedules_and_their_validation():
    opt = torch.optim.SGD(_groups(0.1, 0.01))
    a, b = lrcore.constant(0.1), lrcore.linear(0.01, 0.0, 4)
    sched = lrcore.torch.scheduler(opt, [a, lrcore.torch.from_schedule(b)])
    assert sched.schedule == (a, b)
    for n in range(6):
        assert [g["lr"] for g in opt.param_groups] == [float(np.float32(0.1)), float(np.float32(0.01 * (1 - min(n, 4) / 4)))]
        _step(opt, sched)
    with pytest.raises(ValueError, match="`schedule`.*one schedule per param group \\(2\\).*3"):
        lrcore.torch.scheduler(torch.optim.SGD(_groups(0.1, 0.01)), [a, a, a])
    with pytest.raises(TypeError, match="`schedule\\[1\\]`"):
        lrcore.torch.scheduler(torch.optim.SGD(_groups(0.1, 0.01)), [a, 0.5])


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_groups_added_later_are_driven(mode):
    opt = torch.optim.SGD(_groups(0.5))
    schedule = lrcore.exponential_decay(1.0, 1, 0.5)
    sched = lrcore.torch.scheduler(opt, schedule, mode=mode)
    _step(opt, sched)
    _step(opt, sched)
    added = 0.2 if mode == "relative" else 0.5  # absolute mode refuses an lr it would overwrite
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": added})
    _step(opt, sched)  # used to raise a bare KeyError in relative mode
    lrs = [g["lr"] for g in opt.param_groups]
    if mode == "absolute":
        assert lrs == [0.125, 0.125]
    else:  # each group's initial lr (the added group's lr when it was added) times the schedule
        assert lrs == [0.5 * 0.125, 0.2 * 0.125]
    assert opt.param_groups[1]["initial_lr"] == added
    assert sched.get_last_lr() == lrs
    # A list of per-group schedules cannot guess the new group's: refused, naming the argument.
    opt = torch.optim.SGD(_groups(0.5))
    sched = lrcore.torch.scheduler(opt, [schedule], mode=mode)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.2})
    with pytest.raises(ValueError, match="`schedule`.*one schedule per param group"):
        sched.step()


def test_momentum_sets_momentum_or_beta1_and_weight_decay():
    momentum, wd = lrcore.linear(0.9, 0.8, 4), lrcore.linear(0.0, 0.1, 2)
    sgd = torch.optim.SGD(_groups(0.1, 0.1), momentum=0.5)
    adamw = torch.optim.AdamW(_groups(0.1, 0.1), betas=(0.5, 0.99))
    for opt in (sgd, adamw):
        sched = lrcore.torch.scheduler(opt, lrcore.constant(0.1), momentum=momentum, weight_decay=wd)
        assert sched.momentum == momentum and sched.weight_decay == wd and "momentum=" in repr(sched)
        for n in range(5):
            m = float(np.float32(0.9 + (0.8 - 0.9) * min(n, 4) / 4))
            w = float(np.float32(0.1 * min(n, 2) / 2))
            for g in opt.param_groups:
                assert (g["momentum"] if opt is sgd else g["betas"][0]) == m
                assert g["weight_decay"] == w
                if opt is adamw:
                    assert g["betas"][1] == 0.99
            _step(opt, sched)
    # Per-group momentum lists, and an optimizer without momentum or betas.
    opt = torch.optim.SGD(_groups(0.1, 0.1), momentum=0.5)
    lrcore.torch.scheduler(opt, lrcore.constant(0.1), momentum=[lrcore.constant(0.9), lrcore.constant(0.7)])
    assert [g["momentum"] for g in opt.param_groups] == [float(np.float32(0.9)), float(np.float32(0.7))]
    with pytest.raises(ValueError, match="`momentum`.*Adagrad"):
        lrcore.torch.scheduler(torch.optim.Adagrad(_groups(0.1)), lrcore.constant(0.1), momentum=momentum)
    with pytest.raises(ValueError, match="`momentum`.*one schedule per param group"):
        lrcore.torch.scheduler(torch.optim.SGD(_groups(0.1)), lrcore.constant(0.1), momentum=[momentum] * 2)


def test_absolute_weight_decay_refuses_to_overwrite_differing_groups():
    # The usual decay / no-decay split: one weight-decay schedule would overwrite the 0.
    groups = _groups(0.1, 0.1)
    groups[0]["weight_decay"], groups[1]["weight_decay"] = 0.01, 0.0
    opt = torch.optim.AdamW(groups)
    wd = lrcore.cosine_decay(1.0, 10)
    # Weight decay is absolute in every mode (only the lr is relative): refused in both.
    for mode in ("absolute", "relative"):
        with pytest.raises(ValueError, match="`weight_decay` would overwrite.*in every mode.*one schedule per param group") as err:
            lrcore.torch.scheduler(opt, lrcore.constant(0.1), weight_decay=wd, mode=mode)
        # The message offers no remedy that cannot work (a relative mode for weight decay).
        assert "`mode`" not in str(err.value) and "mode='relative'" not in str(err.value)
    sched = lrcore.torch.scheduler(opt, lrcore.constant(1.0), weight_decay=[wd, lrcore.constant(0.0)], mode="relative")
    for n in range(3):
        factor = float(np.float32(0.5 * (1 + math.cos(math.pi * n / 10))))
        assert [g["weight_decay"] for g in opt.param_groups] == [factor, 0.0]
        _step(opt, sched)


@pytest.mark.parametrize("kind", ["sgd", "adamw"])
def test_relative_mode_sets_momentum_and_weight_decay_absolutely(kind):
    # Only the lr is relative: momentum / beta1 and weight decay are the schedules' values, as torch sets them.
    momentum, wd = lrcore.linear(0.95, 0.85, 4), lrcore.linear(0.0, 0.1, 2)
    groups = _groups(0.1, 0.01)
    opt = torch.optim.SGD(groups, momentum=0.9) if kind == "sgd" else torch.optim.AdamW(groups, betas=(0.9, 0.99))
    sched = lrcore.torch.scheduler(opt, lrcore.constant(0.5), mode="relative", momentum=momentum, weight_decay=wd)
    for n in range(6):
        m = float(np.float32(0.95 + (0.85 - 0.95) * min(n, 4) / 4))
        w = float(np.float32(0.1 * min(n, 2) / 2))
        assert [g["lr"] for g in opt.param_groups] == [0.1 * 0.5, 0.01 * 0.5]
        assert [g["momentum"] if kind == "sgd" else g["betas"][0] for g in opt.param_groups] == [m, m]
        assert [g["weight_decay"] for g in opt.param_groups] == [w, w]
        _step(opt, sched)


def test_absolute_mode_refuses_an_added_group_it_would_overwrite():
    opt = torch.optim.SGD(_groups(0.1), momentum=0.9)
    sched = lrcore.torch.scheduler(opt, lrcore.constant(0.1))
    _step(opt, sched)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.001})
    opt.step()
    with pytest.raises(ValueError, match=r"`mode`='absolute'.*lr 0\.001 of param group 1.*mode='relative'"):
        sched.step()
    # Added with the common lr, or with none (the optimizer's default): driven.
    for extra in ({"lr": 0.1}, {}):
        opt = torch.optim.SGD(_groups(0.1), lr=0.1)
        sched = lrcore.torch.scheduler(opt, lrcore.exponential_decay(0.1, 1, 0.5))
        _step(opt, sched)
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], **extra})
        _step(opt, sched)
        assert [g["lr"] for g in opt.param_groups] == [float(np.float32(0.025))] * 2
    # Or with the lr the schedule set last (copied from another group).
    opt = torch.optim.SGD(_groups(0.1))
    sched = lrcore.torch.scheduler(opt, lrcore.exponential_decay(0.1, 1, 0.5))
    _step(opt, sched)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": opt.param_groups[0]["lr"]})
    _step(opt, sched)
    assert [g["lr"] for g in opt.param_groups] == [float(np.float32(0.025))] * 2
    # A single momentum schedule refuses an added group with another momentum, in every mode.
    for mode in ("absolute", "relative"):
        opt = torch.optim.SGD(_groups(0.1), momentum=0.9)
        sched = lrcore.torch.scheduler(opt, lrcore.constant(1.0), mode=mode, momentum=lrcore.constant(0.9))
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.1, "momentum": 0.5})
        with pytest.raises(ValueError, match="`mode`.*momentum 0\\.5 of param group 1"):
            sched.step()


def test_load_state_dict_refuses_another_number_of_param_groups():
    s = lrcore.constant(0.1)
    two = lrcore.torch.scheduler(torch.optim.SGD(_groups(0.1, 0.01)), s, mode="relative")
    one = lrcore.torch.scheduler(torch.optim.SGD(_groups(0.1)), s, mode="relative")
    with pytest.raises(ValueError, match="`state_dict`.*2 param group.*has 1"):
        one.load_state_dict(two.state_dict())
    with pytest.raises(ValueError, match="`state_dict`.*1 param group.*has 2"):
        two.load_state_dict(one.state_dict())
    assert one.base_lrs == [0.1]


# -- lrcore owns the lr: one warning when something else changes it ---------------------------------
def test_torch_plateau_beside_lrcore_warns_once_and_the_lr_goes_back():
    opt = torch.optim.SGD(_groups(0.1, 0.1))
    ours = lrcore.torch.scheduler(opt, lrcore.constant(0.1))
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    scheduled = float(np.float32(0.1))
    theirs.step(1.0)
    theirs.step(2.0)  # cuts both groups' lr to 0.05 ...
    assert opt.param_groups[0]["lr"] == scheduled * 0.5
    with pytest.warns(UserWarning, match="param group 0.*param group 1.*ReduceLROnPlateau") as record:
        _step(opt, ours)  # ... which lrcore notices once and undoes
    assert len(record) == 1
    assert [g["lr"] for g in opt.param_groups] == [scheduled, scheduled]
    opt.param_groups[1]["lr"] = 7.0  # user code: put back, and not warned a second time
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _step(opt, ours)
    assert opt.param_groups[1]["lr"] == scheduled


def test_tensor_lr_changed_by_someone_else_is_noticed():
    lr = torch.tensor(0.01)
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=lr)
    sched = lrcore.torch.scheduler(opt, lrcore.constant(0.5))
    lr.fill_(0.3)
    with pytest.warns(UserWarning, match="param group 0"):
        _step(opt, sched)
    assert lr.item() == 0.5


# -- checkpoints ----------------------------------------------------------------------------------
def _roundtrip(state):
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def _plain(x):
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return all(_plain(v) for v in x)
    return x is None or isinstance(x, (bool, int, float, str))


def test_load_state_dict_refuses_what_is_not_this_lrcore_schedulers_state():
    s = lrcore.cosine_decay(0.1, 10)
    opt = torch.optim.SGD(_groups(0.1), momentum=0.9)
    sched = lrcore.torch.scheduler(opt, s, momentum=lrcore.constant(0.9))
    state = sched.state_dict()
    assert _plain(state)
    native = torch.optim.lr_scheduler.StepLR(torch.optim.SGD(_groups(0.1)), step_size=3).state_dict()
    with pytest.raises(ValueError, match="not saved by an lrcore scheduler.*step_size"):
        sched.load_state_dict(native)
    others = {
        "schedule": lrcore.torch.scheduler(opt, lrcore.cosine_decay(0.1, 11), momentum=lrcore.constant(0.9)),
        "momentum": lrcore.torch.scheduler(opt, s, momentum=lrcore.constant(0.8)),
        "mode": lrcore.torch.scheduler(opt, s, mode="relative", momentum=lrcore.constant(0.9)),
        "weight_decay": lrcore.torch.scheduler(opt, s, momentum=lrcore.constant(0.9), weight_decay=s),
    }
    for what, other in others.items():
        with pytest.raises(ValueError, match=f"different settings: .*{what}: saved"):
            sched.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match="different settings: schedule"):
        sched.load_state_dict(lrcore.torch.scheduler(opt, [s], momentum=lrcore.constant(0.9)).state_dict())
    with pytest.raises(TypeError, match="`state_dict`"):
        sched.load_state_dict([("last_epoch", 3)])
    sched.load_state_dict(_roundtrip(state))  # its own state loads


def _train(total, resume_at=None, order="optimizer_first"):
    """AdamW with per-group lr, beta1 and weight-decay schedules plus the plateau; optionally resumed."""
    lr = [lrcore.onecycle(0.02, 30), lrcore.cosine_restart(0.01, 5, 2.0, warmup_steps=1)]
    beta1 = lrcore.onecycle_momentum(30)
    wd = lrcore.linear(0.0, 0.01, 10)

    def build(model, lr0):
        opt = torch.optim.AdamW([{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=lr0)
        sched = lrcore.torch.scheduler(opt, lr, momentum=beta1, weight_decay=wd)
        return opt, sched, lrcore.torch.ReduceLROnPlateau(sched, factor=0.5, patience=1, cooldown=1, min_lr=1e-4)

    model = _model()
    opt, sched, plateau = build(model, 0.02)
    seen = []
    for n in range(total):
        if n == resume_at:
            ckpt = _roundtrip({"model": model.state_dict(), "opt": opt.state_dict(),
                               "sched": sched.state_dict(), "plateau": plateau.state_dict()})  # fmt: skip
            assert _plain(ckpt["sched"]) and _plain(ckpt["plateau"])
            model = _model(seed=123)
            model.load_state_dict(ckpt["model"])
            opt, sched, plateau = build(model, 0.7)
            loads = [("opt", opt), ("sched", sched), ("plateau", plateau)]
            if order == "scheduler_first":
                loads = loads[::-1]
            for key, obj in loads:
                obj.load_state_dict(ckpt[key])
        seen.append([(g["lr"], g["betas"][0], g["weight_decay"]) for g in opt.param_groups])
        _train_step(model, opt, n)
        sched.step()
        if n % 3 == 2:
            plateau.step(1.0 + 0.01 * (n % 2))  # no improvement: the scale drops
    return seen, [p.detach().clone() for p in model.parameters()], plateau.scale


@pytest.mark.parametrize("order", ["optimizer_first", "scheduler_first"])
@pytest.mark.parametrize("resume_at", [4, 11, 19])
def test_resume_with_momentum_weight_decay_and_plateau_is_bit_exact(order, resume_at):
    seen, weights, scale = _train(24)
    assert scale < 1.0
    seen2, weights2, scale2 = _train(24, resume_at, order)
    assert seen2 == seen and scale2 == scale
    for p, q in zip(weights, weights2):
        assert torch.equal(p, q)


def test_plateau_validation_and_state():
    opt = torch.optim.SGD(_groups(0.1, 0.1))
    sched = lrcore.torch.scheduler(opt, lrcore.constant(0.1))
    with pytest.raises(TypeError, match="`scheduler`"):
        lrcore.torch.ReduceLROnPlateau(torch.optim.lr_scheduler.StepLR(opt, 2))
    with pytest.raises(ValueError, match="`factor`"):
        lrcore.torch.ReduceLROnPlateau(sched, factor=1.5)
    with pytest.raises(ValueError, match="`min_lr`"):
        lrcore.torch.ReduceLROnPlateau(sched, min_lr=[0.1])
    with pytest.raises(TypeError, match="`metrics`"):
        lrcore.torch.ReduceLROnPlateau(sched).step("low")
    plateau = lrcore.torch.ReduceLROnPlateau(sched, patience=0)
    with pytest.raises(ValueError, match="`state_dict`"):
        plateau.load_state_dict(torch.optim.lr_scheduler.ReduceLROnPlateau(opt).state_dict())
    with pytest.raises(ValueError, match="different plateau rule"):
        plateau.load_state_dict(lrcore.torch.ReduceLROnPlateau(sched, patience=3).state_dict())



# -- the plateau driving the scheduler it wraps ------------------------------------------------------
def _plateau_loop(step_scheduler, n=12, resume_at=None):
    """SGD on a cosine, a metric every 4 updates; the scheduler stepped by us or left to the plateau.

    Resumed (optionally) from the plateau's state_dict alone, into new objects. Returns the lr
    applied at each update and the final objects."""
    def build():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.5, momentum=0.9)
        sched = lrcore.torch.scheduler(opt, lrcore.cosine_decay(0.5, 10))
        return opt, sched, lrcore.torch.ReduceLROnPlateau(sched, factor=0.5, patience=0)

    opt, sched, plateau = build()
    applied = []
    for k in range(n):
        if k == resume_at:
            saved = _roundtrip(plateau.state_dict())
            assert _plain(saved)
            opt, sched, plateau = build()
            plateau.load_state_dict(saved)
        applied.append(opt.param_groups[0]["lr"])
        opt.step()
        if step_scheduler:
            sched.step()
        if k % 4 == 3:
            plateau.step(1.0)  # the first metric is the best; the next ones halve the scale
    return applied, sched, plateau


def _cosine_times_scale(k):
    scale = 1.0 if k < 8 else 0.5  # metrics after updates 3 (best) and 7 (not better): halved from 8 on
    return 0.5 * 0.5 * (1 + math.cos(math.pi * min(k, 10) / 10)) * scale


@pytest.mark.parametrize("resume_at", [None, 6, 8])
def test_plateau_alone_advances_the_schedule_as_stepping_both(resume_at):
    alone, sched, plateau = _plateau_loop(False, resume_at=resume_at)
    both, sched_both, _ = _plateau_loop(True)
    assert alone == both and sched.last_epoch == sched_both.last_epoch == 12
    for k, lr in enumerate(alone):
        assert abs(lr - _cosine_times_scale(k)) <= 4 * 2.0**-23 * 0.5, (k, lr)
    # The third metric would halve it again, but the schedule is 0 by then: torch's eps test skips it.
    assert plateau.scale == 0.5 and plateau.num_bad_epochs == 0 and plateau.get_last_lr() == sched.get_last_lr()


def test_a_scheduler_stepped_after_updates_the_plateau_advanced_is_refused():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.5)
    sched = lrcore.torch.scheduler(opt, lrcore.linear(0.5, 0.0, 10))
    plateau = lrcore.torch.ReduceLROnPlateau(sched)
    opt.step()
    opt.step()  # e.g. a scheduler stepped once per epoch: the plateau already advanced it twice
    with pytest.raises(ValueError, match="after 2 optimizer updates.*count an update twice"):
        sched.step()
    assert sched.last_epoch == 2 and plateau.scale == 1.0


def test_scale_floor_and_plateau_link_are_set_through_public_methods():
    """What a wrapping plateau uses: set_scale (lr = min(schedule(n), max(schedule(n) · scale,
    min_lr))), the unscaled lrs, and the link that decides who advances the scheduler."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 2.0})
    sched = lrcore.torch.scheduler(opt, lrcore.piecewise_constant([2], [0.5, 0.25]), mode="relative")
    sched.set_scale(0.5)
    assert sched.get_last_lr() == [0.25, 0.5] and sched.unscaled_lrs() == [0.5, 1.0]
    sched.set_scale(0.25, min_lrs=[0.1, 0.2])
    assert sched.get_last_lr() == [0.125, 0.25]  # above both floors
    for _ in range(2):
        opt.step()
        sched.step()
    assert sched.unscaled_lrs() == [0.25, 0.5] and sched.get_last_lr() == [0.1, 0.2]  # 0.0625, 0.125: floored
    assert sched.state_dict()["scale"] == 0.25 and sched.state_dict()["min_lr"] == [0.1, 0.2]
    assert sched.plateau_link is None
    plateau = lrcore.torch.ReduceLROnPlateau(sched, min_lr=0.05)
    assert sched.plateau_link is not None
    assert sched.get_last_lr() == [0.25, 0.5]  # the plateau's scale (1) and floor replace them
    del plateau
    import gc

    gc.collect()
    assert sched.plateau_link is None


def test_a_newer_plateau_drives_and_a_collected_one_lets_go():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.5)
    sched = lrcore.torch.scheduler(opt, lrcore.linear(0.5, 0.0, 10))
    first = lrcore.torch.ReduceLROnPlateau(sched)
    second = lrcore.torch.ReduceLROnPlateau(sched)
    opt.step()
    assert sched.last_epoch == 1  # advanced once, by the newer plateau only
    del second
    import gc

    gc.collect()
    opt.step()
    sched.step()  # no plateau drives it now: every call steps
    sched.step()
    assert sched.last_epoch == 3 and first.scale == 1.0


# torch warns so for the copy of any scheduler stepped after its optimizer copy (the copy lacks the
# step wrapper torch puts on the optimizer when a scheduler is built); not lrcore's warning.
@pytest.mark.filterwarnings("ignore:Seems like `optimizer.step\\(\\)` has been overridden:UserWarning")
def test_a_copied_plateau_advances_its_own_scheduler():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.5)
    sched = lrcore.torch.scheduler(opt, lrcore.linear(0.5, 0.0, 10))
    plateau = lrcore.torch.ReduceLROnPlateau(sched)
    twin = copy.deepcopy(plateau)
    twin.optimizer.step()
    assert (twin.scheduler.last_epoch, sched.last_epoch) == (1, 0)
    opt.step()
    opt.step()
    assert (twin.scheduler.last_epoch, sched.last_epoch) == (1, 2)


def test_plateau_state_holds_the_scheduler_and_older_states_load():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.5)
    sched = lrcore.torch.scheduler(opt, lrcore.linear(0.5, 0.0, 10))
    plateau = lrcore.torch.ReduceLROnPlateau(sched, factor=0.5, patience=0)
    for metric in (1.0, 2.0):
        opt.step()
        plateau.step(metric)
    state, inner = plateau.state_dict(), sched.state_dict()
    assert state["scheduler"] == inner and inner["last_epoch"] == 2 and state["state"][0] == 0.5
    # Loaded in either order beside the scheduler's own state: the plateau's scale stays.
    for order in ("plateau_first", "scheduler_first"):
        opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.5)
        sched2 = lrcore.torch.scheduler(opt2, lrcore.linear(0.5, 0.0, 10))
        plateau2 = lrcore.torch.ReduceLROnPlateau(sched2, factor=0.5, patience=0)
        pairs = [(plateau2, state), (sched2, {**inner, "scale": 1.0})]
        for obj, saved in pairs if order == "plateau_first" else pairs[::-1]:
            obj.load_state_dict(saved)
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == float(np.float32(0.4)) * 0.5, order
    # A state saved by lrcore 0.1 (no scheduler inside) restores the plateau and leaves the scheduler.
    old = {k: state[k] for k in ("rule", "state", "last_epoch", "min_lr")}
    plateau2.load_state_dict({"lrcore_plateau": 1, **old})
    assert plateau2.scale == 0.5 and sched2.last_epoch == 2
    # A rule saved before `cooldown_metrics` existed reads its default ("track"), and loads into the
    # default rule only; a rule dict that is not one is refused, naming the entry.
    before = {**state["rule"], "params": {k: v for k, v in state["rule"]["params"].items() if k != "cooldown_metrics"}}
    plateau2.load_state_dict({**state, "rule": before})
    assert plateau2.scale == 0.5
    ignoring = lrcore.torch.ReduceLROnPlateau(sched2, factor=0.5, patience=0, cooldown_metrics="ignore")
    with pytest.raises(ValueError, match="different plateau rule"):
        ignoring.load_state_dict({**state, "rule": before})
    with pytest.raises(ValueError, match=r"`state_dict\['rule'\]`.*bogus"):
        ignoring.load_state_dict({**state, "rule": {"name": "plateau", "params": {"bogus": 1}}})


# -- the cached blocks ----------------------------------------------------------------------------
def test_scheduler_values_are_the_float64_value_rounded_once_whatever_the_history():
    schedule = lrcore.cosine_restart(1e-3, 1000, 1.25, warmup_steps=250, end_value=1e-7)
    block = lrcore.backends.torch._BLOCK
    far = [0, block - 1, block, block + 1, 3 * block - 1, 2**31 - 1, 2**40 + 3, 2**63 - 2, 2**63 - 1]
    want = np.asarray(lrcore.numpy.from_schedule(schedule)(np.asarray(far, dtype=np.int64))).astype(np.float32)
    opt = torch.optim.SGD(_groups(1e-3))
    sched = lrcore.torch.scheduler(opt, schedule)
    state = sched.state_dict()
    for order in (far, far[::-1]):  # jumping forwards and backwards: the same values
        for k, w in zip(order, want if order is far else want[::-1]):
            state["last_epoch"] = k
            sched.load_state_dict(state)
            assert opt.param_groups[0]["lr"] == float(w), k
    # A step() from the largest step holds it (every later step has its value, and the state loads
    # again); a state past what the constructor and step(epoch) reach is refused, naming the entry.
    state["last_epoch"] = 2**63 - 1
    sched.load_state_dict(state)
    opt.step()
    sched.step()
    assert sched.last_epoch == 2**63 - 1 and opt.param_groups[0]["lr"] == float(want[-1])
    state["last_epoch"] = 2**70
    with pytest.raises(ValueError, match=r"state_dict\['last_epoch'\]"):
        sched.load_state_dict(state)


@pytest.mark.parametrize("mode", ["absolute", "relative"])
@pytest.mark.parametrize("kind", ["sgd-lr", "adam-betas"])
def test_groups_added_without_an_lr_get_the_same_values_after_a_resume(mode, kind):
    """torch puts the constructor's lr tensor in ``optimizer.defaults`` and in group 0; the
    scheduler sets group 0's in place, so a group added later without an lr took the scheduled lr
    in an uninterrupted run and the constructor's after a resume (``optimizer.load_state_dict``
    gives the groups new tensors). The defaults get the scheduler's own copy, and each group added
    with that default its own copy in turn: otherwise the scheduler's writes into the first added
    group moved the default again (the next group added started at the scheduled value), and two
    groups added at once shared one tensor (refused in relative mode). Every later value agrees, for
    the lr and for Adam's tensor ``betas[0]`` under a momentum schedule."""
    adds = {3: 1, 5: 2}  # step -> groups added there

    def build(added):
        ws = [torch.nn.Parameter(torch.zeros(1)) for _ in range(4)]
        if kind == "sgd-lr":
            opt = torch.optim.SGD([ws[0]], lr=torch.tensor(0.1))
            extra = {}
        else:
            opt = torch.optim.Adam([ws[0]], lr=0.1, betas=(torch.tensor(0.9), torch.tensor(0.999)))
            extra = {"momentum": lrcore.linear(0.9, 0.5, 10)}
        for w in ws[1:1 + added]:
            opt.add_param_group({"params": [w]})
        sched = lrcore.torch.scheduler(opt, lrcore.cosine_decay(1.0 if mode == "relative" else 0.1, 10), mode=mode, **extra)
        return opt, sched, ws

    def values(opt):
        return [(float(g["lr"]), float(g["betas"][0]) if "betas" in g else None) for g in opt.param_groups]

    def run(resume_at):
        opt, sched, ws = build(0)
        added, seen = 0, []
        for n in range(8):
            if n == resume_at:
                saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
                opt, sched, ws = build(added)  # the resumed run builds the same groups, then loads
                opt.load_state_dict(saved[0])
                sched.load_state_dict(saved[1])
            for _ in range(adds.get(n, 0)):
                added += 1
                opt.add_param_group({"params": [ws[added]]})
            seen.append(values(opt))
            _step(opt, sched)
        seen.append(values(opt))
        return seen

    straight = run(None)
    # Each added group starts at the constructor's value (the tensor's), as a fresh optimizer's default.
    at = 0 if kind == "sgd-lr" else 1
    assert straight[3][1][at] == straight[5][2][at] == straight[5][3][at] == float(torch.tensor(0.1 if at == 0 else 0.9))
    for cut in range(1, 8):
        assert run(cut) == straight, cut


def test_a_checkpoint_with_an_added_group_names_the_load_order_that_resumes_it():
    """A state saved between add_param_group and the next step(), loaded into the optimizer before
    a scheduler with a momentum schedule is built: the tracked group holds the scheduled momentum,
    the added one its own, and one schedule would overwrite it. Refused, saying to build the
    scheduler first; that order resumes exactly."""

    def build(added):
        ws = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
        opt = torch.optim.SGD([ws[0]], lr=0.1, momentum=0.9)
        if added:
            opt.add_param_group({"params": [ws[1]]})
        return opt, ws

    momentum = lrcore.linear(0.9, 0.5, 10)
    opt, ws = build(False)
    sched = lrcore.torch.scheduler(opt, lrcore.constant(0.1), momentum=momentum)
    for _ in range(3):
        _step(opt, sched)
    opt.add_param_group({"params": [ws[1]]})
    saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    _step(opt, sched)
    want = [g["momentum"] for g in opt.param_groups]

    late, _ = build(True)
    late.load_state_dict(saved[0])
    with pytest.raises(ValueError, match="`momentum` would overwrite.*build the scheduler before optimizer.load_state_dict"):
        lrcore.torch.scheduler(late, lrcore.constant(0.1), momentum=momentum)
    first, _ = build(True)
    resumed = lrcore.torch.scheduler(first, lrcore.constant(0.1), momentum=momentum)
    first.load_state_dict(saved[0])
    resumed.load_state_dict(saved[1])
    _step(first, resumed)
    assert [g["momentum"] for g in first.param_groups] == want


@pytest.mark.parametrize("order", ["optimizer first", "scheduler first"])
def test_sequential_lr_with_lrcore_schedulers_resumes_at_every_step(order):
    """Two defects of lrcore schedulers inside torch's SequentialLR. It sets the schedulers after the
    first to last_epoch -1 until their milestone, and the loader refused that saved -1 ("must be
    >= 0"): no checkpoint before a milestone could resume. At a milestone SequentialLR starts
    the next scheduler with ``_update_lr(0)``, which set its lr but left the previous scheduler's
    momentum for that update. A not-started state loads, and the milestone update takes the next
    scheduler's momentum."""

    def build():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SequentialLR resets the lr its schedulers set at construction
            first = lrcore.torch.scheduler(opt, lrcore.linear(0.01, 0.1, 4), momentum=lrcore.constant(0.8))
            second = lrcore.torch.scheduler(opt, lrcore.constant(0.1), momentum=lrcore.linear(0.9, 0.5, 4))
            third = torch.optim.lr_scheduler.ExponentialLR(opt, 0.5)
            return opt, torch.optim.lr_scheduler.SequentialLR(opt, [first, second, third], milestones=[4, 8])

    def run(cut):
        opt, seq = build()
        seen = []
        for n in range(14):
            if n == cut:
                saved = copy.deepcopy((opt.state_dict(), seq.state_dict()))
                opt, seq = build()
                if order == "optimizer first":
                    opt.load_state_dict(saved[0])
                    seq.load_state_dict(saved[1])
                else:
                    seq.load_state_dict(saved[1])
                    opt.load_state_dict(saved[0])
            group = opt.param_groups[0]
            seen.append((group["lr"], group["momentum"]))
            opt.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                seq.step()
        return seen

    straight = run(None)
    f32 = lambda x: float(np.float32(x))  # noqa: E731
    assert straight[4] == (f32(0.1), f32(0.9))  # the second scheduler's step 0, momentum included
    assert straight[5][1] == f32(0.8)  # linear(0.9, 0.5, 4) at step 1
    assert straight[9][0] == pytest.approx(0.05, rel=1e-6)  # ExponentialLR halving the last lr
    # Past the last milestone, with the optimizer loaded first, an lrcore scheduler's load puts its
    # own last values back over the chainable ExponentialLR's (docs/torch.md: load the scheduler
    # state first there, from the milestone on).
    cuts = range(1, 14) if order == "scheduler first" else range(1, 8)
    for cut in cuts:
        assert run(cut) == straight, cut
