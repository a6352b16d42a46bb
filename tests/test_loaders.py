"""Loading saved states into the torch adapter: every entry is checked as the constructor checks it.

A state that the scheduler or the plateau could not have saved (an entry missing, of the wrong type,
or out of the range the constructor and the rule allow) is refused with a ``ValueError``/``TypeError``
naming the entry, and leaves the object as it was; a state saved at any moment (also between
``optimizer.add_param_group`` and the next ``step()``) resumes as the uninterrupted run.
"""

from __future__ import annotations

import copy
import math
import re
import warnings

import numpy as np
import pytest
import torch

import lrcore
import lrcore.torch


def _groups(*lrs):
    return [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]


def _update(opt):
    for group in opt.param_groups:
        for p in group["params"]:
            p.grad = torch.ones_like(p)
    opt.step()


def _f32(x):
    return float(np.float32(x))


SCHEDULE = lrcore.linear(0.5, 0.0, 10)  # 0.5 · (1 - n/10): float64, then float32 once


def _sched(*lrs, mode="absolute"):
    opt = torch.optim.SGD(_groups(*lrs))
    return opt, lrcore.torch.scheduler(opt, SCHEDULE, mode=mode)


# -- the scheduler ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "edit, exc, entry",
    [
        ({"last_epoch": None}, KeyError, "last_epoch"),
        ({"_step_count": None}, KeyError, "_step_count"),
        ({"base": None}, KeyError, "base"),
        ({"scale": None}, KeyError, "scale"),
        ({"min_lr": None}, KeyError, "min_lr"),
        ({"warned": None}, KeyError, "warned"),
        ({"last_epoch": "3"}, TypeError, "state_dict['last_epoch']"),
        ({"last_epoch": 3.0}, TypeError, "state_dict['last_epoch']"),
        ({"last_epoch": -2}, ValueError, "state_dict['last_epoch']"),
        ({"_step_count": 0}, ValueError, "state_dict['_step_count']"),
        ({"base": [0.5]}, TypeError, "state_dict['base']"),
        ({"base": {"lr": 0.5}}, ValueError, "state_dict['base']['lr']"),
        ({"base": {"lr": [float("nan")]}}, ValueError, "state_dict['base']['lr'][0]"),
        ({"base": {"lr": [-0.5]}}, ValueError, "state_dict['base']['lr'][0]"),
        ({"scale": -1.0}, ValueError, "state_dict['scale']"),
        ({"scale": float("nan")}, ValueError, "state_dict['scale']"),
        ({"scale": 2.0}, ValueError, "state_dict['scale']"),
        ({"scale": "1"}, TypeError, "state_dict['scale']"),
        ({"min_lr": [0.1, 0.1]}, ValueError, "state_dict['min_lr']"),
        ({"min_lr": [-0.1]}, ValueError, "state_dict['min_lr'][0]"),
        ({"min_lr": [float("inf")]}, ValueError, "state_dict['min_lr'][0]"),
        ({"min_lr": 0.1}, ValueError, "state_dict['min_lr']"),
        ({"warned": 1}, TypeError, "state_dict['warned']"),
        ({"param_groups": 2}, ValueError, "2 param group"),
        ({"param_groups": "1"}, TypeError, "state_dict['param_groups']"),
        # Past what the constructor and step(epoch) reach (2**63 - 1), as the constructor refuses it.
        ({"last_epoch": 2**63}, ValueError, "state_dict['last_epoch']"),
        ({"last_epoch": 10**400}, ValueError, "state_dict['last_epoch']"),
        # An array in an identity entry: numpy's "truth value of an array is ambiguous" named nothing.
        ({"mode": np.array([1.0, 2.0])}, ValueError, "state_dict['mode']"),
        ({"mode": np.array(["absolute"])}, ValueError, "state_dict['mode']"),
        ({"schedule": np.array([1.0, 2.0])}, ValueError, "state_dict['schedule']"),
        ({"momentum": np.array([1.0, 2.0])}, ValueError, "state_dict['momentum']"),
        ({"weight_decay": torch.ones(2)}, ValueError, "state_dict['weight_decay']"),
        ({"lrcore_scheduler": np.array([1.0, 2.0])}, ValueError, "state_dict['lrcore_scheduler']"),
        ({"lrcore_scheduler": True}, ValueError, "state_dict['lrcore_scheduler']"),
    ],
)
def test_scheduler_refuses_each_bad_entry_by_name_and_changes_nothing(edit, exc, entry):
    opt, sched = _sched(0.5)
    for _ in range(3):
        _update(opt)
        sched.step()
    state = sched.state_dict()
    (key, value), = edit.items()
    if exc is KeyError:  # a missing entry: a ValueError naming it (not a bare KeyError)
        del state[key]
        exc = ValueError
    else:
        state[key] = value
    opt2, sched2 = _sched(0.5)
    _update(opt2)
    sched2.step()
    before = (sched2.last_epoch, sched2._step_count, opt2.param_groups[0]["lr"], sched2.get_last_lr())
    with pytest.raises(exc, match=re.escape(entry)):
        sched2.load_state_dict(state)
    assert (sched2.last_epoch, sched2._step_count, opt2.param_groups[0]["lr"], sched2.get_last_lr()) == before
    sched2.load_state_dict(sched.state_dict())  # the state as saved loads
    assert opt2.param_groups[0]["lr"] == _f32(0.5 * (1 - 3 / 10))


