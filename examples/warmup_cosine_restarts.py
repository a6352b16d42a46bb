"""The multi-period warmup cosine annealing curve of the reference article.

Peak learning rate 1e-3, floor 1e-7, a first period of 3 epochs, a linear warmup over the first
quarter of every period, and every period 1.25 times longer than the one before. The schedule is
written in epochs and converted to steps (optimizer updates) with ``--steps-per-epoch``.

The script prints the curve's landmarks — where each cycle restarts, where its warmup reaches the
peak, and its last step — and, with ``-o curve.png``, draws the whole curve.

    python examples/warmup_cosine_restarts.py [--steps-per-epoch 100] [--epochs 30] [-o curve.png]
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys
from fractions import Fraction

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

import lrcore  # noqa: E402

PEAK, END, FIRST_EPOCHS, PERIOD_MUL = 1e-3, 1e-7, 3, 1.25


def build(steps_per_epoch: int) -> lrcore.Schedule:
    first_period = FIRST_EPOCHS * steps_per_epoch
    if first_period % 4:
        raise SystemExit(f"--steps-per-epoch: the first period ({first_period} steps) must split into quarters")
    return lrcore.cosine_restart(
        peak_value=PEAK,
        first_period=first_period,
        period_mul=PERIOD_MUL,
        end_value=END,
        warmup_steps=first_period // 4,  # W_i = W·m^i stays a quarter of every period T_i
    )


def cycle_starts(first_period: int, total_steps: int) -> list[int]:
    """S_i = ceil(T_0 m^0) + ... + ceil(T_0 m^(i-1)), exactly, for every cycle starting before total_steps."""
    starts, start, i = [], 0, 0
    while start < total_steps:
        starts.append(start)
        start += math.ceil(Fraction(first_period) * Fraction(PERIOD_MUL) ** i)
        i += 1
    starts.append(start)  # where the last listed cycle ends
    return starts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("-o", "--output", help="write the curve to this PNG file")
    args = parser.parse_args(argv)

    schedule = build(args.steps_per_epoch)
    lr = lrcore.numpy.from_schedule(schedule)
    first_period = schedule.params["first_period"]
    total = args.epochs * args.steps_per_epoch
    starts = cycle_starts(first_period, total)

    print(f"cosine_restart: peak {PEAK:g}, end {END:g}, first period {first_period} steps "
          f"({FIRST_EPOCHS} epochs), warmup a quarter of each period, period_mul {PERIOD_MUL}")
    print(f"{'cycle':>5} {'restart step':>12} {'epoch':>7} {'lr at restart':>13} "
          f"{'peak step':>9} {'peak lr':>10} {'last step':>9} {'last lr':>10}")
    for i, (s, nxt) in enumerate(zip(starts[:-1], starts[1:])):
        warm = schedule.params["warmup_steps"] * PERIOD_MUL**i
        peak_step = s + math.ceil(warm)  # the first step at or after the end of the warmup
        print(f"{i:>5} {s:>12} {s / args.steps_per_epoch:>7.2f} {lr(s):>13.3g} "
              f"{peak_step:>9} {lr(peak_step):>10.4g} {nxt - 1:>9} {lr(nxt - 1):>10.3g}")

    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np

        k = np.arange(total)
        fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
        ax.plot(k / args.steps_per_epoch, lr(k), linewidth=1.2)
        for s in starts[1:-1]:
            ax.axvline(s / args.steps_per_epoch, color="grey", alpha=0.3, linewidth=0.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate")
        ax.set_title("warmup + cosine annealing with restarts (period_mul 1.25)", fontsize=9)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(args.output)
        plt.close(fig)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
