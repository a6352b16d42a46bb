"""lrcore.jax.reduce_on_plateau: value-by-value parity with optax.contrib.reduce_on_plateau, jit,
chaining after an lrcore schedule, and a bit-exact resume from a saved optax state.

The mapping (stated in the docstring and docs/optax.md): optax reduces after ``P`` bad values, torch's
rule (lrcore's) after more than ``patience``, so optax's ``patience=P`` is lrcore's ``patience=P - 1``;
``rtol`` is ``threshold`` (``"rel"``), ``atol`` with ``rtol=0`` is ``threshold`` (``"abs"``); optax
skips no small reduction, so ``eps=0.0``; ``cooldown``, ``min_scale``, ``accumulation_size`` and
``factor`` are the same.
"""

from __future__ import annotations

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.contrib
import pytest

import lrcore
import lrcore.jax
import lrcore.numpy

# (lrcore kwargs, accumulation_size); optax gets patience + 1 and rtol/atol from the threshold.
CASES = [
    (dict(), 1),
    (dict(factor=0.5, patience=2, cooldown=1), 1),
    (dict(factor=0.3, patience=0, threshold=0.01), 1),
    (dict(factor=0.5, patience=1, threshold_mode="abs", threshold=0.05, min_scale=0.1), 1),
    (dict(factor=0.9, patience=3, cooldown=4, min_scale=0.2), 1),
    (dict(factor=0.5, patience=1, cooldown=2, threshold=1e-3), 4),
]


def _metrics(seed, n=240):
    rng = np.random.default_rng(seed)
    # Noisy, mostly flat: improvements, plateaus and exact ties all occur.
    walk = np.round(1.0 + np.cumsum(rng.normal(scale=0.02, size=n)), 2)
    return walk.astype(np.float32)


def _optax_peer(kw, accumulation_size):
    abs_mode = kw.get("threshold_mode", "rel") == "abs"
    t = kw.get("threshold", 1e-4)
    return optax.contrib.reduce_on_plateau(
        factor=kw.get("factor", 0.1),
        patience=kw.get("patience", 10) + 1,
        rtol=0.0 if abs_mode else t,
        atol=t if abs_mode else 0.0,
        cooldown=kw.get("cooldown", 0),
        accumulation_size=accumulation_size,
        min_scale=kw.get("min_scale", 0.0),
    )


def _run(tx, metrics, params):
    """Feed ``metrics`` one by one under jit; return the updates (of ones) and the scales."""
    state = tx.init(params)
    step = jax.jit(lambda s, m: tx.update(jax.tree.map(jnp.ones_like, params), s, params, value=m))
    updates, scales = [], []
    for m in metrics:
        u, state = step(state, m)
        updates.append(np.asarray(u["w"]))
        scales.append(np.asarray(state.scale))
    return np.stack(updates), np.asarray(scales), state


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("kw", "acc"), CASES, ids=[f"{c}-acc{a}" for c, a in CASES])
def test_matches_optax_contrib_reduce_on_plateau(kw, acc, seed):
    metrics = _metrics(seed)
    params = {"w": jnp.zeros(3, jnp.float32)}
    mine = lrcore.jax.reduce_on_plateau(**kw, eps=0.0, accumulation_size=acc)
    got_u, got_s, _ = _run(mine, metrics, params)
    want_u, want_s, _ = _run(_optax_peer(kw, acc), metrics, params)
    np.testing.assert_array_equal(got_s, want_s)
    np.testing.assert_array_equal(got_u, want_u)
    assert len(set(want_s.tolist())) > 1, "the case never reduces: it tests nothing"


def test_matches_the_core_rule_and_torch_semantics():
    """Without accumulation, the scale after metric n is lrcore.plateau's (torch's rule) after n."""
    metrics = _metrics(5)
    kw = dict(factor=0.5, patience=2, cooldown=1, threshold=1e-3)
    _, scales, _ = _run(lrcore.jax.reduce_on_plateau(**kw), metrics, {"w": jnp.zeros(2)})
    rule, state, want = lrcore.plateau(**kw), lrcore.plateau(**kw).init(), []
    for m in metrics:
        state = rule.update(state, float(m))
        want.append(state.scale)
    np.testing.assert_allclose(scales, want, rtol=2.0**-23)
    # mode="max" (which optax lacks) mirrors "min" on the negated metric.
    _, up, _ = _run(lrcore.jax.reduce_on_plateau(**kw, mode="max", threshold_mode="abs"), -metrics, {"w": jnp.zeros(2)})
    _, down, _ = _run(lrcore.jax.reduce_on_plateau(**kw, threshold_mode="abs"), metrics, {"w": jnp.zeros(2)})
    np.testing.assert_array_equal(up, down)


