"""``from_paddle``: a PaddlePaddle scheduler (``paddle.optimizer.lr``) to its lrcore schedule.

Read by duck typing (class names and attributes): this module imports no Paddle. A Paddle scheduler's
value after ``n`` calls of ``step()`` is the schedule's value at step ``n``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .. import combinators, cosine, decay, piecewise, transformer
from ..cyclic import cyclic, onecycle
from ..schedule import Schedule
from ._common import cannot, flag, peer_arguments, peer_bug, real, stairs, whole

PEER = "paddle"


def from_paddle(scheduler) -> Schedule:
    r"""The lrcore schedule of a ``paddle.optimizer.lr`` scheduler, read from the live object.

    .. math:: \eta(n) = \text{the value Paddle's scheduler reports after } n \text{ calls of step()}

    Supports ``NoamDecay`` (``lrcore.noam``), ``PiecewiseDecay``, ``NaturalExpDecay``, ``InverseTimeDecay``,
    ``PolynomialDecay``, ``LinearWarmup`` (of a number or of a supported scheduler),
    ``ExponentialDecay``, ``MultiStepDecay``, ``StepDecay``, ``CosineAnnealingDecay`` (the periodic
    cosine: past ``T_max`` it climbs back, as Paddle's does), ``OneCycleLR``, ``CyclicLR`` (its
    built-in modes), ``LinearLR`` and ``CosineAnnealingWarmRestarts`` (whose ``step(epoch)`` finds
    restarts with a float logarithm; ``step()`` and lrcore count exactly). ``ReduceOnPlateau`` is a
    rule, not a schedule: the error names the ``lrcore.plateau(..., cooldown_metrics="ignore")``
    call that reproduces it.

    Args:
        scheduler: the Paddle scheduler.

    Example:
        >>> import lrcore
        >>> class StepDecay:  # a stand-in with Paddle's attributes
        ...     base_lr, step_size, gamma = 0.1, 30, 0.5
        >>> lrcore.from_paddle(StepDecay())
        exponential_decay(init_value=0.1, decay_steps=30, decay_rate=0.5, staircase=True, transition_begin=0, end_value=None)
    """
    name = type(scheduler).__name__
    if name in ("LambdaDecay", "MultiplicativeDecay"):
        raise cannot(PEER, f"{name}(lr_lambda=...) (an arbitrary Python function)",
                     "lrcore cannot read a function: build the lrcore schedule of the function by hand.")
    if name == "ReduceOnPlateau":
        raise cannot(PEER, "ReduceOnPlateau (a rule driven by a metric, not a schedule)", _plateau_pointer(scheduler))
    convert = _CONVERTERS.get(name)
    if convert is None:
        raise cannot(PEER, f"the scheduler {name}",
                     f"from_paddle knows {', '.join(sorted(_CONVERTERS))}. Build the lrcore schedule by hand.")
    with peer_arguments(f"{PEER} {name}", _PEER_NAMES.get(name, {})):
        return convert(scheduler)


#: For each scheduler, the Paddle argument each lrcore parameter of its conversion comes from (the
#: errors of lrcore's validation name the Paddle argument).
_LR = "learning_rate"
_PEER_NAMES = {
    "NoamDecay": {"d_model": "d_model", "warmup_steps": "warmup_steps", "scale": _LR},
    "PiecewiseDecay": {"boundaries": "boundaries", "values": "values"},
    "NaturalExpDecay": {"init_value": _LR, "decay_rate": "gamma (as exp(-gamma·decay_steps))"},
    "InverseTimeDecay": {"init_value": _LR, "decay_rate": "gamma"},
    "PolynomialDecay": {"init_value": _LR, "end_value": "end_lr", "decay_steps": "decay_steps", "power": "power"},
    "LinearWarmup": {"init_value": "start_lr", "end_value": "end_lr", "transition_steps": "warmup_steps",
                     "boundaries": "warmup_steps", "value": _LR},
    "ExponentialDecay": {"init_value": _LR, "decay_rate": "gamma"},
    "MultiStepDecay": {"boundaries": "milestones", "values": "gamma"},
    "StepDecay": {"init_value": _LR, "decay_steps": "step_size", "decay_rate": "gamma"},
    "CosineAnnealingDecay": {"init_value": _LR, "decay_steps": "T_max", "end_value": "eta_min"},
    "OneCycleLR": {"peak_value": "max_learning_rate", "total_steps": "total_steps", "pct_start": "phase_pct",
                   "div_factor": "initial_learning_rate (as max_learning_rate / divide_factor)",
                   "final_value": "end_learning_rate"},
    "CyclicLR": {"base_value": "base_learning_rate", "max_value": "max_learning_rate", "step_size_up": "step_size_up",
                 "step_size_down": "step_size_down", "gamma": "exp_gamma", "mode": "mode"},
    "LinearLR": {"init_value": "start_factor (times learning_rate)", "end_value": "end_factor (times learning_rate)",
                 "transition_steps": "total_steps"},
    "CosineAnnealingWarmRestarts": {"peak_value": _LR, "first_period": "T_0", "period_mul": "T_mult", "end_value": "eta_min"},
}



def _plateau_pointer(s) -> str:
    """The lrcore rule of a Paddle ``ReduceOnPlateau``: ``lrcore.plateau`` with Paddle's cooldown (metrics
    reported during cooldown are dropped), its lr bounds as scales of the base lr."""
    lr = _lr(s)
    if lr <= 0:
        raise ValueError(f"paddle ReduceOnPlateau: the learning rate must be > 0. Received: learning_rate={lr!r}")
    args = {"factor": real(PEER, "factor", s.factor), "patience": whole(PEER, "patience", s.patience),
            "mode": str(s.mode), "threshold": real(PEER, "threshold", s.threshold),
            "threshold_mode": str(s.threshold_mode), "cooldown": whole(PEER, "cooldown", s.cooldown),
            "min_scale": real(PEER, "min_lr", s.min_lr) / lr, "eps": real(PEER, "epsilon", s.epsilon) / lr,
            "cooldown_metrics": "ignore"}
    call = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return (f"Use lrcore.constant({lr!r}) with the rule lrcore.plateau({call}) (Paddle's rule: its cooldown "
            "drops the metrics it receives).")


def _lr(s) -> float:
    return real(PEER, "learning_rate", s.base_lr)


def _noam(s):
    return transformer.noam(real(PEER, "d_model", s.d_model), whole(PEER, "warmup_steps", s.warmup_steps, 1),
                            scale=_lr(s))


def _piecewise(s):
    for key in ("boundaries", "values"):
        if not isinstance(getattr(s, key), (list, tuple)):
            raise TypeError(f"paddle PiecewiseDecay: argument `{key}` must be a list. Received: {key}={getattr(s, key)!r}")
    return piecewise.piecewise_constant([whole(PEER, "boundaries", b) for b in s.boundaries],
                                        [real(PEER, "values", v) for v in s.values])


def _natural_exp(s):
    # lr·exp(-gamma·n) as rate**(n/D) with rate = exp(-gamma·D) rounded once: the rate's rounding
    # (u) becomes an error of u·n/D in the exponent. With D = 1 a small gamma made that n·u, far
    # past the promise (1.6e-11 relative at n = 1e6, gamma = 1e-6); with D near 1/gamma it is about
    # u·gamma·n, the conditioning of exp(-gamma·n) itself (Paddle's float64 rounding of gamma·n).
    gamma = real(PEER, "gamma", s.gamma)
    periods = 1 if gamma == 0 or abs(gamma) >= 1 else min(math.ceil(1 / abs(gamma)), 2**62)
    try:
        rate = math.exp(-gamma * periods)
    except OverflowError:
        raise ValueError(
            f"paddle NaturalExpDecay: argument `gamma` makes the growth exp(-gamma) per step pass the float64 range. "
            f"Received: gamma={gamma!r}"
        ) from None
    return decay.exponential_decay(_lr(s), periods, rate)


def _inverse_time(s):
    return decay.inverse_time_decay(_lr(s), 1, real(PEER, "gamma", s.gamma))


def _polynomial(s):
    return decay.polynomial_decay(_lr(s), real(PEER, "end_lr", s.end_lr), whole(PEER, "decay_steps", s.decay_steps, 1),
                                  power=real(PEER, "power", s.power), cycle=flag(PEER, "cycle", s.cycle))


def _linear_warmup(s):
    inner = s.learning_rate
    after = decay.constant(real(PEER, "learning_rate", inner)) if not hasattr(inner, "base_lr") else from_paddle(inner)
    w = whole(PEER, "warmup_steps", s.warmup_steps)
    if w == 0:
        return after
    return combinators.join([decay.linear(real(PEER, "start_lr", s.start_lr), real(PEER, "end_lr", s.end_lr), w), after], [w])


def _exponential(s):
    return decay.exponential_decay(_lr(s), 1, real(PEER, "gamma", s.gamma))


def _multistep(s):
    gamma = real(PEER, "gamma", s.gamma)
    milestones = [whole(PEER, "milestones", m) for m in s.milestones]
    lr = _lr(s)

    def level(n: int) -> float:
        try:  # exact, rounded once: lr * gamma**n in floats can overflow or underflow on the way
            return float(Fraction(lr) * Fraction(gamma) ** n)
        except OverflowError:
            raise ValueError(
                "paddle MultiStepDecay: argument `gamma` makes the lr after the last milestone pass the float64 range. "
                f"Received: gamma={gamma!r}, learning_rate={lr!r}"
            ) from None

    return stairs(milestones, level)


def _step(s):
    return decay.exponential_decay(_lr(s), whole(PEER, "step_size", s.step_size, 1), real(PEER, "gamma", s.gamma),
                                   staircase=True)


def _cosine(s):
    # Paddle follows the cosine past T_max: back up to the base lr at 2·T_max, and so on.
    return cosine.cosine_decay(_lr(s), whole(PEER, "T_max", s.T_max, 1), end_value=real(PEER, "eta_min", s.eta_min),
                               periodic=True)


def _onecycle(s):
    total = whole(PEER, "total_steps", s.total_steps, 1)
    levels = [real(PEER, "learning_rate", v) for v in s._lr_config]
    ends = [float(e) for e in s._step_config]
    three = len(levels) == 4
    end = ends[1]
    pct = (end + 1.0) / total
    for candidate in (pct, math.nextafter(pct, 0.0), math.nextafter(pct, 1.0)):
        if float(candidate * total) - 1 == end:
            pct = candidate
            break
    kind = {"_cos_annealing": "cos", "_linear_annealing": "linear"}.get(getattr(s.anneal_func, "__name__", ""))
    if kind is None:
        raise cannot(PEER, "OneCycleLR with a custom annealing function", "Use anneal_strategy 'cos' or 'linear'.")
    initial, peak, low = levels[0], levels[1], levels[-1]
    # After its last step() Paddle reports the value at step total_steps, past the end of its last phase,
    # extrapolated along it.
    # (A last phase of no steps, phase_pct=1.0: Paddle's step() there divides by zero itself.)
    start, size = ends[-3], float(s._steps_size[-1])
    x = (total - start) / size if size else 0.0
    a, b = levels[-2], levels[-1]
    past = b + (a - b) * 0.5 * (1 + math.cos(math.pi * x)) if kind == "cos" else a + (b - a) * x
    if size and past < 0:
        peer_bug(PEER, f"OneCycleLR reports lr={past!r} (negative) after its {total}th step: it extrapolates its last "
                       f"phase one step past total_steps. lrcore holds end_learning_rate={low!r} from step {total - 1} on.")
    # end_learning_rate is absolute (0 included): lrcore's final_value.
    return onecycle(peak, total, pct_start=min(max(pct, 0.0), 1.0), div_factor=peak / initial, final_value=low,
                    anneal=kind, three_phase=three)


_SCALE_FNS = {"_triangular_scale_fn": "triangular", "_triangular2_scale_fn": "triangular2", "_exp_range_scale_fn": "exp_range"}


def _cyclic(s):
    mode = _SCALE_FNS.get(getattr(s.scale_fn, "__name__", ""))
    if mode is None or getattr(s.scale_fn, "__self__", None) is not s:
        raise cannot(PEER, "CyclicLR with a custom scale_fn", "Use mode='triangular', 'triangular2' or 'exp_range'.")
    size, pct = real(PEER, "cycle_size", s.cycle_size), real(PEER, "step_up_pct", s.step_up_pct)
    up = round(pct * size)
    if size != math.floor(size) or up / size != pct:
        raise cannot(PEER, f"CyclicLR with step_size_up={pct * size!r}", "lrcore counts whole steps.")
    return cyclic(_lr(s), real(PEER, "max_learning_rate", s.max_lr), up, int(size) - up, mode=mode,
                  gamma=real(PEER, "exp_gamma", s.gamma) if mode == "exp_range" else 1.0)


def _linear(s):
    lr = _lr(s)
    total = whole(PEER, "total_steps", s.total_steps, 1)
    return decay.linear(lr * real(PEER, "start_factor", s.start_factor), lr * real(PEER, "end_factor", s.end_factor), total)


def _restarts(s):
    return cosine.cosine_restart(_lr(s), whole(PEER, "T_0", s.T_0, 1), period_mul=float(whole(PEER, "T_mult", s.T_mult, 1)),
                                 end_value=real(PEER, "eta_min", s.eta_min))


_CONVERTERS = {
    "NoamDecay": _noam,
    "PiecewiseDecay": _piecewise,
    "NaturalExpDecay": _natural_exp,
    "InverseTimeDecay": _inverse_time,
    "PolynomialDecay": _polynomial,
    "LinearWarmup": _linear_warmup,
    "ExponentialDecay": _exponential,
    "MultiStepDecay": _multistep,
    "StepDecay": _step,
    "CosineAnnealingDecay": _cosine,
    "OneCycleLR": _onecycle,
    "CyclicLR": _cyclic,
    "LinearLR": _linear,
    "CosineAnnealingWarmRestarts": _restarts,
}
