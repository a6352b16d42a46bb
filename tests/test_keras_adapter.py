"""``lrcore.keras``: Keras 3 schedules and the reduce-on-plateau callback on the TF, JAX and torch backends.

Keras picks its backend at import, so each backend runs in its own subprocesses
(``tests/keras_backend_run.py``): ``train`` fits with a recording optimizer — the learning rate the
compiled update step received, update by update — under a plateau callback fed a fixed metric
sequence, saves the model, and fits again under ``mixed_float16``; ``resume`` loads the model in a
fresh process without ``custom_objects`` and continues. The references are ``lrcore.numpy`` (float64)
for the schedule and the real ``torch.optim.lr_scheduler.ReduceLROnPlateau`` for the scale.

In this process (the TensorFlow backend, as the other Keras tests): the module surface, config
round trips, argument validation, and value-by-value parity of the callback with
``keras.callbacks.ReduceLROnPlateau`` on a constant learning rate, under the mapping
Keras(patience=p+1, cooldown=c+1, min_delta=t) == lrcore(patience=p, cooldown=c, threshold=t,
threshold_mode="abs").
"""

from __future__ import annotations

import inspect
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lrcore  # noqa: E402
import lrcore.keras  # noqa: E402
import lrcore.numpy  # noqa: E402
from tests import examples  # noqa: E402
from tests.helpers import assert_ulp_close, ulp_bound  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "keras_backend_run.py"
BACKENDS = ["tensorflow", "jax", "torch"]

from tests.keras_scenario import (  # noqa: E402
    EAGER,
    EAGER_STEPS,
    EPOCHS,
    METRICS,
    MORE_EPOCHS,
    PEAK,
    PLATEAU,
    SCHEDULE,
    STEPS_PER_EPOCH,
)


# -- the subprocesses ----------------------------------------------------------------------------
_RESULTS: dict = {}


def _run(backend: str, phase: str, workdir: pathlib.Path) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(SCRIPT), phase, str(workdir)], capture_output=True, text=True,
                          env=env, timeout=240, cwd=ROOT)
    assert proc.returncode == 0, f"{backend} {phase}:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("keras_backends")


def result(backend: str, phase: str, workdir: pathlib.Path) -> dict:
    """Run (once) the phase for the backend; every resume reads the TensorFlow run's lrcore.tf file."""
    key = (backend, phase)
    if key not in _RESULTS:
        directory = workdir / backend
        directory.mkdir(exist_ok=True)
        if phase == "resume":
            result(backend, "train", workdir)
            result("tensorflow", "train", workdir)
            if backend != "tensorflow":
                shutil.copy(workdir / "tensorflow" / "legacy.keras", directory / "legacy.keras")
        _RESULTS[key] = _run(backend, phase, directory)
    return _RESULTS[key]


def torch_plateau_scales(metrics):
    """The scale after each metric, from torch's ReduceLROnPlateau on an lr of 1 (the peer itself)."""
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    kwargs = {k: v for k, v in PLATEAU.items() if k != "monitor"}
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    scales = []
    for m in metrics:
        sched.step(m)
        scales.append(opt.param_groups[0]["lr"])
    state = [opt.param_groups[0]["lr"], sched.best, sched.num_bad_epochs, sched.cooldown_counter]
    return scales, state


def expected_lrs(first_epoch, last_epoch):
    """lr of every update in epochs [first, last): schedule(n) times the scale after the previous epochs."""
    scales, _ = torch_plateau_scales(METRICS)
    steps, want = [], []
    for epoch in range(first_epoch, last_epoch):
        scale = 1.0 if epoch == 0 else scales[epoch - 1]
        for n in range(epoch * STEPS_PER_EPOCH, (epoch + 1) * STEPS_PER_EPOCH):
            steps.append(n)
            want.append(lrcore.numpy.from_schedule(SCHEDULE)(n) * scale)
    return np.array(steps), np.array(want)


