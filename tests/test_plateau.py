"""The plateau rule: torch ReduceLROnPlateau's sequence on the same metrics, plain and under jit."""

from __future__ import annotations

import pickle
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf
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


# -- cooldown_metrics="ignore": Paddle's ReduceOnPlateau (its parity: tests/test_parity_paddle.py) --
IGNORE_CASES = [
    dict(factor=0.5, patience=2, cooldown=3),
    dict(factor=0.3, patience=0, cooldown=5, mode="max", threshold=0.01),
    dict(factor=0.5, patience=1, cooldown=2, threshold_mode="abs", threshold=0.05, min_scale=0.1),
    dict(factor=0.9, patience=3, cooldown=4, eps=0.05),
    dict(factor=0.5, patience=1),  # no cooldown: the same rule as "track"
]


def _paddle_rule(kwargs, metrics):
    """Paddle ``ReduceOnPlateau.step``'s algorithm on the scale (learning rate 1), written out from
    its source as a plain loop: during cooldown the metric is dropped altogether."""
    factor, patience = kwargs.get("factor", 0.1), kwargs.get("patience", 10)
    mode, threshold = kwargs.get("mode", "min"), kwargs.get("threshold", 1e-4)
    rel, cooldown = kwargs.get("threshold_mode", "rel") == "rel", kwargs.get("cooldown", 0)
    floor, eps = kwargs.get("min_scale", 0.0), kwargs.get("eps", 1e-8)
    lr, best, bad, cooling, out = 1.0, None, 0, 0, []
    for m in metrics:
        if cooling > 0:
            cooling -= 1
        else:
            bar = None if best is None else (best * (1 - threshold) if mode == "min" else best * (1 + threshold)) if rel \
                else (best - threshold if mode == "min" else best + threshold)
            if best is None or (m < bar if mode == "min" else m > bar):
                best, bad = m, 0
            else:
                bad += 1
            if bad > patience:
                cooling, bad = cooldown, 0
                new = max(lr * factor, floor)
                if lr - new > eps:
                    lr = new
        out.append(lr)
    return out


@pytest.mark.parametrize("kwargs", IGNORE_CASES, ids=str)
def test_ignore_matches_paddle_s_algorithm_and_differs_from_torch_s_with_a_cooldown(kwargs):
    metrics = _metrics(len(kwargs) + 20)
    rule, track = lrcore.plateau(**kwargs, cooldown_metrics="ignore"), lrcore.plateau(**kwargs)
    state, tracked, got, got_track = rule.init(), track.init(), [], []
    for m in metrics:
        state, tracked = rule.update(state, m), track.update(tracked, m)
        got.append(state.scale)
        got_track.append(tracked.scale)
        assert state.num_bad == 0 or state.cooldown_left == 0
    assert got == _paddle_rule(kwargs, metrics)
    assert len(set(got)) >= 3  # reductions happen
    if kwargs.get("cooldown", 0) == 0:
        assert got == got_track  # without a cooldown the variants are one rule


def test_ignore_drops_the_metric_of_a_cooldown_update():
    """A metric reported during cooldown that improves on the best: torch's rule ("track") records it
    as the best, Paddle's ("ignore") drops it, so the next metric is judged against the old best."""
    metrics = [1.0, 1.0, 0.5, 0.8]  # patience 0: 1.0 reduces; 0.5 comes during the cooldown
    states = {}
    for variant in ("track", "ignore"):
        rule = lrcore.plateau(factor=0.5, patience=0, cooldown=1, cooldown_metrics=variant)
        state = rule.init()
        for m in metrics:
            state = rule.update(state, m)
        states[variant] = state
    assert states["track"] == (0.25, 0.5, 0, 1)  # 0.8 is worse than 0.5: reduced again
    assert states["ignore"] == (0.5, 0.8, 0, 0)  # 0.8 improves on 1.0


@pytest.mark.parametrize("kwargs", IGNORE_CASES, ids=str)
@pytest.mark.parametrize("state_kind", ["jit", "numpy"])
def test_ignore_in_arrays_matches_plain(kwargs, state_kind):
    metrics = _metrics(len(kwargs) + 30, n=120)
    rule = lrcore.plateau(**kwargs, cooldown_metrics="ignore")
    if state_kind == "jit":
        update, arrays = jax.jit(rule.update), rule.init()
    else:
        update, arrays = rule.update, lrcore.PlateauState(*(np.asarray(v) for v in rule.init()))
    plain = rule.init()
    for m in metrics:
        plain = rule.update(plain, m)
        arrays = update(arrays, jnp.float32(m) if state_kind == "jit" else np.float64(m))
        assert int(arrays.num_bad) == plain.num_bad and int(arrays.cooldown_left) == plain.cooldown_left
        np.testing.assert_allclose(float(arrays.scale), plain.scale, rtol=1e-6)


