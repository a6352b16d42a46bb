"""``lrcore demo``: one schedule definition training the same classifier in JAX, PyTorch and Keras.

The schedule is the multi-period warmup cosine annealing of the reference article: peak 1e-3,
end 1e-7, a first period of 3 epochs with a warmup of a quarter of the period, each period 1.25
times longer than the one before (``lrcore.cosine_restart``). The data is scikit-learn's digits
(bundled, no download). Every framework starts from the same initial weights and sees the same
batches, so their loss curves can be compared.

The verdict: the learning rate each framework applied at every update (read inside its optimizer
step) is compared with the exact value of the schedule, computed by an independent plain loop in
256-bit arithmetic (mpmath), against lrcore's precision promise (:data:`PROMISE`). One line per
framework says PASS or FAIL; the last line names the frameworks that ran and the overall verdict
(``lrcore demo`` exits with 1 when any framework fails). A requested framework that cannot be
imported is an error naming the pip extra to install, raised before any training.

    lrcore demo                       # JAX, torch and Keras, 12 epochs, writes lrcore_demo.png
    lrcore demo --quick -o demo.png   # reduced mode (CI): a subset of the data, 4 epochs
    lrcore demo --frameworks jax,torch --epochs 20
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import time

import numpy as np

from . import validate as check

FRAMEWORKS = ("jax", "torch", "keras")
PEAK, END, PERIOD_EPOCHS, PERIOD_MUL = 1e-3, 1e-7, 3, 1.25
BATCH, HIDDEN = 32, 64

#: lrcore's precision promise, which the demo's verdict checks.
PROMISE = (
    "float32 results are within 4·2⁻²³·M of the exact value (M: the largest value the schedule "
    "takes), float64 results within 4·2⁻⁵²·M"
)
#: dtype -> (mantissa bits p, the bound 4·2⁻ᵖ·M as printed).
BOUNDS = {"float32": (23, "4·2⁻²³·M"), "float64": (52, "4·2⁻⁵²·M")}
#: The pip extra that installs each framework (the ``demo`` extra installs all three).
EXTRAS = {"jax": "lrcore[jax]", "torch": "lrcore[torch]", "keras": "lrcore[tf]"}


class Unavailable(ImportError):
    """A framework or package the demo needs cannot be imported; the message names the pip extra."""


def schedule_params(steps_per_epoch: int) -> dict:
    """The article's schedule in steps: first period 3 epochs, warmup a quarter of it."""
    first_period = PERIOD_EPOCHS * steps_per_epoch
    return dict(
        peak_value=PEAK, first_period=first_period, period_mul=PERIOD_MUL, end_value=END, warmup_steps=first_period // 4
    )


# -- the exact reference and the verdict ---------------------------------------------------------
_PREC = 256  # bits of the exact reference


def exact_lr(steps_per_epoch: int, total: int) -> list:
    r"""The demo's schedule at steps ``0 .. total-1``, exactly: mpmath values at 256 bits.

    An independent plain loop over the cycles (not lrcore's code), from the float64 parameters of
    :func:`schedule_params` taken exactly. Cycle :math:`i` has nominal length :math:`T_i = T_0 m^i`,
    lasts :math:`\lceil T_i \rceil` steps and warms up for :math:`W_i = W m^i`; at step :math:`t`
    of the cycle the value is :math:`v_1 + (P - v_1)\,t / W_i` for :math:`t < W_i`, otherwise
    :math:`v_1 + (P - v_1)\,\tfrac12 (1 + \cos(\pi (t - W_i) / (T_i - W_i)))`.
    """
    import mpmath

    p = schedule_params(steps_per_epoch)
    values, start = [], 0
    with mpmath.workprec(_PREC):
        peak, end, mul = mpmath.mpf(p["peak_value"]), mpmath.mpf(p["end_value"]), mpmath.mpf(p["period_mul"])
        period, warm = mpmath.mpf(p["first_period"]), mpmath.mpf(p["warmup_steps"])
        while start < total:
            length = int(mpmath.ceil(period))
            for t in range(min(length, total - start)):
                if t < warm:
                    values.append(end + (peak - end) * t / warm)
                else:
                    values.append(end + (peak - end) * (1 + mpmath.cos(mpmath.pi * (t - warm) / (period - warm))) / 2)
            start, period, warm = start + length, period * mul, warm * mul
    return values


