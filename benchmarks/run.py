"""Run every benchmark group, each in its own process, and write the results and the results page.

    python -m benchmarks.run [--smoke] [--device cpu|cuda] [--only jax,numpy,torch,keras,import]
                             [--out DIR] [--page FILE]

Each group prints progress to stderr and leaves its rows in a JSON file; this driver collects them,
adds a description of the machine and its load, and renders ``DIR/results.{json,md}``. A full CPU run
of every group also writes the results page, docs/benchmarks.md (``--page`` names another file).
``--device cuda`` runs the JAX and torch groups on a CUDA device; without one it says so and exits 2.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

#: ``jax-threads`` and ``torch-threads`` run the JAX and torch groups again with each library's
#: default threading (no pinning, thread pools as the library sizes them): the figures a user of
#: a multi-core machine sees, beside the pinned one-thread figures of ``jax`` and ``torch``.
THREADED = {"jax-threads": "jax", "torch-threads": "torch"}
GROUPS = ("jax", "jax-threads", "numpy", "torch", "torch-threads", "keras", "import")
CUDA_GROUPS = ("jax", "torch")
_ROOT = Path(__file__).resolve().parent.parent
_PAGE = _ROOT / "docs" / "benchmarks.md"
_PACKAGES = ("numpy", "jax", "jaxlib", "optax", "torch", "tensorflow-cpu", "keras", "array-api-compat")

#: The environment of every group process. Thread pools at one thread: on a shared machine a
#: second compute thread mostly waits for a core, and a thread pool that waits turns into a
#: scheduler time slice of noise. Both contenders of a row
#: run with the same setting (XLA splits a large loop fusion over the cores it may use: the group
#: processes are pinned to one core, see pinned_core).
#: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (set on some machines for older OpenBLAS builds) are removed:
#: they slow a current NumPy.
_GROUP_ENV = {
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    # glibc's allocator keeps freed memory in the process (a fixed mmap threshold, no trimming), so
    # a contender that allocates large temporaries reuses them rather than paying page faults on
    # fresh ones. Left dynamic, whether it does depends on the machine's state, and a peer's time
    # moved by half from one run to the next.
    "MALLOC_MMAP_THRESHOLD_": "33554432",
    "MALLOC_TRIM_THRESHOLD_": "1073741824",
}
_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def machine() -> dict:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "pinned_core": pinned_core(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def cuda_probe() -> dict:
    """Which of JAX and torch see a CUDA device, asked in fresh interpreters: ``{group: name or None}``."""
    probes = {
        "jax": "import jax\ntry:\n    print(jax.devices('gpu')[0].device_kind)\nexcept RuntimeError:\n    print('')",
        "torch": "import torch\nprint(torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')",
    }
    found = {}
    for group, code in probes.items():
        try:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
            found[group] = out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else None
        except (subprocess.TimeoutExpired, IndexError):
            found[group] = None
    return found


#: The entries of :data:`_GROUP_ENV` that limit thread pools, left out for the default-threading groups.
_THREAD_LIMITS = ("XLA_FLAGS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                  "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def _env(threaded: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env.update({k: v for k, v in _GROUP_ENV.items() if not (threaded and k in _THREAD_LIMITS)})
    if threaded:
        env["LRCORE_BENCH_THREADS"] = "default"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))
    return env


def pinned_core():
    """The one core every group process runs on: the last one this process may use (None where the
    platform has no ``sched_setaffinity``). XLA sizes its loop partitioning by the cores a process may
    use, so pinned, a million-element update runs on one core for both contenders, and whatever
    else the machine runs has the other cores, instead of delaying one half of a split loop."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    return max(os.sched_getaffinity(0))


def run_group(group: str, smoke: bool, device: str, workdir: Path):
    """Start one group's process, pinned to :func:`pinned_core` (a default-threading group is not
    pinned); returns (process, json path, start time)."""
    out = workdir / f"{group}.json"
    module = THREADED.get(group, group)
    cmd = [sys.executable, "-m", f"benchmarks.{module}_group", "--json-out", str(out), "--device", device]
    if smoke:
        cmd.append("--smoke")
    core = None if group in THREADED else pinned_core()
    pin = None if core is None else (lambda: os.sched_setaffinity(0, {core}))
    env = _env(threaded=group in THREADED)
    return subprocess.Popen(cmd, cwd=_ROOT, env=env, preexec_fn=pin), out, time.perf_counter()


