"""The learning-rate range test ("LR finder"): sweep the learning rate up, watch the loss.

The core is framework-agnostic: :func:`find_lr` calls ``step_fn(lr) -> loss`` once per step while
the learning rate grows exponentially from ``start_value`` to ``end_value`` (the sweep is an lrcore
:func:`~lrcore.exponential_decay` schedule with a rate above 1, capped at ``end_value``). It stops
early when the loss diverges and returns an :class:`LRFinderResult` holding the swept learning
rates, the raw and smoothed losses, the suggested learning rates and a ``.plot()``.

The suggestions are a pure function of ``(lrs, losses)`` (:func:`suggest`), computed in log-lr
space so they do not depend on how finely the sweep was sampled:

1. the raw losses go through a running median of 5 points (an isolated spike disappears), and
   are held at most their descent above their highest level before their lowest point (a
   divergence's last losses, however large, weigh as that level);
2. they are smoothed with a bias-corrected exponential moving average whose decay is set per grid
   step from the distance in decades, ``beta = exp(-Δlog10(lr) / smoothing)``; the average runs
   forward and backward and the two are averaged, so the smoothed curve does not lag behind;
3. from the smoothed curve ``s`` over ``x = log10(lr)``, with ``m`` the index of its minimum and
   ``t`` the highest point before ``m``:

   - ``steepest``: the learning rate where ``ds/dx`` is most negative, between ``t`` and ``m``;
   - ``valley``: the middle (in log-lr) of the main descent, from where ``s`` has made 10% of its
     drop ``s[t] - s[m]`` to where it has made 90%;
   - ``minimum``: the learning rate of the minimum, divided by 10.

The framework helpers :func:`find_lr_optax` and :func:`find_lr_torch` build ``step_fn`` for a model
and restore the model/optimizer state afterwards. Only NumPy is imported at module level.

References: Smith, "Cyclical Learning Rates for Training Neural Networks",
https://arxiv.org/abs/1506.01186 (the range test); fastai's ``lr_find`` (the suggestion names).
"""

from __future__ import annotations

import dataclasses
import math
import reprlib
import sys
from fractions import Fraction
from typing import Callable

import numpy as np

from . import _array
from . import validate as check

__all__ = ["find_lr", "find_lr_optax", "find_lr_torch", "suggest", "smooth", "LRFinderResult", "Suggestions"]

#: The fewest recorded losses from which learning rates are suggested.
MIN_POINTS = 5


@dataclasses.dataclass(frozen=True)
class Suggestions:
    """Suggested learning rates (plain floats), each one of the swept learning rates.

    Attributes:
        steepest: where the smoothed loss falls fastest per decade of learning rate.
        valley: the middle, in log-lr, of the main descent of the smoothed loss.
        minimum: the learning rate of the lowest smoothed loss, divided by 10.
    """

    steepest: float
    valley: float
    minimum: float


@dataclasses.dataclass(frozen=True, eq=False)
class LRFinderResult:
    """What a range test recorded.

    Attributes:
        lrs: the learning rates of the recorded steps (float64, increasing).
        losses: the loss each step returned (float64, finite).
        diverged: whether the sweep stopped early because the loss diverged.
        smoothing: the smoothing width in decades used for ``smoothed`` and the suggestions.
    """

    lrs: np.ndarray
    losses: np.ndarray
    diverged: bool
    smoothing: float = 0.2

    @property
    def smoothed(self) -> np.ndarray:
        """The smoothed loss curve the suggestions are read from (see :func:`smooth`)."""
        return smooth(self.lrs, self.losses, self.smoothing)

    @property
    def suggestions(self) -> Suggestions:
        """The suggested learning rates; ``ValueError`` when too few points were recorded."""
        return suggest(self.lrs, self.losses, smoothing=self.smoothing)

    def plot(self, ax=None, path=None, log_loss: bool = False):
        """Plot loss against learning rate (log axis) with the suggestions marked.

        Draws on the matplotlib ``ax`` if given, otherwise on a new figure (no pyplot state is
        touched). Saves to ``path`` if given. Returns the figure.
        """
        from .plot import finder_figure

        return finder_figure(self, ax=ax, path=path, log_loss=log_loss)