def lr_verdict(applied, exact, dtype: str, largest: float) -> dict:
    """The applied learning rates against the exact ones and the promise's bound for ``dtype``.

    ``applied``: one float per update (NaN where none was measured); ``exact``: :func:`exact_lr`;
    ``largest``: M, the largest value the schedule takes. The error and the comparison with the
    bound ``4·2⁻ᵖ·M`` are exact. Returns ``dtype``, ``bound_text``, ``bound``, ``max_error``,
    ``worst_step``, ``applied_at_worst``, ``exact_at_worst``, ``updates`` and ``passed``.
    """
    import mpmath

    if dtype not in BOUNDS:
        raise ValueError(f"Argument `dtype` must be one of {', '.join(BOUNDS)}. Received: dtype={dtype!r}")
    applied = [float(a) for a in applied]
    if len(applied) != len(exact):
        raise ValueError(
            f"Argument `applied` must hold one learning rate per update ({len(exact)}). "
            f"Received: {len(applied)} values"
        )
    bits, bound_text = BOUNDS[dtype]
    with mpmath.workprec(_PREC):
        bound = 4 * mpmath.ldexp(mpmath.mpf(largest), -bits)
        worst, worst_step = mpmath.mpf(-1), 0
        for k, (a, e) in enumerate(zip(applied, exact)):
            error = mpmath.inf if not np.isfinite(a) else abs(mpmath.mpf(a) - e)
            if error > worst:
                worst, worst_step = error, k
        passed = bool(worst <= bound)
    return {
        "dtype": dtype,
        "bound_text": bound_text,
        "bound": float(bound),
        "max_error": float(worst),
        "worst_step": worst_step,
        "applied_at_worst": applied[worst_step],
        "exact_at_worst": float(exact[worst_step]),
        "updates": len(applied),
        "passed": passed,
    }


def verdict_line(name: str, v: dict, device: str) -> str:
    """``jax    applied lr: max error 5.2e-11 <= bound 4.8e-10 (4·2⁻²³·M)  PASS  (float32, ...)``."""
    head = f"{name:<6} applied lr: max error {v['max_error']:.1e}"
    bound = f"bound {v['bound']:.1e} ({v['bound_text']})"
    where = f"{v['dtype']}, {v['updates']} updates on {device}"
    if v["passed"]:
        return f"{head} <= {bound}  PASS  ({where})"
    worst = f"worst at update {v['worst_step']}: applied {v['applied_at_worst']:.8e}, exact {v['exact_at_worst']:.8e}"
    return f"{head} > {bound}  FAIL  ({where}; {worst})"


