"""Timing, row records and the command line shared by every framework group.

Each group module (``jax_group``, ``numpy_group``, ...) defines ``run(cfg) -> list[dict]`` and is run
as ``python -m benchmarks.<group> --json-out FILE [--smoke] [--device cuda]`` in a process of its
own, so that one framework's imports, threads and caches never touch another's figures.

The method (see docs/benchmarks.md): contenders are timed in interleaved rounds (A, B, A, B, …);
each round calls a contender often enough to last ``min_time``, rounds alternate the order; a row's verdict is the median over
rounds of the round's lrcore ÷ peer ratio: the two measurements of a round run moments apart under
the same load, so the load cancels in their ratio, and the median ignores the rounds it did not.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib
import importlib.machinery
import importlib.util
import json
import statistics
import sys
import time
import traceback
import types

#: The bound every lrcore ÷ peer comparison is held to.
TARGET = 1.10


class Config:
    """Sizes for a full run or a smoke run (tiny sizes: proves every row runs, times nothing)."""

    def __init__(self, smoke: bool, device: str = "cpu"):
        self.smoke = smoke
        self.device = device
        self.steps = 10_000 if smoke else 1_000_000
        self.rounds = 1 if smoke else 101
        # Seconds one round of one contender should last at least (fast calls are looped). Short
        # rounds, many of them: on a loaded machine a short round has a chance to run undisturbed.
        self.min_time = 0.0005
        # Cycle and boundary counts of the warm-restart and piecewise rows.
        self.sizes = (1, 8) if smoke else (1, 8, 30, 100, 1000)


def summary(samples):
    """``{"min", "median", "max", "n"}`` of a list of seconds (or counts)."""
    return {"min": min(samples), "median": statistics.median(samples), "max": max(samples), "n": len(samples)}


def calibrate(fn, min_time: float, limit: int = 100_000) -> int:
    """How many calls of ``fn`` make one round last about ``min_time`` (``fn`` already warm)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    if best <= 0:
        return limit
    return max(1, min(limit, int(min_time / best)))


def interleaved(fns: dict, cfg: Config, rounds: int | None = None, number: int | None = None, best_of: int = 1):
    """Per-call seconds of each callable in each of ``rounds`` interleaved rounds, after warm-up.

    Each callable must block until its work is done (``block_until_ready`` for JAX,
    ``torch.cuda.synchronize`` on a GPU). Rows with a callable slower than 50 ms get at most 9
    rounds, slower than a quarter second at most 5 (such a peer is far from any target, and the run
    stays short).

    ``best_of > 1``: each sample is the fastest of ``best_of`` consecutive interleaved rounds, for
    every callable alike (``rounds · best_of`` rounds are run). A delay only ever adds to a call's
    time; with several threads per call, one thread that waits for a busy core delays the whole
    call, in one round and not the next, so the paired ratio of one round does not cancel it. The
    fastest of a few neighbouring rounds is far less often such a call, and is still paired in time
    with the other contenders' (the median of ratios then compares them).
    """
    rounds = rounds or cfg.rounds
    numbers, slowest = {}, 0.0
    for name, fn in fns.items():
        fn()  # warm-up: compilation, caches
        warm = _one_call(fn)  # a warm call says how slow the contender is
        slowest = max(slowest, warm)
        numbers[name] = number or (1 if warm > 0.02 else calibrate(fn, cfg.min_time))
    if slowest > 0.25:
        rounds = min(rounds, 5)
    elif slowest > 0.05:
        rounds = min(rounds, 9)
    rounds *= best_of
    samples = {name: [] for name in fns}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        order = list(fns.items())
        for r in range(rounds):
            # A, B, … then …, B, A: no contender always runs first, right after another's call.
            for name, fn in order if r % 2 == 0 else order[::-1]:
                n = numbers[name]
                start = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter() - start) / n)
    finally:
        if gc_was_enabled:
            gc.enable()
    if best_of > 1:
        samples = {name: [min(s[i : i + best_of]) for i in range(0, len(s), best_of)] for name, s in samples.items()}
    return samples