def test_cooldown_metrics_ignore_is_the_core_rule_s():
    """cooldown_metrics="ignore" (Paddle's rule) reaches the transformation: the scale after metric n
    is lrcore.plateau(..., cooldown_metrics="ignore")'s after n, which differs from the default here."""
    metrics = np.asarray([1.0, 1.0, 1.0, 0.5, 0.8, 0.8, 0.8, 0.8] * 3, dtype=np.float32)
    kw = dict(factor=0.5, patience=1, cooldown=1)
    _, scales, _ = _run(lrcore.jax.reduce_on_plateau(**kw, cooldown_metrics="ignore"), metrics, {"w": jnp.zeros(2)})
    _, tracked, _ = _run(lrcore.jax.reduce_on_plateau(**kw), metrics, {"w": jnp.zeros(2)})
    for variant, got in (("ignore", scales), ("track", tracked)):
        rule = lrcore.plateau(**kw, cooldown_metrics=variant)
        state, want = rule.init(), []
        for m in metrics:
            state = rule.update(state, float(m))
            want.append(state.scale)
        np.testing.assert_allclose(got, want, rtol=2.0**-23, err_msg=variant)
    assert not np.array_equal(scales, tracked)
    with pytest.raises(ValueError, match="`cooldown_metrics`"):
        lrcore.jax.reduce_on_plateau(cooldown_metrics="skip")


def test_chained_after_an_lrcore_schedule():
    """lr = schedule(step) · scale; the update fed metric n uses the scale after metric n."""
    schedule = lrcore.jax.cosine_decay(0.1, decay_steps=50)
    tx = optax.chain(optax.sgd(schedule), lrcore.jax.reduce_on_plateau(factor=0.5, patience=1))
    params = jnp.zeros(())
    state = tx.init(params)
    step = jax.jit(lambda s, m: tx.update(jnp.ones(()), s, params, value=m))
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    rule, rstate = lrcore.plateau(factor=0.5, patience=1), lrcore.plateau(factor=0.5, patience=1).init()
    for n, m in enumerate(metrics):
        u, state = step(state, m)
        rstate = rule.update(rstate, m)
        want = -lrcore.numpy.cosine_decay(0.1, 50)(n) * rstate.scale
        np.testing.assert_allclose(float(u), want, rtol=8 * 2.0**-23)
    assert rstate.scale == 0.125


