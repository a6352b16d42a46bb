"""Value-by-value parity with the real ``transformers.optimization`` schedules.

Each transformers schedule is a ``LambdaLR`` (lr = base_lr · factor(step), in Python float64)
driving a real ``torch.optim.SGD``; the learning rate of update n is read before it.
Tolerance: the factors are closed forms of a few float64 operations (a division, a cos or sqrt,
a multiply-add) times base_lr, ``ULPS`` float64 ulp of the largest value.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from transformers import optimization as tr

import lrcore
import lrcore.numpy
from tests.helpers import assert_ulp_close
from tests.peers import drive_torch

ULPS = 8
LR = 0.3


def compare(schedule, make_scheduler, n, ulps=ULPS):
    want = drive_torch(make_scheduler, n, lr=LR)
    got = lrcore.numpy.from_schedule(schedule)(np.arange(n))
    assert_ulp_close(got, want, 64, ulps, context=repr(schedule))
    return want


@pytest.mark.parametrize(("warmup", "timescale"), [(50, None), (0, None), (40, 200), (0, 7)])
def test_inverse_sqrt(warmup, timescale):
    s = lrcore.inverse_sqrt(LR, warmup_steps=warmup, timescale=timescale)
    compare(s, lambda o: tr.get_inverse_sqrt_schedule(o, num_warmup_steps=warmup, timescale=timescale), 400)


@pytest.mark.parametrize("warmup_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("decay_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("min_lr_ratio", [0.0, 0.1])
def test_wsd(warmup_type, decay_type, min_lr_ratio):
    """transformers warms up from ``min_lr_ratio·lr`` (lrcore's default ``init_value = end_value``)."""
    w, stable, d = 40, 100, 80
    s = lrcore.warmup_stable_decay(
        LR, warmup_steps=w, stable_steps=stable, decay_steps=d, end_value=LR * min_lr_ratio,
        warmup_shape=warmup_type, decay_shape=decay_type,
    )
    make = lambda o: tr.get_wsd_schedule(  # noqa: E731
        o, num_warmup_steps=w, num_decay_steps=d, num_stable_steps=stable,
        warmup_type=warmup_type, decay_type=decay_type, min_lr_ratio=min_lr_ratio,
    )
    compare(s, make, w + stable + d + 60)


@pytest.mark.parametrize("warmup", [0, 25])
def test_cosine_with_warmup(warmup):
    """With transformers' default ``num_cycles=0.5`` this is ``warmup_cosine_decay(0, lr, W, N)``
    up to ``num_training_steps``; past it transformers rebounds along the cosine (and any other
    ``num_cycles`` rebounds inside training), while lrcore holds 0."""
    total = 300
    s = lrcore.warmup_cosine_decay(0.0, LR, warmup_steps=warmup, decay_steps=total)
    make = lambda o: tr.get_cosine_schedule_with_warmup(o, num_warmup_steps=warmup, num_training_steps=total)  # noqa: E731
    compare(s, make, total + 1)
    after = drive_torch(make, total + 60, lr=LR)
    assert after[-1] > 0.01 * LR  # transformers' rebound
    assert lrcore.numpy.from_schedule(s)(total + 59) == 0.0


@pytest.mark.parametrize(("warmup", "total", "cycles", "fall"),
                         [(0, 100, 1.5, (100, 3)), (10, 110, 0.75, (200, 3)), (7, 307, 2.5, (60, 1)), (5, 75, 0.3, (350, 3))])
def test_cosine_cycles_are_the_periodic_cosine_with_a_speed(warmup, total, cycles, fall):
    """Any ``num_cycles``: ``½(1 + cos(2π·c·(k - W)/(N - W)))`` after the warmup falls over
    ``(N - W)/(2c) = a/b`` steps, ``cosine_decay(lr, a, periodic=True, speed=b)``, inside training
    and past it."""
    a, b = fall
    s = lrcore.warmup(lrcore.cosine_decay(LR, a, periodic=True, speed=b), warmup, init_value=0.0)
    make = lambda o: tr.get_cosine_schedule_with_warmup(  # noqa: E731
        o, num_warmup_steps=warmup, num_training_steps=total, num_cycles=cycles
    )
    # transformers rounds its cosine's argument 2π·c·progress, an error that grows with it: about
    # one ulp of the argument, a value error of LR·|argument|·2^-53 at most (ULPS + 2·|argument| ulp).
    n = 3 * total
    compare(s, make, n, ULPS + 2 * math.ceil(2 * math.pi * cycles * n / (total - warmup)))


@pytest.mark.parametrize(("warmup", "total", "cycles"), [(0, 300, 3), (20, 320, 4), (10, 260, 1), (30, 330, 5)])
def test_cosine_with_hard_restarts(warmup, total, cycles):
    """``get_cosine_with_hard_restarts_schedule_with_warmup(W, N, c)`` with ``(N - W)`` divisible by
    ``c`` is ``join([warmup(cosine_restart(lr, first_period=(N-W)/c), W, init_value=0), constant(0)], [N])``:
    a linear warmup 0 -> lr, c cosine cycles of (N-W)/c steps restarting at the peak, then 0."""
    period = (total - warmup) // cycles
    assert period * cycles == total - warmup
    s = lrcore.join(
        [lrcore.warmup(lrcore.cosine_restart(LR, first_period=period), warmup, init_value=0.0), lrcore.constant(0.0)],
        [total],
    )
    make = lambda o: tr.get_cosine_with_hard_restarts_schedule_with_warmup(  # noqa: E731
        o, num_warmup_steps=warmup, num_training_steps=total, num_cycles=cycles
    )
    compare(s, make, total + 40)


@pytest.mark.parametrize("warmup", [0, 30])
def test_linear_with_warmup(warmup):
    total = 250
    s = lrcore.warmup(lrcore.linear(LR, 0.0, transition_steps=total - warmup), warmup, init_value=0.0)
    make = lambda o: tr.get_linear_schedule_with_warmup(o, num_warmup_steps=warmup, num_training_steps=total)  # noqa: E731
    compare(s, make, total + 40)


@pytest.mark.parametrize(("warmup", "power"), [(0, 1.0), (30, 2.0), (20, 0.5)])
def test_polynomial_decay_with_warmup(warmup, power):
    total, lr_end = 250, 1e-3
    s = lrcore.warmup(
        lrcore.polynomial_decay(LR, end_value=lr_end, decay_steps=total - warmup, power=power), warmup, init_value=0.0
    )
    make = lambda o: tr.get_polynomial_decay_schedule_with_warmup(  # noqa: E731
        o, num_warmup_steps=warmup, num_training_steps=total, lr_end=lr_end, power=power
    )
    # transformers divides by lr_init and LambdaLR multiplies back: one more rounding; for
    # power < 1, x**power amplifies an error d in x = 1 - j/D near 0 into up to d**power.
    extra = (LR - lr_end) * (2 * 2.0**-53) ** power / (2.0**-52 * LR) if power < 1 else 0.0
    compare(s, make, total + 40, ULPS + extra)


# -- transformers.Trainer driven by an lrcore scheduler ----------------------------------------------
def test_trainer_logs_the_lrcore_schedule(tmp_path):
    """A tiny GPT-2 built from a config (random weights, no download) trained by ``Trainer`` with
    ``optimizers=(optimizer, lrcore scheduler)``; the learning rates it logs follow the schedule."""
    import math

    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

    import lrcore.torch

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=32, n_positions=8, n_embd=16, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 32, (24, 8), generator=g)
    data = [{"input_ids": row, "labels": row} for row in ids]
    peak, warmup, total = 1e-3, 3, 12
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak)
    scheduler = lrcore.torch.scheduler(optimizer, lrcore.warmup_cosine_decay(0.0, peak, warmup, total))
    args = TrainingArguments(
        output_dir=str(tmp_path), max_steps=total, per_device_train_batch_size=2, logging_steps=1,
        report_to=[], save_strategy="no", use_cpu=True, disable_tqdm=True, seed=0,
    )  # fmt: skip
    trainer = Trainer(model=model, args=args, train_dataset=data, optimizers=(optimizer, scheduler))
    trainer.train()

    def reference(k):  # warmup 0 -> peak, then cosine to 0 at `total`, in plain float64
        if k < warmup:
            return peak * k / warmup
        return peak * 0.5 * (1 + math.cos(math.pi * min(k - warmup, total - warmup) / (total - warmup)))

    logged = [(e["step"], e["learning_rate"]) for e in trainer.state.log_history if "learning_rate" in e]
    assert scheduler.last_epoch == total
    assert [s for s, _ in logged] == list(range(1, total + 1))
    # The entry logged at global step s (s updates done) holds the lr update s - 1 used: schedule(s - 1).
    for step, lr in logged:
        assert abs(lr - reference(step - 1)) <= 4 * 2.0**-23 * peak, (step, lr, reference(step - 1))


