"""``from_torch``: a live ``torch.optim.lr_scheduler`` scheduler to its lrcore schedule.

Read by duck typing (the scheduler's class name and attributes, its optimizer's param groups):
this module imports no torch. Update ``n`` of the torch scheduler (after ``n`` calls of
``scheduler.step()``) uses the schedule's value at step ``n``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .. import combinators, cosine, decay, piecewise
from ..cyclic import cyclic, cyclic_momentum, onecycle, onecycle_momentum
from ..schedule import Schedule, value_bound
from ._common import cannot, peer_arguments, real, stairs, whole

PEER = "torch"


def from_torch(scheduler, *, momentum: bool = False):
    r"""The lrcore schedule of a torch learning-rate scheduler, read from the live object.

    Supports ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``,
    ``CosineAnnealingWarmRestarts``, ``LinearLR``, ``ConstantLR``, ``PolynomialLR``, ``OneCycleLR``,
    ``CyclicLR`` (its built-in modes), ``SequentialLR`` and ``ChainedScheduler`` (of multiplicative
    schedulers), and ``LambdaLR`` made by transformers' schedule functions. The base lr of each
    param group is its ``initial_lr`` (what the scheduler started from).

    .. math:: \eta(n) = \text{the lr torch applies at update } n

    ``CosineAnnealingLR`` is the periodic cosine (``cosine_decay(..., periodic=True)``): past ``T_max``
    it climbs back, as torch's does. Chained (``eta_min=0``), it multiplies the lr but at its rebound
    steps ``T_max + 1``, ``3·T_max + 1``, ..., where torch adds to the lr (0 there): the other
    factors start over from each, which the conversion follows while they change; an ``ExponentialLR``
    or ``StepLR`` (``gamma != 1``) chained with it never stops changing and is refused.

    The result is the whole curve from step 0, whatever the scheduler's ``last_epoch``: a scheduler
    already stepped ``n`` times, or built with ``last_epoch`` to resume a run, converts to the same
    schedule as a fresh one (its position is not part of the schedule). To go on from where it is,
    drive the optimizer with ``lrcore.torch.scheduler(optimizer, s, last_epoch=scheduler.last_epoch - 1)``,
    which steps once, to ``scheduler.last_epoch``, as a torch scheduler resumed from there does.

    Args:
        scheduler: the torch scheduler (constructed, stepped or not).
        momentum: return the momentum curve (``momentum`` or Adam's ``betas[0]``) that a
            ``OneCycleLR`` or ``CyclicLR`` with ``cycle_momentum=True`` sets, instead of the lr.

    Returns:
        One :class:`lrcore.Schedule` when every param group follows the same curve, else a list with
        one per group; ``lrcore.torch.scheduler(optimizer, result)`` takes either.

    Raises:
        ValueError: a scheduler or argument lrcore cannot express (a ``LambdaLR`` of an arbitrary
            function, a custom ``CyclicLR`` ``scale_fn``, ...), naming it and the remedy.

    Example:
        >>> import lrcore, torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        >>> lrcore.from_torch(torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.5))
        exponential_decay(init_value=0.1, decay_steps=30, decay_rate=0.5, staircase=True, transition_begin=0, end_value=None)
    """
    if not isinstance(momentum, bool):
        raise TypeError(f"torch: argument `momentum` must be True or False. Received: momentum={momentum!r}")
    groups = _groups(scheduler)
    if momentum:
        out = [_momentum(scheduler, i) for i in range(len(groups))]
    else:
        out = [_group(scheduler, i) for i in range(len(groups))]
        _check_start(scheduler, groups, out)
    return out[0] if all(s == out[0] for s in out) else out


def _check_start(scheduler, groups, out) -> None:
    """A scheduler just built sets each group's lr to its schedule's step 0: where the lr differs,
    something changed it before (another scheduler, the user), or the scheduler read an
    ``initial_lr`` another one recorded, and torch goes on from that lr, not from the curve the
    conversion reads. Refused, not converted to other values than torch's. A Python-float lr is
    compared to a few units of float64 (torch forms step 0 as the conversion does), a tensor lr to
    float32's."""
    if not _just_built(scheduler):
        return  # stepped or resumed: converted to the whole curve (documented)
    # torch rounds the lr to its dtype once per scheduler that sets it (a chain: each of them).
    roundings = 4 * (_count(scheduler) + 3)
    for i, (group, schedule) in enumerate(zip(groups, out)):
        lr, want = float(group["lr"]), float(schedule(0))
        unit, tiny = _ROUNDING.get(str(getattr(group["lr"], "dtype", "float64")).rsplit(".", 1)[-1], _ROUNDING["float64"])
        scale = max(abs(lr), abs(want))
        if type(scheduler).__name__ in _FORMED_FROM_LEVELS:
            # Step 0 formed from the curve's levels in floats (LambdaLR's initial_lr · factor, with
            # transformers' ½(1 + cos x) near x = π; OneCycleLR's and the warm restarts'
            # end + (start - end)·1): units of the curve's scale, its largest value, not of a small
            # step 0. Other schedulers form step 0 as a product of the lr they found, whose change
            # is what this check finds: units of the value itself.
            top = value_bound(schedule)
            scale = max(scale, top if math.isfinite(top) else 0.0)
        if abs(lr - want) > roundings * (unit * scale + tiny):
            raise cannot(
                PEER, f"{_name(scheduler)} whose lr at its step 0 is not its schedule's (param group {i}: lr {lr!r}, "
                f"where the schedule from initial_lr {float(group.get('initial_lr', float('nan')))!r} starts at {want!r})",
                "Something changed the lr before this scheduler was built (another scheduler, or your code), or it "
                "read an initial_lr an earlier scheduler recorded: torch goes on from the lr it found. Convert each "
                "scheduler built on a fresh optimizer and compose them with lrcore (lrcore.multiply, lrcore.join), "
                "or scale the converted schedule (lrcore.scale(schedule, lr / initial_lr)).")


