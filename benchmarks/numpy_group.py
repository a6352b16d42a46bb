"""NumPy comparisons: Python-int call latency and 1M-step vectorized evaluation, against hand-written
NumPy of the same curve: the usual closed form, and lrcore's own formula written as whole-array NumPy."""

from __future__ import annotations

import math

import numpy as np

import lrcore.numpy as ln
from lrcore import _array

from ._common import interleaved, log, main, row

GROUP = "numpy"


def exact_formula(j, d, end, peak):
    """lrcore's cosine formula for these levels (same sign, decaying), written as plain whole-array
    NumPy: ``M + H·cos(j·π/d)`` with lrcore's constants ``M ≈ (peak + end)/2`` and
    ``H ≈ (peak - end)/2`` (``M + H`` rounds to ``peak``), and ``end`` itself from ``j = d`` on
    (the same bits as lrcore; tests/test_benchmarks_smoke.py checks)."""
    mid, half = _array.cos_mid_form(peak, end, 64)
    value = mid + half * np.cos(j * (math.pi / d))
    return np.where(j < d, value, end)


def in_blocks(fn, block=None):
    """``fn`` applied to blocks of ``block`` steps (lrcore's own block size by default), written into
    one result: how lrcore evaluates a large NumPy step array (every temporary stays in the cache)."""
    block = block or _array._NUMPY_BLOCK

    def call(k):
        out = np.empty(k.shape, dtype=np.float64)
        for start in range(0, k.size, block):
            out[start : start + block] = fn(k[start : start + block])
        return out

    return call


def run(cfg):
    rows = []
    steps = np.arange(cfg.steps, dtype=np.int64)
    n_steps = f"{cfg.steps:,} steps"
    # The whole curve: every step inside the decay (none held at the end, where the cosine is free).
    peak, end, decay = 1e-3, 1e-5, cfg.steps

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
    period = cfg.steps // 100
    restart = ln.cosine_restart(peak, first_period=period, end_value=end)

    def hand_restart(k):
        x = (k % period) / period
        return end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * x))

    def hand_restart_exact(k):
        return exact_formula(np.maximum(k, 0) % period, period, end, peak)

    cases = [
        ("cosine_decay", ours, hand_vector, hand_exact),
        ("cosine_restart, 100 cycles", restart, hand_restart, hand_restart_exact),
    ]
    for name, lr, usual, exact in cases:
        t = interleaved(
            {"a": lambda: lr(steps), "b": lambda: usual(steps), "c": lambda: in_blocks(exact)(steps),
             "d": lambda: exact(steps)}, cfg,
        )
        rows.append(row(GROUP, f"{n_steps}: {name}", "s", t["a"], t["b"], "hand-written NumPy"))
        rows.append(
            row(GROUP, f"{n_steps}: {name}, same formula", "s", t["a"], t["c"],
                "hand-written NumPy of lrcore's formula, in the same blocks", kind="limit",
                note="the formula's own cost: the same bits, evaluated by hand the way lrcore does")
        )
        rows.append(
            row(GROUP, f"{n_steps}: {name}, same formula, whole arrays", "s", t["a"], t["d"],
                "hand-written NumPy of lrcore's formula", target=None, kind="scale",
                note="the same bits from whole-array NumPy: what the blocks save")
        )

    log("[numpy] noam and combinators")
    for name, lr, hand in combinator_cases(cfg.steps):
        t = interleaved({"a": lambda lr=lr: lr(steps), "b": lambda hand=hand: hand(steps)}, cfg)
        rows.append(row(GROUP, f"{n_steps}: {name}", "s", t["a"], t["b"], "hand-written NumPy"))
    return rows


def hand_linear(k, init, end, n):
    """The usual linear ramp in whole-array NumPy: ``init + (end - init)·min(max(k, 0), n)/n``."""
    return init + (end - init) * (np.minimum(np.maximum(k, 0), n) / n)


def combinator_cases(n):
    """(name, lrcore.numpy schedule, hand-written NumPy of the same curve) for ``noam`` and the
    combinators over linear pieces (cheap pieces: the rows time what the combinator adds)."""
    spe = max(n // 100, 1)

    def hand_noam(k, d=512, w=4000):
        # Paddle's NoamDecay in closed form: d^-1/2 · min(k^-1/2, k·w^-3/2), 0 at step 0.
        k = k.astype(np.float64)
        return d**-0.5 * np.minimum(1.0 / np.sqrt(np.maximum(k, 1.0)), k * w**-1.5)

    return [
        ("noam", ln.noam(512, 4000), hand_noam),
        ("add(linear, linear)", ln.add([ln.linear(1e-3, 0.0, n), ln.linear(0.0, 1e-4, n // 2)]),
         lambda k: hand_linear(k, 1e-3, 0.0, n) + hand_linear(k, 0.0, 1e-4, n // 2)),
        ("shift(linear, 1000)", ln.shift(ln.linear(1e-3, 1e-5, n), 1000),
         lambda k: hand_linear(k + 1000, 1e-3, 1e-5, n)),
        ("per_epoch(linear)", ln.per_epoch(ln.linear(1e-3, 1e-5, 100), spe),
         lambda k: hand_linear(k // spe, 1e-3, 1e-5, 100)),
    ]


if __name__ == "__main__":
    raise SystemExit(main(GROUP, run))
