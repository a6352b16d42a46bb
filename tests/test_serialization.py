"""to_dict / from_dict and pickle round trips rebuild equal schedules with identical values."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings

import lrcore

from . import examples
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


@pytest.mark.parametrize("case", examples.examples(), ids=[examples.case_id(c[0]) for c in examples.examples()])
def test_every_configuration_round_trips(case):
    """Each configuration of the tests' table through JSON and pickle: equal, with identical values."""
    _, s, _ = case
    d = s.to_dict()
    rebuilt = lrcore.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    _assert_same_schedule(rebuilt, s)
    assert rebuilt.to_dict() == d
    _assert_same_schedule(pickle.loads(pickle.dumps(s)), s)


def test_to_dict_shape_is_nested():
    inner = lrcore.cosine_decay(1.0, decay_steps=10)
    d = lrcore.join([lrcore.warmup(inner, 5), lrcore.constant(0.1)], [15]).to_dict()
    assert d["name"] == "join" and set(d) == {"name", "params"}
    assert d["params"]["boundaries"] == [15]
    assert d["params"]["schedules"][0] == {
        "name": "warmup",
        "params": {"schedule": inner.to_dict(), "warmup_steps": 5, "init_value": 0.0, "delay": True},
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


# -- adapter schedules with array levels ---------------------------------------------------------
def _array_level_schedules(adapter):
    """Adapter schedules whose levels are 0-d arrays of the framework, and the array type."""
    if adapter == "torch":
        import torch

        import lrcore.torch as lt

        a, b = torch.tensor(0.5), torch.tensor(0.01, dtype=torch.float64)
        return lt, torch.asarray, [
            lt.cosine_decay(a, 100, end_value=b),
            lt.piecewise_constant([10, 20], [a, b, 0.1]),
            lt.from_schedule(lrcore.warmup(lt.constant(a).schedule, 5)),
        ]
    import jax.numpy as jnp

    import lrcore.jax as lj

    a, b = jnp.asarray(0.5), jnp.asarray(0.01, dtype=jnp.float32)
    return lj, jnp.asarray, [
        lj.cosine_decay(a, 100, end_value=b),
        lj.piecewise_constant([10, 20], [a, b, 0.1]),
        lj.from_schedule(lrcore.warmup(lj.constant(a).schedule, 5)),
    ]


@pytest.mark.parametrize("adapter", ["torch", "jax"])
def test_pickle_round_trip_with_array_levels(adapter):
    """A checkpoint that saves also loads: the array levels come back as the same arrays."""
    _, asarray, schedules = _array_level_schedules(adapter)
    steps = asarray(np.arange(0, 130))
    for s in schedules:
        rebuilt = pickle.loads(pickle.dumps(s))
        assert type(rebuilt) is type(s)
        assert rebuilt.schedule == s.schedule and hash(rebuilt.schedule) == hash(s.schedule)
        assert np.array_equal(np.asarray(rebuilt(steps)).view(np.int32), np.asarray(s(steps)).view(np.int32))
        # the core schedule inside pickles on its own too
        assert pickle.loads(pickle.dumps(s.schedule)) == s.schedule


@pytest.mark.parametrize("adapter", ["torch", "jax"])
def test_to_dict_with_array_levels_refuses_naming_the_parameter(adapter):
    """JSON has no arrays: to_dict refuses at once, naming the parameter (never a dict that cannot load)."""
    _, _, schedules = _array_level_schedules(adapter)
    for s, param in zip(schedules, ["init_value", "values", "value"]):
        with pytest.raises(TypeError, match=f"`{param}`"):
            s.schedule.to_dict()


def test_pickle_of_a_traced_level_refuses_naming_the_parameter():
    """A schedule built inside jit/grad holds tracers: saving it refuses at once, naming the level."""
    import jax

    import lrcore.jax as lj

    def save(peak):
        pickle.dumps(lj.warmup_cosine_decay(0.0, peak, 10, 100))
        return peak

    for transform in (jax.jit, jax.grad):
        with pytest.raises(TypeError, match="`peak_value`.*cannot be saved"):
            transform(save)(1.0)


def test_join_of_a_set_is_refused():
    """A set's order differs between processes (hash randomization): join refuses it."""
    with pytest.raises(TypeError, match="`schedules`"):
        lrcore.join({lrcore.constant(1.0), lrcore.constant(2.0)}, [5])
