"""DistributedDataParallel (gloo, 2 CPU processes) driven by lrcore.torch.scheduler.

Each rank runs this file as a script (``python tests/test_torch_ddp.py RANK WORLD STORE OUT [MODE]``),
trains a tiny model on its half of every batch under DDP, and saves the learning rate it applied
at every update and its final weights. The test checks that both ranks applied the same lrs, that
those are ``schedule(n)`` at update ``n``, and that the weights equal a single process trained on
the full batches. In the ``plateau`` mode each rank drives only an lrcore.torch.ReduceLROnPlateau
and reports its own metric: the plateau averages the metrics over the ranks, so the ranks keep
one scale. The ranks meet through a file store (no port to choose, so none another process can take).
"""

from __future__ import annotations

import faulthandler
import gc
import math
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # when run as a script by the test
    sys.path.insert(0, str(ROOT))

import lrcore  # noqa: E402
import lrcore.torch  # noqa: E402

UPDATES = 12
WORLD = 2
SCHEDULE = lrcore.warmup_cosine_decay(init_value=0.0, peak_value=0.1, warmup_steps=3, decay_steps=10, end_value=0.01)


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()


def _full_batch(n):
    g = torch.Generator().manual_seed(n)
    x = torch.randn(8, 4, generator=g, dtype=torch.float64)
    return x, torch.sin(x).sum(dim=1, keepdim=True)


# The metric each rank reports after every third update: alone, the ranks' rules would reduce at
# different evaluations (rank 0: after the third, rank 1: after the second and the fourth); their
# mean is flat, so the averaged rule reduces at every evaluation after the first.
RANK_METRICS = [[1.0, 0.8, 1.1, 0.6], [1.0, 1.2, 0.9, 1.4]]
EVERY = 3


