"""Argument checks shared by every schedule: one place, one message style.

Every check raises ``TypeError`` (wrong type) or ``ValueError`` (bad value) with a message that names
the parameter and the value received, in the style of Keras: "Argument `decay_steps` must be >= 1.
Received: decay_steps=0". Nothing logs and falls back.

Level parameters (``init_value``, ``peak_value``, ``end_value``, …) are plain finite real numbers in
the core. The framework adapters (``lrcore.jax`` …) also accept 0-d arrays and tracers for them, so
that users can ``vmap``/``grad`` over a peak value; such values are checked as far as they are
concrete (a tracer has no value to check). :func:`level` passes an array through unchecked, and
:func:`array_levels` (called once per schedule by ``Definition.build``) then refuses it (the core)
or checks its shape and value (the adapters): an explicit argument, no ambient switch.

Cross-parameter checks (``decay_steps > warmup_steps``, ``min_value <= max_value``, …) live here
too: :func:`greater`, :func:`less`, :func:`compare`, :func:`ordered`, :func:`only_with`; and so do the
bounds a schedule derives from its arguments (:func:`derived_at_most`): a schedule module computes
the quantity, this module raises. No schedule module raises by itself.
"""

from __future__ import annotations

import collections.abc
import math
import numbers
import operator
import re

import numpy as np

from . import _array

def _fail(cls, name, requirement, value):
    return cls(f"Argument `{name}` {requirement}. Received: {name}={value!r}")


#: The largest step count (lengths, phases, boundaries): the largest step an int64 step counter
#: reaches. A count past it would never be reached by any step, and lrcore's step arithmetic
#: (host-side float64 and exact integer tables) is defined up to it.
MAX_STEPS = 2**63 - 1


def _not_a_number(value) -> bool:
    """Bools, and NumPy's datetime and timedelta scalars (a timedelta is a NumPy integer): not
    numbers for lrcore, whatever ``int()`` or ``float()`` makes of them."""
    return isinstance(value, (bool, np.bool_, np.datetime64, np.timedelta64))


def real(name: str, value) -> float:
    """A finite real number (bools are not numbers here; nor are NumPy complex, string, datetime or
    timedelta scalars)."""
    if _not_a_number(value) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise _fail(TypeError, name, "must be a real number", value)
    try:
        x = float(value)
    except OverflowError as exc:  # an int beyond float64, e.g. 10**400
        raise _fail(ValueError, name, "must be finite (it is beyond the float64 range)", value) from exc
    except (TypeError, ValueError) as exc:
        raise _fail(TypeError, name, "must be a real number", value) from exc
    if not math.isfinite(x):
        raise _fail(ValueError, name, "must be finite", value)
    return x + 0.0  # -0.0 is 0.0: equal parameters give the same bits


def metric(name: str, value: float, received) -> float:
    """A reported metric's float value: finite or NaN (a diverged loss). An infinity is refused: an
    ``-inf`` loss would be a best that nothing ever improves on (every later metric a bad one), a
    ``+inf`` one hides where it came from; report NaN for a diverged value."""
    if math.isinf(value):
        raise _fail(
            ValueError, name, "must be a finite real number or NaN (report a diverged value as NaN, not as an infinity)", received
        )
    return value


def metric_fits(name: str, value: float, largest: float, eps: float, dtype, received) -> None:
    """A finite metric ``value`` that the state's float ``dtype`` (largest finite value ``largest``,
    machine epsilon ``eps``) rounds to an infinity: refused, it is not the metric reported. Rounding
    to nearest gives an infinity from ``largest`` plus half its ulp on."""
    exponent = math.frexp(largest)[1] - 1
    if exponent < 1023 and math.isfinite(value) and abs(value) >= (2.0 - eps / 2) * 2.0**exponent:
        raise _fail(
            ValueError, name, f"must fit the plateau state's float dtype {dtype} (it is beyond its largest finite value)", received
        )


def level(name: str, value):
    """A learning-rate level: a finite real number; an array is passed through for :func:`array_levels`."""
    if _array.is_array(value):
        return value
    return real(name, value)


def _real_dtype(value) -> bool:
    """Whether an array's dtype is a real (integer or floating) one: not bool, complex, str, object.

    Read from the dtype's name, which every library spells the same way (``float32``, ``int64``,
    ``bfloat16``).
    """
    return re.fullmatch(r"u?int\d+|b?float\d+|float8\w*", _array.dtype_name(value)) is not None