def test_state_round_trip_resumes_bit_exactly():
    kw = dict(factor=0.5, patience=1, cooldown=2)
    tx = optax.chain(optax.adam(lrcore.jax.warmup_cosine_decay(0.0, 1e-2, 5, 100)), lrcore.jax.reduce_on_plateau(**kw))
    params = {"w": jnp.arange(3.0)}
    metrics = _metrics(7, n=60)

    @jax.jit
    def train_step(params, state, m):
        grads = jax.tree.map(lambda p: p * 0.1 + 1.0, params)
        updates, state = tx.update(grads, state, params, value=m)
        return optax.apply_updates(params, updates), state

    def run(params, state, ms):
        for m in ms:
            params, state = train_step(params, state, m)
        return params, state

    full_params, full_state = run(params, tx.init(params), metrics)
    half_params, half_state = run(params, tx.init(params), metrics[:31])
    # Save as plain NumPy (what any checkpointer writes), pickle, load, continue.
    saved = pickle.dumps(jax.tree.map(np.asarray, (half_params, half_state)))
    loaded_params, loaded_state = jax.tree.map(jnp.asarray, pickle.loads(saved))
    assert isinstance(loaded_state[1], lrcore.jax.ReduceOnPlateauState)
    resumed_params, resumed_state = run(loaded_params, loaded_state, metrics[31:])
    np.testing.assert_array_equal(np.asarray(resumed_params["w"]), np.asarray(full_params["w"]))
    for a, b in zip(jax.tree.leaves(resumed_state), jax.tree.leaves(full_state)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert a.dtype == b.dtype
    assert float(full_state[1].scale) < 1.0


def test_state_dtypes_are_stable_and_updates_keep_their_dtype():
    tx = lrcore.jax.reduce_on_plateau(patience=0)
    params = {"a": jnp.zeros(2, jnp.bfloat16), "b": jnp.zeros(2, jnp.float32)}
    state = tx.init(params)
    assert state.scale.dtype == jnp.float32 and state.num_bad.dtype == jnp.int32
    updates, new = jax.jit(lambda s: tx.update(jax.tree.map(jnp.ones_like, params), s, params, value=jnp.float16(2.0)))(state)
    assert jax.tree.map(lambda x: x.dtype, new) == jax.tree.map(lambda x: x.dtype, state)
    assert updates["a"].dtype == jnp.bfloat16 and updates["b"].dtype == jnp.float32
    # Usable as a lax.scan carry (the state's structure and dtypes never change).
    final, _ = jax.lax.scan(lambda s, m: (tx.update(params, s, params, value=m)[1], None), state, jnp.ones(30))
    assert float(final.scale) < 1.0


def test_accepts_a_plateau_rule():
    rule = lrcore.plateau(factor=0.5, patience=2)
    a, b = lrcore.jax.reduce_on_plateau(rule), lrcore.jax.reduce_on_plateau(factor=0.5, patience=2)
    metrics = _metrics(3, n=80)
    np.testing.assert_array_equal(_run(a, metrics, {"w": jnp.zeros(1)})[1], _run(b, metrics, {"w": jnp.zeros(1)})[1])
    with pytest.raises(TypeError, match="patience=3"):
        lrcore.jax.reduce_on_plateau(rule, patience=3)
    with pytest.raises(TypeError, match="cooldown_metrics='ignore'"):
        lrcore.jax.reduce_on_plateau(rule, cooldown_metrics="ignore")


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        (dict(factor=1.5), ValueError, "factor"),
        (dict(patience=-1), ValueError, "patience"),
        (dict(mode="median"), ValueError, "mode"),
        (dict(threshold_mode="pct"), ValueError, "threshold_mode"),
        (dict(accumulation_size=0), ValueError, "accumulation_size"),
        (dict(accumulation_size="2"), TypeError, "accumulation_size"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, exc, name):
    with pytest.raises(exc, match=f"`{name}`"):
        lrcore.jax.reduce_on_plateau(**kwargs)


def test_update_needs_a_real_scalar_value():
    tx = lrcore.jax.reduce_on_plateau()
    state = tx.init(jnp.zeros(1))
    with pytest.raises(TypeError, match="value="):
        tx.update(jnp.ones(1), state)
    with pytest.raises(TypeError, match="`value`"):
        tx.update(jnp.ones(1), state, value=jnp.ones(3))


def test_docstring_example_passes():
    import doctest

    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner()
    tests = [t for t in finder.find(lrcore.jax.reduce_on_plateau, "reduce_on_plateau", globs={}) if t.examples]
    assert tests
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("min_scale, factor", [(0.7, 0.5), (0.01, 0.3), (1e-8, 0.1)])
def test_every_state_it_reaches_resumes_eagerly_and_under_jit(min_scale, factor):
    """A float32 state holds min_scale rounded to float32 (0.7 is 0.699999988): the eager check of
    a state with values must take that as min_scale, or the run stops on a state it reached."""
    tx = lrcore.jax.reduce_on_plateau(factor=factor, patience=0, min_scale=min_scale, accumulation_size=2)
    params = jnp.zeros(2)
    step = jax.jit(lambda s, v: tx.update(jnp.ones(2), s, params, value=v))
    eager = traced = tx.init(params)
    for v in [1.0, 2.0, float("nan"), 3.0, 0.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0] * 3:
        _, eager = tx.update(jnp.ones(2), eager, params, value=v)
        _, traced = step(traced, v)
        tx.update(jnp.ones(2), traced, params, value=v)  # the state jit reached, resumed eagerly
    assert all(jax.tree.leaves(jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b, equal_nan=True)), eager, traced)))
    assert float(eager.scale) <= 2 * min_scale  # reduced down to min_scale (within eps of it)


@pytest.mark.parametrize(
    "edit, entry",
    [({"count": 5}, "state.count"), ({"count": 2.5}, "state.count"), ({"count": -1}, "state.count"),
     ({"avg_value": float("nan")}, "state.avg_value"), ({"avg_value": float("inf")}, "state.avg_value"),
     ({"scale": float("nan")}, "state.scale"), ({"scale": -2.0}, "state.scale"), ({"scale": 5 + 0j}, "state.scale"),
     ({"num_bad": -3}, "state.num_bad"), ({"best": float("nan")}, "state.best")],
    ids=repr,
)
def test_a_state_edited_outside_what_it_reaches_is_refused_eagerly(edit, entry):
    """Outside jit a state with values is checked, naming the entry: a count at or past the
    accumulation size never equals it again (the rule would stop for good), an average kept where
    the count is 0 would be carried into the next mean, a NaN or negative scale scales the updates."""
    tx = lrcore.jax.reduce_on_plateau(factor=0.5, patience=0, accumulation_size=3)
    params = jnp.zeros(2)
    state = tx.init(params)
    state = state._replace(**{k: jnp.asarray(np.asarray(v)) for k, v in edit.items()})  # a dtype of its own
    with pytest.raises((ValueError, TypeError), match=entry.replace(".", r"\.")):
        tx.update(jnp.ones(2), state, params, value=1.0)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("form", ["python", "weak"])
