"""``lrcore demo``: one schedule definition training the same classifier in JAX, PyTorch and Keras.

The schedule is the multi-period warmup cosine annealing of the reference article: peak 1e-3,
end 1e-7, a first period of 3 epochs with a warmup of a quarter of the period, each period 1.25
times longer than the one before (``lrcore.cosine_restart``). The data is scikit-learn's digits
(bundled, no download). Every framework starts from the same initial weights and sees the same
batches, so their loss curves can be compared; the learning rate each framework actually used is
checked against the NumPy float64 reference.

    lrcore demo                       # all installed frameworks, 12 epochs, writes lrcore_demo.png
    lrcore demo --quick -o demo.png   # reduced mode (CI): a subset of the data, 4 epochs
    lrcore demo --frameworks jax,torch --epochs 20
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time

import numpy as np

from . import validate as check

FRAMEWORKS = ("jax", "torch", "keras")
PEAK, END, PERIOD_EPOCHS, PERIOD_MUL = 1e-3, 1e-7, 3, 1.25
BATCH, HIDDEN = 32, 64


def schedule_params(steps_per_epoch: int) -> dict:
    """The article's schedule in steps: first period 3 epochs, warmup a quarter of it."""
    first_period = PERIOD_EPOCHS * steps_per_epoch
    return dict(
        peak_value=PEAK, first_period=first_period, period_mul=PERIOD_MUL, end_value=END, warmup_steps=first_period // 4
    )


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


# -- one function per framework: (data, weights, orders, steps_per_epoch, report) -> (losses, accs, lrs)
def train_jax(data, weights, orders, spe, report):
    import jax
    import jax.numpy as jnp
    import optax

    import lrcore.jax

    x_train, y_train, x_test, y_test = data
    schedule = lrcore.jax.cosine_restart(**schedule_params(spe))
    tx = optax.adam(schedule)
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
        report.epoch("jax", epoch, float(schedule((epoch + 1) * spe - 1)), losses[-1], accs[-1])
    # The values optax used: the same schedule object, evaluated at every count.
    lrs = np.asarray(schedule(jnp.arange(len(orders) * spe)), dtype=np.float64)
    return losses, accs, lrs


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
            lrs.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            scheduler.step()
            batch_losses.append(float(loss.detach()))
            report.step()
        model.eval()
        with torch.no_grad():
            accs.append(float((model(x_test).argmax(-1) == y_test).float().mean()))
        losses.append(float(np.mean(batch_losses)))
        report.epoch("torch", epoch, lrs[-1], losses[-1], accs[-1])
    return losses, accs, np.asarray(lrs)


def train_keras(data, weights, orders, spe, report):
    import keras

    import lrcore.tf

    x_train, y_train, x_test, y_test = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(HIDDEN, activation="relu"), keras.layers.Dense(10)]
    )
    model.set_weights(weights)
    optimizer = keras.optimizers.Adam(learning_rate=lrcore.tf.cosine_restart(**schedule_params(spe)), epsilon=1e-8)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    lrs = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            lrs.append(float(np.asarray(self.model.optimizer.learning_rate)))

        def on_train_batch_end(self, batch, logs=None):
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
        report.epoch("keras", epoch, lrs[-1], losses[-1], accs[-1])
    return losses, accs, np.asarray(lrs)


TRAINERS = {"jax": train_jax, "torch": train_torch, "keras": train_keras}


def availability(name: str) -> str | None:
    """None if the framework and its lrcore adapter import; otherwise why not."""
    needs = {"jax": ("jax", "optax", "lrcore.jax"), "torch": ("torch", "lrcore.torch"), "keras": ("tensorflow", "keras", "lrcore.tf")}
    for module in needs[name]:
        if not module.startswith("lrcore") and importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    if name == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    for module in needs[name]:
        if module.startswith("lrcore"):
            try:
                importlib.import_module(module)
            except Exception as exc:  # an adapter that is missing or fails to import: report why
                return f"{module} does not import ({type(exc).__name__}: {exc})"
    if name == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
        import keras

        if keras.backend.backend() != "tensorflow":
            return f"Keras runs on the {keras.backend.backend()} backend; lrcore.tf needs KERAS_BACKEND=tensorflow"
    return None


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


def run(epochs=None, quick=False, frameworks=FRAMEWORKS, output="lrcore_demo.png", seed=0, out=None):
    """Train in each available framework; write the figure; return a summary dict.

    This is ``lrcore demo`` (the command line parses its options into these arguments): ``epochs``
    (default 12, or 4 when ``quick``), ``quick`` (a data subset for CI), ``frameworks`` (names from
    :data:`FRAMEWORKS`), ``output`` (the image file), ``seed`` (data split, weights and batches)
    and ``out`` (where the progress lines go; default stdout).

    The summary holds ``ran`` (framework -> {"loss", "accuracy", "lr_max_rel_diff", "seconds"}),
    ``skipped`` (framework -> reason), ``steps_per_epoch``, ``epochs`` and ``figure``.
    """
    import lrcore.numpy

    out = sys.stdout if out is None else out
    epochs = check.length("epochs", (4 if quick else 12) if epochs is None else epochs)
    quick = check.boolean("quick", quick)
    frameworks = check.subset("frameworks", frameworks, FRAMEWORKS)
    seed = check.integer("seed", seed, minimum=0)
    data = load_data(quick, seed)
    spe = len(data[0]) // BATCH
    params = schedule_params(spe)
    total = epochs * spe
    reference = lrcore.numpy.cosine_restart(**params)(np.arange(total))
    print(
        f"lrcore demo: digits ({len(data[0])} train / {len(data[2])} test), {epochs} epochs x {spe} steps, "
        f"adam with lrcore.cosine_restart({', '.join(f'{k}={v}' for k, v in params.items())})",
        file=out,
    )
    weights, orders = initial_weights(seed), epoch_orders(len(data[0]), epochs, seed)
    report = Report(total, epochs, out)
    ran, skipped, histories = {}, {}, {}
    for name in frameworks:
        reason = availability(name)
        if reason is not None:
            skipped[name] = reason
            print(f"{name}: skipped ({reason})", file=out)
            continue
        report.start(name)
        t0 = time.perf_counter()
        try:
            losses, accs, lrs = TRAINERS[name](data, weights, orders, spe, report)
        finally:
            report.stop()
        diff = float(np.max(np.abs(lrs - reference) / np.max(reference)))
        ran[name] = {"loss": losses, "accuracy": accs, "lr_max_rel_diff": diff, "seconds": time.perf_counter() - t0}
        histories[name] = losses
    if not ran:
        raise ValueError(f"no framework could run: {'; '.join(f'{k}: {v}' for k, v in skipped.items())}")
    from .plot import demo_figure

    figure = demo_figure(np.arange(total), reference, histories, spe, path=output)
    print("\nsummary (learning rate used vs the NumPy float64 reference, relative to the peak):", file=out)
    for name, r in ran.items():
        print(
            f"  {name:<6} final loss {r['loss'][-1]:.4f}  test acc {r['accuracy'][-1]:.4f}  "
            f"lr max diff {r['lr_max_rel_diff']:.1e}  ({r['seconds']:.1f}s)",
            file=out,
        )
    for name, reason in skipped.items():
        print(f"  {name:<6} skipped: {reason}", file=out)
    print(f"wrote {output}", file=out)
    return {"ran": ran, "skipped": skipped, "steps_per_epoch": spe, "epochs": epochs, "figure": figure}
