"""One registration is all a schedule needs: a new one appears everywhere a built-in one does.

Schedules are registered through the public mechanism (``lrcore.register``, as CONTRIBUTING.md and
docs/custom.md describe) in fresh interpreters:

- ``dummy_hold``, which must then be offered by every adapter, rebuilt by ``from_dict`` and pickle,
  listed and evaluated by the CLI, written into the adapter stubs, and flagged by the docs and
  example-table checks until it has a catalog section and a table entry;
- ``dummy_tanh_decay`` (timm's tanh decay), whose evaluation calls an element-wise function
  (``xp.tanh``) that no namespace binding of lrcore names and whose level parameter has a new name
  (``lr_max``): it must give the values of an independent mpmath reference on every adapter (NumPy;
  JAX eager and under ``jit``; PyTorch; TensorFlow eager and in ``tf.function(jit_compile=True)``;
  Keras), and appear in ``from_dict``, the CLI and the stubs like any other schedule;
- ``dummy_log1p_decay`` and the combinator ``dummy_delay``, written by a user in a module of their
  own (``lrcore_user_schedules``) imported after every adapter: the decay calls ``xp.log1p``
  (resolved by the TensorFlow namespace shim, which does not define it) and has a level parameter
  no lrcore code knows (``lr_start``); the combinator evaluates its child through the public
  ``Schedule.evaluate_with``/``Schedule.value_at_zero``. Both give an independent mpmath
  reference on every adapter (JAX under ``jit``, ``torch.compile(fullgraph=True)``,
  ``tf.function``, Keras included), the float32 adapters refuse ``lr_start=1e39`` naming it, and
  the schedule is in ``from_dict``, a pickle loaded where the module was never imported, the CLI
  (``--import``), the stubs and the docs checks; with its table entry, ``pytest -k
  dummy_log1p_decay`` selects its TensorFlow and Keras tests.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import lrcore
from lrcore import register
from lrcore.schedule import unregister
from tests.helpers import assert_ulp_close

ROOT = pathlib.Path(__file__).resolve().parents[1]

# dummy_tanh_decay's parameters in the fresh interpreter, and the steps it is evaluated at there.
TANH = dict(lr_max=0.5, decay_steps=100, lr_min=0.01, lower=-7.0, upper=3.0)
TANH_STEPS = [*range(0, 130), 1000, 2**31 - 1]
TANH_ADAPTERS = ["numpy", "jax", "jax.jit", "torch", "tf", "tf.function", "keras"]

SCRIPT = r'''
import contextlib, io, json, pickle
import numpy as np
import lrcore
from lrcore import validate as check

register = lrcore.register  # the public mechanism


def _dummy_hold(k, p, ops):
    return ops.xp.where(ops.lt(k, p["hold_steps"]), ops.full(k, 0.0), ops.full(k, p["value"]))


@register(_dummy_hold)
def dummy_hold(value, hold_steps=0):
    r"""Zero for ``hold_steps`` steps, then ``value``.

    .. math:: \eta(k) = v\,[k \ge H]

    Args:
        value: the value :math:`v`.
        hold_steps: :math:`H \ge 0`.
    """
    return {"value": check.level("value", value), "hold_steps": check.phase("hold_steps", hold_steps)}


def _dummy_tanh_decay(k, p, ops):
    t = ops.ratio(ops.minimum(k, p["decay_steps"]), p["decay_steps"])
    x = ops.f(p["lower"]) + ops.f(p["upper"] - p["lower"]) * t
    return ops.f(p["lr_min"]) + (ops.f(p["lr_max"]) - ops.f(p["lr_min"])) * (0.5 * (1.0 - ops.xp.tanh(x)))


@register(_dummy_tanh_decay)
def dummy_tanh_decay(lr_max, decay_steps, lr_min=0.0, lower=-7.0, upper=3.0):
    r"""timm's tanh decay from ``lr_max`` towards ``lr_min`` over ``decay_steps`` steps.

    .. math:: \eta(k) = m + \tfrac12 (M - m)\,\bigl(1 - \tanh(a + (b - a)\,t)\bigr),\quad t = \min(k, T)/T

    Args:
        lr_max: the first value :math:`M` (a level).
        decay_steps: :math:`T \ge 1`.
        lr_min: the floor :math:`m`.
        lower: :math:`a`, the tanh argument at step 0.
        upper: :math:`b > a`, the tanh argument from step ``decay_steps`` on.
    """
    lower, upper = check.real("lower", lower), check.real("upper", upper)
    check.less("lower", lower, "upper", upper)
    return {
        "lr_max": check.level("lr_max", lr_max),
        "decay_steps": check.length("decay_steps", decay_steps),
        "lr_min": check.level("lr_min", lr_min),
        "lower": lower,
        "upper": upper,
    }


out = {}
import lrcore.numpy, lrcore.jax, lrcore.torch, lrcore.tf
from lrcore.backends import ADAPTERS, tf_namespace

out["shim_defines_tanh"] = "tanh" in vars(tf_namespace)

for adapter, bind in ADAPTERS.items():
    module = getattr(lrcore, adapter)
    s = getattr(module, "dummy_hold")(0.25, hold_steps=3)
    out[adapter] = {
        "exported": "dummy_hold" in module.__all__ and "dummy_tanh_decay" in module.__all__,
        "type": type(s).__name__ == bind,
        "values": [float(np.asarray(s(k))) for k in (0, 2, 3, 10)],
        "from_schedule": type(module.from_schedule(dummy_hold(0.25, 3))).__name__ == bind,
    }
try:
    lrcore.numpy.dummy_hold(0.25, hold_steps=-1)
except ValueError as exc:
    out["validation"] = str(exc)

s = dummy_hold(0.25, hold_steps=3)
out["from_dict"] = lrcore.from_dict(json.loads(json.dumps(s.to_dict()))) == s
out["pickle"] = pickle.loads(pickle.dumps(s)) == s
out["scaled"] = (s * 2).to_dict()

from lrcore import cli


def run_cli(*args):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
        cli.main(list(args))
    return buf.getvalue()


out["cli_table"] = run_cli("table", "dummy_hold", "--value", "0.25", "--hold-steps", "3", "--at", "0,2,3,10")
plot_help = run_cli("plot", "--help")
out["cli_help"] = "dummy_hold(value, hold_steps=0)" in plot_help

from lrcore import _stubs
out["stubs"] = {a: "def dummy_hold(value, hold_steps=0) -> %s:" % b in _stubs.render(a) for a, b in ADAPTERS.items()}

# -- dummy_tanh_decay: an element-wise function and a level name no lrcore code knows ----------------
import jax, jax.numpy as jnp, keras, tensorflow as tf, torch
import lrcore.keras

kwargs = json.loads(SPEC)
steps = np.asarray(json.loads(STEPS), dtype=np.int64)
make = {a: getattr(getattr(lrcore, a), "dummy_tanh_decay") for a in ADAPTERS}
values = {
    "numpy": make["numpy"](**kwargs)(steps),
    "jax": make["jax"](**kwargs)(jnp.asarray(steps, dtype=jnp.int32)),
    "jax.jit": jax.jit(make["jax"](**kwargs))(jnp.asarray(steps, dtype=jnp.int32)),
    "torch": make["torch"](**kwargs)(torch.as_tensor(steps)),
    "tf": make["tf"](**kwargs)(tf.constant(steps)),
    "tf.function": tf.function(lambda k, lr=make["tf"](**kwargs): lr(k), jit_compile=True)(tf.constant(steps)),
    "keras": make["keras"](**kwargs)(keras.ops.convert_to_tensor(steps, dtype="int32")),
}
out["tanh"] = {a: {"dtype": str(np.asarray(v).dtype), "values": np.asarray(v, dtype=np.float64).tolist()}
               for a, v in values.items()}
out["shim_tanh_is_tf_math_tanh"] = tf_namespace.tanh is tf.math.tanh

t = dummy_tanh_decay(**kwargs)
out["tanh_from_dict"] = lrcore.from_dict(json.loads(json.dumps(t.to_dict()))) == t and t.to_dict() == {
    "name": "dummy_tanh_decay", "params": kwargs}
out["tanh_cli_table"] = run_cli(
    "table", "dummy_tanh_decay", "--lr-max", str(kwargs["lr_max"]), "--decay-steps", str(kwargs["decay_steps"]),
    "--lr-min", str(kwargs["lr_min"]), "--at", "0,50,100,200")
out["tanh_cli_help"] = "dummy_tanh_decay(lr_max, decay_steps, lr_min=0.0, lower=-7.0, upper=3.0)" in plot_help
out["tanh_stubs"] = {
    a: "def dummy_tanh_decay(lr_max, decay_steps, lr_min=0.0, lower=-7.0, upper=3.0) -> %s:" % b in _stubs.render(a)
    for a, b in ADAPTERS.items()
}
try:
    dummy_tanh_decay(0.5, 10, lower=3.0, upper=-7.0)
except ValueError as exc:
    out["tanh_validation"] = str(exc)

# A level beyond float32 under the new name: the float32 adapters must refuse it, naming it.
out["range_check"] = {}
for adapter in ("torch", "tf", "jax"):
    try:
        make[adapter](lr_max=1e39, decay_steps=100)
        out["range_check"][adapter] = "accepted"
    except ValueError as exc:
        out["range_check"][adapter] = str(exc)

# -- the docs and table checks (plain Markdown; no docs toolchain) ---------------------------------
from tests import catalog, examples

sections = catalog.catalog_sections()
out["docs_missing"] = catalog.catalog_problems(sections)
for name in ("dummy_hold", "dummy_tanh_decay"):
    rows = "".join("| `%s` | ... |\n" % p for p in lrcore.schedule.REGISTRY[name].signature.parameters)
    sections[name] = "$$\\eta(k)$$\n| parameter | meaning |\n| --- | --- |\n%s![%s](../img/generated/%s.png)\n" % (
        rows, name, name)
out["docs_with_section"] = catalog.catalog_problems(sections)
out["table_missing"] = examples.coverage_problems()
out["docs_toolchain_imported"] = sorted(m for m in ("mkdocs", "tests.test_docs") if m in __import__("sys").modules)
print("RESULT" + json.dumps(out))
'''


@pytest.fixture(scope="module")
def registered() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    code = f"SPEC = {json.dumps(json.dumps(TANH))}\nSTEPS = {json.dumps(json.dumps(TANH_STEPS))}\n" + SCRIPT
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    (line,) = [l for l in run.stdout.splitlines() if l.startswith("RESULT")]
    return json.loads(line[len("RESULT") :])


@pytest.mark.parametrize("adapter", ["numpy", "jax", "torch", "tf", "keras"])
def test_every_adapter_offers_it(registered, adapter):
    got = registered[adapter]
    assert got == {"exported": True, "type": True, "values": [0.0, 0.0, 0.25, 0.25], "from_schedule": True}


def test_validation_serialization_and_combinators(registered):
    assert registered["validation"] == "Argument `hold_steps` must be >= 0. Received: hold_steps=-1"
    assert registered["from_dict"] is True and registered["pickle"] is True
    assert registered["scaled"] == {
        "name": "scale",
        "params": {"schedule": {"name": "dummy_hold", "params": {"value": 0.25, "hold_steps": 3}}, "factor": 2.0},
    }


def test_cli_lists_parses_and_evaluates_it(registered):
    assert registered["cli_help"] is True
    rows = [line.split("\t") for line in registered["cli_table"].strip().splitlines()]
    assert rows == [["step", "value"], ["0", "0.0"], ["2", "0.0"], ["3", "0.25"], ["10", "0.25"]]


def test_stubs_and_docs_and_table_checks_see_it(registered):
    assert registered["stubs"] == {"numpy": True, "jax": True, "torch": True, "tf": True, "keras": True}
    assert registered["docs_missing"] == ["dummy_hold: no catalog section", "dummy_tanh_decay: no catalog section"]
    assert registered["docs_with_section"] == []
    assert registered["table_missing"] == [
        "dummy_hold: no entry in tests/examples.py",
        "dummy_tanh_decay: no entry in tests/examples.py",
    ]
    assert registered["docs_toolchain_imported"] == []  # the catalog check is plain Markdown


# -- dummy_tanh_decay -------------------------------------------------------------------------------
def tanh_reference(k: int) -> mpmath.mpf:
    """timm's tanh decay at step ``k``, from the formula: the position exactly, then 50 digits."""
    p = TANH
    t = Fraction(min(k, p["decay_steps"]), p["decay_steps"])
    x = mpmath.mpf(p["lower"]) + (mpmath.mpf(p["upper"]) - mpmath.mpf(p["lower"])) * mpmath.mpf(t.numerator) / t.denominator
    lo, hi = mpmath.mpf(p["lr_min"]), mpmath.mpf(p["lr_max"])
    return lo + (hi - lo) / 2 * (1 - mpmath.tanh(x))