#: The sweep's learning rates are computed this many steps at a time (as the sweep needs them: a
#: huge ``num_steps`` that stops early at divergence never allocates them all).
_SWEEP_BLOCK = 1024


#: The smallest step of a sweep in log-lr, ``log(v_{k+1}/v_k)``: 64 units of float64.
_NARROWEST = 2.0**-46


def _sweep(start_value, end_value, num_steps):
    """The swept learning rates, from an lrcore exponential schedule, one block of steps at a time."""
    from .decay import exponential_decay

    schedule = exponential_decay(
        init_value=start_value,
        decay_steps=num_steps - 1,
        decay_rate=end_value / start_value,
        end_value=end_value,
    )
    for start in range(0, num_steps, _SWEEP_BLOCK):
        yield from np.asarray(schedule(np.arange(start, min(start + _SWEEP_BLOCK, num_steps))), dtype=np.float64)


def _progress(total, enabled):
    """A tqdm progress bar on stderr, or None. ``enabled=None``: only when stderr is a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="lr range test", unit="step", leave=False)


def find_lr(
    step_fn: Callable[[float], float],
    start_value: float = 1e-7,
    end_value: float = 10.0,
    num_steps: int = 100,
    *,
    diverge_factor: float = 4.0,
    smoothing: float = 0.2,
    progress: bool | None = None,
) -> LRFinderResult:
    r"""Run a learning-rate range test.

    Step ``k`` (from 0) calls ``step_fn(lr_k)`` with

    .. math::
        \mathrm{lr}_k = v_0 \left(\frac{v_1}{v_0}\right)^{k / (n - 1)}, \qquad k = 0, \dots, n-1

    and records the loss it returns. The sweep stops early when a loss is NaN or infinite (that
    step is not recorded), or when the loss has diverged: with ``m`` the median of the last three
    losses (the median ignores a single spike), ``best`` the lowest such median so far and ``drop``
    how far the medians had fallen to reach it (the highest median before it, minus ``best``),

    .. math::
        m - \mathrm{best} > (f - 1)\,\max(|\mathrm{best}|,\ \mathrm{drop} / 10).

    For a positive loss whose best is not tiny this is the usual rule, "the loss is above
    ``diverge_factor`` times its best" (fastai's). The second term gives the rule a scale when the
    best loss is 0, near 0 or negative (a log-likelihood, a loss with a constant offset), where a
    ratio to the best means nothing: the loss must then climb back by ``(f - 1)/10`` of its descent.

    Args:
        step_fn: performs one training step at the given learning rate and returns its loss
            (a real number, or a real array or tensor of shape ``()`` or ``(1,)``).
        start_value: first learning rate, :math:`v_0 > 0`.
        end_value: last learning rate, :math:`v_1 > v_0`.
        num_steps: number of steps :math:`n \ge 5`.
        diverge_factor: :math:`f > 1`; the divergence threshold relative to the best loss.
        smoothing: smoothing width in decades of learning rate (:math:`> 0`), see :func:`smooth`.
        progress: ``True`` to show a progress bar (tqdm) on stderr, ``False`` not to; ``None`` shows
            it only on a terminal.

    Returns:
        An :class:`LRFinderResult`; ``result.suggestions`` holds the suggested learning rates.

    Example:
        >>> import numpy as np
        >>> from lrcore.finder import find_lr
        >>> curve = lambda lr: 2.0 - np.tanh(np.log10(lr) + 3) + (lr > 1) * 100
        >>> result = find_lr(curve, num_steps=81)
        >>> print(result.diverged, round(float(np.log10(result.suggestions.steepest))))
        True -3
    """
    if not callable(step_fn):
        raise TypeError(f"Argument `step_fn` must be callable. Received: step_fn={step_fn!r}")
    start_value = check.positive("start_value", start_value)
    end_value = check.positive("end_value", end_value)
    check.greater("end_value", end_value, "start_value", start_value)
    if not math.isfinite(end_value / start_value):  # the sweep's growth factor, a float64
        raise ValueError(
            "Argument `end_value` must be at most 1.8e308 times start_value (the sweep's growth "
            "factor end_value/start_value is a float64). Received: "
            f"end_value={end_value!r}, start_value={start_value!r}"
        )
    num_steps = check.integer("num_steps", num_steps, minimum=MIN_POINTS)
    if math.log(end_value / start_value) / (num_steps - 1) < _NARROWEST:
        raise ValueError(
            "Argument `num_steps` is too many for the sweep from start_value to end_value: neighbouring "
            "learning rates would differ by less than 64 units of float64 (or be equal), and the "
            "suggestions need a strictly increasing sweep. Widen the range or take fewer steps. "
            f"Received: start_value={start_value!r}, end_value={end_value!r}, num_steps={num_steps!r}"
        )
    diverge_factor = check.above("diverge_factor", diverge_factor, 1.0)
    smoothing = check.positive("smoothing", smoothing)
    if progress is not None:
        progress = check.boolean("progress", progress)  # 'no' would show a bar

    schedule = _sweep(start_value, end_value, num_steps)
    lrs, losses = [], []
    best, top, drop = math.inf, -math.inf, 0.0
    diverged = False
    bar = _progress(int(num_steps), progress)
    try:
        for lr in schedule:
            loss = _loss_value(step_fn(float(lr)), len(losses))
            if not math.isfinite(loss):
                diverged = True
                break
            lrs.append(float(lr))
            losses.append(loss)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(lr=f"{lr:.2e}", loss=f"{loss:.4g}")
            last = sorted(losses[-3:])
            # The median; of two, their mean (as halves where the sum passes float64: two losses
            # near its largest made the divergence bar inf for the rest of the sweep).
            recent = last[1] if len(last) == 3 else _mean(last[0], last[-1])
            top = max(top, recent)
            if recent < best:
                # how far the medians fell, in tenths (the rule's drop/10; where the fall itself
                # passes float64, from the tenths: inf made the bar inf for the rest of the sweep)
                fall = top - recent
                best, drop = recent, fall / 10.0 if math.isfinite(fall) else top / 10.0 - recent / 10.0
            if len(losses) >= 3 and _diverged(recent, best, drop, diverge_factor):
                diverged = True
                break
    finally:
        if bar is not None:
            bar.close()
    return LRFinderResult(np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64), diverged, smoothing)


def _loss_value(value, step: int) -> float:
    """The loss ``step_fn`` returned at sweep step ``step``, as a float: a real number or a real
    array/tensor of shape ``()`` or ``(1,)`` of any library (its element). A string (``float("1e3")``
    would read it), a bool, a complex number or an array of another shape is refused, naming
    ``step_fn``'s return value."""
    if getattr(value, "is_meta", False):  # a torch tensor without data
        raise TypeError(
            "Argument `step_fn` must return the step's loss, a real number (a tensor with a value). "
            f"Received: step_fn(lr) returned {value!r} at step {step}"
        )
    if isinstance(value, (str, bytes, bytearray, memoryview)) or "string" in str(getattr(value, "dtype", "")):
        # text (float("1e3") would read it; TensorFlow's string tensors too), or raw bytes
        raise TypeError(
            "Argument `step_fn` must return the step's loss, a real number. "
            f"Received: step_fn(lr) returned {value!r} (of type {type(value).__name__}) at step {step}"
        )
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, np.generic):
        shape = tuple(shape)
        if shape not in ((), (1,)):
            raise TypeError(
                "Argument `step_fn` must return the step's loss, a real number or an array of shape () "
                f"or (1,). Received: step_fn(lr) returned an array of shape {shape} at step {step}"
            )
        if shape == (1,):  # the one element, as every library reads it (float() refuses (1,) on some),
            return _loss_value(value[0], step)  # checked as the loss itself (text in an object array)
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind == "O" and getattr(value, "size", None) == 1:  # an object array: what it holds
        return _loss_value(np.asarray(value).item(), step)
    # A time span or date is no loss (float() reads np.timedelta64(3) as 3.0); suggest refuses them too.
    # (V: raw bytes, np.void; but ml_dtypes' bfloat16 and float8 are kind V too, and are numbers)
    raw = kind == "V" and getattr(getattr(value, "dtype", None), "name", "") not in _array._ML_FLOATS
    text = kind in ("U", "S", "m", "M") or raw
    flag = isinstance(value, (bool, np.bool_)) or "bool" in str(getattr(value, "dtype", ""))
    complex_ = isinstance(value, complex) or "complex" in str(getattr(value, "dtype", ""))
    if text or flag or complex_:
        raise TypeError(
            "Argument `step_fn` must return the step's loss, a real number. "
            f"Received: step_fn(lr) returned {value!r} (of type {type(value).__name__}) at step {step}"
        )
    try:
        return float(value)
    except OverflowError:  # a real number past float64 (an int 10**400): a diverged loss
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "Argument `step_fn` must return the step's loss, a real number (or a real scalar array). "
            f"Received: step_fn(lr) returned {value!r} (of type {type(value).__name__}) at step {step}"
        ) from exc


