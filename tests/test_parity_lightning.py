"""Lightning drives lrcore as it drives torch's schedulers: the lrcore scheduler at
``"interval": "step"`` and ``lrcore.torch.ReduceLROnPlateau`` with ``"monitor"``, in a real
``lightning.Trainer`` run (CPU, a few steps). The lr applied at every optimizer step is checked
against an independent reference: the schedule's formula times the plateau's scale."""

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
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Linear(3, 1)
        self.applied = []  # (global step, lr) read just before each optimizer step

    def training_step(self, batch, batch_idx):
        x, y = batch
        self.applied.append((self.global_step, self.optimizers().param_groups[0]["lr"]))
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("metric", EPOCH_METRIC[self.current_epoch], on_step=False, on_epoch=True)
        return loss

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=PEAK, momentum=0.9)
        sched = lrcore.torch.scheduler(opt, lrcore.cosine_decay(PEAK, DECAY))
        plateau = lrcore.torch.ReduceLROnPlateau(sched, factor=0.5, patience=0)
        return [opt], [
            {"scheduler": sched, "interval": "step"},
            {"scheduler": plateau, "monitor": "metric", "interval": "epoch"},
        ]


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(STEPS_PER_EPOCH * 2, 3, generator=g)
    ds = torch.utils.data.TensorDataset(x, x.sum(dim=1, keepdim=True))
    return torch.utils.data.DataLoader(ds, batch_size=2, num_workers=0)


def _trainer(tmp_path, epochs):
    return lightning.Trainer(
        max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
    )  # fmt: skip


# Lightning's own noise, not lrcore's: its pytree use deprecated in this torch, and its advice on
# data-loader workers and logging intervals for a run this small.
pytestmark = [
    pytest.mark.filterwarnings("ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"),
]


def test_lightning_drives_the_scheduler_per_step_and_the_plateau_by_monitor(tmp_path):
    model = Tiny()
    _trainer(tmp_path, EPOCHS).fit(model, _data())
    assert [n for n, _ in model.applied] == list(range(STEPS_PER_EPOCH * EPOCHS))
    # Independent reference of the scale: torch's rule by hand, one metric per epoch.
    best, scale, scales = math.inf, 1.0, []
    for m in EPOCH_METRIC:
        scales.append(scale)  # the scale during this epoch
        if m < best * (1 - 1e-4):
            best = m
        else:
            scale *= 0.5
    assert scales == [1.0, 1.0, 1.0, 0.5, 0.25]
    for n, lr in model.applied:
        want = _cosine(n) * scales[n // STEPS_PER_EPOCH]
        assert abs(lr - want) <= 4 * 2.0**-23 * PEAK, (n, lr, want)