#: Schedulers whose step 0 is formed from the curve's levels (not from the lr they found).
_FORMED_FROM_LEVELS = frozenset({"LambdaLR", "OneCycleLR", "CosineAnnealingWarmRestarts", "CyclicLR"})

#: The rounding of each float dtype a torch lr may be held in (a tensor lr; a Python float is
#: float64): half an ulp of 1, and the smallest normal number (below it a value keeps fewer digits).
_ROUNDING = {"float64": (2.0**-53, 2.0**-1022), "float32": (2.0**-24, 2.0**-126),
             "float16": (2.0**-11, 2.0**-14), "bfloat16": (2.0**-8, 2.0**-126)}


def _count(scheduler) -> int:
    """How many schedulers set the lr in ``scheduler`` (itself, or those of a chain or sequence)."""
    children = getattr(scheduler, "_schedulers", None)
    return sum(_count(child) for child in children) if children else 1


def _just_built(scheduler) -> bool:
    """Built and not stepped since: ``last_epoch`` 0 (a ``ChainedScheduler``, which has none: each
    of its schedulers)."""
    if _name(scheduler) == "ChainedScheduler":
        return all(_just_built(child) for child in scheduler._schedulers)
    return getattr(scheduler, "last_epoch", None) == 0


def _name(scheduler) -> str:
    return type(scheduler).__name__


def _groups(scheduler) -> list:
    optimizer = getattr(scheduler, "optimizer", None)
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not groups:
        raise TypeError(
            "Argument `scheduler` must be a torch learning-rate scheduler (torch.optim.lr_scheduler.*) "
            f"with an optimizer. Received: scheduler={scheduler!r} (of type {_name(scheduler)})"
        )
    return groups


def _base(scheduler, i: int) -> float:
    """Group ``i``'s base lr: the ``initial_lr`` torch records in the group at construction."""
    group = _groups(scheduler)[i]
    if "initial_lr" not in group:
        raise ValueError(f"torch {_name(scheduler)}: param group {i} has no 'initial_lr'; construct the "
                         "scheduler on the optimizer before converting it.")
    return real(PEER, f"param_groups[{i}]['initial_lr']", group["initial_lr"])