def _mean(a: float, b: float) -> float:
    """``(a + b)/2``; as halves only where the sum passes float64 (halving first would flush the
    smallest subnormal, 5e-324, to 0)."""
    total = a + b
    return total / 2.0 if math.isfinite(total) else a / 2.0 + b / 2.0


def _diverged(recent: float, best: float, drop_tenth: float, factor: float) -> bool:
    """The divergence rule (see :func:`find_lr`): a rise above the best by ``(factor - 1)·scale``,
    ``scale = max(|best|, drop/10)`` (``drop_tenth`` is ``drop/10``), compared exactly: in floats
    both sides could pass float64 (a best near -1e308, a median near 1e308: inf > inf is False, and
    the sweep never stopped), and a loss scaled by a power of two stops at the same step."""
    scale = max(abs(best), drop_tenth)
    return Fraction(recent) - Fraction(best) > (Fraction(factor) - 1) * Fraction(scale)


# -- suggestions ------------------------------------------------------------------------------------
def _check_curve(lrs, losses):
    for name, values in (("lrs", lrs), ("losses", losses)):
        try:
            array = np.asarray(values)
        except (TypeError, ValueError, RuntimeError) as exc:  # a tensor without data (meta), ragged lists
            raise TypeError(
                f"Argument `{name}` must be a 1-d sequence of real numbers with values. Received: "
                f"{name}={reprlib.repr(values)}"
            ) from exc
        ml_float = array.dtype.name in _array._ML_FLOATS  # kind V, and numbers (bfloat16, float8)
        if (array.dtype.kind in "bUSVcmM" and not ml_float) or (array.dtype.kind == "O" and any(
                isinstance(v, (str, bytes, bool, np.bool_, complex)) for v in array.ravel().tolist())):
            raise TypeError(
                f"Argument `{name}` must hold real numbers. Received: {name} of dtype "
                f"{array.dtype} ({reprlib.repr(values)})"
            )
        try:
            array.astype(np.float64)
        except OverflowError:  # a Python int past float64 (10**400)
            raise ValueError(
                f"Argument `{name}` must be finite: it holds a number beyond float64. Received: "
                f"{name}={reprlib.repr(values)}"
            ) from None
        except (TypeError, ValueError):
            pass  # refused below, naming both
    try:
        lrs = np.asarray(lrs, dtype=np.float64)
        losses = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError) as exc:  # NumPy's message names neither argument
        raise TypeError(
            "Arguments `lrs` and `losses` must be 1-d sequences of real numbers. "
            f"Received: lrs={reprlib.repr(lrs)}, losses={reprlib.repr(losses)}"
        ) from exc
    if lrs.ndim != 1 or lrs.shape != losses.shape:
        raise ValueError(
            "Arguments `lrs` and `losses` must be 1-d of the same length. "
            f"Received: lrs.shape={lrs.shape}, losses.shape={losses.shape}"
        )
    if lrs.size < MIN_POINTS:
        raise ValueError(
            f"Too few points to suggest a learning rate: need at least {MIN_POINTS} recorded losses, "
            f"got {lrs.size}. The sweep stopped too early; lower start_value or raise num_steps."
        )
    if not (np.all(np.isfinite(lrs)) and np.all(lrs > 0) and np.all(np.diff(lrs) > 0)):
        raise ValueError("Argument `lrs` must be finite, positive and strictly increasing.")
    if not np.all(np.diff(np.log10(lrs)) > 0):  # the curve is smoothed and differentiated in log10(lr)
        raise ValueError(
            "Argument `lrs` must be strictly increasing in log10 too: neighbouring lrs so close that their "
            "logarithms are equal give the smoothing and the slope no distance between them. Received: "
            f"lrs={reprlib.repr(lrs)}"
        )
    if not np.all(np.isfinite(losses)):
        raise ValueError("Argument `losses` must be finite (drop the NaN/inf steps).")
    return lrs, losses