def test_tensor_levels_are_compared_exactly_by_value_and_dtype():
    def make(peak):
        opt = torch.optim.SGD(_groups(0.1))
        return lrcore.torch.scheduler(opt, lrcore.torch.cosine_decay(peak, 100))

    saved = make(torch.tensor(0.1)).state_dict()
    # torch prints both as tensor(0.1000): a repr comparison took one for the other.
    with pytest.raises(ValueError, match="`state_dict`.*different settings"):
        make(torch.tensor(0.10004)).load_state_dict(saved)
    with pytest.raises(ValueError, match="`state_dict`.*different settings"):
        make(torch.tensor(0.1, dtype=torch.float64)).load_state_dict(saved)
    make(torch.tensor(0.1)).load_state_dict(saved)  # the same level loads


@pytest.mark.parametrize("mode", ["absolute", "relative"])
@pytest.mark.parametrize("order", ["optimizer_first", "scheduler_first"])
def test_a_state_saved_between_add_param_group_and_the_next_step_resumes(mode, order):
    added = 0.5 if mode == "absolute" else 0.2

    def run(total, resume_at=None):
        opt, sched = _sched(0.5, mode=mode)
        lrs = []
        for n in range(total):
            if n == 2:
                opt.add_param_group(_groups(added)[0])
            if n == resume_at:  # right after add_param_group, before the step that tracks the group
                ckpt = copy.deepcopy({"opt": opt.state_dict(), "sched": sched.state_dict()})
                opt = torch.optim.SGD(_groups(0.5))
                opt.add_param_group(_groups(added)[0])
                sched = lrcore.torch.scheduler(opt, SCHEDULE, mode=mode)
                pairs = [(opt, ckpt["opt"]), (sched, ckpt["sched"])]
                for obj, saved in pairs if order == "optimizer_first" else pairs[::-1]:
                    obj.load_state_dict(saved)
            _update(opt)
            sched.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        return lrs

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is taken for someone else's change of the lr
        resumed = run(6, resume_at=2)
    assert resumed == run(6)
    # The reference by hand: after n steps, schedule(n) in float32 (relative: times each group's
    # initial lr); the added group is driven from the step after it was added.
    for n, lrs in enumerate(resumed, start=1):
        value = _f32(0.5 * (1 - n / 10))
        bases = [0.5, added][: len(lrs)]
        assert lrs == ([value] * len(lrs) if mode == "absolute" else [b * value for b in bases]), n
    assert [len(lrs) for lrs in resumed] == [1, 1, 2, 2, 2, 2]


