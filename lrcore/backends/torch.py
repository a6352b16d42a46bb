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
  instead (per-group learning rates). The step count is a Python int, so it is exact at any
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

import numbers

import array_api_compat.torch as _xp
import torch

from .._array import HOST_CONSTANTS
from ..schedule import Schedule, as_schedule

# The core's host-side table builders (e.g. the cosine_restart cycle table) are pure functions of
# Python constants. Dynamo would interpret them bytecode by bytecode (and cannot trace the
# `fractions.Fraction` they use); told they are constant, it calls them once and keeps the result,
# so `torch.compile(fullgraph=True)` sees only tensor operations.
for _fn in HOST_CONSTANTS:
    torch.compiler.assume_constant_result(_fn)


class TorchSchedule:
    """A schedule evaluated with torch operations: float32 tensors on the step's device."""

    __slots__ = ("schedule", "__weakref__")

    def __init__(self, schedule: Schedule):
        self.schedule = schedule

    def __call__(self, step):
        if isinstance(step, (bool, torch.SymBool)) or (
            isinstance(step, torch.Tensor) and step.dtype == torch.bool
        ):
            raise TypeError(f"Argument `step` must be an integer or a tensor of steps. Received: step={step!r}")
        if not isinstance(step, torch.Tensor):
            if isinstance(step, numbers.Integral):
                step = torch.tensor(int(step), dtype=torch.int64)
            else:
                step = torch.as_tensor(step)
        return self.schedule.evaluate(step, xp=_xp, dtype=torch.float32)

    def __repr__(self):
        return f"lrcore.torch.from_schedule({self.schedule!r})"


def _float_lr(schedule: Schedule, step: int) -> float:
    """The float32 value at ``step`` (a Python int), as a Python float (exactly float32-representable)."""
    return float(schedule.evaluate(torch.tensor(step, dtype=torch.int64), xp=_xp, dtype=torch.float32))


#: Steps evaluated together by the scheduler: one tensor evaluation costs about as much for 512
#: steps as for one (it is dominated by per-operation overhead), so a block makes step() cheap.
#: 512 keeps every operation of a block below torch's parallel grain (for tables of up to 64
#: entries), so no block waits for a thread pool (which costs ~10-20 ms on a busy CPU).
_BLOCK = 512
_INT64_MAX = 2**63 - 1


def _block_lrs(schedule: Schedule, start: int) -> list:
    """The float32 values of steps ``start .. start + _BLOCK - 1`` (fewer at the int64 end), as floats.

    ``start`` is a multiple of ``_BLOCK``, so a step is always evaluated at the same position of the
    same block: its value is a pure function of the step, whatever the history (resumes included).
    """
    stop = min(start + _BLOCK, _INT64_MAX + 1)
    steps = torch.arange(start, stop, dtype=torch.int64)
    return schedule.evaluate(steps, xp=_xp, dtype=torch.float32).tolist()


_base_step = torch.optim.lr_scheduler.LRScheduler.step  # called directly: cheaper than super()


