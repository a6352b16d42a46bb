"""Every bad argument raises ValueError (bad value) or TypeError (bad type) naming the parameter and
showing the value received; Schedule values are immutable and hashable."""

from __future__ import annotations

import math
import pickle
from decimal import Decimal
from fractions import Fraction

import numpy as np
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
                yield name, {p: bad}, ValueError, p, bad
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

# Hostile inputs, shared by every schedule: the unordered collections and the non-real or
# out-of-range numbers.
HOSTILE = [
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
    # step counts past what any step counter reaches (refused when built, not at every evaluation)
    ("linear", {"transition_steps": 10**400}, ValueError, "transition_steps", None),
    ("cosine_decay", {"decay_steps": 10**400}, ValueError, "decay_steps", None),
    ("cosine_decay", {"decay_steps": 2**63}, ValueError, "decay_steps", 2**63),
    ("warmup", {"warmup_steps": 2**64}, ValueError, "warmup_steps", 2**64),
    ("join", {"boundaries": [2**63]}, ValueError, "boundaries[0]", 2**63),
    # NumPy datetimes and timedeltas (a timedelta is a NumPy integer) are not numbers
    ("cosine_decay", {"decay_steps": np.timedelta64(5, "s")}, TypeError, "decay_steps", np.timedelta64(5, "s")),
    ("cosine_decay", {"decay_steps": np.timedelta64(5)}, TypeError, "decay_steps", np.timedelta64(5)),
    ("constant", {"value": np.timedelta64(5)}, TypeError, "value", np.timedelta64(5)),
    ("piecewise_constant", {"boundaries": [np.datetime64(1, "s")]}, TypeError, "boundaries[0]", None),
    # a 0-d (or 2-d) array where a sequence is expected
    ("piecewise_constant", {"boundaries": np.array(5)}, TypeError, "boundaries", np.array(5)),
    ("piecewise_linear", {"values": np.array(0.5)}, TypeError, "values", np.array(0.5)),
    ("join", {"boundaries": np.ones((1, 1))}, TypeError, "boundaries", None),
    ("multiply", {"schedules": np.array(C, dtype=object)}, TypeError, "schedules", None),
    # factors whose consequence leaves float64 (never an OverflowError from inside)
    ("cosine_restart", {"period_mul": 1e300}, ValueError, "period_mul", 1e300),
    ("cosine_restart", {"period_mul": 2.0**64}, ValueError, "period_mul", 2.0**64),
    ("onecycle", {"peak_value": 1e300, "div_factor": 1e-300}, ValueError, "div_factor", 1e-300),
    # cosine_decay's speed: a whole number >= 1, with decay_steps within 32-bit positions
    ("cosine_decay", {"speed": 0}, ValueError, "speed", 0),
    ("cosine_decay", {"speed": 1.5}, ValueError, "speed", 1.5),
    ("cosine_decay", {"speed": "2"}, TypeError, "speed", "2"),
    ("cosine_decay", {"speed": 3, "decay_steps": 2**30}, ValueError, "decay_steps", 2**30),
]

CASES = list(_generated_cases()) + SPECIFIC + HOSTILE


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


#: Values no schedule parameter should meet: each is accepted (and then evaluates finite or is
#: refused at evaluation, naming a parameter) or refused with a TypeError/ValueError naming the
#: parameter. Never a bare KeyError, OverflowError, AttributeError, IndexError or RuntimeWarning.
SWEEP = [
    10**400, -(10**400), 2**63, 2**64, -(2**63) - 1, 1e308, -1e308, 5e-324, INF, -INF, NAN,
    np.datetime64(1, "s"), np.timedelta64(5, "s"), np.timedelta64(5), np.array(5), np.array(0.5),
    np.array([1.0, 2.0]), np.ones((2, 2)), np.array("x"), np.array([NAN]), "5", b"5", None, True,
    np.bool_(True), 1 + 2j, object(), [], [None], ["a"], {}, set(), Fraction(10**400, 3),
    Decimal("1e400"), Decimal("nan"), Decimal("2.5"), Fraction(7, 2), np.float16(65504),
    np.float32(3e38), np.int64(-1), np.uint64(2**64 - 1), range(3), [2**70], [1.0, NAN], [[1.0]],
]


def _sweep_cases():
    import inspect

    for name in lrcore.SCHEDULES:
        for param in inspect.signature(getattr(lrcore, name)).parameters:
            yield name, param


@pytest.mark.parametrize("adapter", ["core", "numpy"])
@pytest.mark.parametrize("name, param", list(_sweep_cases()), ids=lambda x: str(x))
def test_hostile_values_are_refused_naming_the_parameter(adapter, name, param):
    import warnings

    import lrcore.numpy

    module = lrcore if adapter == "core" else lrcore.numpy
    steps = np.array([0, 1, 5, 100, 2**31 - 1, 2**62, 2**63 - 1])
    for value in SWEEP:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an overflow warning is a failure too
            try:
                s = getattr(module, name)(**{**BASE[name], param: value})
            except (TypeError, ValueError) as exc:
                assert type(exc) in (TypeError, ValueError), (value, exc)
                assert param in str(exc), (value, str(exc))
                continue
            core = getattr(s, "schedule", s)
            hash(core), repr(core)
            assert core == core
            for dtype in (np.float64, np.float32):
                try:
                    values = core.evaluate(steps, dtype=dtype)
                except ValueError as exc:
                    assert dtype is np.float32 and "float32" in str(exc) and str(exc).startswith("Argument `")
                    continue
                assert np.all(np.isfinite(values)), (value, dtype, values)


