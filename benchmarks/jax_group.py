"""JAX / optax comparisons: scalar calls, 1M-step evaluation, compile time and HLO size, warm
restarts and piecewise schedules against optax's where-chains, and the cost inside an Adam step."""

from __future__ import annotations

import statistics

import jax
import jax.numpy as jnp
import optax

import lrcore.jax as lj

from ._common import interleaved, log, main, repeat_once, row

GROUP = "jax"


def single_piece_pairs():
    """(name, lrcore factory, optax factory): the same curve from both libraries."""
    return [
        ("constant", lambda: lj.constant(1e-3), lambda: optax.constant_schedule(1e-3)),
        ("linear", lambda: lj.linear(1e-3, 1e-5, 100_000), lambda: optax.linear_schedule(1e-3, 1e-5, 100_000)),
        (
            "exponential_decay",
            lambda: lj.exponential_decay(1e-3, 1000, 0.9),
            lambda: optax.exponential_decay(1e-3, 1000, 0.9),
        ),
        (
            "polynomial_decay",
            lambda: lj.polynomial_decay(1e-3, 1e-5, 100_000, power=2.0),
            lambda: optax.polynomial_schedule(1e-3, 1e-5, 2.0, 100_000),
        ),
        (
            "cosine_decay",
            lambda: lj.cosine_decay(1e-3, 100_000, end_value=1e-5),
            lambda: optax.cosine_decay_schedule(1e-3, 100_000, alpha=1e-2),
        ),
        (
            "warmup_cosine_decay",
            lambda: lj.warmup_cosine_decay(0.0, 1e-3, 1000, 100_000, end_value=1e-5),
            lambda: optax.warmup_cosine_decay_schedule(0.0, 1e-3, 1000, 100_000, 1e-5),
        ),
    ]


def restart_pair(cycles, steps):
    period = steps // cycles
    warm = period // 10

    def ours():
        return lj.cosine_restart(peak_value=1e-3, first_period=period, warmup_steps=warm, end_value=1e-5)

    def peer():
        kw = dict(init_value=1e-5, peak_value=1e-3, warmup_steps=warm, decay_steps=period, end_value=1e-5)
        return optax.sgdr_schedule([kw] * cycles)

    return ours, peer


def piecewise_pairs(n, steps):
    """n boundaries: a step function and a piecewise-linear curve, each against optax."""
    width = steps // (n + 1)
    bounds = [width * (i + 1) for i in range(n)]
    values = [1e-3 * 0.999**i for i in range(n + 1)]
    points = [0, *bounds]

    def const_ours():
        return lj.piecewise_constant(bounds, values)

    def const_peer():
        return optax.piecewise_constant_schedule(1e-3, {b: 0.999 for b in bounds})

    def lin_ours():
        return lj.piecewise_linear(points, values)

    def lin_peer():
        pieces = [optax.linear_schedule(values[i], values[i + 1], width) for i in range(n)]
        pieces.append(optax.constant_schedule(values[n]))
        return optax.join_schedules(pieces, bounds)

    return [
        (f"piecewise_constant, {n} boundaries", const_ours, const_peer, "optax.piecewise_constant_schedule"),
        (f"piecewise_linear, {n} boundaries", lin_ours, lin_peer, "optax.join_schedules(linear_schedule...)"),
    ]


def block(fn, arg):
    return lambda: fn(arg).block_until_ready()


def compile_cost(factory, steps_array, repeats):
    """Seconds to trace, lower and compile a fresh jit of the schedule, its StableHLO lines, and
    the last compiled executable (reused for the timing, so a slow compile is paid once)."""
    lines, executable = [], []

    def once():
        schedule = factory()
        lowered = jax.jit(lambda k: schedule(k)).lower(steps_array)
        lines.append(len(lowered.as_text().splitlines()))
        executable[:] = [lowered.compile()]

    seconds = repeat_once(once, repeats)
    return seconds, lines, executable[0]


