"""Metric-driven decay: the reduce-on-plateau rule as a pure function of the metrics reported so far.

A schedule is a pure function of the step; a plateau rule is a pure function of the metric history.
They compose by multiplication: ``lr = schedule(step) * state.scale``. The framework adapters
(``lrcore.torch.ReduceLROnPlateau``, ``lrcore.jax.reduce_on_plateau``,
``lrcore.keras.ReduceLROnPlateau``) keep a :class:`PlateauState` in their checkpoints and call
:meth:`Plateau.update` with each reported metric.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, NamedTuple

import array_api_compat
import numpy as np

from . import _array
from . import validate as check
from .schedule import register_other_dict


#: The largest ``patience`` and ``cooldown``: the bad count reaches ``patience + 1`` in int32.
_MAX_COUNT = 2**31 - 2


class PlateauState(NamedTuple):
    """The plateau rule's state: plain numbers, or 0-d arrays of one namespace (a JAX pytree).

    Attributes:
        scale: the factor the learning rate is multiplied by (starts at 1).
        best: the best metric seen so far (``+inf`` for ``mode="min"`` before the first metric).
        num_bad: updates since the last improvement (torch's ``num_bad_epochs``).
        cooldown_left: updates of cooldown still to run (torch's ``cooldown_counter``).
    """

    scale: Any
    best: Any
    num_bad: Any
    cooldown_left: Any


@dataclasses.dataclass(frozen=True)
class Plateau:
    """The reduce-on-plateau rule of torch ``ReduceLROnPlateau``, for a scale that starts at 1.

    Build one with :func:`plateau`. ``init()`` gives the first state; ``update(state, metric)`` the
    next one. Both are pure; ``update`` uses array-API operations only, so it works under ``jit``.

    The fields are the rule's parameters, in order, with their defaults: the one place they are
    written. :func:`plateau` and the adapters' constructors (``lrcore.torch.ReduceLROnPlateau``,
    ``lrcore.keras.ReduceLROnPlateau``, ``lrcore.jax.reduce_on_plateau``) take their defaults from
    here (``Plateau.factor`` is the default factor) and pass them on to :func:`plateau`.
    """

    factor: float = 0.1
    patience: int = 10
    mode: str = "min"
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_scale: float = 0.0
    eps: float = 1e-8
    cooldown_metrics: str = "track"

    def __post_init__(self):
        # Validated here, so that Plateau(...), plateau(...) and from_dict all check the same way.
        factor = check.real("factor", self.factor)
        if not 0.0 <= factor < 1.0:
            raise ValueError(f"Argument `factor` must be in [0, 1). Received: factor={self.factor!r}")
        checked = {
            "factor": factor,
            "patience": check.phase("patience", self.patience),
            "mode": check.choice("mode", self.mode, ("min", "max")),
            "threshold": check.at_least("threshold", self.threshold, 0.0),
            "threshold_mode": check.choice("threshold_mode", self.threshold_mode, ("rel", "abs")),
            "cooldown": check.phase("cooldown", self.cooldown),
            "min_scale": check.at_least("min_scale", self.min_scale, 0.0),
            "eps": check.at_least("eps", self.eps, 0.0),
            "cooldown_metrics": check.choice("cooldown_metrics", self.cooldown_metrics, ("track", "ignore")),
        }
        for key in ("patience", "cooldown"):
            # The counts are int32 under jit (JAX's default integer): `num_bad` reaches patience + 1.
            if checked[key] > _MAX_COUNT:
                raise ValueError(
                    f"Argument `{key}` must be <= 2**31 - 2 = {_MAX_COUNT} (the counts are 32-bit "
                    f"integers in compiled code). Received: {key}={getattr(self, key)!r}"
                )
        for key, value in checked.items():
            object.__setattr__(self, key, value)

    def init(self) -> PlateauState:
        """The state before any metric: scale 1, no best yet, no bad updates, no cooldown."""
        return PlateauState(1.0, math.inf if self.mode == "min" else -math.inf, 0, 0)

    def improved(self, metric, best):
        """Whether ``metric`` improves on ``best`` by more than the threshold (torch's ``is_better``)."""
        t = self.threshold
        if self.threshold_mode == "rel":
            bar = best * (1.0 - t) if self.mode == "min" else best * (1.0 + t)
        else:
            bar = best - t if self.mode == "min" else best + t
        return metric < bar if self.mode == "min" else metric > bar

    def update(self, state: PlateauState, metric) -> PlateauState:
        """The state after ``metric`` is reported.

        ``metric`` is a real scalar of any library (see :func:`metric_value`). With a plain state
        (Python numbers) and a metric that has a value, the result holds plain Python numbers
        (float64 arithmetic, as torch's), whatever the metric's type or float dtype: a float32
        NumPy, JAX or torch metric gives the same scale as the Python float. A state of 0-d arrays
        (a JAX pytree, a ``lax.scan`` carry; NumPy scalars count as 0-d NumPy arrays, NumPy
        bfloat16 included) is computed in its namespace and keeps its dtypes; a
        traced metric (under ``jit``) with a plain state is computed in the wider of the metric's
        float dtype and its namespace's default one (a bfloat16 loss gives a float32 scale).
        """
        if isinstance(state, (dict, str)) or not hasattr(state, "__len__") or len(state) != 4:
            raise TypeError(
                "Argument `state` must be a PlateauState (scale, best, num_bad, cooldown_left), as "
                f"init() and update() return. Received: state={state!r}"
            )
        # NumPy scalars (a state saved through NumPy: `np.asarray(x)[()]`) are the 0-d arrays they
        # came from: computed in their own dtype, as the run that saved them was, not as Python floats.
        state = PlateauState(*(np.asarray(v) if isinstance(v, np.generic) else v for v in state))
        for key, v in state._asdict().items():
            if _array.is_array(v) and tuple(getattr(v, "shape", ())) != ():
                raise TypeError(
                    f"Argument `state.{key}` must be a number or a 0-d array (one scale for the lr). "
                    f"Received: state.{key} of shape {tuple(v.shape)}"
                )
        value = metric_value("metric", metric)
        if not _array.is_array(value) and not any(_array.is_array(v) for v in state):
            return self._update_plain(state, value)
        held = _held_values(self, state)
        if held is not None:  # arrays with values (not traced): the same check as a plain state's
            checked_state(self, held)
        return self._update_array(state, value)

    def _update_plain(self, state: PlateauState, m: float) -> PlateauState:
        # A state the rule could have reached: a NaN or negative scale would become the lr's factor.
        scale, best, num_bad, cooldown_left = checked_state(self, state)
        if cooldown_left > 0 and self.cooldown_metrics == "ignore":
            return PlateauState(scale, best, num_bad, cooldown_left - 1)  # the metric is dropped
        if self.improved(m, best):
            best, num_bad = m, 0
        else:
            num_bad += 1
        if cooldown_left > 0:
            cooldown_left -= 1
            num_bad = 0
        if num_bad > self.patience:
            new_scale = max(scale * self.factor, self.min_scale)
            if scale - new_scale > self.eps:
                scale = new_scale
            cooldown_left, num_bad = self.cooldown, 0
        return PlateauState(scale, best, num_bad, cooldown_left)

    def _update_array(self, state: PlateauState, metric) -> PlateauState:
        arrays = [v for v in (metric, *state) if _array.is_array(v)]
        try:
            xp = _array.array_namespace(*arrays)
        except TypeError as exc:
            raise TypeError(
                "Arguments `state` and `metric` must be numbers or arrays of one array-API library "
                "(NumPy, JAX, torch, ...): a traced metric of another library has no namespace to "
                f"compute in. Received: metric={metric!r}, state={state!r}"
            ) from exc
        int_default, float_default = _array.default_dtypes(xp)
        held = [v for v in (state.scale, state.best) if _array.is_array(v) and _array.isdtype(xp, v.dtype, "real floating")]
        if held:  # the state's own dtype: a lax.scan carry keeps its type
            fdtype = held[0].dtype
        elif _array.is_array(metric) and _array.isdtype(xp, metric.dtype, "real floating"):
            # the wider of the two (a bfloat16 loss must not round the scale to bfloat16)
            wider = xp.finfo(metric.dtype).bits > xp.finfo(float_default).bits
            fdtype = metric.dtype if wider else float_default
        else:
            fdtype = float_default
        counts = [v for v in (state.num_bad, state.cooldown_left) if _array.is_array(v)]
        idtype = counts[0].dtype if counts else int_default
        self._check_count_dtype(xp, idtype, state)
        if _array.is_array(metric):
            # A tracer (concrete metrics were checked): an infinity is no metric, it counts as NaN.
            m = xp.astype(metric, fdtype)
            m = xp.where(xp.isinf(m), xp.asarray(math.nan, dtype=fdtype), m)
        else:  # a finite metric that the state's dtype cannot hold is refused, not made an infinity
            info = xp.finfo(fdtype)
            check.metric_fits("metric", metric, float(info.max), float(info.eps), fdtype, metric)
            m = xp.asarray(metric, dtype=fdtype)
        scale = xp.asarray(state.scale, dtype=fdtype)
        best = xp.asarray(state.best, dtype=fdtype)
        num_bad = xp.asarray(state.num_bad, dtype=idtype)
        cooldown_left = xp.asarray(state.cooldown_left, dtype=idtype)
        zero = xp.asarray(0, dtype=idtype)

        in_cooldown = cooldown_left > 0
        ignore = self.cooldown_metrics == "ignore"  # a metric reported during cooldown is dropped
        better = self.improved(m, best)
        if ignore:
            better = better & ~in_cooldown
        best = xp.where(better, m, best)
        counted = xp.where(better, zero, num_bad + 1)
        num_bad = xp.where(in_cooldown, num_bad if ignore else zero, counted)
        cooldown_left = xp.where(in_cooldown, cooldown_left - 1, cooldown_left)
        reduce = num_bad > self.patience
        if ignore:
            reduce = reduce & ~in_cooldown
        new_scale = xp.maximum(scale * self.factor, xp.asarray(self.min_scale, dtype=fdtype))
        scale = xp.where(reduce & (scale - new_scale > self.eps), new_scale, scale)
        cooldown_left = xp.where(reduce, xp.asarray(self.cooldown, dtype=idtype), cooldown_left)
        num_bad = xp.where(reduce, zero, num_bad)
        return PlateauState(scale, best, num_bad, cooldown_left)

    def _check_count_dtype(self, xp, idtype, state) -> None:
        """Refuse counts of a dtype that cannot reach ``patience + 1`` and ``cooldown`` (a bool, or
        an int8 bad count under ``patience=200``, would wrap or stall and never reduce)."""
        needed = max(self.patience + 1, self.cooldown)
        if _array.isdtype(xp, idtype, "integral") and int(xp.iinfo(idtype).max) >= needed:
            return
        exact = {64: 2**53, 32: 2**24}  # 16 bits: 2**8, what bfloat16 counts exactly
        if _array.isdtype(xp, idtype, "real floating") and needed <= exact.get(xp.finfo(idtype).bits, 2**8):
            return
        raise TypeError(
            f"Argument `state` must hold its counts (num_bad, cooldown_left) in an integer dtype that "
            f"reaches patience + 1 = {self.patience + 1} and cooldown = {self.cooldown}. Received: "
            f"num_bad={state.num_bad!r}, cooldown_left={state.cooldown_left!r} (dtype {idtype})"
        )

    # -- serialization ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """``{"name": "plateau", "params": {...}}``, JSON-safe; :meth:`Plateau.from_dict` rebuilds it
        (``lrcore.from_dict`` rebuilds schedules only, and refuses it naming that method)."""
        return {"name": "plateau", "params": dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "Plateau":
        """Rebuild a rule from :meth:`to_dict` output; unknown parameters raise an error naming them."""
        if not isinstance(d, dict) or d.get("name") != "plateau" or set(d) != {"name", "params"}:
            raise ValueError(f"A plateau dict is {{'name': 'plateau', 'params': {{...}}}}. Received: {d!r}")
        params = d.get("params", {})
        if not isinstance(params, dict):
            raise TypeError(f"'params' of 'plateau' must be a dict. Received: {type(params).__name__}")
        extra = sorted(map(str, set(params) - {f.name for f in dataclasses.fields(cls)}))
        if extra:
            raise ValueError(f"Unknown parameter(s) for 'plateau': {', '.join(extra)}")
        return plateau(**params)


register_other_dict(
    "plateau",
    "a reduce-on-plateau rule, which depends on the metrics reported, not on the step",
    "lrcore.Plateau.from_dict",
)


def checked_state(rule: Plateau, values, name: str = "state") -> PlateauState:
    """A saved plain :class:`PlateauState` of ``rule``, checked as the rule could have reached it.

    ``scale`` in ``[min(min_scale, 1), 1]``; ``best`` finite, or the ``init()`` value (``+inf`` for
    ``mode="min"``, ``-inf`` for ``"max"``); ``num_bad`` an integer in ``[0, patience]``;
    ``cooldown_left`` an integer in ``[0, cooldown]``. Raises a ``ValueError``/``TypeError`` naming the
    entry (``name.scale`` …) and the value received.
    """
    if isinstance(values, dict):
        if set(values) != set(PlateauState._fields):
            raise ValueError(
                f"Argument `{name}` must hold the entries {list(PlateauState._fields)}. Received: {name}={values!r}"
            )
        values = [values[k] for k in PlateauState._fields]
    elif not isinstance(values, (list, tuple)) or len(values) != len(PlateauState._fields):
        raise ValueError(
            f"Argument `{name}` must be [scale, best, num_bad, cooldown_left]. Received: {name}={values!r}"
        )
    scale, best, num_bad, cooldown_left = values
    lo = min(rule.min_scale, 1.0)
    scale = check.in_range(f"{name}.scale", scale, lo, 1.0)
    unset = math.inf if rule.mode == "min" else -math.inf
    if isinstance(best, (float, np.floating)) and float(best) == unset:
        best = unset
    else:
        try:
            best = check.real(f"{name}.best", best)
        except ValueError as exc:
            raise ValueError(
                f"Argument `{name}.best` must be finite, or {unset} (no metric yet) for mode={rule.mode!r}. "
                f"Received: {name}.best={best!r}"
            ) from exc
    num_bad = _whole(f"{name}.num_bad", num_bad, rule.patience)
    cooldown_left = _whole(f"{name}.cooldown_left", cooldown_left, rule.cooldown)
    return PlateauState(scale, best, num_bad, cooldown_left)


def _held_values(rule: Plateau, state: PlateauState):
    """The state's entries as Python numbers where every array among them has a value, for
    :func:`checked_state`; None where one is traced (under ``jit`` nothing can be checked).

    A complex array, or a scale or best of no float dtype, is refused, naming the entry. Whole
    float counters read as counts (a float dtype's 2.0 is the count 2), and a scale at
    ``min_scale`` rounded to its own dtype (float32's 0.7 is below 0.7) as ``min_scale``: the rule
    reaches both.
    """
    for key, v in state._asdict().items():  # dtypes first: known under jit too
        if _array.is_array(v):
            kind = str(getattr(v, "dtype", ""))
            # (A boolean count is refused with the counts' own dtype rule, in _update_array.)
            if "complex" in kind or (key in ("scale", "best") and "float" not in kind):
                raise TypeError(
                    f"Argument `state.{key}` must be a real number or a real 0-d array"
                    f"{' of a float dtype (the rule forms it in floats)' if key in ('scale', 'best') else ''}. "
                    f"Received: state.{key}={v!r}"
                )
            if getattr(v, "is_meta", False):  # a torch tensor without data
                raise TypeError(f"Argument `state.{key}` must hold a value. Received: state.{key}={v!r}")
    out = []
    for key, v in state._asdict().items():
        if _array.is_array(v):
            kind = str(getattr(v, "dtype", ""))
            x = _array.concrete(v)
            if x is None:
                return None
            if key in ("num_bad", "cooldown_left") and ("float" not in kind or x.is_integer()):
                x = int(x)
            elif key == "scale":
                lo = min(rule.min_scale, 1.0)
                try:
                    floor = _array.concrete(array_api_compat.array_namespace(v).asarray(lo, dtype=v.dtype))
                except TypeError:  # no array-API namespace (a TensorFlow tensor): refused later, by name
                    floor = None
                if floor is not None and min(floor, lo) <= x < lo:
                    x = lo
            v = x
        out.append(v)
    return out


def _whole(name: str, value, most: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Argument `{name}` must be an integer. Received: {name}={value!r}")
    if not 0 <= int(value) <= most:
        raise ValueError(f"Argument `{name}` must be in [0, {most}]. Received: {name}={value!r}")
    return int(value)


def floored_lr(lr, scale, min_lr):
    r"""The lr that a plateau ``scale`` and an absolute floor ``min_lr`` make of the schedule's ``lr``.

    .. math:: \text{lr}' = \min\bigl(\text{lr},\ \max(\text{lr}\cdot\text{scale},\ \text{min\_lr})\bigr)

    This is torch ``ReduceLROnPlateau``'s ``min_lr``, and Keras' and Paddle's: a reduction sets
    :math:`\max(\text{old}\cdot f, \text{min\_lr})`, and only where that is below the old lr. The
    floor limits a reduction; it never lifts the schedule. An lr at or below ``min_lr`` (a param
    group's small lr, a warmup from 0, the tail of a decay) is the schedule's own, and at
    ``scale == 1`` every lr is. On a constant schedule ``L`` after ``k`` reductions it is
    torch's lr: ``max(L · f**k, min_lr)`` where ``L > min_lr``, and ``L`` otherwise.

    Plain numbers (``lrcore.torch.ReduceLROnPlateau``'s per-group ``min_lr``). ``lr >= 0``,
    ``0 <= scale <= 1`` and ``min_lr >= 0``, as the rule and the adapters give them.
    """
    return min(lr, max(lr * scale, min_lr))


def reduces_an_lr(lrs, old_scale, new_scale, min_lrs, eps) -> bool:
    """Whether scale ``old_scale`` → ``new_scale`` lowers some lr by more than ``eps``: torch's test
    ``old_lr - new_lr > eps``, on each of ``lrs`` (the schedule's values, one per param group) with
    its floor of ``min_lrs`` (:func:`floored_lr`; ``None``: no floors).

    The lrs are compared as given: torch compares its groups' Python floats (float64), so pass the
    float64 values of the schedule, not the float32 ones an adapter applies.
    """
    floors = [0.0] * len(lrs) if min_lrs is None else min_lrs
    return any(floored_lr(v, old_scale, m) - floored_lr(v, new_scale, m) > eps for v, m in zip(lrs, floors))


def _ml_float_scalar(value) -> bool:
    """A NumPy scalar of an ``ml_dtypes`` float (bfloat16: JAX's on the host), which is no
    ``np.floating``."""
    return isinstance(value, np.generic) and value.dtype.name in _array._ML_FLOATS


def metric_value(name: str, metric):
    """A reported metric, validated once: a real scalar of any library.

    Accepted: a Python int or float, a NumPy integer or float scalar, and a real-valued array of
    shape ``()`` or ``(1,)`` of any library (NumPy, JAX, torch, TensorFlow, …), finite or NaN (a
    diverged loss: no improvement, as torch's rule counts it). Returns a Python float where the
    metric has a value (so every library gives the same float64 arithmetic), or the 0-d array
    itself for a traced one (under ``jit``). Refused with a ``TypeError`` naming ``name``: None,
    strings, bools, complex numbers, datetimes, non-real arrays and arrays of other shapes; with a
    ``ValueError`` naming ``name``: ``±inf`` and ints past float64 (``10**400``). A traced metric
    has no value to refuse: :meth:`Plateau.update` counts an infinite one as NaN.
    """
    if (isinstance(metric, (numbers.Real, np.integer, np.floating)) or _ml_float_scalar(metric)) and not isinstance(
        metric, (bool, np.bool_, np.timedelta64)
    ):
        try:
            value = float(metric)
        except OverflowError:  # an int past float64: no float metric holds it
            value = math.inf if metric > 0 else -math.inf
        return check.metric(name, value, metric)
    if not _array.is_array(metric) or not check._real_dtype(metric):
        raise TypeError(
            f"Argument `{name}` must be a real number or a real-valued 0-d array. Received: "
            f"{name}={metric!r} (of type {type(metric).__name__})"
        )
    shape = getattr(metric, "shape", None)
    try:
        shape = tuple(shape)
    except TypeError:  # an unknown rank (a TensorFlow graph tensor)
        shape = None
    if shape not in ((), (1,)):
        raise TypeError(
            f"Argument `{name}` must be a scalar: an array of shape () or (1,). Received: {name} of shape {shape}"
        )
    value = _array.concrete(metric if shape == () else metric[0])  # None for a tracer
    if value is not None:
        return check.metric(name, value, metric)
    if array_api_compat.is_torch_array(metric):  # torch traces nothing the rule reads: a tensor without data
        raise TypeError(
            f"Argument `{name}` must be a real number or a real-valued 0-d array with a value; this "
            f"tensor has none (device {metric.device}). Received: {name}={metric!r}"
        )
    # A tracer has no value to refuse: Plateau.update counts an infinite one as NaN (no improvement).
    return metric if shape == () else metric[0]


def plateau(
    factor=Plateau.factor,
    patience=Plateau.patience,
    mode=Plateau.mode,
    threshold=Plateau.threshold,
    threshold_mode=Plateau.threshold_mode,
    cooldown=Plateau.cooldown,
    min_scale=Plateau.min_scale,
    eps=Plateau.eps,
    cooldown_metrics=Plateau.cooldown_metrics,
) -> Plateau:
    r"""Reduce the learning rate when a metric has stopped improving (torch's rule).

    The rule keeps a ``scale`` that starts at 1 and multiplies any schedule:
    :math:`\eta = s(k)\cdot\text{scale}`. For each reported metric :math:`m`:

    .. math::
        \text{improved} = \begin{cases}
          m < b(1-\theta) & \text{min, rel} \qquad m < b - \theta \quad \text{min, abs} \\
          m > b(1+\theta) & \text{max, rel} \qquad m > b + \theta \quad \text{max, abs}
        \end{cases}

    An improvement records :math:`b \leftarrow m` and resets the bad count; otherwise the count
    grows. During cooldown the count stays 0 (and, with ``cooldown_metrics="ignore"``, the metric is
    dropped: the best is not updated either). Once the count exceeds ``patience``, the reduced scale is
    :math:`s' = \max(\text{scale}\cdot f, \text{min\_scale})`, taken only where
    :math:`\text{scale} - s' > \text{eps}` (torch's ``old_lr - new_lr > eps``), and cooldown starts and
    the count resets (also when the reduction is skipped). So the scale only falls, never below
    ``min_scale``, and a ``min_scale`` at or above it changes nothing: the floor limits a reduction,
    it never lifts the lr (torch leaves an lr already below its ``min_lr`` as it is).

    Args:
        factor: :math:`0 \le f < 1`, the factor applied at each reduction.
        patience: updates without improvement tolerated before reducing, an integer in
            ``[0, 2**31 - 2]`` (the counts are 32-bit integers under ``jit``).
        mode: ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (e.g. an accuracy).
        threshold: :math:`\theta \ge 0`, the least change that counts as an improvement.
        threshold_mode: ``"rel"`` (relative to the best) or ``"abs"``.
        cooldown: updates to wait after a reduction before counting bad updates again, an integer
            in ``[0, 2**31 - 2]``.
        min_scale: the smallest scale a reduction sets, :math:`\ge 0` (torch's ``min_lr`` divided
            by the lr, on a constant lr; above 1 where that lr is below ``min_lr``: then no
            reduction happens). A floor on the lr itself, for a schedule that is not constant, is
            ``lrcore.torch.ReduceLROnPlateau``'s ``min_lr`` (see :func:`floored_lr`).
        eps: a reduction that changes the scale by no more than this is skipped, :math:`\ge 0`.
        cooldown_metrics: what a metric reported during cooldown does: ``"track"`` (torch, Keras,
            optax: it still becomes the best if it improves on it) or ``"ignore"`` (Paddle
            ``ReduceOnPlateau``: it is dropped, the best stays the one from before the cooldown).

    Example:
        >>> import lrcore
        >>> rule = lrcore.plateau(factor=0.5, patience=1)
        >>> state = rule.init()
        >>> for loss in [1.0, 1.0, 1.0, 1.0]:
        ...     state = rule.update(state, loss)
        >>> print(state.scale)
        0.5

    Peers: torch ``ReduceLROnPlateau`` (the same rule); ``optax.contrib.reduce_on_plateau`` and
    ``keras.callbacks.ReduceLROnPlateau`` reduce one bad value earlier (their sequences equal this
    rule's with ``patience + 1``; Keras also with ``cooldown + 1`` and ``threshold_mode="abs"``);
    Paddle ``ReduceOnPlateau`` is this rule with ``cooldown_metrics="ignore"``.
    """
    return Plateau(factor, patience, mode, threshold, threshold_mode, cooldown, min_scale, eps, cooldown_metrics)


def rule_parameters() -> dict:
    """The rule's parameters, in order, with their defaults (the fields of :class:`Plateau`)."""
    return {field.name: field.default for field in dataclasses.fields(Plateau)}