@pytest.mark.parametrize("label", EAGER, ids=examples.case_id)
@pytest.mark.parametrize("backend", BACKENDS)
def test_eager_values_on_backend_arrays(backend, label, workdir):
    got = result(backend, "train", workdir)
    assert got["backend"] == backend
    assert got["steps"] == EAGER_STEPS
    want = lrcore.numpy.from_schedule(EAGER[label])(np.array(EAGER_STEPS))
    assert_ulp_close(got["values"][label], want, 32, context=f"{label} on {backend}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_compiled_fit_applies_schedule_times_plateau_scale(backend, workdir):
    train = result(backend, "train", workdir)["train"]
    n = EPOCHS * STEPS_PER_EPOCH
    assert train["iterations"] == n
    steps, want = expected_lrs(0, EPOCHS)
    # The reductions happened (scale 0.5 from epoch 4), and the compiled step used them.
    assert min(want) < 0.6 * lrcore.numpy.from_schedule(SCHEDULE)(steps[-1])
    got = np.array(train["record"][:n])
    assert_ulp_close(got, want, 32, scale=PEAK, context=backend)
    # ... while the unscaled schedule is not what was applied after the first reduction.
    unscaled = lrcore.numpy.from_schedule(SCHEDULE)(steps)
    assert np.max(np.abs(got - unscaled)) > 1e3 * ulp_bound(PEAK, 32)
    assert all(v == 0.0 for v in train["record"][n:])
    # The gradient is exactly 1: the weight moved by the sum of the recorded rates (float32 sums).
    assert abs(train["kernel"] + got.sum()) <= n * ulp_bound(PEAK * n, 32)
    _, torch_state = torch_plateau_scales(METRICS[:EPOCHS])
    assert train["state"] == torch_state
    assert train["type"] == "lrcore.backends.keras.KerasSchedule"
    assert train["config"]["plateau"]["state"] == dict(zip(["scale", "best", "num_bad", "cooldown_left"], torch_state))


@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_precision(backend, workdir):
    mixed = result(backend, "train", workdir)["mixed"]
    assert mixed["optimizer"] == "LossScaleOptimizer" and mixed["compute_dtype"] == "float16"
    assert mixed["lr_dtype"] == "float32"
    n = 2 * STEPS_PER_EPOCH
    assert mixed["iterations"] == n
    assert_ulp_close(mixed["record"][:n], lrcore.numpy.from_schedule(SCHEDULE)(np.arange(n)), 32, scale=PEAK)


@pytest.mark.parametrize("backend", BACKENDS)
def test_save_load_in_a_fresh_process_and_continue(backend, workdir):
    train = result(backend, "train", workdir)["train"]
    got = result(backend, "resume", workdir)
    # Keras resolves registered names only: without `import lrcore.keras` the class is unknown.
    assert "Could not locate class 'KerasSchedule'" in got["without_import"]
    loaded = got["loaded"]
    assert loaded["type"] == "lrcore.backends.keras.KerasSchedule"
    assert loaded["config"] == train["config"] and loaded["state"] == train["state"]  # exact
    assert loaded["iterations"] == train["iterations"] and loaded["record"] == train["record"]
    resumed = got["resumed"]
    start, end = EPOCHS * STEPS_PER_EPOCH, (EPOCHS + MORE_EPOCHS) * STEPS_PER_EPOCH
    assert resumed["iterations"] == end
    assert resumed["record"][:start] == train["record"][:start]
    _, want = expected_lrs(EPOCHS, EPOCHS + MORE_EPOCHS)
    assert_ulp_close(resumed["record"][start:end], want, 32, scale=PEAK, context=backend)
    # The reduction right after the resume needs the saved bad count: the state continued exactly.
    _, torch_state = torch_plateau_scales(METRICS)
    assert resumed["state"] == torch_state


@pytest.mark.parametrize("backend", BACKENDS)
def test_models_saved_with_lrcore_tf_load(backend, workdir):
    legacy = result(backend, "resume", workdir)["legacy"]
    # On TensorFlow the saved class itself; elsewhere lrcore.keras reads the same config.
    kind = "lrcore.backends.tf.TFSchedule" if backend == "tensorflow" else "lrcore.backends.keras.KerasSchedule"
    assert legacy["type"] == kind
    assert legacy["config"] == SCHEDULE.to_dict()
    assert_ulp_close(legacy["values"], lrcore.numpy.from_schedule(SCHEDULE)(np.array(legacy["steps"])), 32)
    n = 2 * STEPS_PER_EPOCH  # one epoch before saving, one after loading
    assert legacy["iterations"] == n
    assert_ulp_close(legacy["record"][:n], lrcore.numpy.from_schedule(SCHEDULE)(np.arange(n)), 32, scale=PEAK)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_adapters_point_keras_users_to_lrcore_keras(backend, workdir):
    pointers = result(backend, "train", workdir)["pointers"]
    assert set(pointers) == ({"jax", "tf"} if backend == "jax" else {"torch"})
    for name, message in pointers.items():
        assert "lrcore.keras" in message, (name, message)


# -- in this process (TensorFlow backend) ---------------------------------------------------------
@pytest.mark.parametrize("name", lrcore.SCHEDULES)
def test_factory_is_offered(name):
    got, core = inspect.signature(getattr(lrcore.keras, name)), inspect.signature(getattr(lrcore, name))
    assert got.parameters == core.parameters
    assert got.return_annotation is lrcore.keras.KerasSchedule


def test_module_surface():
    assert set(lrcore.keras.__all__) == {*lrcore.SCHEDULES, "from_schedule", "KerasSchedule", "ReduceLROnPlateau"}
    lr = lrcore.keras.warmup(lrcore.cosine_decay(1.0, 100), warmup_steps=10)
    assert isinstance(lr, keras.optimizers.schedules.LearningRateSchedule)
    assert lr(np.int64(5)).dtype.name == "float32"
    assert_ulp_close(np.asarray(lr(np.arange(200))), lrcore.numpy.from_schedule(lr)(np.arange(200)), 32)


def test_config_round_trip_and_registration():
    lr = lrcore.keras.from_schedule(SCHEDULE)
    assert lr.get_config() == SCHEDULE.to_dict()
    serialized = keras.saving.serialize_keras_object(lr)
    assert serialized["registered_name"] == "lrcore>KerasSchedule"
    restored = keras.saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert isinstance(restored, lrcore.keras.KerasSchedule) and restored == lr
    # With plateau state: the state round-trips exactly, through JSON.
    rule = lrcore.plateau(factor=0.3, patience=2)
    lr.attach_plateau(rule)
    lr.set_plateau(rule, lrcore.PlateauState(0.09, 0.123456789012345678, 2, 0))
    config = json.loads(json.dumps(lr.get_config()))
    assert config["plateau"]["state"] == {"scale": 0.09, "best": 0.123456789012345678, "num_bad": 2, "cooldown_left": 0}
    again = lrcore.keras.KerasSchedule.from_config(config)
    assert again == lr and again.plateau_state == lr.plateau_state and again.plateau_rule == rule
    assert float(again(10)) == float(lr(10)) == float(np.float32(lrcore.keras.from_schedule(SCHEDULE)(10)) * np.float32(0.09))
    with pytest.raises(ValueError, match="plateau"):
        lrcore.keras.KerasSchedule.from_config({**SCHEDULE.to_dict(), "plateau": {"rule": rule.to_dict()}})
    with pytest.raises(ValueError, match="state"):
        lrcore.keras.KerasSchedule.from_config({**SCHEDULE.to_dict(), "plateau": {"rule": rule.to_dict(), "state": {}}})
    with pytest.raises(ValueError, match="Unknown"):
        lrcore.keras.KerasSchedule.from_config({"name": "nope", "params": {}})
    with pytest.raises(TypeError, match="schedule"):
        lrcore.keras.from_schedule(keras.optimizers.schedules.ExponentialDecay(1.0, 10, 0.5))
    with pytest.raises(ValueError, match="decay_steps"):
        lrcore.keras.cosine_decay(1.0, decay_steps=0)


@pytest.mark.parametrize(
    "mode, edit, exc, entry",
    [
        ("min", {"scale": -1.0}, ValueError, "plateau.state.scale"),
        ("min", {"scale": float("nan")}, ValueError, "plateau.state.scale"),
        ("min", {"scale": 1.5}, ValueError, "plateau.state.scale"),
        ("min", {"scale": 0.05}, ValueError, "plateau.state.scale"),  # below min_scale=0.1
        ("min", {"scale": "0.5"}, TypeError, "plateau.state.scale"),
        ("min", {"best": float("nan")}, ValueError, "plateau.state.best"),
        ("min", {"best": float("-inf")}, ValueError, "plateau.state.best"),
        ("max", {"best": float("inf")}, ValueError, "plateau.state.best"),
        ("min", {"best": None}, TypeError, "plateau.state.best"),
        ("min", {"num_bad": -1}, ValueError, "plateau.state.num_bad"),
        ("min", {"num_bad": 3}, ValueError, "plateau.state.num_bad"),  # beyond patience=2
        ("min", {"num_bad": 1.0}, TypeError, "plateau.state.num_bad"),
        ("min", {"cooldown_left": -1}, ValueError, "plateau.state.cooldown_left"),
        ("min", {"cooldown_left": 5}, ValueError, "plateau.state.cooldown_left"),  # beyond cooldown=4
        ("min", {"cooldown_left": float("nan")}, TypeError, "plateau.state.cooldown_left"),
    ],
)
def test_from_config_refuses_an_edited_plateau_state(mode, edit, exc, entry):
    rule = lrcore.plateau(factor=0.5, patience=2, cooldown=4, min_scale=0.1, mode=mode)
    state = {"scale": 0.5, "best": 0.25, "num_bad": 1, "cooldown_left": 0, **edit}
    config = {**SCHEDULE.to_dict(), "plateau": {"rule": rule.to_dict(), "state": state}}
    with pytest.raises(exc, match=re.escape(f"`{entry}`")):
        lrcore.keras.KerasSchedule.from_config(config)


@pytest.mark.parametrize("entry", [None, [], 0])
def test_from_config_refuses_a_plateau_entry_that_holds_no_plateau(entry):
    """``"plateau": None`` dropped the plateau without a word (the lr went back to the schedule's):
    get_config leaves the entry out where there is none, so an entry must hold one."""
    with pytest.raises(ValueError, match=re.escape("The `plateau` entry of the config must hold 'rule' and 'state'")):
        lrcore.keras.KerasSchedule.from_config({**SCHEDULE.to_dict(), "plateau": entry})
    assert lrcore.keras.KerasSchedule.from_config(SCHEDULE.to_dict()).plateau_state is None


@pytest.mark.parametrize("mode, best", [("min", float("inf")), ("max", float("-inf")), ("min", -3.0), ("max", 7)])
def test_from_config_accepts_every_reachable_plateau_state(mode, best):
    rule = lrcore.plateau(factor=0.5, patience=2, cooldown=4, min_scale=0.1, mode=mode)
    state = {"scale": 0.1, "best": best, "num_bad": 2, "cooldown_left": 4}
    lr = lrcore.keras.KerasSchedule.from_config({**SCHEDULE.to_dict(), "plateau": {"rule": rule.to_dict(), "state": state}})
    assert lr.plateau_state == lrcore.PlateauState(0.1, float(best), 2, 4)
    assert float(lr(3)) == float(np.float32(np.float32(lrcore.numpy.from_schedule(SCHEDULE)(3)) * np.float32(0.1)))


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        ({"monitor": ""}, TypeError, "monitor"),
        ({"monitor": 3}, TypeError, "monitor"),
        ({"mode": "maximum"}, ValueError, "mode"),
        ({"factor": 1.0}, ValueError, "factor"),
        ({"factor": "0.5"}, TypeError, "factor"),
        ({"patience": -1}, ValueError, "patience"),
        ({"patience": 1.5}, ValueError, "patience"),
        ({"patience": "2"}, TypeError, "patience"),
        ({"threshold": -1e-3}, ValueError, "threshold"),
        ({"threshold_mode": "relative"}, ValueError, "threshold_mode"),
        ({"cooldown": -2}, ValueError, "cooldown"),
        ({"min_scale": -0.1}, ValueError, "min_scale"),
        ({"eps": float("nan")}, ValueError, "eps"),
        ({"verbose": 2}, ValueError, "verbose"),
    ],
)
def test_callback_validates_every_argument(kwargs, exc, name):
    with pytest.raises(exc, match=f"`{name}`"):
        lrcore.keras.ReduceLROnPlateau(**kwargs)