@pytest.mark.parametrize("order", ["scheduler_only", "optimizer_first", "scheduler_first"])
def test_a_group_added_with_the_default_tensor_lr_resumes_apart_from_group_0(order):
    # torch's add_param_group hands a group added without an lr the default tensor, which is group 0's
    # own tensor where the optimizer was rebuilt with the group before the scheduler: a load that put
    # back the added group's value in place moved group 0's lr too.
    def optimizer():
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=torch.tensor(0.5), foreach=False)

    def run(total, resume_at=None):
        opt = optimizer()
        sched = lrcore.torch.scheduler(opt, SCHEDULE)
        lrs = []
        for n in range(total):
            if n == 2:
                opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))]})
            if n == resume_at:  # right after add_param_group, before the step that tracks the group
                ckpt = copy.deepcopy({"opt": opt.state_dict(), "sched": sched.state_dict()})
                opt = optimizer()
                opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))]})
                assert opt.param_groups[1]["lr"] is opt.param_groups[0]["lr"]  # torch shares it
                sched = lrcore.torch.scheduler(opt, SCHEDULE)
                pairs = [(opt, ckpt["opt"]), (sched, ckpt["sched"])]
                if order == "scheduler_only":
                    pairs = pairs[1:]
                for obj, saved in pairs if order == "optimizer_first" else pairs[::-1]:
                    obj.load_state_dict(saved)
            lrs.append([float(g["lr"]) for g in opt.param_groups])  # the lrs this update applies
            _update(opt)
            sched.step()
        return lrs

    resumed = run(6, resume_at=2)
    assert resumed == run(6)
    # By hand: update n applies schedule(n) in float32 (0.5 · (1 - n/10)); the group added before
    # update 2 applies the optimizer's default there (the constructor's 0.5), schedule(n) after.
    assert resumed == [[_f32(0.5 * (1 - n / 10))] * (1 if n < 2 else 2) if n != 2 else [_f32(0.4), 0.5] for n in range(6)]


def test_a_group_added_with_the_default_tensor_beta_resumes_apart_from_group_0():
    # The same with Adam's tensor betas and a momentum schedule: the added group's own beta1 (0.9)
    # was put back into the tensor group 0 shares with it.
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(2)]
    momentum = lrcore.cosine_decay(0.9, 20, end_value=0.8)

    def build(added):
        opt = torch.optim.Adam([params[0]], lr=0.1, betas=(torch.tensor(0.9), torch.tensor(0.999)))
        if added:
            opt.add_param_group({"params": [params[1]]})
        return opt, lrcore.torch.scheduler(opt, lrcore.constant(0.1), momentum=momentum)

    opt, sched = build(False)
    for _ in range(4):
        _update(opt)
        sched.step()
    opt.add_param_group({"params": [params[1]]})
    state = sched.state_dict()
    opt, sched = build(True)
    assert opt.param_groups[1]["betas"][0] is opt.param_groups[0]["betas"][0]  # torch shares it
    sched.load_state_dict(state)
    by_hand = _f32(0.8 + 0.05 * (1 + math.cos(math.pi * 4 / 20)))
    assert [float(g["betas"][0]) for g in opt.param_groups] == [by_hand, _f32(0.9)]


