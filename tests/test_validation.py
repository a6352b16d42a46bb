"""Every bad argument raises ValueError (bad value) or TypeError (bad type) naming the parameter and
showing the value received; Schedule values are immutable and hashable."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import lrcore

NAN, INF = float("nan"), float("inf")
C = lrcore.constant(1.0)

# Valid baseline arguments per schedule; each bad case overrides some of them.
BASE = {
    "constant": dict(value=0.1),
    "linear": dict(init_value=0.0, end_value=1.0, transition_steps=10),
    "exponential_decay": dict(init_value=1.0, decay_steps=10, decay_rate=0.5),
    "piecewise_constant": dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
    "piecewise_linear": dict(boundaries=[0, 10], values=[0.0, 1.0]),
    "polynomial_decay": dict(init_value=1.0, end_value=0.0, decay_steps=10),
    "inverse_time_decay": dict(init_value=1.0, decay_steps=10, decay_rate=0.5),
    "cosine_decay": dict(init_value=1.0, decay_steps=10),
    "warmup_cosine_decay": dict(init_value=0.0, peak_value=1.0, warmup_steps=5, decay_steps=20),
    "cosine_restart": dict(peak_value=1.0, first_period=10),
    "onecycle": dict(peak_value=1.0, total_steps=100),
    "cyclic": dict(base_value=0.0, max_value=1.0, step_size_up=10),
    "inverse_sqrt": dict(peak_value=1.0, warmup_steps=10),
    "warmup_stable_decay": dict(peak_value=1.0, warmup_steps=10, stable_steps=10, decay_steps=10),
    "ema_decay": dict(decay=0.99),
    "join": dict(schedules=[C, C], boundaries=[5]),
    "warmup": dict(schedule=C, warmup_steps=5),
    "scale": dict(schedule=C, factor=2.0),
    "clip": dict(schedule=C, min_value=0.0),
}

LEVELS = {
    "constant": ["value"],
    "linear": ["init_value", "end_value"],
    "exponential_decay": ["init_value"],
    "polynomial_decay": ["init_value", "end_value"],
    "inverse_time_decay": ["init_value"],
    "cosine_decay": ["init_value", "end_value"],
    "warmup_cosine_decay": ["init_value", "peak_value", "end_value"],
    "cosine_restart": ["peak_value", "end_value"],
    "onecycle": ["peak_value"],
    "cyclic": ["base_value", "max_value"],
    "inverse_sqrt": ["peak_value"],
    "warmup_stable_decay": ["peak_value", "end_value", "init_value"],
    "ema_decay": ["decay"],
    "warmup": ["init_value"],
    "scale": ["factor"],
    "clip": ["min_value"],
}
LENGTHS = {  # lengths >= 1
    "linear": ["transition_steps"],
    "exponential_decay": ["decay_steps"],
    "polynomial_decay": ["decay_steps"],
    "inverse_time_decay": ["decay_steps"],
    "cosine_decay": ["decay_steps"],
    "warmup_cosine_decay": ["decay_steps"],
    "cosine_restart": ["first_period"],
    "onecycle": ["total_steps"],
    "cyclic": ["step_size_up", "step_size_down"],
    "inverse_sqrt": ["timescale"],
    "warmup_stable_decay": ["decay_steps"],
}
PHASES = {  # lengths >= 0
    "linear": ["transition_begin"],
    "exponential_decay": ["transition_begin"],
    "polynomial_decay": ["transition_begin"],
    "warmup_cosine_decay": ["warmup_steps"],
    "cosine_restart": ["warmup_steps"],
    "inverse_sqrt": ["warmup_steps"],
    "warmup_stable_decay": ["warmup_steps", "stable_steps"],
    "warmup": ["warmup_steps"],
}
FLAGS = {
    "exponential_decay": ["staircase"],
    "polynomial_decay": ["cycle"],
    "inverse_time_decay": ["staircase"],
    "onecycle": ["three_phase"],
}
CHOICES = {
    "onecycle": ["anneal"],
    "cyclic": ["mode"],
    "warmup_stable_decay": ["warmup_shape", "decay_shape"],
}


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


SPECIFIC = [
    # boundaries: order, sign, type, and matching lengths
    ("piecewise_constant", {"boundaries": [20, 10]}, ValueError, "boundaries", [20, 10]),
    ("piecewise_constant", {"boundaries": [10, 10]}, ValueError, "boundaries", [10, 10]),
    ("piecewise_constant", {"boundaries": [-1, 10]}, ValueError, "boundaries[0]", -1),
    ("piecewise_constant", {"boundaries": [1.5, 10]}, ValueError, "boundaries[0]", 1.5),
    ("piecewise_constant", {"boundaries": [True, 10]}, TypeError, "boundaries[0]", True),
    ("piecewise_constant", {"boundaries": "10"}, TypeError, "boundaries", "10"),
    ("piecewise_constant", {"boundaries": 10}, TypeError, "boundaries", 10),
    ("piecewise_constant", {"values": [1.0, 0.5]}, ValueError, "values", [1.0, 0.5]),
    ("piecewise_constant", {"values": [1.0, NAN, 0.1]}, ValueError, "values[1]", NAN),
    ("piecewise_constant", {"values": [1.0, "x", 0.1]}, TypeError, "values[1]", "x"),
    ("piecewise_linear", {"boundaries": [10, 0]}, ValueError, "boundaries", [10, 0]),
    ("piecewise_linear", {"boundaries": [5, 5]}, ValueError, "boundaries", [5, 5]),
    ("piecewise_linear", {"boundaries": [-5, 5]}, ValueError, "boundaries[0]", -5),
    ("piecewise_linear", {"values": [0.0]}, ValueError, "values", [0.0]),
    ("piecewise_linear", {"values": [0.0, INF]}, ValueError, "values[1]", INF),
    ("piecewise_linear", {"boundaries": [], "values": []}, ValueError, "boundaries", []),
    ("join", {"boundaries": [5, 3], "schedules": [C, C, C]}, ValueError, "boundaries", [5, 3]),
    ("join", {"boundaries": [-5]}, ValueError, "boundaries[0]", -5),
    ("join", {"boundaries": [2.5]}, ValueError, "boundaries[0]", 2.5),
    ("join", {"boundaries": [5, 6]}, ValueError, "schedules", [C, C]),
    ("join", {"schedules": [C, 0.1]}, TypeError, "schedules[1]", 0.1),
    ("join", {"schedules": C}, TypeError, "schedules", C),
    ("join", {"schedules": "constant"}, TypeError, "schedules", "constant"),
    ("warmup", {"schedule": 0.1}, TypeError, "schedule", 0.1),
    ("warmup", {"schedule": "constant"}, TypeError, "schedule", "constant"),
    ("scale", {"schedule": lambda k: 0.1}, TypeError, "schedule", None),
    ("clip", {"schedule": None}, TypeError, "schedule", None),
    # cross-parameter constraints
    ("warmup_cosine_decay", {"warmup_steps": 20, "decay_steps": 20}, ValueError, "decay_steps", 20),
    ("warmup_cosine_decay", {"warmup_steps": 30, "decay_steps": 20}, ValueError, "decay_steps", 20),
    ("cosine_restart", {"warmup_steps": 10}, ValueError, "warmup_steps", 10),
    ("cosine_restart", {"warmup_steps": 11}, ValueError, "warmup_steps", 11),
    ("cosine_restart", {"period_mul": 0.5}, ValueError, "period_mul", 0.5),
    ("cosine_restart", {"period_mul": NAN}, ValueError, "period_mul", NAN),
    ("cosine_restart", {"period_mul": 1.0 + 1e-9}, ValueError, "period_mul", 1.0 + 1e-9),
    ("cosine_restart", {"period_mul": "2"}, TypeError, "period_mul", "2"),
    ("cosine_restart", {"peak_mul": 0.0}, ValueError, "peak_mul", 0.0),
    ("cosine_restart", {"peak_mul": 1.5}, ValueError, "peak_mul", 1.5),
    ("cosine_restart", {"peak_mul": True}, TypeError, "peak_mul", True),
    ("onecycle", {"pct_start": -0.1}, ValueError, "pct_start", -0.1),
    ("onecycle", {"pct_start": 1.1}, ValueError, "pct_start", 1.1),
    ("onecycle", {"pct_start": NAN}, ValueError, "pct_start", NAN),
    ("onecycle", {"div_factor": 0.0}, ValueError, "div_factor", 0.0),
    ("onecycle", {"final_div_factor": -1.0}, ValueError, "final_div_factor", -1.0),
    ("onecycle", {"div_factor": INF}, ValueError, "div_factor", INF),
    ("cyclic", {"mode": "exp_range", "gamma": 0.0}, ValueError, "gamma", 0.0),
    ("cyclic", {"mode": "exp_range", "gamma": 1.5}, ValueError, "gamma", 1.5),
    ("cyclic", {"mode": "triangular", "gamma": 0.9}, ValueError, "gamma", 0.9),
    ("cyclic", {"mode": "exp_range", "gamma": "0.9"}, TypeError, "gamma", "0.9"),
    ("exponential_decay", {"decay_rate": 0.0}, ValueError, "decay_rate", 0.0),
    ("exponential_decay", {"decay_rate": -0.5}, ValueError, "decay_rate", -0.5),
    ("exponential_decay", {"decay_rate": NAN}, ValueError, "decay_rate", NAN),
    ("exponential_decay", {"decay_rate": 2.0}, ValueError, "end_value", None),
    ("exponential_decay", {"decay_rate": 0.5, "end_value": 2.0}, ValueError, "end_value", 2.0),
    ("exponential_decay", {"decay_rate": 2.0, "end_value": 0.5}, ValueError, "end_value", 0.5),
    ("exponential_decay", {"decay_rate": 2.0, "end_value": 1.0, "init_value": -1.0}, ValueError, "init_value", -1.0),
    ("exponential_decay", {"end_value": NAN}, ValueError, "end_value", NAN),
    ("inverse_time_decay", {"decay_rate": -1.0}, ValueError, "decay_rate", -1.0),
    ("inverse_time_decay", {"decay_rate": INF}, ValueError, "decay_rate", INF),
    ("polynomial_decay", {"power": -1.0}, ValueError, "power", -1.0),
    ("polynomial_decay", {"power": NAN}, ValueError, "power", NAN),
    ("cosine_decay", {"exponent": 0.0}, ValueError, "exponent", 0.0),
    ("warmup_cosine_decay", {"exponent": -1.0}, ValueError, "exponent", -1.0),
    ("ema_decay", {"decay": 1.5}, ValueError, "decay", 1.5),
    ("ema_decay", {"decay": -0.1}, ValueError, "decay", -0.1),
    ("clip", {"min_value": None}, ValueError, "min_value", None),
    ("clip", {"min_value": 0.5, "max_value": 0.1}, ValueError, "min_value", 0.5),
    ("clip", {"max_value": NAN}, ValueError, "max_value", NAN),
    ("clip", {"max_value": "1"}, TypeError, "max_value", "1"),
    # unordered collections: a set iterates in a different order in each process
    ("join", {"schedules": {C, lrcore.constant(2.0)}}, TypeError, "schedules", None),
    ("join", {"schedules": frozenset({C, lrcore.constant(2.0)})}, TypeError, "schedules", None),
    ("join", {"boundaries": {5}}, TypeError, "boundaries", {5}),
    ("join", {"schedules": {"a": C, "b": C}}, TypeError, "schedules", None),
    ("piecewise_constant", {"boundaries": {20, 10}}, TypeError, "boundaries", None),
    ("piecewise_constant", {"values": {1.0, 0.5, 0.1}}, TypeError, "values", None),
    ("piecewise_linear", {"values": {0.0: 1, 1.0: 2}.keys()}, TypeError, "values", None),
    # levels: only real numbers (NumPy complex and string scalars are not), within float range
    ("constant", {"value": np.complex128(1)}, TypeError, "value", np.complex128(1)),
    ("constant", {"value": np.str_("0.1")}, TypeError, "value", np.str_("0.1")),
    ("constant", {"value": np.bytes_(b"1")}, TypeError, "value", np.bytes_(b"1")),
    ("constant", {"value": np.datetime64(1, "s")}, TypeError, "value", np.datetime64(1, "s")),
    ("constant", {"value": 10**400}, ValueError, "value", None),
    ("constant", {"value": -(10**400)}, ValueError, "value", None),
    ("warmup_cosine_decay", {"peak_value": 10**400}, ValueError, "peak_value", None),
    ("piecewise_constant", {"values": [1.0, 10**400, 0.1]}, ValueError, "values[1]", None),
    ("cosine_restart", {"period_mul": np.complex64(2)}, TypeError, "period_mul", None),
    ("onecycle", {"div_factor": 10**400}, ValueError, "div_factor", None),
]

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


@pytest.mark.parametrize("adapter", ["torch", "jax", "tf"])
def test_adapter_array_levels_must_be_real(adapter):
    """The adapters accept 0-d arrays as levels, but only real-valued ones (as the core's numbers)."""
    if adapter == "torch":
        import torch

        import lrcore.torch as lt

        factory, bad = lt.constant, [torch.tensor(1 + 0j), torch.tensor(True)]
        ok = torch.tensor(0.5)
    elif adapter == "jax":
        import jax.numpy as jnp

        import lrcore.jax as lj

        factory, bad = lj.constant, [jnp.asarray(1 + 0j), jnp.asarray(True)]
        ok = jnp.asarray(0.5)
    else:
        import tensorflow as tf

        import lrcore.tf as ltf

        factory, bad = ltf.constant, [tf.constant(1 + 0j), tf.constant(True), tf.constant("0.5")]
        ok = tf.Variable(0.5)
    for value in bad:
        with pytest.raises(TypeError, match="`value` must be a real number"):
            factory(value)
    assert float(factory(ok)(3)) == 0.5


def _nest(depth):
    """A schedule whose combinators nest ``depth`` levels deep (every combinator in turn)."""
    s = lrcore.cosine_decay(1.0, 50)
    wrap = [
        lambda s: lrcore.warmup(s, 3, init_value=0.1),
        lambda s: lrcore.join([s, lrcore.constant(0.5)], [7]),
        lambda s: lrcore.clip(s, 0.0, 2.0),
        lambda s: s * 0.99,
    ]
    for i in range(depth - 1):
        s = wrap[i % 4](s)
    return s


@pytest.mark.parametrize("depth", [300, 600])
@pytest.mark.parametrize("kind", ["scale", "warmup", "join", "clip"])
def test_too_deep_nesting_is_refused_at_construction(depth, kind):
    """Building ``depth`` levels stops at MAX_DEPTH + 1 with a ValueError naming the child parameter:
    a too-deep schedule never exists, so nothing fails later with a RecursionError."""
    build = {
        "scale": lambda s: lrcore.scale(s, 2.0),
        "warmup": lambda s: lrcore.warmup(s, 5),
        "join": lambda s: lrcore.join([lrcore.constant(1.0), s], [3]),
        "clip": lambda s: lrcore.clip(s, max_value=1.0),
    }[kind]
    param = "schedules" if kind == "join" else "schedule"
    s, built = lrcore.constant(1.0), 1
    with pytest.raises(ValueError, match=f"`{param}` nests combinators {lrcore.schedule.MAX_DEPTH + 1} deep"):
        while built < depth:
            s = build(s)
            built += 1
    assert built == lrcore.schedule.MAX_DEPTH


def test_deepest_nesting_works_everywhere():
    """At MAX_DEPTH levels: evaluation (also under jit and on torch), repr, ==, hash, pickle, JSON."""
    import json

    import jax
    import jax.numpy as jnp
    import torch

    import lrcore.jax as lj
    import lrcore.torch as lt

    s = _nest(lrcore.schedule.MAX_DEPTH)
    steps = np.arange(200)
    values = s(steps)
    # Independent reference: the same nesting evaluated one step at a time by a plain loop.
    def reference(k, depth):
        if depth == 1:
            k = min(k, 50)
            return 0.5 * (1 + np.cos(np.pi * k / 50))
        i = (depth - 2) % 4
        if i == 0:  # warmup(s, 3, 0.1)
            return 0.1 + (reference(0, depth - 1) - 0.1) * k / 3 if k < 3 else reference(k - 3, depth - 1)
        if i == 1:  # join([s, 0.5], [7])
            return reference(k, depth - 1) if k < 7 else 0.5
        if i == 2:
            return min(max(reference(k, depth - 1), 0.0), 2.0)
        return 0.99 * reference(k, depth - 1)

    np.testing.assert_allclose(values, [reference(int(k), lrcore.schedule.MAX_DEPTH) for k in steps], rtol=1e-12)
    np.testing.assert_array_equal(values, [s(int(k)) for k in steps])
    jitted = np.asarray(jax.jit(lj.from_schedule(s))(jnp.asarray(steps)))
    np.testing.assert_allclose(jitted, values, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(lt.from_schedule(s)(torch.asarray(steps)).numpy(), values, rtol=1e-5, atol=1e-7)
    copy = _nest(lrcore.schedule.MAX_DEPTH)
    assert copy == s and hash(copy) == hash(s) and repr(copy) == repr(s)
    assert repr(s).count("warmup(") == 25
    assert pickle.loads(pickle.dumps(s)) == s
    assert lrcore.from_dict(json.loads(json.dumps(s.to_dict()))) == s