class LoadSampler:
    """The 1-minute load average, sampled every few seconds while a group runs."""

    def __init__(self, every: float = 2.0):
        self.samples, self._every = [], every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while True:
            try:
                self.samples.append(os.getloadavg()[0])
            except (AttributeError, OSError):
                return
            if self._stop.wait(self._every):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def collect(group, proc, out, start):
    with LoadSampler() as load:
        code = proc.wait()
    seconds = time.perf_counter() - start
    if code == 0 and out.exists():
        rows = [dict(r, group=group) for r in json.loads(out.read_text())]
    else:
        rows = [{"group": group, "name": "group", "unit": "", "status": f"failed: exit code {code}", "note": ""}]
    return rows, {"seconds": seconds, "returncode": code, "load": load.samples}


# -- Markdown ---------------------------------------------------------------------------------------
#: Between a figure and its unit: a narrow no-break space, so that a table cell wraps between the
#: fastest round and the median, never inside a figure.
UNIT_SPACE = "\u202f"


def fmt_value(x, unit):
    if unit == "s":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(x) >= scale:
                return f"{x / scale:.3g}{UNIT_SPACE}{suffix}"
        return f"{x * 1e9:.3g}{UNIT_SPACE}ns"
    if unit in ("lines", "modules"):
        return f"{x:,.0f}"
    return f"{x:.3g}"


def fmt_stat(stat, unit):
    """``fastest (median)`` of a row's samples; one number when there is one sample."""
    if stat is None:
        return ""
    if stat["min"] == stat["max"]:
        return fmt_value(stat["min"], unit)
    return f"{fmt_value(stat['min'], unit)} ({fmt_value(stat['median'], unit)})"


def fmt_ratio(x):
    return f"{x:.3f}×" if x >= 0.01 else f"{x:.2g}×"


def verdict(r) -> str:
    if r["status"] != "ok":
        return r["status"]
    if "met" not in r:
        return {"limit": "limit", "scale": "—"}.get(r.get("kind"), "—")
    return "yes" if r["met"] else "**no**"


def missed_rows(result: dict) -> list[dict]:
    """The rows that were held to a target and missed it."""
    return [r for r in result["rows"] if r["status"] == "ok" and r.get("met") is False]


def summary_markdown(result: dict) -> str:
    """How many targets were met and, one line each, the rows that missed theirs."""
    judged = [r for r in result["rows"] if "met" in r]
    met = sum(r["met"] for r in judged)
    missed = missed_rows(result)
    if not missed:
        return f"{met} of {len(judged)} targets met."
    lines = [f"{met} of {len(judged)} targets met; missed:", ""]
    for r in missed:
        # A target bounds the ratio to the peer, or (a row without a peer) lrcore's own best time.
        if "ratio" in r:
            measured, target = fmt_ratio(r["ratio"]), f"{r['target']:g}"
        else:
            measured, target = fmt_value(r["lrcore"]["min"], r["unit"]), fmt_value(r["target"], r["unit"])
        lines.append(f"- [{r['group']}](#{r['group']}) · {r['name']}: {measured} (target ≤ {target})")
    return "\n".join(lines)


#: The columns of a group's table. The table is wrapped in ``<div class="benchmark-table">``:
#: docs/stylesheets/extra.css sets it compact enough that every column fits the page.
TABLE_HEAD = "| row | lrcore | peer | peer time | lrcore ÷ peer | target | met |\n|---|---|---|---|---|---|---|"


