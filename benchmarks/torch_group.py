"""PyTorch comparisons: ``scheduler.step()`` of ``lrcore.torch.scheduler`` against torch's own
schedulers, timm's schedulers (``step_update`` per update), transformers', Composer's (compiled into a
``LambdaLR`` of its State, whose timestamp advances per update) and Paddle's (``step()``, the
pure-Python scheduler a Paddle user steps), and a ``torch.compile``-d evaluation of 1M steps against a
hand-written closed form."""

from __future__ import annotations

import datetime
import itertools
import math
import os
import warnings

import torch

import lrcore
from lrcore import _array

from ._common import (ComposerState, composer_scheduler, composer_time, interleaved, log, main, row, timm_scheduler,
                      unavailable)

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
    """lrcore's cosine formula for these levels (same sign, decaying) hand-written in torch, with
    lrcore's float32 constants (the same bits as lrcore's evaluation; the smoke test checks):
    ``M + H·cos(j·π/d)`` with ``M ≈ (peak + end)/2`` and ``H ≈ (peak - end)/2`` (``M + H`` rounds
    to ``peak``), and ``end`` from ``j = d`` on."""
    f32 = lambda x: torch.tensor(x, dtype=torch.float32)  # noqa: E731
    mid, half = _array.cos_mid_form(peak, end, 32)
    value = f32(mid) + f32(half) * torch.cos(j.to(torch.float32) * f32(math.pi / d))
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
        (
            # CosineAnnealingLR's recursive form goes on past T_max: a cosine of period 2·T_max.
            "cosine_decay(periodic=True) vs CosineAnnealingLR past T_max",
            lrcore.cosine_decay(0.1, 1000, end_value=1e-5, periodic=True),
            lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000, eta_min=1e-5),
        ),
    ]


#: Steps of the timm rows' decays: far more than the timed calls, so every call lies inside the curve.
LONG = 10**8


