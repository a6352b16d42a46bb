"""The array layer: step conversion and the few array operations every schedule is built from.

This is the only core module that touches ``array_api_compat``. A schedule's evaluation function
receives an integer step array ``k`` (already clamped to ``k >= 0``) and an :class:`Ops`, which
carries the array namespace and the integer and float dtypes chosen for this evaluation.

Integers decide, floats shape: which piece, cycle or staircase step a step falls in is computed on
``k`` in integer arithmetic; only the position inside a piece is turned into a float, as
``(integer offset + host-computed fraction) / length``, so no precision is lost at large steps.
"""

from __future__ import annotations

import functools
import math
import numbers
import reprlib
import sys
from fractions import Fraction

import array_api_compat
import numpy as np



def _numpy_namespace():
    """The namespace for Python ints, lists and NumPy arrays.

    NumPy >= 2.1 implements the array API standard (2023.12) itself, so it is used directly:
    ``array_api_compat.numpy`` would cost hundreds of milliseconds at first use (building the
    wrapper touches every lazily loaded NumPy submodule, ``numpy.f2py`` and ``numpy.testing``
    included), which dominated ``import lrcore``. Older NumPy goes through the wrapper.
    """
    if getattr(np, "__array_api_version__", "0") >= "2023.12":
        return np
    return array_api_compat.array_namespace(np.zeros(0))


# The namespace used for Python ints, lists and NumPy arrays.
_NUMPY = _numpy_namespace()


#: Host-side helpers registered with :func:`host_constant`, for adapters whose tracer needs to know.
HOST_CONSTANTS: list = []


def host_constant(fn):
    """Mark ``fn`` as a pure, cached function of Python constants that builds tables on the host.

    Such a function never sees an array: its result is a constant of the evaluation. Tracers that
    interpret Python bytecode (``torch.compile``) would otherwise trace its loops op by op; the
    torch adapter tells Dynamo to call each registered function once and keep the result.
    The returned plain function wraps an ``lru_cache`` (not exposed, so no tracer sees the cache).
    """
    cached = functools.lru_cache(maxsize=64)(fn)

    def call(*args):
        return cached(*args)

    call.__name__, call.__qualname__, call.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    call.__module__ = fn.__module__
    HOST_CONSTANTS.append(call)
    return call


