"""Compare the verdicts of two benchmark runs, row by row.

    python -m benchmarks.compare A/results.json B/results.json

Prints every row with a target: its ratio and verdict in each run, and whether the verdicts agree.
Exits 1 when a verdict differs (or a row is missing from one run), 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _judged(path):
    result = json.loads(Path(path).read_text())
    return {(r["group"], r["name"]): r for r in result["rows"] if "met" in r}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.split("\n")[0])
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args(argv)
    a, b = _judged(args.first), _judged(args.second)
    differ = 0
    print("| group | row | run 1 | run 2 | same verdict |\n|---|---|---|---|---|")
    for key in list(a) + [k for k in b if k not in a]:
        cells = []
        for run in (a, b):
            r = run.get(key)
            if r is None:
                cells.append("missing")
            else:
                value = r.get("ratio", r["lrcore"]["min"])
                cells.append(f"{value:.3g} {'yes' if r['met'] else 'no'}")
        same = key in a and key in b and a[key]["met"] == b[key]["met"]
        differ += not same
        print(f"| {key[0]} | {key[1]} | {cells[0]} | {cells[1]} | {'yes' if same else '**no**'} |")
    print(f"\n{len(set(a) | set(b)) - differ} of {len(set(a) | set(b))} verdicts agree")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
