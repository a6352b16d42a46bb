"""``lrcore.torch.scheduler`` with a compiled ``optimizer.step()``: a tensor lr, filled in place, keeps
``torch.compile`` from recompiling; a schedule may not read the tensor the scheduler writes.

Compiles are counted with a custom Dynamo backend (each call is one graph compiled). The reference
lrs are the schedule's closed form evaluated in float64 here; the reference parameters come from the
same training run without ``torch.compile``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import lrcore
import lrcore.torch
from tests.helpers import assert_ulp_close

STEPS = 30
# Dynamo tracing torch's own optimizer code touches a deprecated torch.jit API.
DYNAMO_NOISE = "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"
PEAK, DECAY = 0.01, 30


def cosine(n: int) -> float:
    """lrcore.cosine_decay(PEAK, DECAY) in float64: PEAK · (1 + cos(π·min(n, D)/D)) / 2."""
    return PEAK * 0.5 * (1.0 + math.cos(math.pi * min(n, DECAY) / DECAY))


def _train(lr, compiled: bool, schedule=None):
    """30 Adam updates of a linear model driven by lrcore's scheduler; returns (graphs compiled,
    lr of each update, final parameters, the optimizer)."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = lrcore.torch.scheduler(optimizer, schedule or lrcore.cosine_decay(PEAK, DECAY))
    graphs = []

    def counting_backend(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    step = optimizer.step
    if compiled:
        torch._dynamo.reset()
        step = torch.compile(optimizer.step, backend=counting_backend)
    x = torch.randn(16, 4)
    lrs = []
    for _ in range(STEPS):
        model(x).pow(2).mean().backward()
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        step()
        optimizer.zero_grad()
        scheduler.step()
    params = torch.cat([p.detach().flatten() for p in model.parameters()])
    return len(graphs), lrs, params, optimizer


@pytest.mark.filterwarnings(DYNAMO_NOISE)
def test_tensor_lr_compiles_once_and_is_filled_in_place():
    lr = torch.tensor(PEAK)
    graphs, lrs, params, optimizer = _train(lr, compiled=True)
    assert graphs == 1
    assert optimizer.param_groups[0]["lr"] is lr  # written in place, never replaced
    assert_ulp_close(lrs, [cosine(n) for n in range(STEPS)], 32, scale=PEAK)
    # The compiled step read the new lr at every update: the parameters of the run without compile
    # (up to float32 rounding of a differently fused Adam), far from those of a constant lr.
    _, eager_lrs, eager_params, _ = _train(torch.tensor(PEAK), compiled=False)
    assert lrs == eager_lrs
    torch.testing.assert_close(params, eager_params, rtol=0.0, atol=1e-5)
    _, _, constant_params, _ = _train(torch.tensor(PEAK), compiled=False, schedule=lrcore.constant(PEAK))
    assert float((constant_params - eager_params).abs().max()) > 1e-2


@pytest.mark.filterwarnings(DYNAMO_NOISE)
def test_python_float_lr_recompiles_when_the_lr_changes():
    # The reason for the tensor lr: Dynamo specializes the compiled step on a Python float lr.
    graphs, lrs, _, _ = _train(PEAK, compiled=True)
    assert graphs > 1
    assert_ulp_close(lrs, [cosine(n) for n in range(STEPS)], 32, scale=PEAK)


def _optimizer(**group):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(2))], **group}], lr=0.5, momentum=0.9)


def _linear(n: int) -> float:
    """linear(0.5, 0.0, 100) at step n, rounded to float32 (the tensor the scheduler fills)."""
    return float(np.float32(0.5 * (1 - min(n, 100) / 100)))


