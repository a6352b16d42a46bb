"""Keras comparison: ``model.fit`` step time with an ``lrcore.tf`` schedule against Keras' own
``CosineDecayRestarts`` (and a constant learning rate, for scale)."""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from ._common import log, main, row, unavailable  # noqa: E402

GROUP = "keras"
ROWS = ("model.fit step: cosine_restart vs CosineDecayRestarts", "model.fit step: constant lr (reference)")


def run(cfg):
    import keras

    try:
        import lrcore.tf as ltf

        ours_schedule = ltf.cosine_restart(peak_value=0.1, first_period=1000, period_mul=2.0)
    except (ImportError, AttributeError) as exc:
        reason = f"adapter not available ({type(exc).__name__}: {exc})"
        return [unavailable(GROUP, n, reason) for n in ROWS]

    batch, steps = 32, (5 if cfg.smoke else 50)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch * steps, 32)).astype("float32")
    y = rng.standard_normal((batch * steps, 1)).astype("float32")

    def model_with(lr):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
        return model

    contenders = {
        "lrcore": model_with(ours_schedule),
        "keras": model_with(keras.optimizers.schedules.CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=1.0, alpha=0.0)),
        "constant": model_with(0.1),
    }
    log("[keras] fit")
    for model in contenders.values():  # warm-up: tracing and compilation
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    samples = {name: [] for name in contenders}
    for _ in range(cfg.rounds if cfg.smoke else 41):
        for name, model in contenders.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
            samples[name].append((time.perf_counter() - start) / steps)
    return [
        row(GROUP, ROWS[0], "s", samples["lrcore"], samples["keras"], "keras CosineDecayRestarts",
            note=f"{steps} steps of batch {batch} per fit call, Dense 32-64-1, SGD"),
        row(GROUP, ROWS[1], "s", samples["constant"], samples["keras"], "keras CosineDecayRestarts", target=None, kind="scale"),
    ]


if __name__ == "__main__":
    raise SystemExit(main(GROUP, run))
