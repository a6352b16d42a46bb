"""Lightning drives lrcore as it drives torch's schedulers: the lrcore scheduler at
``"interval": "step"`` and ``lrcore.torch.ReduceLROnPlateau`` with ``"monitor"``, or the plateau
alone (it advances the schedule it wraps), in real ``lightning.Trainer`` runs (CPU, a few steps),
uninterrupted and resumed from epoch-end and mid-epoch checkpoints. The lr applied at every
optimizer step is checked against an independent reference: the schedule's formula times the
scale of torch's rule fed the same metrics."""

from __future__ import annotations

import math

import lightning
import pytest
import torch

import lrcore
import lrcore.torch

STEPS_PER_EPOCH, EPOCHS, PEAK, DECAY = 4, 5, 0.1, 16
# The monitored metric per epoch: an improvement, then a plateau (patience 0 reduces at once).
EPOCH_METRIC = [1.0, 0.5, 0.6, 0.7, 0.4]


def _cosine(k: int) -> float:
    """cosine_decay(PEAK, DECAY) in plain float64 math."""
    return PEAK * 0.5 * (1 + math.cos(math.pi * min(k, DECAY) / DECAY))


class Tiny(lightning.LightningModule):
    def __init__(self, alone=False, validated=False):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Linear(3, 1)
        self.alone = alone  # the plateau is the only scheduler Lightning holds
        self.validated = validated  # the metric is logged in validation_step, not training_step
        self.applied = []  # (global step, lr) read just before each optimizer step

    def training_step(self, batch, batch_idx):
        x, y = batch
        self.applied.append((self.global_step, self.optimizers().param_groups[0]["lr"]))
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        if not self.validated:
            self.log("metric", EPOCH_METRIC[self.current_epoch], on_step=False, on_epoch=True)
        return loss

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=PEAK, momentum=0.9)
        sched = lrcore.torch.scheduler(opt, lrcore.cosine_decay(PEAK, DECAY))
        plateau = lrcore.torch.ReduceLROnPlateau(sched, factor=0.5, patience=0)
        if self.alone:
            return [opt], [{"scheduler": plateau, "monitor": "metric", "interval": "epoch"}]
        return [opt], [
            {"scheduler": sched, "interval": "step"},
            {"scheduler": plateau, "monitor": "metric", "interval": "epoch"},
        ]


class Validated(Tiny):
    """Tiny with its metric logged in validation_step."""

    def __init__(self):
        super().__init__(validated=True)

    def validation_step(self, batch, batch_idx):
        self.log("metric", EPOCH_METRIC[self.current_epoch])


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(STEPS_PER_EPOCH * 2, 3, generator=g)
    ds = torch.utils.data.TensorDataset(x, x.sum(dim=1, keepdim=True))
    return torch.utils.data.DataLoader(ds, batch_size=2, num_workers=0)


def _trainer(tmp_path, epochs, callbacks=(), **options):
    return lightning.Trainer(
        max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=bool(callbacks),
        callbacks=list(callbacks), enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
        **options,
    )  # fmt: skip


# Lightning's own noise, not lrcore's: its pytree use deprecated in this torch, and its advice on
# resuming mid-epoch with a plain data loader (its batches are the same here, in order).
pytestmark = [
    pytest.mark.filterwarnings("ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"),
    pytest.mark.filterwarnings("ignore:You're resuming from a checkpoint that ended before the epoch ended"),
    pytest.mark.filterwarnings("ignore:The dirpath has changed from"),  # each resumed run saves elsewhere
]