def _group(s, i: int, base: float | None = None, **options) -> Schedule:
    """The schedule of group ``i`` with base lr ``base`` (the group's ``initial_lr`` when None);
    ``options`` go to the scheduler's converter."""
    name = _name(s)
    if name == "ReduceLROnPlateau":
        raise cannot(PEER, "ReduceLROnPlateau (a rule driven by a metric)",
                     "Use lrcore.torch.ReduceLROnPlateau(lrcore.torch.scheduler(optimizer, schedule), ...).")
    convert = _CONVERTERS.get(name) or (_lambda if name in ("LambdaLR", "MultiplicativeLR") else None)
    if convert is None:
        known = ", ".join(sorted([*_CONVERTERS, "LambdaLR"]))
        raise cannot(PEER, f"the scheduler {name}", f"from_torch knows {known}. Build the lrcore schedule by hand.")
    base = _base(s, i) if base is None else base
    names = {k: v.replace("{i}", str(i)) for k, v in _PEER_NAMES.get(name, {}).items()}
    with peer_arguments(f"{PEER} {name}", names):
        return convert(s, i, base, **options)


_INITIAL = "param_groups[{i}]['initial_lr']"
#: For each scheduler, the torch argument each lrcore parameter of its conversion comes from (the
#: errors of lrcore's validation name the torch argument).
_PEER_NAMES = {
    "StepLR": {"init_value": _INITIAL, "decay_steps": "step_size", "decay_rate": "gamma"},
    "MultiStepLR": {"value": _INITIAL, "boundaries": "milestones", "values": "gamma"},
    "ExponentialLR": {"init_value": _INITIAL, "decay_rate": "gamma"},
    "CosineAnnealingLR": {"init_value": _INITIAL, "decay_steps": "T_max", "end_value": "eta_min"},
    "CosineAnnealingWarmRestarts": {"peak_value": _INITIAL, "first_period": "T_0", "period_mul": "T_mult",
                                    "end_value": "eta_min"},
    "LinearLR": {"init_value": "start_factor", "end_value": "end_factor", "value": "start_factor",
                 "transition_steps": "total_iters"},
    "ConstantLR": {"value": "factor", "values": "factor", "boundaries": "total_iters"},
    "PolynomialLR": {"init_value": _INITIAL, "value": _INITIAL, "decay_steps": "total_iters", "power": "power"},
    "OneCycleLR": {"peak_value": "max_lr", "div_factor": "div_factor", "final_div_factor": "final_div_factor",
                   "final_value": "param_groups[{i}]['min_lr']", "total_steps": "total_steps", "pct_start": "pct_start"},
    "CyclicLR": {"base_value": "base_lr", "max_value": "max_lr", "step_size_up": "step_size_up",
                 "step_size_down": "step_size_down", "gamma": "gamma", "mode": "mode",
                 "base_momentum": "base_momentum", "max_momentum": "max_momentum"},
    "SequentialLR": {"boundaries": "milestones", "schedules": "schedulers"},
    "ChainedScheduler": {"schedules": "schedulers"},
}



def _step(s, i, base):
    return decay.exponential_decay(base, whole(PEER, "step_size", s.step_size, 1), real(PEER, "gamma", s.gamma),
                                   staircase=True)


def _multistep(s, i, base):
    return stairs(*_milestones(s, i, base))


def _milestones(s, i, base):
    """A ``MultiStepLR``'s milestones (one given twice counts twice) and its level after ``n`` of them."""
    gamma = real(PEER, "gamma", s.gamma)
    # A Counter: a milestone given twice applies gamma twice.
    bounds = [whole(PEER, "milestones", m) for m, times in dict(s.milestones).items() for _ in range(times)]

    def level(n: int) -> float:
        try:  # exact, rounded once: base * gamma**n in floats can overflow or underflow on the way
            return float(Fraction(base) * Fraction(gamma) ** n)
        except OverflowError:
            raise ValueError(
                f"torch MultiStepLR: argument `gamma` makes the lr after milestone {sorted(bounds)[n - 1]} pass the "
                "float64 range. "
                f"Received: gamma={gamma!r}, {_INITIAL.format(i=i)}={base!r}"
            ) from None

    return bounds, level


def _exponential(s, i, base):
    return decay.exponential_decay(base, 1, real(PEER, "gamma", s.gamma))


def _cosine(s, i, base):
    # torch follows the cosine past T_max: back up to the base lr at 2·T_max, and so on.
    return cosine.cosine_decay(base, whole(PEER, "T_max", s.T_max, 1), end_value=real(PEER, "eta_min", s.eta_min),
                               periodic=True)


