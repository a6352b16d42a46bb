"""The PyTorch adapter: schedules as tensor callables, and an ``LRScheduler`` that drives an optimizer.

Two ways to use a schedule with PyTorch:

* **Drive an optimizer** (the usual case)::

      opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
      sched = lrcore.torch.scheduler(opt, lrcore.cosine_restart(peak_value=1e-3, first_period=1000))
      for batch in data:
          loss(model, batch).backward()
          opt.step()          # update n uses schedule(n)
          opt.zero_grad()
          sched.step()        # advance to n + 1

  On construction every param group gets ``schedule(0)``; after ``n`` calls of ``sched.step()`` it
  holds ``schedule(n)``. ``mode="relative"`` multiplies each group's initial lr by the schedule
  instead (per-group learning rates; momentum and weight decay stay absolute). The step count is a Python int, so it is exact at any
  magnitude, and ``load_state_dict`` re-applies the lr of the restored step, so a resumed run
  continues bit-exactly whichever of optimizer and scheduler state is loaded first. A group whose
  lr is a tensor (``capturable``/compiled optimizers) is filled in place.

* **Evaluate on tensors**: ``lrcore.torch.<name>(...)`` returns a :class:`TorchSchedule`, a callable
  of an integer (or float) step tensor or a Python int, returning a float32 tensor on the step's
  device, built from torch operations only. It works under ``torch.compile(fullgraph=True)``::

      lr_at = lrcore.torch.warmup_cosine_decay(0.0, 1e-3, warmup_steps=100, decay_steps=10_000)
      lr_at(torch.arange(5))        # tensor([0.0000e+00, 1.0000e-05, ...])

Neither re-implements schedule math: both evaluate the core :class:`lrcore.Schedule` with the
``array_api_compat`` torch namespace.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
import warnings
import weakref
from fractions import Fraction

import array_api_compat.torch as _xp
import numpy as np
import torch

from .._array import HOST_CONSTANTS, host_steps, is_array
from .. import validate
from ..plateau import Plateau, PlateauState, checked_state, floored_lr, metric_value, plateau, reduces_an_lr
from ..schedule import REGISTRY, Schedule, as_schedule, check_levels_fit, value_bound, value_floor
from . import Composable

# The core's host-side table builders (e.g. the cosine_restart cycle table) are pure functions of
# Python constants. Dynamo would interpret them bytecode by bytecode (and cannot trace the
# `fractions.Fraction` they use); told they are constant, it calls them once and keeps the result,
# so `torch.compile(fullgraph=True)` sees only tensor operations.
for _fn in HOST_CONSTANTS:
    torch.compiler.assume_constant_result(_fn)


class TorchSchedule(Composable):
    """A schedule evaluated with torch operations: float32 tensors on the step's device."""

    __slots__ = ("schedule", "__weakref__")

    def __init__(self, schedule: Schedule):
        schedule = as_schedule("schedule", schedule)
        check_levels_fit(schedule, float(torch.finfo(torch.float32).max), "float32")  # refused now, not at step 0
        self.schedule = schedule

    def __call__(self, step=None):
        if step is None:  # Keras calls a plain callable `learning_rate` with no arguments
            raise TypeError(
                "Argument `step` is required. For Keras (any backend), use lrcore.keras.<name>(...) "
                "or lrcore.keras.from_schedule(schedule). Received: step=None"
            )
        if isinstance(step, (bool, torch.SymBool)) or (
            isinstance(step, torch.Tensor) and step.dtype == torch.bool
        ):
            raise TypeError(f"Argument `step` must be an integer or a tensor of steps. Received: step={step!r}")
        if not isinstance(step, torch.Tensor):
            if isinstance(step, numbers.Integral):
                # Past the int64 range: its largest step (a step below it is step 0 anyway).
                step = torch.tensor(min(max(int(step), -_INT64_MAX), _INT64_MAX), dtype=torch.int64)
            else:
                step = torch.as_tensor(host_steps(step))  # NumPy, lists, floats (kept float64), fractions
        return _static_schedule(self).evaluate(step, xp=_xp, dtype=torch.float32)

    def __repr__(self):
        return f"lrcore.torch.from_schedule({self.schedule!r})"


@torch.compiler.assume_constant_result
def _static_schedule(fn: TorchSchedule) -> Schedule:
    """``fn.schedule``, seen by Dynamo as a constant of the graph (guarded on ``fn``'s identity).

    Read as an attribute, the schedule's float parameters would become symbolic floats under
    ``torch.compile(dynamic=True)``, which the host-side table builders cannot take; obtained
    through this call, everything read from the schedule is a constant.
    """
    return fn.schedule


#: Steps evaluated together by the scheduler. A block is evaluated once in float64 with NumPy and
#: rounded once to float32: more exact than a float32 evaluation (one rounding of a value within
#: 4 float64 ulp), and the NumPy evaluation of 4096 steps costs about what one torch evaluation
#: costs (tenths of a millisecond), so ``step()`` stays as cheap as torch's own schedulers.
_BLOCK = 4096
_INT64_MAX = 2**63 - 1


class _Values:
    """``schedule(n)`` in float32, as Python floats, from cached blocks of :data:`_BLOCK` steps.

    A block always starts at a multiple of ``_BLOCK`` and NumPy evaluates an array of steps
    exactly as each step alone, so a value is a pure function of the step, whatever the history
    (resumes included). :meth:`wide` gives the float64 value the float32 one is rounded from.
    """

    __slots__ = ("schedule", "block", "start", "block64")

    def __init__(self, schedule: Schedule):
        self.schedule, self.block, self.start, self.block64 = schedule, [], 0, []

    def __call__(self, step: int) -> float:
        i = step - self.start
        if 0 <= i < len(self.block):
            return self.block[i]
        step = min(max(int(step), 0), _INT64_MAX)  # past int64 evaluates as the largest step
        start = step - step % _BLOCK
        steps = np.arange(min(_BLOCK, _INT64_MAX + 1 - start), dtype=np.int64) + np.int64(start)
        values = self.schedule.evaluate(steps, dtype=np.float64)
        # A growth past float32 is held at its largest value, as lrcore.torch's schedules hold it
        # (the cast alone would make it inf).
        narrow = np.clip(values, -_FLOAT32_MAX, _FLOAT32_MAX).astype(np.float32)
        self.block, self.start, self.block64 = narrow.tolist(), start, values.tolist()
        return self.block[step - start]

    def wide(self, step: int) -> float:
        """``schedule(step)`` in float64, before the rounding to float32."""
        self(step)
        return self.block64[min(max(int(step), 0), _INT64_MAX) - self.start]


_base_step = torch.optim.lr_scheduler.LRScheduler.step  # called directly: cheaper than super()

#: The hyperparameters a scheduler can drive, each with the constructor argument naming it.
_HYPER = ("lr", "momentum", "weight_decay")
_ARGUMENT = {"lr": "schedule", "momentum": "momentum", "weight_decay": "weight_decay"}
#: Version of the state-dict layout; present in every state an lrcore scheduler saves.
_FORMAT = 1