class Ops:
    """The generic array-API implementation of the operations schedules are built from.

    An instance binds a namespace to the integer and float dtypes of one evaluation. Namespaces
    with a faster way to do one of these operations get a subclass that overrides that method
    (:class:`_NumpyOps`, :class:`_XlaOps`, :class:`_TorchOps`, :class:`_TfOps`); :func:`ops_class`
    picks the class once, from the namespace. array-api-strict uses this class as it is.

    Integer-range handling lives here: a landmark (boundary, cycle start, phase end) past the
    integer range the evaluation runs in is never reached, and the methods below say so
    (:meth:`in_range`, :meth:`landmark`, :meth:`landmarks`, :meth:`since`, :meth:`lt`,
    :meth:`mod`, …), so schedules never compare against the range themselves.

    Attributes: ``xp`` (the array namespace), ``int`` and ``float`` (the dtypes of this
    evaluation), ``device`` (where constants and tables are created; None lets the library place
    them). CONTRIBUTING.md lists every operation with its dtype, exactness and use.
    """

    __slots__ = ("xp", "int", "float", "device", "_max", "precise", "budget")

    def __init__(self, xp, int_dtype, float_dtype, device=None):
        self.xp = xp
        self.int = int_dtype
        self.float = float_dtype
        self._max = int(xp.iinfo(int_dtype).max)
        # The step's device: constants and tables are created there (a GPU step gets a GPU result).
        self.device = device
        # Whether the schedule evaluated must be accurate relative to its smallest values (an
        # enclosing clip or product needs it): the cheap formulas (see :meth:`cheap_levels`) are off.
        self.precise = False
        # The error a cheap formula may make, in units of u (2**-24 in float32, 2**-53 in
        # float64) times the schedule's largest value: the whole promise, less what an enclosing
        # sum spends on its own roundings (see :meth:`spend`).
        self.budget = PROMISE

    def exact(self):
        """This evaluation with :attr:`precise` set: what a combinator that needs its children
        accurate relative to their own small values (``clip``, ``multiply``) evaluates them with."""
        if self.precise:
            return self
        out = type(self)(self.xp, self.int, self.float, self.device)
        out.precise = True
        return out

    def spend(self, units: int):
        """This evaluation with ``units`` of its :attr:`budget` spent by the caller: what a sum
        of ``n`` schedules evaluates its terms with (its ``n - 1`` roundings cost ``u`` each,
        relative to the sum of the terms' largest magnitudes), so that a term's cheap formula
        plus those roundings stay within the promise (docs/numerics.md)."""
        if self.precise or not units:
            return self
        out = type(self)(self.xp, self.int, self.float, self.device)
        out.budget = self.budget - units
        return out

    @classmethod
    def placement(cls, k):
        """The device new constants go to for step array ``k`` (None lets the library place them).

        Read from the standard ``.device`` attribute (``array_api_compat.device`` goes through
        ``lru_cache``-wrapped helpers that ``torch.compile`` warns about).
        """
        return getattr(k, "device", None)

    def _asarray(self, value, dtype):
        if self.device is None:
            return self.xp.asarray(value, dtype=dtype)
        return self.xp.asarray(value, dtype=dtype, device=self.device)

    # -- constants -------------------------------------------------------------------------
    def i(self, value):
        """An integer constant (0-d, the integer dtype, on the step's device); exact.

        Callers guarantee it fits the integer dtype: a step landmark that may lie past the range
        goes through :meth:`landmark` instead.
        """
        return self._asarray(value, self.int)

    def f(self, value):
        """A float constant (0-d, the float dtype), or a level parameter that may already be an
        array (or tracer), cast to the float dtype. A Python float is rounded once to the dtype."""
        return self._asarray(value, self.float)

    def ints(self, values):
        """A 1-D integer table from Python ints (or a NumPy array) that fit the integer dtype; exact.

        Step landmarks that may lie past the range go through :meth:`landmarks` instead.
        """
        if not isinstance(values, np.ndarray):
            values = list(values)
        return self._asarray(values, self.int)

    def floats(self, values):
        """A 1-D float table; entries may be arrays (level parameters given as arrays), which are
        stacked. Python floats are rounded once each to the float dtype."""
        if isinstance(values, np.ndarray):
            return self._asarray(values, self.float)
        values = list(values)
        if all(isinstance(v, numbers.Real) for v in values):
            return self._asarray(values, self.float)
        return self.xp.stack([self.f(v) for v in values])

    def tofloat(self, k):
        """The integer array ``k`` as floats: exact up to ``2**24`` (float32) or ``2**53``
        (float64), rounded once to nearest beyond.

        For quantities that only shape the value (an exponent, an offset inside a piece); a
        decision about where a step lies is made on ``k`` itself, in integers.
        """
        return self.xp.astype(k, self.float)

    def full(self, k, value):
        """``value`` (a level, Python number or 0-d array) broadcast to the shape of ``k``, as
        floats: a constant schedule, or a flat piece."""
        return self.xp.zeros_like(k, dtype=self.float) + self.f(value)

    # -- the integer range ------------------------------------------------------------------
    @property
    def max_step(self) -> int:
        """The largest step this evaluation can see (the integer dtype's maximum); larger steps
        were clamped to it, so host-side tables never need entries past it."""
        return self._max

    def in_range(self, n: int) -> bool:
        """Whether the Python int ``n`` is a step this evaluation can represent."""
        return n <= self._max

    def landmark(self, n: int):
        """A step landmark (Python int ``>= 0``) as an integer constant; one past the range is
        never reached, and is placed at the largest step (where ``k <= landmark`` still holds)."""
        return self.i(min(n, self._max))

    def landmarks(self, values):
        """A 1-D table of step landmarks, each placed as :meth:`landmark` places one."""
        return self.ints([min(v, self._max) for v in values])

    # -- integer arithmetic that stays exact for every representable step --------------------
    def since(self, k, begin: int):
        """``max(k - begin, 0)`` for a Python int ``begin >= 0``, at any magnitude."""
        if begin == 0:
            return k
        if begin > self._max:
            return self.xp.zeros_like(k)
        return self.xp.maximum(k - self.i(begin), self.i(0))

    def minimum(self, k, bound: int):
        """``min(k, bound)`` for a Python int ``bound >= 0``."""
        if bound > self._max:
            return k
        return self.xp.minimum(k, self.i(bound))

    def ahead(self, k, n: int):
        """``min(k + n, max_step)`` for ``k >= 0`` and a Python int ``0 < n <= max_step``: a step
        moved ahead, its largest step where the sum passes the integer range (never an overflow)."""
        return self.minimum(k, self._max - n) + self.i(n)

    def floordiv(self, k, d: int):
        """``k // d`` for ``k >= 0`` and a Python int ``d >= 1``."""
        if d == 1:
            return k
        if d > self._max:
            return self.xp.zeros_like(k)
        return k // self.i(d)

    def mod(self, k, d: int):
        """``k % d`` for ``k >= 0`` and a Python int ``d >= 1``, at any magnitude (``k`` itself
        when ``d`` is past the range: that period never ends)."""
        if d == 1:
            return self.xp.zeros_like(k)
        if d > self._max:
            return k
        return k % self.i(d)

    def reaches(self, k, bound: int) -> bool:
        """Whether every step of ``k`` is known, on the host, to be ``>= bound``: a branch for
        the earlier steps can then be left out (its ``where`` would pick none of them). False
        where the steps are not known (a traced or device array)."""
        return False

    def lt(self, k, bound: int):
        """``k < bound`` for a Python int ``bound``, at any magnitude."""
        if bound > self._max:
            return self.xp.ones_like(k, dtype=self.xp.bool)
        return k < self.i(bound)

    # -- pieces: which interval of a sorted table a step falls in ------------------------------
    def locate(self, boundaries, k) -> "Pieces":
        """The piece of each step among the sorted Python-int ``boundaries``: piece ``i`` holds
        the steps with ``i`` boundaries ``<= k`` (exact, any magnitude)."""
        return Pieces(self, self.count_le(boundaries, k))

    def count_le(self, boundaries, k):
        """How many of the sorted Python-int ``boundaries`` are ``<= k`` (exact, any magnitude)."""
        reachable = [b for b in boundaries if b <= self._max]
        if not reachable:
            return self.xp.zeros_like(k)
        return self.searchsorted(self.ints(reachable), k)

    def searchsorted(self, table, k):
        """Number of entries of the sorted 1-D integer ``table`` that are ``<= k`` (``side="right"``),
        as integers with ``k``'s shape; exact.

        ``table`` holds steps in the integer range (built with :meth:`ints` or :meth:`landmarks`);
        for Python-int boundaries that may lie past it, use :meth:`count_le` or :meth:`locate`.
        """
        xp = self.xp
        flat = xp.reshape(k, (-1,))
        idx = xp.searchsorted(table, flat, side="right")
        return xp.reshape(xp.astype(idx, self.int, copy=False), k.shape)

    def take(self, table, idx):
        """``table[idx]`` for a 1-D table (integer or float) and an integer index array of any
        shape, ``0 <= idx < len(table)``; the result has ``idx``'s shape and ``table``'s dtype."""
        xp = self.xp
        out = xp.take(table, xp.reshape(idx, (-1,)), axis=0)
        return xp.reshape(out, idx.shape)

    # -- float helpers ------------------------------------------------------------------------
    def ratio(self, num, den, offset=0.0):
        """``(num + offset) / den`` as a float: ``num`` an integer array, ``den`` > 0, ``offset`` a float.

        ``den`` and ``offset`` may be Python numbers or float arrays; a zero ``den`` (only ever on a
        branch that ``where`` discards) is replaced by 1 so that branch stays finite.
        """
        x = self.tofloat(num)
        if not (isinstance(offset, numbers.Real) and offset == 0):
            x = x + (self.f(offset) if isinstance(offset, numbers.Real) else offset)
        if isinstance(den, numbers.Real):
            return x / self.f(den if den > 0 else 1.0)
        return x / self.xp.where(den > 0, den, self.xp.ones_like(den))

    def inverse_sqrt(self, j, tau: int, peak):
        """``peak / sqrt(1 + j/tau)`` for an integer array ``j >= 0``, a Python int ``tau >= 1``
        and a level ``peak``: ``(peak·√tau) / √(j + tau)``, with ``j + tau`` formed in floats (no
        integer overflow) and ``peak·√tau`` on the host for a Python level. One square root and
        one division per step; within ``6.5u`` of the value (docs/numerics.md). Where
        ``peak·√tau`` would pass the float dtype's largest value (or ``peak`` is an array), the
        quotient form ``peak / √(1 + j/tau)``, whose every intermediate stays below ``peak``."""
        top = self._inverse_sqrt_top(tau, peak)
        if top is None:
            return self.f(peak) / self.xp.sqrt(1.0 + self.ratio(j, tau))
        return self.f(top) / self.xp.sqrt(self.tofloat(j) + self.f(float(tau)))

    def _inverse_sqrt_top(self, tau: int, peak):
        """``peak·√tau`` as a Python float where it fits the float dtype, else None."""
        if is_array(peak):
            return None
        top = float(peak) * math.sqrt(tau)
        return top if abs(top) <= float(self.xp.finfo(self.float).max) else None

    def fraction(self, j, d: int):
        """``(j/d, (d-j)/d)`` for an integer array ``0 <= j <= d`` and a Python int ``d >= 1``.

        Both parts come from exact integers and each is accurate relative to itself; the one
        nearer 1 is taken as ``1 -`` the other, so ``lerp`` through them hits its ends exactly even
        where a compiler turns the division by the constant ``d`` into a multiplication by ``1/d``
        (XLA and TensorFlow's graph optimizer do: ``d·(1/d)`` need not be 1). The smaller part is
        the distance to the nearer end, ``min(j, d-j) / d`` (see :meth:`_near_end`).
        """
        if d > self._max:
            # d - j = (int_max - j) + (d - int_max): an exact integer plus one rounded offset.
            w = self.ratio(j, d)
            w1 = self.ratio(self.i(self._max) - j, d, float(d - self._max))
            low = self.lt(j, d // 2 + 1)
            return self.xp.where(low, w, 1.0 - w1), self.xp.where(low, 1.0 - w, w1)
        near, low = self._near_end(j, d)
        far = 1.0 - near
        return self.xp.where(low, near, far), self.xp.where(low, far, near)

    def _near_end(self, j, d: int):
        """``(min(j, d-j) / d, j <= d/2)`` for ``0 <= j <= d <= int_max``: the distance from ``j/d``
        to the nearer end of [0, 1], and whether that end is 0. The distance is an exact integer
        divided once, so it is accurate relative to itself, and it is 0 exactly at both ends."""
        near = self.xp.minimum(j, self.i(d) - j)
        return self.ratio(near, d), self.lt(j, d // 2 + 1)

    def lerp(self, a, b, w, w1=None):
        """``a·(1-w) + b·w`` for levels ``a``, ``b`` and a float weight array ``w`` in [0, 1].

        ``w1`` is ``1-w`` when the caller has it exactly (from :meth:`fraction` or
        :meth:`cos_half`); the result is then exactly ``a`` where ``w = 0, w1 = 1`` and exactly
        ``b`` where ``w = 1, w1 = 0``; between, the two products and their sum are each rounded
        once. Without ``w1`` it is computed here as ``1 - w``.
        """
        if w1 is None:
            w1 = 1.0 - w
        return self.f(a) * w1 + self.f(b) * w

    def power(self, base: float, n):
        """``base ** n`` for a Python float ``base > 0`` and a float array ``n >= 0``.

        Evaluated as ``exp(n·ln(base))`` with ``ln(base)`` in float64 on the host, which keeps the
        float32 error bounded relative to the schedule's largest value (``pow`` with a rounded base
        would amplify the base's rounding by ``n``).
        """
        if base == 1.0:
            return self.xp.ones_like(n)
        return self.xp.exp(n * self.f(math.log(base)))

    def pow_unit(self, x, exponent: float, x1=None, log_x=None):
        """``x ** exponent`` for ``x`` in [0, 1] and a Python float ``exponent >= 0`` (``0**0 = 1``).

        Written as ``exp(exponent · log x)`` rather than ``pow``: PyTorch's vectorized and scalar
        ``pow`` kernels round differently (about 1 ulp on a few percent of elements), which would
        make an array of steps differ from the same steps evaluated one by one; ``exp`` and ``log``
        agree on both paths. ``log`` sees at least the smallest normal float, so 0 never warns.
        Exponents 2, 3 and 4 are products instead (correctly rounded on every backend, and a
        fraction of the cost of ``exp`` and ``log``: ``x**2`` is what optax's ``polynomial_schedule``
        compiles to).

        ``x1`` is ``1 - x`` when the caller has it accurate relative to itself (a weight's exact
        complement): where ``x1 < ½`` the logarithm is then ``log1p(-x1)``. ``x`` itself, rounded
        once near 1, would carry its rounding times the exponent into the power (24 units of the
        promise at ``exponent = 100``); through ``x1`` the power keeps the promise at any exponent.

        ``log_x`` is ``log x`` when the caller has it accurate where ``x`` is not (``x`` below the
        smallest normal float: subnormal, or 0 where the backend flushes it, as JAX does); it then
        replaces ``log x`` wherever ``x1`` does not.
        """
        xp = self.xp
        if exponent == 0:
            return xp.ones_like(x)
        if exponent in _PRODUCT_POWERS:
            return _PRODUCT_POWERS[exponent](x)
        return self._pow_from_log(x, self._log_power(x, exponent, x1, log_x), log_x)

    def _log_power(self, x, exponent: float, x1, log_x):
        """``exponent · log x`` for :meth:`pow_unit` (its ``x1`` and ``log_x`` as there), at most 0."""
        xp = self.xp
        info = xp.finfo(self.float)
        tiny = float(info.smallest_normal)
        # An exponent past fmax / (2·|log tiny|) gives the same values as that one (1 at x = 1, an
        # underflow to 0 below): capped there, its product with the log never overflows.
        exponent = min(exponent, float(info.max) / (2.0 * -math.log(tiny)))
        log = xp.log(xp.maximum(x, self.f(tiny))) if log_x is None else log_x
        if x1 is not None:
            # log1p sees at most ½ in magnitude: every branch is finite.
            log = xp.where(x1 < 0.5, self.log1p(-xp.minimum(x1, self.f(0.5))), log)
        return self.f(exponent) * log

    def _pow_from_log(self, x, t, log_x):
        out = self.xp.exp(t)
        if log_x is not None:
            return out  # log_x is -inf where x is 0: exp gives 0
        return self.xp.where(x > 0.0, out, self.xp.zeros_like(out))

    def pow_unit_pair(self, x, exponent: float, x1, log_x=None):
        """``(x ** exponent, 1 - x ** exponent)`` (see :meth:`pow_unit`), given ``x1 = 1 - x``
        accurate relative to itself: the complement is accurate relative to itself too.

        Where the power is near 1, ``1 - power`` would carry the power's rounding (a unit of 1,
        thousands of units of the complement) into a rising curve's first values, the small ones
        that a clip far below its peak, or a product, keeps. There (power above ½) it is
        ``-expm1(exponent · log x)`` with the log from ``x1``; for the product powers
        ``x1·(1 + x)``, ``x1·(1 + x + x²)`` and ``x1·(1 + x)(1 + x²)`` (each a few roundings of
        itself). Below ½, ``1 - power`` is within a unit of itself.
        """
        xp = self.xp
        if exponent == 0:
            return xp.ones_like(x), xp.zeros_like(x)
        if exponent == 1.0:
            return x, x1
        if exponent in _PRODUCT_POWERS:
            power = _PRODUCT_POWERS[exponent](x)
            if exponent == 2.0:
                near = x1 * (1.0 + x)
            elif exponent == 3.0:
                near = x1 * (1.0 + x + x * x)
            else:
                near = x1 * ((1.0 + x) * (1.0 + x * x))
        else:
            t = self._log_power(x, exponent, x1, log_x)
            power, near = self._pow_from_log(x, t, log_x), -xp.expm1(t)
        return power, xp.where(power > 0.5, near, 1.0 - power)

    def log1p(self, y):
        """``log(1 + y)`` for a float array ``y > -1``, accurate relative to itself (``xp.log1p``;
        XLA's float64 one is replaced, see :meth:`_XlaOps.log1p`)."""
        return self.xp.log1p(y)

    def tanh_halves(self, z0: float, w, side: int):
        """``(½(1 - tanh z), ½(1 + tanh z))`` at ``z = z0 + w``, for a Python float ``z0`` and a
        float array ``w``, each half accurate relative to its largest value on the curve.

        ``side`` says where ``z`` lies on the whole curve, a decision on the parameters: ``0``
        where it may change sign (each half then reaches ½; ``½ ∓ ½·tanh z``, one ``tanh``, errs
        by about ``u`` of ½); ``1`` where ``z0 >= 0`` and ``w >= 0`` (``z >= 0``: the first half
        is the small one, largest at ``w = 0``); ``-1`` where ``z0 <= 0`` and ``w <= 0`` (the
        second half is the small one, largest at ``w = 0``). There ``½ ∓ ½·tanh z`` would cancel
        (``tanh_decay(..., lower=10, upper=20)`` gave 0.0 in float32), so the small half is
        ``t/(1 + t)`` with ``t = e^{-2|z|} = e^{-2|z0|}·e^{-2|w|}``: the host's ``e^{-2|z0|}``
        rounded once, and an ``exp`` whose argument errs relative to ``|w|``, not to ``|z|``
        (``2|z|`` times ``z``'s rounding: 20 units at ``z = 10``). The large half is ``1 -`` that.
        """
        xp = self.xp
        if side == 0 and self.precise:
            # An enclosing clip or product needs the small half accurate relative to itself, not
            # to ½: t/(1 + t) with t = e^{-2|z|}, whose argument errs relative to |z| (z is formed
            # from the crossing, accurate relative to itself): about 2|z| times z's rounding.
            z = self.f(z0) + w
            t = xp.exp(self.f(-2.0) * xp.abs(z))
            small = t / (1.0 + t)
            large = 1.0 - small
            positive = z >= self.f(0.0)
            return xp.where(positive, small, large), xp.where(positive, large, small)
        if side == 0:
            th = xp.tanh(self.f(z0) + w)
            return 0.5 - 0.5 * th, 0.5 + 0.5 * th
        # w clamped to its side: a lane that a `where` discards (a held step) stays finite.
        w = xp.maximum(w, self.f(0.0)) if side > 0 else xp.minimum(w, self.f(0.0))
        t = self.f(math.exp(-2.0 * abs(z0))) * xp.exp(self.f(-2.0 * side) * w)
        small = t / (1.0 + t)
        large = 1.0 - small
        return (small, large) if side > 0 else (large, small)

    # -- the cheap formulas: one weight, a few operations, for levels that allow them -----------
    def cheap_levels(self, start, end, cost: int, shrink: bool = False):
        """``(a, b)``, the levels ``start`` and ``end`` as Python floats, where this evaluation may
        use a cheap formula (:meth:`ramp`, :meth:`square_ramp`, :meth:`cos_ramp`) between them; None
        where it must use the precise one (two weights, each accurate relative to itself).

        A Python decision on the parameters, made once per evaluation (once per trace): the
        levels are Python numbers of the same sign (or zero), ``|end| <= |start|`` when ``shrink``,
        no enclosing combinator asked for :attr:`precise` values, and the formula's error bound
        ``cost`` (in units of ``u·max(|a|, |b|)``: :data:`RAMP_COST`, :data:`SQUARE_RAMP_COST`,
        :data:`COS_RAMP_COST`, as docs/numerics.md derives them) fits this evaluation's
        :attr:`budget` (the promise, ``8u``, less what an enclosing sum spends).
        """
        if self.precise or cost > self.budget or is_array(start) or is_array(end):
            return None
        a, b = float(start), float(end)
        if a * b < 0.0 or (shrink and abs(b) > abs(a)):
            return None
        return a, b

    def cheap_cos_levels(self, start, end):
        """:meth:`cheap_levels` for :meth:`cos_ramp` (``|end| <= |start|``, its cost
        :data:`COS_RAMP_COST`), None also where the levels have no constants ``m``, ``h``
        (:func:`cos_mid_form`; float32 subnormal levels): those take the precise formula."""
        cheap = self.cheap_levels(start, end, cost=COS_RAMP_COST, shrink=True)
        if cheap is None or cos_mid_form(*cheap, int(self.xp.finfo(self.float).bits)) is None:
            return None
        return cheap

    def ramp(self, j, d: int, a: float, b: float):
        """``a + (b - a)·min(j, d)/d`` for an integer array ``j >= 0`` and Python-float levels:
        ``a + j·C`` with ``C = (b - a)/d`` rounded once (from exact fractions) to the float dtype.
        Exactly ``a`` at ``j = 0`` and exactly ``b`` from ``j = d`` on (``j`` past ``d`` needs no
        clamp: see :meth:`_ramp_steps`).

        The value is clamped at ``b`` (a maximum or a minimum), which it never passes; where
        ``a + d·C`` reaches ``b`` (:func:`passing_slope`; with ``C`` one unit steeper where the
        :attr:`budget` leaves room for it) that clamp holds ``b`` from ``j = d`` on, elsewhere a
        select on ``j < d`` does."""
        j = self._ramp_steps(j, d, a, b)
        c, clamp = self._ramp_form(d, a, b)
        value = self.f(a) + self.tofloat(j) * self.f(c)
        # Never past b (a float step past 2**24 can round above d), and where the slope reaches b,
        # b from j = d on: a clamp costs less than a select on the step (XLA: 1.06x optax's sum
        # of two ramps with the select, 1.01x with the clamp alone).
        value = (self.xp.maximum if b < a else self.xp.minimum)(value, self.f(b))
        if clamp or d > self._max:
            return value
        return self.xp.where(j < self.i(d), value, self.f(b))

    def _ramp_form(self, d: int, a: float, b: float):
        """``(C, clamp)``: the ramp's slope, and whether it holds ``b`` with a clamp (the slope
        from :func:`passing_slope`) or, where no slope within the budget reaches ``b`` (or ``b``
        is -0.0, whose sign a clamp could lose), a select on ``j < d`` (``C`` rounded once)."""
        if d <= self._max and math.copysign(1.0, b) > 0:
            c = passing_slope(a, b, d, self.xp.finfo(self.float).bits, max(self.budget - RAMP_COST, 0) // NUDGE_COST)
            if c is not None:
                return c, True
        return _slope(a, b, d, 1), False

    def _ramp_steps(self, j, d: int, a: float, b: float):
        """``j``, clamped at ``d`` only where ``j·C`` could pass the float dtype's largest value
        for some representable ``j`` (past ``d`` the ramp's value is ``b``, whatever ``j·C`` is)."""
        if abs(_slope(a, b, d, 1)) * float(self._max) < float(self.xp.finfo(self.float).max) / 2:
            return j
        return self.minimum(j, d)

    def square_ramp(self, j, d: int, a: float, b: float):
        """``b + (a - b)·((d - j)/d)²`` for an integer array ``0 <= j <= d <= max_step``:
        ``b + C·m²`` with ``m = d - j`` (an exact integer, as a float) and ``C = (a - b)/d²``
        rounded once. Exactly ``a`` at ``j = 0`` and exactly ``b`` at ``j = d``; the caller checks
        :func:`square_ramp_fits` (``C`` a normal float, ``d²`` finite)."""
        m = self.tofloat(self.i(d) - j)
        value = self.f(b) + self.f(_slope(b, a, d, 2)) * (m * m)
        return self.xp.where(j > self.i(0), value, self.f(a))

    def cos_ramp(self, j, d: int, a: float, b: float, held: bool = True):
        """``b + (a - b)·½(1 + cos(πj/d))`` for an integer array ``0 <= j <= d`` and levels
        :meth:`cheap_cos_levels` gave: ``m + h·cos(j·C)`` with ``m ≈ (a + b)/2``, ``h ≈ (a - b)/2``
        chosen on the host (:func:`cos_mid_form`: ``m + h`` rounds to ``a``, ``m - h`` is on
        ``b``'s side of 0) and ``C = π/d`` rounded once. Exactly ``a`` at ``j = 0``; exactly ``b``
        from ``j = d`` on when ``held`` (a decay that ends there: ``j`` may then pass ``d``, no
        clamp needed, ``j·C`` stays finite; a restart cycle never reaches ``j = d``)."""
        xp = self.xp
        jf = self.tofloat(j)
        m, h = cos_mid_form(a, b, int(xp.finfo(self.float).bits))
        value = self.f(m) + self.f(h) * xp.cos(jf * self.f(math.pi / d))
        if not held or d > self._max:
            return value
        # Up to 2**(mantissa + 1) every integer is a float: the float step decides as the integer
        # does (a larger step rounds to at least d), and compares in the float lanes.
        if d <= 2 ** (_mantissa_bits(xp, self.float) + 1):
            return xp.where(jf < self.f(d), value, self.f(b))
        return xp.where(j < self.i(d), value, self.f(b))

    def cos_half(self, x, x1=None):
        """``(½(1+cos πx), ½(1-cos πx))`` for ``x`` in [0, 1], each accurate relative to itself.

        ``x1`` is ``1 - x`` when the caller has it exactly (formed from integers, as
        :meth:`fraction` does); otherwise it is computed here. ``½(1 + cos πx)`` computed as
        written cancels near ``x = 1`` (an error of one ulp of 1 on a value near 0, amplified by an
        exponent below 1 or seen through a ``clip`` far below the peak), so both halves come from
        the distance ``t = min(x, 1-x)`` to the nearer end (see :meth:`_cos_halves`).
        """
        if x1 is None:
            x1 = 1.0 - x
        return self._cos_halves(self.xp.minimum(x, x1), x <= x1)

    def cos_fraction(self, j, d: int):
        """``cos_half(*fraction(j, d))`` for an integer array ``0 <= j <= d``, in about half the
        element-wise operations.

        The distance to the nearer end is taken in integers, ``min(j, d-j) / d``, and the nearer
        end is ``j <= d/2``: that is what :meth:`fraction` followed by :meth:`cos_half` computes
        (``j/d <= 1 - j/d`` exactly when ``j <= d/2``), bit for bit where the operations run one by
        one. A compiler may round once fewer: under ``jax.jit`` XLA folds the division by ``d``
        into the product by π/2 that follows it (``near·(π/(2d))``), as it regroups constant
        factors elsewhere; the result stays within the precision promise.
        """
        if d > self._max:
            return self.cos_half(*self.fraction(j, d))
        return self._cos_halves(*self._near_end(j, d))

    def _cos_halves(self, t, first):
        """The cosine halves from ``t``, the distance in [0, ½] to the nearer end, and ``first``,
        whether that end is 0 (where the first half is the large one).

        The small half is ``½(1 - cos πt) = sin²(πt/2)`` (``½ - ½·sin(π(½-t))`` from ``t = ¼``
        on, exact at ``t = ½``), the large half ``1 -`` that, each rounded once. One ``sin`` per
        step.
        """
        xp = self.xp
        wide = t >= 0.25
        u = xp.where(wide, self.f(math.pi) * (0.5 - t), self.f(math.pi / 2) * t)
        v = xp.sin(u)
        small = xp.where(wide, 0.5 - 0.5 * v, v * v)
        large = xp.where(wide, 0.5 + 0.5 * v, 1.0 - v * v)
        return xp.where(first, large, small), xp.where(first, small, large)

    @classmethod
    def nonnegative(cls, xp, k):
        """``max(k, 0)`` for an integer step array (negative steps are step 0)."""
        return xp.maximum(k, xp.asarray(0, dtype=k.dtype))

    def run(self, evaluate, k):
        """``evaluate(k, self)``: a schedule's evaluation function on the prepared step array.

        Called once per evaluation by :meth:`lrcore.Schedule.evaluate`, never by a schedule; a
        namespace class may split the work (NumPy evaluates large arrays in blocks, bit for bit the
        same values)."""
        return evaluate(k, self)


#: The precision promise, in units of u (2**-24 in float32, 2**-53 in float64) times a schedule's
#: largest value, and the cheap formulas' error bounds in the same units (docs/numerics.md).
PROMISE = 8
RAMP_COST = 5
SQUARE_RAMP_COST = 7
COS_RAMP_COST = 7


def _mantissa_bits(xp, dtype) -> int:
    """Explicit significand bits of a float dtype (23 for float32, 52 for float64)."""
    return round(-math.log2(float(xp.finfo(dtype).eps)))


@host_constant
def _slope(a: float, b: float, d: int, n: int) -> float:
    """``(b - a) / d**n``, correctly rounded to float64 (exact fractions)."""
    return float((Fraction(b) - Fraction(a)) / (d**n))


#: Significand bits and the exponent of the smallest subnormal of the float formats an evaluation
#: computes in (float16 and bfloat16 evaluations compute in float32), by their width in bits.
FORMATS = {64: (53, -1074), 32: (24, -149)}


def round_to_format(m: int, e: int, bits: int, tiny: int) -> float:
    """``m · 2**e`` (an int ``m >= 0``) rounded to nearest, ties to even, in a binary format of
    ``bits`` significand bits whose smallest subnormal is ``2**tiny``."""
    if m == 0:
        return 0.0
    q = max(m.bit_length() + e - bits, tiny)  # the exponent of the result's last place
    if q <= e:
        return math.ldexp(m, e)
    shift = q - e
    r, rem = m >> shift, m & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if rem > half or (rem == half and r & 1):
        r += 1
    return math.ldexp(r, q)


def _rounded(x: Fraction, width: int) -> float:
    """The dyadic fraction ``x`` rounded to nearest in the float format of ``width`` bits."""
    bits, tiny = FORMATS[width]
    m = round_to_format(abs(x.numerator), 1 - x.denominator.bit_length(), bits, tiny)
    return -m if x < 0 else m


#: What a nudge of a ramp's slope by one unit in its last place costs: its error grows from half
#: a unit to one and a half, ``2u`` more relative to the slope (docs/numerics.md).
NUDGE_COST = 2


#: The largest error of ``M + H·cos θ``'s constants (:func:`cos_mid_form`), in units of ``u`` times
#: the larger level: with the roundings of θ, of ``cos``, of the product and of the sum (5.23 units,
#: docs/numerics.md) the cosine ramp stays within :data:`COS_RAMP_COST`.
COS_MID_ERROR = Fraction(177, 100)


@host_constant
def cos_mid_form(a: float, b: float, width: int):
    """``(M, H)``, floats of the format of ``width`` bits, for the cosine ramp ``M + H·cos θ``
    from ``a`` (``θ = 0``) to ``b`` (``θ = π``) of the same sign, ``|b| <= |a|``; None where there
    are none (float32 subnormal levels: the precise formula serves them).

    ``M`` and ``H`` are ``(a + b)/2`` and ``(a - b)/2`` rounded (each rounded once to float64 and
    once to the format, as the evaluation rounds a constant), or up to one unit in the last place
    from them, the first pair whose sum rounds to ``a`` (the ramp's exact first value), whose
    exact errors at both ends, ``M + H - a`` and ``M - H - b``, are within :data:`COS_MID_ERROR`
    units (between the ends the constants' error is a weighted mean of those two), and whose
    ``M - H`` is on ``b``'s side of 0 or 0: with ``cos θ >= -1`` no value then crosses 0 (a
    decay to 0 never gives a negative lr)."""
    bits, _ = FORMATS[width]
    top = max(abs(a), abs(b))
    if top == 0.0:
        return None
    first = _rounded(Fraction(a), width)
    limit = COS_MID_ERROR * Fraction(top) * Fraction(1, 2**bits)
    m0 = _rounded(Fraction(float((Fraction(a) + Fraction(b)) / 2)), width)
    h0 = _rounded(Fraction(float((Fraction(a) - Fraction(b)) / 2)), width)

    def unit(x: float) -> float:
        return math.ldexp(1.0, math.frexp(x)[1] - bits) if x else 0.0

    for i, k in ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0)):
        m, h = _rounded(Fraction(m0 + i * unit(m0)), width), _rounded(Fraction(h0 + k * unit(h0)), width)
        M, H = Fraction(m), Fraction(h)
        if _rounded(M + H, width) != first or (M - H) * (1 if a > 0 else -1) < 0:
            continue
        if max(abs(M + H - Fraction(a)), abs(M - H - Fraction(b))) <= limit:
            return m, h
    return None


@host_constant
def passing_slope(a: float, b: float, d: int, width: int, nudges: int):
    """The slope ``C`` of the clamped ramp ``bound(a + x·C, b)`` (``x`` the step as a float of
    ``width`` bits, ``bound`` the maximum where ``b < a``, the minimum otherwise), or None.

    The clamp holds ``b`` from ``j = d`` on only where ``a + fl(d)·C`` reaches ``b``, rounded
    once (a fused multiply-add, as XLA emits it) and rounded twice (NumPy, eager torch): then
    every later step does too (both roundings grow with ``x``). ``C`` is ``(b - a)/d`` rounded to
    the format, or where that falls short of ``b``, up to ``nudges`` units in its last place
    steeper. The levels' signs are the caller's: ``a·b >= 0`` and ``b`` not ``-0.0``."""
    bits, _ = FORMATS[width]
    A, B, X = (Fraction(_rounded(Fraction(v), width)) for v in (a, b, d))
    c = _rounded(Fraction(_slope(a, b, d, 1)), width)
    toward = 1 if b > a else -1
    for _ in range(nudges + 1):
        C = Fraction(c)
        fused = _rounded(A + X * C, width)
        twice = _rounded(A + Fraction(_rounded(X * C, width)), width)
        if toward * (fused - B) >= 0 and toward * (twice - B) >= 0:
            return c
        if c == 0.0:
            return None
        c = c + toward * math.ldexp(1.0, math.frexp(c)[1] - bits)  # one unit steeper
    return None


def ramp_fits(a: float, b: float, d: int, info) -> bool:
    """Whether :meth:`Ops.ramp` keeps the promise in the float format ``info`` (a ``finfo``): its
    slope ``(b - a)/d`` zero or a normal float. A subnormal slope keeps few digits (float64
    ``linear(1e-300, 0, 2**62)`` went negative), and JAX and TensorFlow flush it to 0 (the ramp
    then sat at ``a`` to its end); such levels take the two-weight formula."""
    c = abs(_slope(a, b, d, 1))
    return c == 0.0 or c >= float(info.smallest_normal)


def square_ramp_fits(a: float, b: float, d: int, info) -> bool:
    """Whether :meth:`Ops.square_ramp` stays in the normal range of the float format ``info``
    (a ``finfo``): ``d²`` finite and ``(a - b)/d²`` zero or a normal float."""
    c = abs(_slope(b, a, d, 2))
    return float(d) ** 2 < float(info.max) and (c == 0.0 or c >= float(info.smallest_normal))


def _square(x):
    return x * x


#: Small integer powers as products: at most two roundings (x**4 = (x*x)**2: 1.5 ulp relative).
_PRODUCT_POWERS = {1.0: lambda x: x, 2.0: _square, 3.0: lambda x: _square(x) * x, 4.0: lambda x: _square(_square(x))}


class Pieces:
    """Which piece of a sorted table of landmarks each step falls in (see :meth:`Ops.locate`).

    ``index`` is the piece number as an integer array; ``pick(table)`` is ``table[index]`` for a
    1-D table with one entry per piece (``len(boundaries) + 1`` entries).
    """

    __slots__ = ("_ops", "index")

    def __init__(self, ops, index):
        self._ops, self.index = ops, index

    def pick(self, table):
        """``table[index]``: each step's entry of a 1-D table with one entry per piece."""
        return self._ops.take(table, self.index)


# -- per-namespace classes ------------------------------------------------------------------------
class _XlaOps(Ops):
    """JAX (XLA): small tables as fused comparison/select chains, larger ones by an unrolled search.

    A gather, or the while loop of XLA's default ``searchsorted``, is not fused into the
    element-wise pass that computes everything else; a chain of comparisons and selects is. It
    costs one comparison per boundary and one select per boundary and table, the cost of optax's
    own ``where`` chains, so it is used up to :data:`_XLA_CHAIN` entries, about the size from which
    the unrolled binary search (``method="scan_unrolled"``: ~log2(m) element-wise rounds with a
    gather each, and a gather per table) is the cheaper of the two. Measured on CPU, 1M steps: the
    chain is faster up to about 120 entries with three tables (``piecewise_linear``) and 190 with one
    (``piecewise_constant``), and 3-8 times faster than the search at 8-30 entries.
    """

    __slots__ = ()

    @classmethod
    def placement(cls, k):
        # JAX places uncommitted constants itself, and a sharded step's `device` is a sharding that
        # would force the small tables to be sharded too.
        return None

    def run(self, evaluate, k):
        # Eager JAX compiles each operation on its own, for its operands' shapes (see _in_lanes);
        # traced (jit, vmap), the evaluation is one program, which XLA compiles alike for an array
        # and for its elements (0-d steps in compiled code keep their own, cheaper, program).
        if isinstance(k, sys.modules["jax"].core.Tracer):
            return evaluate(k, self)
        return _in_lanes(self, evaluate, k)

    def cos_ramp(self, j, d: int, a: float, b: float, held: bool = True):
        # The precise formula is the cheaper one under XLA on CPU: its sin of [0, π/4] costs less
        # than a cos of [0, π] (1M steps of cosine_decay: 0.74 against 0.97 of optax's time).
        if held:
            j = self.minimum(j, d)
        c, c1 = self.cos_fraction(j, d)
        return self.lerp(b, a, c, c1)

    def log1p(self, y):
        # XLA's float64 log1p on CPU errs by up to 240 ulp for y in (-0.5, -0.3) (the range
        # pow_unit and k_decay give it; within 1.2 ulp above -0.3). From -0.25 down it is
        # log(1 + y)·y/((1 + y) - 1) instead (Goldberg's form; 1.3 ulp there, 1 + y - 1 exact and
        # nonzero). The sum goes through an optimization barrier: under jit XLA would simplify
        # (1 + y) - 1 to y.
        if self.float != self.xp.float64:
            return super().log1p(y)
        xp = self.xp
        low = y <= -0.25
        w = _lax().optimization_barrier(1.0 + xp.minimum(y, self.f(-0.25)))
        wide = xp.log(w) * (xp.minimum(y, self.f(-0.25)) / (w - 1.0))
        return xp.where(low, wide, xp.log1p(y))

    def floordiv(self, k, d: int):
        if d == 1 or d > self._max:
            return super().floordiv(k, d)
        # Truncating division, which is floor division for the non-negative steps it is given:
        # jnp.floor_divide adds a sign correction with a second division (7 more element-wise ops).
        return _lax().div(k, self.i(d))

    def mod(self, k, d: int):
        if d == 1 or d > self._max:
            return super().mod(k, d)
        return _lax().rem(k, self.i(d))  # truncating, like div above: no sign correction

    def locate(self, boundaries, k):
        reachable = [b for b in boundaries if b <= self._max]
        if len(reachable) > _XLA_CHAIN:
            return super().locate(boundaries, k)
        # Steps are >= 0, so boundaries at 0 hold for every step: they need no comparison.
        first = sum(1 for b in reachable if b <= 0)
        return _XlaChain(self, k, first, [k >= self.i(b) for b in reachable[first:]])

    def searchsorted(self, table, k):
        xp = self.xp
        m = table.shape[0]
        if m <= _XLA_INDEX_CHAIN:
            out = xp.astype(k >= table[0], self.int)
            for j in range(1, m):
                out = out + xp.astype(k >= table[j], self.int)
            return out
        flat = xp.reshape(k, (-1,))
        # The binary search's ~log2(m) rounds unrolled: XLA runs them as element-wise passes,
        # several times faster on CPU than its default while-loop scan (and just as exact).
        idx = xp.searchsorted(table, flat, side="right", method="scan_unrolled")
        return xp.reshape(xp.astype(idx, self.int), k.shape)

    def take(self, table, idx):
        xp = self.xp
        m = table.shape[0]
        if m <= _XLA_INDEX_CHAIN:
            out = xp.zeros_like(idx, dtype=table.dtype) + table[0]
            for j in range(1, m):
                out = xp.where(idx == j, table[j], out)
            return out
        return super().take(table, idx)


def _lax():
    """``jax.lax``, for the XLA class's integer division (jax is loaded: the step is a JAX array)."""
    return sys.modules["jax"].lax


class _XlaChain(Pieces):
    """Pieces of a small table under XLA: one comparison per boundary, one select per entry."""

    __slots__ = ("_k", "_first", "_masks")

    def __init__(self, ops, k, first, masks):
        # `first` boundaries hold for every step; masks[j] says whether boundary first + j does.
        self._ops, self._k, self._first, self._masks = ops, k, first, masks

    @property
    def index(self):
        ops = self._ops
        out = ops.xp.zeros_like(self._k) + ops.i(self._first)
        for mask in self._masks:
            out = out + ops.xp.astype(mask, ops.int)
        return out

    def pick(self, table):
        xp, first = self._ops.xp, self._first
        out = xp.zeros_like(self._k, dtype=table.dtype) + table[first]
        for j, mask in enumerate(self._masks):
            out = xp.where(mask, table[first + j + 1], out)
        return out


class _AnyShapeIndexOps(Ops):
    """Namespaces whose ``searchsorted`` and indexing take an index array of any shape: one
    operation each instead of a reshape around a 1-D one (fewer kernel launches per evaluation)."""

    __slots__ = ()

    def searchsorted(self, table, k):
        return self.xp.astype(self.xp.searchsorted(table, k, side="right"), self.int, copy=False)


class _TorchOps(_AnyShapeIndexOps):
    """PyTorch: ``searchsorted`` on an N-D step tensor and advanced indexing of tables."""

    __slots__ = ()

    def f(self, value):
        # A level's NumPy snapshot is read-only, which torch warns it cannot protect when it would
        # share its memory: a 0-d copy is given instead.
        return super().f(np.array(value) if isinstance(value, np.ndarray) else value)

    def take(self, table, idx):
        if idx.ndim == 0:
            # Indexing with a 0-d tensor is Python indexing by its value: Dynamo reads the value
            # (a data-dependent int), which torch.compile(fullgraph=True) cannot. A gather is traced.
            return super().take(table, idx)
        return table[idx]


class _TfOps(_AnyShapeIndexOps):
    """The TensorFlow shim (:mod:`lrcore.backends.tf_namespace`): its ``searchsorted`` and
    ``take`` (``tf.gather``) accept any shape."""

    __slots__ = ()

    def take(self, table, idx):
        return self.xp.take(table, idx, axis=0)

    def run(self, evaluate, k):
        return _in_lanes(self, evaluate, k)


class _NumpyOps(Ops):
    """NumPy: large step arrays are evaluated in blocks of :data:`_NUMPY_BLOCK` steps.

    Every NumPy operation is a separate pass that allocates its result. On a million steps each
    temporary is a fresh 8 MB buffer, which the allocator maps from (and returns to) the operating
    system, so page faults cost more than the arithmetic. Blocks of a few thousand steps keep every
    temporary in the cache and in the allocator's free lists. The operations are element-wise, so
    a block gives the same bits as the whole array.
    """

    __slots__ = ()

    @classmethod
    def nonnegative(cls, xp, k):
        # A reduction reads the steps once and allocates nothing; the clamp's copy is made only when
        # a step is negative (a fresh copy of a million steps costs more than the reduction).
        if k.size and k.min() >= 0:
            return k
        return super().nonnegative(xp, k)

    def ratio(self, num, den, offset=0.0):
        plain = isinstance(den, numbers.Real) and isinstance(offset, numbers.Real) and offset == 0
        if plain and isinstance(num, np.ndarray):
            # One pass: the division converts the integers as it reads them (as astype would).
            return np.divide(num, self.f(den if den > 0 else 1.0), dtype=self.float)
        return super().ratio(num, den, offset)

    def inverse_sqrt(self, j, tau, peak):
        # Ops.inverse_sqrt, bit for bit (the same operations on the same operands), in one buffer.
        top = self._inverse_sqrt_top(tau, peak)
        if not isinstance(j, np.ndarray) or j.ndim == 0 or top is None:
            return super().inverse_sqrt(j, tau, peak)
        v = np.add(j, self.f(float(tau)), dtype=self.float)  # the conversion fused into the sum
        np.sqrt(v, out=v)
        np.divide(self.f(top), v, out=v)
        return v

    def mod(self, k, d: int):
        if d == 1 or d > self._max:
            return super().mod(k, d)
        # NumPy's floor division by a scalar is a multiply and shift (libdivide), its remainder a
        # hardware division per element: k - (k // d)·d, exact for k >= 0, is 2.5 times faster.
        divisor = self.i(d)
        return k - (k // divisor) * divisor

    def reaches(self, k, bound: int) -> bool:
        # A reduction (no temporary), far cheaper than the passes of the branch it saves.
        return isinstance(k, np.ndarray) and k.ndim > 0 and k.size > 0 and bool(k.min() >= bound)

    def since(self, k, begin: int):
        # Every step at or past ``begin``: the clamp at 0 would change nothing (one pass saved).
        if 0 < begin <= self._max and self.reaches(k, begin):
            return k - self.i(begin)
        return super().since(k, begin)

    def minimum(self, k, bound: int):
        # No step past ``bound``: the minimum would change nothing (one pass saved).
        if isinstance(k, np.ndarray) and k.ndim > 0 and k.size > 0 and bool(k.max() <= bound):
            return k
        return super().minimum(k, bound)

    def ahead(self, k, n: int):
        # One pass and a reduction: the sum wraps around (silently, for an array) exactly where it
        # passes the range, to a negative value; only then are those steps set to the largest.
        if not isinstance(k, np.ndarray) or k.ndim == 0:
            return super().ahead(k, n)
        out = np.add(k, self.i(n))
        if out.size and out.min() < 0:
            np.copyto(out, self._max, where=out < 0)
        return out

    def ramp(self, j, d: int, a: float, b: float):
        # Ops.ramp, bit for bit (the same operations on the same operands), in one buffer: the
        # conversion fused into the product, the sum and the end value in place.
        if not isinstance(j, np.ndarray) or j.ndim == 0:
            return super().ramp(j, d, a, b)
        j = self._ramp_steps(j, d, a, b)
        c, clamp = self._ramp_form(d, a, b)
        v = np.multiply(j, self.f(c), dtype=self.float)
        np.add(self.f(a), v, out=v)
        (np.maximum if b < a else np.minimum)(v, self.f(b), out=v)
        if not clamp and d <= self._max and j.size and j.max() >= d:  # a reduction: no pass where no step is past d
            np.copyto(v, self.f(b), where=j >= d)
        return v

    def cos_ramp(self, j, d: int, a: float, b: float, held: bool = True):
        # Ops.cos_ramp, bit for bit (the same operations on the same operands), in one buffer:
        # the conversion fused into the product, every later step in place (0-d: the generic code).
        if not isinstance(j, np.ndarray) or j.ndim == 0:
            return super().cos_ramp(j, d, a, b, held)
        v = np.multiply(j, self.f(math.pi / d), dtype=self.float)
        np.cos(v, out=v)
        m, h = cos_mid_form(a, b, int(np.finfo(self.float).bits))
        np.multiply(self.f(h), v, out=v)
        np.add(self.f(m), v, out=v)
        if held and d <= self._max and j.size and j.max() >= d:
            np.copyto(v, self.f(b), where=j >= d)
        return v

    def _cos_halves(self, t, first):
        # Ops._cos_halves, bit for bit (the same operations on the same operands, so the same
        # roundings), with each select of the generic code done as a masked operation into a
        # temporary that is not needed again: 12 passes instead of 15, and fewer buffers.
        # (0-d steps give NumPy scalars, which take the generic code.)
        if not isinstance(t, np.ndarray) or t.ndim == 0 or first.shape != t.shape:
            return super()._cos_halves(t, first)
        wide = t >= 0.25
        u = np.multiply(self.f(math.pi / 2), t)
        np.multiply(self.f(math.pi), np.subtract(0.5, t), out=u, where=wide)
        v = np.sin(u, out=u)
        h = np.multiply(0.5, v)
        small = np.multiply(v, v)
        large = np.subtract(1.0, small)
        np.subtract(0.5, h, out=small, where=wide)
        np.add(0.5, h, out=large, where=wide)
        return np.where(first, large, small), np.where(first, small, large)

    def run(self, evaluate, k):
        n = k.size
        if n <= 2 * _NUMPY_BLOCK:
            return evaluate(k, self)
        flat = k.reshape(-1)
        out = np.empty(n, dtype=self.float)
        for start in range(0, n, _NUMPY_BLOCK):
            out[start : start + _NUMPY_BLOCK] = evaluate(flat[start : start + _NUMPY_BLOCK], self)
        return out.reshape(k.shape)


#: The step arrays of :func:`_in_lanes` hold a multiple of this many steps: the widest vector loop
#: body of the CPUs lrcore runs on (16 float32 lanes with AVX-512).
_LANES = 16


def _in_lanes(ops, evaluate, k):
    """``evaluate(k, ops)``, on a flat step array padded (with step 0) to a multiple of
    :data:`_LANES` steps where ``k`` is not one already, then cut back to ``k``'s shape.

    TensorFlow and eager JAX compute an element-wise operation with other code for a 0-d array,
    for the tail of an array that does not fill a vector register, and for a short array than for
    the body of a vector loop, and these differ by an ulp: TensorFlow's kernels (Eigen) evaluate
    ``exp``, ``log``, ``sin`` and ``cos`` in SIMD packets with a scalar remainder; XLA on CPU,
    compiling each eager JAX operation on its own, gives other ``exp`` bits on arrays of 3, 5, 6
    or 7 elements, and turns ``array / scalar`` into ``array · (1/scalar)`` (two roundings) for an
    array but divides a 0-d array. Evaluating every step in the vector body gives a step the same
    bits alone (0-d), in a short array and in a long one. A step array of unknown static size
    (TensorFlow graphs) is evaluated as it is: its caller pads it.
    """
    xp = ops.xp
    shape = tuple(k.shape)
    if any(not isinstance(d, int) for d in shape):
        return evaluate(k, ops)
    n = math.prod(shape)
    if n == 0 or (len(shape) == 1 and n % _LANES == 0):
        return evaluate(k, ops)
    flat = xp.reshape(k, (-1,))
    pad = -n % _LANES
    if pad:
        flat = xp.concat([flat, xp.zeros((pad,), dtype=k.dtype)])
    out = evaluate(flat, ops)
    return xp.reshape(out[:n] if pad else out, shape)


#: Steps per block in :meth:`_NumpyOps.run`: 65536 float64 temporaries of 512 KiB each, within a
#: core's L2 cache (1 to 2 MiB on current server cores). Measured on 1M steps: ``cosine_decay`` is
#: 2.6 times faster than in one pass over the whole array and the same as in blocks of 16K; cheap
#: schedules (a linear ramp, a ``shift`` or ``per_epoch`` of one, ``noam``), whose blocks are a few
#: passes, spend a quarter of their time in each block's Python dispatch at 16K, and 15 to 25%
#: less time at 64K.
_NUMPY_BLOCK = 65536

#: Largest table that :class:`_XlaOps` handles as a comparison/select chain (see its docstring).
_XLA_CHAIN = 128

#: Largest table that :meth:`_XlaOps.searchsorted` and :meth:`_XlaOps.take` handle as chains: an
#: index array costs one comparison per entry and table to decode again, so the index-based
#: methods chain only tables of a few entries (phase tables); :meth:`Ops.locate` is the fast way.
_XLA_INDEX_CHAIN = 8

#: Namespaces with their own class, by module name (a name, not an import: the core imports no
#: framework; ``array_api_compat.is_torch_namespace`` is lru_cache-wrapped, which torch.compile rejects).
_OPS_CLASSES = {
    "numpy": _NumpyOps,
    "array_api_compat.numpy": _NumpyOps,
    "jax.numpy": _XlaOps,
    "torch": _TorchOps,
    "array_api_compat.torch": _TorchOps,
    "lrcore.backends.tf_namespace": _TfOps,
}


def ops_class(xp) -> type:
    """The :class:`Ops` class for namespace ``xp``: its own subclass, or the generic one."""
    return _OPS_CLASSES.get(getattr(xp, "__name__", None), Ops)


def _is_python_step(step) -> bool:
    return isinstance(step, (numbers.Integral, numbers.Real, list, tuple)) and not isinstance(
        step, (bool, np.bool_)
    )


def array_namespace(*arrays):
    """The array-API namespace of ``arrays`` (NumPy arrays get the namespace used for NumPy)."""
    if all(isinstance(a, (np.ndarray, np.generic)) for a in arrays):
        return _NUMPY
    return array_api_compat.array_namespace(*arrays)


def default_dtypes(xp):
    """The namespace's default (integer, real floating) dtypes."""
    defaults = xp.__array_namespace_info__().default_dtypes()
    return defaults["integral"], defaults["real floating"]


def _namespace_of(name: str, xp):
    """``xp`` as an array-API namespace: a library's own module where it is one (NumPy 2, JAX's
    ``jax.numpy``), array_api_compat's wrapper of it where that has one (``torch``: the module lacks
    the standard's ``__array_namespace_info__``), else a ``TypeError`` naming ``name``."""
    if hasattr(xp, "__array_namespace_info__"):
        return xp
    try:
        return array_api_compat.array_namespace(xp.asarray(0))
    except (AttributeError, TypeError) as exc:
        raise TypeError(
            f"Argument `{name}` must be an array-API namespace (numpy, jax.numpy, torch, "
            f"array_api_compat.<library>, ...). Received: {name}={xp!r}"
        ) from exc


def prepare(step, xp=None, float_dtype=None):
    """Turn a user's step into ``(k, ops, scalar, nan)``.

    ``k`` is the step as a clamped integer array (``0 <= k <= int_max``), ``ops`` its :class:`Ops`,
    ``scalar`` whether the step was a Python scalar (whose result is then returned as a NumPy
    float64), and ``nan`` a boolean array marking NaN steps (None for integer steps): :func:`finish`
    gives those NaN. Negative steps and ``-inf`` are step 0; ``+inf`` and steps beyond the integer
    range evaluated in (unsigned ones included) are its largest step, never wrapped around.
    """
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"Argument `step` must be an integer or an array of steps. Received: step={step!r}")
    scalar = False
    host_nan = None
    if xp is not None:
        xp = _namespace_of("xp", xp)
    if xp is None:
        if _is_python_step(step) or isinstance(step, np.generic):
            generic = isinstance(step, np.generic)
            step = host_steps(step)
            scalar = step.ndim == 0 and not generic
            xp = _NUMPY
        elif isinstance(step, np.ndarray) and _NUMPY is np:
            step = host_steps(step)
            xp = _NUMPY
        else:
            try:
                xp = array_api_compat.array_namespace(step)
            except TypeError as exc:
                raise TypeError(
                    "Argument `step` must be a Python int, a list of ints or an array-API array. "
                    f"Received: step of type {type(step).__name__}"
                ) from exc
    elif isinstance(step, (np.ndarray, np.generic)) and xp is _NUMPY:
        step = host_steps(step)
    elif _is_python_step(step) or isinstance(step, (np.ndarray, np.generic)):
        # Host steps for another namespace: converted here, where its asarray could wrap them.
        step, host_nan = host_steps_for(xp, step)
    step = xp.asarray(step)
    int_default, float_default = default_dtypes(xp)
    if float_dtype is None:
        float_dtype = float_default
    elif not isdtype(xp, float_dtype, "real floating", ml_floats=("bfloat16",)):
        raise TypeError(
            f"Argument `dtype` must be a real floating dtype (float32, float64, ...). Received: dtype={float_dtype}"
        )
    elif float_dtype != float_default and xp is not _NUMPY and _lacks_float64(xp, float_dtype):
        # JAX without x64 would compute in float32 and return float32 (warning only that it truncates).
        raise TypeError(
            f"Argument `dtype` is float64, which this namespace does not compute in (JAX has float64 "
            f"only with jax.config.update('jax_enable_x64', True)). Received: dtype={float_dtype}"
        )
    if not _is_real_numeric(xp, step.dtype):
        raise TypeError(
            "Argument `step` must hold integers or real floats (complex, bool, string and object steps "
            f"are refused). Received: step of dtype {step.dtype}"
        )
    int_dtype = _int_dtype(xp, step.dtype, int_default)
    cls = ops_class(xp)
    int_max = int(xp.iinfo(int_dtype).max)
    nan = None
    if host_nan is not None:
        nan = xp.asarray(host_nan, device=cls.placement(step))
    if xp.isdtype(step.dtype, "real floating"):
        k, nan = _float_steps(xp, step, int_dtype, int_max)
    elif xp.isdtype(step.dtype, "unsigned integer"):
        k = _unsigned_steps(xp, step, int_dtype, int_max)
    else:
        k = xp.astype(step, int_dtype) if step.dtype != int_dtype else step
        k = cls.nonnegative(xp, k)
    return k, cls(xp, int_dtype, float_dtype, cls.placement(k)), scalar, nan


def _lacks_float64(xp, dtype) -> bool:
    """Whether ``dtype`` is float64 and namespace ``xp`` does not compute in it (JAX lists float64
    only with x64 on, and would return float32). Narrower floats are not asked about: float16 and
    bfloat16 evaluations compute in float32 on every namespace."""
    try:
        if int(xp.finfo(dtype).bits) != 64:
            return False
        available = xp.__array_namespace_info__().dtypes(kind="real floating").values()
    except (AttributeError, TypeError, ValueError):  # a namespace without the inspection API: trust it
        return False
    return not any(dtype == d for d in available)


def isdtype(xp, dtype, kind, ml_floats=None) -> bool:
    """``xp.isdtype(dtype, kind)``; False where ``dtype`` is no dtype of ``xp`` (e.g. a string).

    NumPy's ``isdtype`` refuses ml_dtypes' floats (bfloat16, what JAX's bfloat16 is on the host, and
    the float8 formats), in which NumPy computes: those named in ``ml_floats`` (all by default) are
    "real floating" here. An evaluation dtype is bfloat16 alone: a bfloat16 result, like float16's,
    is the float32 one rounded once.
    """
    try:
        return bool(xp.isdtype(dtype, kind))
    except Exception:  # noqa: BLE001 - not a dtype of this namespace at all (e.g. a string)
        pass
    try:
        names = _ML_FLOATS if ml_floats is None else ml_floats
        return xp is _NUMPY and kind == "real floating" and np.dtype(dtype).name in names
    except TypeError:
        return False


def _is_real_numeric(xp, dtype) -> bool:
    try:
        return bool(xp.isdtype(dtype, ("integral", "real floating")))
    except Exception:  # noqa: BLE001 - strings, objects: no array-API dtype
        return False


def _float_steps(xp, step, int_dtype, int_max: int):
    """Floor float steps into ``[0, int_max]``: NaN marked (and computed as 0), ``+inf`` and steps
    of at least ``int_max + 1`` (a power of two, exact in every float format) are ``int_max``."""
    nan = xp.isnan(step)
    zero = xp.zeros_like(step)
    safe = xp.where(nan, zero, step)
    hi = _largest_float_at_most(int_max, xp.finfo(step.dtype))
    k = xp.astype(xp.clip(xp.floor(safe), 0.0, hi), int_dtype)
    info = xp.finfo(step.dtype)
    # 2**63 and 2**31 are exact in every float format wide enough to hold them; float16 is not.
    limit = float(int_max + 1) if float(info.max) >= int_max + 1 else math.inf
    beyond = safe >= _scalar(xp, limit, step.dtype, step)
    return xp.where(beyond, _scalar(xp, int_max, int_dtype, step), k), nan


def _unsigned_steps(xp, step, int_dtype, int_max: int):
    """Unsigned steps in the signed integer range: those past ``int_max`` are ``int_max``."""
    bits, int_bits = xp.iinfo(step.dtype).bits, xp.iinfo(int_dtype).bits
    if bits < int_bits:
        return xp.astype(step, int_dtype)
    top = _scalar(xp, int_max, int_dtype, step)
    if bits == int_bits:
        # Same width: the cast wraps exactly the steps >= 2**(bits-1) to negative values.
        k = xp.astype(step, int_dtype)
        return xp.where(k < _scalar(xp, 0, int_dtype, step), top, k)
    big = step > _scalar(xp, int_max, step.dtype, step)
    return xp.where(big, top, xp.astype(step, int_dtype))


def _scalar(xp, value, dtype, like):
    """A 0-d constant on ``like``'s device (where the namespace places constants by device)."""
    device = ops_class(xp).placement(like)
    if device is None:
        return xp.asarray(value, dtype=dtype)
    return xp.asarray(value, dtype=dtype, device=device)


def _largest_float_at_most(n: int, info) -> float:
    """The largest float of the format described by ``info`` (a ``finfo``) not above the integer ``n``."""
    precision = round(-math.log2(float(info.eps))) + 1  # significand bits, the implicit one included
    excess = n.bit_length() - precision
    x = n if excess <= 0 else (n >> excess) << excess  # n rounded down to `precision` bits
    return min(float(x), float(info.max))


def _int_dtype(xp, dtype, int_default):
    """Signed integers at least as wide as the namespace's default; anything else converts to it."""
    if xp.isdtype(dtype, "signed integer") and xp.iinfo(dtype).bits >= xp.iinfo(int_default).bits:
        return dtype
    return int_default


def host_steps_for(xp, step):
    """Python or NumPy steps for namespace ``xp`` (not NumPy): ``(steps, nan)``, a NumPy array
    ``xp.asarray`` takes without wrapping around or rounding, and where it was floored from
    floats, the mask of NaN steps (else None).

    Integers are clamped into ``xp``'s default integer range (int32 for JAX without x64, whose
    ``asarray`` wraps int64 steps past it); float32 and float64 steps for such a namespace are
    floored here into that range, exactly (its ``asarray`` would round float64 to float32: step
    2**24 + 1 became 2**24)."""
    int_default, _ = default_dtypes(xp)
    int_bits = int(xp.iinfo(int_default).bits)
    steps = host_steps(step, int_bits)
    if int_bits >= 64 or steps.dtype.kind != "f" or steps.dtype.itemsize <= 2:
        return steps, None
    nan = np.isnan(steps)
    whole = np.floor(np.where(nan, 0.0, steps).astype(np.float64))
    top = 2 ** (int_bits - 1) - 1
    ints = np.where(whole > top, top, np.clip(whole, -1, top)).astype(np.int32)
    return ints, (nan if nan.any() else None)


def host_steps(step, int_bits: int = 64):
    """Python or NumPy steps as a NumPy array a namespace can take without wrapping around.

    Integers are clamped into the signed ``int_bits`` range (unsigned and Python ints past it hold
    its largest step; lrcore.jax without x64 passes 32); other real numbers (``Fraction``,
    ``Decimal``) are floored exactly; ``bfloat16`` (an ``ml_dtypes`` type NumPy cannot compute in)
    becomes float32, exactly. Floats otherwise stay floats (NaN and infinities included).
    """
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"Argument `step` must be an integer or an array of steps. Received: step={step!r}")
    try:
        arr = np.asarray(step)
    except ValueError as exc:  # NumPy's message names neither the argument nor the value
        raise ValueError(
            "Argument `step` must be a number or a rectangular (not ragged) nesting of numbers. "
            f"Received: step={reprlib.repr(step)}"
        ) from exc
    if arr.dtype.kind in "USMm":  # strings, bytes, dates: refused here, before a framework converts them
        raise TypeError(
            "Argument `step` must hold integers or real numbers. "
            f"Received: step={reprlib.repr(step)} (of dtype {arr.dtype})"
        )
    lo, hi = -(2 ** (int_bits - 1)), 2 ** (int_bits - 1) - 1
    if arr.dtype == object:
        arr = _object_steps(arr, lo, hi, step)
    if arr.dtype.kind == "V" and arr.dtype.name in _ML_FLOATS:
        return arr.astype(np.float32)
    if arr.dtype.kind == "u":
        if arr.dtype.itemsize * 8 >= int_bits:
            arr = np.minimum(arr, np.asarray(hi, dtype=arr.dtype))
        return arr.astype(np.int64 if int_bits == 64 else np.int32)
    if arr.dtype.kind == "i" and arr.dtype.itemsize * 8 > int_bits:
        return np.clip(arr, lo, hi).astype(np.int32 if int_bits == 32 else np.int64)
    return arr