def test_a_rule_dict_saved_before_cooldown_metrics_reads_the_default():
    saved = {"name": "plateau", "params": {k: v for k, v in lrcore.plateau(factor=0.5).to_dict()["params"].items()
                                           if k != "cooldown_metrics"}}
    assert lrcore.Plateau.from_dict(saved) == lrcore.plateau(factor=0.5, cooldown_metrics="track")


def test_serialization_and_identity():
    rule = lrcore.plateau(factor=0.5, patience=3, mode="max")
    assert lrcore.Plateau.from_dict(rule.to_dict()) == rule
    assert pickle.loads(pickle.dumps(rule)) == rule
    assert hash(rule) == hash(lrcore.plateau(factor=0.5, patience=3, mode="max"))
    with pytest.raises(ValueError, match="bogus"):
        lrcore.Plateau.from_dict({"name": "plateau", "params": {"bogus": 1}})
    # A dict without its parameters was the default rule (lrcore.from_dict refuses a schedule's).
    with pytest.raises(ValueError, match=re.escape("A plateau dict is {'name': 'plateau', 'params': {...}}")):
        lrcore.Plateau.from_dict({"name": "plateau"})


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
        (dict(cooldown_metrics="count"), "cooldown_metrics", ValueError),
        (dict(cooldown_metrics=None), "cooldown_metrics", TypeError),
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
    import lrcore.jax as lrcore_jax

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
GIVEN = dict(factor=0.5, patience=3, mode="max", threshold=0.01, threshold_mode="abs", cooldown=2, min_scale=0.001, eps=1e-6,
             cooldown_metrics="ignore")


def test_plateau_takes_the_rule_s_fields_in_order_with_their_defaults():
    import dataclasses
    import inspect

    fields = {f.name: f.default for f in dataclasses.fields(lrcore.Plateau)}
    assert list(fields) == list(GIVEN)
    signature = inspect.signature(lrcore.plateau)
    assert {name: p.default for name, p in signature.parameters.items()} == fields
    assert fields == dict(factor=0.1, patience=10, mode="min", threshold=1e-4, threshold_mode="rel", cooldown=0, min_scale=0.0,
                          eps=1e-8, cooldown_metrics="track")
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


# -- the metric, validated once ---------------------------------------------------------------------
def _numpy_state(rule):
    """A state of NumPy 0-d arrays (as a checkpoint loaded with NumPy would hold)."""
    return lrcore.PlateauState(*(np.asarray(v) for v in rule.init()))


@pytest.mark.parametrize(
    "bad",
    [None, "0.5", b"0.5", True, np.bool_(False), 1 + 2j, np.complex64(1), np.datetime64(1, "s"),
     np.timedelta64(3), [0.5], (0.5,), np.ones(3), np.ones((1, 1)), np.array("0.5"), np.array(True),
     torch.ones(2), jnp.ones(2), torch.ones((), device="meta"), torch.ones(1, device="meta"), object()],
    ids=repr,
)
@pytest.mark.parametrize("state", ["plain", "numpy", "jax"])
def test_metric_that_is_not_a_real_scalar_is_refused(bad, state):
    """Refused with a TypeError naming `metric` and showing it, whatever the state holds: never
    read as a number (``"0.5"`` as 0.5, True as 1.0) or as a missing improvement (None)."""
    rule = lrcore.plateau(factor=0.5, patience=0)
    start = {"plain": rule.init(), "numpy": _numpy_state(rule), "jax": PlateauJax(rule)}[state]
    with pytest.raises(TypeError, match="`metric`") as info:
        rule.update(start, bad)
    if not hasattr(bad, "shape"):
        assert repr(bad) in str(info.value)


def PlateauJax(rule):
    return lrcore.PlateauState(*(jnp.asarray(v) for v in rule.init()))


@pytest.mark.parametrize(
    "metric",
    [1.0, 1, np.float32(1.0), np.float64(1.0), np.int64(1), np.asarray(1.0, np.float32), np.asarray([1.0], np.float32),
     torch.tensor(1.0), torch.tensor([1.0], dtype=torch.float64), torch.tensor(1.0, requires_grad=True),
     jnp.asarray(1.0, jnp.float32), jnp.asarray(1.0, jnp.bfloat16), jnp.asarray([1], jnp.int32),
     tf.constant(1.0), tf.Variable([1.0])],
    ids=lambda m: f"{type(m).__module__.split('.')[0]}-{getattr(m, 'dtype', type(m).__name__)}-{np.shape(m) if not hasattr(m, 'shape') else tuple(m.shape)}",
)
def test_every_real_scalar_metric_gives_the_float_scale(metric):
    """A metric that has a value is read as a Python float: a float32 NumPy, torch, JAX or TF
    metric (0-d or shape (1,)) gives the plain rule's float64 scale, 0.1 for factor 0.1, not
    float32(0.1)."""
    rule = lrcore.plateau(factor=0.1, patience=0)
    state = rule.update(rule.update(rule.init(), metric), metric)
    assert state == lrcore.PlateauState(0.1, 1.0, 0, 0)
    assert all(type(v) in (float, int) for v in state)


