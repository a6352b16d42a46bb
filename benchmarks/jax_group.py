"""JAX / optax comparisons: the cost of a schedule inside a jitted Adam step, scalar calls, 1M-step
evaluation, warm restarts and piecewise schedules against optax's where-chains, compile time and
HLO size."""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import optax

import lrcore.jax as lj

from ._common import TARGET, interleaved, log, main, repeat_once, row, unavailable

GROUP = "jax"

#: Adam updates per timed call of the headline rows, and rounds per row: each sample the fastest of
#: ``ADAM_BEST_OF`` interleaved rounds (see ``interleaved``). With default threading one thread that
#: waits for a busy core delays a whole call, in one round and not the next: the median of single
#: rounds' ratios moved from 1.00 to 1.14 between two runs of the same code (warmup_stable_decay).
ADAM_STEPS = 20
ADAM_ROUNDS = 67
ADAM_BEST_OF = 3
#: The Adam rows' target, pinned: the schedule's cost within the step, at most 3%. With default
#: threading the same measurement of optax's own schedule against the constant lr spread from 0.998
#: to 1.044 over four runs: it cannot resolve 3% there, and those rows are held to the comparison
#: target, 1.10.
ADAM_TARGET = 1.03


def single_piece_pairs():
    """(name, lrcore factory, optax factory): the same curve from both libraries."""
    return [
        ("linear", lambda: lj.linear(1e-3, 1e-5, 100_000), lambda: optax.linear_schedule(1e-3, 1e-5, 100_000)),
        (
            "exponential_decay",
            lambda: lj.exponential_decay(1e-3, 1000, 0.9),
            lambda: optax.exponential_decay(1e-3, 1000, 0.9),
        ),
        (
            "polynomial_decay(power=2)",
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
    """``cycles`` warm-restart cycles (10 % linear warmup each) over ``steps`` steps."""
    period = steps // cycles
    warm = period // 10

    def ours():
        return lj.cosine_restart(peak_value=1e-3, first_period=period, warmup_steps=warm, end_value=1e-5)

    def peer():
        kw = dict(init_value=1e-5, peak_value=1e-3, warmup_steps=warm, decay_steps=period, end_value=1e-5)
        return optax.sgdr_schedule([kw] * cycles)

    return ours, peer, period


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
        ("piecewise_constant", const_ours, const_peer, "optax.piecewise_constant_schedule"),
        ("piecewise_linear", lin_ours, lin_peer, "optax.join_schedules(linear_schedule…)"),
    ]


def adam_schedules():
    """(name, lrcore schedule) for the Adam-step rows: every kind of curve, over 100k steps."""
    return [
        ("linear", lj.linear(1e-3, 1e-5, 100_000)),
        ("exponential_decay", lj.exponential_decay(1e-3, 1000, 0.9)),
        ("polynomial_decay(power=2)", lj.polynomial_decay(1e-3, 1e-5, 100_000, power=2.0)),
        ("cosine_decay", lj.cosine_decay(1e-3, 100_000, end_value=1e-5)),
        ("warmup_cosine_decay", lj.warmup_cosine_decay(0.0, 1e-3, 1000, 100_000, end_value=1e-5)),
        ("cosine_restart(period_mul=2)", lj.cosine_restart(1e-3, first_period=1000, warmup_steps=100, period_mul=2.0)),
        ("piecewise_constant, 8 boundaries", lj.piecewise_constant([10_000 * i for i in range(1, 9)], [1e-3 * 0.5**i for i in range(9)])),
        ("piecewise_linear, 9 points", lj.piecewise_linear([10_000 * i for i in range(9)], [1e-3 * 0.5**i for i in range(9)])),
        ("onecycle", lj.onecycle(1e-3, 100_000)),
        ("warmup_stable_decay", lj.warmup_stable_decay(1e-3, 1000, 50_000, 49_000, decay_shape="cosine")),
    ]


def combinator_pairs(steps):
    """(name, lrcore factory, optax composition factory): each combinator against the same curve
    composed by hand from optax schedules, the way an optax user writes it."""
    spe = max(steps // 100, 1)

    def add():
        a, b = optax.linear_schedule(1e-3, 0.0, steps), optax.linear_schedule(0.0, 1e-4, steps // 2)
        return lambda k: a(k) + b(k)

    def shift():
        base = optax.linear_schedule(1e-3, 1e-5, steps)
        return lambda k: base(jnp.maximum(k + 1000, 0))

    def per_epoch():
        base = optax.linear_schedule(1e-3, 1e-5, 100)
        return lambda k: base(k // spe)

    return [
        ("add(linear, linear)", lambda: lj.add([lj.linear(1e-3, 0.0, steps), lj.linear(0.0, 1e-4, steps // 2)]), add),
        ("shift(linear, 1000)", lambda: lj.shift(lj.linear(1e-3, 1e-5, steps), 1000), shift),
        ("per_epoch(linear)", lambda: lj.per_epoch(lj.linear(1e-3, 1e-5, 100), spe), per_epoch),
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


def adam_rows(cfg, put):
    """Jitted Adam updates on 1M parameters with each schedule ÷ the same updates with a constant lr."""
    rows = []
    log("[jax] adam")
    n_params = 10_000 if cfg.smoke else 1_000_000
    params = put(jnp.zeros((n_params,), jnp.float32))
    grads = put(jnp.full((n_params,), 1e-3, jnp.float32))
    n_updates = 2 if cfg.smoke else ADAM_STEPS

    # The contenders share one set of buffers: parameters, Adam's moments and the step count go
    # from one contender's call to the next, and donation keeps them in the same memory, so the
    # placement of a million floats (which moves a step's time by a percent or two) is the same
    # for both. Each call runs as many updates, so both do the same work.
    buffers = [params + 0.0, put(jnp.zeros_like(params)), put(jnp.zeros_like(params)), put(jnp.zeros((), jnp.int32))]

    def adam_loop(lr):
        """One call: ``n_updates`` Adam updates in a jitted loop (the schedule is evaluated at each
        update's count) on the shared, donated buffers: long enough to time, allocating nothing."""
        tx = optax.adam(lr)

        def updates(p, mu, nu, count, g):
            adam, lr_state = tx.init(p)  # the structure only: its zeros are replaced (and dropped)
            state = (adam._replace(count=count, mu=mu, nu=nu), jax.tree.map(lambda _: count, lr_state))

            def body(_, carry):
                p, s = carry
                u, s = tx.update(g, s, p)
                return optax.apply_updates(p, u), s

            p, (adam, _) = jax.lax.fori_loop(0, n_updates, body, (p, state))
            return p, adam.mu, adam.nu, adam.count

        run_updates = jax.jit(updates, donate_argnums=(0, 1, 2, 3))

        def call():
            out = run_updates(*buffers, grads)
            out[0].block_until_ready()
            buffers[:] = out

        return call

    schedules = adam_schedules()
    if cfg.smoke:
        schedules = schedules[3:4]
    schedules.append(("optax cosine_decay_schedule", optax.cosine_decay_schedule(1e-3, 100_000, alpha=1e-2)))
    constant = adam_loop(1e-3)
    p = f"adam, {n_updates} steps of {n_params:,} params per call"
    for name, schedule in schedules:
        # Each schedule against the constant lr in rounds of its own: the median of paired ratios.
        t = interleaved({"s": adam_loop(schedule), "c": constant}, cfg, rounds=None if cfg.smoke else ADAM_ROUNDS,
                        number=1, best_of=1 if cfg.smoke else ADAM_BEST_OF)
        if name.startswith("optax"):
            rows.append(row(GROUP, f"{p}: {name}", "s", t["s"], t["c"], "the same steps, constant lr", target=None,
                            kind="scale"))
        else:
            threaded = os.environ.get("LRCORE_BENCH_THREADS") == "default"
            rows.append(row(GROUP, f"{p}: lrcore {name}", "s", t["s"], t["c"], "the same steps, constant lr",
                            target=TARGET if threaded else ADAM_TARGET))
    return rows


def _device(cfg):
    if cfg.device == "cuda":
        try:
            return jax.devices("gpu")[0]
        except RuntimeError:
            return None
    return jax.devices("cpu")[0]


def run(cfg):
    device = _device(cfg)
    if device is None:
        return [unavailable(GROUP, "group", "JAX sees no CUDA device (jax.devices('gpu') failed)")]
    rows = []
    put = lambda x: jax.device_put(x, device)  # noqa: E731
    steps = put(jnp.arange(cfg.steps, dtype=jnp.int32))
    count = put(jnp.asarray(12_345, dtype=jnp.int32))
    n_steps = f"{cfg.steps:,} steps"
    compile_repeats = 1 if cfg.smoke else 3

    # 1. The headline: jitted Adam updates on 1M parameters, with a schedule and with a constant lr.
    rows.extend(adam_rows(cfg, put))

    # 2. Single-piece schedules: scalar calls (dispatch-bound) and 1M steps at once.
    pairs = single_piece_pairs()
    if cfg.smoke:  # every kind of row, fewer schedules
        pairs = pairs[:1]
    fill = jax.jit(lambda k: jnp.full(k.shape, 1e-3, jnp.float32))
    constant = jax.jit(lj.constant(1e-3))
    log("[jax] constant")
    t = interleaved({"a": block(constant, steps), "b": block(fill, steps)}, cfg)
    rows.append(
        row(GROUP, f"{n_steps}: constant", "s", t["a"], t["b"], "jnp.full",
            note="optax.constant_schedule returns one scalar for any step array, so the peer is the fill")
    )
    for name, ours, peer in combinator_pairs(cfg.steps):
        log(f"[jax] {name}")
        a, b = jax.jit(ours()), jax.jit(peer())
        t = interleaved({"a": block(a, steps), "b": block(b, steps)}, cfg)
        rows.append(row(GROUP, f"{n_steps}: {name}", "s", t["a"], t["b"], "optax composition"))
    for name, ours, peer in pairs:
        log(f"[jax] {name}")
        a, b = jax.jit(ours()), jax.jit(peer())
        t = interleaved({"a": block(a, count), "b": block(b, count)}, cfg)
        rows.append(row(GROUP, f"scalar jit call: {name}", "s", t["a"], t["b"], "optax"))
        t = interleaved({"a": block(a, steps), "b": block(b, steps)}, cfg)
        rows.append(row(GROUP, f"{n_steps}: {name}", "s", t["a"], t["b"], "optax"))
        lines_a = len(jax.jit(ours()).lower(steps).as_text().splitlines())
        lines_b = len(jax.jit(peer()).lower(steps).as_text().splitlines())
        rows.append(row(GROUP, f"HLO lines: {name}", "lines", [lines_a], [lines_b], "optax", target=None, kind="scale", paired=False))

    # 3. Warm restarts against optax.sgdr_schedule (one where per cycle).
    hlo = {}
    for cycles in cfg.sizes:
        log(f"[jax] restarts, {cycles} cycles")
        ours, peer, period = restart_pair(cycles, cfg.steps)
        slow = cycles >= 100
        ca, la, a = compile_cost(ours, steps, compile_repeats)
        cb, lb, b = compile_cost(peer, steps, 1 if slow else compile_repeats)
        fns = {"a": block(a, steps), "b": block(b, steps)}
        if cycles == 1:
            # optax holds its last value after its cycles; lrcore restarts forever, which costs an
            # integer remainder per step. The same work: optax's cycle evaluated at k mod T.
            sgdr = peer()
            rem = jax.jit(lambda k: sgdr(jax.lax.rem(k, period)))
            fns["c"] = block(rem, steps)
            fns["rem"] = block(jax.jit(lambda k: jax.lax.rem(k, period)), steps)
        t = interleaved(fns, cfg)
        name = f"cosine_restart, {cycles} cycle" + ("s" if cycles > 1 else "")
        note = "optax holds after its single cycle; lrcore restarts (one integer remainder per step)" if cycles == 1 else ""
        rows.append(row(GROUP, f"{n_steps}: {name}", "s", t["a"], t["b"], "optax.sgdr_schedule", note=note))
        if cycles == 1:
            rows.append(
                row(GROUP, f"{n_steps}: {name}, same work", "s", t["a"], t["c"], "optax.sgdr_schedule at k mod T",
                    kind="limit", note="the peer restarting like lrcore: its cycle evaluated at k mod T")
            )
            rows.append(
                row(GROUP, f"{n_steps}: k mod T alone", "s", t["rem"], t["b"], "optax.sgdr_schedule, 1 cycle",
                    target=None, kind="scale", note="the cost of the remainder, as a fraction of the peer")
            )
        rows.append(row(GROUP, f"compile: {name}", "s", ca, cb, "optax.sgdr_schedule", target=None, kind="scale", paired=False))
        rows.append(row(GROUP, f"HLO lines: {name}", "lines", la, lb, "optax.sgdr_schedule", target=None, kind="scale", paired=False))
        hlo[cycles] = la
    lo, hi = min(cfg.sizes), max(cfg.sizes)
    rows.append(
        row(GROUP, f"lrcore HLO lines, {hi} vs {lo} cycles", "lines", hlo[hi], hlo[lo], f"lrcore, {lo} cycle",
            target=1.0, note="flat: the cycle is found in integer arithmetic, not one where per cycle")
    )

    # 4. Piecewise schedules against optax's where-chains.
    hlo = {}
    for n in cfg.sizes:
        for kind, ours, peer, peer_name in piecewise_pairs(n, cfg.steps):
            name = f"{kind}, {n} boundar" + ("ies" if n > 1 else "y")
            log(f"[jax] {name}")
            slow = n >= 100
            ca, la, a = compile_cost(ours, steps, compile_repeats)
            cb, lb, b = compile_cost(peer, steps, 1 if slow else compile_repeats)
            t = interleaved({"a": block(a, steps), "b": block(b, steps)}, cfg)
            rows.append(row(GROUP, f"{n_steps}: {name}", "s", t["a"], t["b"], peer_name))
            rows.append(row(GROUP, f"compile: {name}", "s", ca, cb, peer_name, target=None, kind="scale", paired=False))
            rows.append(row(GROUP, f"HLO lines: {name}", "lines", la, lb, peer_name, target=None, kind="scale", paired=False))
            hlo.setdefault(kind, {})[n] = la
    for kind, by_n in hlo.items():
        sizes = sorted(by_n)
        if len(sizes) >= 2:
            hi, lo = sizes[-1], sizes[-2]
            rows.append(
                row(GROUP, f"lrcore HLO lines, {kind}: {hi} vs {lo} boundaries", "lines", by_n[hi], by_n[lo],
                    f"lrcore, {lo} boundaries", target=1.0,
                    note="flat past the fused-chain sizes: a binary search whose HLO does not grow with the table")
            )
    return rows


if __name__ == "__main__":
    raise SystemExit(main(GROUP, run))