def array_level(name: str, value):
    """A level given as an array (in the adapters): real-valued, 0-d, and finite as far as it is
    concrete. Returns the schedule's own copy (:func:`lrcore._array.snapshot`): writing to the
    given array later does not change the schedule."""
    if not _real_dtype(value):
        raise _fail(TypeError, name, "must be a real number (a real-valued array)", value)
    if tuple(value.shape) != ():
        raise _fail(ValueError, name, "must be a scalar (0-d)", value)
    concrete_value = _array.concrete(value)  # None for a tracer: it is checked by its shape only
    if concrete_value is not None and not math.isfinite(concrete_value):
        raise _fail(ValueError, name, "must be finite", value)
    return _array.snapshot(value)


def array_levels(params: dict, *, allowed: bool, children: dict) -> None:
    """Check, in place, the level parameters that :func:`level` passed through as arrays.

    ``allowed=False`` (the core factories): each must be a real number (a NumPy scalar becomes a
    float, an array is refused); ``allowed=True`` (the adapters): :func:`array_level`.
    """
    check = array_level if allowed else real
    for key, value in params.items():
        if key in children:
            continue
        if isinstance(value, tuple):
            if any(_array.is_array(v) for v in value):
                params[key] = tuple(
                    check(f"{key}[{i}]", v) if _array.is_array(v) else v for i, v in enumerate(value)
                )
        elif _array.is_array(value):
            params[key] = check(key, value)


def concrete(value):
    """The float value of a level, or None when it is a tracer (no value to check yet)."""
    return None if value is None else _array.concrete(value)


def level_at_least(name: str, value, bound: float, reason: str = "", **context):
    """A level >= ``bound``, checked as far as it is concrete. ``context``: the other arguments that
    make the bound apply (shown in the message), e.g. ``decay_rate=2.0``."""
    x = concrete(value)
    if x is not None and not x >= bound:
        raise ValueError(
            f"Argument `{name}` must be >= {bound:g}{_why(reason)}. Received: {_received(name, value, **context)}"
        )
    return value


def level_in_range(name: str, value, lo: float, hi: float):
    """A level in ``[lo, hi]``, checked as far as it is concrete (an adapter's tracer is not)."""
    value = level(name, value)
    x = concrete(value)
    if x is not None and not lo <= x <= hi:
        raise _fail(ValueError, name, f"must be in [{lo:g}, {hi:g}]", value)
    return value


def optional_level(name: str, value):
    return None if value is None else level(name, value)


def positive(name: str, value) -> float:
    x = real(name, value)
    if not x > 0:
        raise _fail(ValueError, name, "must be > 0", value)
    return x


def at_least(name: str, value, bound: float) -> float:
    x = real(name, value)
    if not x >= bound:
        raise _fail(ValueError, name, f"must be >= {bound:g}", value)
    return x


def at_most(name: str, value, bound: float, reason: str = "") -> float:
    """A finite real number <= ``bound``; ``reason`` says why, e.g. what a larger value would break."""
    x = real(name, value)
    if not x <= bound:
        raise _fail(ValueError, name, f"must be <= {bound:g}{_why(reason)}", value)
    return x


def above(name: str, value, bound: float) -> float:
    """A finite real number strictly greater than ``bound``."""
    x = real(name, value)
    if not x > bound:
        raise _fail(ValueError, name, f"must be > {bound:g}", value)
    return x