def results_markdown(result: dict) -> str:
    m = result["machine"]
    load = [x for info in result["group_runs"].values() for x in info.get("load", [])]
    when = result["finished"]
    lines = [
        f"Command: `{result['command']}`" + (" (smoke sizes: the figures mean nothing)" if result["smoke"] else ""),
        f"finished {when} UTC, {result['total_seconds']:.0f} s.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores"
        + (f" (every one-thread group pinned to core {m['pinned_core']}), " if m.get("pinned_core") is not None else ", ")
        + (f"CUDA device: {result['cuda']}" if result.get("cuda") else "no GPU (CPU figures)")
        + f"; Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v) + ".",
        "",
    ]
    if load:
        lines += [f"1-minute load average during the run: {min(load):.1f}–{max(load):.1f} on {m['cores']} cores.", ""]
    lines += [summary_markdown(result), ""]
    for group in result["groups"]:
        rows = [r for r in result["rows"] if r["group"] == group]
        info = result["group_runs"][group]
        busy = ""
        if info.get("load"):
            busy = f"; load {min(info['load']):.1f}–{max(info['load']):.1f}"
        lines += [f"### {group}", "", f"({info['seconds']:.0f} s{busy})", ""]
        lines += ['<div class="benchmark-table" markdown>', "", TABLE_HEAD]
        for r in rows:
            if r["status"] != "ok":
                lines.append(f"| {r['name']} | {r['status']} | | | | | |")
                continue
            unit = r["unit"]
            ratio = fmt_ratio(r["ratio"]) if "ratio" in r else ""
            target = f"≤ {r['target']:g}" if "target" in r else ""
            name = r["name"] + (f" — {r['note']}" if r.get("note") else "")
            lines.append(
                f"| {name} | {fmt_stat(r['lrcore'], unit)} | {r.get('peer_name') or ''} | "
                f"{fmt_stat(r.get('peer'), unit)} | {ratio} | {target} | {verdict(r)} |"
            )
        lines += ["", "</div>", ""]
    return "\n".join(lines)


def page_markdown(result: dict) -> str:
    """The whole results page: what is measured, a summary (the targets missed), how it is
    measured, and the results of this run."""
    method = (_ROOT / "benchmarks" / "method.md").read_text().rstrip()
    intro, rest = method.split("\n## ", 1)
    summary = (
        f"## Summary\n\n{summary_markdown(result)}\n\n"
        "Every row, with the machine and its load, is under [Results](#results)."
    )
    return f"{intro.rstrip()}\n\n{summary}\n\n## {rest}\n\n## Results\n\n{results_markdown(result)}"


_UNIT_SCALES = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}


def _parse_value(text: str):
    """``(value, unit)`` of a figure as :func:`fmt_value` writes it."""
    number, _, suffix = text.replace(" ", UNIT_SPACE).partition(UNIT_SPACE)
    if suffix in _UNIT_SCALES:
        return float(number) * _UNIT_SCALES[suffix], "s"
    if "," in text or text.isdigit():
        return float(text.replace(",", "")), "lines"
    return float(text), ""


def _parse_stat(text: str):
    """``(stat, unit)`` of a cell as :func:`fmt_stat` writes it (the slowest round is not shown: it
    is set above the median)."""
    if not text:
        return None, ""
    fastest, _, median = text.partition(" (")
    low, unit = _parse_value(fastest)
    mid = _parse_value(median.rstrip(")"))[0] if median else low
    return {"min": low, "median": mid, "max": low if not median else 2 * mid}, unit