def test_the_tf_shim_never_named_tanh_and_resolved_it_to_tensorflow(registered):
    assert registered["shim_defines_tanh"] is False
    assert registered["shim_tanh_is_tf_math_tanh"] is True


@pytest.mark.parametrize("adapter", TANH_ADAPTERS, ids=[f"dummy_tanh_decay-{a}" for a in TANH_ADAPTERS])
def test_new_elementwise_function_gives_the_reference_on_every_adapter(registered, adapter):
    with mpmath.workdps(50):
        want = np.array([float(tanh_reference(k)) for k in TANH_STEPS])
    got = registered["tanh"][adapter]
    bits = 64 if adapter == "numpy" else 32
    assert got["dtype"] == f"float{bits}"
    assert_ulp_close(got["values"], want, bits, context=adapter)  # 4 ulp of the largest value


def test_new_schedule_serializes_and_is_in_the_cli_and_the_stubs(registered):
    assert registered["tanh_from_dict"] is True
    assert registered["tanh_cli_help"] is True
    assert registered["tanh_stubs"] == {"numpy": True, "jax": True, "torch": True, "tf": True, "keras": True}
    rows = [line.split("\t") for line in registered["tanh_cli_table"].strip().splitlines()]
    assert rows[0] == ["step", "value"] and [int(s) for s, _ in rows[1:]] == [0, 50, 100, 200]
    with mpmath.workdps(50):
        want = [float(tanh_reference(k)) for k in (0, 50, 100, 200)]
    assert_ulp_close([float(v) for _, v in rows[1:]], want, 64)
    assert registered["tanh_validation"] == "Argument `lower` must be < upper. Received: lower=3.0, upper=-7.0"


