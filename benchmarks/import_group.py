"""`import lrcore` and the first NumPy evaluation, in fresh interpreters: time, and that no ML
framework is imported."""

from __future__ import annotations

import json
import subprocess
import sys

from ._common import log, main, row

GROUP = "import"
FRAMEWORKS = ("jax", "optax", "torch", "tensorflow", "keras", "array_api_strict")

_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import lrcore
t1 = time.perf_counter()
value = lrcore.cosine_decay(1e-3, 1000)(10)
import lrcore.numpy
value = lrcore.numpy.cosine_decay(1e-3, 1000)(10)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t0,
                  "frameworks": [m for m in %r if m in sys.modules]}))
""" % (FRAMEWORKS,)

_BASELINE = """
import json, time
t0 = time.perf_counter()
import numpy
print(json.dumps({"import": time.perf_counter() - t0}))
"""


def _fresh(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(cfg):
    repeats = 2 if cfg.smoke else 7
    log("[import] fresh interpreters")
    _fresh(_PROBE)  # warm the file-system cache, like every later import in a session
    probes = [_fresh(_PROBE) for _ in range(repeats)]
    numpy_only = [_fresh(_BASELINE)["import"] for _ in range(repeats)]
    imported = sorted({m for p in probes for m in p["frameworks"]})
    rows = [
        row(GROUP, "import lrcore", "s", [p["import"] for p in probes], numpy_only, "import numpy", target=None, paired=False,
            kind="scale", note="lrcore imports NumPy: the difference is lrcore's own modules"),
        row(
            GROUP, "import lrcore + first NumPy evaluation", "s", [p["first"] for p in probes],
            target=0.3, note="absolute seconds (target on the fastest of the fresh interpreters)",
        ),
    ]
    framework_row = row(GROUP, "frameworks imported by `import lrcore` + NumPy use", "modules", [len(imported)],
                        target=0, note=", ".join(imported) or "none")
    rows.append(framework_row)
    return rows


if __name__ == "__main__":
    raise SystemExit(main(GROUP, run))