@pytest.mark.parametrize("mode", ["absolute", "relative"])
@pytest.mark.parametrize("order", ["scheduler_only", "scheduler_first", "optimizer_first"])
def test_groups_re_added_before_the_load_leave_the_default_tensor_lr_alone(mode, order):
    # A resume that builds the optimizer and scheduler, then re-adds the groups the run had added:
    # they hold the optimizer's default tensor. Setting a re-added group's lr in place (the load)
    # moved the default, and a group added later started from it (relative: its base for good).
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(3)]
    schedule = lrcore.cosine_decay(1.0, 20)

    def build():
        opt = torch.optim.SGD([params[0]], lr=torch.tensor(0.1), foreach=False)
        return opt, lrcore.torch.scheduler(opt, schedule, mode=mode)

    def run(resume_at=None):
        opt, sched = build()
        lrs = []
        for n in range(10):
            if n == 3:
                opt.add_param_group({"params": [params[1]]})
            if n == 7:
                opt.add_param_group({"params": [params[2]]})
            if n == resume_at:
                ckpt = copy.deepcopy({"opt": opt.state_dict(), "sched": sched.state_dict()})
                opt, sched = build()
                opt.add_param_group({"params": [params[1]]})
                pairs = [(opt, ckpt["opt"]), (sched, ckpt["sched"])]
                if order == "scheduler_only":
                    pairs = pairs[1:]
                for obj, saved in pairs if order == "optimizer_first" else pairs[::-1]:
                    obj.load_state_dict(saved)
            lrs.append([float(g["lr"]) for g in opt.param_groups])
            _update(opt)
            sched.step()
        return lrs

    resumed = run(resume_at=6)
    assert resumed == run()
    # By hand: a group added before update n applies the default (float32 0.1) there, then
    # schedule(n) in float32 (relative: times the group's initial lr).
    def want(n, added):
        value = _f32(0.5 * (1 + math.cos(math.pi * n / 20)))
        return _f32(0.1) if n == added else (value if mode == "absolute" else _f32(_f32(0.1) * value))

    assert [lrs[2] for lrs in resumed[7:]] == [want(n, 7) for n in range(7, 10)]


# -- lrs beyond float32 are refused at construction -------------------------------------------------
def test_scheduler_refuses_lrs_beyond_float32_at_construction():
    opt = torch.optim.SGD(_groups(0.1))
    with pytest.raises(ValueError, match="`value`"):  # the adapter schedule itself is refused
        lrcore.torch.constant(1e39)
    with pytest.raises(ValueError, match="Argument `schedule`.*float32"):
        lrcore.torch.scheduler(opt, lrcore.constant(1e39))
    with pytest.raises(ValueError, match="Argument `schedule`.*float32"):
        lrcore.torch.scheduler(opt, lrcore.constant(1e39), mode="relative")
    with pytest.raises(ValueError, match=r"Argument `schedule\[1\]`.*float32"):
        lrcore.torch.scheduler(torch.optim.SGD(_groups(0.1, 0.1)), [lrcore.constant(1.0), lrcore.constant(1e39)])
    with pytest.raises(ValueError, match="Argument `momentum`.*float32"):
        lrcore.torch.scheduler(opt, lrcore.constant(0.1), momentum=lrcore.constant(-1e39))
    # Relative mode: the product of each group's initial lr and the schedule.
    opt = torch.optim.SGD(_groups(0.1, 10.0))
    with pytest.raises(ValueError, match="Argument `schedule`.*param group 1.*10\\.0"):
        lrcore.torch.scheduler(opt, lrcore.constant(1e38), mode="relative")
    assert [g["lr"] for g in opt.param_groups] == [0.1, 10.0]  # refused before any lr is set
    # A group added later in relative mode: refused at the step that would apply it.
    opt = torch.optim.SGD(_groups(1.0))
    sched = lrcore.torch.scheduler(opt, lrcore.constant(1e38), mode="relative")
    assert opt.param_groups[0]["lr"] == _f32(1e38)
    opt.add_param_group(_groups(10.0)[0])
    with pytest.raises(ValueError, match="Argument `schedule`.*param group 1"):
        sched.step()
    assert sched.last_epoch == 0


# -- the plateau -----------------------------------------------------------------------------------
def _plateau(*lrs, min_lr=None, **kwargs):
    opt = torch.optim.SGD(_groups(*lrs))
    sched = lrcore.torch.scheduler(opt, SCHEDULE, mode="relative")
    return opt, sched, lrcore.torch.ReduceLROnPlateau(sched, factor=0.5, patience=1, cooldown=2, min_scale=0.1, min_lr=min_lr, **kwargs)


