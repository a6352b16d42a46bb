"""``from_keras``: a Keras learning-rate schedule (object, ``get_config()`` or serialized dict) to
its lrcore schedule. Read by duck typing: this module imports no Keras."""

from __future__ import annotations

import numbers

from .. import combinators, cosine, decay, piecewise
from ..schedule import Schedule
from ._common import cannot, flag, peer_arguments, real, whole

PEER = "keras"


def from_keras(schedule, class_name=None) -> Schedule:
    r"""The lrcore schedule of a ``keras.optimizers.schedules`` schedule, in float64.

    .. math:: \eta(k) = \text{the Keras schedule's value at optimizer step } k

    Takes the schedule object, its ``get_config()`` dict (with ``class_name``), or its serialized
    form (``keras.optimizers.schedules.serialize(s)``, a dict with ``class_name`` and ``config``).
    Supports ``ExponentialDecay``, ``PiecewiseConstantDecay``, ``PolynomialDecay``,
    ``InverseTimeDecay``, ``CosineDecay`` (with or without warmup) and ``CosineDecayRestarts``
    (any ``t_mul >= 1``, ``m_mul`` and ``alpha``). Keras computes in the dtype of
    ``initial_learning_rate`` (float32 for a Python float); the converted schedule is the exact curve.

    Args:
        schedule: a Keras schedule, its config dict, or its serialized dict.
        class_name: the schedule's class name when ``schedule`` is a bare config dict, e.g.
            ``"CosineDecay"``.

    Example:
        >>> import lrcore
        >>> config = {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True}
        >>> lrcore.from_keras(config, class_name="ExponentialDecay")
        exponential_decay(init_value=0.1, decay_steps=10, decay_rate=0.5, staircase=True, transition_begin=0, end_value=None)
    """
    name, config = _read(schedule, class_name)
    convert = _CONVERTERS.get(name)
    if convert is None:
        raise cannot(PEER, f"the schedule {name}",
                     f"from_keras knows {', '.join(sorted(_CONVERTERS))}. Build the lrcore schedule by hand.")
    known = _KEYS[name]
    unknown = sorted(set(config) - known - {"name"})
    if unknown:
        raise ValueError(f"keras {name}: unknown config key(s) {', '.join(unknown)}. Received: config={config!r}")
    missing = sorted(_REQUIRED[name] - set(config))
    if missing:
        raise ValueError(f"keras {name}: missing config key(s) {', '.join(missing)}. Received: config={config!r}")
    lr = config.get(_LR)
    if isinstance(lr, numbers.Integral) and not isinstance(lr, bool):
        # Keras computes in initial_learning_rate's dtype: an int makes its curve integers
        # (ExponentialDecay(1, 7, 0.5) is 1, then 0), which no converted float curve is.
        raise ValueError(f"keras {name}: argument `{_LR}` is an integer ({lr!r}), and Keras computes the schedule in "
                         f"its integer dtype (the lr rounds to whole numbers). Give it as a float ({float(lr)!r}).")
    with peer_arguments(f"{PEER} {name}", _PEER_NAMES[name]):
        return convert(config)


def _read(schedule, class_name) -> tuple[str, dict]:
    if isinstance(schedule, dict):
        if "config" in schedule and "class_name" in schedule:
            if class_name is not None and class_name != schedule["class_name"]:
                raise ValueError(f"keras: argument `class_name` ({class_name!r}) differs from the serialized "
                                 f"class_name. Received: class_name={class_name!r}, schedule={schedule!r}")
            config = schedule["config"]
            name = schedule["class_name"]
        else:
            if class_name is None:
                raise TypeError("keras: a bare config dict needs `class_name` (e.g. class_name='CosineDecay'); "
                                f"serialized dicts carry it. Received: schedule={schedule!r}, class_name=None")
            name, config = class_name, schedule
        if not isinstance(config, dict):
            raise TypeError(f"keras {name}: the config must be a dict. Received: config={config!r}")
        return str(name), dict(config)
    get_config = getattr(schedule, "get_config", None)
    if not callable(get_config):
        raise TypeError("Argument `schedule` must be a Keras learning-rate schedule, its get_config() dict or its "
                        f"serialized dict. Received: schedule={schedule!r} (of type {type(schedule).__name__})")
    if class_name is not None:
        raise TypeError(f"keras: `class_name` is for bare config dicts; a schedule object names itself. "
                        f"Received: class_name={class_name!r}")
    return type(schedule).__name__, dict(get_config())


def _exponential(c):
    d = real(PEER, "decay_steps", c["decay_steps"])
    if not d > 0:
        raise ValueError(f"keras ExponentialDecay: argument `decay_steps` must be > 0. Received: decay_steps={d!r}")
    return decay.exponential_decay(real(PEER, "initial_learning_rate", c["initial_learning_rate"]),
                                   int(d) if d == int(d) else d,
                                   real(PEER, "decay_rate", c["decay_rate"]), staircase=flag(PEER, "staircase", c.get("staircase", False)))


def _piecewise(c):
    for key in ("boundaries", "values"):
        if not isinstance(c[key], (list, tuple)):
            raise TypeError(f"keras PiecewiseConstantDecay: argument `{key}` must be a list. Received: {key}={c[key]!r}")
    # Keras keeps values[i] while step <= boundaries[i]: lrcore's value changes one step later.
    bounds = [whole(PEER, f"boundaries[{i}]", b) + 1 for i, b in enumerate(c["boundaries"])]
    return piecewise.piecewise_constant(bounds, [real(PEER, f"values[{i}]", v) for i, v in enumerate(c["values"])])


