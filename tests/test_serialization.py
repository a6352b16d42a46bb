"""to_dict / from_dict and pickle round trips rebuild equal schedules with identical values."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings

import lrcore

from . import strategies as S

STEPS = np.concatenate([np.arange(-2, 140), [2**31 - 1, 2**62, 2**63 - 1]])


def _assert_same_schedule(a, b):
    assert a == b and hash(a) == hash(b)
    assert np.array_equal(a(STEPS).view(np.int64), b(STEPS).view(np.int64))


@settings(max_examples=40)
@given(S.schedules())
def test_to_dict_json_round_trip(s):
    d = s.to_dict()
    text = json.dumps(d, allow_nan=False)  # JSON-safe: no NaN/inf, no objects
    rebuilt = lrcore.from_dict(json.loads(text))
    _assert_same_schedule(rebuilt, s)
    assert rebuilt.to_dict() == d


@settings(max_examples=40)
@given(S.schedules())
def test_pickle_round_trip(s):
    _assert_same_schedule(pickle.loads(pickle.dumps(s)), s)


def test_to_dict_shape_is_nested():
    inner = lrcore.cosine_decay(1.0, decay_steps=10)
    d = lrcore.join([lrcore.warmup(inner, 5), lrcore.constant(0.1)], [15]).to_dict()
    assert d["name"] == "join" and set(d) == {"name", "params"}
    assert d["params"]["boundaries"] == [15]
    assert d["params"]["schedules"][0] == {
        "name": "warmup",
        "params": {"schedule": inner.to_dict(), "warmup_steps": 5, "init_value": 0.0},
    }


def test_optional_parameters_may_be_omitted():
    s = lrcore.from_dict({"name": "cosine_restart", "params": {"peak_value": 1.0, "first_period": 10}})
    assert s == lrcore.cosine_restart(peak_value=1.0, first_period=10)
    assert lrcore.from_dict({"name": "constant", "params": {"value": 0.5}}) == lrcore.constant(0.5)
    w = lrcore.from_dict({"name": "warmup", "params": {"schedule": {"name": "constant", "params": {"value": 1.0}}, "warmup_steps": 3}})
    assert w == lrcore.warmup(lrcore.constant(1.0), 3)


@pytest.mark.parametrize(
    "d, exc, names",
    [
        ({"name": "cosine_decy", "params": {}}, ValueError, ["cosine_decy"]),
        ({"name": "cosine_decay", "params": {"init_value": 1.0, "decay_steps": 10, "alpha": 0.1}}, ValueError, ["alpha"]),
        ({"name": "cosine_decay", "params": {"init_value": 1.0}}, ValueError, ["decay_steps"]),
        ({"name": "linear", "params": {"init_value": 1.0}}, ValueError, ["end_value", "transition_steps"]),
        ({"name": "cosine_decay", "params": {"init_value": 1.0, "decay_steps": 0}}, ValueError, ["decay_steps"]),
        ({"name": "join", "params": {"schedules": [{"name": "nope", "params": {}}], "boundaries": []}}, ValueError, ["nope"]),
        (
            {"name": "warmup", "params": {"schedule": {"name": "constant", "params": {"v": 1}}, "warmup_steps": 1}},
            ValueError,
            ["v"],
        ),
        ({"name": "constant", "params": {"value": 1.0}, "extra": 1}, ValueError, ["extra"]),
        ({"params": {"value": 1.0}}, ValueError, ["name"]),
        ("constant", TypeError, ["str"]),
    ],
)
def test_from_dict_errors_name_the_problem(d, exc, names):
    with pytest.raises(exc) as info:
        lrcore.from_dict(d)
    for name in names:
        assert name in str(info.value), str(info.value)
