"""The JAX adapter: optax-compatible schedules, float32 by default, jit/vmap/grad friendly.

``lrcore.jax.<name>(...)`` returns a :class:`JaxSchedule`, a callable of the optax ``count`` that
returns a ``jax.Array``. Level parameters (``peak_value``, ``init_value``, ``end_value``, …) may be
JAX arrays or tracers, so a schedule can be built inside ``vmap``/``grad``; structural parameters
(lengths, boundaries, modes) stay Python values, which is what lets a whole training run compile
once.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _array
from .. import validate as check
from .._array import host_steps_for
from ..plateau import _MAX_COUNT, Plateau, PlateauState, metric_value, plateau, rule_parameters
from ..schedule import Schedule, as_schedule, check_levels_fit
from . import Composable


class JaxSchedule(Composable):
    """A schedule evaluated with ``jax.numpy``; pass it wherever optax takes a schedule."""

    __slots__ = ("schedule", "dtype", "__weakref__")

    def __init__(self, schedule: Schedule, dtype=jnp.float32):
        dtype = jnp.dtype(dtype)
        if dtype not in (jnp.dtype(jnp.float32), jnp.dtype(jnp.float64)):
            raise ValueError(f"Argument `dtype` must be float32 or float64. Received: dtype={dtype}")
        if dtype == jnp.float64 and not jax.config.read("jax_enable_x64"):
            raise ValueError(
                "Argument `dtype` is float64 but JAX has 64-bit types disabled; set "
                "jax.config.update('jax_enable_x64', True) first. Received: dtype=float64"
            )
        schedule = as_schedule("schedule", schedule)
        check_levels_fit(schedule, float(np.finfo(dtype).max), dtype.name)  # refused now, not at step 0
        self.schedule = schedule
        self.dtype = dtype

    def __call__(self, count=None):
        if count is None:  # Keras calls a plain callable `learning_rate` with no arguments
            raise TypeError(
                "Argument `count` (optax's step count) is required. For Keras (any backend), use "
                "lrcore.keras.<name>(...) or lrcore.keras.from_schedule(schedule). Received: count=None"
            )
        if isinstance(count, jax.Array):  # tracers included
            return self.schedule.evaluate(count, xp=jnp, dtype=self.dtype)
        return self._host(count)

    def _host(self, count):
        """A Python or NumPy step: converted on the host, where ``jnp.asarray`` would silently wrap
        int64 steps past int32 (and round float64 steps to float32) when x64 is off."""
        steps, nan = host_steps_for(jnp, count)
        out = self.schedule.evaluate(jnp.asarray(steps), xp=jnp, dtype=self.dtype)
        return jnp.where(jnp.asarray(nan), jnp.asarray(math.nan, dtype=self.dtype), out) if nan is not None else out

    def compose_options(self) -> dict:
        """A composition keeps the dtype: ``jax_a * 0.5`` evaluates in ``jax_a``'s dtype."""
        return {"dtype": self.dtype}

    def __repr__(self):
        return f"lrcore.jax.from_schedule({self.schedule!r})"


class ReduceOnPlateauState(NamedTuple):
    """The optax state of :func:`reduce_on_plateau`: 0-d arrays only (a pytree to checkpoint as is).

    Attributes:
        scale: the factor the updates are multiplied by (starts at 1).
        best: the best (averaged) metric seen so far.
        num_bad: rule updates since the last improvement.
        cooldown_left: rule updates of cooldown still to run.
        count: metrics accumulated since the last rule update (``accumulation_size``).
        avg_value: their running mean.
    """

    scale: Any
    best: Any
    num_bad: Any
    cooldown_left: Any
    count: Any
    avg_value: Any