def test_callback_takes_every_rule_parameter_with_its_default():
    """The rule's parameters are written once (the fields of lrcore.Plateau): the callback takes
    each with its default (``mode`` aside: ``"auto"``) and passes it on."""
    import dataclasses

    fields = {f.name: f.default for f in dataclasses.fields(lrcore.Plateau)}
    parameters = inspect.signature(lrcore.keras.ReduceLROnPlateau).parameters
    assert set(parameters) == set(fields) | {"monitor", "verbose"}
    assert {name: parameters[name].default for name in fields} == {**fields, "mode": "auto"}
    given = dict(factor=0.5, patience=3, mode="max", threshold=0.01, threshold_mode="abs", cooldown=2, min_scale=0.001, eps=1e-6)
    assert lrcore.keras.ReduceLROnPlateau(monitor="accuracy", **given).rule == lrcore.plateau(**given)


def test_schedule_creates_its_plateau_scale_once():
    lr = lrcore.keras.constant(0.1)
    assert lr.ensure_scale() is True and lr.ensure_scale() is False
    assert lr.plateau_rule is None and float(lr(3)) == np.float32(0.1)  # the scale starts at 1
    rule = lrcore.plateau(factor=0.5)
    assert lr.attach_plateau(rule) is True and lr.attach_plateau(rule) is False
    with pytest.raises(ValueError, match="another rule"):
        lr.attach_plateau(lrcore.plateau(factor=0.2))