def _running_median(values, width=5):
    half = width // 2
    n = values.size
    return np.array([np.median(values[max(0, i - half) : min(n, i + half + 1)]) for i in range(n)])


def _ema(values, betas):
    """Bias-corrected EMA; ``betas[i]`` discounts everything before point ``i``."""
    avg = 0.0
    norm = 0.0
    out = np.empty_like(values)
    for i, v in enumerate(values):
        avg = betas[i] * avg + (1.0 - betas[i]) * v
        norm = betas[i] * norm + (1.0 - betas[i])
        out[i] = avg / norm
    return out


def smooth(lrs, losses, smoothing: float = 0.2) -> np.ndarray:
    """The smoothed loss curve, in log-lr space.

    A running median of 5 points removes isolated spikes, and the curve is held at most its
    descent above its highest level before its lowest point (a divergence's last losses, however
    large, weigh as that level); then a bias-corrected exponential moving average with per-step decay ``exp(-Δlog10(lr) / smoothing)`` runs forward and backward
    over the curve, and the two passes are averaged (no lag, and the same curve whatever the sweep
    resolution). ``smoothing`` is the width of the average in decades of learning rate.
    """
    lrs, losses = _check_curve(lrs, losses)
    smoothing = check.positive("smoothing", smoothing)
    x = np.log10(lrs)
    decay = np.exp(-np.diff(x) / smoothing)
    # Losses near the float64 maximum: smoothed at a quarter (exact for every normal number), so
    # that no sum on the way passes the range (the smoothed curve lies within the losses' own range).
    scale = 0.25 if losses.size and np.max(np.abs(losses)) > 2.0**1020 else 1.0
    filtered = _running_median(losses * scale)
    # A sweep that diverged ends in losses the median cannot remove (the rule stops after two or
    # more of them), and the moving average spreads them back over the whole curve in proportion
    # to their size (a loss 1e8 times the rest moved the suggestions 500 times lower): the curve is
    # held at most its descent above its highest level before its lowest point (top + drop, which
    # stays within float64: the losses near its largest are at a quarter here).
    if filtered.size:
        low = int(np.argmin(filtered))
        top = float(np.max(filtered[: low + 1]))
        drop = top - float(filtered[low])
        if drop > 0.0:
            filtered = np.minimum(filtered, top + drop)
    forward = _ema(filtered, np.concatenate([[0.0], decay]))
    backward = _ema(filtered[::-1], np.concatenate([[0.0], decay[::-1]]))[::-1]
    return (0.5 * (forward + backward)) / scale