# -- the data, weights and batches shared by every framework --------------------------------------
def load_data(quick: bool, seed: int):
    """Digits, scaled to [0, 1]; the train size is a whole number of batches."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_train, n_test = (320, 200) if quick else (1440, len(x) - 1440)
    train, test = order[:n_train], order[n_train : n_train + n_test]
    return x[train], y[train], x[test], y[test]


def initial_weights(seed: int):
    """Glorot-uniform weights of a 64-64-10 MLP, shared by every framework."""
    rng = np.random.default_rng(seed + 1)

    def glorot(n_in, n_out):
        limit = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-limit, limit, size=(n_in, n_out)).astype(np.float32)

    return [glorot(64, HIDDEN), np.zeros(HIDDEN, np.float32), glorot(HIDDEN, 10), np.zeros(10, np.float32)]


def epoch_orders(n_train: int, epochs: int, seed: int):
    rng = np.random.default_rng(seed + 2)
    return [rng.permutation(n_train) for _ in range(epochs)]


# -- one function per framework -------------------------------------------------------------------
# (data, weights, orders, steps_per_epoch, report) -> (losses, accs, applied lrs, their dtype)
def train_jax(data, weights, orders, spe, report):
    import jax
    import jax.numpy as jnp
    import optax

    import lrcore.jax

    x_train, y_train, x_test, y_test = data
    schedule = lrcore.jax.cosine_restart(**schedule_params(spe))
    applied, dtypes = {}, set()

    def record(count, lr):
        applied[int(count)] = float(lr)
        dtypes.add(str(np.asarray(lr).dtype))

    def recorded(count):
        # optax calls the schedule once per update, inside the jitted step: the value it returns
        # here is the one the update is scaled by, and the callback reports exactly that value.
        lr = schedule(count)
        jax.debug.callback(record, count, lr)
        return lr

    tx = optax.adam(recorded)
    params = [jnp.asarray(w) for w in weights]

    def forward(params, x):
        w1, b1, w2, b2 = params
        return jax.nn.relu(x @ w1 + b1) @ w2 + b2

    def loss_fn(params, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(forward(params, x), y).mean()

    @jax.jit
    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    accuracy = jax.jit(lambda params, x, y: (forward(params, x).argmax(-1) == y).mean())
    opt_state = tx.init(params)
    losses, accs = [], []
    for epoch, order in enumerate(orders):
        batch_losses = []
        for i in range(spe):
            idx = order[i * BATCH : (i + 1) * BATCH]
            params, opt_state, loss = step(params, opt_state, x_train[idx], y_train[idx])
            batch_losses.append(loss)
            report.step()
        losses.append(float(np.mean(jax.device_get(batch_losses))))
        accs.append(float(accuracy(params, x_test, y_test)))
        jax.effects_barrier()  # every callback of the epoch has run
        report.epoch("jax", epoch, applied.get((epoch + 1) * spe - 1, float("nan")), losses[-1], accs[-1])
    lrs = np.array([applied.get(k, np.nan) for k in range(len(orders) * spe)])
    return losses, accs, lrs, dtypes.pop() if len(dtypes) == 1 else "float32"


def train_torch(data, weights, orders, spe, report):
    import torch

    import lrcore
    import lrcore.torch

    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(weights[0].T.copy()))
        model[0].bias.copy_(torch.from_numpy(weights[1]))
        model[2].weight.copy_(torch.from_numpy(weights[2].T.copy()))
        model[2].bias.copy_(torch.from_numpy(weights[3]))
    optimizer = torch.optim.Adam(model.parameters(), lr=PEAK)
    scheduler = lrcore.torch.scheduler(optimizer, lrcore.cosine_restart(**schedule_params(spe)))
    criterion = torch.nn.CrossEntropyLoss()
    losses, accs, lrs = [], [], []
    for epoch, order in enumerate(orders):
        model.train()
        batch_losses = []
        for i in range(spe):
            idx = torch.from_numpy(order[i * BATCH : (i + 1) * BATCH])
            optimizer.zero_grad(set_to_none=True)
            loss = criterion(model(x_train[idx]), y_train[idx])
            loss.backward()
            lrs.append(float(optimizer.param_groups[0]["lr"]))  # what this optimizer.step() applies
            optimizer.step()
            scheduler.step()
            batch_losses.append(float(loss.detach()))
            report.step()
        model.eval()
        with torch.no_grad():
            accs.append(float((model(x_test).argmax(-1) == y_test).float().mean()))
        losses.append(float(np.mean(batch_losses)))
        report.epoch("torch", epoch, lrs[-1], losses[-1], accs[-1])
    # lrcore.torch's scheduler sets float32 values (held as Python floats) in the param groups.
    return losses, accs, np.asarray(lrs), "float32"


def train_keras(data, weights, orders, spe, report):
    import keras
    import tensorflow as tf

    import lrcore.tf

    x_train, y_train, x_test, y_test = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(HIDDEN, activation="relu"), keras.layers.Dense(10)]
    )
    model.set_weights(weights)
    schedule = lrcore.tf.cosine_restart(**schedule_params(spe))

    class Recorded(keras.optimizers.schedules.LearningRateSchedule):
        """The schedule, keeping the value and step of its last call (inside the compiled train
        step, where the optimizer calls it once per update) in two variables."""

        def __init__(self):
            first = schedule(0)
            self.value = tf.Variable(first, trainable=False)
            self.count = tf.Variable(-1, dtype=tf.int64, trainable=False)

        def get_config(self):
            return schedule.get_config()

        def __call__(self, step):
            lr = schedule(step)
            self.value.assign(lr)
            self.count.assign(tf.cast(step, tf.int64))
            return lr

    learning_rate = Recorded()
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate, epsilon=1e-8)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    applied = {}

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            applied[int(learning_rate.count.numpy())] = float(learning_rate.value.numpy())
            report.step()

    losses, accs = [], []
    for epoch, order in enumerate(orders):
        index = order[: spe * BATCH]
        history = model.fit(
            x_train[index], y_train[index], batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=[Record()]
        )
        # Keras reports the epoch's running mean of the batch losses, like the other two.
        losses.append(float(history.history["loss"][-1]))
        logits = model.predict(x_test, verbose=0, batch_size=512)
        accs.append(float((logits.argmax(-1) == y_test).mean()))
        report.epoch("keras", epoch, applied.get((epoch + 1) * spe - 1, float("nan")), losses[-1], accs[-1])
    lrs = np.array([applied.get(k, np.nan) for k in range(len(orders) * spe)])
    return losses, accs, lrs, learning_rate.value.dtype.name


TRAINERS = {"jax": train_jax, "torch": train_torch, "keras": train_keras}


# -- start-up: imports, devices, and the frameworks' log noise -----------------------------------
def start(name: str) -> str:
    """Import ``name`` and its lrcore adapter and start its runtime; return the device it trains on.

    Raises ImportError (or the adapter's own error) when that is not possible.
    """
    if name == "jax":
        import jax
        import optax  # noqa: F401

        import lrcore.jax  # noqa: F401

        return jax.default_backend()
    if name == "torch":
        import torch

        import lrcore.torch  # noqa: F401

        torch.zeros(1).add_(1)  # the demo's tensors stay on the CPU
        return "cpu"
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise ImportError(
            f"Keras runs on the {keras.backend.backend()} backend; the demo's Keras model uses lrcore.tf, "
            "which needs KERAS_BACKEND=tensorflow"
        )
    import lrcore.tf  # noqa: F401

    return "gpu" if tf.config.list_logical_devices("GPU") else "cpu"


def start_all(frameworks) -> dict:
    """:func:`start` every framework; one :class:`Unavailable` naming all that fail and their extras."""
    devices, failed = {}, {}
    for name in frameworks:
        try:
            devices[name] = start(name)
        except Exception as exc:  # ImportError, or an adapter that fails to import: report why
            failed[name] = str(exc) if isinstance(exc, ImportError) else f"{type(exc).__name__}: {exc}"
    if failed:
        what = "; ".join(f"{name} ({reason})" for name, reason in failed.items())
        extras = ", ".join(f'{name}: pip install "{EXTRAS[name]}"' for name in failed)
        rest = [f for f in frameworks if f not in failed]
        it = "it" if len(failed) == 1 else "them"
        hint = f"; or leave {it} out: lrcore demo --frameworks {','.join(rest)}" if rest else ""
        raise Unavailable(
            f"the demo cannot run {what}. Install {it} ({extras}; every framework of the demo: "
            f'pip install "lrcore[demo]"){hint}'
        )
    return devices


def _needs(module: str, package: str) -> None:
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(
            f'the demo needs {package} ({exc}); install the demo extra: pip install "lrcore[demo]"'
        ) from None


#: A record of the frameworks' native (C++) logging on stderr: absl's ``I0000 00:00:...`` form,
#: TensorFlow's older ``2024-01-01 12:00:00.000000: I ...`` form, and absl's start-up notice.
_RECORD = re.compile(
    r"^(?:[IWE]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] \S+:\d+\]"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called)"
)
_PYTHON_OUTPUT = re.compile(r"^(?:Traceback |.+:\d+: \w*Warning: )")


def without_log_records(text: str) -> str:
    """``text`` without the frameworks' native log records (info, warning, error) and their
    continuation lines; fatal records and everything else are kept."""
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        if _RECORD.match(line):
            dropping = True
        elif _PYTHON_OUTPUT.match(line) or not dropping or not line.strip():
            dropping = False
            kept.append(line)
    return "".join(kept)


@contextlib.contextmanager
def _native_stderr_filtered():
    """Route file descriptor 2 (where C++ code logs) to a temporary file for the block, then write
    what it received, without log records, to stderr."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no file descriptor 2 to redirect
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            rest = without_log_records(tmp.read().decode(errors="replace"))
            if rest:
                sys.stderr.write(rest)
                sys.stderr.flush()


#: Set (when the user has not set them) before any framework is imported, removed afterwards.
#: TensorFlow before its move to absl logging reads TF_CPP_MIN_LOG_LEVEL; later ones log through
#: absl, whose start-up records :func:`_native_stderr_filtered` removes.
_QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}
#: Python loggers held at ERROR during the run: TensorFlow's (retracing notices), absl's, and JAX's
#: platform notices (e.g. "An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib
#: is not installed"): the verdict names the device each framework ran on instead.
_QUIET_LOGGERS = ("tensorflow", "absl", "jax._src.xla_bridge")