#: Narrow float formats of ``ml_dtypes`` (exact in float32).
_ML_FLOATS = ("bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3b11fnuz", "float8_e4m3fnuz", "float8_e5m2fnuz")


def _object_steps(arr, lo: int, hi: int, step):
    """An object array of Python numbers (huge ints, fractions) as int64, or float64 if any is NaN."""
    flat, nan = [], False
    for x in arr.ravel():
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.integer, np.floating)):
            raise TypeError(
                "Argument `step` must hold integers or real numbers. "
                f"Received: step={step!r} (holding {type(x).__name__})"
            )
        if isinstance(x, (numbers.Integral, np.integer)):
            flat.append(min(max(int(x), lo), hi))
        elif x != x:
            flat.append(None)
            nan = True
        elif x in (math.inf, -math.inf):
            flat.append(hi if x > 0 else lo)
        else:
            flat.append(min(max(math.floor(x), lo), hi))  # exact for Fraction and Decimal
    if nan:
        return np.asarray([math.nan if v is None else float(v) for v in flat], dtype=np.float64).reshape(arr.shape)
    return np.asarray(flat, dtype=np.int64).reshape(arr.shape)


def finish(result, scalar: bool, nan=None, ops=None):
    """NaN where the step was NaN (``nan`` from :func:`prepare`, with its ``ops``); a Python-scalar
    step gets a NumPy scalar of the evaluation's float dtype back (float64 unless a ``dtype`` was
    asked for), arrays pass through."""
    if nan is not None:
        result = ops.xp.where(nan, ops.f(math.nan), result)
    if scalar:
        return np.asarray(result)[()]
    if isinstance(result, np.generic):
        # NumPy operations on 0-d arrays give scalars; a 0-d array step gets a 0-d array back.
        return np.asarray(result)
    return result