def _reference():
    """The lr of every update: the cosine times the scale of torch's own ReduceLROnPlateau."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    scales = []
    for m in EPOCH_METRIC:
        scales.append(opt.param_groups[0]["lr"])  # the scale during this epoch
        ref.step(m)
    assert scales == [1.0, 1.0, 1.0, 0.5, 0.25]
    return [_cosine(n) * scales[n // STEPS_PER_EPOCH] for n in range(STEPS_PER_EPOCH * EPOCHS)]


def _check(applied, first=0):
    want = _reference()
    assert [n for n, _ in applied] == list(range(first, STEPS_PER_EPOCH * EPOCHS))
    for n, lr in applied:
        assert abs(lr - want[n]) <= 4 * 2.0**-23 * PEAK, (n, lr, want[n])


@pytest.mark.parametrize("alone", [False, True], ids=["scheduler and plateau", "plateau alone"])
def test_lightning_drives_the_scheduler_per_step_and_the_plateau_by_monitor(tmp_path, alone):
    model = Tiny(alone)
    _trainer(tmp_path, EPOCHS).fit(model, _data())
    _check(model.applied)


def _checkpoints(path):
    return [
        lightning.pytorch.callbacks.ModelCheckpoint(dirpath=path, filename="{epoch}", save_top_k=-1, every_n_epochs=1),
        lightning.pytorch.callbacks.ModelCheckpoint(dirpath=path, filename="{step}", save_top_k=-1, every_n_train_steps=6),
    ]


class _Probe(lightning.pytorch.callbacks.Callback):
    """After each batch, how many of the plateau's missing-metric warnings had come."""

    def __init__(self, caught):
        self.caught, self.seen = caught, []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.seen.append(len([w for w in self.caught if "never reached the plateau" in str(w.message)]))


@pytest.mark.parametrize("validated", [False, True], ids=["training metric", "validation metric"])
@pytest.mark.parametrize("every, last", [(6, 12), (8, 16)], ids=["epochs left", "the last epoch left"])
def test_a_resume_that_never_sees_an_epochs_metric_warns_at_its_first_update(tmp_path, validated, every, last):
    """A checkpoint saved by step count at an epoch's last update (step 12 ends epoch 2, step 16
    epoch 3) is saved before Lightning aggregates a training metric or validates: the resumed run
    never has that epoch's metric, and its lrs depart from the uninterrupted run's from its first
    update. Nothing can recover it: it is said, at that first update (it came an epoch late, and
    never where only the last epoch was left)."""
    options = {"limit_val_batches": 1, "num_sanity_val_steps": 0} if validated else {}
    val = [_data()] if validated else []

    def checkpoints(path):
        return [lightning.pytorch.callbacks.ModelCheckpoint(dirpath=path, filename="{step}", save_top_k=-1,
                                                            every_n_train_steps=every)]

    model = Validated() if validated else Tiny()
    _trainer(tmp_path, EPOCHS, checkpoints(tmp_path / "ckpt"), **options).fit(model, _data(), *val)
    _check(model.applied)
    resumed = Validated() if validated else Tiny()
    epoch = last // STEPS_PER_EPOCH - 1
    with pytest.warns(UserWarning, match=f"metric 'metric' of epoch {epoch} never reached the plateau") as caught:
        probe = _Probe(caught)
        trainer = _trainer(tmp_path / "resumed", EPOCHS, [*checkpoints(tmp_path / "resumed" / "ckpt"), probe], **options)
        trainer.fit(resumed, _data(), *val, ckpt_path=tmp_path / "ckpt" / f"step={last}.ckpt")
    assert probe.seen[0] == 1 and probe.seen[-1] == 1  # at the first resumed update, and once
    assert [n for n, _ in resumed.applied] == list(range(last, STEPS_PER_EPOCH * EPOCHS))
    if last == 12:  # (from step 16 on the cosine is at its end, 0, whatever the scale)
        assert resumed.applied != model.applied[last:]  # the lost metric changes the lrs: hence the warning


class Sparse(Validated):
    """Validated every second epoch, its plateau with "strict": False (a metric allowed missing)."""

    def configure_optimizers(self):
        optimizers, schedulers = super().configure_optimizers()
        schedulers[-1]["strict"] = False
        return optimizers, schedulers