@contextlib.contextmanager
def quiet_frameworks():
    """The frameworks' own logging off for the block; the environment and logger levels as they
    were afterwards."""
    added = [k for k in _QUIET_ENV if k not in os.environ]
    for k in added:
        os.environ[k] = _QUIET_ENV[k]
    levels = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


class Report:
    """Progress (a tqdm bar on stderr when it is a terminal) and the per-epoch lines on stdout."""

    def __init__(self, total_steps: int, epochs: int, out):
        self.total, self.epochs, self.out, self.bar = total_steps, epochs, out, None
        self.progress = sys.stderr.isatty()

    def start(self, name):
        if self.progress:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=self.total, desc=name, unit="step", leave=False)
            except ImportError:
                self.bar = None

    def step(self):
        if self.bar is not None:
            self.bar.update(1)

    def epoch(self, name, epoch, lr, loss, acc):
        line = f"{name:<6} epoch {epoch + 1:>3}/{self.epochs}  lr {lr:.3e}  loss {loss:.4f}  test acc {acc:.4f}"
        if self.bar is not None:
            self.bar.write(line, file=self.out)
        else:
            print(line, file=self.out, flush=True)

    def stop(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(epochs=None, quick=False, frameworks=FRAMEWORKS, output="lrcore_demo.png", seed=0, out=None, verbose=False):
    """Train in each framework, check the learning rates it applied; write the figure; return a summary.

    This is ``lrcore demo`` (the command line parses its options into these arguments): ``epochs``
    (default 12, or 4 when ``quick``), ``quick`` (a data subset for CI), ``frameworks`` (names from
    :data:`FRAMEWORKS`; every one must be installed), ``output`` (the image file), ``seed`` (data
    split, weights and batches), ``out`` (where the report goes; default stdout) and ``verbose``
    (leave the frameworks' own log output on).

    Raises :class:`Unavailable` (an ImportError naming the pip extra) before any training when a
    framework, scikit-learn or mpmath cannot be imported. The summary holds ``passed`` (every
    framework's applied learning rates within :data:`PROMISE`), ``frameworks`` (those that ran),
    ``ran`` (framework -> {"loss", "accuracy", "lr", "verdict", "device", "seconds"}; ``lr``: the
    applied learning rates, ``verdict``: :func:`lr_verdict`), ``steps_per_epoch``, ``epochs`` and
    ``figure``.
    """
    out = sys.stdout if out is None else out
    epochs = check.length("epochs", (4 if quick else 12) if epochs is None else epochs)
    quick = check.boolean("quick", quick)
    frameworks = check.subset("frameworks", frameworks, FRAMEWORKS)
    seed = check.integer("seed", seed, minimum=0)
    verbose = check.boolean("verbose", verbose)
    with contextlib.nullcontext() if verbose else quiet_frameworks():
        _needs("sklearn", "scikit-learn")
        _needs("mpmath", "mpmath")
        with contextlib.nullcontext() if verbose else _native_stderr_filtered():
            devices = start_all(frameworks)
        return _run(epochs, quick, frameworks, output, seed, out, devices)


def _run(epochs, quick, frameworks, output, seed, out, devices):
    data = load_data(quick, seed)
    spe = len(data[0]) // BATCH
    params = schedule_params(spe)
    total = epochs * spe
    exact = exact_lr(spe, total)
    print(
        f"lrcore demo: digits ({len(data[0])} train / {len(data[2])} test), {epochs} epochs x {spe} steps, "
        f"adam with lrcore.cosine_restart({', '.join(f'{k}={v}' for k, v in params.items())})",
        file=out,
    )
    weights, orders = initial_weights(seed), epoch_orders(len(data[0]), epochs, seed)
    report = Report(total, epochs, out)
    ran = {}
    for name in frameworks:
        report.start(name)
        t0 = time.perf_counter()
        try:
            losses, accs, lrs, dtype = TRAINERS[name](data, weights, orders, spe, report)
        finally:
            report.stop()
        ran[name] = {
            "loss": losses,
            "accuracy": accs,
            "lr": lrs,
            "verdict": lr_verdict(lrs, exact, dtype, params["peak_value"]),
            "device": devices[name],
            "seconds": time.perf_counter() - t0,
        }
    from .plot import demo_figure

    histories = {name: r["loss"] for name, r in ran.items()}
    figure = demo_figure(np.arange(total), np.array([float(v) for v in exact]), histories, spe, path=output)
    print("\nresults:", file=out)
    for name, r in ran.items():
        print(
            f"  {name:<6} final loss {r['loss'][-1]:.4f}  test acc {r['accuracy'][-1]:.4f}  "
            f"({r['seconds']:.1f}s on {r['device']})",
            file=out,
        )
    print(
        f"\nprecision promise: {PROMISE}.\nM = peak_value = {params['peak_value']}; exact value: the schedule's "
        f"formula in {_PREC}-bit arithmetic (mpmath); applied lr: the value each optimizer step used.",
        file=out,
    )
    for name, r in ran.items():
        print(verdict_line(name, r["verdict"], r["device"]), file=out)
    failed = [name for name, r in ran.items() if not r["verdict"]["passed"]]
    print(f"wrote {output}", file=out)
    ran_text = f"ran {', '.join(ran)}"
    if failed:
        who = ", ".join(failed)
        print(f"verdict: FAIL ({ran_text}; {who} applied a learning rate outside the precision promise)", file=out)
    else:
        print(f"verdict: PASS ({ran_text}; every applied learning rate is within the precision promise)", file=out)
    return {
        "passed": not failed,
        "frameworks": tuple(ran),
        "ran": ran,
        "steps_per_epoch": spe,
        "epochs": epochs,
        "figure": figure,
    }
