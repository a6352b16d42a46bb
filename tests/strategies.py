"""Hypothesis strategies that build valid parameters for every schedule and nested combinators.

``kwargs_for(name)`` draws the keyword arguments of one leaf schedule; ``leaf_schedules()`` a
built leaf of any kind; ``schedules()`` a schedule that may nest the combinators. The schedules come
from the tests' table (tests/examples.py): an entry may bring its own ``strategy``; a leaf without
one draws from its examples.
Values stay moderate (|v| <= 10) so that every product in a schedule stays finite; lengths are
mostly small (so that steps hit the interesting landmarks) and sometimes huge.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import lrcore
from tests import examples

LEAVES = examples.leaves()
COMBINATORS = tuple(name for name in examples.TABLE if name not in LEAVES)
assert set(LEAVES) | set(COMBINATORS) == set(lrcore.SCHEDULES)

# Magnitudes below float32's smallest normal (1.2e-38) are left out: XLA on CPU flushes float32
# subnormals to zero, and no learning rate lives there. Zero itself stays in.
_F32_NORMAL = float(np.finfo(np.float32).smallest_normal)


def flush(v: float) -> float:
    """``v``, or 0.0 where its magnitude is below float32's smallest normal."""
    return 0.0 if abs(v) < _F32_NORMAL else v


def levels(lo: float, hi: float):
    """Finite level values in [lo, hi], none of them float32-subnormal."""
    return st.floats(lo, hi, allow_nan=False, allow_subnormal=False, width=64).map(flush)


values = levels(-10.0, 10.0)
positive_values = st.floats(1e-4, 10.0, allow_nan=False, allow_subnormal=False)
small_lengths = st.integers(1, 60)
lengths = st.one_of(small_lengths, small_lengths, st.integers(1, 10**6), st.sampled_from([2**31, 2**40]))
phases = st.one_of(st.just(0), st.integers(0, 40))
# Integral floats are accepted for lengths: exercise them too.
maybe_float = lambda s: st.one_of(s, s.map(float))  # noqa: E731


@st.composite
def _sorted_ints(draw, n, strict, hi=300):
    items = draw(st.lists(st.integers(0, hi), min_size=n, max_size=n, unique=strict))
    return sorted(items)


@st.composite
def _exponential_decay(draw):
    init = draw(positive_values)
    rate = draw(st.one_of(st.floats(0.05, 0.999), st.just(1.0), st.floats(1.001, 3.0)))
    end = None
    if rate > 1.0:
        end = flush(init * draw(st.floats(1.0, 100.0)))
    elif draw(st.booleans()):
        end = flush(init * draw(st.floats(0.0, 1.0)))
    return dict(
        init_value=init,
        decay_steps=draw(maybe_float(lengths)),
        decay_rate=rate,
        staircase=draw(st.booleans()),
        transition_begin=draw(phases),
        end_value=end,
    )


@st.composite
def _piecewise(draw, linear):
    n = draw(st.integers(1 if linear else 0, 5))
    boundaries = draw(_sorted_ints(n, strict=True))
    return dict(boundaries=boundaries, values=draw(st.lists(values, min_size=n + (0 if linear else 1), max_size=n + (0 if linear else 1))))


@st.composite
def _warmup_cosine_decay(draw):
    w = draw(phases)
    return dict(
        init_value=draw(values),
        peak_value=draw(values),
        warmup_steps=w,
        decay_steps=w + draw(lengths),
        end_value=draw(values),
        exponent=draw(st.floats(0.1, 4.0)),
    )


@st.composite
def _cosine_restart(draw):
    first = draw(st.one_of(small_lengths, st.integers(1, 10**5)))
    return dict(
        peak_value=draw(values),
        first_period=first,
        # period_mul = 1 (the closed form) half the time: it is the other code path.
        period_mul=draw(st.one_of(st.just(1.0), st.just(1.0), st.sampled_from([1.001, 1.5, 2.0, 3.0]), st.floats(1.01, 4.0))),
        # peak_mul = 1 without warmup often: with levels of one sign it is the cheap formula's path.
        peak_mul=draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0))),
        end_value=draw(values),
        warmup_steps=draw(st.one_of(st.just(0), st.integers(0, first - 1))),
        k_decay=draw(st.one_of(st.just(1.0), st.floats(0.1, 5.0))),
        cycle_limit=draw(st.one_of(st.none(), st.integers(1, 50))),
        whole_periods=draw(st.booleans()),
    )


@st.composite
def _cyclic(draw):
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    kw = dict(
        base_value=draw(values),
        max_value=draw(values),
        step_size_up=draw(lengths),
        step_size_down=draw(st.one_of(st.none(), lengths)),
        mode=mode,
    )
    if mode == "exp_range":
        kw["gamma"] = draw(st.floats(0.5, 1.0))
    return kw


@st.composite
def _cyclic_momentum(draw):
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    kw = dict(
        step_size_up=draw(lengths),
        step_size_down=draw(st.one_of(st.none(), lengths)),
        base_momentum=draw(values),
        max_momentum=draw(values),
        mode=mode,
    )
    if mode == "exp_range":
        kw["gamma"] = draw(st.floats(0.5, 1.0))
    return kw


