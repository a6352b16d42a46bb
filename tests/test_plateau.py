"""The plateau rule: torch ReduceLROnPlateau's sequence on the same metrics, plain and under jit."""

from __future__ import annotations

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import lrcore

CASES = [
    dict(),
    dict(factor=0.5, patience=2, cooldown=1),
    dict(factor=0.3, patience=0, mode="max", threshold=0.01),
    dict(factor=0.5, patience=1, threshold_mode="abs", threshold=0.05, min_scale=0.1),
    dict(factor=0.9, patience=3, cooldown=4, eps=0.05),
]


def _metrics(seed, n=300):
    rng = np.random.default_rng(seed)
    # Noisy, mostly flat: improvements, plateaus and repeats (exact ties) all occur.
    walk = np.round(1.0 + np.cumsum(rng.normal(scale=0.02, size=n)), 2)
    return [float(v) for v in walk]


def _torch_lrs(kwargs, metrics):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    torch_kwargs = {("min_lr" if k == "min_scale" else k): v for k, v in kwargs.items()}
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **torch_kwargs)
    out = []
    for m in metrics:
        ref.step(m)
        out.append(opt.param_groups[0]["lr"])
    return out


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_plain_matches_torch(kwargs):
    metrics = _metrics(len(kwargs))
    rule, state, got = lrcore.plateau(**kwargs), None, []
    state = rule.init()
    for m in metrics:
        state = rule.update(state, m)
        got.append(state.scale)
    assert got == _torch_lrs(kwargs, metrics)


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_jit_matches_plain(kwargs):
    metrics = _metrics(len(kwargs) + 10)
    rule = lrcore.plateau(**kwargs)
    update = jax.jit(rule.update)
    plain, traced = rule.init(), rule.init()
    for m in metrics:
        plain = rule.update(plain, float(np.float32(m)))
        traced = update(traced, jnp.float32(m))
        assert int(traced.num_bad) == plain.num_bad and int(traced.cooldown_left) == plain.cooldown_left
        np.testing.assert_allclose(float(traced.scale), plain.scale, rtol=1e-6)


def test_serialization_and_identity():
    rule = lrcore.plateau(factor=0.5, patience=3, mode="max")
    assert lrcore.Plateau.from_dict(rule.to_dict()) == rule
    assert pickle.loads(pickle.dumps(rule)) == rule
    assert hash(rule) == hash(lrcore.plateau(factor=0.5, patience=3, mode="max"))
    with pytest.raises(ValueError, match="bogus"):
        lrcore.Plateau.from_dict({"name": "plateau", "params": {"bogus": 1}})


def test_from_dict_rebuilds_schedules_only_and_names_the_plateau_s_own():
    """``lrcore.from_dict`` returns a Schedule or raises: a rule's dict is refused, naming what
    rebuilds it."""
    d = lrcore.plateau(factor=0.5).to_dict()
    with pytest.raises(ValueError, match=r"'plateau' is not a schedule: .*lrcore\.Plateau\.from_dict"):
        lrcore.from_dict(d)
    with pytest.raises(ValueError, match="lrcore.Plateau.from_dict"):
        lrcore.from_dict({"name": "warmup", "params": {"schedule": d, "warmup_steps": 3}})


@pytest.mark.parametrize(
    "kwargs, name, error",
    [
        (dict(factor=1.0), "factor", ValueError),
        (dict(factor=-0.1), "factor", ValueError),
        (dict(patience=-1), "patience", ValueError),
        (dict(patience=1.5), "patience", ValueError),
        (dict(mode="up"), "mode", ValueError),
        (dict(threshold=-1.0), "threshold", ValueError),
        (dict(threshold_mode="relative"), "threshold_mode", ValueError),
        (dict(cooldown=-2), "cooldown", ValueError),
        (dict(min_scale=float("nan")), "min_scale", ValueError),
        (dict(eps="1e-8"), "eps", TypeError),
        (dict(patience=10**30), "patience", ValueError),
        (dict(patience=2**31 - 1), "patience", ValueError),
        (dict(cooldown=2**40), "cooldown", ValueError),
        (dict(cooldown=2**31 - 1), "cooldown", ValueError),
    ],
)
def test_validation_names_the_parameter(kwargs, name, error):
    with pytest.raises(error, match=f"`{name}`"):
        lrcore.plateau(**kwargs)