def result_from_page(text: str) -> dict:
    """The results a page written by :func:`page_markdown` shows, as :func:`main` collects them
    (figures as rounded there): what ``--rewrite-page`` renders again, without measuring."""
    results = text.split("\n## Results\n\n", 1)[1].split("\n")
    command = results[0].split("`")[1]
    finished, seconds = re.fullmatch(r"finished (.+) UTC, (\d+) s\.", results[1]).groups()
    found = re.fullmatch(
        r"Machine: (.+), (\d+) cores(?: \(every (?:one-thread )?group pinned to core (\d+)\))?, (?:CUDA device: (.+)|no GPU \(CPU figures\))"
        r"; Python ([^;]+); (.+)\.",
        results[3],
    )
    cpu, cores, core, cuda, python, versions = found.groups()
    machine = {
        "cpu": cpu,
        "cores": int(cores),
        "pinned_core": None if core is None else int(core),
        "python": python,
        "versions": dict(item.split(" ", 1) for item in versions.split(", ")),
    }
    rows, groups, runs, group = [], [], {}, None
    for i, line in enumerate(results):
        if line.startswith("### "):
            group = line[4:]
            groups.append(group)
            seconds_, load = re.fullmatch(r"\((\d+) s(?:; load ([\d.]+–[\d.]+))?\)", results[i + 2]).groups()
            runs[group] = {"seconds": float(seconds_), "load": [float(x) for x in load.split("–")] if load else []}
        elif group and line.startswith("| ") and not line.startswith(TABLE_HEAD.split("\n")[0]):
            name, lrcore, peer_name, peer, ratio, target, met = (c.strip() for c in line.strip()[1:-1].split("|"))
            row = {"group": group, "status": "ok"}
            row["name"], _, note = name.partition(" — ")
            if note:
                row["note"] = note
            if peer_name or peer or ratio or target or met:
                row["lrcore"], row["unit"] = _parse_stat(lrcore)
            else:  # a failed group: its status in the lrcore column
                row.update(status=lrcore, unit="")
                rows.append(row)
                continue
            if peer_name:
                row["peer_name"] = peer_name
            if peer:
                row["peer"] = _parse_stat(peer)[0]
            if ratio:
                row["ratio"] = float(ratio.rstrip("×"))
            if target:
                row["target"] = float(target.removeprefix("≤ "))
                row["met"] = met == "yes"
            else:
                row["kind"] = "limit" if met == "limit" else "scale"
            rows.append(row)
    return {
        "command": command,
        "smoke": "(smoke sizes" in results[0],
        "device": "cuda" if cuda else "cpu",
        "cuda": cuda,
        "machine": machine,
        "groups": groups,
        "group_runs": runs,
        "total_seconds": float(seconds),
        "finished": finished,
        "rows": rows,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and one round (CI); figures mean nothing")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="where the JAX and torch groups run")
    parser.add_argument("--only", default=None, help="comma-separated groups (default: all for cpu, jax,torch for cuda)")
    parser.add_argument("--out", default="benchmarks/results", help="directory for results.json and results.md")
    parser.add_argument("--page", default=None, help="write the results page here (default: docs/benchmarks.md for "
                        "a full CPU run of every group, none otherwise)")
    parser.add_argument("--rewrite-page", action="store_true", help="measure nothing: write the results page "
                        "(--page, default docs/benchmarks.md) again from the results it shows, after an edit of "
                        "benchmarks/method.md or of the page's layout")
    args = parser.parse_args(argv)
    if args.rewrite_page:
        page = Path(args.page) if args.page else _PAGE
        page.write_text(page_markdown(result_from_page(page.read_text())) + "\n")
        print(f"rewrote {page} from the results it shows")
        return 0
    available = CUDA_GROUPS if args.device == "cuda" else GROUPS
    groups = [g.strip() for g in (args.only or ",".join(available)).split(",") if g.strip()]
    unknown = [g for g in groups if g not in available]
    if unknown:
        parser.error(f"unknown group(s) {unknown} for --device {args.device}; choose from {', '.join(available)}")
    cuda = None
    if args.device == "cuda":
        found = cuda_probe()
        if not any(found.get(g) for g in groups):
            print("benchmarks.run: --device cuda: no CUDA device found (JAX has no 'gpu' backend and "
                  "torch.cuda.is_available() is False); nothing was measured.", file=sys.stderr)
            return 2
        cuda = ", ".join(f"{g}: {found[g]}" for g in groups if found.get(g))
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    rows, runs = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.smoke:
            # Smoke sizes time nothing, so the groups may share the machine: run them side by side.
            started = {g: run_group(g, True, args.device, tmp) for g in groups}
            for g in groups:
                got, runs[g] = collect(g, *started[g])
                rows += got
        else:
            # Real figures: one group at a time, so no group's threads disturb another's timings.
            for g in groups:
                got, runs[g] = collect(g, *run_group(g, False, args.device, tmp))
                rows += got
    command = "python -m benchmarks.run" + (" --smoke" if args.smoke else "")
    if args.device != "cpu":
        command += f" --device {args.device}"
    if args.only:
        command += f" --only {args.only}"
    result = {
        "command": command,
        "smoke": args.smoke,
        "device": args.device,
        "cuda": cuda,
        "machine": machine(),
        "groups": groups,
        "group_runs": runs,
        "total_seconds": time.perf_counter() - start,
        "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "rows": rows,
    }
    (out_dir / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    (out_dir / "results.md").write_text(results_markdown(result) + "\n")
    page = args.page
    if page is None and not args.smoke and args.device == "cpu" and args.only is None:
        page = _PAGE
    if page is not None:
        Path(page).write_text(page_markdown(result) + "\n")
    print(results_markdown(result))
    print(f"\nwrote {out_dir / 'results.json'} and {out_dir / 'results.md'}" + (f" and {page}" if page else "")
          + f" in {result['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