def test_new_level_name_is_range_checked_on_float32_adapters(registered):
    """A level is whatever the validation checks with ``check.level``, whatever its name: beyond
    float32, the float32 adapters refuse it at construction, naming it."""
    for adapter, message in registered["range_check"].items():
        assert "`lr_max`" in message and "float32" in message, (adapter, message)


def test_register_in_process_with_cleanup():
    """The same mechanism in this process: the factory works, and `unregister` removes it again."""

    def _twice(k, p, ops):
        return ops.full(k, 2.0 * p["value"])

    @register(_twice)
    def twice_dummy(value):
        """Twice ``value``."""
        return {"value": lrcore.validate.level("value", value)}

    try:
        assert float(twice_dummy(0.5)(7)) == 1.0
        assert lrcore.from_dict({"name": "twice_dummy", "params": {"value": 0.5}}) == twice_dummy(0.5)
        with pytest.raises(ValueError, match="already registered"):
            register(_twice)(twice_dummy.__wrapped__)
    finally:
        unregister("twice_dummy")
    with pytest.raises(ValueError, match="Unknown schedule name 'twice_dummy'"):
        lrcore.from_dict({"name": "twice_dummy", "params": {"value": 0.5}})


def test_a_new_combinator_declares_its_first_value_and_its_landmarks():
    """What generic code knows of a combinator comes from its registration: a warmup reads the
    first value of a new combinator through its ``at_zero``, and a plot places its child's
    landmarks through its ``landmarks``."""
    import lrcore.plot

    calls = []

    def _shift(k, p, ops):
        return p["schedule"].evaluate_with(ops.since(k, p["shift_steps"]), ops)

    def _shift_at_zero(p, ops, zeros, at_zero_of_child):
        calls.append(p["shift_steps"])
        return at_zero_of_child(p["schedule"])  # since(0, S) is 0: the child's own first value

    def _shift_landmarks(p, end, landmarks_of):
        s = p["shift_steps"]
        return [s, *(s + q for q in landmarks_of(p["schedule"], end - s))] if s < end else [s]

    @register(_shift, children={"schedule": "one"}, at_zero=_shift_at_zero, landmarks=_shift_landmarks)
    def shift_dummy(schedule, shift_steps):
        """``schedule`` started ``shift_steps`` steps late, holding its first value until then."""
        return {
            "schedule": lrcore.schedule.as_schedule("schedule", schedule),
            "shift_steps": lrcore.validate.phase("shift_steps", shift_steps),
        }

    try:
        inner = lrcore.cosine_decay(1.0, 20, end_value=0.1)
        warmed = lrcore.warmup(shift_dummy(inner, 5), warmup_steps=10, init_value=0.5)
        steps = np.arange(60)
        got = np.asarray(warmed(steps))
        assert calls == [5]  # the warmup asked the declaration for the first value, once

        def reference(k):  # written from the definitions, in exact arithmetic
            if k < 10:
                return mpmath.mpf(0.5) + (1 - mpmath.mpf(0.5)) * Fraction(k, 10)
            j = min(max(k - 15, 0), 20)
            return mpmath.mpf(0.1) + mpmath.mpf(0.9) * (1 + mpmath.cos(mpmath.pi * j / 20)) / 2

        assert_ulp_close(got, [float(reference(k)) for k in steps], 64)
        # The warmup's end (10), the shift's (15) and the cosine's end (20 steps after it).
        assert lrcore.plot.landmarks(warmed, 100) == [10, 15, 35]
        # Joined at 7: each shifted by 7 (and 42, past the end, left out).
        assert lrcore.plot.landmarks(lrcore.join([lrcore.constant(1.0), warmed], [7]), 40) == [7, 17, 22]
    finally:
        unregister("shift_dummy")