def _compiled(lr, metrics=()):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse", metrics=list(metrics))
    x = np.ones((4, 2), np.float32)
    model.evaluate(x, x[:, :1], verbose=0)  # builds the compiled metrics
    return model


def test_callback_needs_an_lrcore_schedule():
    callback = lrcore.keras.ReduceLROnPlateau(monitor="loss")
    callback.set_model(_compiled(0.1))
    with pytest.raises(TypeError, match="learning_rate"):
        callback.on_train_begin()


def test_mode_auto_and_missing_metrics():
    model = _compiled(lrcore.keras.constant(0.1), metrics=["mean_absolute_error", "binary_accuracy"])
    resolved = {}
    for monitor in ("val_loss", "loss", "val_binary_accuracy", "mean_absolute_error"):
        callback = lrcore.keras.ReduceLROnPlateau(monitor=monitor)
        callback.set_model(_compiled(lrcore.keras.constant(0.1), metrics=["mean_absolute_error", "binary_accuracy"]))
        callback.on_train_begin()
        callback.on_epoch_end(0, {monitor: 1.0})  # a metric's direction is read once the epoch ran
        resolved[monitor] = callback.rule.mode
    assert resolved == {"val_loss": "min", "loss": "min", "val_binary_accuracy": "max", "mean_absolute_error": "min"}
    callback = lrcore.keras.ReduceLROnPlateau(monitor="custom_score")
    callback.set_model(model)
    callback.on_train_begin()
    with pytest.raises(ValueError, match="`mode`"):
        callback.on_epoch_end(0, {"custom_score": 1.0})
    callback = lrcore.keras.ReduceLROnPlateau(monitor="val_loss", mode="min")
    callback.set_model(model)
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not available"):
        callback.on_epoch_end(0, {"loss": 1.0})  # no validation this epoch (validation_freq): as Keras, warned
    assert model.optimizer._learning_rate.plateau_state == lrcore.plateau(mode="min").init()
    with pytest.raises(ValueError, match="`monitor`"):
        callback.on_epoch_end(1, {"loss": 1.0, "val_los": 2.0})  # validation ran; the name is wrong
    callback.on_train_end()  # never reported: warned at each epoch, nothing raised


