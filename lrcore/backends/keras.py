"""The Keras 3 adapter: learning-rate schedules and a reduce-on-plateau callback on every Keras backend.

``lrcore.keras.<name>(...)`` returns a :class:`KerasSchedule`, a
``keras.optimizers.schedules.LearningRateSchedule``. Keras calls it with its optimizer's step
counter (a Keras ``Variable``); it evaluates the core :class:`lrcore.Schedule` at the number of
updates applied, ``optimizer.iterations`` (which differs from that counter under gradient
accumulation), with the active backend's own arrays, through the backend's lrcore binding
(TensorFlow: :mod:`lrcore.backends.tf_namespace`, JAX: ``jax.numpy``, PyTorch:
``array_api_compat.torch``), and returns a float32 tensor of that backend. It works in
``model.fit`` and in compiled train steps (``jit_compile``), and with mixed precision (the learning
rate stays float32, as Keras' optimizers keep it).

:class:`ReduceLROnPlateau` is a Keras callback that applies the rule of :func:`lrcore.plateau` to a
monitored metric at the end of each epoch and multiplies the schedule by the resulting scale:
``lr = schedule(step) * scale``. The scale and the rule's state live in the schedule, so they are
part of the optimizer's config in the ``.keras`` file and a loaded model resumes them exactly.
"""

from __future__ import annotations

import sys
import warnings
import weakref

import keras
import numpy as np

from ..plateau import Plateau, PlateauState, checked_state, metric_value, plateau
from ..schedule import Schedule, as_schedule, from_dict
from . import Composable

_BACKENDS = ("tensorflow", "jax", "torch")


def _binding_class():
    """The lrcore adapter class for the active Keras backend (imported only when it is used)."""
    name = keras.backend.backend()
    if name == "tensorflow":
        from .tf import TFSchedule

        return TFSchedule
    if name == "jax":
        from .jax import JaxSchedule

        return JaxSchedule
    if name == "torch":
        from .torch import TorchSchedule

        return TorchSchedule
    raise ValueError(
        f"lrcore.keras supports the Keras backends {', '.join(_BACKENDS)}. Received: KERAS_BACKEND={name!r}"
    )