def timm_pairs():
    """(name, lrcore schedule, timm scheduler factory, note): each timm scheduler stepped per update
    (``t_in_epochs=False``, ``step_update(t)``), as timm's train loop steps it, on an optimizer at
    lr 0.1."""
    timm = timm_scheduler
    per_update = {"t_in_epochs": False}
    cosine = lrcore.cosine_decay(0.1, LONG, end_value=1e-5)
    return [
        (
            "tanh_decay vs TanhLRScheduler",
            lrcore.tanh_decay(0.1, LONG, end_value=1e-5),
            lambda opt: timm("TanhLRScheduler")(opt, t_initial=LONG, lr_min=1e-5, **per_update), "",
        ),
        (
            "cosine_decay(k_decay=2) vs CosineLRScheduler",
            lrcore.cosine_decay(0.1, LONG, end_value=1e-5, k_decay=2.0),
            lambda opt: timm("CosineLRScheduler")(opt, t_initial=LONG, lr_min=1e-5, k_decay=2.0, **per_update), "",
        ),
        (
            "cosine_restart(cycle_limit=30, whole_periods=False, period_mul=1.5) vs CosineLRScheduler",
            lrcore.cosine_restart(0.1, 1000, period_mul=1.5, end_value=1e-5, cycle_limit=30, whole_periods=False),
            lambda opt: timm("CosineLRScheduler")(opt, t_initial=1000, cycle_mul=1.5, cycle_limit=30, lr_min=1e-5,
                                                  **per_update), "",
        ),
        (
            "tanh_restart(cycle_limit=30, whole_periods=False, period_mul=1.5) vs TanhLRScheduler",
            lrcore.tanh_restart(0.1, 1000, period_mul=1.5, peak_mul=0.9, end_value=1e-5, cycle_limit=30,
                                whole_periods=False),
            lambda opt: timm("TanhLRScheduler")(opt, t_initial=1000, cycle_mul=1.5, cycle_decay=0.9, cycle_limit=30,
                                                lr_min=1e-5, **per_update), "",
        ),
        (
            "polynomial_restart(k_decay=2, cycle_limit=30, whole_periods=False, period_mul=1.5) vs PolyLRScheduler",
            lrcore.polynomial_restart(0.1, 1000, period_mul=1.5, peak_mul=0.9, end_value=1e-5, power=0.5, k_decay=2.0,
                                      cycle_limit=30, whole_periods=False),
            lambda opt: timm("PolyLRScheduler")(opt, t_initial=1000, power=0.5, cycle_mul=1.5, cycle_decay=0.9,
                                                cycle_limit=30, k_decay=2.0, lr_min=1e-5, **per_update), "",
        ),
        (
            "warmup(cosine_decay, delay=False) vs CosineLRScheduler(warmup_prefix=False)",
            lrcore.warmup(cosine, LONG // 10, init_value=1e-4, delay=False),
            lambda opt: timm("CosineLRScheduler")(opt, t_initial=LONG, lr_min=1e-5, warmup_t=LONG // 10,
                                                  warmup_lr_init=1e-4, **per_update), "",
        ),
        (
            "warmup_stable_decay(decay_shape='power') vs WSDLRScheduler",
            lrcore.warmup_stable_decay(0.1, 1000, 1000, LONG - 1000, end_value=1e-5, init_value=1e-4,
                                       decay_shape="power", decay_power=2.0),
            lambda opt: timm("WSDLRScheduler")(opt, t_initial=LONG, decay_t=LONG - 1000, lr_min=1e-5,
                                               decay_fn="power", decay_power=2.0, warmup_t=1000,
                                               warmup_lr_init=1e-4, **per_update), "",
        ),
        (
            "warmup_stable_decay(decay_shape='exp') vs WSDLRScheduler",
            lrcore.warmup_stable_decay(0.1, 1000, 1000, LONG - 1000, end_value=1e-5, init_value=1e-4,
                                       decay_shape="exp", decay_ratio=0.1),
            lambda opt: timm("WSDLRScheduler")(opt, t_initial=LONG, decay_t=LONG - 1000, lr_min=1e-5,
                                               decay_fn="exp", decay_ratio=0.1, warmup_t=1000,
                                               warmup_lr_init=1e-4, **per_update), "",
        ),
        (
            "exponential_decay(decay_steps=2.4, staircase=True) vs StepLRScheduler(decay_t=2.4)",
            lrcore.exponential_decay(0.1, 2.4, 1.0 - 2.0**-20, staircase=True),
            lambda opt: timm("StepLRScheduler")(opt, decay_t=2.4, decay_rate=1.0 - 2.0**-20, **per_update), "",
        ),
        (
            "noise(cosine_decay) vs CosineLRScheduler(noise_range_t=...)",
            lrcore.noise(cosine, pct=0.67, std=1.0, seed=42, begin=0, end=LONG),
            lambda opt: timm("CosineLRScheduler")(opt, t_initial=LONG, lr_min=1e-5, noise_range_t=(0, LONG),
                                                  noise_pct=0.67, noise_std=1.0, noise_seed=42, **per_update),
            "different values (lrcore hashes the step, timm seeds a torch.Generator per step), same cost class",
        ),
    ]


def hf_pairs():
    """(name, lrcore schedule, transformers scheduler factory): transformers' schedules are torch
    ``LambdaLR``s of its own functions, stepped once per update by its Trainer."""
    from transformers import get_cosine_with_min_lr_schedule_with_warmup as cosine_with_min_lr

    return [
        (
            # num_cycles=1.5 over 1000 updates: a fall of 1000/3 updates (a speed of 3), past training too.
            "cosine_decay(periodic=True, speed=3) vs cosine_with_min_lr(num_cycles=1.5)",
            lrcore.from_hf("cosine_with_min_lr", lr=0.1, num_warmup_steps=0, num_training_steps=1000, num_cycles=1.5,
                           min_lr=1e-5),
            lambda opt: cosine_with_min_lr(opt, 0, 1000, num_cycles=1.5, min_lr=1e-5),
        ),
    ]


#: Samples per batch of the Composer row: its scheduler's times are in samples, the update count
#: in batches of this many samples.
SAMPLES_PER_BATCH = 32


def composer_pairs():
    """(name, lrcore schedule, Composer scheduler, its ``max_duration``, samples per batch):
    Composer's scheduler with times in samples, converted by ``lrcore.from_composer`` into a
    ``stride`` of the schedule in samples, on an optimizer at lr 0.1."""
    b = SAMPLES_PER_BATCH
    cosine = composer_scheduler().CosineAnnealingWithWarmupScheduler(t_warmup=f"{1000 * b}sp", alpha_f=0.01)
    max_duration = f"{LONG * b}sp"
    return [
        (
            "stride(warmup_cosine_decay, 32) vs CosineAnnealingWithWarmupScheduler in samples",
            lrcore.from_composer(cosine, max_duration, samples_per_batch=b, lr=0.1),
            cosine, max_duration, b,
        ),
    ]


def composer_stepper(scheduler, max_duration, samples_per_batch, opt):
    """One update of Composer's trainer, as far as its learning rate goes: the State's timestamp
    advanced by one batch (``Timestamp.to_next_batch`` with the batch's samples, tokens and
    duration, as the trainer calls it), then ``step()`` of the scheduler the trainer compiles
    (``compile_composer_scheduler``: a torch ``LambdaLR`` whose lambda calls Composer's scheduler
    on the State). The trainer measures the batch's duration itself; here it is a constant."""
    time = composer_time()
    state = ComposerState(opt, time.Timestamp(), time.Time.from_timestring(max_duration))
    compiled = composer_scheduler().compile_composer_scheduler(scheduler, state)
    opt.step()  # after the scheduler wraps it, as _scheduled
    duration = datetime.timedelta(0)

    def update():
        state.timestamp = state.timestamp.to_next_batch(samples=samples_per_batch, tokens=0, duration=duration)
        compiled.step()

    return update


def timm_stepper(scheduler):
    """One update of timm's train loop: ``step_update`` with the next update count."""
    counter = itertools.count(1)
    return lambda: scheduler.step_update(next(counter))


def paddle_lr():
    """``paddle.optimizer.lr`` (this process has torch but no TensorFlow, with which Paddle cannot share one)."""
    with warnings.catch_warnings():
        # Paddle's import notes that ccache (a compiler cache for its C++ extension builder) is absent.
        warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
        from paddle.optimizer import lr
    return lr


#: The compiled-evaluation rows take each sample as the fastest of this many interleaved rounds
#: (see ``interleaved``). Their calls are a few tenths of a millisecond, one vectorized loop split over
#: the threads in the default-threading group: there a thread that waits for a busy core delays one
#: call by a scheduler time slice, and the median of single rounds' ratios moved from 1.06 to 1.14
#: between two runs.
COMPILED_BEST_OF = 5
#: Their rounds: three times the other rows' (the calls are short), so that the median of their
#: ratios moves less between runs (1.035 to 1.113 over four runs of 101 with default threading).
COMPILED_ROUNDS = 301


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
        names = [f"scheduler.step(): {n}" for n in [*(p[0] for p in scheduler_pairs()), *(p[0] for p in timm_pairs()),
                                                    *(p[0] for p in hf_pairs()), *(p[0] for p in composer_pairs()),
                                                    "noam vs NoamDecay"]]
        return [unavailable(GROUP, n, reason) for n in [*names, "compiled evaluation: cosine_decay"]]

    rows = []
    for name, schedule, peer in scheduler_pairs():
        log(f"[torch] {name}")
        ours = _scheduled(lambda opt: lt.scheduler(opt, schedule), _optimizer())
        theirs = _scheduled(peer, _optimizer())
        t = interleaved({"a": ours.step, "b": theirs.step}, cfg)
        rows.append(row(GROUP, f"scheduler.step(): {name}", "s", t["a"], t["b"], "torch"))

    for name, schedule, peer, note in timm_pairs():
        log(f"[torch] {name}")
        ours = _scheduled(lambda opt, s=schedule: lt.scheduler(opt, s), _optimizer())
        theirs = timm_stepper(peer(_optimizer()))
        t = interleaved({"a": ours.step, "b": theirs}, cfg)
        rows.append(row(GROUP, f"scheduler.step(): {name}", "s", t["a"], t["b"], "timm", note=note))

    for name, schedule, peer in hf_pairs():
        log(f"[torch] {name}")
        ours = _scheduled(lambda opt, s=schedule: lt.scheduler(opt, s), _optimizer())
        theirs = _scheduled(peer, _optimizer())
        t = interleaved({"a": ours.step, "b": theirs.step}, cfg)
        rows.append(row(GROUP, f"scheduler.step(): {name}", "s", t["a"], t["b"], "transformers"))

    for name, schedule, scheduler, max_duration, b in composer_pairs():
        log(f"[torch] {name}")
        ours = _scheduled(lambda opt, s=schedule: lt.scheduler(opt, s), _optimizer())
        theirs = composer_stepper(scheduler, max_duration, b, _optimizer())
        t = interleaved({"a": ours.step, "b": theirs}, cfg)
        rows.append(row(GROUP, f"scheduler.step(): {name}", "s", t["a"], t["b"], "Composer",
                        note="Composer: its State's timestamp advanced one batch (to_next_batch), then the "
                        "compiled LambdaLR's step()"))

    name = "noam vs NoamDecay"
    log(f"[torch] {name}")
    ours = _scheduled(lambda opt: lt.scheduler(opt, lrcore.noam(512, 4000)), _optimizer())
    theirs = paddle_lr().NoamDecay(d_model=512, warmup_steps=4000, learning_rate=1.0)
    t = interleaved({"a": ours.step, "b": theirs.step}, cfg)
    rows.append(row(GROUP, f"scheduler.step(): {name}", "s", t["a"], t["b"], "Paddle",
                    note="Paddle's scheduler.step(), in this process (it imports no TensorFlow)"))

    return rows + compiled_rows(cfg)


def compiled_rows(cfg):
    """The ``torch.compile`` rows: 1M steps of ``cosine_decay`` against the usual closed form and
    against lrcore's formula, both hand-written."""
    import lrcore.torch as lt

    log("[torch] compiled evaluation")
    rows = []
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

    t = interleaved({"a": timed(ours), "b": timed(theirs), "c": timed(same)}, cfg,
                    rounds=None if cfg.smoke else COMPILED_ROUNDS, best_of=COMPILED_BEST_OF)
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