# -- transformers.Trainer holding only lrcore.torch.ReduceLROnPlateau ---------------------------------
# The Trainer steps a ReduceLROnPlateau only with the evaluation metric (never per update) and saves
# it as its scheduler. The plateau advances the schedule it wraps after every update, and its state
# holds the scheduler's, so a resumed run applies the lrs of an uninterrupted one.
HF_PEAK, HF_DECAY, HF_TOTAL, HF_EVAL = 0.05, 20, 24, 4
# The metric reported at each evaluation (by global step): a reduction after step 16 that needs the
# bad count saved with the checkpoint of step 12.
HF_FED = {4: 1.0, 8: 0.9, 12: 0.95, 16: 0.97, 20: 0.5, 24: 0.6}


def _regressor():
    """A tiny model for ``Trainer``: a linear layer returning the loss and the predictions."""
    import torch

    class Regressor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 1)

        def forward(self, x, labels=None):
            out = self.linear(x)
            return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}

    torch.manual_seed(0)
    return Regressor()


def _hf_train(tmp_path, resume_from=None):
    """Train with ``optimizers=(optimizer, plateau)``; return {update n: lr applied at update n}."""
    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments

    import lrcore.torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 4, generator=g)
    data = [{"x": row, "labels": row.sum(dim=0, keepdim=True)} for row in x]
    model = _regressor()
    optimizer = torch.optim.SGD(model.parameters(), lr=HF_PEAK, momentum=0.9)
    scheduler = lrcore.torch.scheduler(optimizer, lrcore.cosine_decay(HF_PEAK, HF_DECAY))
    plateau = lrcore.torch.ReduceLROnPlateau(scheduler, factor=0.5, patience=1)
    applied = {}

    class Record(TrainerCallback):
        def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
            applied[state.global_step] = optimizer.param_groups[0]["lr"]

    args = TrainingArguments(
        output_dir=str(tmp_path), max_steps=HF_TOTAL, per_device_train_batch_size=2, eval_strategy="steps",
        eval_steps=HF_EVAL, save_strategy="steps", save_steps=12, metric_for_best_model="fed",
        greater_is_better=False, report_to=[], use_cpu=True, disable_tqdm=True, seed=0, logging_steps=HF_EVAL,
    )  # fmt: skip
    trainer = Trainer(
        model=model, args=args, train_dataset=data, eval_dataset=data[:4], optimizers=(optimizer, plateau),
        compute_metrics=lambda prediction: {"fed": HF_FED[trainer.state.global_step]}, callbacks=[Record()],
    )  # fmt: skip
    trainer.train(resume_from_checkpoint=resume_from)
    return applied, plateau