# -- a user's own module, imported after every adapter -----------------------------------------------
USER_MODULE = r"""
'''Schedules of one's own: one module, written once in lrcore's array operations.'''
import lrcore
from lrcore import validate as check


def _dummy_log1p_decay(k, p, ops):
    return ops.f(p["lr_start"]) / (1.0 + ops.f(p["rate"]) * ops.xp.log1p(ops.tofloat(k)))


@lrcore.register(_dummy_log1p_decay)
def dummy_log1p_decay(lr_start, rate=1.0):
    r'''Logarithmic decay from ``lr_start``.

    .. math:: \eta(k) = \frac{v_0}{1 + r \ln(1 + k)}

    Args:
        lr_start: the value at step 0, :math:`v_0`.
        rate: :math:`r > 0`.
    '''
    return {"lr_start": check.level("lr_start", lr_start), "rate": check.positive("rate", rate)}


def _dummy_delay(k, p, ops):
    return p["schedule"].evaluate_with(ops.since(k, p["delay_steps"]), ops)


def _dummy_delay_at_zero(p, ops, zeros, at_zero_of_child):
    return p["schedule"].value_at_zero(zeros, ops)  # since(0, D) is 0: the child's first value


@lrcore.register(_dummy_delay, children={"schedule": "one"}, at_zero=_dummy_delay_at_zero)
def dummy_delay(schedule, delay_steps):
    '''``schedule`` held at its first value for ``delay_steps`` steps, then run.'''
    return {
        "schedule": lrcore.schedule.as_schedule("schedule", schedule),
        "delay_steps": check.phase("delay_steps", delay_steps),
    }
"""