def suggest(lrs, losses, smoothing: float = 0.2) -> Suggestions:
    """Suggested learning rates from a range test's ``(lrs, losses)`` alone (deterministic).

    See the module docstring for the definitions (steepest descent, valley, minimum ÷ 10), all
    computed on :func:`smooth`'s curve against ``log10(lr)``.

    Raises:
        ValueError: fewer than 5 points, non-increasing ``lrs``, non-finite values, or a smoothed
            loss that never decreases.
    """
    lrs, losses = _check_curve(lrs, losses)
    s = smooth(lrs, losses, smoothing)
    if np.max(np.abs(s)) > 2.0**960:  # the suggestions do not depend on the scale: slopes stay finite
        s = s * 2.0**-64
    x = np.log10(lrs)
    m = int(np.argmin(s))
    t = int(np.argmax(s[: m + 1]))
    if m == t:
        raise ValueError(
            "The smoothed loss never decreases over the sweep, so no learning rate can be suggested; "
            "lower start_value."
        )
    slope = np.gradient(s, x)
    steepest = t + int(np.argmin(slope[t : m + 1]))
    drop = s[t] - s[m]
    segment = s[t : m + 1]
    a = t + int(np.argmax(segment <= s[t] - 0.1 * drop))
    b = t + int(np.argmax(segment <= s[t] - 0.9 * drop))
    middle = 0.5 * (x[a] + x[b])
    valley = int(np.argmin(np.abs(x - middle)))
    return Suggestions(float(lrs[steepest]), float(lrs[valley]), float(lrs[m] / 10.0))