def _one_call(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def repeat_once(fn, repeats: int):
    """Seconds of ``repeats`` separate calls of ``fn`` (each call is its own measurement; no warm-up,
    for things like compilation where every call must start cold)."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def row(group, name, unit, lrcore, peer=None, peer_name=None, target=TARGET, note="", kind="comparison", paired=True):
    """One result row.

    ``lrcore`` and ``peer`` are lists of samples (seconds per call, or lines for HLO sizes). The
    ratio is always lrcore ÷ peer (lower is better for lrcore): for samples taken in the same
    interleaved rounds, the median over rounds of the round's ratio (the two calls of a round ran
    moments apart, under the same load); otherwise the ratio of the fastest samples. ``target``
    is the bound it is held to (None: shown for scale, no verdict). ``kind`` is ``"comparison"``
    (a peer doing the same job), ``"limit"`` (a measurement of what bounds a comparison that misses
    its target) or ``"scale"`` (context, no verdict).
    """
    out = {"group": group, "name": name, "unit": unit, "status": "ok", "note": note, "kind": kind}
    out["lrcore"] = summary(lrcore)
    if peer is not None:
        out["peer"] = summary(peer)
        out["peer_name"] = peer_name
        if paired and len(lrcore) == len(peer):
            out["ratio"] = statistics.median(a / b for a, b in zip(lrcore, peer))
        else:
            out["ratio"] = out["lrcore"]["min"] / out["peer"]["min"]
    if target is not None:
        out["target"] = target
        out["met"] = bool(out.get("ratio", out["lrcore"]["min"]) <= target)
    return out


def unavailable(group, name, reason):
    """A row that could not run, with the reason as its status (never a crash of the suite)."""
    return {"group": group, "name": name, "unit": "", "status": f"unavailable: {reason}", "note": "", "kind": "comparison"}


def main(group: str, run):
    """Command line of one group process: run it, write its rows as JSON."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{group}")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--json-out", required=True, help="file to write the rows to")
    args = parser.parse_args()
    cfg = Config(args.smoke, args.device)
    try:
        rows = run(cfg)
    except Exception:  # noqa: BLE001 - reported as a row so the other groups still publish
        traceback.print_exc()
        rows = [unavailable(group, "group", "crashed: " + traceback.format_exc().strip().splitlines()[-1])]
    with open(args.json_out, "w") as f:
        json.dump(rows, f, indent=1)
    return 0


def _bare(name: str, path: str) -> types.ModuleType:
    """An empty package ``name`` whose submodules load from ``path`` (its ``__init__`` is not run)."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module.__spec__.submodule_search_locations = [path]
    module.__path__ = [path]
    sys.modules[name] = module
    return module


@contextlib.contextmanager
def _under_bare_package(package: str, missing: str):
    """The installed ``package``'s directory, with ``package`` a bare package in ``sys.modules``
    while the block loads its files; ``sys.modules`` is left as it was found afterwards."""
    spec = importlib.util.find_spec(package)  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(missing)
    root = next(iter(spec.submodule_search_locations))

    def ours():
        return [k for k in sys.modules if k == package or k.startswith(package + ".")]

    saved = {k: sys.modules.pop(k) for k in ours()}
    try:
        _bare(package, root)
        yield root
    finally:
        for k in ours():
            del sys.modules[k]
        sys.modules.update(saved)


@functools.cache
def _timm_scheduler_package():
    with _under_bare_package("timm", "timm is not installed"):
        return importlib.import_module("timm.scheduler")


def timm_scheduler(name: str):
    """timm's scheduler class ``name`` (``"CosineLRScheduler"``, ...), loaded unmodified from the
    installed files. timm's package ``__init__`` imports its models and torchvision (timm is installed
    without its dependencies), while ``timm/scheduler`` imports only torch: its files load under a bare
    ``timm`` package, which leaves ``sys.modules`` as it found it afterwards."""
    return getattr(_timm_scheduler_package(), name)


class ComposerState:
    """Stand-in for ``composer.core.State`` (whose module imports Composer's trainer stack): the
    attributes ``compile_composer_scheduler`` and its compiled lambda read, as the trainer's State
    holds them: ``optimizers`` (a list of one), ``timestamp`` (a real ``Timestamp``), ``max_duration``
    (a real ``Time``) and ``dataloader_len`` (a ``Time`` in batches, or ``None``). It computes nothing."""

    def __init__(self, optimizer, timestamp, max_duration, dataloader_len=None):
        self.optimizers = [optimizer]
        self.timestamp = timestamp
        self.max_duration = max_duration
        self.dataloader_len = dataloader_len


@functools.cache
def _composer_modules():
    with _under_bare_package("composer", "composer (mosaicml) is not installed") as root:
        # composer/core/time.py needs composer.utils.StringEnum (composer/utils/string_enum.py, the
        # standard library only); composer/utils/__init__.py would import torchvision.
        utils = _bare("composer.utils", f"{root}/utils")
        utils.StringEnum = importlib.import_module("composer.utils.string_enum").StringEnum
        core = _bare("composer.core", f"{root}/core")
        time = importlib.import_module("composer.core.time")
        # `from composer.core import State, Time, TimeUnit` in composer/optim/scheduler.py (State
        # appears there in annotations only).
        core.State, core.Time, core.TimeUnit, core.Timestamp = ComposerState, time.Time, time.TimeUnit, time.Timestamp
        _bare("composer.optim", f"{root}/optim")
        return importlib.import_module("composer.optim.scheduler"), time


def composer_scheduler():
    """Composer's ``composer/optim/scheduler.py`` (the schedulers and ``compile_composer_scheduler``),
    loaded unmodified from the installed files. Composer is installed without its dependencies: its
    package ``__init__`` imports the Trainer, ``composer.utils`` torchvision, while the scheduler file
    needs only ``composer/core/time.py``; they load under bare parent packages, and ``sys.modules`` is
    left as it was found."""
    return _composer_modules()[0]


def composer_time():
    """Composer's ``composer/core/time.py`` (``Time``, ``Timestamp``), loaded as :func:`composer_scheduler`."""
    return _composer_modules()[1]


def log(*args):
    print(*args, file=sys.stderr, flush=True)