def test_from_dict_names_what_is_wrong():
    for bad in (["a"], None, 3, {"a": 1}):
        with pytest.raises(TypeError, match="'name'.*must be a str") as info:
            lrcore.from_dict({"name": bad, "params": {}})
        assert repr(bad) in str(info.value)
    with pytest.raises(TypeError, match="'params'"):
        lrcore.from_dict({"name": "constant", "params": [0.5]})
    with pytest.raises(TypeError, match="`schedule`"):
        lrcore.from_dict({"name": "warmup", "params": {"schedule": ["x"], "warmup_steps": 3}})
    # parameter names that are not strings are named too, by schedules and by the plateau rule
    for name, rebuild in (("constant", lrcore.from_dict), ("plateau", lrcore.Plateau.from_dict)):
        with pytest.raises(ValueError, match=f"Unknown parameter\\(s\\) for '{name}': 1, x"):
            rebuild({"name": name, "params": {1: 2, "x": 3}})


def test_find_lr_names_its_own_parameters():
    from lrcore.finder import find_lr

    with pytest.raises(ValueError, match="`end_value`.*start_value") as info:
        find_lr(lambda lr: 1.0, start_value=1e-300, end_value=1e300)
    assert "decay_rate" not in str(info.value)
    with pytest.raises(ValueError, match="`num_steps`"):
        find_lr(lambda lr: 1.0, num_steps=10**400)
    # A long sweep is computed as it goes: it stops at divergence without tabulating 2**40 steps.
    calls = []

    def step_fn(lr):
        calls.append(lr)
        return 1.0 if len(calls) < 10 else math.nan

    result = find_lr(step_fn, num_steps=2**40)
    assert result.diverged and len(result.lrs) == 9 and result.lrs[0] == 1e-7


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
    lrcore.exponential_decay(1e-3, 10, 2.0)  # growth without a ceiling, as TF1/Keras/optax
    lrcore.exponential_decay(-1e-3, 10, 2.0)
    lrcore.cosine_restart(1.0, first_period=10, period_mul=2.0, peak_mul=2.0)
    lrcore.cosine_restart(9.0, first_period=10, period_mul=2.0, peak_mul=4.0)  # 9·4**59 < 3.4e38 / 2
    lrcore.cosine_restart(1.0, first_period=2**60, peak_mul=2.0)  # period_mul = 1: 8 cycles in int64


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
    (param,) = lrcore.schedule.REGISTRY[kind].children  # the parameter holding the child
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


def test_cross_parameter_checks_name_every_argument_they_depend_on():
    """lrcore.validate's generic checks: the parameter, the requirement, the reason and the
    arguments the requirement depends on, all in one message; unknown (None) levels are not compared."""
    from lrcore import validate as check

    with pytest.raises(ValueError) as info:
        check.compare("end_value", 2.0, "<=", "init_value", 1.0, "why", decay_rate=0.5)
    assert str(info.value) == (
        "Argument `end_value` must be <= init_value (why). Received: end_value=2.0, init_value=1.0, decay_rate=0.5"
    )
    for relation, ok, bad in (("<", 0.5, 1.0), ("<=", 1.0, 1.5), (">", 1.5, 1.0), (">=", 1.0, 0.5)):
        check.compare("a", ok, relation, "b", 1.0)
        check.compare("a", None, relation, "b", 1.0)  # an optional level left out: nothing to compare
        with pytest.raises(ValueError, match=f"`a` must be {relation} b. Received: a={bad!r}, b=1.0$"):
            check.compare("a", bad, relation, "b", 1.0)
    assert check.level_at_least("x", 0.0, 0.0) == 0.0
    with pytest.raises(ValueError, match=r"^Argument `x` must be >= 0 \(r\)\. Received: x=-1\.0, y=2$"):
        check.level_at_least("x", -1.0, 0.0, "r", y=2)
    assert check.at_most("g", 1.0, 1.0) == 1.0
    with pytest.raises(ValueError, match=r"^Argument `g` must be <= 1 \(r\)\. Received: g=1\.5$"):
        check.at_most("g", 1.5, 1.0, "r")
    with pytest.raises(TypeError, match="`g` must be a real number"):
        check.at_most("g", "1", 1.0)
    check.only_with("g", 1.0, 1.0, "mode", "a", "b")  # at its default: fine with any mode
    check.only_with("g", 0.5, 1.0, "mode", "b", "b")
    with pytest.raises(ValueError, match=r"^Argument `g` is only used with mode='b'\. Received: g=0\.5, mode='a'$"):
        check.only_with("g", 0.5, 1.0, "mode", "a", "b")
    check.derived_at_most("m", 3.0, 10, 10, "p")
    with pytest.raises(ValueError, match=r"^Argument `m` makes it too big\. Received: m=3\.0$"):
        check.derived_at_most("m", 3.0, 11, 10, "makes it too big")
    with pytest.raises(ValueError, match=r"^Argument `s` must have at least one schedule\. Received: s=\[\]$"):
        check.nonempty("s", (), "schedule")