# -- framework helpers ----------------------------------------------------------------------------
def _batch_stream(batches):
    """Batches forever, re-iterating a re-iterable (a list, a DataLoader) when it ends; anything
    that is not iterable is refused at once, naming ``batches``."""
    try:
        reiterable = iter(batches) is not batches
    except TypeError:
        raise TypeError(
            "Argument `batches` must be an iterable of batches (a list, a DataLoader, an iterator). "
            f"Received: batches={reprlib.repr(batches)} (of type {type(batches).__name__})"
        ) from None
    return _forever(batches, reiterable)


def _forever(batches, reiterable: bool):
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty or not reiterable:
            raise ValueError(
                "Argument `batches` ran out before the sweep ended; pass a re-iterable (a list, a "
                "DataLoader) or an iterator with at least num_steps batches."
            )


def find_lr_optax(loss_fn, params, optimizer, batches, start_value=1e-7, end_value=10.0, num_steps=100, **kwargs):
    """Range test for an optax optimizer; ``params`` are not modified (JAX arrays are immutable).

    Args:
        loss_fn: ``loss_fn(params, batch) -> scalar``.
        params: the initial parameters (a pytree).
        optimizer: an optax optimizer factory taking ``learning_rate`` (``optax.adam``,
            ``functools.partial(optax.adamw, weight_decay=1e-4)``); it is wrapped in
            ``optax.inject_hyperparams`` so one jitted step serves every learning rate.
        batches: an iterable of batches (re-iterated when it ends, if it can be).
        start_value, end_value, num_steps, **kwargs: as in :func:`find_lr`.

    Example:
        >>> result = find_lr_optax(loss_fn, params, optax.adam, train_batches)  # doctest: +SKIP
        >>> tx = optax.adam(result.suggestions.valley)  # doctest: +SKIP
    """
    import jax
    import optax

    start_value = check.positive("start_value", start_value)  # before optax reads it
    tx = optax.inject_hyperparams(optimizer)(learning_rate=start_value)

    @jax.jit
    def step(params, opt_state, lr, batch):
        hyperparams = dict(opt_state.hyperparams)
        hyperparams["learning_rate"] = lr.astype(jax.numpy.result_type(opt_state.hyperparams["learning_rate"]))
        opt_state = opt_state._replace(hyperparams=hyperparams)
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    state = {"params": params, "opt_state": tx.init(params)}
    stream = _batch_stream(batches)

    def step_fn(lr):
        state["params"], state["opt_state"], loss = step(
            state["params"], state["opt_state"], jax.numpy.asarray(lr, dtype=jax.numpy.float32), next(stream)
        )
        return float(loss)

    return find_lr(step_fn, start_value, end_value, num_steps, **kwargs)