def test_metric_type_checked():
    rule = lrcore.plateau()
    with pytest.raises(TypeError, match="`metric`"):
        rule.update(rule.init(), "0.5")


@pytest.mark.parametrize("name", ["patience", "cooldown"])
def test_largest_counts_run_under_jit(name):
    # The largest accepted patience / cooldown fits the int32 counts of a jitted update.
    import lrcore.jax

    kwargs = {"factor": 0.5, "patience": 0, name: 2**31 - 2}
    rule = lrcore.plateau(**kwargs)
    update = jax.jit(rule.update)
    state = rule.init()
    for m in (1.0, 1.0, 1.0):
        state = update(state, jnp.float32(m))
    # Metric 1 is the best, metric 2 is bad: patience 0 reduces (then the long cooldown counts down).
    want = 0.5 if name == "cooldown" else 1.0
    assert float(state.scale) == want
    if name == "cooldown":
        assert int(state.cooldown_left) == 2**31 - 3 and int(state.num_bad) == 0
    else:
        assert int(state.num_bad) == 2 and int(state.cooldown_left) == 0
    with pytest.raises(ValueError, match=f"`{name}`.*2\\*\\*31 - 2"):
        lrcore.jax.reduce_on_plateau(**{**kwargs, name: 2**31 - 1})
    tx = lrcore.jax.reduce_on_plateau(**kwargs)
    params = jnp.ones(1)
    opt_state, step = tx.init(params), jax.jit(tx.update)
    for m in (1.0, 1.0, 1.0):
        updates, opt_state = step(params, opt_state, params, value=jnp.float32(m))
    assert float(updates[0]) == want


# The rule's parameters are written once (the fields of lrcore.Plateau); every constructor takes
# them with those defaults and passes each on. Non-default values of every parameter:
GIVEN = dict(factor=0.5, patience=3, mode="max", threshold=0.01, threshold_mode="abs", cooldown=2, min_scale=0.001, eps=1e-6)


def test_plateau_takes_the_rule_s_fields_in_order_with_their_defaults():
    import dataclasses
    import inspect

    fields = {f.name: f.default for f in dataclasses.fields(lrcore.Plateau)}
    assert list(fields) == list(GIVEN)
    signature = inspect.signature(lrcore.plateau)
    assert {name: p.default for name, p in signature.parameters.items()} == fields
    assert fields == dict(factor=0.1, patience=10, mode="min", threshold=1e-4, threshold_mode="rel", cooldown=0, min_scale=0.0, eps=1e-8)
    assert lrcore.plateau(**GIVEN) == lrcore.Plateau(**GIVEN) and lrcore.plateau(*GIVEN.values()) == lrcore.Plateau(**GIVEN)


@pytest.mark.parametrize("adapter", ["torch", "jax"])
def test_adapters_take_every_rule_parameter_with_its_default(adapter):
    import dataclasses
    import inspect

    import lrcore.jax
    import lrcore.torch

    constructor, own = {
        "torch": (lrcore.torch.ReduceLROnPlateau, {"scheduler", "min_lr"}),
        "jax": (lrcore.jax.reduce_on_plateau, {"accumulation_size"}),
    }[adapter]
    parameters = inspect.signature(constructor).parameters
    fields = {f.name: f.default for f in dataclasses.fields(lrcore.Plateau)}
    assert set(parameters) == set(fields) | own
    assert {name: parameters[name].default for name in fields} == fields
    if adapter == "torch":
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        made = lrcore.torch.ReduceLROnPlateau(lrcore.torch.scheduler(opt, lrcore.constant(1.0)), **GIVEN)
        assert made.rule == lrcore.plateau(**GIVEN)
