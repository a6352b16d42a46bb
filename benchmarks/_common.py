"""Timing, row records and the command line shared by every framework group.

Each group module (``jax_group``, ``numpy_group``, ...) defines ``run(cfg) -> list[dict]`` and is run
as ``python -m benchmarks.<group> --json-out FILE [--smoke]`` in a process of its own, so that one
framework's imports, threads and caches never touch another's figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import traceback


class Config:
    """Sizes for a full run or a smoke run (tiny sizes: proves every row runs, times nothing)."""

    def __init__(self, smoke: bool):
        self.smoke = smoke
        self.steps = 10_000 if smoke else 1_000_000
        self.repeats = 1 if smoke else 7
        self.warmup = 1
        # Seconds one repeat should last at least (fast calls are looped to reach it).
        self.min_time = 0.002 if smoke else 0.05
        self.cycles = (1, 10) if smoke else (1, 10, 100, 1000)
        self.boundaries = 10 if smoke else 1000


def summary(samples):
    """``{"median", "min", "max", "n"}`` of a list of seconds (or counts)."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }


def calibrate(fn, min_time: float, limit: int = 100_000) -> int:
    """How many calls of ``fn`` make one repeat last about ``min_time`` (``fn`` already warm)."""
    start = time.perf_counter()
    fn()
    one = time.perf_counter() - start
    if one <= 0:
        return limit
    return max(1, min(limit, int(min_time / one)))


def interleaved(fns: dict, cfg: Config, number: int | None = None, repeats: int | None = None):
    """Per-call seconds of each callable, measured in interleaved repeats after warm-up.

    Interleaving (A, B, A, B, ...) spreads slow drifts of a shared 2-core machine over every
    contender instead of charging them to whichever ran last. Each callable must block until its
    work is done (``block_until_ready`` for JAX).
    """
    repeats = repeats or cfg.repeats
    for fn in fns.values():
        for _ in range(cfg.warmup):
            fn()
    if number is None:
        numbers = {name: calibrate(fn, cfg.min_time) for name, fn in fns.items()}
    else:
        numbers = {name: number for name in fns}
    # An expensive call (seconds) gets fewer repeats: the figure is stable and the run stays short.
    samples = {name: [] for name in fns}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for name, fn in fns.items():
                n = numbers[name]
                start = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter() - start) / n)
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def repeat_once(fn, repeats: int):
    """Seconds of ``repeats`` separate calls of ``fn`` (each call is its own measurement; no warm-up,
    for things like compilation where every call must start cold)."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


_OPS = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}


def row(group, name, unit, lrcore, peer=None, peer_name=None, ratio="lrcore/peer", target=None, note=""):
    """One result row.

    ``lrcore`` and ``peer`` are lists of samples (seconds, or lines for HLO sizes). ``ratio`` says
    which way the ratio of medians is taken: ``"lrcore/peer"`` (lower is better for lrcore) or
    ``"peer/lrcore"`` (a speed-up). ``target`` is ``("<=", 1.25)`` or ``(">=", 20)`` on that ratio.
    """
    out = {"group": group, "name": name, "unit": unit, "status": "ok", "note": note}
    out["lrcore"] = summary(lrcore)
    if peer is not None:
        out["peer"] = summary(peer)
        out["peer_name"] = peer_name
        a, b = out["lrcore"]["median"], out["peer"]["median"]
        value = a / b if ratio == "lrcore/peer" else b / a
        out["ratio_kind"] = ratio
        out["ratio"] = value
    if target is not None:
        op, bound = target
        out["target"] = f"{op} {bound}"
        out["met"] = bool(_OPS[op](out.get("ratio", out["lrcore"]["median"]), bound))
    return out


def unavailable(group, name, reason):
    """A row that could not run, with the reason as its status (never a crash of the suite)."""
    return {"group": group, "name": name, "unit": "", "status": f"unavailable: {reason}", "note": ""}


def main(group: str, run):
    """Command line of one group process: run it, write its rows as JSON."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{group}")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--json-out", required=True, help="file to write the rows to")
    args = parser.parse_args()
    cfg = Config(args.smoke)
    try:
        rows = run(cfg)
    except Exception:  # noqa: BLE001 - reported as a row so the other groups still publish
        traceback.print_exc()
        rows = [unavailable(group, "group", "crashed: " + traceback.format_exc().strip().splitlines()[-1])]
    with open(args.json_out, "w") as f:
        json.dump(rows, f, indent=1)
    return 0


def log(*args):
    print(*args, file=sys.stderr, flush=True)