@st.composite
def _inverse_sqrt(draw):
    return dict(peak_value=draw(values), warmup_steps=draw(phases), timescale=draw(st.one_of(st.none(), lengths)))


@st.composite
def _warmup_stable_decay(draw):
    shapes = st.sampled_from(["linear", "cosine", "1-sqrt"])
    return dict(
        peak_value=draw(values),
        warmup_steps=draw(phases),
        stable_steps=draw(phases),
        decay_steps=draw(lengths),
        end_value=draw(values),
        init_value=draw(st.one_of(st.none(), values)),
        warmup_shape=draw(shapes),
        decay_shape=draw(shapes),
    )


LEAF_KWARGS = {
    "constant": st.fixed_dictionaries({"value": values}),
    "linear": st.fixed_dictionaries(
        {"init_value": values, "end_value": values, "transition_steps": maybe_float(lengths)},
        optional={"transition_begin": phases},
    ),
    "exponential_decay": _exponential_decay(),
    "piecewise_constant": _piecewise(linear=False),
    "piecewise_linear": _piecewise(linear=True),
    "polynomial_decay": st.fixed_dictionaries(
        {"init_value": values, "end_value": values, "decay_steps": lengths},
        optional={"power": st.floats(0.0, 4.0), "cycle": st.booleans(), "transition_begin": phases},
    ),
    "inverse_time_decay": st.fixed_dictionaries(
        {"init_value": values, "decay_steps": lengths, "decay_rate": st.floats(0.0, 10.0)},
        optional={"staircase": st.booleans()},
    ),
    "cosine_decay": st.fixed_dictionaries(
        {"init_value": values, "decay_steps": lengths},
        optional={"end_value": values, "exponent": st.floats(0.1, 4.0), "k_decay": st.floats(0.1, 5.0),
                  "periodic": st.booleans()},
    ),
    "warmup_cosine_decay": _warmup_cosine_decay(),
    "cosine_restart": _cosine_restart(),
    "onecycle": st.fixed_dictionaries(
        {"peak_value": positive_values, "total_steps": st.one_of(small_lengths, st.integers(1, 10**6))},
        optional={
            "pct_start": st.floats(0.0, 1.0),
            "div_factor": st.floats(1.0, 100.0),
            "final_div_factor": st.floats(1.0, 1e4),
            "anneal": st.sampled_from(["cos", "linear"]),
            "three_phase": st.booleans(),
        },
    ),
    "cyclic": _cyclic(),
    "onecycle_momentum": st.fixed_dictionaries(
        {"total_steps": st.one_of(small_lengths, st.integers(1, 10**6))},
        optional={
            "pct_start": st.floats(0.0, 1.0),
            "base_momentum": values,
            "max_momentum": values,
            "anneal": st.sampled_from(["cos", "linear"]),
            "three_phase": st.booleans(),
        },
    ),
    "cyclic_momentum": _cyclic_momentum(),
    "inverse_sqrt": _inverse_sqrt(),
    "warmup_stable_decay": _warmup_stable_decay(),
    "ema_decay": st.fixed_dictionaries({"decay": levels(0.0, 1.0)}),
}
assert set(LEAF_KWARGS) <= set(LEAVES)


def kwargs_for(name: str):
    """Valid keyword arguments for the leaf schedule ``name``: its entry's ``strategy`` in the tests'
    table, the strategy above, or else one of its table examples."""
    entry = examples.TABLE[name]
    if entry.strategy is not None:
        return entry.strategy
    if name in LEAF_KWARGS:
        return LEAF_KWARGS[name]
    return st.sampled_from([dict(s.params) for _, s, _ in entry.examples])


def leaf_schedules():
    """A built leaf schedule of any kind."""
    return st.one_of(
        [kwargs_for(name).map(lambda kw, name=name: getattr(lrcore, name)(**kw)) for name in LEAVES]
    )


@st.composite
def _join(draw, children):
    items = draw(st.lists(children, min_size=1, max_size=3))
    return lrcore.join(items, draw(_sorted_ints(len(items) - 1, strict=False, hi=120)))


@st.composite
def _clip(draw, children):
    lo, hi = draw(st.one_of(st.none(), values)), draw(st.one_of(st.none(), values))
    if lo is None and hi is None:
        lo = draw(values)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return lrcore.clip(draw(children), min_value=lo, max_value=hi)


COMBINATOR_STRATEGIES = {
    "join": _join,
    "warmup": lambda children: st.builds(lrcore.warmup, children, warmup_steps=phases, init_value=values, delay=st.booleans()),
    "shift": lambda children: st.builds(lrcore.shift, children, offset=st.one_of(st.integers(-60, 60), st.sampled_from([-(2**40), 2**31, 2**62]))),
    "per_epoch": lambda children: st.builds(lrcore.per_epoch, children, steps_per_epoch=st.one_of(st.integers(1, 20), st.sampled_from([2**31, 2**40]))),
    "stride": lambda children: st.builds(lrcore.stride, children, units_per_step=st.one_of(st.integers(1, 20), st.sampled_from([2**31, 2**40]))),
    "add": lambda children: st.lists(children, min_size=1, max_size=3).map(lrcore.add),
    "scale": lambda children: st.builds(lrcore.scale, children, factor=levels(-4.0, 4.0)),
    "clip": _clip,
    "multiply": lambda children: st.lists(children, min_size=1, max_size=3).map(lrcore.multiply),
}
assert set(COMBINATOR_STRATEGIES) <= set(COMBINATORS)


