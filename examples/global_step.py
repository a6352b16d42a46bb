"""The global step: what one step is, and why step 0 uses the initial value.

A schedule is a pure function of the step, the number of optimizer updates already applied. This
script runs a tiny training loop with gradient accumulation (several micro-batches per update) and
prints, for every micro-batch, the step and the learning rate it sees. It shows that

* update 0 uses the schedule's value at step 0, its initial value;
* the value only moves when the step advances: every micro-batch of one update sees the same value,
  however often the schedule is asked;
* evaluating a step cold (as after resuming from a checkpoint) gives the same value.

    python examples/global_step.py [--updates 8] [--micro-batches 3]
"""

from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

import lrcore  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=8, help="optimizer updates to run")
    parser.add_argument("--micro-batches", type=int, default=3, help="micro-batches per update")
    args = parser.parse_args(argv)

    # Staircase decay: 0.1, halved every 3 updates (the value changes AT steps 3, 6, ...).
    schedule = lrcore.numpy.exponential_decay(0.1, decay_steps=3, decay_rate=0.5, staircase=True)

    step = 0  # optax `count`, Keras `optimizer.iterations`, TF1 `global_step`
    seen = {}
    print(f"{'update':>6} {'micro':>5} {'step':>4} {'learning rate':>14}")
    for update in range(args.updates):
        for micro in range(args.micro_batches):
            lr = schedule(step)  # read BEFORE the step is incremented
            seen.setdefault(step, set()).add(lr)
            print(f"{update:>6} {micro:>5} {step:>4} {lr:>14.6g}")
        # ... apply the accumulated gradient with `lr` here ...
        step += 1  # the update is done: only now does the schedule move

    init = schedule(0)
    assert seen[0] == {init}, "update 0 must use the initial value"
    assert all(len(values) == 1 for values in seen.values()), "one value per step"
    cold = lrcore.numpy.from_schedule(lrcore.from_dict(schedule.schedule.to_dict()))
    assert all(cold(k) in values for k, values in seen.items()), "a cold evaluation agrees"
    print()
    print(f"update 0 used the initial value {init:g}; the value changed only when the step advanced")
    changes = [k for k in range(1, step) if seen[k] != seen[k - 1]]
    print(f"it changed at steps {changes} (multiples of decay_steps=3); resuming cold agrees")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