def test_schedule_built_from_the_written_lr_tensor_owns_a_copy():
    # A schedule copies its array levels when it is built, so one built from the very tensor the
    # scheduler fills in place (or a view of it, or a NumPy array over it) never reads its own output.
    lr = torch.tensor(0.5)
    optimizer = _optimizer(lr=lr)
    scheduler = lrcore.torch.scheduler(optimizer, lrcore.torch.linear(lr.view(()), 0.0, 100))
    for n in range(1, 60):
        optimizer.step()
        scheduler.step()
        assert optimizer.param_groups[0]["lr"] is lr and float(lr) == _linear(n), n
    array = np.array(0.5)
    shared = torch.from_numpy(array)
    optimizer = _optimizer(lr=shared)
    scheduler = lrcore.torch.scheduler(optimizer, lrcore.torch.linear(array, 0.0, 100))
    for n in range(1, 60):
        optimizer.step()
        scheduler.step()
    assert float(shared) == _linear(59) and float(array) == _linear(59)  # written in place, not read back


def test_schedule_built_from_a_written_momentum_or_weight_decay_tensor_owns_a_copy():
    beta = torch.tensor(0.9)
    adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.1, betas=(beta, torch.tensor(0.999)))
    scheduler = lrcore.torch.scheduler(adam, lrcore.constant(0.1), momentum=lrcore.torch.linear(beta, 0.5, 10))
    for n in range(1, 20):
        adam.step()
        scheduler.step()
    assert float(beta) == np.float32(0.5)  # linear(0.9, 0.5, 10) held at its end, not drifting
    wd = torch.tensor(0.01)
    sgd = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, weight_decay=wd)
    scheduler = lrcore.torch.scheduler(sgd, lrcore.constant(0.1), weight_decay=lrcore.torch.linear(wd, 0.0, 10))
    for n in range(1, 6):
        sgd.step()
        scheduler.step()
    assert float(wd) == np.float32(0.01 * (1 - 5 / 10))


def test_a_copy_of_the_lr_tensor_is_accepted_and_never_written():
    lr = torch.tensor(0.5)
    level = lr.clone()
    optimizer = _optimizer(lr=lr)
    scheduler = lrcore.torch.scheduler(optimizer, lrcore.torch.linear(level, 0.0, 100))
    for _ in range(50):
        optimizer.step()
        scheduler.step()
    assert float(level) == 0.5
    assert optimizer.param_groups[0]["lr"] is lr
    assert float(lr) == np.float32(0.25)


@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")  # Inductor's own
@pytest.mark.parametrize(
    "schedule",
    [lrcore.exponential_decay(1.0, 3, 0.77, staircase=True),
     lrcore.polynomial_restart(0.0, 100, 2.0, 1.0, end_value=1.0, power=0.5, warmup_steps=7),
     lrcore.cosine_decay(1.0, 1000)],
    ids=["staircase", "polynomial_restart", "cosine"],
)
def test_inductor_gives_one_value_per_step_within_a_shape_and_the_promise_across_shapes(schedule):
    """docs/step.md: Inductor compiles a 0-d step and a one-element array to scalar code and longer
    arrays to vectorized code, whose exp and cos round differently: 0.77**2 is 0.5929 rounded down
    alone and up in an array of two. Within a shape a step has one value; across shapes, the promise."""
    from tests import reference

    torch._dynamo.reset()  # each schedule's shapes compile afresh (not against the recompile limit)
    fn = torch.compile(lrcore.torch.from_schedule(schedule), fullgraph=True)  # Inductor, the default
    steps = [3, 7, 8, 50, 332, 333]
    want = reference.values_of(schedule.to_dict(), steps)
    alone = np.asarray([fn(torch.tensor(k)).item() for k in steps])
    single = np.asarray([fn(torch.tensor([k])).item() for k in steps])
    many = fn(torch.tensor(steps * 4)).numpy().astype(np.float64).reshape(4, len(steps))
    assert np.array_equal(alone, single) and (many == many[0]).all()  # one value per step in a shape
    for got in (alone, many[0]):
        assert_ulp_close(got, want, 32, context=repr(schedule))
