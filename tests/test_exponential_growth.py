"""exponential_decay with decay_rate > 1: a growth bounded by end_value, finite at every step."""

import math

import numpy as np
import pytest

import lrcore
from tests.helpers import assert_ulp_close


def test_growth_needs_a_ceiling_and_a_nonnegative_start():
    with pytest.raises(ValueError, match="`end_value`"):
        lrcore.exponential_decay(1e-3, decay_steps=10, decay_rate=2.0)
    with pytest.raises(ValueError, match="`init_value`.*init_value=-1.0"):
        lrcore.exponential_decay(-1.0, decay_steps=10, decay_rate=2.0, end_value=1.0)


@pytest.mark.parametrize("init_value", [0.0, 1e-7, 0.5])
def test_growth_is_capped_at_the_ceiling_at_every_magnitude(backend, init_value):
    s = lrcore.exponential_decay(init_value, decay_steps=3, decay_rate=1.5, end_value=1.0)
    steps = np.array([0, 1, 2, 3, 10, 100, 10_000, backend.max_step])
    got = backend.evaluate(s, steps)
    # Plain-float reference: min(init · 1.5**(k/3), 1), compared in log space (log 1 = 0).
    want = [
        0.0 if init_value == 0.0 else math.exp(min(math.log(init_value) + (k / 3) * math.log(1.5), 0.0))
        for k in steps.tolist()
    ]
    # The precision promise: 4 ulp of the schedule's largest value (the ceiling, 1.0).
    assert_ulp_close(got, want, backend.bits, scale=1.0)