class LrcoreScheduler(torch.optim.lr_scheduler.LRScheduler):
    """Sets every param group's lr (and optionally momentum and weight decay) from lrcore schedules.

    Update ``n`` uses ``schedule(n)``; ``last_epoch`` (torch's name) is the number of ``step()``
    calls so far, a Python int. Build one with :func:`scheduler`.
    """

    def __init__(
        self, optimizer, schedule, *, mode: str = "absolute", momentum=None, weight_decay=None, last_epoch=-1
    ):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                "Argument `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer={optimizer!r} (of type {type(optimizer).__name__})"
            )
        last_epoch = _step_number("last_epoch", last_epoch, -1, validate.MAX_STEPS - 1, _STEP_REMEDY)
        if last_epoch >= 0:
            _require_initial_lr(optimizer.param_groups, last_epoch)
        if not isinstance(mode, str) or mode not in ("absolute", "relative"):
            raise ValueError(f"Argument `mode` must be 'absolute' or 'relative'. Received: mode={mode!r}")
        groups = optimizer.param_groups
        self.mode = mode
        # Per hyperparameter: one Schedule for every group, or a tuple with one per group.
        self._schedules = {}
        for key, value in (("lr", schedule), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value is None and key != "lr":
                continue
            self._schedules[key] = _schedules_arg(_ARGUMENT[key], value, len(groups))
        if "momentum" in self._schedules:
            for i, group in enumerate(groups):
                if "momentum" not in group and "betas" not in group:
                    raise ValueError(
                        f"Argument `momentum` needs an optimizer with a `momentum` or `betas` "
                        f"hyperparameter; {type(optimizer).__name__} param group {i} has neither."
                    )
        if "weight_decay" in self._schedules:
            for i, group in enumerate(groups):
                if "weight_decay" not in group:
                    raise ValueError(
                        f"Argument `weight_decay` needs an optimizer with a `weight_decay` "
                        f"hyperparameter; {type(optimizer).__name__} param group {i} has none."
                    )
        for key, value in self._schedules.items():
            # One schedule sets one value in every group: the lr in mode="absolute", and momentum
            # and weight decay in every mode (only the lr is relative).
            if isinstance(value, Schedule) and (key != "lr" or mode == "absolute"):
                # A group's initial lr where it has one (an optimizer loaded from a checkpoint holds
                # the scheduled lr in tracked groups, the added lr in a group added since).
                _refuse_overwrite(key, [g.get("initial_lr", g["lr"]) if key == "lr" else _hyper_value(g, key) for g in groups],
                                  resumed_with_added=0 < sum("initial_lr" in g for g in groups) < len(groups))
        # Every value is rounded to float32 (in relative mode before the product with each group's
        # initial lr, checked below): refuse one that would be inf.
        for key, value in self._schedules.items():
            for j, one in enumerate([value] if isinstance(value, Schedule) else value):
                try:
                    check_levels_fit(one, _FLOAT32_MAX, "float32")
                except ValueError as exc:
                    where = _ARGUMENT[key] if isinstance(value, Schedule) else f"{_ARGUMENT[key]}[{j}]"
                    raise ValueError(f"Argument `{where}` would set a {key} beyond float32: {exc}") from None
        for key in ("lr", "momentum", "weight_decay"):
            if key in self._schedules:
                _refuse_unreachable(optimizer, key, self._schedules[key])
        if mode == "relative":
            for i, group in enumerate(groups):
                _check_fits(self._schedules["lr"], i, _check_base(i, group))
        for key, value in self._schedules.items():
            if not isinstance(value, Schedule):
                # Groups that hold one lr (momentum, weight decay) tensor and follow different
                # schedules: refused now, not at the first step where their values part.
                _refuse_shared_tensor(groups, key, list(value))
        _unshare_defaults(optimizer, self._schedules)
        self._extra = "momentum" in self._schedules or "weight_decay" in self._schedules
        self._values = {}  # one block cache per distinct schedule
        # The groups' initial values (relative mode multiplies them), one list per driven key.
        self._base = {key: [] for key in self._schedules}
        self._scale = 1.0  # set by lrcore.torch.ReduceLROnPlateau
        self._min_lr = None
        self._min_lr_fill = None  # a plateau's scalar min_lr: the floor of groups added later
        self._plateau_link = None  # a wrapping ReduceLROnPlateau's _Advance: who steps this scheduler
        self._applied = []  # the lr last set in each group, to notice others changing it
        self._lanes = None  # step()'s per-group block tables (see _plain_lanes), built at its first use
        self._warned = False
        # LRScheduler.__init__ records `initial_lr` (when last_epoch is -1), then performs the first
        # step: to step 0, or to last_epoch + 1 when resuming (torch's convention).
        super().__init__(optimizer, last_epoch=last_epoch)

    # -- values -----------------------------------------------------------------------------------
    @property
    def schedule(self):
        """The lr schedule (one :class:`lrcore.Schedule`, or a tuple with one per param group)."""
        return self._schedules["lr"]

    @property
    def momentum(self):
        """The momentum schedule(s), or ``None``."""
        return self._schedules.get("momentum")

    @property
    def weight_decay(self):
        """The weight-decay schedule(s), or ``None``."""
        return self._schedules.get("weight_decay")

    def _value(self, schedule: Schedule, step: int, wide: bool = False) -> float:
        values = self._values.get(schedule)
        if values is None:
            values = self._values[schedule] = _Values(schedule)
        return values.wide(step) if wide else values(step)

    @property
    def tracked_groups(self) -> int:
        """How many of the optimizer's param groups this scheduler drives (groups added with
        ``add_param_group`` are taken in by :meth:`track_groups`, at the next ``step()``)."""
        return len(self._applied)

    @property
    def min_lrs(self):
        """The floors of :meth:`set_scale`, one per tracked param group (a copy), or ``None``."""
        return None if self._min_lr is None else list(self._min_lr)

    @property
    def added_group_min_lr(self):
        """The floor given to param groups added later (:meth:`set_added_group_min_lr`), or ``None``."""
        return self._min_lr_fill

    def set_added_group_min_lr(self, min_lr) -> None:
        """The floor given to param groups added later (a plateau's one-number ``min_lr``), or
        ``None``: then a group added while floors are set is refused at :meth:`track_groups`."""
        self._min_lr_fill = min_lr

    def track_groups(self):
        """Record the initial values of groups not seen yet (e.g. added with ``add_param_group``)."""
        groups = self.optimizer.param_groups
        seen = len(self._applied)
        if seen == len(groups):
            return
        self._lanes = None
        if self._min_lr is not None and len(self._min_lr) < len(groups) and self._min_lr_fill is None:
            raise ValueError(
                f"Argument `min_lr` of lrcore.torch.ReduceLROnPlateau has one floor per param group "
                f"({len(self._min_lr)}), but the optimizer now has {len(groups)} param groups "
                "(add_param_group): build the plateau after adding the groups, or with one number "
                f"`min_lr` for every group. Received: min_lr={self._min_lr!r}"
            )
        for key, value in self._schedules.items():
            if not isinstance(value, Schedule) and len(value) != len(groups):
                raise ValueError(
                    f"Argument `{_ARGUMENT[key]}` has one schedule per param group ({len(value)}), "
                    f"but the optimizer now has {len(groups)} param groups (add_param_group): build the "
                    f"scheduler with one schedule per group, or with one schedule for every group."
                )
        for i, group in enumerate(groups[seen:], start=seen):
            if seen:
                _own_default_copy(self.optimizer, group, self._schedules)
                self._refuse_added(i, group)
            lr = group["lr"]
            if self.mode == "relative":
                _check_fits(self._schedules["lr"], i, _check_base(i, group))
            group.setdefault("initial_lr", lr.clone() if isinstance(lr, torch.Tensor) else lr)
            for key in self._schedules:
                base = group["initial_lr"] if key == "lr" else _hyper_value(group, key)
                self._base[key].append(_as_float(base))
            self._applied.append(None)
            if self._min_lr is not None and len(self._min_lr) < len(self._applied):
                self._min_lr = [*self._min_lr, self._min_lr_fill]
        self.base_lrs = list(self._base["lr"])

    def _refuse_added(self, i: int, group: dict) -> None:
        """Refuse a group added with ``add_param_group`` whose value one schedule would overwrite."""
        for key, value in self._schedules.items():
            if not isinstance(value, Schedule) or (key == "lr" and self.mode == "relative"):
                continue
            # The groups' common initial value, or the value the schedule set in them last.
            initial = self._base[key][0]
            current = _as_float(_hyper_value(self.optimizer.param_groups[0], key))
            added = _as_float(group["initial_lr"] if key == "lr" and "initial_lr" in group else _hyper_value(group, key))
            if added not in (initial, current):
                name = "lr" if key == "lr" else key
                remedy = (
                    "mode='relative' (each group's initial lr times the schedule), or "
                    if key == "lr"
                    else ""
                )
                raise ValueError(
                    f"Argument `mode`={self.mode!r} would overwrite the {name} {added!r} of param group {i} "
                    f"(added with add_param_group) with the schedule shared by every group (initial "
                    f"{name} {initial!r}). Add the group with {name}={initial!r}, or build the "
                    f"scheduler with {remedy}one schedule per param group (a list of `{_ARGUMENT[key]}`)."
                )

    def _targets(self, key: str, step: int, wide: bool = False) -> list:
        value = self._schedules[key]
        n = len(self.optimizer.param_groups)
        schedules = [value] * n if isinstance(value, Schedule) else value
        out = [self._value(s, step, wide) for s in schedules]
        if self.mode == "relative" and key == "lr":  # momentum and weight decay are absolute, as torch's
            out = [b * v for b, v in zip(self._base[key], out)]
        return out

    def _lrs_at(self, step: int, shared: bool = True) -> list:
        """The lrs of ``step``, scaled and floored (:func:`lrcore.plateau.floored_lr`: a floor limits
        the reduction, it never lifts the schedule's value); ``shared=False`` when no group's lr is a
        tensor (no group can share one with another)."""
        lrs = self._targets("lr", step)
        if self._min_lr is not None:
            lrs = [floored_lr(lr, self._scale, floor) for lr, floor in zip(lrs, self._min_lr)]
        elif self._scale != 1.0:
            lrs = [lr * self._scale for lr in lrs]
        if shared:
            _refuse_shared_tensor(self.optimizer.param_groups, "lr", lrs)
        return lrs

    def _plain_lanes(self) -> list:
        """One block table per tracked group, where each group's lr is its schedule's value as it
        is (absolute mode, scale 1: a floor then changes nothing): what ``step()`` reads directly.
        Empty otherwise. Rebuilt (``_lanes = None``) when the tracked groups, the scale or the floors
        change."""
        if self.mode != "absolute" or self._scale != 1.0:
            return []
        value = self._schedules["lr"]
        n = len(self._applied)
        schedules = [value] * n if isinstance(value, Schedule) else value[:n]
        out = []
        for schedule in schedules:
            values = self._values.get(schedule)
            if values is None:
                values = self._values[schedule] = _Values(schedule)
            out.append(values)
        return out

    # torch's base class calls this inside step(); the lr is a pure function of last_epoch.
    def get_lr(self):
        return self._lrs_at(self.last_epoch)

    def _update_lr(self, epoch=None):
        # torch's SequentialLR starts the next scheduler at its milestone with _update_lr(0), not
        # step(): that sets the lr only, and momentum and weight decay kept the previous scheduler's
        # values for that update. (step() runs it through the base class, then _after_lr_set again.)
        super()._update_lr(epoch)
        self._after_lr_set()

    # -- a wrapping reduce-on-plateau -----------------------------------------------------------
    def set_scale(self, scale: float, min_lrs=None) -> None:
        """Multiply the lrs by ``scale`` from now on, the reduction limited by ``min_lrs`` (one float
        per param group, or ``None``): ``lr = min(schedule(n), max(schedule(n) · scale, min_lr))``
        (:func:`lrcore.plateau.floored_lr`: a floor never lifts the schedule's value), set for the
        current step at once. :class:`ReduceLROnPlateau` sets its rule's scale this way."""
        self._scale = float(scale)
        self._min_lr = None if min_lrs is None else [float(v) for v in min_lrs]
        self._lanes = None
        self._reapply()

    def unscaled_lrs(self, wide: bool = False) -> list:
        """Each param group's lr at the current step from the schedule alone (times the group's
        initial lr in ``mode="relative"``), before the scale and floor of :meth:`set_scale`: the
        float32 values applied, or with ``wide=True`` the float64 values they are rounded from."""
        return self._targets("lr", self.last_epoch, wide)

    @property
    def plateau_link(self):
        """Who advances this scheduler after each optimizer update besides its own ``step()``
        calls: the link of the newest :class:`ReduceLROnPlateau` wrapping it, or ``None``."""
        return self._plateau_link

    def link_plateau(self, link) -> None:
        """Make ``link`` (a :class:`ReduceLROnPlateau`'s, or ``None``) the :attr:`plateau_link`:
        ``step()`` asks it whether the plateau already made the step (``link.absorb()``)."""
        self._plateau_link = link

    # -- stepping ---------------------------------------------------------------------------------
    def step(self, epoch=None):
        """Advance to the next step (``last_epoch + 1``), or, given ``epoch``, go to that step.

        ``step(epoch)`` (deprecated in torch, still used) sets ``last_epoch = epoch`` and applies
        ``schedule(epoch)``: the value ``epoch`` calls of ``step()`` reach, as torch's closed forms.
        It is exact and raises no warning. ``epoch`` is a whole number of steps >= 0; a fractional
        one is refused (a ``ValueError`` naming the remedy: count updates, not fractions of epochs).
        """
        if epoch is not None:
            self._step_to(_step_number("epoch", epoch, 0, validate.MAX_STEPS, _STEP_REMEDY))
            return
        link = self._plateau_link
        if link is not None and link.absorb():
            return  # the wrapping plateau already advanced this scheduler for the latest update
        if self.last_epoch >= _INT64_MAX:
            # The largest step holds (every later step has its value): a state that loads again.
            self.last_epoch = _INT64_MAX - 1
        groups, applied, lanes = self.optimizer.param_groups, self._applied, self._lanes
        if len(groups) == 1 == len(applied) and lanes and self._step_count > 1:
            # The usual case, one param group whose lr is a Python float as last set and is its
            # schedule's value (see _plain_lanes): as cheap as a bare Python scheduler.
            group = groups[0]
            value = group["lr"]
            if type(value) is float and value == applied[0]:
                n = self.last_epoch + 1
                self._step_count += 1
                self.last_epoch = n
                values = lanes[0]
                i = n - values.start
                block = values.block
                lr = block[i] if 0 <= i < len(block) else values(n)
                group["lr"] = lr
                self._last_lr = [lr]
                if self._extra:
                    self._after_lr_set()
                else:
                    self._applied = [lr]
                return
        elif self._step_count > 1 and len(groups) == len(applied):
            # Python-float lrs, as last set (so no group shares an lr tensor with another).
            for group, lr in zip(groups, applied):
                value = group["lr"]
                if type(value) is not float or value != lr:
                    break
            else:
                n = self.last_epoch + 1
                self._step_count += 1
                self.last_epoch = n
                if lanes is None:
                    lanes = self._lanes = self._plain_lanes()
                if lanes:
                    # Absolute lrs, no scale or floor: each group's value read from its block table.
                    lrs = []
                    for group, values in zip(groups, lanes):
                        i = n - values.start
                        block = values.block
                        lr = block[i] if 0 <= i < len(block) else values(n)
                        group["lr"] = lr
                        lrs.append(lr)
                else:
                    lrs = self._lrs_at(n, shared=False)
                    for group, lr in zip(groups, lrs):
                        group["lr"] = lr
                self._last_lr = lrs
                if self._extra:
                    self._after_lr_set()
                else:
                    self._applied = lrs[:]
                return
        self._check_untouched()
        self.track_groups()
        # The base class advances `last_epoch`, applies get_lr() (tensor lrs filled in place) and
        # keeps torch's warning about calling scheduler.step() before optimizer.step().
        _base_step(self)
        self._after_lr_set()

    def _step_to(self, epoch: int) -> None:
        """``step(epoch)``: the values of step ``epoch``, whatever the step before."""
        link = self._plateau_link
        if link is not None and not link.stepping:
            link.auto = False  # whoever places the scheduler drives it from now on (nothing counts twice)
        self._check_untouched()
        self.track_groups()
        # The base class advances `last_epoch` to `epoch` and applies get_lr(), schedule(epoch), as
        # step() does (its warning about stepping before optimizer.step() included).
        self.last_epoch = epoch - 1
        _base_step(self)
        self._after_lr_set()

    def _check_untouched(self):
        """Warn (once) if something other than this scheduler changed a group's lr since the last step."""
        if self._warned:
            return
        changed = []
        for i, (group, applied) in enumerate(zip(self.optimizer.param_groups, self._applied)):
            lr = group["lr"]
            if isinstance(lr, torch.Tensor):
                if lr.device.type != "cpu":
                    continue  # reading a device lr would synchronize every step
                lr = lr.item()
            if applied is not None and lr != applied:
                changed.append(f"param group {i}: lr {lr!r}, scheduled {applied!r}")
        if changed:
            self._warned = True
            warnings.warn(
                "lrcore.torch.scheduler: something other than this scheduler changed the learning rate "
                f"({'; '.join(changed)}); it is put back on the schedule. lrcore owns the lr: compose "
                "schedules with lrcore combinators (lrcore.join, lrcore.scale, ...) and reduce on a plateau "
                "with lrcore.torch.ReduceLROnPlateau instead of a second torch scheduler.",
                UserWarning,
                stacklevel=3,
            )

    def _after_lr_set(self):
        """Set momentum and weight decay for the current step, and remember the lrs just set."""
        step, groups = self.last_epoch, self.optimizer.param_groups
        for key in ("momentum", "weight_decay"):
            if key in self._schedules:
                for group, value in zip(groups, self._targets(key, step)):
                    _set_hyper(group, key, value)
        self._applied = [
            float(lr.item()) if isinstance(lr, torch.Tensor) and lr.device.type == "cpu" else lr
            for lr in (group["lr"] for group in groups)
        ]

    def _reapply(self):
        """Set every driven hyperparameter for the current step (after a load or a plateau change)."""
        self.track_groups()
        self._apply(self._lrs_at(self.last_epoch))
        self._after_lr_set()

    def _apply(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            _set(group, "lr", lr)
        self._last_lr = [
            group["lr"].clone() if isinstance(group["lr"], torch.Tensor) else group["lr"]
            for group in self.optimizer.param_groups
        ]

    # -- checkpoints ------------------------------------------------------------------------------
    def _identity(self) -> dict:
        """What a loaded state must match: the schedules and the mode."""
        out = {"mode": self.mode}
        for key in _HYPER:
            value = self._schedules.get(key)
            out[_ARGUMENT[key]] = None if value is None else _describe(value)
        return out

    def state_dict(self):
        """The scheduler's state: plain Python types only (loads with ``torch.load(weights_only=True)``)."""
        return {
            "lrcore_scheduler": _FORMAT,
            **self._identity(),
            "last_epoch": int(self.last_epoch),
            "_step_count": int(self._step_count),
            "base": {key: list(values) for key, values in self._base.items()},
            "param_groups": len(self.optimizer.param_groups),
            "scale": float(self._scale),
            "min_lr": None if self._min_lr is None else list(self._min_lr),
            "warned": bool(self._warned),
        }

    def load_state_dict(self, state_dict):
        """Restore a state saved by :meth:`state_dict` of an lrcore scheduler with equal schedules.

        Anything else (a native torch scheduler's state, another schedule, another mode) raises a
        ``ValueError`` saying what differs. The lr, momentum and weight decay of the restored step are
        re-applied, so the optimizer and scheduler states may be loaded in either order.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"Argument `state_dict` must be a dict. Received: {type(state_dict).__name__}"
            )
        if "lrcore_scheduler" not in state_dict:
            keys = sorted(str(k) for k in state_dict)
            raise ValueError(
                "Argument `state_dict` was not saved by an lrcore scheduler (format "
                f"{_FORMAT}); it has the keys {keys}, e.g. a native torch scheduler's state. Load it "
                "into the scheduler that saved it."
            )
        saved_format = state_dict["lrcore_scheduler"]
        if not _same(saved_format, _FORMAT):
            raise ValueError(
                f"Entry `state_dict['lrcore_scheduler']` must be {_FORMAT}, the format of the states lrcore "
                f"schedulers save. Received: state_dict['lrcore_scheduler']={_shown(saved_format)}"
            )
        mine = self._identity()
        differs = [
            f"{key}: saved {_shown(state_dict.get(key))}, this scheduler has {value!r} "
            f"(entry `state_dict[{key!r}]`)"
            for key, value in mine.items()
            if not _same(state_dict.get(key), value)
        ]
        if differs:
            raise ValueError(
                "Argument `state_dict` was saved by an lrcore scheduler with different settings: "
                + "; ".join(differs)
            )
        _saved_entries(state_dict, ("last_epoch", "_step_count", "base", "scale", "min_lr", "warned"), "an lrcore scheduler")
        groups = len(self.optimizer.param_groups)
        base = state_dict["base"]
        if not isinstance(base, dict):
            raise TypeError(f"Entry `state_dict['base']` must be a dict of lists. Received: {base!r}")
        if set(base) != set(self._base):
            raise ValueError(f"Argument `state_dict` drives {sorted(base)}; this scheduler drives {sorted(self._base)}.")
        # The groups the scheduler had tracked; a group added (add_param_group) after the last step()
        # is in the optimizer ("param_groups") but tracked only at the next step(), as uninterrupted.
        tracked = len(base["lr"]) if isinstance(base["lr"], (list, tuple)) else -1
        saved_groups = _saved_int("state_dict['param_groups']", state_dict.get("param_groups", tracked), 0)
        if saved_groups != groups:
            raise ValueError(
                f"Argument `state_dict` was saved by a scheduler of {saved_groups} param group(s); this "
                f"scheduler's optimizer has {groups}. Load it into a scheduler of an optimizer with the "
                "same param groups."
            )
        if not 0 < tracked <= groups:
            raise ValueError(
                f"Entry `state_dict['base']['lr']` must be a list of one lr per tracked param group (1 to "
                f"{groups}). Received: {base['lr']!r}"
            )
        loaded = {
            key: _saved_floats(f"state_dict['base'][{key!r}]", values, tracked, 0.0) for key, values in base.items()
        }
        # At most what the constructor and step(epoch) reach; -1 for a scheduler not started yet
        # (torch's SequentialLR sets it in the schedulers after the first until their milestone).
        last_epoch = _saved_int("state_dict['last_epoch']", state_dict["last_epoch"], -1, validate.MAX_STEPS)
        step_count = _saved_int("state_dict['_step_count']", state_dict["_step_count"], 1)
        scale = _saved_float("state_dict['scale']", state_dict["scale"], 0.0, 1.0)
        min_lr = state_dict["min_lr"]
        min_lr = None if min_lr is None else _saved_floats("state_dict['min_lr']", min_lr, tracked, 0.0, _FLOAT32_MAX)
        warned = state_dict["warned"]
        if not isinstance(warned, bool):
            raise TypeError(f"Entry `state_dict['warned']` must be a bool. Received: state_dict['warned']={warned!r}")
        if self.mode == "relative":
            for i, b in enumerate(loaded["lr"]):
                _check_fits(self._schedules["lr"], i, b)
        # Everything is checked: nothing is changed by a refused state.
        # Groups the saved state had not tracked yet (added after its last step()) hold their own
        # values in the uninterrupted run: the values this scheduler found in them before it set its
        # own (its constructor, or a step() since the save), put back below.
        own = {key: values[tracked:] for key, values in self._base.items()}
        self.last_epoch, self._step_count = last_epoch, step_count
        self._base = loaded
        self._applied = [None] * tracked
        self.base_lrs = list(loaded["lr"])
        if self._plateau_link is None:  # a wrapping plateau owns the scale and the floor (its state)
            self._scale, self._min_lr = scale, min_lr
        self._warned = warned
        self._lanes = None
        # The values are pure functions of the step: re-apply them, so the load order does not matter.
        # Groups added after the saved step are left to the next step(), as in the uninterrupted run.
        everyone = self.optimizer.param_groups
        for group in everyone:  # a group (re-)added since this scheduler's start holds the default tensor
            _own_default_copy(self.optimizer, group, self._schedules)
        self.optimizer.param_groups = everyone[:tracked]
        try:
            if last_epoch >= 0:  # a scheduler not started yet sets nothing (another one drives the groups)
                self._reapply()
        finally:
            self.optimizer.param_groups = everyone
        for i, group in enumerate(everyone[tracked:]):
            for key, values in own.items():
                if i < len(values):
                    _unshare_from(group, key, everyone[:tracked])
                    _set_hyper(group, key, values[i])

    def __repr__(self):
        extra = "".join(
            f", {_ARGUMENT[key]}={self._schedules[key]!r}" for key in ("momentum", "weight_decay") if key in self._schedules
        )
        return (
            f"lrcore.torch.scheduler(<{type(self.optimizer).__name__}>, {self.schedule!r}, "
            f"mode={self.mode!r}{extra})"
        )


#: What a fractional (or otherwise non-integer) step number is told to do instead.
_STEP_REMEDY = (
    "lrcore schedules are functions of a whole number of steps, so a fraction of an epoch (torch's "
    "CosineAnnealingWarmRestarts.step(epoch + i / iters)) names no step: count optimizer updates "
    "instead, with the schedule's lengths in updates (e.g. first_period=T_0 * iters), and call "
    "step() after every update, or step(epoch * iters + i)"
)
_PLATEAU_EPOCH_REMEDY = "leave it out: step(metrics) counts the calls itself (the rule does not use it)"


def _step_number(name: str, value, minimum: int, maximum: int, remedy: str) -> int:
    """A whole step number in ``[minimum, maximum]``: an int, an integral float, or a 1-element
    integer/float tensor (or NumPy array) holding one; anything else is refused, naming ``name``
    (and ``remedy``, for a number that is not whole)."""
    shown = value
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value) if value.dtype.kind in "iuf" else value
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.dtype == torch.bool or value.is_complex() or value.is_meta:
            raise TypeError(
                f"Argument `{name}` must be an integer (a Python int, or a tensor holding one). "
                f"Received: {name}={value!r}"
            )
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"Argument `{name}` must be an integer (a whole number of steps). Received: {name}={shown!r}")
    if not isinstance(value, (numbers.Integral, np.integer)):
        try:
            x = float(value)
        except OverflowError:  # a Fraction or Decimal beyond float64
            raise ValueError(f"Argument `{name}` must be in [{minimum}, {maximum}]. Received: {name}={shown!r}") from None
        if not (math.isfinite(x) and x == math.floor(x)):
            raise ValueError(f"Argument `{name}` must be a whole number: {remedy}. Received: {name}={shown!r}")
        value = x
    n = int(value)
    if not minimum <= n <= maximum:
        raise ValueError(f"Argument `{name}` must be in [{minimum}, {maximum}]. Received: {name}={shown!r}")
    return n


class MissingInitialLR(KeyError, ValueError):
    """A resumed scheduler (``last_epoch >= 0``) on a param group without ``initial_lr``: a ``KeyError``
    as torch's schedulers raise, and a ``ValueError`` (a bad ``last_epoch`` for this optimizer), whose
    message reads as written (a ``KeyError`` would print it quoted)."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


def _require_initial_lr(groups, last_epoch: int) -> None:
    """torch's rule for a resumed scheduler (``last_epoch >= 0``): every group holds ``initial_lr``."""
    for i, group in enumerate(groups):
        if "initial_lr" not in group:
            raise MissingInitialLR(
                f"param 'initial_lr' is not specified in param_groups[{i}] when resuming scheduler with "
                f"last_epoch >= 0. Argument `last_epoch`={last_epoch} resumes a run: every param group needs "
                "its `initial_lr`, which the scheduler of that run set and optimizer.load_state_dict "
                "restores. Load the optimizer's state before building the scheduler, or build it with "
                "last_epoch=-1 (a fresh start) and restore it with scheduler.load_state_dict."
            )


def _saved_entries(state_dict: dict, keys: tuple, saver: str) -> None:
    """Refuse a state missing one of ``keys``, naming them."""
    missing = [k for k in keys if k not in state_dict]
    if missing:
        raise ValueError(
            f"Argument `state_dict` lacks the entries {missing} that every state saved by {saver} has. "
            f"Received keys: {sorted(str(k) for k in state_dict)}"
        )


def _saved_int(name: str, value, minimum: int, maximum: int | None = None) -> int:
    """An int entry of a saved state (``name``: its path, e.g. ``state_dict['last_epoch']``), in
    ``[minimum, maximum]`` (no upper bound for ``None``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Entry `{name}` must be an int. Received: {name}={value!r}")
    if value < minimum:
        raise ValueError(f"Entry `{name}` must be >= {minimum}. Received: {name}={value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"Entry `{name}` must be in [{minimum}, {maximum}]. Received: {name}={value!r}")
    return int(value)


def _same(saved, mine) -> bool:
    """Whether the saved entry ``saved`` is ``mine`` (plain data: ``None``, bools, numbers, strings,
    lists, tuples, dicts), compared structurally: an object of another kind (a NumPy array or a
    tensor, whose ``==`` is elementwise) is never equal, and a bool is not a number."""
    if mine is None:
        return saved is None
    if isinstance(mine, bool):
        return isinstance(saved, (bool, np.bool_)) and bool(saved) == mine
    if isinstance(mine, (int, float)):
        return isinstance(saved, (int, float, np.integer, np.floating)) and not isinstance(saved, bool) and saved == mine
    if isinstance(mine, str):
        return isinstance(saved, str) and saved == mine
    if isinstance(mine, dict):
        return (
            isinstance(saved, dict)
            and len(saved) == len(mine)
            and all(k in saved and _same(saved[k], v) for k, v in mine.items())
        )
    if isinstance(mine, (list, tuple)):
        return isinstance(saved, type(mine)) and len(saved) == len(mine) and all(map(_same, saved, mine))
    return False


def _shown(value) -> str:
    """A saved entry for a message: its ``repr``, and its type where that is not plain data."""
    plain = value is None or isinstance(value, (bool, int, float, str, list, tuple, dict))
    return repr(value) if plain else f"{value!r} (of type {type(value).__name__})"


def _saved_float(name: str, value, lo: float, hi: float = math.inf) -> float:
    """A finite real entry in ``[lo, hi]`` (NaN, infinities and non-numbers refused, naming it)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"Entry `{name}` must be a real number. Received: {name}={value!r}")
    x = float(value) if not isinstance(value, int) or abs(value) < 2**1023 else math.inf
    if not (math.isfinite(x) and lo <= x <= hi):
        raise ValueError(f"Entry `{name}` must be a finite number in [{lo:g}, {hi:g}]. Received: {name}={value!r}")
    return x


def _saved_floats(name: str, values, n: int, lo: float, hi: float = math.inf) -> list:
    if not isinstance(values, (list, tuple)) or len(values) != n:
        raise ValueError(
            f"Entry `{name}` must be a list of {n} number(s), one per param group. Received: {name}={values!r}"
        )
    return [_saved_float(f"{name}[{i}]", v, lo, hi) for i, v in enumerate(values)]


_FLOAT32_MAX = float(torch.finfo(torch.float32).max)


def _check_base(i: int, group: dict) -> float:
    """Param group ``i``'s initial lr (``initial_lr``, else ``lr``), which relative mode multiplies
    by the schedule: refused unless a finite number >= 0, as torch's optimizers refuse an lr < 0."""
    key = "initial_lr" if "initial_lr" in group else "lr"
    value = group[key]
    try:
        base = _as_float(value)
    except (TypeError, ValueError, RuntimeError):
        base = None
    if isinstance(value, (bool, str)) or base is None or not math.isfinite(base) or base < 0.0:
        raise ValueError(
            f"Param group {i}'s `{key}` must be a finite number >= 0: mode='relative' sets that group's lr "
            f"to it times the schedule. Received: {key}={value!r}"
        )
    return base


def _check_fits(schedule, i: int, base: float, name: str = "schedule") -> None:
    """Refuse an lr beyond float32: the relative mode's ``base · schedule(n)`` of param group ``i``."""
    for j, s in enumerate([schedule] if isinstance(schedule, Schedule) else schedule):
        if not isinstance(schedule, Schedule) and j != i:
            continue
        magnitude = value_bound(s)
        if magnitude * abs(base) > _FLOAT32_MAX:
            where = name if isinstance(schedule, Schedule) else f"{name}[{i}]"
            raise ValueError(
                f"Argument `{where}` times param group {i}'s initial lr {base!r} reaches "
                f"{magnitude * abs(base)!r} (the schedule reaches {magnitude!r}), beyond the largest float32 "
                f"({_FLOAT32_MAX!r}) the lr is applied in: it would give inf. Use a smaller level or "
                "initial lr."
            )


def _schedules_arg(name: str, value, n_groups: int):
    """One Schedule, or a tuple of ``n_groups`` Schedules (a list/tuple argument)."""
    if isinstance(value, (list, tuple)):
        if len(value) != n_groups:
            raise ValueError(
                f"Argument `{name}` must be one schedule, or a list with one schedule per param group "
                f"({n_groups}). Received: a list of {len(value)}"
            )
        return tuple(as_schedule(f"{name}[{i}]", v) for i, v in enumerate(value))
    return as_schedule(name, value)


def _refuse_unreachable(optimizer, key: str, value) -> None:
    """Refuse an lr, momentum or weight-decay schedule that reaches values the optimizer's own
    constructor refuses (``lr < 0``, SGD's ``momentum < 0``, Adam's ``betas[0]`` outside ``[0, 1)``,
    ``weight_decay < 0``), in float32 as the scheduler applies them: torch would train on with them,
    or fail later in the step. The values' range is the schedules' bounds
    (:func:`lrcore.schedule.value_floor`, :func:`value_bound`); in relative mode the lr is the
    schedule times each group's initial lr, checked to be >= 0 on its own (:func:`_check_base`)."""
    schedules = [value] if isinstance(value, Schedule) else list(value)
    for i, group in enumerate(optimizer.param_groups):
        j = 0 if isinstance(value, Schedule) else i
        if j >= len(schedules):
            continue
        name = _ARGUMENT[key] if isinstance(value, Schedule) else f"{_ARGUMENT[key]}[{j}]"
        floor, bound = value_floor(schedules[j]), value_bound(schedules[j])
        # The scheduler applies float32 values (rounded once, monotonically): decided on these bounds, rounded.
        # (held at float32's largest value, as the scheduler holds a growth).
        low = float(np.float32(min(max(floor, -_FLOAT32_MAX), _FLOAT32_MAX)))
        high = float(np.float32(min(bound, _FLOAT32_MAX)))
        if key == "momentum" and "momentum" not in group:
            target, valid = "betas[0]", "in [0, 1)"
            bad = floor if low < 0.0 else bound if high >= 1.0 else None
        else:
            target, valid = key, ">= 0"
            bad = floor if low < 0.0 else None
        if bad is not None:
            raise ValueError(
                f"Argument `{name}` sets {type(optimizer).__name__}'s {target} (param group {i}), which "
                f"its constructor requires {valid}, but the schedule's values reach {bad:.6g} (bounded by its "
                f"levels; the scheduler applies them in float32): torch would apply them without a check. Use a schedule whose values stay {valid}. "
                f"Received: {name}={schedules[j]!r}"
            )


def _refuse_overwrite(key: str, values: list, resumed_with_added: bool = False) -> None:
    floats = [_as_float(v) for v in values]
    if len(set(floats)) > 1 and key == "lr":
        raise ValueError(
            f"Argument `mode`='absolute' would overwrite the param groups' different initial lr "
            f"values {floats} with one schedule. Pass one schedule per param group (a list of "
            f"`schedule`), or mode='relative' (each group's initial lr times the schedule)."
        )
    if len(set(floats)) > 1:
        raise ValueError(
            f"Argument `{_ARGUMENT[key]}` would overwrite the param groups' different initial {key} "
            f"values {floats} with one schedule: the scheduler sets {key} to the schedule's values in "
            f"every mode (only the lr can be relative to each group's own). Pass one schedule per "
            f"param group (a list of `{_ARGUMENT[key]}`)."
            + (
                f" The optimizer holds a checkpoint's scheduled {key} next to a group added after its "
                f"last step(): to resume it, build the scheduler before optimizer.load_state_dict() "
                f"(then load both states)."
                if resumed_with_added else ""
            )
        )


def _array_levels(schedule: Schedule, path: str):
    """``(parameter path, array)`` for each array level of ``schedule`` and of the schedules in it."""
    children = REGISTRY[schedule.name].children
    for key, value in schedule.params.items():
        kind = children.get(key)
        if kind == "one":
            yield from _array_levels(value, f"{path}.{key}")
        elif kind == "many":
            for j, child in enumerate(value):
                yield from _array_levels(child, f"{path}.{key}[{j}]")
        else:
            for j, v in enumerate(value if isinstance(value, tuple) else (value,)):
                if is_array(v):
                    yield (f"{path}.{key}[{j}]" if isinstance(value, tuple) else f"{path}.{key}"), v


def _hyper_value(group: dict, key: str):
    if key == "momentum" and "momentum" not in group:
        return group["betas"][0]
    return group[key]


def _set(group: dict, key: str, value: float) -> None:
    if isinstance(group[key], torch.Tensor):
        group[key].fill_(value)
    else:
        group[key] = value


def _set_hyper(group: dict, key: str, value: float) -> None:
    """Set hyperparameter ``key`` of ``group``: momentum is Adam's ``betas[0]`` where it has no ``momentum``."""
    if key != "momentum" or "momentum" in group:
        _set(group, key, value)
        return
    beta = group["betas"][0]
    if isinstance(beta, torch.Tensor):
        beta.fill_(value)
    else:
        group["betas"] = (value, *group["betas"][1:])


def _tensor_place(value):
    return (value.device, value.untyped_storage().data_ptr(), value.storage_offset())


def _unshare_defaults(optimizer, keys) -> None:
    """Give ``optimizer.defaults`` its own copy of a tensor lr (momentum, weight decay) that a param
    group holds: torch's constructor puts one tensor in both, and the scheduler sets the group's in
    place. A group added later without an lr takes the default: the constructor's value, whether
    this run started here or resumed from a checkpoint (``optimizer.load_state_dict`` gives the
    groups new tensors, and the default kept the constructor's value)."""
    for key in keys:
        _unshare_from(optimizer.defaults, key, optimizer.param_groups)


def _own_default_copy(optimizer, group: dict, keys) -> None:
    """Give a param group added without an lr (momentum, weight decay) its own copy of the
    default tensor it was handed (:func:`_unshare_defaults` made the default the scheduler's copy,
    which no user holds): the scheduler sets the group's tensor in place, which would move the
    default again and hand the next group added the scheduled value, and two groups added at once
    would share one tensor."""
    for key in keys:
        _unshare_from(group, key, [optimizer.defaults])


def _unshare_from(holder: dict, key: str, groups) -> None:
    """Give ``holder`` (the defaults or a param group) its own copy of its tensor ``key`` (Adam's
    momentum: ``betas[0]``) where one of ``groups`` holds the same tensor. torch's constructor puts
    one tensor lr in the defaults and group 0, and ``add_param_group`` hands a group added without an
    lr the default: a value set in place in one would move the others."""

    def held(d):
        beta = key == "momentum" and "momentum" not in d
        return (d.get("betas") or (None,))[0] if beta else d.get(key)

    value = held(holder)
    if isinstance(value, torch.Tensor):
        place = _tensor_place(value)
        if any(isinstance(h := held(g), torch.Tensor) and _tensor_place(h) == place for g in groups if g is not holder):
            _put_copy(holder, key, key == "momentum" and "momentum" not in holder, value)


def _put_copy(holder: dict, key: str, beta: bool, value) -> None:
    """Put a copy of tensor ``value`` in ``holder`` (the defaults or a group) as its ``key``, or as
    its ``betas[0]`` where ``beta`` (Adam's momentum)."""
    copy = value.detach().clone()
    if beta:
        holder["betas"] = (copy, *holder["betas"][1:])
    else:
        holder[key] = copy


def _refuse_shared_tensor(groups, key: str, values) -> None:
    """Refuse to write different values into one tensor that several param groups hold (a tensor
    lr given to two groups): it is set in place, so the last group's value would be every group's."""
    seen = {}
    for i, (group, value) in enumerate(zip(groups, values)):
        held = group.get(key) if key != "momentum" or "momentum" in group else group.get("betas", (None,))[0]
        if not isinstance(held, torch.Tensor):
            continue
        where = _tensor_place(held)
        if where in seen and seen[where][1] != value:
            j, other = seen[where]
            raise ValueError(
                f"Argument `optimizer` has param groups {j} and {i} that hold one {key} tensor, which the "
                f"scheduler sets in place to {other!r} for group {j} and to {value!r} for group {i}: every "
                f"group would get the last value. Give each group its own {key} tensor. "
                f"Received: optimizer.param_groups[{j}][{key!r}] is optimizer.param_groups[{i}][{key!r}]"
            )
        seen.setdefault(where, (i, value))


def _describe(value):
    """The schedule(s) as plain data: ``to_dict()`` output, or ``repr`` for one holding arrays."""
    if isinstance(value, Schedule):
        try:
            return value.to_dict()
        except TypeError:
            # A repr rounds (torch prints 4 decimals): each array level is added exactly, by dtype
            # and value, so that a state of another peak is refused however close.
            exact = "; ".join(f"{path}={_exact(level)}" for path, level in _array_levels(value, "schedule"))
            return f"{value!r} with {exact}"
    return [_describe(v) for v in value]


def _exact(level) -> str:
    """An array level as its dtype and exact values (float64 holds every narrower float exactly)."""
    if isinstance(level, torch.Tensor):
        values = level.detach().cpu()
        values = values.to(torch.float64) if values.is_floating_point() else values
        return f"{level.dtype} {values.tolist()!r}"
    array = np.asarray(level)
    return f"{array.dtype} {array.tolist()!r}"


def _as_float(lr):
    return float(lr.item()) if isinstance(lr, torch.Tensor) else float(lr)


#: Version of the plateau's state-dict layout (1: without the wrapped scheduler's state).
_PLATEAU_FORMAT = 2


#: Optimizers a learning-rate range test is sweeping (``lrcore.finder.find_lr_torch``): a
#: plateau's optimizer hooks leave its scheduler alone meanwhile, as the test restores the
#: optimizer afterwards (30 sweep steps had advanced a plateau-wrapped scheduler by 30).
_SWEPT = weakref.WeakSet()


@contextlib.contextmanager
def sweeping(optimizer):
    """Within the block, ``optimizer``'s updates are a range test's, not training: lrcore's
    plateaus do not advance their schedulers on them."""
    _SWEPT.add(optimizer)
    try:
        yield
    finally:
        _SWEPT.discard(optimizer)


class _Advance:
    """Who advances an lrcore scheduler that a :class:`ReduceLROnPlateau` wraps.

    At first the plateau does, after every optimizer update (``auto``): a trainer that holds only
    the plateau (the Hugging Face ``Trainer``, Lightning with one scheduler) never calls the
    scheduler's ``step()``. The first ``step()`` from anything else hands the scheduler over to that
    caller: right after the first update it is the step the plateau already made, so it is absorbed;
    after several updates it would count them twice, so it is refused.
    """

    __slots__ = ("auto", "advances", "stepping")

    def __init__(self):
        self.auto, self.advances, self.stepping = True, 0, False

    def absorb(self) -> bool:
        """Called by the scheduler's ``step()``: True if that call must do nothing."""
        if self.stepping or not self.auto:
            return False
        self.auto = False
        if self.advances > 1:
            raise ValueError(
                "lrcore.torch.scheduler(...).step() was called after "
                f"{self.advances} optimizer updates in which nothing stepped it: the "
                "lrcore.torch.ReduceLROnPlateau wrapping it advanced it after each one, and this call "
                "would count an update twice. Step the scheduler after every optimizer.step() (as "
                "torch's schedulers), or never (the plateau advances it)."
            )
        return self.advances == 1  # the plateau made this step after the first update


def _weak_hook(method):
    """An optimizer step hook calling the bound ``method``, held weakly: the optimizer's hooks keep
    no plateau alive (a collected plateau's hooks are removed by :func:`_release`)."""
    ref = weakref.WeakMethod(method)

    def hook(optimizer, args, kwargs):
        bound = ref()
        if bound is not None:
            bound()

    return hook


def _release(handles, scheduler_ref, link):
    """When a plateau is collected: its hooks go, and its scheduler is stepped by others alone."""
    for handle in handles:
        handle.remove()
    scheduler = scheduler_ref()
    if scheduler is not None and scheduler.plateau_link is link:
        scheduler.link_plateau(None)


def _mean_over_ranks(value: float) -> float:
    """``value`` averaged over the ranks of torch.distributed's default group, when one is initialised.

    Every rank gets the same float: the value itself when all ranks hold it, else the correctly
    rounded mean (``math.fsum``) of the gathered values, computed alike on every rank.
    """
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        return value
    world = dist.get_world_size()
    if world == 1:
        return value
    backend = str(dist.get_backend())
    device = torch.device("cpu")
    if "gloo" not in backend and backend != "mpi":  # e.g. NCCL: tensors on the rank's accelerator
        accelerator = getattr(torch, "accelerator", None)
        if accelerator is not None and accelerator.is_available():
            kind = accelerator.current_accelerator().type
            device = torch.device(kind, accelerator.current_device_index())
        elif torch.cuda.is_available():
            device = torch.device("cuda", torch.cuda.current_device())
    mine = torch.tensor([value], dtype=torch.float64, device=device)
    gathered = [torch.empty_like(mine) for _ in range(world)]
    dist.all_gather(gathered, mine)
    return _mean_of([float(t.item()) for t in gathered])


def _mean_of(values: list) -> float:
    """The correctly rounded mean of the ranks' metrics: the value itself when all ranks hold it, NaN
    when one holds NaN (a diverged rank), else the exact sum over the count rounded once. The sum
    is exact (``Fraction``), so metrics near the float maximum, whose float sum would overflow,
    give their finite mean."""
    if all(v == values[0] for v in values):
        return values[0]
    if any(math.isnan(v) for v in values):
        return math.nan
    return float(sum(map(Fraction, values)) / len(values))


def _lightning_trainer():
    """The Lightning ``Trainer`` running the caller (e.g. its ``configure_optimizers``), or None."""
    classes = tuple(
        cls
        for cls in (getattr(sys.modules.get(name), "Trainer", None) for name in ("lightning.pytorch", "pytorch_lightning"))
        if isinstance(cls, type)
    )
    if not classes:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        local = frame.f_locals
        for key in ("trainer", "self"):
            if isinstance(local.get(key), classes):
                return local[key]
        frame = frame.f_back
    return None


class ReduceLROnPlateau(torch.optim.lr_scheduler.ReduceLROnPlateau):
    """Reduce an lrcore scheduler's lr when a metric stops improving: ``lr = schedule(n) · scale``.

    A subclass of torch's ``ReduceLROnPlateau``, so trainers drive it as they drive torch's:
    ``step(metric)`` updates ``scale`` with the rule of :func:`lrcore.plateau` and sets the scaled lr
    at once. The wrapped scheduler advances one step per optimizer update: called by you (or a
    trainer) after each ``optimizer.step()``, or, when nothing calls it, by the plateau itself (it
    hooks the optimizer's step), so a trainer that holds only the plateau (the Hugging Face
    ``Trainer``, Lightning with one scheduler) still follows the schedule. On a constant schedule
    the lrs are torch ``ReduceLROnPlateau``'s fed the same metrics.

    Args:
        scheduler: the :func:`lrcore.torch.scheduler` whose lr is scaled.
        mode, factor, patience, threshold, threshold_mode, cooldown: as torch's (and
            :func:`lrcore.plateau`).
        eps: as torch's, applied to the lr: a reduction is skipped (cooldown and the bad count
            still reset) when it lowers no param group's lr (``schedule(n) · scale``, floored at
            ``min_lr``) by more than ``eps``. The lrs are compared in float64, before the float32
            rounding of the applied lr, as torch compares its groups' Python floats. With one scale
            for every group, groups are reduced together while any one's lr changes by more than
            ``eps`` (torch decides per group).
        min_scale: the smallest scale, >= 0 (torch's ``min_lr`` divided by the lr).
        cooldown_metrics: ``"track"`` (torch's rule, the default: a metric reported during cooldown
            can still become the best) or ``"ignore"`` (Paddle's: it is dropped), as
            :func:`lrcore.plateau`.
        min_lr: optional floor on the reductions (a float, or one per param group), as torch's
            ``min_lr``: ``lr = min(schedule(n), max(schedule(n) · scale, min_lr))``
            (:func:`lrcore.plateau.floored_lr`). It limits a reduction and never lifts the
            schedule: a group whose lr is at or below ``min_lr`` (a small per-group lr, a warmup
            from 0) keeps the schedule's value, as torch leaves such an lr. A float is also the
            floor of groups added later (``add_param_group``); with a list, the scheduler's next
            ``step()`` refuses them.

    Under ``torch.distributed`` (an initialised default process group of several ranks) the metric
    is averaged over the ranks before the rule sees it, so every replica keeps the same scale; call
    ``step(metric)`` on every rank, as trainers do.

    ``state_dict()`` holds plain types: the rule, its state, ``min_lr`` and the wrapped scheduler's
    state, so a checkpoint of the plateau alone resumes the schedule too; loading restores the
    scale in the scheduler, in either load order.
    """

    def __init__(
        self,
        scheduler,
        mode=Plateau.mode,
        factor=Plateau.factor,
        patience=Plateau.patience,
        threshold=Plateau.threshold,
        threshold_mode=Plateau.threshold_mode,
        cooldown=Plateau.cooldown,
        min_scale=Plateau.min_scale,
        eps=Plateau.eps,
        cooldown_metrics=Plateau.cooldown_metrics,
        *,
        min_lr=None,
    ):
        if not isinstance(scheduler, LrcoreScheduler):
            raise TypeError(
                "Argument `scheduler` must be an lrcore.torch.scheduler(...) (lrcore owns the lr; for a "
                "plain optimizer use torch.optim.lr_scheduler.ReduceLROnPlateau). "
                f"Received: scheduler={scheduler!r} (of type {type(scheduler).__name__})"
            )
        # Not torch's __init__: the rule and its state are lrcore's; the attributes torch's
        # ReduceLROnPlateau exposes are kept in sync for code that reads them.
        self.rule = plateau(
            factor=factor, patience=patience, mode=mode, threshold=threshold,
            threshold_mode=threshold_mode, cooldown=cooldown, min_scale=min_scale, eps=eps,
            cooldown_metrics=cooldown_metrics,
        )  # fmt: skip
        # torch applies `eps` to the lr (`old_lr - new_lr > eps`), not to the scale: the rule runs
        # with eps=0 and step() skips a reduction that changes no group's lr by more than eps.
        self._rule = plateau(**{**self.rule.to_dict()["params"], "eps": 0.0})
        self.scheduler = scheduler
        self.optimizer = scheduler.optimizer
        n = len(self.optimizer.param_groups)
        scalar = min_lr is not None and not isinstance(min_lr, (list, tuple))
        if min_lr is not None:
            floors = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * n
            if len(floors) != n:
                raise ValueError(
                    f"Argument `min_lr` must be a number or a list with one per param group ({n}). "
                    f"Received: min_lr={min_lr!r}"
                )
            # A floor is an lr the scheduler applies: in float32, as the schedule's values.
            names = ["min_lr"] * n if scalar else [f"min_lr[{i}]" for i in range(n)]
            min_lr = [
                validate.at_most(
                    name, validate.at_least(name, v, 0.0), _FLOAT32_MAX, "the floor is an lr, applied in float32"
                )
                for name, v in zip(names, floors)
            ]
        # One number is the floor of every group, also of groups added later (add_param_group).
        scheduler.set_added_group_min_lr(validate.at_least("min_lr", floors[0], 0.0) if scalar else None)
        self.state = self.rule.init()
        self.last_epoch = 0
        # The newest plateau on a scheduler advances it (an older one's hooks do nothing).
        self._link = _Advance()
        scheduler.link_plateau(self._link)
        # Built inside a Lightning Trainer's configure_optimizers: the epoch of the last metric
        # step is tracked, so that checkpoints and resumes keep the steps Lightning skips.
        trainer = _lightning_trainer()
        self._trainer = None if trainer is None else weakref.ref(trainer)
        # (A plateau built at a later epoch, fit() called again with more epochs, starts there.)
        self._lightning_epoch = None if trainer is None else int(trainer.current_epoch) - 1
        self._warned_epochs = set()
        # The last metric Lightning passed: with "strict": False it passes it again at an epoch's end
        # that logged none (validation every n epochs), which a run resumed mid-way must make too.
        self._lightning_metric = None
        self._hook()
        self._set_scheduler(min_lr)

    def _hook(self):
        """Hook the optimizer's step: before it, Lightning's skipped steps; after it, the scheduler."""
        handles = (
            self.optimizer.register_step_pre_hook(_weak_hook(self._catch_up)),
            self.optimizer.register_step_post_hook(_weak_hook(self._after_update)),
        )
        weakref.finalize(self, _release, handles, weakref.ref(self.scheduler), self._link)

    def __getstate__(self):
        # A copy (pickle, deepcopy) belongs to no running Trainer; its optimizer copy has no hooks.
        return {**self.__dict__, "_trainer": None}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._hook()

    def _floors(self):
        """The floor of each param group the scheduler drives (groups it took in since this plateau
        last set them get the one-number ``min_lr``), or ``None`` without floors."""
        return None if self._min_lr is None else self.scheduler.min_lrs

    def _set_scheduler(self, min_lr):
        self._min_lr = min_lr
        self.scheduler.set_scale(float(self.state.scale), min_lr)
        self._sync()

    def _sync(self):
        rule, state = self.rule, self.state
        self.mode, self.factor, self.patience = rule.mode, rule.factor, rule.patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = (
            rule.threshold, rule.threshold_mode, rule.cooldown, rule.eps,
        )  # fmt: skip
        self.mode_worse = math.inf if rule.mode == "min" else -math.inf
        self.best, self.num_bad_epochs, self.cooldown_counter = state.best, state.num_bad, state.cooldown_left
        self.min_lrs = list(self._floors() or [0.0] * len(self.optimizer.param_groups))
        self._last_lr = self.scheduler.get_last_lr()

    @property
    def scale(self) -> float:
        """The factor the schedule is multiplied by (starts at 1)."""
        return self.state.scale

    def get_last_lr(self):
        """The lrs the wrapped scheduler set last (``schedule(n) · scale``), one per param group."""
        return self.scheduler.get_last_lr()

    def step(self, metrics, epoch=None):
        """Report a metric: update the scale and set the scaled lr of the current step at once.

        ``epoch`` (torch's deprecated argument) only sets ``last_epoch``, as in torch; no warning.
        """
        if epoch is not None:
            epoch = _step_number("epoch", epoch, 0, validate.MAX_STEPS, _PLATEAU_EPOCH_REMEDY)
        trainer, config = self._lightning_config() if self._trainer is not None else (None, None)
        if config is not None and self._lightning_epoch is not None:
            self._warn_missed(config, self._missed(config, int(trainer.current_epoch)))
        self._report(metrics, epoch)
        trainer = self._trainer() if self._trainer is not None else None
        if trainer is not None:
            self._lightning_epoch = int(trainer.current_epoch)
            self._lightning_metric = float(metric_value("metrics", metrics))

    def _report(self, metrics, epoch=None):
        self.scheduler.track_groups()  # groups added since the last step: floored, or refused now
        self.state = self._next_state(metrics)
        self.last_epoch = min(self.last_epoch + 1, _INT64_MAX) if epoch is None else epoch
        self._set_scheduler(self._floors())

    def _next_state(self, metrics) -> PlateauState:
        """The rule's state after ``metrics`` (averaged over the ranks of torch.distributed)."""
        # A real scalar (a tensor of shape () or (1,) included, as torch's float(metrics)), finite
        # or NaN: other shapes, bools and ±inf are refused naming `metrics`.
        metrics = _mean_over_ranks(metric_value("metrics", metrics))
        before = self.state
        after = self._rule.update(before, metrics)
        if after.scale != before.scale and not self._changes_an_lr(float(before.scale), float(after.scale)):
            after = after._replace(scale=before.scale)  # torch: cooldown and the count still reset
        return after

    def _changes_an_lr(self, old: float, new: float) -> bool:
        """Whether scale ``old`` → ``new`` lowers some group's lr by more than ``eps`` (torch's test),
        on the float64 lrs, as torch compares its groups' Python floats (the float32 rounding of the
        applied lr would move the decision near ``eps``)."""
        return reduces_an_lr(self.scheduler.unscaled_lrs(wide=True), old, new, self._floors(), self.rule.eps)

    # -- advancing the wrapped scheduler ----------------------------------------------------------
    def _after_update(self):
        """After each optimizer update: advance the scheduler, unless something else steps it."""
        link, sched = self._link, self.scheduler
        if not link.auto or sched.plateau_link is not link or self.optimizer in _SWEPT:
            return
        link.advances += 1
        link.stepping = True
        try:
            sched.step()
        finally:
            link.stepping = False

    # -- Lightning ---------------------------------------------------------------------------------
    # Lightning steps a plateau at the end of an epoch after its checkpoint callbacks saved, and a
    # run resumed from a checkpoint does not make the steps it skipped (the one after an epoch-end
    # checkpoint, and the one ending an epoch resumed mid-way). The plateau makes up for both: a
    # checkpoint saved at an epoch's end holds the state after that epoch's metric (the value
    # Lightning is about to pass), and an update that finds an epoch's step missing makes it first.
    def _lightning_config(self):
        trainer = self._trainer() if self._trainer is not None else None
        module = getattr(trainer, "lightning_module", None)
        if module is None or not getattr(module, "automatic_optimization", False):
            return None, None  # with manual optimization Lightning steps no scheduler
        for config in getattr(trainer, "lr_scheduler_configs", ()):
            if config.scheduler is self and config.interval == "epoch" and config.monitor:
                return trainer, config
        return None, None

    def _catch_up(self):
        """Before an update: make the metric step of the last epoch if Lightning skipped it."""
        if self._trainer is None or self.optimizer in _SWEPT:
            return
        trainer, config = self._lightning_config()
        if config is None or self._lightning_epoch is None:
            return
        done = int(trainer.current_epoch) - 1
        if done < 0 or self._lightning_epoch >= done:
            return
        missed = self._missed(config, done)
        if (done + 1) % config.frequency == 0:
            metric = trainer.callback_metrics.get(config.monitor)
            if metric is None and not getattr(config, "strict", True):
                metric = self.__dict__.get("_lightning_metric")  # the value Lightning still held
            if metric is not None:
                self._warn_missed(config, missed)
                self._report(metric)
                self._lightning_epoch = done
                # the last metric passed, as step() keeps it: a checkpoint saved from here on holds it
                self._lightning_metric = float(metric_value("metrics", metric))
                return
            missed.append(done)  # the last epoch's step is due and its metric is not there
        self._warn_missed(config, missed)

    def _missed(self, config, epoch: int) -> list:
        """The epochs before ``epoch`` whose metric step is due and was not made."""
        return [e for e in range(self._lightning_epoch + 1, epoch) if (e + 1) % config.frequency == 0]

    def _warn_missed(self, config, epochs):
        """Warn, once per epoch, where an epoch's metric step never came: a run resumed from a
        checkpoint saved after that epoch's updates and before Lightning stepped the plateau with
        its metric (one saved by step count at the epoch's last update, before Lightning validated
        or aggregated the metric). Its lrs then depart from an uninterrupted run's; nothing can
        recover a metric the checkpoint does not hold. Not with Lightning's ``strict=False`` (a
        metric allowed to be missing)."""
        warned = self.__dict__.setdefault("_warned_epochs", set())
        new = [e for e in epochs if e not in warned]
        if not new or not getattr(config, "strict", True):
            return
        warned.update(new)
        warnings.warn(
            f"lrcore.torch.ReduceLROnPlateau: the monitored metric {config.monitor!r} of epoch "
            f"{', '.join(map(str, new))} never reached the plateau: the run resumed from a checkpoint "
            "saved after that epoch's updates but before Lightning stepped the plateau with its metric "
            "(one saved by step count at the epoch's last update). The lrs from here differ from an "
            "uninterrupted run's; save checkpoints by epoch (ModelCheckpoint(every_n_epochs=...)) or at "
            "steps that do not end an epoch.",
            stacklevel=3,
        )

    def _pending_at_epoch_end(self):
        """``(epoch, metric)`` when Lightning saves at an epoch's end, before stepping this plateau."""
        trainer, config = self._lightning_config()
        if config is None or self._lightning_epoch is None:
            return None
        loop = getattr(trainer, "fit_loop", None)
        progress = getattr(getattr(loop, "epoch_progress", None), "current", None)
        if progress is None or progress.processed != progress.completed + 1:
            return None  # not between an epoch's last update and its end
        all_batches = getattr(loop.epoch_loop, "_num_ready_batches_reached", None)
        if all_batches is not None and not all_batches():
            return None  # Lightning steps epoch schedulers only after a full epoch
        epoch = int(trainer.current_epoch)
        if self._lightning_epoch >= epoch or (epoch + 1) % config.frequency:
            return None
        metric = trainer.callback_metrics.get(config.monitor)
        return None if metric is None else (epoch, metric)

    # -- checkpoints -------------------------------------------------------------------------------
    def state_dict(self):
        """The rule, its state, ``min_lr`` and the wrapped scheduler's state: plain Python types."""
        state, last_epoch, lightning_epoch = self.state, self.last_epoch, self._lightning_epoch
        lightning_metric = self.__dict__.get("_lightning_metric")
        scheduler = self.scheduler.state_dict()
        pending = self._pending_at_epoch_end()
        if pending is not None:
            lightning_epoch, metric = pending
            state, last_epoch = self._next_state(metric), min(last_epoch + 1, _INT64_MAX)
            scheduler["scale"] = float(state.scale)
            lightning_metric = float(metric_value("metrics", metric))
        return {
            "lrcore_plateau": _PLATEAU_FORMAT,
            "rule": self.rule.to_dict(),
            "state": [float(state.scale), float(state.best), int(state.num_bad), int(state.cooldown_left)],
            "last_epoch": int(last_epoch),
            "min_lr": self._floors(),
            "scheduler": scheduler,
            "lightning_epoch": lightning_epoch,
            "lightning_metric": lightning_metric,
        }

    def load_state_dict(self, state_dict):
        """Restore a state saved by :meth:`state_dict` of an equal rule; anything else is refused.

        The wrapped scheduler's state is restored too. Only states of format 1 (``"lrcore_plateau":
        1``, saved by lrcore 0.1) lack it and leave the scheduler as it is; a later state without
        ``"scheduler"`` is refused, naming the entry.
        """
        if not isinstance(state_dict, dict) or "lrcore_plateau" not in state_dict:
            keys = sorted(str(k) for k in state_dict) if isinstance(state_dict, dict) else state_dict
            raise ValueError(
                "Argument `state_dict` was not saved by lrcore.torch.ReduceLROnPlateau (e.g. torch's own "
                f"ReduceLROnPlateau). Received keys: {keys}"
            )
        saved_format = state_dict["lrcore_plateau"]
        if not (_same(saved_format, 1) or _same(saved_format, _PLATEAU_FORMAT)):
            raise ValueError(
                f"Entry `state_dict['lrcore_plateau']` must be 1 or {_PLATEAU_FORMAT}, the formats of the states "
                "lrcore.torch.ReduceLROnPlateau saves. Received: "
                f"state_dict['lrcore_plateau']={_shown(saved_format)}"
            )
        # Format 1 (lrcore 0.1) held no scheduler state; every later one does.
        entries = ("rule", "state", "last_epoch", "min_lr") + (("scheduler",) if saved_format != 1 else ())
        _saved_entries(state_dict, entries, f"lrcore.torch.ReduceLROnPlateau in format {int(saved_format)}")
        try:  # rebuilt, so that a rule saved before a parameter existed reads it at its default
            saved_rule = Plateau.from_dict(state_dict["rule"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Entry `state_dict['rule']` is not a plateau rule: {exc}") from None
        if saved_rule != self.rule:
            raise ValueError(
                "Argument `state_dict` was saved with a different plateau rule: "
                f"saved {state_dict['rule']!r}, this one has {self.rule.to_dict()!r}"
            )
        # Every entry checked as the constructor and the rule allow, before anything changes.
        state = checked_state(self.rule, state_dict["state"], "state_dict['state']")
        last_epoch = _saved_int("state_dict['last_epoch']", state_dict["last_epoch"], 0, validate.MAX_STEPS)
        epoch = state_dict.get("lightning_epoch")
        epoch = None if epoch is None else _saved_int("state_dict['lightning_epoch']", epoch, -1, validate.MAX_STEPS)
        last_metric = state_dict.get("lightning_metric")
        if last_metric is not None:  # a real scalar, finite or NaN, as the metrics it was
            last_metric = float(metric_value("state_dict['lightning_metric']", last_metric))
        inner = state_dict.get("scheduler")
        if (inner is not None or saved_format != 1) and not isinstance(inner, dict):
            raise TypeError(f"Entry `state_dict['scheduler']` must be a dict. Received: {inner!r}")
        min_lr = state_dict["min_lr"]
        if min_lr is not None:
            # One floor per group the scheduler had tracked (groups added since are floored at the next step).
            base = inner.get("base") if inner is not None else None
            saved = base.get("lr") if isinstance(base, dict) else None
            n = len(saved) if isinstance(saved, (list, tuple)) else self.scheduler.tracked_groups
            min_lr = _saved_floats("state_dict['min_lr']", min_lr, n, 0.0, _FLOAT32_MAX)
        self._check_saved_floors(min_lr)
        if inner is not None:
            self.scheduler.load_state_dict(inner)
        self.state = state
        self.last_epoch = last_epoch
        self._lightning_metric = last_metric
        if epoch is not None or self._trainer is None:
            self._lightning_epoch = epoch
        else:
            # Saved outside Lightning (no epoch): which metric steps it made is unknown, so none is
            # made up or said to be missing; the next one Lightning makes sets it.
            self._lightning_epoch = None
        # Groups added after the saved step are left to the scheduler's next step(), as uninterrupted.
        everyone = self.optimizer.param_groups
        self.optimizer.param_groups = everyone[: self.scheduler.tracked_groups]
        try:
            self._set_scheduler(min_lr)
        finally:
            self.optimizer.param_groups = everyone

    def _check_saved_floors(self, saved) -> None:
        """Refuse saved floors other than this plateau's ``min_lr`` (the rule's parameters are
        compared the same way): a floor dropped or moved in the checkpoint would change the lrs."""
        mine, fill = self._floors(), self.scheduler.added_group_min_lr
        if saved is None and mine is None:
            return
        if saved is not None and mine is not None:
            own = [fill] * len(saved) if fill is not None else mine[: len(saved)]
            if len(own) == len(saved) and all(float(a) == float(b) for a, b in zip(own, saved)):
                return
        built = "no min_lr" if mine is None else f"min_lr={fill!r}" if fill is not None else f"min_lr={mine!r}"
        raise ValueError(
            f"Argument `state_dict['min_lr']` holds other floors than this plateau's ({built}): a "
            "checkpoint resumes on a plateau built with the same min_lr, as with the same rule. "
            f"Received: state_dict['min_lr']={saved!r}"
        )

    def __repr__(self):
        return f"lrcore.torch.ReduceLROnPlateau({self.scheduler!r}, {self.rule!r})"


def scheduler(
    optimizer, schedule, *, mode: str = "absolute", momentum=None, weight_decay=None, last_epoch=-1
) -> LrcoreScheduler:
    """A ``torch.optim.lr_scheduler.LRScheduler`` setting ``optimizer``'s lr from ``schedule``.

    Update ``n`` (0-based; ``n`` = number of ``scheduler.step()`` calls so far) uses ``schedule(n)``,
    in float32 (the float64 value rounded once).

    Args:
        optimizer: a ``torch.optim.Optimizer``.
        schedule: an :class:`lrcore.Schedule` (or an adapter schedule, e.g.
            ``lrcore.torch.cosine_decay(...)``) for every param group, or a list with one per group.
        mode: ``"absolute"`` (a group's lr is the schedule's value; refused when the groups start
            with different lrs, which it would overwrite) or ``"relative"`` (each group's initial lr
            times the value, as ``LambdaLR``). Applies to the lr only: ``momentum`` and
            ``weight_decay`` are absolute in every mode, as torch's schedulers set them (one schedule
            for groups that start with different values is refused; pass one per group).
        momentum: schedule(s) for the momentum: ``momentum`` where the optimizer has it (SGD,
            RMSprop), ``betas[0]`` where it has ``betas`` (Adam, AdamW), as torch ``OneCycleLR`` and
            ``CyclicLR`` with ``cycle_momentum=True``; e.g. :func:`lrcore.onecycle_momentum`.
        weight_decay: schedule(s) for the ``weight_decay`` hyperparameter.
        last_epoch: ``-1`` (a fresh start) or, as torch's schedulers, the ``last_epoch`` of a run
            to resume: the scheduler then takes one step, to ``last_epoch + 1``, and every param
            group must hold the ``initial_lr`` that run's scheduler recorded (restored by
            ``optimizer.load_state_dict``), else a ``KeyError`` (also a ``ValueError``) naming it. ``load_state_dict`` is the
            exact way to resume; ``step(epoch)`` goes to any step.

    Groups added later with ``add_param_group`` are driven too (a list of per-group schedules must
    then be rebuilt with one schedule per group). Something else changing a group's lr between two
    ``step()`` calls is warned about once and undone.

    Example:
        >>> import torch, lrcore
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
        >>> sched = lrcore.torch.scheduler(opt, lrcore.piecewise_constant([2], [0.5, 0.25]))
        >>> _ = opt.step(); sched.step(); _ = opt.step(); sched.step()
        >>> print(sched.get_last_lr())
        [0.25]
    """
    return LrcoreScheduler(
        optimizer, schedule, mode=mode, momentum=momentum, weight_decay=weight_decay, last_epoch=last_epoch
    )
