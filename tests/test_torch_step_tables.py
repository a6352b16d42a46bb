"""``lrcore.torch.scheduler``'s ``step()`` reads each group's lr from its block table when the lrs are
the schedules' values as they are: across block boundaries, for one group and several, and again
after what changes the lrs (a scale and floor, an added group, an lr set by someone else)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import lrcore
import lrcore.torch as lt
from tests import reference

BLOCK = 4096


def _optimizer(*lrs):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    opt = torch.optim.SGD(groups, lr=lrs[0])
    for g in opt.param_groups:
        g["params"][0].grad = torch.zeros(2)
    return opt


def _want(schedule, steps):
    """The float32 lr of each step, from the exact values (mpmath), rounded once to float32."""
    return np.float32(reference.values_of(schedule.to_dict(), steps)).astype(np.float64)


def _run(sched, opt, n):
    out = []
    for _ in range(n):
        opt.step()
        sched.step()
        out.append([g["lr"] for g in opt.param_groups])
    return np.asarray(out)


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=0, atol=8 * 2.0**-24 * float(np.max(np.abs(want))))


def test_one_group_across_blocks():
    s = lrcore.cosine_decay(0.1, 3 * BLOCK, end_value=0.01)
    opt = _optimizer(0.1)
    sched = lt.scheduler(opt, s)
    got = _run(sched, opt, 2 * BLOCK + 5)[:, 0]
    _close(got, _want(s, np.arange(1, 2 * BLOCK + 6)))
    assert sched.get_last_lr() == [got[-1]] and sched.last_epoch == 2 * BLOCK + 5
    assert sched.state_dict()["_step_count"] == 2 * BLOCK + 6


def test_several_groups_each_with_its_schedule():
    a, b = lrcore.linear(0.1, 0.0, BLOCK + 10), lrcore.noam(64, 100)
    opt = _optimizer(0.1, 0.0)
    sched = lt.scheduler(opt, [a, b])
    got = _run(sched, opt, BLOCK + 20)
    steps = np.arange(1, BLOCK + 21)
    _close(got[:, 0], _want(a, steps))
    _close(got[:, 1], _want(b, steps))


def test_a_scale_and_floor_then_back():
    s = lrcore.linear(0.1, 0.0, 1000)
    opt = _optimizer(0.1)
    sched = lt.scheduler(opt, s)
    _run(sched, opt, 10)
    sched.set_scale(0.5, [0.04])
    got = _run(sched, opt, 5)[:, 0]
    want = np.maximum(_want(s, np.arange(11, 16)) * 0.5, 0.04)
    np.testing.assert_allclose(got, want, rtol=2**-23)
    sched.set_scale(1.0, None)
    _close(_run(sched, opt, 5)[:, 0], _want(s, np.arange(16, 21)))


def test_an_added_group_and_an_lr_set_by_someone_else():
    s = lrcore.linear(0.1, 0.0, 1000)
    opt = _optimizer(0.1)
    sched = lt.scheduler(opt, s)
    _run(sched, opt, 3)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.1})
    opt.param_groups[1]["params"][0].grad = torch.zeros(2)
    got = _run(sched, opt, 3)
    _close(got, np.repeat(_want(s, np.arange(4, 7))[:, None], 2, axis=1))
    opt.param_groups[0]["lr"] = 0.5
    with pytest.warns(UserWarning, match="something other than this scheduler changed the learning rate"):
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(float(_want(s, [7])[0]), rel=2**-23)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once: put back silently from now on
        opt.param_groups[0]["lr"] = 0.5
        sched.step()
