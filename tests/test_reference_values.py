"""Every schedule and combinator against the independent exact reference, on every backend.

Each parameter set is evaluated once per backend on a few hundred steps covering every landmark
(boundaries, phase ends, restarts, the last step, far beyond the end, negative steps) and compared
with ``tests.reference`` within the precision promise (docs/numerics.md): 4 ulp of the schedule's
largest value.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import lrcore
from tests import examples, reference
from tests.helpers import assert_ulp_close

# (id, schedule, landmarks): landmarks are steps whose neighbourhoods are sampled (±2).
CASES = examples.examples()


FAR = [1_000, 12_345, 10**6, 2**24 + 1, 2**31 - 1]


def sample_steps(landmarks) -> np.ndarray:
    """-5..160, each landmark ± 2, the last landmark doubled, and a few far steps."""
    steps = set(range(-5, 161)) | set(FAR)
    for b in landmarks:
        steps |= set(range(b - 2, b + 3)) | {2 * b}
    return np.array(sorted(s for s in steps), dtype=np.int64)


@pytest.mark.parametrize("case", CASES, ids=[examples.case_id(c[0]) for c in CASES])
def test_matches_reference(backend, case):
    _, schedule, landmarks = case
    steps = sample_steps(landmarks)
    steps = steps[steps <= backend.max_step]  # landmarks past int32 are for the int64 backends
    want = reference.values_of(schedule.to_dict(), steps)
    got = backend.evaluate(schedule, steps)
    assert_ulp_close(got, want, backend.bits, context=f"{schedule!r} on {backend}: steps {steps.tolist()}")
    # A negative step is step 0, bit for bit.
    negative = steps < 0
    np.testing.assert_array_equal(got[negative], np.full(int(negative.sum()), got[steps == 0][0]))


def test_every_schedule_is_covered():
    assert examples.coverage_problems() == []
    covered = {c[1].name for c in CASES}
    assert covered == set(lrcore.schedule.REGISTRY) == set(examples.TABLE)


def test_coverage_check_sees_labels_that_hide_the_schedule(monkeypatch):
    """An example label begins with its schedule's name (or the entry's short form) and is unique."""
    pc = examples.TABLE["piecewise_constant"]
    first = pc.examples[0]
    bad = dataclasses.replace(pc, examples=[*pc.examples, ("step-function", first[1], []), first])
    monkeypatch.setitem(examples.TABLE, "piecewise_constant", bad)
    assert examples.coverage_problems() == [
        "piecewise_constant: example label step-function does not begin with 'pc'",
        f"example label {first[0]} is used twice",
    ]


@pytest.mark.parametrize("case", examples.examples("piecewise_linear"), ids=lambda c: examples.case_id(c[0]))
def test_reference_follows_numpy_interp(case):
    p = case[1].params
    steps = np.arange(0, 200)
    want = np.interp(steps, p["boundaries"], p["values"])
    assert_ulp_close(reference.values_of(case[1].to_dict(), steps), want, 64)