def _polynomial(c):
    return decay.polynomial_decay(real(PEER, "initial_learning_rate", c["initial_learning_rate"]),
                                  real(PEER, "end_learning_rate", c.get("end_learning_rate", 0.0001)),
                                  whole(PEER, "decay_steps", c["decay_steps"], 1), power=real(PEER, "power", c.get("power", 1.0)),
                                  cycle=flag(PEER, "cycle", c.get("cycle", False)))


def _inverse_time(c):
    return decay.inverse_time_decay(real(PEER, "initial_learning_rate", c["initial_learning_rate"]),
                                    whole(PEER, "decay_steps", c["decay_steps"], 1),
                                    real(PEER, "decay_rate", c["decay_rate"]), staircase=flag(PEER, "staircase", c.get("staircase", False)))


def _cosine(c):
    lr = real(PEER, "initial_learning_rate", c["initial_learning_rate"])
    d = whole(PEER, "decay_steps", c["decay_steps"], 1)
    alpha = real(PEER, "alpha", c.get("alpha", 0.0))
    target = c.get("warmup_target")
    if target is None:  # Keras ignores warmup_steps without a warmup_target
        return cosine.cosine_decay(lr, d, end_value=alpha * lr)
    target = real(PEER, "warmup_target", target)
    w = whole(PEER, "warmup_steps", c.get("warmup_steps", 0))
    # Keras' decay_steps follow the warmup; lrcore's decay_steps count it.
    return cosine.warmup_cosine_decay(lr, target, w, d + w, end_value=alpha * target)


def _restarts(c):
    lr = real(PEER, "initial_learning_rate", c["initial_learning_rate"])
    first = whole(PEER, "first_decay_steps", c["first_decay_steps"], 1)
    t_mul, m_mul = real(PEER, "t_mul", c.get("t_mul", 2.0)), real(PEER, "m_mul", c.get("m_mul", 1.0))
    alpha = real(PEER, "alpha", c.get("alpha", 0.0))
    if t_mul < 1.0:
        raise cannot(PEER, f"CosineDecayRestarts with t_mul={t_mul} < 1 (cycles that shrink to nothing)", "Use t_mul >= 1.")
    # Keras' cycles keep their real lengths (first_decay_steps · t_mul**i): a restart falls at the first
    # whole step at or past its real start.
    shape = {"period_mul": t_mul, "whole_periods": t_mul == int(t_mul)}
    if alpha == 0.0 or m_mul == 1.0:
        return cosine.cosine_restart(lr, first, peak_mul=m_mul, end_value=alpha * lr, **shape)
    # Cycle i is lr·(alpha + (1 - alpha)·m_mul**i·c): a floor alpha·lr under a restarting cosine.
    return combinators.add([cosine.cosine_restart((1.0 - alpha) * lr, first, peak_mul=m_mul, **shape),
                            decay.constant(alpha * lr)])


_CONVERTERS = {
    "ExponentialDecay": _exponential,
    "PiecewiseConstantDecay": _piecewise,
    "PolynomialDecay": _polynomial,
    "InverseTimeDecay": _inverse_time,
    "CosineDecay": _cosine,
    "CosineDecayRestarts": _restarts,
}
#: For each schedule, the Keras argument each lrcore parameter of its conversion comes from (the
#: errors of lrcore's validation name the Keras argument; a boundary is the Keras one plus 1).
_LR = "initial_learning_rate"
_PEER_NAMES = {
    "ExponentialDecay": {"init_value": _LR, "decay_steps": "decay_steps", "decay_rate": "decay_rate"},
    "PiecewiseConstantDecay": {"boundaries": "boundaries (each plus 1)", "values": "values"},
    "PolynomialDecay": {"init_value": _LR, "end_value": "end_learning_rate", "decay_steps": "decay_steps", "power": "power"},
    "InverseTimeDecay": {"init_value": _LR, "decay_steps": "decay_steps", "decay_rate": "decay_rate"},
    "CosineDecay": {"init_value": _LR, "peak_value": "warmup_target", "decay_steps": "decay_steps (plus warmup_steps)",
                    "warmup_steps": "warmup_steps", "end_value": "alpha (times the final lr)"},
    "CosineDecayRestarts": {"peak_value": f"{_LR} (times 1 - alpha)", "first_period": "first_decay_steps",
                            "period_mul": "t_mul", "peak_mul": "m_mul", "end_value": "alpha (times the lr)",
                            "value": "alpha (times the lr)"},
}
_KEYS = {
    "ExponentialDecay": {"initial_learning_rate", "decay_steps", "decay_rate", "staircase"},
    "PiecewiseConstantDecay": {"boundaries", "values"},
    "PolynomialDecay": {"initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle"},
    "InverseTimeDecay": {"initial_learning_rate", "decay_steps", "decay_rate", "staircase"},
    "CosineDecay": {"initial_learning_rate", "decay_steps", "alpha", "warmup_target", "warmup_steps"},
    "CosineDecayRestarts": {"initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha"},
}
#: The keys without a default in the Keras constructor.
_REQUIRED = {
    "ExponentialDecay": {"initial_learning_rate", "decay_steps", "decay_rate"},
    "PiecewiseConstantDecay": {"boundaries", "values"},
    "PolynomialDecay": {"initial_learning_rate", "decay_steps"},
    "InverseTimeDecay": {"initial_learning_rate", "decay_steps", "decay_rate"},
    "CosineDecay": {"initial_learning_rate", "decay_steps"},
    "CosineDecayRestarts": {"initial_learning_rate", "first_decay_steps"},
}
