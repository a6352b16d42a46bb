"""Every schedule and combinator against the independent exact reference, on every backend.

Each parameter set is evaluated once per backend on a few hundred steps covering every landmark
(boundaries, phase ends, restarts, the last step, far beyond the end, negative steps) and compared
with ``tests.reference`` within the API's promise: 4 ulp of the schedule's largest value.
"""

from __future__ import annotations

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


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
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


def _torch_lrs(make_scheduler, steps: int) -> np.ndarray:
    """The learning rates a real torch scheduler gives at steps 0..steps-1 (Python float64 math)."""
    import torch

    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=1.0, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for i in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        if i < steps - 1:
            optimizer.step()
            scheduler.step()
    return np.array(lrs)


PEER_CASES = [c for c in CASES if c[1].name in ("onecycle", "cyclic", "onecycle_momentum", "cyclic_momentum")]


def _torch_momenta(make_scheduler, steps: int) -> np.ndarray:
    """The momenta a real torch scheduler (cycle_momentum=True) gives SGD at steps 0..steps-1."""
    import torch

    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=1.0, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    out = []
    for i in range(steps):
        out.append(optimizer.param_groups[0]["momentum"])
        if i < steps - 1:
            optimizer.step()
            scheduler.step()
    return np.array(out)


@pytest.mark.parametrize("case", PEER_CASES, ids=[c[0] for c in PEER_CASES])
def test_reference_follows_torch(case):
    """The reference's onecycle and cyclic are torch's OneCycleLR and CyclicLR (checks the reference)."""
    import torch

    schedule = case[1]
    p = schedule.params
    if schedule.name == "onecycle":
        n = p["total_steps"]
        make = lambda opt: torch.optim.lr_scheduler.OneCycleLR(  # noqa: E731
            opt, max_lr=p["peak_value"], total_steps=n, pct_start=p["pct_start"], anneal_strategy=p["anneal"],
            div_factor=p["div_factor"], final_div_factor=p["final_div_factor"], three_phase=p["three_phase"],
        )
    elif schedule.name == "cyclic":
        n = 160
        make = lambda opt: torch.optim.lr_scheduler.CyclicLR(  # noqa: E731
            opt, base_lr=p["base_value"], max_lr=p["max_value"], step_size_up=p["step_size_up"],
            step_size_down=p["step_size_down"], mode=p["mode"], gamma=p["gamma"],
        )
    elif schedule.name == "onecycle_momentum":
        n = p["total_steps"]
        make = lambda opt: torch.optim.lr_scheduler.OneCycleLR(  # noqa: E731
            opt, max_lr=1.0, total_steps=n, pct_start=p["pct_start"], anneal_strategy=p["anneal"],
            three_phase=p["three_phase"], base_momentum=p["base_momentum"], max_momentum=p["max_momentum"],
        )
    else:
        n = 160
        make = lambda opt: torch.optim.lr_scheduler.CyclicLR(  # noqa: E731
            opt, base_lr=0.1, max_lr=1.0, step_size_up=p["step_size_up"], step_size_down=p["step_size_down"],
            mode=p["mode"], gamma=p["gamma"], base_momentum=p["base_momentum"], max_momentum=p["max_momentum"],
        )
    want = (_torch_momenta if schedule.name.endswith("_momentum") else _torch_lrs)(make, n)
    got = reference.values_of(schedule.to_dict(), np.arange(n))
    assert_ulp_close(got, want, 64, ulps=64)


@pytest.mark.parametrize("case", [c for c in CASES if c[1].name == "piecewise_linear"], ids=lambda c: c[0])
def test_reference_follows_numpy_interp(case):
    p = case[1].params
    steps = np.arange(0, 200)
    want = np.interp(steps, p["boundaries"], p["values"])
    assert_ulp_close(reference.values_of(case[1].to_dict(), steps), want, 64)