def run(cfg):
    rows = []
    steps = jnp.arange(cfg.steps, dtype=jnp.int32)
    count = jnp.asarray(12_345, dtype=jnp.int32)
    n_steps = f"{cfg.steps:,}"
    fill = jax.jit(lambda k: jnp.full(k.shape, 1e-3, jnp.float32))
    compile_repeats = 1 if cfg.smoke else 3

    # 1-3: single-piece schedules.
    pairs = single_piece_pairs()
    if cfg.smoke:  # every kind of row, fewer schedules
        pairs = [p for p in pairs if p[0] in ("linear", "cosine_decay")]
    for name, ours, peer in pairs:
        log(f"[jax] {name}")
        a, b = jax.jit(ours()), jax.jit(peer())
        t = interleaved({"a": block(a, count), "b": block(b, count)}, cfg)
        rows.append(row(GROUP, f"scalar jit call: {name}", "s", t["a"], t["b"], "optax", target=("<=", 1.1)))
        t = interleaved({"a": block(a, steps), "b": block(b, steps), "f": block(fill, steps)}, cfg)
        rows.append(
            row(GROUP, f"{n_steps} steps: {name}", "s", t["a"], t["b"], "optax", target=("<=", 1.25))
        )
        rows.append(
            row(GROUP, f"{n_steps} steps vs fill floor: {name}", "s", t["a"], t["f"], "jnp.full", target=("<=", 2.0))
        )
        ca, la, _ = compile_cost(ours, steps, compile_repeats)
        cb, lb, _ = compile_cost(peer, steps, compile_repeats)
        rows.append(row(GROUP, f"compile: {name}", "s", ca, cb, "optax"))
        rows.append(row(GROUP, f"HLO lines: {name}", "lines", la, lb, "optax"))

    # 4: warm restarts against optax.sgdr_schedule, and many-boundary piecewise schedules.
    growth = {}
    for cycles in cfg.cycles:
        log(f"[jax] restarts, {cycles} cycles")
        ours, peer = restart_pair(cycles, cfg.steps)
        big = cycles >= 100
        ca, la, a = compile_cost(ours, steps, compile_repeats)
        cb, lb, b = compile_cost(peer, steps, 1 if big else compile_repeats)
        t = interleaved(
            {"a": block(a, steps), "b": block(b, steps)}, cfg, number=1 if big else None, repeats=3 if big else None
        )
        target = {100: (">=", 20), 1000: (">=", 1000)}.get(cycles)
        name = f"cosine_restart, {cycles} cycles"
        rows.append(
            row(GROUP, f"{n_steps} steps: {name}", "s", t["a"], t["b"], "optax.sgdr_schedule", "peer/lrcore", target)
        )
        rows.append(row(GROUP, f"compile: {name}", "s", ca, cb, "optax.sgdr_schedule", "peer/lrcore"))
        rows.append(row(GROUP, f"HLO lines: {name}", "lines", la, lb, "optax.sgdr_schedule", "peer/lrcore"))
        growth[cycles] = (ca, la)
    lo, hi = min(cfg.cycles), max(cfg.cycles)
    rows.append(
        row(
            GROUP, f"lrcore compile growth, {hi} vs {lo} cycles", "s", growth[hi][0], growth[lo][0],
            f"lrcore, {lo} cycle(s)", target=("<=", 1.25),
        )
    )
    rows.append(
        row(
            GROUP, f"lrcore HLO growth, {hi} vs {lo} cycles", "lines", growth[hi][1], growth[lo][1],
            f"lrcore, {lo} cycle(s)", target=("<=", 1.0),
        )
    )

    sizes = {}
    # 1 and 8 boundaries take the fused comparison path (tables of <= 8 entries), larger counts the
    # unrolled binary search; "flat" means the largest count needs no more HLO than any smaller one.
    for n in sorted({1, 8, cfg.boundaries}):
        for name, ours, peer, peer_name in piecewise_pairs(n, cfg.steps):
            log(f"[jax] {name}")
            big = n >= 100
            ca, la, a = compile_cost(ours, steps, compile_repeats)
            cb, lb, b = compile_cost(peer, steps, 1 if big else compile_repeats)
            t = interleaved(
                {"a": block(a, steps), "b": block(b, steps)}, cfg, number=1 if big else None, repeats=3 if big else None
            )
            target = (">=", 100) if n >= 1000 else None
            rows.append(row(GROUP, f"{n_steps} steps: {name}", "s", t["a"], t["b"], peer_name, "peer/lrcore", target))
            rows.append(row(GROUP, f"compile: {name}", "s", ca, cb, peer_name, "peer/lrcore"))
            rows.append(row(GROUP, f"HLO lines: {name}", "lines", la, lb, peer_name, "peer/lrcore"))
            sizes.setdefault(name.split(",")[0], {})[n] = (ca, la)
    for kind, by_n in sizes.items():
        hi = max(by_n)
        # The smaller count whose HLO is largest: the growth target is "no larger than that".
        lo = max((n for n in by_n if n != hi), key=lambda n: statistics.median(by_n[n][1]))
        rows.append(
            row(GROUP, f"lrcore HLO growth, {kind}: {hi} vs {lo} boundaries (the larger of 1, 8)", "lines",
                by_n[hi][1], by_n[lo][1], f"lrcore, {lo} boundaries", target=("<=", 1.0))
        )

    # 5: the schedule inside a jitted Adam update on 1M parameters.
    log("[jax] adam")
    n_params = 10_000 if cfg.smoke else 1_000_000
    params = jnp.zeros((n_params,), jnp.float32)
    grads = jnp.full((n_params,), 1e-3, jnp.float32)

    def adam_loop(lr):
        tx = optax.adam(lr)

        @jax.jit
        def step(p, s):
            u, s = tx.update(grads, s, p)
            return optax.apply_updates(p, u), s

        state = [params, tx.init(params)]

        def ten_steps():
            p, s = state
            for _ in range(10):
                p, s = step(p, s)
            p.block_until_ready()
            state[:] = [p, s]

        return ten_steps

    contenders = {
        "constant": adam_loop(1e-3),
        "cosine_decay": adam_loop(lj.cosine_decay(1e-3, 100_000, end_value=1e-5)),
        "cosine_restart": adam_loop(lj.cosine_restart(1e-3, first_period=1000, warmup_steps=100, period_mul=2.0)),
        "optax_cosine": adam_loop(optax.cosine_decay_schedule(1e-3, 100_000, alpha=1e-2)),
    }
    t = interleaved(contenders, cfg, repeats=None if cfg.smoke else 15)
    t = {k: [x / 10 for x in v] for k, v in t.items()}
    p = f"adam step, {n_params:,} params"
    rows.append(row(GROUP, f"{p}: lrcore cosine_decay", "s", t["cosine_decay"], t["constant"], "constant lr", target=("<=", 1.03)))
    rows.append(
        row(GROUP, f"{p}: lrcore cosine_restart (period_mul=2)", "s", t["cosine_restart"], t["constant"], "constant lr", target=("<=", 1.03))
    )
    rows.append(row(GROUP, f"{p}: optax cosine_decay_schedule (reference)", "s", t["optax_cosine"], t["constant"], "constant lr"))
    return rows


if __name__ == "__main__":
    raise SystemExit(main(GROUP, run))