def test_fit_without_validation_data_warns_as_keras_and_returns_its_history():
    # The peer: Keras' own callback, in the same fit without validation data.
    x = np.ones((4, 2), np.float32)
    histories, messages = [], []
    for callback in (keras.callbacks.ReduceLROnPlateau(), lrcore.keras.ReduceLROnPlateau(monitor="val_loss")):
        lr = lrcore.keras.constant(0.1)
        model = _compiled(lr)
        with pytest.warns(UserWarning) as caught:
            histories.append(model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[callback]))
        messages.append([str(w.message) for w in caught if "conditioned on metric" in str(w.message)])
        assert float(model.optimizer.learning_rate) == np.float32(0.1)
    assert [len(h.history["loss"]) for h in histories] == [2, 2]
    assert len(messages[1]) == len(messages[0]) == 2
    assert all(m.startswith("Learning rate reduction is conditioned on metric `val_loss` which is not available") for m in messages[1])


def _accuracy_model(lr):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_mode_auto_on_val_accuracy_in_fit_is_keras_max():
    # Keras builds the compiled metrics in the first train step: the direction of "val_accuracy"
    # ("max", the accuracy metric's) is known only at the end of the first epoch, as Keras' callbacks read it.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x[:, :1] + 0.3 * x[:, 1:] > 0).astype("float32")
    lr = lrcore.keras.constant(0.5)
    model = _accuracy_model(lr)
    ours = lrcore.keras.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=0)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_data=(x, y), callbacks=[ours])
    assert ours.rule.mode == "max"
    # Value by value against keras.callbacks.ReduceLROnPlateau (mode="auto" too) fed the same metrics,
    # under the mapping Keras(patience=p+1, cooldown=c+1, min_delta=t) == lrcore(p, c, t, "abs"):
    # a rising accuracy improves (no reduction), a falling one does not.
    metrics = [0.5, 0.6, 0.7, 0.7, 0.65, 0.8, 0.8, 0.8, 0.9, 0.85, 0.85, 0.85, 0.95]

    def lrs(callback, lr0):
        model = _accuracy_model(lr0)
        model.fit(x, y, epochs=1, batch_size=16, verbose=0, validation_data=(x, y))  # builds the metrics
        callback.set_model(model)
        callback.on_train_begin()
        out = []
        for epoch, m in enumerate(metrics):
            callback.on_epoch_end(epoch, {"val_accuracy": m, "loss": 1.0})
            out.append(float(np.asarray(model.optimizer.learning_rate)))
        return out

    want = lrs(keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=2, cooldown=1), 0.1)
    got = lrs(
        lrcore.keras.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, cooldown=0, threshold=0.0,
                                       threshold_mode="abs", eps=0.0),
        lrcore.keras.constant(0.1),
    )
    assert len(set(want)) > 1 and want[2] == pytest.approx(0.1)  # reduced, and not on the rise
    assert_ulp_close(got, want, 32, scale=0.1, context="val_accuracy, mode='auto'")