@pytest.mark.parametrize(
    "edit, exc, entry",
    [
        ({"state": None}, KeyError, "state"),
        ({"last_epoch": None}, KeyError, "last_epoch"),
        ({"min_lr": None}, KeyError, "min_lr"),
        ({"rule": None}, KeyError, "rule"),
        ({"state": 0.5}, ValueError, "state_dict['state']"),
        ({"state": [-1.0, 1.0, 0, 0]}, ValueError, "state_dict['state'].scale"),
        ({"state": [float("nan"), 1.0, 0, 0]}, ValueError, "state_dict['state'].scale"),
        ({"state": [0.05, 1.0, 0, 0]}, ValueError, "state_dict['state'].scale"),  # below min_scale
        ({"state": [1.5, 1.0, 0, 0]}, ValueError, "state_dict['state'].scale"),
        ({"state": [0.5, float("nan"), 0, 0]}, ValueError, "state_dict['state'].best"),
        ({"state": [0.5, float("-inf"), 0, 0]}, ValueError, "state_dict['state'].best"),
        ({"state": [0.5, "1", 0, 0]}, TypeError, "state_dict['state'].best"),
        ({"state": [0.5, 1.0, -1, 0]}, ValueError, "state_dict['state'].num_bad"),
        ({"state": [0.5, 1.0, 2, 0]}, ValueError, "state_dict['state'].num_bad"),
        ({"state": [0.5, 1.0, 0.0, 0]}, TypeError, "state_dict['state'].num_bad"),
        ({"state": [0.5, 1.0, 0, 3]}, ValueError, "state_dict['state'].cooldown_left"),
        ({"state": [0.5, 1.0, 0, -1]}, ValueError, "state_dict['state'].cooldown_left"),
        ({"last_epoch": -2}, ValueError, "state_dict['last_epoch']"),
        ({"last_epoch": 2.5}, TypeError, "state_dict['last_epoch']"),
        ({"min_lr": [0.01]}, ValueError, "state_dict['min_lr']"),
        ({"min_lr": [0.01, -0.01]}, ValueError, "state_dict['min_lr'][1]"),
        ({"min_lr": [0.01, float("nan")]}, ValueError, "state_dict['min_lr'][1]"),
        ({"lightning_epoch": -2}, ValueError, "state_dict['lightning_epoch']"),
        ({"scheduler": [1]}, TypeError, "state_dict['scheduler']"),
        # The current format holds the scheduler's state (only format 1 lacks it): without it the
        # plateau resumed and the schedule restarted at step 0.
        ({"scheduler": None}, KeyError, "scheduler"),
        ({"scheduler": None}, TypeError, "state_dict['scheduler']"),
        ({"last_epoch": 2**63}, ValueError, "state_dict['last_epoch']"),
        ({"lrcore_plateau": np.array([1.0, 2.0])}, ValueError, "state_dict['lrcore_plateau']"),
        ({"lrcore_plateau": 3}, ValueError, "state_dict['lrcore_plateau']"),
    ],
)
def test_plateau_refuses_each_bad_entry_by_name_and_changes_nothing(edit, exc, entry):
    opt, sched, plateau = _plateau(0.5, 0.2, min_lr=[0.01, 0.001])
    for metric in (1.0, 2.0, 3.0):
        _update(opt)
        sched.step()
        plateau.step(metric)
    state = plateau.state_dict()
    assert state["state"] == [0.5, 1.0, 0, 2]
    (key, value), = edit.items()
    if exc is KeyError:
        del state[key]
        exc = ValueError
    else:
        state[key] = value
    opt2, sched2, plateau2 = _plateau(0.5, 0.2, min_lr=[0.01, 0.001])
    before = (plateau2.state, plateau2.last_epoch, sched2.last_epoch, [g["lr"] for g in opt2.param_groups])
    with pytest.raises(exc, match=re.escape(entry)):
        plateau2.load_state_dict(state)
    assert (plateau2.state, plateau2.last_epoch, sched2.last_epoch, [g["lr"] for g in opt2.param_groups]) == before
    plateau2.load_state_dict(plateau.state_dict())
    assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]