def find_lr_torch(model, optimizer, loss_fn, batches, start_value=1e-7, end_value=10.0, num_steps=100, **kwargs):
    """Range test for a torch model and optimizer; both are restored to their state beforehand.

    Each step sets ``lr`` in every param group, runs ``loss_fn(model, batch)``, backpropagates
    and calls ``optimizer.step()``. Afterwards the model's ``state_dict``, the parameters'
    gradients, the optimizer's ``state_dict`` (including the learning rates) and the model's
    train/eval mode of every module are restored (a tensor lr is the same tensor, holding its value
    again). An ``lrcore.torch.ReduceLROnPlateau`` on the optimizer does not advance its scheduler on
    the sweep's updates. The test draws from torch's random number generator (dropout) and consumes
    ``batches`` as it goes; neither is put back.

    Args:
        model: a ``torch.nn.Module``.
        optimizer: a ``torch.optim.Optimizer`` over the model's parameters.
        loss_fn: ``loss_fn(model, batch) -> scalar tensor``.
        batches: an iterable of batches (a ``DataLoader``; re-iterated when it ends).
        start_value, end_value, num_steps, **kwargs: as in :func:`find_lr`.
    """
    import copy
    import inspect

    import torch

    from .backends.torch import sweeping

    try:
        closure = inspect.signature(optimizer.step).parameters.get("closure")
    except (TypeError, ValueError):  # no signature to read: taken as torch's optimizers are
        closure = None
    if closure is not None and closure.default is inspect.Parameter.empty:
        raise TypeError(
            "Argument `optimizer` must step without a closure (as SGD, Adam, ... do): "
            f"{type(optimizer).__name__}.step needs one (it evaluates the loss itself, several times "
            "per update), which a range test of one loss per learning rate does not fit."
        )
    model_state = copy.deepcopy(model.state_dict())
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    # The gradients too: a loop that steps before zero_grad() would add the sweep's last ones.
    grads = [(p, None if p.grad is None else p.grad.detach().clone()) for p in model.parameters()]
    # Each module's own mode (a frozen BatchNorm in a training model), and each group's lr object
    # (a tensor lr the user holds is filled with the restored value, not replaced by a copy).
    modes = [(m, m.training) for m in model.modules()]
    lr_objects = [group["lr"] for group in optimizer.param_groups]
    stream = _batch_stream(batches)

    def step_fn(lr):
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model, next(stream))
        if not (isinstance(loss, torch.Tensor) and loss.numel() == 1 and loss.is_floating_point()):
            raise TypeError(
                "Argument `loss_fn` must return the batch's loss as a 1-element floating-point tensor "
                f"(it is backpropagated). Received: loss_fn(model, batch) returned {loss!r} (of type {type(loss).__name__})"
            )
        if not loss.requires_grad:
            raise TypeError(
                "Argument `loss_fn` must return a loss computed from the model's parameters, which "
                "backpropagates to them (not detached, not computed under torch.no_grad()). Received: "
                f"loss_fn(model, batch) returned {loss!r}, which does not require grad"
            )
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    model.train()
    try:
        with sweeping(optimizer):
            return find_lr(step_fn, start_value, end_value, num_steps, **kwargs)
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
        for p, grad in grads:
            p.grad = grad
        for m, training in modes:
            m.training = training
        for group, lr in zip(optimizer.param_groups, lr_objects):
            if isinstance(lr, torch.Tensor):
                with torch.no_grad():
                    lr.copy_(group["lr"])
                group["lr"] = lr
