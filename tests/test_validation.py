"""Every bad argument raises ValueError (bad value) or TypeError (bad type) naming the parameter and
showing the value received; Schedule values are immutable and hashable."""

from __future__ import annotations

import pickle

import pytest

import lrcore
from tests import examples

NAN, INF = float("nan"), float("inf")
C = lrcore.constant(1.0)

# Per schedule, from the tests' table: valid baseline arguments (each bad case overrides some of
# them), the parameters following the uniform rules, and the schedule's specific bad cases.
BASE = {name: entry.valid for name, entry in examples.TABLE.items()}
LEVELS = {name: entry.levels for name, entry in examples.TABLE.items() if entry.levels}
LENGTHS = {name: entry.lengths for name, entry in examples.TABLE.items() if entry.lengths}  # lengths >= 1
PHASES = {name: entry.phases for name, entry in examples.TABLE.items() if entry.phases}  # lengths >= 0
FLAGS = {name: entry.flags for name, entry in examples.TABLE.items() if entry.flags}
CHOICES = {name: entry.choices for name, entry in examples.TABLE.items() if entry.choices}


def _generated_cases():
    """(name, overrides, exception, parameter named, value shown) for the uniform rules."""
    for name, params in LEVELS.items():
        for p in params:
            yield name, {p: NAN}, ValueError, p, NAN
            yield name, {p: INF}, ValueError, p, INF
            yield name, {p: -INF}, ValueError, p, -INF
            yield name, {p: True}, TypeError, p, True
            yield name, {p: "0.1"}, TypeError, p, "0.1"
            yield name, {p: [0.1]}, TypeError, p, [0.1]
    for name, params in LENGTHS.items():
        for p in params:
            for bad in (0, -3):
                extra = {"warmup_steps": 0} if name == "warmup_cosine_decay" else {}
                yield name, {p: bad, **extra}, ValueError, p, bad
            yield name, {p: 2.5}, ValueError, p, 2.5
            yield name, {p: NAN}, ValueError, p, NAN
            yield name, {p: INF}, ValueError, p, INF
            yield name, {p: True}, TypeError, p, True
            yield name, {p: "10"}, TypeError, p, "10"
    for name, params in PHASES.items():
        for p in params:
            yield name, {p: -1}, ValueError, p, -1
            yield name, {p: 2.5}, ValueError, p, 2.5
            yield name, {p: False}, TypeError, p, False
            yield name, {p: "5"}, TypeError, p, "5"
    for name, params in FLAGS.items():
        for p in params:
            yield name, {p: 1}, TypeError, p, 1
            yield name, {p: "yes"}, TypeError, p, "yes"
    for name, params in CHOICES.items():
        for p in params:
            yield name, {p: "bogus"}, ValueError, p, "bogus"
            yield name, {p: 3}, TypeError, p, 3


SPECIFIC = [(name, *case) for name, entry in examples.TABLE.items() for case in entry.bad]

CASES = list(_generated_cases()) + SPECIFIC


def _case_id(case):
    name, overrides, exc, param, _ = case
    return f"{name}-{param}-{exc.__name__}-" + ",".join(f"{k}={v!r}" for k, v in overrides.items())[:40]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_bad_argument_raises_naming_it(case):
    name, overrides, exc, param, shown = case
    kwargs = {**BASE[name], **overrides}
    with pytest.raises(exc) as info:
        getattr(lrcore, name)(**kwargs)
    assert type(info.value) is exc  # not a subclass surprise (e.g. OverflowError)
    message = str(info.value)
    assert f"`{param}`" in message or f"{param}=" in message, message
    if shown is not None or overrides.get(param, 0) is None:
        assert repr(shown) in message, message


def test_every_schedule_has_cases():
    assert {c[0] for c in CASES} == set(lrcore.SCHEDULES)


def test_valid_edge_arguments_are_accepted():
    # Duplicate boundaries are legal for join; integral floats are lengths; phases may be 0.
    lrcore.join([C, C, C], [5, 5])
    lrcore.linear(0.0, 1.0, transition_steps=10.0, transition_begin=0)
    lrcore.cosine_restart(1.0, first_period=1e3, warmup_steps=999)
    lrcore.warmup_cosine_decay(0.0, 1.0, warmup_steps=0, decay_steps=1)
    lrcore.onecycle(1.0, total_steps=1, pct_start=0.0)
    lrcore.onecycle(1.0, total_steps=1, pct_start=1.0)
    lrcore.clip(C, max_value=1.0)
    lrcore.exponential_decay(0.0, 10, 2.0, end_value=1.0)


# -- the Schedule value ------------------------------------------------------------------------------


def test_schedule_is_immutable():
    s = lrcore.cosine_decay(1.0, decay_steps=10)
    with pytest.raises(AttributeError):
        s.decay_steps = 5
    with pytest.raises(AttributeError):
        s._params = {}
    with pytest.raises(AttributeError):
        del s._name
    params = s.params
    params["decay_steps"] = 5  # a copy: the schedule is unchanged
    assert s.params["decay_steps"] == 10
    assert float(s(5)) == float(lrcore.cosine_decay(1.0, decay_steps=10)(5))


def test_schedule_is_hashable_and_equal_by_value():
    a = lrcore.join([lrcore.constant(1.0), lrcore.cosine_decay(1.0, 10)], [5])
    b = lrcore.join([lrcore.constant(1.0), lrcore.cosine_decay(1.0, 10)], (5,))
    c = lrcore.join([lrcore.constant(1.0), lrcore.cosine_decay(1.0, 11)], [5])
    assert a == b and hash(a) == hash(b) and a != c
    table = {a: "a", c: "c"}
    assert table[b] == "a" and len({a, b, c}) == 2
    assert lrcore.linear(0, 1, 10) == lrcore.linear(0.0, 1.0, 10.0)  # normalized parameters
    assert hash(pickle.loads(pickle.dumps(a))) == hash(a)
    assert a != "join" and (a == object()) is False