def _restarts(s, i, base):
    return cosine.cosine_restart(base, whole(PEER, "T_0", s.T_0, 1), period_mul=float(whole(PEER, "T_mult", s.T_mult, 1)),
                                 end_value=real(PEER, "eta_min", s.eta_min))


def _linear(s, i, base):
    total = whole(PEER, "total_iters", s.total_iters)
    start, end = real(PEER, "start_factor", s.start_factor), real(PEER, "end_factor", s.end_factor)
    if total == 0:  # torch applies start_factor at construction and never moves on
        return decay.constant(base * start)
    return decay.linear(base * start, base * end, total)


def _constant(s, i, base):
    total = whole(PEER, "total_iters", s.total_iters)
    if total == 0:  # torch applies the factor at construction and never takes it back
        return decay.constant(base * real(PEER, "factor", s.factor))
    return piecewise.piecewise_constant([total], [base * real(PEER, "factor", s.factor), base])


def _polynomial(s, i, base):
    total = whole(PEER, "total_iters", s.total_iters)
    if total == 0:
        return decay.constant(base)
    return decay.polynomial_decay(base, 0.0, total, power=real(PEER, "power", s.power))


def _onecycle_shape(s) -> dict:
    """``total_steps``, ``pct_start``, ``anneal`` and ``three_phase`` of a ``OneCycleLR``."""
    total = whole(PEER, "total_steps", s.total_steps, 1)
    phases = s._schedule_phases
    three = len(phases) == 3
    # torch ends the first phase at float(pct_start · total_steps) - 1: the pct_start that gives it.
    end = float(phases[0]["end_step"])
    pct = (end + 1.0) / total
    for candidate in (pct, math.nextafter(pct, 0.0), math.nextafter(pct, 1.0)):
        if float(candidate * total) - 1 == end and (not three or float(2 * candidate * total) - 2 == float(phases[1]["end_step"])):
            pct = candidate
            break
    else:
        raise cannot(PEER, f"OneCycleLR with its first phase ending at step {end}",
                     "Build lrcore.onecycle(...) with the pct_start you gave torch.")
    if hasattr(s, "_anneal_func_type"):
        kind = s._anneal_func_type
    else:  # earlier torch kept the function itself
        kind = {"_annealing_cos": "cos", "_annealing_linear": "linear"}.get(getattr(s.anneal_func, "__name__", ""))
    if kind not in ("cos", "linear"):
        raise cannot(PEER, f"OneCycleLR with the annealing function {kind!r}", "Use anneal_strategy 'cos' or 'linear'.")
    return {"total_steps": total, "pct_start": min(max(pct, 0.0), 1.0), "anneal": kind, "three_phase": three}


def _onecycle(s, i, base):
    # Absolute levels, from the group (OneCycleLR writes them there): max_lr, max_lr / div_factor
    # (its initial_lr) and that / final_div_factor.
    group = _groups(s)[i]
    peak, initial, low = (real(PEER, f"param_groups[{i}]['{k}']", group[k]) for k in ("max_lr", "initial_lr", "min_lr"))
    div = peak / initial
    if low and peak / div / (initial / low) == low:  # torch's factors give the recorded end exactly
        return onecycle(peak, div_factor=div, final_div_factor=initial / low, **_onecycle_shape(s))
    return onecycle(peak, div_factor=div, final_value=low, **_onecycle_shape(s))  # the absolute end


def _cyclic_shape(s) -> dict:
    if hasattr(s, "_scale_fn_custom") and s._scale_fn_custom is not None:
        raise cannot(PEER, "CyclicLR with a custom scale_fn",
                     "Use mode='triangular', 'triangular2' or 'exp_range' (lrcore.cyclic).")
    total, ratio = real(PEER, "total_size", s.total_size), real(PEER, "step_ratio", s.step_ratio)
    up = round(ratio * total)
    if float(up) / total != ratio or total != math.floor(total):
        raise cannot(PEER, f"CyclicLR with step_size_up={ratio * total!r}, step_size_down={(1 - ratio) * total!r}",
                     "lrcore counts whole steps: give whole step sizes.")
    mode = s.mode
    return {"step_size_up": up, "step_size_down": int(total) - up, "mode": mode,
            "gamma": real(PEER, "gamma", s.gamma) if mode == "exp_range" else 1.0}