def reduce_on_plateau(
    factor=Plateau.factor,
    patience=Plateau.patience,
    mode=Plateau.mode,
    threshold=Plateau.threshold,
    threshold_mode=Plateau.threshold_mode,
    cooldown=Plateau.cooldown,
    min_scale=Plateau.min_scale,
    eps=Plateau.eps,
    cooldown_metrics=Plateau.cooldown_metrics,
    *,
    accumulation_size=1,
):
    r"""Scale the updates by the reduce-on-plateau rule :func:`lrcore.plateau`, as an optax transformation.

    Chain it after an optimizer driven by any lrcore schedule; the effective learning rate is
    ``schedule(step) · scale``. Feed the metric with ``update(updates, state, params, value=metric)``:
    the update fed metric ``n`` uses the scale after metric ``n`` (as optax's own
    ``optax.contrib.reduce_on_plateau``).

    The arguments are :func:`lrcore.plateau`'s (torch ``ReduceLROnPlateau``'s rule, or Paddle's with
    ``cooldown_metrics="ignore"``); an existing
    :class:`lrcore.Plateau` may be passed instead as the only argument. ``accumulation_size``
    (optax's): apply the rule to the mean of every ``accumulation_size`` metrics, keeping the scale
    in between (1: every metric).

    Parity with ``optax.contrib.reduce_on_plateau(factor, patience=P, rtol=t, atol=a, cooldown=c,
    accumulation_size=n, min_scale=m)``: optax reduces after ``P`` bad values where torch's rule
    (and lrcore) reduces after more than ``patience``, so it is this transformation with
    ``patience=P - 1``, ``threshold=t`` (``threshold_mode="rel"``, ``a = 0``) or ``threshold=a``
    (``threshold_mode="abs"``, ``t = 0``), ``eps=0.0`` (optax skips no small reduction; with the
    default ``eps=1e-8`` they differ only once the scale is below about ``1e-8 / (1 - factor)``),
    ``mode="min"`` (optax has no ``"max"``). Same ``cooldown``, ``accumulation_size``, ``min_scale``.

    The state (:class:`ReduceOnPlateauState`) is float32 (float64 when the params are float64),
    works under ``jit``, and is a plain pytree of 0-d arrays: save it with the rest of the optax
    state and resume bit-exactly. Updates keep their dtype.

    Example:
        >>> import jax.numpy as jnp, optax, lrcore
        >>> opt = optax.chain(optax.sgd(lrcore.jax.constant(0.5)), lrcore.jax.reduce_on_plateau(factor=0.5, patience=1))
        >>> params = jnp.zeros(2)
        >>> state = opt.init(params)
        >>> for loss in [1.0, 1.0, 1.0]:
        ...     updates, state = opt.update(jnp.ones(2), state, params, value=loss)
        >>> print(float(updates[0]))  # 0.5 · 0.5 after the third flat loss
        -0.25

    Peers: ``optax.contrib.reduce_on_plateau`` (mapping above), torch ``ReduceLROnPlateau``.
    """
    if isinstance(factor, Plateau):
        rule = factor
        given = dict(patience=patience, mode=mode, threshold=threshold, threshold_mode=threshold_mode,
                     cooldown=cooldown, min_scale=min_scale, eps=eps, cooldown_metrics=cooldown_metrics)
        defaults = rule_parameters()
        changed = sorted(k for k, v in given.items() if v != defaults[k] or type(v) is not type(defaults[k]))
        if changed:
            raise TypeError(
                "reduce_on_plateau takes either an lrcore.Plateau or the rule's parameters, not both. "
                f"Received: factor={factor!r} and {', '.join(f'{k}={given[k]!r}' for k in changed)}"
            )
    else:
        rule = plateau(factor, patience, mode, threshold, threshold_mode, cooldown, min_scale, eps, cooldown_metrics)
    # The metrics are counted in the default integer (int32 without x64): count reaches accumulation_size.
    accumulation_size = check.integer("accumulation_size", accumulation_size, minimum=1, maximum=_MAX_COUNT + 1)
    import optax

    def init_fn(params):
        dtype = _state_dtype(params)
        int_dtype = _array.default_dtypes(jnp)[0]
        scale, best, num_bad, cooldown_left = rule.init()
        return ReduceOnPlateauState(
            scale=jnp.asarray(scale, dtype=dtype),
            best=jnp.asarray(best, dtype=dtype),
            num_bad=jnp.asarray(num_bad, dtype=int_dtype),
            cooldown_left=jnp.asarray(cooldown_left, dtype=int_dtype),
            count=jnp.asarray(0, dtype=int_dtype),
            avg_value=jnp.asarray(0.0, dtype=dtype),
        )

    def update_fn(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        if value is None:
            raise TypeError("reduce_on_plateau's update needs the metric: update(updates, state, params, value=metric)")
        _check_accumulation(state, accumulation_size)
        dtype = state.best.dtype
        # A real scalar of any library (None, strings, bools and non-scalars are refused, naming
        # `value`): a Python float where it has a value (an int past int32 included), else a 0-d tracer.
        # A real scalar of any library, finite or NaN (±inf refused, naming `value`).
        checked = metric_value("value", value)
        if isinstance(checked, jax.Array):
            metric = checked.astype(dtype)
        else:  # a finite float64 past the state's float32 is refused, not made an infinity
            info = jnp.finfo(dtype)
            check.metric_fits("value", checked, float(info.max), float(info.eps), jnp.dtype(dtype).name, value)
            metric = jnp.asarray(checked, dtype=dtype)
        count = state.count + 1
        # optax's running mean, bit for bit: (n·mean + value) / (n + 1); where n·mean + value
        # passes the float range (finite metrics near its largest value), mean·n/(n+1) + value/(n+1).
        avg = ((state.count * state.avg_value + metric) / count).astype(dtype)
        wide = (state.avg_value * (state.count / count) + metric / count).astype(dtype)
        avg = jnp.where(jnp.isinf(avg) & jnp.isfinite(wide), wide, avg)
        # An infinite metric (traced under jit, where it cannot be refused) counts as NaN, in the
        # mean it enters as in the rule: an infinite mean is kept as NaN.
        avg = jnp.where(jnp.isinf(avg), jnp.asarray(jnp.nan, dtype=avg.dtype), avg)
        ready = count == accumulation_size
        new = rule.update(PlateauState(state.scale, state.best, state.num_bad, state.cooldown_left), avg)
        pick = lambda a, b: jnp.where(ready, jnp.asarray(a).astype(jnp.asarray(b).dtype), b)  # noqa: E731
        state = ReduceOnPlateauState(
            scale=pick(new.scale, state.scale),
            best=pick(new.best, state.best),
            num_bad=pick(new.num_bad, state.num_bad),
            cooldown_left=pick(new.cooldown_left, state.cooldown_left),
            count=jnp.where(ready, jnp.zeros_like(count), count),
            avg_value=jnp.where(ready, jnp.zeros_like(avg), avg),
        )
        updates = jax.tree.map(lambda g: g * state.scale.astype(g.dtype), updates)
        return updates, state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def _check_accumulation(state, accumulation_size: int) -> None:
    """Refuse, naming the entry, a state of Python numbers (no dtype to keep), and a state's
    ``count`` and ``avg_value`` that ``reduce_on_plateau`` could not have reached: each a real 0-d array (checked under ``jit`` too: shapes and dtypes are
    known there), ``count`` of an integer dtype that reaches ``accumulation_size`` (an int8 count
    would wrap), and where they hold values (outside ``jit``) ``count`` a whole number in ``[0,
    accumulation_size)`` (one at or past it never equals it again, and the rule would stop) and
    ``avg_value`` 0 where ``count`` is 0 (it restarts there). The rule's own entries are checked by
    :meth:`lrcore.Plateau.update`."""
    for key in state._fields:
        value = getattr(state, key)
        dtype = getattr(value, "dtype", None)
        python = dtype is None and isinstance(value, (int, float)) and not isinstance(value, bool)
        if python or getattr(value, "weak_type", False) is True:
            # A Python number has no dtype (under jit, a weakly typed array): the state's (float32,
            # or float64 with float64 params) would be lost; the whole state came back float64.
            raise TypeError(
                f"Argument `state.{key}` must be a 0-d array of the dtype init() gives it (a JAX or NumPy "
                f"array or NumPy scalar; a Python number, or an array made from one without a dtype, has "
                f"none). Received: state.{key}={value!r}"
            )
        if key not in ("count", "avg_value"):
            continue  # the rule's own entries: checked by Plateau.update
        if dtype is None or (jnp.dtype(dtype).kind not in "iuf" or tuple(value.shape) != ()):
            raise TypeError(
                f"Argument `state.{key}` must be a real 0-d array, as init() and update() give it. "
                f"Received: state.{key}={value!r}"
            )
    dtype = state.count.dtype
    if jnp.dtype(dtype).kind not in "iu" or int(jnp.iinfo(dtype).max) < accumulation_size:
        raise TypeError(
            f"Argument `state.count` must be of an integer dtype that reaches accumulation_size = "
            f"{accumulation_size} (a float count stops counting where its precision ends). "
            f"Received: state.count={state.count!r}"
        )
    for key in ("avg_value", "best"):  # best's dtype is read below; the scale's, by Plateau.update
        value = getattr(state, key)
        kind = getattr(value, "dtype", None)
        if kind is None or jnp.dtype(kind).kind != "f":
            raise TypeError(
                f"Argument `state.{key}` must be a real 0-d array of a float dtype, as init() gives it. "
                f"Received: state.{key}={value!r}"
            )
    count, avg = _array.concrete(state.count), _array.concrete(state.avg_value)
    if count is None or avg is None:
        return
    if not count.is_integer() or not 0 <= count < accumulation_size:
        raise ValueError(
            f"Argument `state.count` must be a whole number in [0, {accumulation_size}) (the metrics "
            f"accumulated since the rule last ran). Received: state.count={state.count!r}"
        )
    if count == 0 and avg != 0.0:
        raise ValueError(
            "Argument `state.avg_value` must be 0 where state.count is 0 (the running mean of the "
            f"accumulated metrics restarts there). Received: state.avg_value={state.avg_value!r}"
        )


def _state_dtype(params):
    """float64 where the params hold float64 (x64 enabled), float32 otherwise."""
    leaves = [x for x in jax.tree.leaves(params) if hasattr(x, "dtype")]
    if any(jnp.dtype(x.dtype) == jnp.float64 for x in leaves):
        return jnp.float64
    return jnp.float32