def is_array(value) -> bool:
    """Whether ``value`` is an array (or tracer) rather than a plain Python/NumPy number."""
    return not isinstance(value, (numbers.Number, np.generic)) and hasattr(value, "dtype") and hasattr(value, "shape")


def _without_graph(value):
    """An autograd tensor's value without its graph (reading it otherwise warns); anything else as is."""
    return value.detach() if getattr(value, "requires_grad", False) is True else value


def concrete(value):
    """The float value of a 0-d array (or number), or None for a tracer (it has no value)."""
    try:
        return float(_without_graph(value))
    except Exception:  # noqa: BLE001 - tracers refuse conversion, each library with its own exception
        return None


def snapshot(value):
    """A copy of the concrete 0-d array ``value`` that nothing else holds, of the same library.

    A schedule owns its parameters: an array level is copied when the schedule is built, so that
    writing to the array later (a user, or a scheduler setting a tensor lr in place) changes
    neither the schedule's values nor its hash. Arrays the library never writes to (JAX) and
    tracers (no value yet) are kept as they are; an autograd tensor is copied without its graph.
    Libraries with an array-API namespace copy with ``asarray(copy=True)`` (a NumPy copy is made
    read-only); others (TensorFlow and Keras tensors and variables) become a read-only NumPy copy,
    which every adapter's namespace reads: torch cannot convert a TensorFlow variable, and failed at
    the first evaluation. A bfloat16 level of any library becomes a float32 NumPy one.
    """
    x = concrete(value)
    if x is None:
        return value
    if dtype_name(value) in _ML_FLOATS:
        # bfloat16 (or a float8 format) of any library, as float32, exactly: libraries do not read
        # each other's (torch neither NumPy's nor JAX's, NumPy not torch's, TensorFlow's 0-d
        # tensor gives NumPy a scalar).
        value = np.asarray(x, dtype=np.float32)
    if isinstance(value, np.ndarray):
        out = np.array(value, copy=True)
        out.flags.writeable = False
        return out
    try:
        xp = array_api_compat.array_namespace(value)
    except TypeError:
        out = np.array(np.asarray(value), copy=True)
        out.flags.writeable = False
        return out
    if not array_api_compat.is_writeable_array(value):
        return value
    return xp.asarray(_without_graph(value), copy=True)


def dtype_name(value) -> str:
    """An array's dtype as the name every library spells the same way (``float32``, ``bfloat16``):
    NumPy and JAX ``dtype.name``, TensorFlow ``DType.name``, torch ``torch.float32``."""
    name = getattr(value.dtype, "name", None)
    return name if isinstance(name, str) else str(value.dtype).rsplit(".", 1)[-1]


def array_key(value):
    """What identifies an array level: its library, dtype and exact value; a tracer by identity.

    Two array levels are the same parameter when this is equal (``0.1`` in float32 is not ``0.1``
    in float64, nor the Python float ``0.1``, and evaluates differently).
    """
    x = concrete(value)  # with its sign: -0.0 is not 0.0 (it gives other bits)
    if x is None:
        return ("traced", id(value))
    return ("array", type(value).__module__.split(".")[0], dtype_name(value), x, math.copysign(1.0, x))