# A contributor's table entry for it (tests/examples.py), added before the test modules are collected.
USER_PLUGIN = r"""
import mpmath

import lrcore_user_schedules as user
from tests import examples


def _reference(k, p):
    return mpmath.mpf(p["lr_start"]) / (1 + mpmath.mpf(p.get("rate", 1.0)) * mpmath.log(1 + k))


examples.TABLE["dummy_log1p_decay"] = examples.Entry(
    reference=_reference,
    examples=[
        ("dummy_log1p_decay", user.dummy_log1p_decay(0.5, 0.25), []),
        ("dummy_log1p_decay-fast", user.dummy_log1p_decay(lr_start=1.0, rate=4.0), []),
    ],
    valid=dict(lr_start=0.5),
    levels=["lr_start"],
    plot=("dummy_log1p_decay(0.5, 0.25)", [user.dummy_log1p_decay(0.5, 0.25)], 100, False),
)
"""

LOG1P = dict(lr_start=0.5, rate=0.25)
DELAY_STEPS, WARMUP_STEPS, WARMUP_FROM = 7, 5, 0.1
USER_ADAPTERS = ["numpy", "jax", "jax.jit", "torch", "torch.compile", "tf", "tf.function", "keras"]

USER_SCRIPT = r"""
import json, pickle
import numpy as np
import jax, jax.numpy as jnp, keras, tensorflow as tf, torch
import lrcore, lrcore.numpy, lrcore.jax, lrcore.torch, lrcore.tf, lrcore.keras
from lrcore.backends import ADAPTERS, tf_namespace

out = {"shim_defines_log1p": "log1p" in vars(tf_namespace)}
import lrcore_user_schedules as user  # after every adapter

kwargs, steps = json.loads(SPEC), np.asarray(json.loads(STEPS), dtype=np.int64)
out["exported"] = {a: {n: n in getattr(lrcore, a).__all__ for n in ("dummy_log1p_decay", "dummy_delay")} for a in ADAPTERS}
out["types"] = {a: type(getattr(lrcore, a).dummy_log1p_decay(**kwargs)).__name__ for a in ADAPTERS}


def nested(module):  # a warmup of the user's combinator of the user's schedule, in one adapter
    inner = module.dummy_delay(module.dummy_log1p_decay(**kwargs), DELAY)
    return module.warmup(inner, WARMUP, WARMUP_FROM)


def evaluate(make):
    def compiled_torch(fn):
        torch._dynamo.reset()
        return torch.compile(fn, fullgraph=True, backend="aot_eager")(torch.as_tensor(steps))

    return {
        "numpy": make(lrcore.numpy)(steps),
        "jax": make(lrcore.jax)(jnp.asarray(steps, dtype=jnp.int32)),
        "jax.jit": jax.jit(make(lrcore.jax))(jnp.asarray(steps, dtype=jnp.int32)),
        "torch": make(lrcore.torch)(torch.as_tensor(steps)),
        "torch.compile": compiled_torch(make(lrcore.torch)),
        "tf": make(lrcore.tf)(tf.constant(steps)),
        "tf.function": tf.function(lambda k, lr=make(lrcore.tf): lr(k), jit_compile=True)(tf.constant(steps)),
        "keras": make(lrcore.keras)(keras.ops.convert_to_tensor(steps, dtype="int32")),
    }


def plain(values):
    return {a: {"dtype": str(np.asarray(v).dtype), "values": np.asarray(v, dtype=np.float64).tolist()}
            for a, v in values.items()}


out["log1p"] = plain(evaluate(lambda m: getattr(m, "dummy_log1p_decay")(**kwargs)))
out["nested"] = plain(evaluate(nested))
out["nested_name"] = nested(lrcore.numpy).schedule.to_dict()["params"]["schedule"]["name"]

out["range_check"] = {}
for adapter in ("jax", "torch", "tf", "keras", "numpy"):
    try:
        getattr(lrcore, adapter).dummy_log1p_decay(lr_start=1e39)
        out["range_check"][adapter] = "accepted"
    except ValueError as exc:
        out["range_check"][adapter] = str(exc)

s = user.dummy_log1p_decay(**kwargs)
out["from_dict"] = lrcore.from_dict(json.loads(json.dumps(s.to_dict()))) == s
out["pickle"] = pickle.dumps(user.dummy_delay(s, DELAY)).hex()

from lrcore import _stubs
out["stubs"] = {a: "def dummy_log1p_decay(lr_start, rate=1.0) -> %s:" % b in _stubs.render(a) for a, b in ADAPTERS.items()}

from tests import catalog, examples
out["docs_missing"] = catalog.catalog_problems(catalog.catalog_sections())
out["table_missing"] = examples.coverage_problems()
print("RESULT" + json.dumps(out))
"""

