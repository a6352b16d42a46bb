"""NumPy comparisons: Python-int call latency and 1M-step vectorized evaluation, against hand-written
NumPy of the same curve: the usual closed form, and lrcore's own formula written as whole-array NumPy."""

from __future__ import annotations

import math

import numpy as np

import lrcore.numpy as ln

from ._common import interleaved, log, main, row

GROUP = "numpy"


def exact_formula(j, d, end, peak):
    """lrcore's cosine formula, written as plain whole-array NumPy: the distance to the nearer end
    taken in integers, one ``sin`` of it, and an interpolation exact at both ends (the same bits as
    lrcore; tests/test_benchmarks_smoke.py checks)."""
    first = j <= d // 2
    t = np.minimum(j, d - j).astype(np.float64) / d
    wide = t >= 0.25
    v = np.sin(np.where(wide, np.pi * (0.5 - t), (np.pi / 2) * t))
    small = np.where(wide, 0.5 - 0.5 * v, v * v)
    large = np.where(wide, 0.5 + 0.5 * v, 1.0 - v * v)
    return end * np.where(first, small, large) + peak * np.where(first, large, small)


def run(cfg):
    rows = []
    steps = np.arange(cfg.steps, dtype=np.int64)
    n_steps = f"{cfg.steps:,} steps"
    peak, end, decay = 1e-3, 1e-5, 100_000

    ours = ln.cosine_decay(peak, decay, end_value=end)

    def hand_scalar(k):
        k = min(max(k, 0), decay)
        return end + (peak - end) * 0.5 * (1.0 + math.cos(math.pi * k / decay))

    def hand_vector(k):
        x = np.minimum(np.maximum(k, 0), decay) / decay
        return end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * x))

    def hand_exact(k):
        return exact_formula(np.minimum(np.maximum(k, 0), decay), decay, end, peak)

    log("[numpy] scalar")
    t = interleaved({"a": lambda: ours(12_345), "b": lambda: hand_scalar(12_345)}, cfg)
    rows.append(
        row(GROUP, "Python-int call: cosine_decay", "s", t["a"], t["b"], "hand-written math.cos", target=None,
            kind="scale", note="absolute latency; the peer is a bare Python expression, shown for scale")
    )

    log("[numpy] vectorized")
    t = interleaved({"a": lambda: ours(steps), "b": lambda: hand_vector(steps), "c": lambda: hand_exact(steps)}, cfg)
    rows.append(row(GROUP, f"{n_steps}: cosine_decay", "s", t["a"], t["b"], "hand-written NumPy"))
    rows.append(
        row(GROUP, f"{n_steps}: cosine_decay, same formula", "s", t["a"], t["c"], "hand-written NumPy of lrcore's formula",
            target=None, kind="scale", note="the same bits from whole-array NumPy: what the blocked evaluation saves")
    )

    period = cfg.steps // 100
    restart = ln.cosine_restart(peak, first_period=period, end_value=end)

    def hand_restart(k):
        x = (k % period) / period
        return end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * x))

    def hand_restart_exact(k):
        return exact_formula(np.maximum(k, 0) % period, period, end, peak)

    t = interleaved(
        {"a": lambda: restart(steps), "b": lambda: hand_restart(steps), "c": lambda: hand_restart_exact(steps)}, cfg
    )
    rows.append(row(GROUP, f"{n_steps}: cosine_restart, 100 cycles", "s", t["a"], t["b"], "hand-written NumPy"))
    rows.append(
        row(GROUP, f"{n_steps}: cosine_restart, 100 cycles, same formula", "s", t["a"], t["c"],
            "hand-written NumPy of lrcore's formula", target=None, kind="scale")
    )
    return rows


if __name__ == "__main__":
    raise SystemExit(main(GROUP, run))