def _cyclic(s, i, base):
    # Absolute levels: CyclicLR's base_lr and max_lr of the group.
    low, high = real(PEER, f"base_lrs[{i}]", s.base_lrs[i]), real(PEER, f"max_lrs[{i}]", s.max_lrs[i])
    return cyclic(low, high, **_cyclic_shape(s))


def _sequential(s, i, base):
    # A later scheduler restarts at its milestone from torch's closed form: a ConstantLR or LinearLR
    # with total_iters=0 is then at the base lr (its factor already over).
    inner = []
    for j, child in enumerate(s._schedulers):
        name = _name(child)
        if name == "SequentialLR":
            raise cannot(PEER, "SequentialLR holding a SequentialLR",
                         "torch's outer SequentialLR steps the inner one's current scheduler once more at its "
                         "construction (and restarts a later one with step(0), which SequentialLR does not take), so "
                         "the inner milestones act one step early. Write the schedule with lrcore.join (a join may "
                         "hold joins), or as one SequentialLR of the inner schedulers.")
        if j and name == "ChainedScheduler":
            raise cannot(PEER, f"SequentialLR with a ChainedScheduler after milestone {s._milestones[j - 1]!r}",
                         "torch's SequentialLR restarts the scheduler of a milestone from its closed form, which a "
                         "ChainedScheduler lacks: torch raises at that milestone. Put the ChainedScheduler first, or "
                         "build the lrcore schedule with lrcore.join.")
        if j and name in ("ConstantLR", "LinearLR") and whole(PEER, "total_iters", child.total_iters) == 0:
            inner.append(decay.constant(base))
        else:
            # The first scheduler takes SequentialLR's initial step; a ChainedScheduler's children then step
            # from the start again (restepped).
            inner.append(_group(child, i, base, **({"restepped": True} if name == "ChainedScheduler" else {})))
    return combinators.join(inner, [whole(PEER, "milestones", m) for m in s._milestones])


