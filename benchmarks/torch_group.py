"""PyTorch comparisons: ``scheduler.step()`` of ``lrcore.torch.scheduler`` against torch's own
schedulers, and a ``torch.compile``-d evaluation of 1M steps against a hand-written closed form."""

from __future__ import annotations

import math
import os
from fractions import Fraction

import torch

import lrcore

from ._common import interleaved, log, main, row, unavailable

GROUP = "torch"


def _optimizer(lr=0.1):
    param = torch.nn.Parameter(torch.zeros(4))
    opt = torch.optim.SGD([param], lr=lr)
    param.grad = torch.zeros(4)
    return opt


def _scheduled(make, opt):
    sched = make(opt)
    opt.step()  # after the scheduler wraps it: torch warns when a scheduler steps before its optimizer
    return sched


def exact_formula(j, d, end, peak):
    """lrcore's cosine formula for these levels (same sign, decaying) hand-written in torch, float32
    constants rounded as lrcore rounds them (the same bits as lrcore's evaluation; the smoke test
    checks): ``peak - H·(1 - cos(j·π/d))`` with ``H = (peak - end)/2``, and ``end`` from ``j = d`` on."""
    f32 = lambda x: torch.tensor(x, dtype=torch.float32)  # noqa: E731
    half = float((Fraction(peak) - Fraction(end)) / 2)
    value = f32(peak) - f32(half) * (1.0 - torch.cos(j.to(torch.float32) * f32(math.pi / d)))
    return torch.where(j < d, value, f32(end))


def scheduler_pairs():
    """(name, lrcore schedule, torch scheduler factory)."""
    return [
        (
            "cosine_restart vs CosineAnnealingWarmRestarts",
            lrcore.cosine_restart(peak_value=0.1, first_period=1000, period_mul=2.0, end_value=1e-5),
            lambda opt: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=1000, T_mult=2, eta_min=1e-5),
        ),
        (
            "onecycle vs OneCycleLR",
            lrcore.onecycle(peak_value=0.1, total_steps=10**8),
            lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10**8),
        ),
        (
            "exponential_decay(staircase) vs StepLR",
            lrcore.exponential_decay(0.1, decay_steps=1000, decay_rate=0.5, staircase=True),
            lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=1000, gamma=0.5),
        ),
    ]


def run(cfg):
    if os.environ.get("LRCORE_BENCH_THREADS") != "default":
        torch.set_num_threads(1)
    if cfg.device == "cuda" and not torch.cuda.is_available():
        return [unavailable(GROUP, "group", "torch.cuda.is_available() is False")]
    try:
        import lrcore.torch as lt

        lt.scheduler  # noqa: B018 - the adapter's entry point must exist
    except (ImportError, AttributeError) as exc:
        reason = f"adapter not available ({type(exc).__name__}: {exc})"
        names = [f"scheduler.step(): {n}" for n, _, _ in scheduler_pairs()]
        return [unavailable(GROUP, n, reason) for n in [*names, "compiled evaluation: cosine_decay"]]

    rows = []
    for name, schedule, peer in scheduler_pairs():
        log(f"[torch] {name}")
        ours = _scheduled(lambda opt: lt.scheduler(opt, schedule), _optimizer())
        theirs = _scheduled(peer, _optimizer())
        t = interleaved({"a": ours.step, "b": theirs.step}, cfg)
        rows.append(row(GROUP, f"scheduler.step(): {name}", "s", t["a"], t["b"], "torch"))

    log("[torch] compiled evaluation")
    peak, end, decay = 1e-3, 1e-5, 100_000
    backend = "eager" if cfg.smoke else "inductor"
    device = torch.device(cfg.device)

    def hand(k):
        x = torch.clamp(k, 0, decay).to(torch.float32) / decay
        return end + (peak - end) * 0.5 * (1.0 + torch.cos(math.pi * x))

    ours = torch.compile(lt.cosine_decay(peak, decay, end_value=end), backend=backend, fullgraph=True)
    theirs = torch.compile(hand, backend=backend, fullgraph=True)
    same = torch.compile(lambda k: exact_formula(torch.clamp(k, 0, decay), decay, end, peak), backend=backend, fullgraph=True)
    steps = torch.arange(cfg.steps, dtype=torch.int64, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def timed(fn):
        def call():
            fn(steps)
            sync()

        return call

    t = interleaved({"a": timed(ours), "b": timed(theirs), "c": timed(same)}, cfg)
    n = f"{cfg.steps:,} steps"
    rows.append(
        row(GROUP, f"compiled evaluation, {n}: cosine_decay", "s", t["a"], t["b"], "hand-written torch, compiled",
            note=f"torch.compile backend={backend}, {device.type}")
    )
    rows.append(
        row(GROUP, f"compiled evaluation, {n}: cosine_decay, same formula", "s", t["a"], t["c"],
            "hand-written torch of lrcore's formula, compiled", kind="limit",
            note="Inductor fuses each into one loop, so the gap is the formula's arithmetic per step")
    )
    rows.append(
        row(GROUP, f"compiled evaluation, {n}: lrcore's formula vs the usual one", "s", t["c"], t["b"],
            "hand-written torch, compiled", target=None, kind="scale",
            note="the price of the precision promise, both hand-written")
    )
    return rows


if __name__ == "__main__":
    raise SystemExit(main(GROUP, run))