@keras.saving.register_keras_serializable(package="lrcore")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule, Composable):
    """An lrcore schedule as a Keras learning-rate schedule, on every Keras 3 backend (float32).

    The config is the schedule's ``to_dict()``; once a :class:`ReduceLROnPlateau` callback drives
    the schedule it also holds ``"plateau"``: the rule and its state (scale, best, bad count,
    cooldown), so a saved model resumes the reduction exactly.

    Example:
        >>> import keras, lrcore.keras
        >>> lr = lrcore.keras.cosine_restart(peak_value=0.5, first_period=1000)
        >>> optimizer = keras.optimizers.Adam(learning_rate=lr)
        >>> print(round(float(lr(500)), 6), float(lr(1000)))
        0.25 0.5
    """

    def __init__(self, schedule: Schedule):
        self.schedule = as_schedule("schedule", schedule)
        self._bound = _binding_class()(self.schedule)
        self._plateau_rule: Plateau | None = None
        self._plateau_state: PlateauState | None = None
        self._scale = None  # a float32 keras.Variable once a plateau drives this schedule
        self._pending = None  # a weak reference to the driving callback's pending_state method
        self._caller = None  # weak references (step variable, its optimizer): the last optimizer found

    def __call__(self, step):
        if isinstance(step, keras.Variable):
            step = self._update_count(step)
        lr = self._bound(step)
        if self._scale is not None:
            lr = lr * self._scale.value
        return lr

    # -- the plateau scale ---------------------------------------------------------------------
    @property
    def plateau_state(self) -> PlateauState | None:
        """The reduce-on-plateau state (plain Python numbers), or ``None`` if no plateau drives it."""
        return self._plateau_state

    @property
    def plateau_rule(self) -> Plateau | None:
        """The :class:`lrcore.Plateau` rule whose state this schedule carries, or ``None``."""
        return self._plateau_rule

    def attach_plateau(self, rule: Plateau) -> bool:
        """Start the plateau state of ``rule`` (its ``init()``), or continue the one this schedule
        carries (a loaded model's), which must be of an equal rule (a ``ValueError`` otherwise).
        True if newly attached."""
        if self._plateau_rule is not None:
            if self._plateau_rule != rule:
                ours, theirs = self._plateau_rule.to_dict()["params"], rule.to_dict()["params"]
                differ = ", ".join(f"{k}: saved {ours[k]!r}, callback {theirs[k]!r}" for k in ours if ours[k] != theirs[k])
                raise ValueError(
                    "The schedule carries reduce-on-plateau state of another rule, so the callback "
                    f"cannot continue it ({differ}). Build lrcore.keras.ReduceLROnPlateau with the "
                    "saved parameters, or bind the schedule afresh with lrcore.keras.from_schedule."
                )
            return False
        self.set_plateau(rule, rule.init())
        return True

    def set_plateau(self, rule: Plateau, state: PlateauState) -> None:
        """Carry ``rule`` and its ``state`` (saved with the schedule); the learning rate is
        multiplied by ``state.scale`` from the next train step on."""
        state = PlateauState(float(state.scale), float(state.best), int(state.num_bad), int(state.cooldown_left))
        self._plateau_rule, self._plateau_state = rule, state
        self.ensure_scale()
        self._scale.assign(np.float32(state.scale))

    def ensure_scale(self) -> bool:
        """Create the scale variable (1) the train step multiplies by, if there is none yet; True
        if it was created now (a train step traced before does not multiply by it)."""
        if self._scale is not None:
            return False
        self._scale = keras.Variable(
            np.float32(1.0), dtype="float32", trainable=False, autocast=False, name="lrcore_scale"
        )
        return True

    def follow_plateau(self, pending_state) -> None:
        """Let ``pending_state()`` (a bound method of the plateau callback driving this schedule,
        held weakly) give the ``(rule, state)`` that :meth:`get_config` saves while that callback has
        not seen the running epoch's metric yet, or ``None``."""
        self._pending = weakref.WeakMethod(pending_state)

    # -- serialization -------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The schedule's ``to_dict()``, plus ``"plateau"`` (rule and state) once a plateau drives it.

        Saved at the end of an epoch by a callback listed before the plateau callback (e.g.
        ``ModelCheckpoint``), the state is the one after this epoch's metric, as if the plateau
        callback had run first: a model loaded from that file continues as the uninterrupted run.
        """
        config = self.schedule.to_dict()
        rule, state = self._plateau_rule, self._plateau_state
        pending_state = self._pending() if self._pending is not None else None
        pending = None if pending_state is None else pending_state()
        if pending is not None:
            rule, state = pending
        if rule is not None:
            config["plateau"] = {"rule": rule.to_dict(), "state": state._asdict()}
        return config

    @classmethod
    def from_config(cls, config: dict) -> "KerasSchedule":
        if not isinstance(config, dict):
            raise TypeError(f"Argument `config` must be a dict. Received: config={config!r}")
        config = dict(config)
        has_plateau = "plateau" in config  # get_config leaves the entry out where there is no plateau
        saved = config.pop("plateau", None)
        out = cls(from_dict(config))
        if has_plateau:
            if not isinstance(saved, dict) or set(saved) != {"rule", "state"}:
                raise ValueError(f"The `plateau` entry of the config must hold 'rule' and 'state'. Received: {saved!r}")
            rule = Plateau.from_dict(saved["rule"])
            # Every entry as the rule could have reached it: an edited state is refused, not applied.
            if not isinstance(saved["state"], dict):
                raise ValueError(f"The plateau `state` must hold {PlateauState._fields}. Received: {saved['state']!r}")
            state = checked_state(rule, saved["state"], "plateau.state")
            out.set_plateau(rule, state)
        return out

    def __eq__(self, other):
        if not isinstance(other, KerasSchedule):
            return NotImplemented
        return (self.schedule, self.plateau_rule, self.plateau_state) == (
            other.schedule,
            other.plateau_rule,
            other.plateau_state,
        )

    def __hash__(self):
        return hash(self.schedule)

    def _update_count(self, step: keras.Variable):
        """The step of the update being applied: the number of updates already applied.

        Keras calls a schedule with its optimizer's own counter variable, ``optimizer._iterations``,
        which counts train steps. Under gradient accumulation (``gradient_accumulation_steps=K``) a
        train step is a micro-batch and update ``m`` happens at count ``K·m + K - 1``, so the count
        of updates is Keras' ``optimizer.iterations`` (``_iterations // K``, which Adam's bias
        correction also uses). The optimizer is the caller whose ``_iterations`` is this very
        variable; for any other variable (or no such caller) the step is the variable's value.
        Inside a stateless (JAX) train step both read the value threaded through it.

        The optimizer found is kept (weakly) with its variable: a compiled train step
        (torch.compile) then reads it without inspecting the callers again, which it cannot trace.
        Not finding one is not kept: the same variable may be passed by other code first.
        """
        caller = self._caller
        owner = caller[1]() if caller is not None and caller[0]() is step else None
        if owner is None:
            owner = _calling_optimizer(step)
            if owner is not None:
                self._caller = (weakref.ref(step), weakref.ref(owner))
        return owner.iterations if owner is not None and owner.gradient_accumulation_steps else step.value

    def __getstate__(self):
        # A copy is driven by no callback yet, and leaves the optimizer found behind (weak
        # references do not pickle).
        return {**self.__dict__, "_pending": None, "_caller": None}

    def compose_options(self) -> dict:
        """Nothing to keep; refused once a plateau callback drives this schedule (its scale and
        state belong to this object, which a composition would silently drop)."""
        if self._scale is not None:
            raise ValueError(
                "An lrcore.keras schedule driven by lrcore.keras.ReduceLROnPlateau cannot be composed: a "
                "schedule built from it would lose the reduce-on-plateau scale and state. Compose the "
                "schedules first and give the composition to the optimizer (the callback then scales it), "
                f"or compose its core schedule (.schedule). Received: {self!r} with plateau state "
                f"{self._plateau_state}"
            )
        return {}

    def __repr__(self):
        return f"lrcore.keras.from_schedule({self.schedule!r})"


#: How many frames above the schedule's ``__call__`` the calling optimizer is looked for (Keras calls
#: it from ``Optimizer._get_current_learning_rate``, the first one; a subclass may add a level).
_CALLER_FRAMES = 4


def _calling_optimizer(step: keras.Variable):
    """The optimizer among the callers of the schedule whose step counter is ``step``, or None."""
    frame = sys._getframe(3)  # the caller of KerasSchedule.__call__
    for _ in range(_CALLER_FRAMES):
        if frame is None:
            break
        owner = frame.f_locals.get("self")
        if isinstance(owner, keras.optimizers.Optimizer) and getattr(owner, "_iterations", None) is step:
            return owner
        frame = frame.f_back
    return None


# The schedules ``lrcore.tf`` saved (``"lrcore>TFSchedule"``) are the same config: on the
# TensorFlow backend that class itself is registered by importing its module; on the other
# backends this adapter reads those files (Keras files are backend-independent).
if keras.backend.backend() == "tensorflow":
    from . import tf as _tf  # noqa: F401 - registers "lrcore>TFSchedule"
else:
    keras.saving.get_custom_objects().setdefault("lrcore>TFSchedule", KerasSchedule)


def _lrcore_schedule(model) -> KerasSchedule:
    optimizer = getattr(model, "optimizer", None)
    while optimizer is not None and hasattr(optimizer, "inner_optimizer"):  # LossScaleOptimizer
        optimizer = optimizer.inner_optimizer
    lr = getattr(optimizer, "_learning_rate", None)
    if not isinstance(lr, KerasSchedule):
        raise TypeError(
            "lrcore.keras.ReduceLROnPlateau scales the model optimizer's lrcore schedule: compile the "
            "model with an optimizer whose `learning_rate` is an lrcore.keras schedule (e.g. "
            "lrcore.keras.constant(1e-3) for a fixed rate, or lrcore.keras.from_schedule(s)). "
            f"Received: learning_rate={lr!r}"
        )
    return lr


def _running_epoch_end(callback):
    """``(epoch, logs)`` of the ``CallbackList.on_epoch_end`` call that is running ``callback``'s list.

    Keras passes one logs dict to the callbacks in their order; a callback listed before the plateau
    callback that saves the model (``ModelCheckpoint``) does so before the plateau has seen the
    epoch's metric. Found here, the logs let the saved state include it.
    """
    code = keras.callbacks.CallbackList.on_epoch_end.__code__
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            local = frame.f_locals
            if any(c is callback for c in getattr(local.get("self"), "callbacks", ())):
                return local.get("epoch"), local.get("logs")
            return None
        frame = frame.f_back
    return None


def _flat_metrics(model):
    """The model's metrics, with Keras' containers of compiled metrics opened."""
    found = []
    for m in getattr(model, "metrics", []):
        inner = getattr(m, "metrics", None)
        found.extend(inner if isinstance(inner, list) else [m])
    return found


class ReduceLROnPlateau(keras.callbacks.Callback):
    r"""Reduce the learning rate when a metric stops improving: ``lr = schedule(step) * scale``.

    At the end of every epoch the value of ``monitor`` in the epoch's logs is passed to the rule of
    :func:`lrcore.plateau` (torch's ``ReduceLROnPlateau`` rule), and the scale of the model
    optimizer's lrcore schedule becomes the rule's scale. The scale takes effect in the compiled
    train step from the next epoch on, on every backend. The rule's state lives in the schedule:
    it is saved in the ``.keras`` file and a loaded model continues it exactly (also across
    several ``fit`` calls).

    Args:
        monitor: the name of the logged metric, e.g. ``"val_loss"`` (default) or ``"loss"``.
        factor: :math:`0 \le f < 1`, the factor applied to the scale at each reduction.
        patience: epochs without improvement tolerated before reducing, an integer >= 0 (torch's
            count: the reduction comes after ``patience + 1`` bad epochs).
        mode: ``"min"``, ``"max"``, or ``"auto"`` (default): ``"min"`` for a loss, otherwise the
            direction of the compiled metric of that name (e.g. ``"max"`` for ``"val_accuracy"``),
            as Keras' callbacks infer it: at the end of the first epoch, once Keras has built the
            compiled metrics.
        threshold: :math:`\theta \ge 0`, the least change that counts as an improvement.
        threshold_mode: ``"rel"`` (relative to the best, default) or ``"abs"`` (Keras' ``min_delta``).
        cooldown: epochs to wait after a reduction before counting bad epochs again, >= 0.
        min_scale: the smallest scale, :math:`\ge 0`.
        eps: a reduction that changes the scale by no more than this is skipped, :math:`\ge 0`.
        cooldown_metrics: ``"track"`` (default: a metric of a cooldown epoch can still become the
            best) or ``"ignore"`` (Paddle's rule: it is dropped), as :func:`lrcore.plateau`.
        verbose: 0 (quiet) or 1 (print a line at each reduction), as Keras' callback.

    Relation to ``keras.callbacks.ReduceLROnPlateau(patience=p, cooldown=c, min_delta=d)`` on a
    constant learning rate ``L``: Keras reduces one bad epoch earlier and its cooldown is one epoch
    shorter, so it gives the learning rates of this callback with ``patience=p - 1``,
    ``cooldown=c - 1`` (``c >= 1``; Keras' 0 and 1 are alike), ``threshold=d``,
    ``threshold_mode="abs"``, and ``min_scale=min_lr / L``.

    Example:
        >>> import keras, numpy as np, lrcore.keras
        >>> lr = lrcore.keras.constant(0.1)
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
        >>> callback = lrcore.keras.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0)
        >>> zeros = np.zeros((4, 1), "float32")  # a loss of 0 that never improves
        >>> _ = model.fit(zeros, zeros, epochs=3, verbose=0, callbacks=[callback])
        >>> print(lr.plateau_state.scale, round(float(model.optimizer.learning_rate), 6))
        0.25 0.025
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=Plateau.factor,
        patience=Plateau.patience,
        mode="auto",
        threshold=Plateau.threshold,
        threshold_mode=Plateau.threshold_mode,
        cooldown=Plateau.cooldown,
        min_scale=Plateau.min_scale,
        eps=Plateau.eps,
        cooldown_metrics=Plateau.cooldown_metrics,
        verbose=0,
    ):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"Argument `monitor` must be a metric name (a non-empty str). Received: monitor={monitor!r}")
        if not isinstance(mode, str) or mode not in ("auto", "min", "max"):
            raise ValueError(f"Argument `mode` must be one of 'auto', 'min', 'max'. Received: mode={mode!r}")
        if isinstance(verbose, bool) or verbose not in (0, 1):
            raise ValueError(f"Argument `verbose` must be 0 or 1. Received: verbose={verbose!r}")
        # The rule validates the rest now (mode "min" stands in until "auto" is resolved).
        self._params = dict(
            factor=factor,
            patience=patience,
            threshold=threshold,
            threshold_mode=threshold_mode,
            cooldown=cooldown,
            min_scale=min_scale,
            eps=eps,
            cooldown_metrics=cooldown_metrics,
        )
        checked = plateau(mode="min" if mode == "auto" else mode, **self._params)
        self._params = {k: getattr(checked, k) for k in self._params}
        self.monitor, self.mode, self.verbose = monitor, mode, verbose
        self.rule: Plateau | None = None if mode == "auto" else checked
        self._reported = False
        self._last_epoch = None  # the last epoch whose metric this callback applied
        self._saved_early = None  # an epoch whose end saved the model before its metric was logged

    # -- Keras hooks ---------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        schedule = _lrcore_schedule(self.model)
        self._reported = False
        self._last_epoch = self._saved_early = None
        schedule.follow_plateau(self._state_at_epoch_end)
        if self.rule is None and self.monitor.removeprefix("val_") == "loss":
            self.rule = plateau(mode="min", **self._params)
        # mode="auto" on a metric: Keras' compiled metrics are built in the first train step, so the
        # direction (and the rule) is known at the end of the first epoch, as Keras' callbacks
        # infer it. The scale is in the train step from the start (1 until the first reduction).
        fresh = schedule.ensure_scale()
        if self.rule is not None:
            schedule.attach_plateau(self.rule)
        if fresh:
            # A train step traced before the schedule had a scale does not multiply by it.
            self.model.make_train_function(force=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if self.monitor not in logs:
            if self.monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
                # No validation ran this epoch (none given, or validation_freq): as Keras' own
                # callback, warn and leave the scale as it is; fit goes on and returns its History.
                warnings.warn(
                    f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                    f"available. Available metrics are: {','.join(logs)}. Pass validation data to fit, "
                    "or monitor a training metric (e.g. monitor='loss').",
                    UserWarning,
                    stacklevel=2,
                )
                return
            raise ValueError(
                f"Argument `monitor` names no metric of this epoch's logs. Received: monitor={self.monitor!r}; "
                f"available: {sorted(logs)}"
            )
        schedule = _lrcore_schedule(self.model)
        if self.rule is None:  # mode="auto": the compiled metrics are built by now
            self.rule = plateau(mode=self._resolve_mode(), **self._params)
            schedule.attach_plateau(self.rule)
        metric = self._metric(logs)
        before = schedule.plateau_state
        after = self.rule.update(before, metric)
        schedule.set_plateau(self.rule, after)
        self._reported = True
        self._last_epoch = epoch
        if self._saved_early == epoch:
            warnings.warn(
                f"The model was saved at the end of epoch {epoch + 1} before `monitor`={self.monitor!r} was in "
                "the epoch's logs (a callback listed before the one that logs it saved it): that file holds "
                "the plateau state from before this epoch's metric. List the saving callback after the one "
                "that logs the metric.",
                UserWarning,
                stacklevel=2,
            )
        if after.scale != before.scale:
            if keras.backend.backend() == "jax":
                # JAX's stateless train step threads only the model's and the optimizer's own
                # variables; any other value it reads is a constant of the compiled step. Compile
                # it anew so that it reads the new scale.
                self.model.make_train_function(force=True)
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: lrcore ReduceLROnPlateau scaling the learning rate by {after.scale}.")

    def _state_at_epoch_end(self):
        """``(rule, state)`` after this epoch's metric, while an earlier callback saves the model at
        the end of an epoch this callback has not seen yet; ``None`` otherwise."""
        running = _running_epoch_end(self)
        if running is None or self.model is None:
            return None
        epoch, logs = running
        if epoch == self._last_epoch or not isinstance(logs, dict):
            return None
        if self.monitor not in logs:
            self._saved_early = epoch
            return None
        rule = self.rule if self.rule is not None else plateau(mode=self._resolve_mode(), **self._params)
        schedule = _lrcore_schedule(self.model)
        before = schedule.plateau_state if schedule.plateau_rule is not None else rule.init()
        return rule, rule.update(before, self._metric(logs))

    def _metric(self, logs) -> float:
        """The monitored value of ``logs``: a real scalar, finite or NaN (never a string or a bool
        read as a number, nor an infinity)."""
        try:
            return metric_value("metric", logs[self.monitor])
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{exc} (the value of monitor={self.monitor!r} in this epoch's logs)") from exc

    def _resolve_mode(self) -> str:
        name = self.monitor.removeprefix("val_")
        if name == "loss":
            return "min"
        for m in _flat_metrics(self.model):
            if m.name == name and hasattr(m, "_direction"):
                return "max" if m._direction == "up" else "min"
        raise ValueError(
            f"Argument `mode` is 'auto' but the direction of monitor={self.monitor!r} cannot be "
            "inferred (a loss or a compiled Keras metric with a known direction); pass mode='min' "
            f"or mode='max'. Received: mode={self.mode!r}"
        )


__all__ = ["KerasSchedule", "ReduceLROnPlateau"]