@pytest.mark.filterwarnings("ignore:ReduceLROnPlateau conditioned on metric metric which is not available")  # epoch 0
def test_a_mid_epoch_resume_with_validation_every_second_epoch_applies_the_uninterrupted_lrs(tmp_path):
    """With "strict": False Lightning steps the plateau at an epoch's end without validation with the
    metric it still holds (the last one). A run resumed mid-way through such an epoch does not make
    that step, and the new process holds no metric: its lrs departed (0.079 where 0.040), without a
    warning. The plateau keeps the last metric Lightning passed and makes the step with it."""
    options = {"limit_val_batches": 1, "num_sanity_val_steps": 0, "check_val_every_n_epoch": 2}

    def checkpoints(path):
        return [lightning.pytorch.callbacks.ModelCheckpoint(dirpath=path, filename="{step}", save_top_k=-1,
                                                            every_n_train_steps=5)]

    model = Sparse()
    _trainer(tmp_path, EPOCHS, checkpoints(tmp_path / "ckpt"), **options).fit(model, _data(), _data())
    for first in (5, 10):  # in the middle of epoch 1 (validated) and of epoch 2 (not: the stale metric)
        resumed = Sparse()
        trainer = _trainer(tmp_path / str(first), EPOCHS, checkpoints(tmp_path / str(first) / "ckpt"), **options)
        trainer.fit(resumed, _data(), _data(), ckpt_path=tmp_path / "ckpt" / f"step={first}.ckpt")
        assert resumed.applied == model.applied[first:], first
    # Resumed twice: the first resume's catch-up step (epoch 1's metric) is the last metric its
    # checkpoints hold (they held none: the second resume made no step at the end of epoch 2).
    again = Sparse()
    trainer = _trainer(tmp_path / "again", EPOCHS, checkpoints(tmp_path / "again" / "ckpt"), **options)
    trainer.fit(again, _data(), _data(), ckpt_path=tmp_path / "5" / "ckpt" / "step=10.ckpt")
    assert again.applied == model.applied[10:]


def test_fit_again_with_more_epochs_starts_a_plateau_there_without_a_warning(tmp_path):
    """fit() again on the same Trainer with more epochs builds a new plateau (configure_optimizers)
    at epoch 2, as torch's own starts fresh: it warned that epochs 0 and 1's metrics never reached
    it. Nothing is missing: no warning (warnings are errors here)."""
    model = Tiny()
    trainer = _trainer(tmp_path, 2)
    trainer.fit(model, _data())
    trainer.fit_loop.max_epochs = EPOCHS
    trainer.fit(model, _data())
    assert [n for n, _ in model.applied] == list(range(STEPS_PER_EPOCH * EPOCHS))


def test_a_plateau_state_saved_outside_lightning_resumes_there_without_a_warning(tmp_path):
    """A state saved outside Lightning holds no epoch: which metric steps it made is unknown, and it
    warned that every earlier epoch's metric was missing. None is said missing or made up."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    outside = lrcore.torch.ReduceLROnPlateau(lrcore.torch.scheduler(opt, lrcore.cosine_decay(PEAK, DECAY)), factor=0.5, patience=0)
    assert outside.state_dict()["lightning_epoch"] is None

    class Loaded(Tiny):
        def configure_optimizers(self):
            optimizers, schedulers = super().configure_optimizers()
            schedulers[-1]["scheduler"].load_state_dict(outside.state_dict())
            return optimizers, schedulers

    model = Loaded()
    trainer = _trainer(tmp_path, 2)
    trainer.fit(model, _data())
    trainer.fit_loop.max_epochs = 3
    trainer.fit(model, _data())  # a plateau built at epoch 2, loading a state with no epoch
    assert [n for n, _ in model.applied] == list(range(STEPS_PER_EPOCH * 3))


@pytest.mark.parametrize("alone", [False, True], ids=["scheduler and plateau", "plateau alone"])
def test_lightning_resume_applies_the_lrs_of_an_uninterrupted_run(tmp_path, alone):
    """Lightning saves before it steps a plateau at an epoch's end, and a resumed run skips that step
    (after an epoch-end checkpoint, and at the end of an epoch resumed mid-way): the lrcore plateau
    keeps it, so every resumed update applies the lr of the uninterrupted run."""
    model = Tiny(alone)
    _trainer(tmp_path, EPOCHS, _checkpoints(tmp_path / "ckpt")).fit(model, _data())
    _check(model.applied)
    # epoch=1: saved at the end of epoch 1, whose metric (an improvement) sets the best the
    # reduction after epoch 2 compares with; step=6: saved in the middle of epoch 1.
    for name, first in [("epoch=1.ckpt", 2 * STEPS_PER_EPOCH), ("step=6.ckpt", 6)]:
        resumed = Tiny(alone)
        trainer = _trainer(tmp_path / name, EPOCHS, _checkpoints(tmp_path / name / "ckpt"))
        trainer.fit(resumed, _data(), ckpt_path=tmp_path / "ckpt" / name)
        _check(resumed.applied, first)
        assert resumed.applied == model.applied[first:], name
