"""What every converter shares: the refusals, the peer-bug warning, whole-number checks and
multi-step stairs.

A converter reads a peer's object or configuration and returns the lrcore schedule of the curve the
peer documents. It refuses (``ValueError``) what lrcore cannot express, naming the scheduler, the
argument and the remedy; where the peer's own values depart from its documented curve at the
given parameters (a float logarithm, a truncation), it warns (``UserWarning``) and returns the
documented curve.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
import re
import warnings

from .. import decay, piecewise


class CannotExpress(ValueError):
    """A peer configuration lrcore has no exact schedule for (a ``ValueError``)."""


def cannot(peer: str, what: str, remedy: str) -> CannotExpress:
    """The error for a configuration ``what`` of ``peer`` that lrcore cannot express."""
    return CannotExpress(f"{peer}: {what} cannot be expressed as an lrcore schedule. {remedy}")


def peer_bug(peer: str, message: str) -> None:
    """Warn that the peer's values depart from its documented curve (the converter returns the latter)."""
    warnings.warn(f"{peer}: {message} The converted schedule follows the documented curve.", UserWarning, stacklevel=3)


def whole(peer: str, name: str, value, minimum: int = 0) -> int:
    """``value`` as an int if it is a whole number >= ``minimum`` (an int, or an integral float)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{peer}: argument `{name}` must be a whole number. Received: {name}={value!r}")
    if not isinstance(value, numbers.Integral):  # an int is whole at any size (float() of 10**400 fails)
        try:
            x = float(value)
        except OverflowError:  # a Fraction or Decimal past float64
            raise ValueError(f"{peer}: argument `{name}` must be within float64. Received: {name}={value!r}") from None
        if not math.isfinite(x) or x != math.floor(x):
            raise cannot(peer, f"a fractional `{name}` ({value!r})",
                         "lrcore counts whole steps: give a whole number of steps.")
    out = int(value)
    if out < minimum:
        raise ValueError(f"{peer}: argument `{name}` must be >= {minimum}. Received: {name}={value!r}")
    return out


def real(peer: str, name: str, value) -> float:
    """``value`` as a float (a Python or NumPy real, or a 0-d array of one; never text)."""
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"{peer}: argument `{name}` must be a number. Received: {name}={value!r}")
    try:
        out = float(value)
    except OverflowError:  # an int (a Fraction, a Decimal) past float64
        raise ValueError(f"{peer}: argument `{name}` must be finite (within float64). Received: {name}={value!r}") from None
    except (TypeError, ValueError):
        raise TypeError(f"{peer}: argument `{name}` must be a number. Received: {name}={value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{peer}: argument `{name}` must be finite. Received: {name}={value!r}")
    return out


def flag(peer: str, name: str, value) -> bool:
    """``value`` as a bool: a Python or NumPy bool (never a string or a number read as one)."""
    if type(value).__name__ not in ("bool", "bool_"):
        raise TypeError(f"{peer}: argument `{name}` must be True or False. Received: {name}={value!r}")
    return bool(value)


@contextlib.contextmanager
def peer_arguments(peer: str, names: dict[str, str]):
    """Errors of the lrcore factories called inside, told in the peer's words: a ``ValueError`` or
    ``TypeError`` naming lrcore's parameter ``x`` (``Argument `x` ...``, ``x[i]`` included) with
    ``names[x]`` the peer's argument it came from (``"alpha (times the lr)"``: the argument, then how
    the conversion used it) is raised again naming that argument first (``torch StepLR: argument
    `gamma` ...``), the lrcore message after. Reading the peer's object itself failing (an
    ``AttributeError``, ``KeyError``, ``IndexError`` or Python's own ``TypeError``: an edited or
    partly built object) is a ``TypeError`` naming the peer; a division by zero or an overflow computing
    from the peer's values a ``ValueError`` naming it."""
    try:
        yield
    except CannotExpress:
        raise
    except (AttributeError, KeyError, IndexError, TypeError) as exc:
        text = repr(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        if isinstance(exc, TypeError) and (text.startswith(("Argument", peer.split()[0])) or "lrcore" in text):
            _translate(exc, peer, names)  # lrcore's own check, or the converter's: as it is, or named as the peer's
            raise
        # Reading the object failed: an attribute, an entry or an item the peer's own object has.
        raise TypeError(
            f"{peer}: the object lacks what the conversion reads ({type(exc).__name__}: {text}); it was edited, "
            "built in part, or is not the peer's own. Convert the peer's scheduler (or config) as the peer builds it."
        ) from exc
    except (ZeroDivisionError, OverflowError) as exc:  # arithmetic on the peer's values: a zero, or past float64
        raise ValueError(
            f"{peer}: the scheduler's values cannot be converted: computing the lrcore schedule from them gave "
            f"{type(exc).__name__} ({exc}): a zero where the peer divides, or a value past float64."
        ) from exc
    except ValueError as exc:
        _translate(exc, peer, names)
        raise


def _translate(exc: Exception, peer: str, names: dict[str, str]) -> None:
    """Raise ``exc`` again naming the peer's argument, where it names an lrcore parameter of ``names``."""
    found = re.match(r"Argument `([A-Za-z_]\w*)((?:\[\d+\])?)`", str(exc))
    if found is None or found.group(1) not in names:
        return
    theirs, _, how = names[found.group(1)].partition(" ")  # "alpha (times the lr)": the argument, how it is used
    cls = TypeError if isinstance(exc, TypeError) else ValueError
    raise cls(
        f"{peer}: argument `{theirs}`{' ' + how if how else ''} cannot be converted: lrcore refuses it as "
        f"`{found.group(1)}{found.group(2)}`. {exc}"
    ) from exc


def names_peer_arguments(peer: str, names: dict[str, str]):
    """A converter whose calls run under :func:`peer_arguments` (its errors name the peer's arguments)."""

    def decorate(convert):
        @functools.wraps(convert)
        def converter(*args, **kwargs):
            with peer_arguments(peer, names):
                return convert(*args, **kwargs)

        return converter

    return decorate


def stairs(bounds, level, passed: int = 0):
    """``level(passed + #{b in bounds : b <= k})`` at step ``k``: a multi-step decay whose
    boundaries ``bounds`` (a boundary given twice counts twice) are the steps where ``level``'s
    count goes up. ``level(n)`` gives the value after ``n`` milestones (the peer's error on overflow)."""
    unique = sorted(set(bounds))
    if not unique:
        return decay.constant(level(passed))
    values, count = [level(passed)], passed
    for b in unique:
        count += bounds.count(b)
        values.append(level(count))
    return piecewise.piecewise_constant(unique, values)