def _hf_reference(n: int) -> float:
    """lr of update n in float64: the cosine times torch's own ReduceLROnPlateau fed the metrics so far."""
    import math

    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for step, metric in sorted(HF_FED.items()):
        if step <= n:  # evaluated after `step` updates: it sets the lr of update `step` on
            ref.step(metric)
    cosine = HF_PEAK * 0.5 * (1 + math.cos(math.pi * min(n, HF_DECAY) / HF_DECAY))
    return cosine * opt.param_groups[0]["lr"]


def test_trainer_holding_only_the_plateau_follows_the_schedule_and_resumes_exactly(tmp_path):
    full, plateau = _hf_train(tmp_path / "full")
    assert sorted(full) == list(range(HF_TOTAL))
    want = {n: _hf_reference(n) for n in range(HF_TOTAL)}
    assert len(set(want.values())) > HF_DECAY  # the schedule moves at every update ...
    assert want[16] < 0.6 * want[15]  # ... and the plateau halves it after step 16
    for n, lr in full.items():
        assert abs(lr - want[n]) <= 4 * 2.0**-23 * HF_PEAK, (n, lr, want[n])
    assert plateau.scale == 0.5 and plateau.scheduler.last_epoch == HF_TOTAL
    # Stopped after the evaluation and checkpoint of step 12 (bad count 1), resumed in a new Trainer
    # with a new model, optimizer, scheduler and plateau: the same lr at every later update.
    resumed, again = _hf_train(tmp_path / "full", resume_from=str(tmp_path / "full" / "checkpoint-12"))
    assert sorted(resumed) == list(range(12, HF_TOTAL))
    assert resumed == {n: full[n] for n in range(12, HF_TOTAL)}
    assert again.state == plateau.state and again.scheduler.last_epoch == HF_TOTAL