def test_a_state_of_python_numbers_is_refused_naming_the_entry(jit, form):
    """A state read back as Python numbers (a JSON checkpoint) has no dtype: eagerly it failed with
    a bare AttributeError, under jit (x64 on) the whole state came back float64 where init gives
    float32. Refused, naming the entry, as is an array made from a Python number without a dtype."""
    tx = lrcore.jax.reduce_on_plateau(factor=0.5, patience=0, accumulation_size=2)
    params = jnp.zeros(2)
    state = tx.init(params)
    for key in state._fields:
        value = np.asarray(getattr(state, key)).item()
        edited = state._replace(**{key: value if form == "python" else jnp.asarray(value)})
        update = lambda s: tx.update(jnp.ones(2), s, params, value=1.0)  # noqa: E731
        with pytest.raises(TypeError, match=rf"Argument `state\.{key}` must be a 0-d array of the dtype init\(\) gives"):
            jax.jit(update)(edited) if jit else update(edited)


def test_an_infinite_metric_under_jit_leaves_a_state_that_resumes_eagerly():
    """Under jit an infinite metric counts as NaN; it entered the running mean as inf, and the eager
    check then refused the state jit had written. The mean keeps it as NaN."""
    tx = lrcore.jax.reduce_on_plateau(factor=0.5, patience=1, accumulation_size=3)
    params = jnp.ones(2)
    state = jax.jit(lambda s, v: tx.update(params, s, params, value=v))(tx.init(params), jnp.float32(jnp.inf))[1]
    assert int(state.count) == 1 and bool(jnp.isnan(state.avg_value))
    _, state = tx.update(params, state, params, value=1.0)
    assert int(state.count) == 2


@pytest.mark.parametrize(
    "edit",
    [{"count": jnp.zeros((1,), jnp.int32)}, {"avg_value": jnp.zeros((1,), jnp.float32)}, {"count": None},
     {"count": "0"}, {"count": jnp.asarray(126, jnp.int8)}, {"count": jnp.asarray(2048, jnp.float16)},
     {"count": 1.0}, {"avg_value": jnp.asarray(0, jnp.int32)}, {"scale": jnp.asarray(0, jnp.int32)},
     {"best": jnp.asarray(1, jnp.int32)}],
    ids=repr,
)
def test_count_and_avg_value_of_another_shape_or_dtype_are_refused_under_jit_too(edit):
    """A shape-(1,) count made every entry and the updates shape (1,); an int8 count wrapped past
    127 and a float16 one stuck at 2048, and the rule never ran again; an int scale of 0 passed as
    min_scale 0.01 rounded to int and zeroed the updates; None, a string and an int best failed
    naming nothing."""
    (key,) = edit
    tx = lrcore.jax.reduce_on_plateau(accumulation_size=200)
    params = jnp.zeros(())
    state = tx.init(params)._replace(**edit)
    with pytest.raises(TypeError, match=rf"`state\.{key}`"):
        tx.update(jnp.ones(()), state, params, value=1.0)
    if hasattr(edit[key], "shape"):
        with pytest.raises(TypeError, match=rf"`state\.{key}`"):
            jax.jit(lambda s: tx.update(jnp.ones(()), s, params, value=1.0))(state)


def test_a_state_of_numpy_scalars_resumes():
    """A checkpoint read back as NumPy scalars (np.float32(1.0), np.int32(0), ...) failed with a
    bare AttributeError where the rule's new values were put back."""
    tx = lrcore.jax.reduce_on_plateau(factor=0.5, patience=0)
    params = jnp.zeros(2)
    state = tx.init(params)
    as_scalars = type(state)(*[np.asarray(v)[()] for v in state])
    assert jax.tree.leaves(tx.update(jnp.ones(2), as_scalars, params, value=1.0)[1]) == jax.tree.leaves(
        tx.update(jnp.ones(2), state, params, value=1.0)[1])


@pytest.mark.parametrize("min_scale", [0.0, 0.7])
def test_a_state_of_numpy_scalars_resumes_bit_for_bit(min_scale):
    """Cut anywhere and read back as NumPy scalars, the run goes on as the uninterrupted one: the
    scalars were computed as Python floats (float32's 0.9999 after 1.0 is no improvement, in float64
    it is: the scale was not reduced) and float32's 0.7 at min_scale 0.7 was refused."""
    tx = lrcore.jax.reduce_on_plateau(factor=0.5, patience=0, min_scale=min_scale)
    params = jnp.zeros(2)
    values = [1.0, 0.9999, 0.9999, 1.0, 1.0, 1.0, 0.5]
    states = [tx.init(params)]
    for v in values:
        states.append(tx.update(jnp.ones(2), states[-1], params, value=v)[1])
    for cut in range(len(values)):
        state = type(states[cut])(*[np.asarray(v)[()] for v in states[cut]])
        for v in values[cut:]:
            updates, state = tx.update(jnp.ones(2), state, params, value=v)
        for got, want in zip(jax.tree.leaves(state), jax.tree.leaves(states[-1])):
            assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), (cut, state, states[-1])