class LrcoreScheduler(torch.optim.lr_scheduler.LRScheduler):
    """Sets every param group's lr from an lrcore schedule: update ``n`` uses ``schedule(n)``.

    ``last_epoch`` (torch's name) is the number of ``step()`` calls so far, a Python int.
    Build one with :func:`scheduler`.
    """

    def __init__(self, optimizer, schedule, *, mode: str = "absolute"):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                "Argument `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer={optimizer!r} (of type {type(optimizer).__name__})"
            )
        if not isinstance(mode, str) or mode not in ("absolute", "relative"):
            raise ValueError(f"Argument `mode` must be 'absolute' or 'relative'. Received: mode={mode!r}")
        self.schedule = as_schedule("schedule", schedule)
        self.mode = mode
        self._lrcore_block, self._lrcore_block_start = [], 0
        # LRScheduler.__init__ records `initial_lr`, then performs the first step (to step 0).
        super().__init__(optimizer, last_epoch=-1)

    # torch's base class calls this inside step(); the lr is a pure function of last_epoch.
    def get_lr(self):
        # Inlined fast path of _lrs_at: step() must cost no more than torch's own schedulers'.
        block, step = self._lrcore_block, self.last_epoch
        i = step - self._lrcore_block_start
        if 0 <= i < len(block) and self.mode == "absolute":
            return [block[i]] * len(self.optimizer.param_groups)
        return self._lrs_at(step)

    def _value(self, step: int) -> float:
        """``schedule(step)`` in float32, as a Python float, from the cached block of ``step``."""
        block = self._lrcore_block
        i = step - self._lrcore_block_start
        if 0 <= i < len(block):
            return block[i]
        step = max(int(step), 0)
        if step > _INT64_MAX:
            return _float_lr(self.schedule, step)  # raises torch's overflow error, as a tensor would
        start = step - step % _BLOCK
        self._lrcore_block = block = _block_lrs(self.schedule, start)
        self._lrcore_block_start = start
        return block[step - start]

    def _lrs_at(self, step: int):
        value = self._value(step)
        if self.mode == "absolute":
            return [value] * len(self.optimizer.param_groups)
        return [_as_float(group["initial_lr"]) * value for group in self.optimizer.param_groups]

    def step(self, epoch=None):
        if epoch is not None:
            raise TypeError(
                "Argument `epoch` is not supported: an lrcore scheduler advances one update per "
                f"step() call. Received: epoch={epoch!r}"
            )
        # The base class advances `last_epoch`, applies get_lr() (tensor lrs filled in place) and
        # keeps torch's warning about calling scheduler.step() before optimizer.step().
        _base_step(self)

    def _apply(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        self._last_lr = [
            group["lr"].clone() if isinstance(group["lr"], torch.Tensor) else group["lr"]
            for group in self.optimizer.param_groups
        ]

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in _NOT_STATE}
        state["schedule"] = self.schedule.to_dict() if _serializable(self.schedule) else None
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("schedule", None)
        if saved is not None and saved != self.schedule.to_dict():
            raise ValueError(
                "Argument `state_dict` was saved from a different schedule. "
                f"Received: schedule={saved!r}, this scheduler has {self.schedule.to_dict()!r}"
            )
        if state.get("mode", self.mode) != self.mode:
            raise ValueError(
                f"Argument `state_dict` was saved in mode={state['mode']!r}; this scheduler uses mode={self.mode!r}."
            )
        for key in _NOT_STATE:
            state.pop(key, None)
        self.__dict__.update(state)
        self.last_epoch = int(self.last_epoch)
        # The lr is a pure function of the step: re-apply it, so the load order does not matter.
        self._apply(self._lrs_at(self.last_epoch))

    def __repr__(self):
        return f"lrcore.torch.scheduler(<{type(self.optimizer).__name__}>, {self.schedule!r}, mode={self.mode!r})"


# Not saved by state_dict(): the optimizer and schedule are given to the constructor, and the
# block cache is recomputed from the step.
_NOT_STATE = ("optimizer", "schedule", "_lrcore_block", "_lrcore_block_start")


def _as_float(lr):
    return float(lr.item()) if isinstance(lr, torch.Tensor) else float(lr)


def _serializable(schedule: Schedule) -> bool:
    try:
        schedule.to_dict()
    except TypeError:
        return False
    return True


def scheduler(optimizer, schedule, *, mode: str = "absolute") -> LrcoreScheduler:
    """A ``torch.optim.lr_scheduler.LRScheduler`` setting ``optimizer``'s lr from ``schedule``.

    Update ``n`` (0-based; ``n`` = number of ``scheduler.step()`` calls so far) uses ``schedule(n)``,
    evaluated in float32 like every ``lrcore.torch`` schedule.

    Args:
        optimizer: a ``torch.optim.Optimizer``.
        schedule: an :class:`lrcore.Schedule`, or an adapter schedule (e.g. ``lrcore.torch.cosine_decay(...)``).
        mode: ``"absolute"`` (every group's lr is the schedule's value) or ``"relative"`` (each
            group's lr is its initial lr times the value).

    Example:
        >>> import torch, lrcore
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
        >>> sched = lrcore.torch.scheduler(opt, lrcore.piecewise_constant([2], [0.5, 0.25]))
        >>> _ = opt.step(); sched.step(); _ = opt.step(); sched.step()
        >>> print(sched.get_last_lr())
        [0.25]
    """
    return LrcoreScheduler(optimizer, schedule, mode=mode)