def subset(name: str, values, options: tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty sequence of distinct names, each one of ``options``."""
    items = sequence(name, values)
    if not items or any(not isinstance(v, str) or v not in options for v in items) or len(set(items)) != len(items):
        raise _fail(ValueError, name, f"must name one or more of {', '.join(map(repr, options))}, each once", values)
    return tuple(items)


def in_range(name: str, value, lo: float, hi: float) -> float:
    x = real(name, value)
    if not lo <= x <= hi:
        raise _fail(ValueError, name, f"must be in [{lo:g}, {hi:g}]", value)
    return x


def integer(name: str, value, minimum: int = 0, maximum: int = MAX_STEPS) -> int:
    """A whole number of steps in ``[minimum, maximum]``: an int, or a float with an integral value
    (e.g. ``1e3``). Step counts go up to :data:`MAX_STEPS` (``2**63 - 1``) by default."""
    if _not_a_number(value):
        raise _fail(TypeError, name, "must be an integer", value)
    if isinstance(value, (numbers.Integral, np.integer)):
        n = int(value)
    elif isinstance(value, (numbers.Real, np.floating)):
        try:
            x = float(value)
        except OverflowError:  # a Fraction or Decimal beyond float64
            x = math.inf
        except (TypeError, ValueError) as exc:
            raise _fail(TypeError, name, "must be an integer", value) from exc
        if not math.isfinite(x) or x != math.floor(x):
            raise _fail(ValueError, name, "must be a whole number of steps", value)
        n = int(x)
    else:
        raise _fail(TypeError, name, "must be an integer", value)
    if n < minimum:
        raise _fail(ValueError, name, f"must be >= {minimum}", value)
    if n > maximum:
        bound = "2**63 - 1, the largest step an int64 step counter reaches" if maximum == MAX_STEPS else str(maximum)
        raise _fail(ValueError, name, f"must be <= {bound}", value)
    return n


def length(name: str, value) -> int:
    """A length that defines a curve: an integer >= 1."""
    return integer(name, value, minimum=1)


def phase(name: str, value) -> int:
    """The length of an optional phase: an integer >= 0."""
    return integer(name, value, minimum=0)


def sequence(name: str, value) -> list:
    """An ordered sequence (list, tuple, 1-d array). Sets and mappings are refused: their order is
    not part of their value (a set of schedules iterates in a different order in each process); so
    are 0-d and multi-dimensional arrays (a 0-d array has no entries, a 2-d one has rows)."""
    if (
        isinstance(value, (str, bytes, collections.abc.Set, collections.abc.Mapping))
        or not hasattr(value, "__len__")
        or not hasattr(value, "__iter__")
        or (hasattr(value, "shape") and len(getattr(value, "shape", ())) != 1)
    ):
        raise _fail(TypeError, name, "must be an ordered sequence (a list, a tuple or a 1-d array)", value)
    try:
        return list(value)
    except Exception as exc:  # noqa: BLE001 - whatever a hostile __iter__ raises
        raise _fail(TypeError, name, "must be an ordered sequence (a list, a tuple or a 1-d array)", value) from exc


def boundaries(name: str, value, strict: bool = True) -> tuple[int, ...]:
    """Integer boundaries >= 0, strictly increasing (or non-decreasing when ``strict=False``)."""
    items = sequence(name, value)
    out = tuple(integer(f"{name}[{i}]", b, minimum=0) for i, b in enumerate(items))
    for i in range(1, len(out)):
        if out[i] < out[i - 1] or (strict and out[i] == out[i - 1]):
            order = "strictly increasing" if strict else "non-decreasing"
            raise _fail(ValueError, name, f"must be {order}", list(value))
    return out


def nonempty(name: str, value, what: str = "point") -> None:
    """A sequence with at least one entry (``what``: what an entry is, for the message)."""
    if len(value) == 0:
        raise _fail(ValueError, name, f"must have at least one {what}", list(value))


def levels(name: str, value) -> tuple:
    items = sequence(name, value)
    return tuple(level(f"{name}[{i}]", v) for i, v in enumerate(items))


def choice(name: str, value, options: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise _fail(TypeError, name, f"must be one of {', '.join(map(repr, options))}", value)
    if value not in options:
        raise _fail(ValueError, name, f"must be one of {', '.join(map(repr, options))}", value)
    return value


def boolean(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise _fail(TypeError, name, "must be True or False", value)
    return bool(value)


def lengths_match(name: str, items, other_name: str, other, offset: int) -> None:
    """``len(items) == len(other) + offset``, e.g. one more value than boundaries."""
    if len(items) != len(other) + offset:
        want = f"len({other_name})" + (f" + {offset}" if offset else "")
        raise ValueError(
            f"Argument `{name}` must have {want} = {len(other) + offset} entries. "
            f"Received: {len(items)} entries ({name}={list(items)!r})"
        )


# -- cross-parameter checks -------------------------------------------------------------------------
def _why(reason: str) -> str:
    return f" ({reason})" if reason else ""


def _received(name: str, value, **context) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in {name: value, **context}.items())


def greater(name: str, value, other_name: str, other, reason: str = "") -> None:
    """``value > other``, e.g. ``decay_steps > warmup_steps``."""
    if not value > other:
        raise ValueError(
            f"Argument `{name}` must be > {other_name}{_why(reason)}. "
            f"Received: {name}={value!r}, {other_name}={other!r}"
        )


def less(name: str, value, other_name: str, other, reason: str = "") -> None:
    """``value < other``, e.g. ``warmup_steps < first_period``."""
    if not value < other:
        raise ValueError(
            f"Argument `{name}` must be < {other_name}{_why(reason)}. "
            f"Received: {name}={value!r}, {other_name}={other!r}"
        )


def any_given(what: str, **values) -> None:
    """At least one of the optional ``values`` is not None (e.g. clip's bounds)."""
    if all(v is None for v in values.values()):
        received = ", ".join(f"{k}={v!r}" for k, v in values.items())
        raise ValueError(f"{what}. Received: {received}")


_RELATIONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def compare(name: str, value, relation: str, other_name: str, other, reason: str = "", **context) -> None:
    """``value <relation> other`` for two levels (``relation``: ``<``, ``<=``, ``>``, ``>=``), checked
    where both are concrete (None, the default of an optional level, or a tracer is not).
    ``context``: further arguments the requirement depends on, shown in the message."""
    a, b = concrete(value), concrete(other)
    if a is not None and b is not None and not _RELATIONS[relation](a, b):
        raise ValueError(
            f"Argument `{name}` must be {relation} {other_name}{_why(reason)}. "
            f"Received: {_received(name, value, **{other_name: other}, **context)}"
        )


def ordered(lo_name: str, lo, hi_name: str, hi) -> None:
    """``lo <= hi`` for two optional levels, checked where both are concrete."""
    compare(lo_name, lo, "<=", hi_name, hi)


def only_with(name: str, value, default, other_name: str, other, required) -> None:
    """``value`` left at its ``default`` unless ``other == required``: a parameter that only one
    setting of another uses (e.g. cyclic's ``gamma``, used by ``mode='exp_range'`` alone)."""
    if value != default and other != required:
        raise ValueError(
            f"Argument `{name}` is only used with {other_name}={required!r}. "
            f"Received: {_received(name, value, **{other_name: other})}"
        )


def derived_at_most(name: str, value, derived: float, limit: float, problem: str) -> None:
    """A bound on a quantity the schedule derives from ``value`` (a table size, the log of the largest
    value it reaches, …): ``derived <= limit``. The schedule module computes ``derived``; ``problem``
    says what ``value`` makes go wrong and how to fix it (the message's middle part)."""
    if not derived <= limit:
        raise ValueError(f"Argument `{name}` {problem}. Received: {name}={value!r}")


def only_when(name: str, value, default, condition: bool, requirement: str, **context) -> None:
    """``value`` left at its ``default`` unless ``condition`` holds (``requirement`` says when it
    is used, e.g. "with stable_power > 0"): a parameter that only some settings use."""
    if value != default and not condition:
        raise ValueError(
            f"Argument `{name}` is only used {requirement}. Received: {_received(name, value, **context)}"
        )


def required_when(name: str, value, condition: bool, requirement: str, **context) -> None:
    """``value`` given (not None) where ``condition`` holds (``requirement`` says when)."""
    if value is None and condition:
        raise ValueError(f"Argument `{name}` is required {requirement}. Received: {_received(name, value, **context)}")


def period(name: str, value) -> int | float:
    """A period of steps, at least 1: a whole number (returned as an int, up to :data:`MAX_STEPS`), or
    a non-integral real number (returned as a float; its exact binary value is the period, so that
    ``2.4`` means the float nearest 2.4, as in Python's ``k // 2.4``)."""
    if _not_a_number(value) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise _fail(TypeError, name, "must be a real number", value)
    if isinstance(value, (numbers.Integral, np.integer)):
        return integer(name, value, minimum=1)
    x = real(name, value)
    if x == math.floor(x):
        return integer(name, x, minimum=1)
    if not x >= 1.0:
        raise _fail(ValueError, name, "must be >= 1", value)
    return x