def _chained(s, i, base, restepped=False):
    """A ``ChainedScheduler``: each step calls its schedulers' chainable ``step()`` in turn.

    Every scheduler but ``CosineAnnealingLR`` multiplies the lr by a factor of the step, so the lr is
    the base lr times their closed forms. The chained cosine (``eta_min=0``) multiplies too, except at
    its rebound steps ``n_k = (2k - 1)·T_max + 1``, where the lr is 0 and it adds ``base·c(n_k)``
    (``c`` the periodic cosine factor): from there the lr is ``base·c(n)`` times the other factors'
    change since ``n_k`` (since ``n_k - 1`` for those stepped after the cosine). Factors that stop
    changing make that a join of finitely many pieces; an ``ExponentialLR`` or ``StepLR`` (``gamma !=
    1``) restarting every ``2·T_max`` steps has none, and is refused.

    ``restepped``: the chain is a ``SequentialLR``'s first scheduler, whose initial step steps each
    child again at ``last_epoch=0`` (lr reset to the base lr), outside their initial mode in torch
    versions that have one: an ``ExponentialLR`` then applies ``gamma``, a ``PolynomialLR`` its step
    factor and a cosine its ratio (or its rebound, ``T_max=1``) once more."""
    children = list(s._schedulers)
    for child in children:
        name = _name(child)
        if name not in _MULTIPLICATIVE:
            raise cannot(PEER, f"ChainedScheduler holding {name}",
                         "ChainedScheduler multiplies the lr by each scheduler's factor; lrcore.multiply expresses "
                         f"that for {', '.join(sorted(_MULTIPLICATIVE))} (CosineAnnealingLR with eta_min=0).")
    cosines = [j for j, child in enumerate(children) if _name(child) == "CosineAnnealingLR"]
    if len(cosines) > 1:
        raise cannot(PEER, f"ChainedScheduler holding {len(cosines)} CosineAnnealingLR",
                     "Each adds to the lr at its own rebound steps (T_max + 1, 3·T_max + 1, ...): chain one.")
    if cosines and real(PEER, "eta_min", children[cosines[0]].eta_min) != 0:
        raise cannot(PEER, "ChainedScheduler holding CosineAnnealingLR with eta_min != 0",
                     "Its chained step, lr -> eta_min + (lr - eta_min)·ratio, is no factor of the lr: the other "
                     "schedulers' factors mix with eta_min. Chain CosineAnnealingLR with eta_min=0, or build the "
                     "lrcore schedule by hand.")
    factors = [_group(child, i, 1.0) for child in children]  # base-1 closed forms, the cosine's included
    start = 1.0  # lr(0) / (base · the factors' product at 0)
    if restepped:
        first, product = _restepped(children), 1.0
        for f in factors:
            product *= float(f(0))
        if product == 0.0:
            raise cannot(PEER, "SequentialLR starting with a ChainedScheduler whose factors are 0 at step 0",
                         "Build the lrcore schedule by hand.")
        start = first / product
    body = [decay.constant(base * start), *factors]
    if not cosines:
        return combinators.multiply(body)
    c = cosines[0]
    cosine_child = children[c]
    period = whole(PEER, "T_max", cosine_child.T_max, 1)
    others = [(j, child) for j, child in enumerate(children) if j != c]
    if restepped and period == 1:  # lr(1) = 0 whatever the factors: lr(0) alone is what the restep sets
        head = decay.constant(first)
    else:
        head = combinators.multiply([decay.constant(start), *(factors[j] for j, _ in others)])
    ends = {j: _last_change(child) for j, child in others}
    for j, child in others:
        if ends[j] is None:
            raise cannot(PEER, f"ChainedScheduler holding CosineAnnealingLR and {_name(child)} with gamma={child.gamma!r}",
                         f"From step T_max + 1 = {period + 1} on, torch's chained cosine restarts the lr at each rebound "
                         f"step (T_max + 1, 3·T_max + 1, ...), adding to it instead of multiplying, so the {_name(child)} "
                         "factor restarts every 2·T_max steps: lrcore has no schedule for that. Up to step T_max "
                         "torch's lr is lrcore.multiply([constant(lr), cosine_decay(1.0, T_max, periodic=True), "
                         "the other factors]).")
    pieces, bounds = [head], []
    k = 1
    while True:
        n_k = (2 * k - 1) * period + 1
        if n_k > _LAST:  # past every step lrcore evaluates
            break
        since = [_since(child, n_k - 1 if j > c else n_k, ends[j]) for j, child in others]
        bounds.append(n_k)
        if all(x is None for x in since):
            break
        if k > _PIECES:
            raise cannot(PEER, f"ChainedScheduler holding CosineAnnealingLR(T_max={period}) with factors changing "
                         f"until step {max(ends.values())}",
                         f"Its lr restarts every 2·T_max steps: more than {_PIECES} pieces. Build the lrcore schedule by hand.")
        part = [x for x in since if x is not None]
        pieces.append(combinators.shift(part[0] if len(part) == 1 else combinators.multiply(part), n_k))
        k += 1
    if len(pieces) == 1 and all(end <= period for end in ends.values()) and float(head(period)) == 1.0:
        return combinators.multiply(body)  # the factors end at 1 by T_max: the plain product throughout
    tail = combinators.join([*pieces, decay.constant(1.0)][: len(bounds) + 1], bounds)
    return combinators.multiply([decay.constant(base), factors[c], tail])


#: Schedulers whose chained step multiplies the lr by a factor of the step alone (the cosine with
#: eta_min=0 but at its rebound steps).
_MULTIPLICATIVE = {"StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR", "CosineAnnealingLR"}

#: The most restarts of a chained cosine's other factors a conversion joins.
_PIECES = 1000
_LAST = 2**63 - 1  # the largest step lrcore evaluates


def _last_change(child) -> int | None:
    """The last step at which a multiplicative scheduler's chained step changes the lr (None: never done)."""
    name = _name(child)
    if name in ("StepLR", "ExponentialLR"):
        return 0 if real(PEER, "gamma", child.gamma) == 1.0 else None
    if name == "MultiStepLR":
        bounds, _ = _milestones(child, 0, 1.0)
        return max(bounds, default=0)
    return whole(PEER, "total_iters", child.total_iters)