def test_int_metrics_past_int32_and_float64():
    rule = lrcore.plateau(factor=0.5, patience=0)
    state = rule.update(rule.init(), 2**40)
    assert state.best == float(2**40)
    for huge in (10**400, -(10**400)):  # past float64: no float metric holds it
        with pytest.raises(ValueError, match="`metric` must be a finite real number or NaN"):
            rule.update(state, huge)
    import lrcore.jax as lrcore_jax

    tx = lrcore_jax.reduce_on_plateau(factor=0.5, patience=0)
    params = jnp.ones(1)
    opt_state = tx.init(params)
    for value in (2**31, np.int64(2**40), 2**31 + 1):
        updates, opt_state = tx.update(params, opt_state, params, value=value)
    assert float(opt_state.best) == float(np.float32(2**31)) and float(updates[0]) == 0.25
    with pytest.raises(ValueError, match="`accumulation_size`.*2147483647"):
        lrcore_jax.reduce_on_plateau(accumulation_size=2**31)
    lrcore_jax.reduce_on_plateau(accumulation_size=2**31 - 1)


def test_array_state_keeps_its_dtype():
    """A float32 JAX state fed a bfloat16 (or float64-valued) metric stays float32, scale 0.1
    exactly float32(0.1): it is a lax.scan carry, whose type may not change."""
    rule = lrcore.plateau(factor=0.1, patience=0)
    state = lrcore.PlateauState(jnp.float32(1.0), jnp.float32(jnp.inf), jnp.int32(0), jnp.int32(0))

    def body(carry, loss):
        return rule.update(carry, loss), None

    losses = jnp.asarray([1.0, 1.0, 1.0], dtype=jnp.bfloat16)
    final, _ = jax.lax.scan(body, state, losses)
    assert final.scale.dtype == jnp.float32 and final.best.dtype == jnp.float32
    assert float(final.scale) == float(np.float32(0.1) * np.float32(0.1))
    eager = rule.update(rule.update(state, jnp.bfloat16(1.0)), jnp.bfloat16(1.0))
    assert eager.scale.dtype == jnp.float32 and float(eager.scale) == float(np.float32(0.1))
    # A plain state with a traced bfloat16 metric computes in float32 (the wider of the two).
    traced = jax.jit(rule.update)(rule.init(), jnp.bfloat16(1.0))
    assert traced.scale.dtype == jnp.float32 and traced.best.dtype == jnp.float32


def test_a_nan_metric_is_a_bad_metric():
    """A diverged loss (NaN) is a bad metric, as torch's rule counts it."""
    rule = lrcore.plateau(factor=0.5, patience=0)
    state = rule.update(rule.init(), 1.0)
    state = rule.update(state, float("nan"))
    assert state.scale == 0.5
    assert _torch_lrs(dict(factor=0.5, patience=0), [1.0, float("nan")])[-1] == state.scale


@pytest.mark.parametrize("make", [torch.tensor, np.asarray, jnp.asarray], ids=["torch", "numpy", "jax"])
@pytest.mark.parametrize(
    "state, entry",
    [((float("nan"), 0.7, 1, 0), "state.scale"), ((2.0, 0.7, 1, 0), "state.scale"), ((-0.5, 0.7, 1, 0), "state.scale"),
     ((0.5, 0.7, -3, 0), "state.num_bad"), ((0.5, 0.7, 1, 0.5), "state.cooldown_left"), ((0.5, float("nan"), 1, 0), "state.best")],
)
def test_a_state_of_arrays_with_values_is_checked_as_a_plain_one(make, state, entry):
    """The same bad state in 0-d arrays (a checkpoint loaded with torch, NumPy or JAX) was computed
    on: a NaN, negative or above-1 scale became the lr's factor, counters went negative."""
    rule = lrcore.plateau(patience=1, cooldown=2, factor=0.5)
    with pytest.raises((ValueError, TypeError), match=re.escape(entry)):
        rule.update(state, 0.9)
    for i in range(4):
        arrays = tuple(make(v) if j == i else v for j, v in enumerate(state))
        if entry.endswith(lrcore.PlateauState._fields[i]):
            with pytest.raises((ValueError, TypeError), match=re.escape(entry)):
                rule.update(arrays, 0.9)
    # A good state of arrays keeps working, its dtypes kept (whole float counters read as counts).
    good = lrcore.PlateauState(make(1.0), make(0.7), make(1.0), make(0.0))
    assert float(rule.update(good, 0.9).scale) == 0.5