def _extend(children):
    """One combinator around ``children``: its entry's ``strategy`` in the tests' table (a function
    of the children's strategy), or the strategy above."""
    made = []
    for name in COMBINATORS:
        strategy = examples.TABLE[name].strategy or COMBINATOR_STRATEGIES.get(name)
        assert strategy is not None, f"{name}: a combinator's entry in tests/examples.py needs a strategy"
        made.append(strategy(children))
    return st.one_of(made)


def schedules(max_leaves: int = 4):
    """Any schedule: a leaf, or the combinators nested around leaves."""
    return st.recursive(leaf_schedules(), _extend, max_leaves=max_leaves)


def steps(max_step: int, max_size: int = 12):
    """Lists of steps mixing negatives, small steps near landmarks, and huge steps."""
    one = st.one_of(
        st.integers(-5, 130),
        st.integers(-5, 130),
        st.integers(0, max_step),
        st.sampled_from([max_step, max_step - 1, 2**31 - 1, 2**24 + 1]).filter(lambda x: x <= max_step),
    )
    return st.lists(one, min_size=1, max_size=max_size)


def step_batches(max_step: int):
    """A dense run of steps 0..150 (every landmark of the small lengths drawn above, every restart
    of a short cycle) plus drawn steps, negative and huge: many steps per example, so that one
    compilation per schedule checks them all."""
    return steps(max_step, max_size=24).map(lambda extra: list(range(151)) + extra)


# -- steps of every dtype ----------------------------------------------------------------------
_FLOAT_WIDTH = {"float16": 16, "bfloat16": 32, "float32": 32, "float64": 64}


def _dtype(name: str):
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


@st.composite
def typed_steps(draw, dtypes, max_step: int, max_size: int = 16):
    """``(dtype name, values, expected)``: a NumPy array of steps of a drawn dtype (bfloat16 from
    ``ml_dtypes``) and, per element, the integer step it stands for (``None`` for NaN).

    Floats cover fractions, NaN, ±inf and values past every integer range; integers their whole
    range (unsigned ones past the signed range included). ``expected`` follows docs/step.md: floor, a
    negative step or ``-inf`` is 0, ``+inf`` and anything past ``max_step`` is ``max_step``.
    """
    name = draw(st.sampled_from(dtypes))
    dtype = _dtype(name)
    if name in _FLOAT_WIDTH:
        width = _FLOAT_WIDTH[name]
        one = st.one_of(
            st.integers(-5, 150).map(float),
            st.floats(-5.0, 150.0, width=width),
            st.sampled_from([float("nan"), float("inf"), -float("inf"), 2.0**31, 2.0**31 - 128, 2.0**24 + 2,
                             2.0**63, 1e19, 3e38, -1e30, 65504.0, 0.5, -0.5]),
            st.floats(allow_nan=True, allow_infinity=True, width=width),
        )
    else:
        info = np.iinfo(dtype)
        one = st.one_of(
            st.integers(max(-5, int(info.min)), min(150, int(info.max))),
            st.integers(int(info.min), int(info.max)),
            st.sampled_from([int(info.max), int(info.min), 2**31 - 1, 2**31, 2**63 - 1, 2**63])
            .filter(lambda x: info.min <= x <= info.max),
        )
    items = draw(st.lists(one, min_size=1, max_size=max_size))
    with np.errstate(over="ignore"):  # 3e38 in float16 is inf, as intended
        values = np.asarray(items, dtype=np.float64 if name in _FLOAT_WIDTH else object).astype(dtype)
    expected = []
    for x in values.tolist() if name not in ("bfloat16",) else values.astype(np.float64).tolist():
        if isinstance(x, float) and x != x:
            expected.append(None)
        elif x in (float("inf"), -float("inf")):
            expected.append(max_step if x > 0 else 0)
        else:
            expected.append(min(max(int(np.floor(x)) if isinstance(x, float) else int(x), 0), max_step))
    return name, values, expected


def scaled_levels(schedule, factor: float):
    """``schedule`` with every level parameter (the values of its curve, as its registered bound
    reads them: ``lrcore.schedule.level_names``) multiplied by ``factor``, its children's too."""
    from lrcore.schedule import REGISTRY, level_names

    def scale(s):
        children, levels = REGISTRY[s.name].children, level_names(s)
        params = {}
        for key, value in s.params.items():
            kind = children.get(key)
            if kind == "one":
                value = scale(value)
            elif kind == "many":
                value = [scale(v) for v in value]
            elif key in levels and value is not None:
                value = [v * factor for v in value] if isinstance(value, tuple) else value * factor
            params[key] = value
        return REGISTRY[s.name].factory(**params)

    return scale(schedule)