def _since(child, a: int, end: int):
    """The product of a scheduler's chained step factors over steps ``a + 1 .. n``, as a schedule of ``n``
    (``n >= a``); None where it is 1 throughout (``a`` past the scheduler's last change ``end``)."""
    if a >= end:
        return None
    name = _name(child)
    if name == "MultiStepLR":
        bounds, level = _milestones(child, 0, 1.0)
        return stairs([b for b in bounds if b > a], level)
    f = _group(child, 0, 1.0)  # LinearLR, ConstantLR, PolynomialLR before total_iters: f(n) / f(a)
    at = float(f(a))
    if at == 0.0:
        raise cannot(PEER, f"ChainedScheduler holding {name} with a factor 0 at step {a}",
                     "torch divides by it in its next chained step.")
    return combinators.scale(f, 1.0 / at)


def _restepped(children) -> float:
    """lr(0) / base of a ``SequentialLR``'s first ``ChainedScheduler``: each child's chained step at
    ``last_epoch=0`` applied in turn to the base lr (1)."""
    x = 1.0
    for child in children:
        name = _name(child)
        again = hasattr(child, "_is_initial")  # the torch whose step outside initial mode repeats these
        if name == "MultiStepLR":
            bounds, level = _milestones(child, 0, 1.0)
            x *= level(bounds.count(0))
        elif name == "ConstantLR":
            x *= real(PEER, "factor", child.factor)
        elif name == "LinearLR":
            x *= real(PEER, "start_factor", child.start_factor)
        elif name == "ExponentialLR" and again:
            x *= real(PEER, "gamma", child.gamma)
        elif name == "PolynomialLR" and again:
            total = whole(PEER, "total_iters", child.total_iters)
            x *= ((1.0 - 0 / total) / (1.0 - (0 - 1) / total)) ** real(PEER, "power", child.power)
        elif name == "CosineAnnealingLR" and again:
            t_max = whole(PEER, "T_max", child.T_max, 1)
            if (0 - 1 - t_max) % (2 * t_max) == 0:
                x = x + 1.0 * (1 - math.cos(math.pi / t_max)) / 2
            else:
                x = (1 + math.cos(math.pi * 0 / t_max)) / (1 + math.cos(math.pi * (0 - 1) / t_max)) * x
    return x


def _lambda(s, i, base):
    fn = s.lr_lambdas[i]
    name = _name(s)
    if name == "LambdaLR":
        from .hf import from_lambda  # transformers' schedules: (partials of) its named functions

        found = from_lambda(fn, base)
        if found is not None:
            return found
    raise cannot(PEER, f"{name}(lr_lambda={fn!r}) (an arbitrary Python function)",
                 "lrcore cannot read a function: build the lrcore schedule of the multiplier and use "
                 "lrcore.torch.scheduler(optimizer, schedule, mode='relative').")


def _momentum(s, i: int) -> Schedule:
    name = _name(s)
    if name not in ("OneCycleLR", "CyclicLR") or not getattr(s, "cycle_momentum", False):
        what = ("a scheduler of several converts the lr only" if name in ("SequentialLR", "ChainedScheduler")
                else "this scheduler leaves the momentum alone")
        raise ValueError(
            f"torch {name}: argument `momentum=True` converts the momentum a OneCycleLR or CyclicLR with "
            f"cycle_momentum=True cycles, given itself; {what}. Received: momentum=True"
        )
    group = _groups(s)[i]
    with peer_arguments(f"{PEER} {name}", _PEER_NAMES[name]):
        return _momentum_of(s, name, group, i)


def _momentum_of(s, name: str, group: dict, i: int) -> Schedule:
    if name == "OneCycleLR":
        return onecycle_momentum(base_momentum=real(PEER, "base_momentum", group["base_momentum"]),
                                 max_momentum=real(PEER, "max_momentum", group["max_momentum"]), **_onecycle_shape(s))
    return cyclic_momentum(base_momentum=real(PEER, "base_momentums", s.base_momentums[i]),
                           max_momentum=real(PEER, "max_momentums", s.max_momentums[i]), **_cyclic_shape(s))


_CONVERTERS = {
    "StepLR": _step,
    "MultiStepLR": _multistep,
    "ExponentialLR": _exponential,
    "CosineAnnealingLR": _cosine,
    "CosineAnnealingWarmRestarts": _restarts,
    "LinearLR": _linear,
    "ConstantLR": _constant,
    "PolynomialLR": _polynomial,
    "OneCycleLR": _onecycle,
    "CyclicLR": _cyclic,
    "SequentialLR": _sequential,
    "ChainedScheduler": _chained,
}