@pytest.mark.parametrize("dtype", [np.float16, np.float32, torch.float16, torch.bfloat16, jnp.bfloat16, jnp.float32], ids=str)
def test_a_state_of_arrays_the_rule_reaches_is_never_refused(dtype):
    """min_scale rounded to the state's dtype (float32's 0.7 is below 0.7) is a scale the rule
    reaches: the check of a state with values takes it as min_scale."""
    make = torch.tensor if isinstance(dtype, torch.dtype) else (np.asarray if dtype in (np.float16, np.float32) else jnp.asarray)
    for min_scale, factor in ((0.7, 0.5), (0.1, 0.3), (1e-3, 0.5), (0.2, 0.9)):
        rule = lrcore.plateau(factor=factor, patience=0, min_scale=min_scale)
        state = lrcore.PlateauState(make(1.0, dtype=dtype), make(float("inf"), dtype=dtype), make(0), make(0))
        for m in range(40):
            state = rule.update(state, float(m))  # each bad metric reduces, down to min_scale
        assert float(state.scale) <= max(min_scale, 0.0) * 1.01 + 1e-3


def test_a_numpy_bfloat16_scalar_metric_is_a_metric():
    """A NumPy scalar of ml_dtypes' bfloat16 (a JAX bfloat16 loss read back on the host) is no
    np.floating: it was refused, though the same value as a 0-d array was taken."""
    rule = lrcore.plateau(factor=0.5, patience=0)
    scalar = np.asarray(jnp.asarray(0.5, jnp.bfloat16))[()]
    assert rule.update(rule.init(), scalar) == rule.update(rule.init(), np.asarray(scalar)) == rule.update(rule.init(), 0.5)
    for state in (rule.init(), lrcore.PlateauState(jnp.float32(1.0), jnp.float32(jnp.inf), jnp.int32(0), jnp.int32(0))):
        assert float(rule.update(state, scalar).best) == 0.5


@pytest.mark.parametrize("saved", ["device_get", "numpy scalars", "pickle"])
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.float32], ids=str)
def test_a_jax_state_saved_through_numpy_resumes_bit_for_bit(saved, dtype):
    """A lax.scan carry saved with NumPy resumes as the uninterrupted run goes on: a bfloat16 one
    (NumPy arrays of ml_dtypes' bfloat16, which NumPy's isdtype refuses) failed naming nothing, and
    NumPy scalars were computed as Python floats (float32's 0.9999 after 1.0 is no improvement, in
    float64 it is; float32's 0.7 at min_scale 0.7 was refused)."""
    losses = [1.0, 0.9999, 0.9999, 1.0, 2.0, 0.5, 0.49995, 3.0, 3.0, 3.0]
    for min_scale in (0.0, 0.7):
        rule = lrcore.plateau(factor=0.5, patience=0, min_scale=min_scale)
        start = lrcore.PlateauState(jnp.asarray(1.0, dtype), jnp.asarray(jnp.inf, dtype), jnp.int32(0), jnp.int32(0))
        carries = [start]
        for loss in losses:
            carries.append(jax.jit(rule.update)(carries[-1], loss))
        for cut in range(len(losses)):
            state = jax.device_get(carries[cut])
            if saved == "numpy scalars":
                state = lrcore.PlateauState(*(np.asarray(v)[()] for v in state))
            elif saved == "pickle":
                state = pickle.loads(pickle.dumps(state))
            for loss in losses[cut:]:
                state = rule.update(state, loss)
            for got, want in zip(state, carries[-1]):
                assert np.asarray(got).dtype == np.asarray(want).dtype, (cut, state)
                assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), (min_scale, cut, state, carries[-1])


@pytest.mark.parametrize("bad", [np.array(5 + 0j), np.array(True), jnp.asarray(1 + 0j), torch.empty((), device="meta"),
                                 np.array(0, np.int32), torch.tensor(0), jnp.asarray(1, jnp.int32)], ids=repr)
def test_a_state_entry_that_is_no_real_number_is_refused(bad):
    rule = lrcore.plateau(factor=0.5, patience=2)
    with pytest.raises(TypeError, match=r"state\.scale"):
        rule.update(lrcore.PlateauState(bad, float("inf"), 0, 0), 1.0)
