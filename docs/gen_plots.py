"""Draw one curve per schedule into docs/img/generated/, computed by lrcore itself.

Run it directly (``python docs/gen_plots.py``, as ``make docs`` does) or let ``mkdocs build`` run it:
``mkdocs.yml`` lists this file under ``hooks``, and :func:`on_pre_build` regenerates every picture
before the pages are built, so the catalog never shows a stale curve.

Every name in ``lrcore.SCHEDULES`` must have a ``plot`` in its entry of ``tests/examples.py`` (the
one per-schedule table); the script fails otherwise.
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img" / "generated"

if str(ROOT) not in sys.path:  # run from a checkout without lrcore installed
    sys.path.insert(0, str(ROOT))


def _examples():
    """name -> (title, schedules, number of steps, log scale): each entry's ``plot`` in the tests' table."""
    from tests.examples import TABLE

    return {name: entry.plot for name, entry in TABLE.items()}


def generate(out: pathlib.Path = OUT) -> list[pathlib.Path]:
    """Write ``<name>.png`` for every schedule name into ``out``; return the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import lrcore
    import lrcore.numpy as lnp

    examples = _examples()
    missing = sorted(set(lrcore.SCHEDULES) - set(examples))
    if missing:
        raise SystemExit(f"tests/examples.py has no plot for: {', '.join(missing)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in lrcore.SCHEDULES:
        title, schedules, steps, log = examples[name]
        k = np.arange(steps)
        fig, ax = plt.subplots(figsize=(6.4, 3.0), dpi=100)
        for s in schedules:
            ax.plot(k, lnp.from_schedule(s)(k), drawstyle="steps-post", linewidth=1.6)
        if log:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylabel("value")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = out / f"{name}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def on_pre_build(config, **kwargs):
    """mkdocs hook: regenerate the pictures before every build."""
    generate(pathlib.Path(config["docs_dir"]) / "img" / "generated")


if __name__ == "__main__":
    for p in generate():
        print(p.relative_to(ROOT))
