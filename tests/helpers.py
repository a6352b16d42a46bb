"""Shared test helpers: the ulp tolerance of the precision promise, for lrcore against the exact
reference, against another backend, or against a peer library."""

from __future__ import annotations

import numpy as np

MANTISSA = {32: 23, 64: 52}


def ulp_bound(want, bits: int, ulps: float = 4.0, scale=None) -> float:
    """The promise: |error| <= ulps · 2^-mantissa · max|value| (max over the schedule's values)."""
    scale = float(np.max(np.abs(want))) if scale is None else float(scale)
    return ulps * 2.0 ** -MANTISSA[bits] * max(scale, np.finfo(np.float64).tiny)


def assert_ulp_close(got, want, bits: int, ulps: float = 4.0, scale=None, context=""):
    """``|got - want| <= ulps · 2^-mantissa(bits) · max|want|`` elementwise, with a useful message.

    ``bits`` is the float width of the *less precise* side of the comparison (lrcore's float32
    results, or a peer's own arithmetic), so ``ulps`` counts that side's rounding steps.
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape} {context}"
    assert np.all(np.isfinite(got)) and np.all(np.isfinite(want)), f"non-finite values {context}"
    bound = ulp_bound(want, bits, ulps, scale)
    err = np.abs(got - want)
    worst = int(np.argmax(err)) if err.size else 0
    assert np.all(err <= bound), (
        f"max error {err.max():.3e} > bound {bound:.3e} ({ulps} ulp, {bits}-bit) at flat index {worst}: "
        f"got {got.ravel()[worst]!r}, want {want.ravel()[worst]!r} {context}"
    )


def cheap_formulas_used(schedule, dtype=np.float64) -> list:
    """The cheap formulas (``ramp``, ``square_ramp``, ``cos_ramp``) ``schedule`` evaluates with on
    NumPy, in order: its code path, read off the Ops calls."""
    from lrcore import _array

    calls = []

    class Spy(_array._NumpyOps):
        __slots__ = ()

        def ramp(self, *a, **kw):
            calls.append("ramp")
            return super().ramp(*a, **kw)

        def square_ramp(self, *a, **kw):
            calls.append("square_ramp")
            return super().square_ramp(*a, **kw)

        def cos_ramp(self, *a, **kw):
            calls.append("cos_ramp")
            return super().cos_ramp(*a, **kw)

    schedule.evaluate_with(np.arange(4, dtype=np.int64), Spy(np, np.int64, dtype))
    return calls