def _train(model, opt, sched, shard, plateau=None, rank=0):
    """Run UPDATES updates on `shard(x, y)` of each full batch; return the lr applied at each. With a
    `plateau`, only the plateau is driven (it advances the scheduler): a metric every EVERY updates."""
    lrs = []
    for n in range(UPDATES):
        x, y = shard(*_full_batch(n))
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if plateau is None:
            sched.step()
        elif (n + 1) % EVERY == 0:
            plateau.step(RANK_METRICS[rank][(n + 1) // EVERY - 1])
    return lrs


def _worker(rank: int, world: int, store: str, out: str, mode: str = "scheduler"):
    import torch.distributed as dist

    faulthandler.dump_traceback_later(TIMEOUT - 10, exit=True)  # a stall shows where, in the log
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{store}", rank=rank, world_size=world, timeout=timedelta(seconds=60)
    )
    try:
        model = torch.nn.parallel.DistributedDataParallel(_model())
        opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
        sched = lrcore.torch.scheduler(opt, SCHEDULE)
        rows = slice(rank * 8 // world, (rank + 1) * 8 // world)  # this rank's half of each batch
        scale = 1.0
        if mode == "plateau":
            plateau = lrcore.torch.ReduceLROnPlateau(sched, factor=0.5, patience=0)
            lrs = _train(model, opt, sched, lambda x, y: (x[rows], y[rows]), plateau, rank)
            scale = plateau.scale
        else:
            lrs = _train(model, opt, sched, lambda x, y: (x[rows], y[rows]))
        weights = [p.detach().clone() for p in model.module.parameters()]
        torch.save({"lrs": lrs, "weights": weights, "last_epoch": sched.last_epoch, "scale": scale}, out)
        # DDP's reducer goes while its process group is alive (freed after the group, as the frame's
        # locals were, it stalled a rank's exit under a loaded CI machine once).
        del model, opt, sched
        plateau = None
        gc.collect()
        dist.barrier()
    finally:
        dist.destroy_process_group()


TIMEOUT = 150  # seconds a rank may take, start to end (a run takes a few; CI machines are loaded)


def _launch(tmp_path, mode="scheduler"):
    """Run the WORLD ranks as subprocesses; return their output files."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env["OMP_NUM_THREADS"] = "1"
    store = tmp_path / "rendezvous"
    outs = [tmp_path / f"rank{r}.pt" for r in range(WORLD)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, str(r), str(WORLD), str(store), str(outs[r]), mode],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for r in range(WORLD)
    ]
    logs = [""] * WORLD
    try:
        for r, p in enumerate(procs):
            try:
                logs[r] = p.communicate(timeout=TIMEOUT + 30)[0]
            except subprocess.TimeoutExpired:
                p.kill()
                logs[r] = p.communicate()[0]
    finally:
        for p in procs:  # never leave a rank behind, whatever happened
            if p.poll() is None:
                p.kill()
                p.communicate()
    for r, p in enumerate(procs):
        assert p.returncode == 0, f"rank {r} failed (rc={p.returncode}):\n{logs[r]}"
    return outs


def test_ddp_ranks_apply_identical_lrs_and_match_single_process(tmp_path):
    outs = _launch(tmp_path)
    results = [torch.load(o, weights_only=True) for o in outs]
    # Every rank applied the same lrs, and update n used schedule(n) (an independent float64 formula).
    assert results[0]["lrs"] == results[1]["lrs"]
    assert results[0]["last_epoch"] == results[1]["last_epoch"] == UPDATES
    for n, lr in enumerate(results[0]["lrs"]):
        want = 0.1 * n / 3 if n < 3 else 0.01 + (0.1 - 0.01) * 0.5 * (1 + math.cos(math.pi * min(n - 3, 7) / 7))
        assert abs(lr - want) <= 4 * 2.0**-23 * 0.1, (n, lr, want)
    # Same weights on every rank, and the same as one process training on the full batches.
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    single_lrs = _train(model, opt, lrcore.torch.scheduler(opt, SCHEDULE), lambda x, y: (x, y))
    assert single_lrs == results[0]["lrs"]
    for a, b, c in zip(results[0]["weights"], results[1]["weights"], model.parameters()):
        assert torch.equal(a, b)
        torch.testing.assert_close(a, c.detach(), rtol=1e-10, atol=1e-12)


def _schedule_value(n):
    """SCHEDULE at update n, in plain float64 (an independent formula)."""
    return 0.1 * n / 3 if n < 3 else 0.01 + (0.1 - 0.01) * 0.5 * (1 + math.cos(math.pi * min(n - 3, 7) / 7))


def test_ddp_plateau_averages_the_ranks_metrics_and_advances_the_schedule(tmp_path):
    outs = _launch(tmp_path, "plateau")
    results = [torch.load(o, weights_only=True) for o in outs]
    # One scale on every rank: the same lrs, the same weights.
    assert results[0]["lrs"] == results[1]["lrs"] and results[0]["scale"] == results[1]["scale"]
    assert results[0]["last_epoch"] == results[1]["last_epoch"] == UPDATES
    for a, b in zip(results[0]["weights"], results[1]["weights"]):
        assert torch.equal(a, b)

    # Reference: torch's own ReduceLROnPlateau fed the mean of the ranks' metrics; each rank's own
    # metrics would have given another sequence of scales.
    def scales(metrics):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
        out = []
        for n in range(UPDATES):
            out.append(opt.param_groups[0]["lr"])
            if (n + 1) % EVERY == 0:
                ref.step(metrics[(n + 1) // EVERY - 1])
        return out, opt.param_groups[0]["lr"]

    mean = [math.fsum(ms) / WORLD for ms in zip(*RANK_METRICS)]
    want, final = scales(mean)
    assert final == 0.125 and final != scales(RANK_METRICS[0])[1] and final != scales(RANK_METRICS[1])[1]
    assert results[0]["scale"] == final
    for n, lr in enumerate(results[0]["lrs"]):
        expected = _schedule_value(n) * want[n]
        assert abs(lr - expected) <= 4 * 2.0**-23 * 0.1, (n, lr, expected)


if __name__ == "__main__":
    _worker(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], *sys.argv[5:])
    # The rank's results are saved and its group destroyed: it leaves without the interpreter's
    # teardown, where gloo's threads can still hold torch objects (a known torch stall at exit).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
