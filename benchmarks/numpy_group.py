"""NumPy comparisons: Python-int call latency and 1M-step vectorized throughput, against a
hand-written NumPy closed form of the same curve and a plain fill (the memory-bound floor)."""

from __future__ import annotations

import math

import numpy as np

import lrcore.numpy as ln

from ._common import interleaved, log, main, row

GROUP = "numpy"


def run(cfg):
    rows = []
    steps = np.arange(cfg.steps, dtype=np.int64)
    n_steps = f"{cfg.steps:,}"
    peak, end, decay = 1e-3, 1e-5, 100_000

    ours = ln.cosine_decay(peak, decay, end_value=end)

    def hand_scalar(k):
        k = min(max(k, 0), decay)
        return end + (peak - end) * 0.5 * (1.0 + math.cos(math.pi * k / decay))

    def hand_vector(k):
        x = np.minimum(np.maximum(k, 0), decay) / decay
        return end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * x))

    log("[numpy] scalar")
    t = interleaved({"a": lambda: ours(12_345), "b": lambda: hand_scalar(12_345)}, cfg)
    rows.append(
        row(GROUP, "Python-int call: cosine_decay", "s", t["a"], t["b"], "hand-written math.cos",
            note="absolute latency; the peer is a bare Python expression, shown for scale")
    )

    log("[numpy] vectorized")
    fill = lambda: np.full(steps.shape, 1e-3)  # noqa: E731
    t = interleaved({"a": lambda: ours(steps), "b": lambda: hand_vector(steps), "f": fill}, cfg)
    rows.append(row(GROUP, f"{n_steps} steps: cosine_decay", "s", t["a"], t["b"], "hand-written NumPy", target=("<=", 1.25)))
    rows.append(row(GROUP, f"{n_steps} steps vs fill floor: cosine_decay", "s", t["a"], t["f"], "np.full"))

    period = cfg.steps // 100
    restart = ln.cosine_restart(peak, first_period=period, end_value=end)

    def hand_restart(k):
        x = (k % period) / period
        return end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * x))

    t = interleaved({"a": lambda: restart(steps), "b": lambda: hand_restart(steps)}, cfg)
    rows.append(
        row(GROUP, f"{n_steps} steps: cosine_restart, 100 cycles", "s", t["a"], t["b"], "hand-written NumPy", target=("<=", 1.25))
    )
    return rows


if __name__ == "__main__":
    raise SystemExit(main(GROUP, run))