UNPICKLE = r"""
import json, pickle, sys
import lrcore
before = "lrcore_user_schedules" in sys.modules
s = pickle.loads(bytes.fromhex(sys.stdin.read()))
print("RESULT" + json.dumps({"imported_before": before, "imported_after": "lrcore_user_schedules" in sys.modules,
                             "name": s.name, "values": [float(s(k)) for k in (0, 3, 7, 8, 100)]}))
"""


def _result(run) -> dict:
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    (line,) = [l for l in run.stdout.splitlines() if l.startswith("RESULT")]
    return json.loads(line[len("RESULT") :])


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory) -> pathlib.Path:
    where = tmp_path_factory.mktemp("user")
    (where / "lrcore_user_schedules.py").write_text(USER_MODULE)
    (where / "lrcore_user_plugin.py").write_text(USER_PLUGIN)
    return where


def _env(user_dir, with_module=True) -> dict:
    path = os.pathsep.join([str(ROOT), str(user_dir)] if with_module else [str(ROOT)])
    return dict(os.environ, PYTHONPATH=path, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")


@pytest.fixture(scope="module")
def user(user_dir) -> dict:
    code = (
        f"SPEC = {json.dumps(json.dumps(LOG1P))}\nSTEPS = {json.dumps(json.dumps(TANH_STEPS))}\n"
        f"DELAY, WARMUP, WARMUP_FROM = {DELAY_STEPS}, {WARMUP_STEPS}, {WARMUP_FROM}\n" + USER_SCRIPT
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(user_dir), capture_output=True, text=True, timeout=600)
    return _result(run)


def log1p_reference(k: int) -> mpmath.mpf:
    """dummy_log1p_decay at step ``k``, from its formula."""
    return mpmath.mpf(LOG1P["lr_start"]) / (1 + mpmath.mpf(LOG1P["rate"]) * mpmath.log(1 + k))


def nested_reference(k: int) -> mpmath.mpf:
    """warmup(dummy_delay(dummy_log1p_decay, D), W, v0) at step ``k``, from the definitions."""
    if k < WARMUP_STEPS:
        start = log1p_reference(0)
        t = Fraction(k, WARMUP_STEPS)
        return mpmath.mpf(WARMUP_FROM) + (start - mpmath.mpf(WARMUP_FROM)) * mpmath.mpf(t.numerator) / t.denominator
    return log1p_reference(max(k - WARMUP_STEPS - DELAY_STEPS, 0))


def test_a_users_module_imported_after_the_adapters_is_in_every_adapter(user):
    adapters = ("numpy", "jax", "torch", "tf", "keras")
    assert user["exported"] == {a: {"dummy_log1p_decay": True, "dummy_delay": True} for a in adapters}
    assert user["types"] == {
        "numpy": "NumpySchedule", "jax": "JaxSchedule", "torch": "TorchSchedule", "tf": "TFSchedule", "keras": "KerasSchedule"
    }
    assert user["shim_defines_log1p"] is False  # the shim resolves it to TensorFlow's own


@pytest.mark.parametrize("adapter", USER_ADAPTERS, ids=[f"dummy_log1p_decay-{a}" for a in USER_ADAPTERS])
def test_users_schedule_gives_the_reference_on_every_adapter(user, adapter):
    with mpmath.workdps(50):
        want = np.array([float(log1p_reference(k)) for k in TANH_STEPS])
    got = user["log1p"][adapter]
    bits = 64 if adapter == "numpy" else 32
    assert got["dtype"] == f"float{bits}"
    assert_ulp_close(got["values"], want, bits, context=adapter)


@pytest.mark.parametrize("adapter", USER_ADAPTERS, ids=[f"dummy_delay-{a}" for a in USER_ADAPTERS])
def test_users_combinator_evaluates_its_child_through_the_public_door(user, adapter):
    """Eagerly and compiled (jit, torch.compile(fullgraph=True), tf.function): the warmup reads the
    combinator's first value through its ``at_zero``, which reads the child's ``value_at_zero``."""
    with mpmath.workdps(50):
        want = np.array([float(nested_reference(k)) for k in TANH_STEPS])
    assert user["nested_name"] == "dummy_delay"
    assert_ulp_close(user["nested"][adapter]["values"], want, 64 if adapter == "numpy" else 32, context=adapter)


def test_users_level_is_range_checked_on_the_float32_adapters(user):
    checks = dict(user["range_check"])
    assert checks.pop("numpy") == "accepted"  # float64 holds 1e39
    for adapter, message in checks.items():
        assert "`lr_start`" in message and "float32" in message and "1e+39" in message, (adapter, message)


def test_users_schedule_serializes_and_its_pickle_imports_its_module(user, user_dir):
    assert user["from_dict"] is True
    run = subprocess.run([sys.executable, "-c", UNPICKLE], input=user["pickle"], cwd=ROOT, env=_env(user_dir),
                         capture_output=True, text=True, timeout=300)
    got = _result(run)
    assert got["imported_before"] is False and got["imported_after"] is True and got["name"] == "dummy_delay"
    with mpmath.workdps(50):
        want = [float(log1p_reference(max(k - DELAY_STEPS, 0))) for k in (0, 3, 7, 8, 100)]
    assert_ulp_close(got["values"], want, 64)
    # Where the module cannot be imported, loading fails naming it.
    run = subprocess.run([sys.executable, "-c", UNPICKLE], input=user["pickle"], cwd=ROOT,
                         env=_env(user_dir, with_module=False), capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    # (the inner schedule is unpickled first)
    assert "Unknown schedule name 'dummy_log1p_decay': it was registered by the module 'lrcore_user_schedules'" in run.stderr


def test_users_schedule_is_in_the_cli_with_import(user_dir):
    env = _env(user_dir, with_module=False)  # `python -m lrcore` finds the module in its directory
    args = ["table", "--import", "lrcore_user_schedules", "dummy_log1p_decay", "--lr-start", "0.5", "--rate", "0.25",
            "--at", "0,1,10,1000"]
    run = subprocess.run([sys.executable, "-m", "lrcore", *args], cwd=user_dir, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [line.split("\t") for line in run.stdout.strip().splitlines()]
    assert rows[0] == ["step", "value"] and [int(k) for k, _ in rows[1:]] == [0, 1, 10, 1000]
    with mpmath.workdps(50):
        assert_ulp_close([float(v) for _, v in rows[1:]], [float(log1p_reference(k)) for k in (0, 1, 10, 1000)], 64)
    run = subprocess.run([sys.executable, "-m", "lrcore", "plot", "--import", "lrcore_user_schedules", "--help"],
                         cwd=user_dir, env=env, capture_output=True, text=True, timeout=300)
    assert "  dummy_log1p_decay(lr_start, rate=1.0)\n" in run.stdout
    assert "  dummy_delay(schedule, delay_steps)  [--schedule: a JSON object" in run.stdout


def test_users_schedule_is_in_the_stubs_and_the_docs_and_table_checks(user):
    assert user["stubs"] == {"numpy": True, "jax": True, "torch": True, "tf": True, "keras": True}
    assert user["docs_missing"] == ["dummy_log1p_decay: no catalog section", "dummy_delay: no catalog section"]
    assert user["table_missing"] == [
        "dummy_log1p_decay: no entry in tests/examples.py",
        "dummy_delay: no entry in tests/examples.py",
    ]


def test_pytest_k_selects_the_users_schedules_tensorflow_and_keras_tests(user_dir):
    """With its table entry (added here by a pytest plugin, as a contributor adds it to
    tests/examples.py), ``pytest -k dummy_log1p_decay`` collects its TensorFlow and Keras tests."""
    args = ["-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "lrcore_user_plugin",
            "-k", "dummy_log1p_decay", "tests/test_tf_adapter.py", "tests/test_keras_adapter.py"]
    run = subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(user_dir), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    selected = {line.strip() for line in run.stdout.splitlines() if "::" in line}
    assert selected and all("dummy_log1p_decay" in node for node in selected)
    for label in ("dummy_log1p_decay", "dummy_log1p_decay-fast"):
        for node in (
            f"tests/test_tf_adapter.py::test_eager_values_match_numpy[{label}-64]",
            f"tests/test_tf_adapter.py::test_jit_compiled_values_match_numpy[{label}-32]",
            f"tests/test_keras_adapter.py::test_eager_values_on_backend_arrays[tensorflow-{label}]",
            f"tests/test_keras_adapter.py::test_eager_values_on_backend_arrays[jax-{label}]",
        ):
            assert node in selected, (node, sorted(selected))


# -- the registration's own checks, in this process ---------------------------------------------------
def _hold_value(k, p, ops):
    return ops.full(k, p["value"])


def test_adapters_imported_before_a_registration_offer_it_until_it_is_removed():
    import lrcore.numpy
    import lrcore.torch

    @register(_hold_value)
    def late_dummy(value):
        """``value`` at every step."""
        return {"value": lrcore.validate.level("value", value)}

    try:
        for module in (lrcore.numpy, lrcore.torch):
            assert "late_dummy" in module.__all__
            assert module.__all__.index("late_dummy") < module.__all__.index("from_schedule")
        assert float(lrcore.numpy.late_dummy(0.25)(3)) == 0.25
        assert type(lrcore.torch.late_dummy(0.25)).__name__ == "TorchSchedule"
    finally:
        unregister("late_dummy")
    for module in (lrcore.numpy, lrcore.torch):
        assert "late_dummy" not in module.__all__ and not hasattr(module, "late_dummy")


def test_a_taken_name_is_refused_naming_who_took_it():
    with pytest.raises(ValueError, match=r"'cosine_decay' is already registered \(by lrcore\.cosine\.cosine_decay\); it is one of lrcore's own"):

        @register(_hold_value)
        def cosine_decay(value):
            """A second cosine_decay."""
            return {"value": value}


def test_sequence_annotations_declare_list_parameters():
    def list_dummy(a: Sequence[int], b: list[float], c: tuple[float, ...] | None = None, d: str = "x", e=1.0, f: float = 2.0):
        """Parameters of every kind of annotation."""
        return {"a": tuple(a), "b": tuple(b), "c": c, "d": d, "e": e, "f": f}

    register(_hold_value)(list_dummy)
    try:
        assert lrcore.schedule.REGISTRY["list_dummy"].kinds == {
            "a": "sequence", "b": "sequence", "c": "sequence", "d": "value", "e": "value", "f": "value"
        }
    finally:
        unregister("list_dummy")


def test_an_annotation_that_cannot_be_evaluated_is_read_as_text():
    """A name imported inside a function is not in the module's globals: the annotation's text says
    what it is."""

    def text_dummy(a: "MutableSequence[int]", b: "abc.Sequence[float] | None" = None, c: "NoSuchType[int]" = 0, d: "typing.List[int]" = ()):  # noqa: F821
        """Annotations that do not evaluate in this module."""
        return {"a": tuple(a), "b": b, "c": c, "d": tuple(d)}

    register(_hold_value)(text_dummy)
    try:
        assert lrcore.schedule.REGISTRY["text_dummy"].kinds == {"a": "sequence", "b": "sequence", "c": "value", "d": "sequence"}
    finally:
        unregister("text_dummy")


def test_children_must_name_parameters():
    def child_dummy(schedule):
        """A combinator whose declaration names another parameter."""
        return {"schedule": schedule}

    with pytest.raises(ValueError, match=r"children= of 'child_dummy' names parameters it does not have: schedules"):
        register(_hold_value, children={"schedules": "many"})(child_dummy)
