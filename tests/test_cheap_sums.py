"""Sums of schedules with cheap formulas (docs/numerics.md, "Sums"): a sum of n terms leaves each
term 9 - n units of the promise's 8u, so two terms take any cheap formula, three or four the ramp,
five or more the precise formulas; a term holding a scale, clip or product makes every term
precise (a - a is 0). The values are checked against mpmath at the promise, relative to the sum of
the terms' largest magnitudes."""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from tests import reference
from tests.helpers import assert_ulp_close, cheap_formulas_used


def _formulas(schedule) -> list:
    """The cheap formulas ``schedule`` evaluates with, in order (read off the Ops calls)."""
    return cheap_formulas_used(schedule)


LIN = lrcore.linear(1e-3, 0.0, 100)
SQ = lrcore.polynomial_decay(1e-3, 1e-5, 100, power=2.0)
COS = lrcore.cosine_decay(1e-3, 100, end_value=1e-5)


@pytest.mark.parametrize("schedule, want", [
    (LIN + LIN, ["ramp", "ramp"]),
    (COS + 1e-5, ["cos_ramp"]),  # a floor under a decay
    (COS + SQ, ["cos_ramp", "square_ramp"]),
    (lrcore.add([LIN, COS, LIN]), ["ramp", "ramp"]),  # three terms: 6u each, the ramp only
    (lrcore.add([LIN] * 4), ["ramp"] * 4),  # four terms: 5u each
    (lrcore.add([LIN] * 5), []),  # five terms: 4u each, no cheap formula fits
    ((COS + LIN) + 1e-5, ["ramp"]),  # the inner sum's terms: 8 - 1 - 1 = 6u
    (lrcore.add([COS]), ["cos_ramp"]),  # one term: its own values
    (COS - LIN, []),  # a scaled term: every term precise
    (COS - COS, []),
    (COS + lrcore.clip(LIN, max_value=1e-4), []),
    (COS + lrcore.join([LIN, lrcore.multiply([LIN, LIN])], [5]), []),  # a product anywhere inside
    (COS + lrcore.join([LIN, COS], [5]), ["cos_ramp", "ramp", "cos_ramp"]),
    (lrcore.warmup(COS + LIN, 10), ["cos_ramp", "ramp"] * 2),  # the warmup reads the sum at step 0 too
])
def test_the_terms_choice_follows_the_budget(schedule, want):
    assert _formulas(schedule) == want


def _largest(schedule) -> float:
    """The largest magnitude of ``schedule`` (a leaf) over its whole curve: its levels' larger."""
    p = schedule.params
    return max(abs(float(p.get(k, 0.0))) for k in ("init_value", "end_value", "peak_value", "value"))


def _terms(rng, d: int) -> list:
    """Random cheap-formula leaves of either sign, with length ``d``."""
    a = float(rng.choice([1.0, -1.0])) * 10.0 ** rng.uniform(-4, 1)
    b = a * float(rng.choice([0.0, rng.uniform(0, 1), 1.0]))
    return [
        lrcore.linear(a, b, d), lrcore.linear(b, a, d, transition_begin=int(rng.integers(0, 50))),
        lrcore.polynomial_decay(a, b, d, power=2.0), lrcore.cosine_decay(a, d, end_value=b),
        lrcore.cosine_restart(a, max(d // 3, 1), end_value=b), lrcore.constant(a),
    ]


@pytest.mark.parametrize("n", [2, 3, 4])
def test_sums_of_cheap_terms_keep_the_promise(backend, n):
    rng = np.random.default_rng(20261207 + n)
    top = 2**31 - 1 if backend.bits == 32 else 2**53
    for _ in range(10):
        d = int(rng.choice([1, 3, int(rng.integers(4, 1000)), int(rng.integers(2**24 - 5, 2**24 + 5)),
                            int(rng.integers(2**24, 2**30))]))
        pool = [t for _ in range(n) for t in _terms(rng, d)]
        terms = [pool[int(i)] for i in rng.choice(len(pool), n, replace=False)]
        s = lrcore.add(terms)
        near = [0, 1, 2, d // 4, d // 2, d - 1, d, d + 1, 2 * d]
        steps = np.unique(np.clip(np.asarray(near + list(rng.integers(0, 2 * d + 2, 30)), dtype=np.int64), 0, top))
        want = reference.values_of(s.to_dict(), steps)
        sigma = sum(_largest(t) for t in terms)
        assert_ulp_close(backend.evaluate(s, steps), want, backend.bits, ulps=4.0, scale=sigma,
                         context=f"{s!r} on {backend}")


def test_the_sums_in_the_promise_test_take_cheap_formulas():
    """The promise test above exercises cheap terms (not only precise ones) for every n."""
    rng = np.random.default_rng(1)
    assert _formulas(lrcore.add(_terms(rng, 100)[:2])) == ["ramp", "ramp"]
    assert "ramp" in _formulas(lrcore.add(_terms(rng, 100)[:4]))


def test_a_difference_with_itself_is_zero_with_cheap_terms_elsewhere(backend):
    steps = np.asarray([0, 1, 7, 50, 99, 100, 1000], dtype=np.int64)
    for a in (LIN, COS, SQ, COS + LIN, lrcore.add([LIN, LIN, LIN])):
        assert np.all(backend.evaluate(a - a, steps) == 0.0)
        assert np.all(backend.evaluate((a + COS) - (a + COS), steps) == 0.0)
