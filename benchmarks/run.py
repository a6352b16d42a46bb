"""Run every benchmark group, each in its own process, and write ``results.json`` and ``results.md``.

    python -m benchmarks.run [--smoke] [--only jax,numpy,torch,keras,import] [--out DIR]

Each group prints progress to stderr and leaves its rows in a JSON file; this driver collects them,
adds a description of the machine, and renders the Markdown table of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

GROUPS = ("jax", "numpy", "torch", "keras", "import")
_ROOT = Path(__file__).resolve().parent.parent
_PACKAGES = ("numpy", "jax", "jaxlib", "optax", "torch", "tensorflow-cpu", "keras", "array-api-compat")


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
        "gpu": None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def run_group(group: str, smoke: bool, workdir: Path):
    """Start one group's process; returns (process, json path, start time)."""
    out = workdir / f"{group}.json"
    cmd = [sys.executable, "-m", f"benchmarks.{group}_group", "--json-out", str(out)]
    if smoke:
        cmd.append("--smoke")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(cmd, cwd=_ROOT, env=env), out, time.perf_counter()


def _load() -> float | None:
    """The 1-minute load average (how busy the machine was), or None where the OS has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def collect(group, proc, out, start):
    load_before = _load()
    code = proc.wait()
    seconds = time.perf_counter() - start
    if code == 0 and out.exists():
        rows = json.loads(out.read_text())
    else:
        rows = [{"group": group, "name": "group", "unit": "", "status": f"failed: exit code {code}", "note": ""}]
    return rows, {"seconds": seconds, "returncode": code, "load": [load_before, _load()]}


# -- Markdown ---------------------------------------------------------------------------------------
def fmt_value(x, unit):
    if unit == "s":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(x) >= scale:
                return f"{x / scale:.3g} {suffix}"
        return f"{x * 1e9:.3g} ns"
    if unit in ("lines", "modules"):
        return f"{x:,.0f}"
    return f"{x:.3g}"


def fmt_stat(stat, unit):
    if stat is None:
        return ""
    if stat["min"] == stat["max"]:
        return fmt_value(stat["median"], unit)
    return f"{fmt_value(stat['median'], unit)} ({fmt_value(stat['min'], unit)}–{fmt_value(stat['max'], unit)})"


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"Command: `{result['command']}`" + (" (smoke sizes: figures mean nothing)" if result["smoke"] else ""),
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, no GPU (CPU-only figures); Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
        "",
        "Medians of the repeats, (min–max) after them; each ratio is of medians, measured in the same run.",
        "",
    ]
    for group in result["groups"]:
        rows = [r for r in result["rows"] if r["group"] == group]
        info = result["group_runs"][group]
        load = [x for x in info.get("load", []) if x is not None]
        busy = f"; load average {' → '.join(f'{x:.1f}' for x in load)} on {m['cores']} cores" if load else ""
        lines += [f"### {group}", "", f"({info['seconds']:.0f} s in its own process{busy})", ""]
        lines += ["| comparison | lrcore | peer | peer time | ratio | target | met |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["status"] != "ok":
                lines.append(f"| {r['name']} | {r['status']} | | | | | |")
                continue
            unit = r["unit"]
            ratio = ""
            if "ratio" in r:
                ratio = f"{r['ratio']:.3g}× ({r['ratio_kind'].replace('peer', 'peer')})"
            met = {True: "yes", False: "**no**", None: ""}[r.get("met")]
            name = r["name"] + (f" — {r['note']}" if r.get("note") else "")
            lines.append(
                f"| {name} | {fmt_stat(r['lrcore'], unit)} | {r.get('peer_name') or ''} | "
                f"{fmt_stat(r.get('peer'), unit)} | {ratio} | {r.get('target', '')} | {met} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and few repeats (CI); figures mean nothing")
    parser.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups (default: all)")
    parser.add_argument("--out", default="benchmarks/results", help="directory for results.json and results.md")
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {', '.join(GROUPS)}")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    rows, runs = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.smoke:
            # Smoke sizes time nothing, so the groups may share the machine: run them side by side.
            started = {g: run_group(g, True, tmp) for g in groups}
            for g in groups:
                got, runs[g] = collect(g, *started[g])
                rows += got
        else:
            # Real figures: one group at a time, so no group's threads disturb another's timings.
            for g in groups:
                got, runs[g] = collect(g, *run_group(g, False, tmp))
                rows += got
    command = "python -m benchmarks.run" + (" --smoke" if args.smoke else "")
    if args.only != ",".join(GROUPS):
        command += f" --only {args.only}"
    result = {
        "command": command,
        "smoke": args.smoke,
        "machine": machine(),
        "groups": groups,
        "group_runs": runs,
        "total_seconds": time.perf_counter() - start,
        "rows": rows,
    }
    (out_dir / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    (out_dir / "results.md").write_text(to_markdown(result) + "\n")
    print(to_markdown(result))
    print(f"\nwrote {out_dir / 'results.json'} and {out_dir / 'results.md'} in {result['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