def test_plateau_best_may_be_the_initial_infinity_of_its_mode():
    for mode, best in (("min", math.inf), ("max", -math.inf)):
        opt, sched, plateau = _plateau(0.5, mode=mode)
        state = plateau.state_dict()
        assert state["state"][1] == best
        plateau.load_state_dict(state)
        bad = {**state, "state": [1.0, -best, 0, 0]}
        with pytest.raises(ValueError, match=re.escape("state_dict['state'].best")):
            plateau.load_state_dict(bad)


def test_plateau_drives_added_groups_with_a_scalar_min_lr():
    opt, sched, plateau = _plateau(0.5, min_lr=0.04)
    plateau.step(1.0)
    plateau.step(1.0)
    plateau.step(1.0)  # two bad metrics after the best: scale 0.5
    assert plateau.scale == 0.5
    opt.add_param_group(_groups(0.2)[0])
    for n in range(1, 9):
        _update(opt)
        sched.step()
        value = _f32(0.5 * (1 - n / 10))
        # by hand, torch's rule: an lr at or below min_lr is the schedule's own (never lifted);
        # above it, max(initial lr · schedule(n) · scale, min_lr)
        expected = [lr if lr <= 0.04 else max(lr * 0.5, 0.04) for lr in (0.5 * value, 0.2 * value)]
        assert [g["lr"] for g in opt.param_groups] == expected, n
    assert plateau.state_dict()["min_lr"] == [0.04, 0.04]
    # A reduction reported right after add_param_group floors the added group too.
    opt, sched, plateau = _plateau(0.5, min_lr=0.04)
    opt.add_param_group(_groups(0.2)[0])
    for _ in range(3):
        plateau.step(1.0)
    value = _f32(0.5)
    assert plateau.scale == 0.5
    assert [g["lr"] for g in opt.param_groups] == [max(0.5 * value * 0.5, 0.04), max(0.2 * value * 0.5, 0.04)]


def test_plateau_with_a_list_min_lr_refuses_an_added_group_at_the_next_step():
    opt, sched, plateau = _plateau(0.5, min_lr=[0.04])
    _update(opt)
    sched.step()
    opt.add_param_group(_groups(0.2)[0])
    _update(opt)
    with pytest.raises(ValueError, match="Argument `min_lr`.*one floor per param group \\(1\\).*2 param groups.*one number"):
        sched.step()
    assert sched.last_epoch == 1
    # Reported first to the plateau: refused before its state or count changes.
    with pytest.raises(ValueError, match="Argument `min_lr`.*one floor per param group"):
        plateau.step(1.0)
    assert plateau.last_epoch == 0 and plateau.state == plateau.rule.init()


@pytest.mark.parametrize("order", ["optimizer_first", "plateau_first"])
def test_plateau_state_saved_between_add_param_group_and_the_next_step_resumes(order):
    def run(total, resume_at=None):
        opt, sched, plateau = _plateau(0.5, min_lr=0.03)
        lrs = []
        for n in range(total):
            if n == 3:
                opt.add_param_group(_groups(0.2)[0])
            if n == resume_at:
                ckpt = copy.deepcopy({"opt": opt.state_dict(), "plateau": plateau.state_dict()})
                opt = torch.optim.SGD(_groups(0.5))
                sched = lrcore.torch.scheduler(opt, SCHEDULE, mode="relative")
                plateau = lrcore.torch.ReduceLROnPlateau(
                    sched, factor=0.5, patience=1, cooldown=2, min_scale=0.1, min_lr=0.03
                )
                opt.add_param_group(_groups(0.2)[0])
                pairs = [(opt, ckpt["opt"]), (plateau, ckpt["plateau"])]
                for obj, saved in pairs if order == "optimizer_first" else pairs[::-1]:
                    obj.load_state_dict(saved)
            _update(opt)
            sched.step()
            plateau.step(1.0)
            lrs.append([g["lr"] for g in opt.param_groups])
        return lrs

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed = run(8, resume_at=3)
    assert resumed == run(8)
    assert len(resumed[2]) == 1 and len(resumed[3]) == 2