def test_resuming_with_another_rule_is_refused():
    model = _compiled(lrcore.keras.constant(0.1))
    first = lrcore.keras.ReduceLROnPlateau(monitor="loss", patience=3)
    first.set_model(model)
    first.on_train_begin()
    first.on_epoch_end(0, {"loss": 1.0})
    other = lrcore.keras.ReduceLROnPlateau(monitor="loss", patience=4)
    other.set_model(model)
    with pytest.raises(ValueError, match="patience"):
        other.on_train_begin()
    same = lrcore.keras.ReduceLROnPlateau(monitor="loss", patience=3)
    same.set_model(model)
    same.on_train_begin()  # continues the state
    assert model.optimizer._learning_rate.plateau_state.best == 1.0


def _plateau_lrs(callback_class, learning_rate, metrics, **kwargs):
    """The optimizer's lr after each epoch end, a ReduceLROnPlateau callback fed ``metrics``."""
    model = _compiled(learning_rate)
    callback = callback_class(monitor="val_loss", **kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    lrs = []
    for epoch, m in enumerate(metrics):
        callback.on_epoch_end(epoch, {"val_loss": m, "loss": m})
        lrs.append(float(np.asarray(model.optimizer.learning_rate)))
    return lrs


def _keras_lrs(lr0, metrics, **kwargs):
    return _plateau_lrs(keras.callbacks.ReduceLROnPlateau, lr0, metrics, **kwargs)


def _lrcore_lrs(lr0, metrics, **kwargs):
    return _plateau_lrs(lrcore.keras.ReduceLROnPlateau, lrcore.keras.constant(lr0), metrics, **kwargs)


@pytest.mark.parametrize(
    "patience, cooldown, min_delta, factor, min_lr, mode",
    [
        (0, 0, 0.0, 0.5, 0.0, "min"),
        (1, 0, 0.05, 0.5, 0.0, "min"),
        (2, 1, 0.01, 0.3, 0.0, "min"),
        (1, 2, 0.0, 0.1, 1e-4, "min"),
        (3, 0, 0.02, 0.7, 0.02, "max"),
        (0, 3, 0.1, 0.5, 0.0, "max"),
    ],
)
def test_parity_with_keras_reduce_lr_on_plateau(patience, cooldown, min_delta, factor, min_lr, mode):
    # Keras reduces one bad epoch earlier and its cooldown is one epoch shorter; its min_delta is
    # absolute and min_lr an lr: Keras(patience=p+1, cooldown=c+1, min_delta=t, min_lr=L*s) on a
    # constant lr L gives the rates of lrcore(patience=p, cooldown=c, threshold=t, "abs", min_scale=s).
    rng = np.random.default_rng(patience * 31 + cooldown * 7 + int(factor * 10))
    lr0, reduced = 0.1, []
    for trial in range(4):
        walk = np.round(np.cumsum(rng.normal(0.0, 0.05, 40)) + rng.choice([0.0, 0.02], 40), 3)
        metrics = [float(v) for v in (1.0 + walk if mode == "min" else 1.0 - walk)]
        if trial == 0:
            metrics = [1.0] * 40  # a flat metric: a reduction every patience+1 (+ cooldown) epochs
        want = _keras_lrs(lr0, metrics, patience=patience + 1, cooldown=cooldown + 1, min_delta=min_delta,
                          factor=factor, min_lr=min_lr, mode=mode)
        got = _lrcore_lrs(lr0, metrics, patience=patience, cooldown=cooldown, threshold=min_delta,
                          threshold_mode="abs", factor=factor, min_scale=min_lr / lr0, mode=mode, eps=0.0)
        reduced.append(len(set(want)) > 1)
        assert_ulp_close(got, want, 32, scale=lr0, context=f"trial {trial}: {metrics}")
    assert sum(reduced) >= 2, "too few sequences with a reduction: a weak case"


@pytest.mark.parametrize("backend", BACKENDS)
def test_docs_page_examples_run(backend, tmp_path):
    """Every Python block of docs/keras.md runs as written, each in a fresh process, on each backend."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "keras.md").read_text(), flags=re.S)
    assert len(blocks) >= 5
    script = tmp_path / "blocks.py"
    # One process per backend; each block in its own namespace, as a reader would paste it.
    script.write_text(
        "import sys\n"
        f"blocks = {blocks!r}\n"
        "for i, code in enumerate(blocks):\n"
        "    print(f'--- block {i}', flush=True)\n"
        "    exec(compile(code, f'docs/keras.md block {i}', 'exec'), {'__name__': '__main__'})\n"
    )
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=240,
                          cwd=tmp_path)
    assert proc.returncode == 0, f"{backend}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert proc.stdout.count("--- block") == len(blocks)


@pytest.mark.parametrize("name", ["KerasSchedule", "ReduceLROnPlateau"])
def test_docstring_examples_pass(name):
    import doctest

    obj = getattr(lrcore.keras, name)
    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(obj, name, globs={}) if t.examples]
    assert tests, f"{name} has no doctest example"
    for test in tests:
        runner.run(test)
    outcome = runner.summarize(verbose=False)
    assert outcome.failed == 0 and outcome.attempted > 0


# -- ModelCheckpoint and the plateau callback, in either order -------------------------------------
CKPT_FED = [1.0, 0.5, 0.6, 0.7, 0.4, 0.45]  # reductions after epochs 3, 4 and 6 (patience 0)
CKPT_STEPS, CKPT_PEAK, CKPT_DECAY = 4, 0.1, 30


class _Feed(keras.callbacks.Callback):
    """Writes CKPT_FED[epoch] into the epoch's logs (listed first)."""

    def on_epoch_end(self, epoch, logs=None):
        logs["fed"] = CKPT_FED[epoch]


class _Applied(keras.callbacks.Callback):
    """The learning rate of every update, read before it: {iteration: lr}."""

    def __init__(self):
        super().__init__()
        self.lrs = {}

    def on_train_batch_begin(self, batch, logs=None):
        self.lrs[int(self.model.optimizer.iterations)] = float(np.asarray(self.model.optimizer.learning_rate))


def _checkpoint_fit(model, path, plateau_first, initial_epoch=0):
    applied = _Applied()
    checkpoint = keras.callbacks.ModelCheckpoint(str(path / "epoch{epoch}.keras"))
    plateau = lrcore.keras.ReduceLROnPlateau(monitor="fed", factor=0.5, patience=0, mode="min")
    callbacks = [_Feed(), plateau, checkpoint] if plateau_first else [_Feed(), checkpoint, plateau]
    x = np.ones((2 * CKPT_STEPS, 1), np.float32)
    model.fit(x, x, batch_size=2, epochs=len(CKPT_FED), initial_epoch=initial_epoch, shuffle=False, verbose=0,
              callbacks=[applied, *callbacks])
    return applied.lrs


@pytest.mark.parametrize("plateau_first", [False, True], ids=["checkpoint first", "plateau first"])
def test_checkpoint_in_either_order_resumes_as_the_uninterrupted_run(tmp_path, plateau_first):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lrcore.keras.cosine_decay(CKPT_PEAK, CKPT_DECAY)),
                  loss="mse", run_eagerly=True)
    full = _checkpoint_fit(model, tmp_path, plateau_first)
    import pickle

    schedule = model.optimizer._learning_rate  # still picklable once a callback drives it
    assert pickle.loads(pickle.dumps(schedule)).plateau_state == schedule.plateau_state
    # Reference: the cosine in float64 times torch's own ReduceLROnPlateau fed the epochs' metrics.
    import math

    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    want = {}
    for epoch, metric in enumerate(CKPT_FED):
        for n in range(epoch * CKPT_STEPS, (epoch + 1) * CKPT_STEPS):
            want[n] = CKPT_PEAK * 0.5 * (1 + math.cos(math.pi * n / CKPT_DECAY)) * opt.param_groups[0]["lr"]
        ref.step(metric)
    assert sorted(full) == sorted(want) and want[23] < 0.2 * want[8]
    assert_ulp_close([full[n] for n in sorted(full)], [want[n] for n in sorted(want)], 32, scale=CKPT_PEAK)
    # Reloaded from the file saved at the end of epoch 3 (whose metric makes the first reduction) and
    # continued with new callbacks in the same order: the lrs of the uninterrupted run.
    for epochs_done in (2, 3):
        (tmp_path / f"resumed{epochs_done}").mkdir()
        resumed = keras.models.load_model(tmp_path / f"epoch{epochs_done}.keras")
        again = _checkpoint_fit(resumed, tmp_path / "resumed", plateau_first, initial_epoch=epochs_done)
        assert again == {n: full[n] for n in range(epochs_done * CKPT_STEPS, len(CKPT_FED) * CKPT_STEPS)}


def test_a_save_before_the_metric_is_logged_is_warned_about(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lrcore.keras.constant(0.1)), loss="mse",
                  run_eagerly=True)
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "epoch{epoch}.keras"))
    plateau = lrcore.keras.ReduceLROnPlateau(monitor="fed", patience=0, mode="min")
    x = np.ones((4, 1), np.float32)
    import warnings

    # Recorded rather than pytest.warns: TensorFlow's own DeprecationWarnings would be re-emitted.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, x, batch_size=2, epochs=1, verbose=0, callbacks=[checkpoint, _Feed(), plateau])
    ours = [w for w in caught if "before `monitor`='fed' was in the epoch's logs" in str(w.message)]
    assert len(ours) == 1 and ours[0].category is UserWarning and "end of epoch 1" in str(ours[0].message)
