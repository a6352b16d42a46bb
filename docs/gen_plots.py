"""Draw one curve per schedule into docs/img/generated/, computed by lrcore itself.

Run it directly (``python docs/gen_plots.py``, as ``make docs`` does) or let ``mkdocs build`` run it:
``mkdocs.yml`` lists this file under ``hooks``, and :func:`on_pre_build` regenerates every picture
before the pages are built, so the catalog never shows a stale curve.

Every name in ``lrcore.SCHEDULES`` must have an entry in :data:`EXAMPLES`; the script fails otherwise.
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img" / "generated"

if str(ROOT) not in sys.path:  # run from a checkout without lrcore installed
    sys.path.insert(0, str(ROOT))


def _examples():
    """name -> (title, schedule, number of steps, log scale), one or more curves per picture."""
    import lrcore

    return {
        "constant": ("constant(value=0.1)", [lrcore.constant(0.1)], 100, False),
        "linear": (
            "linear(1.0, 0.1, transition_steps=60, transition_begin=20)",
            [lrcore.linear(1.0, 0.1, transition_steps=60, transition_begin=20)],
            100,
            False,
        ),
        "piecewise_constant": (
            "piecewise_constant([30, 60, 80], [1.0, 0.5, 0.1, 0.02])",
            [lrcore.piecewise_constant([30, 60, 80], [1.0, 0.5, 0.1, 0.02])],
            100,
            False,
        ),
        "piecewise_linear": (
            "piecewise_linear([10, 40, 90], [0.0, 1.0, 0.1])",
            [lrcore.piecewise_linear([10, 40, 90], [0.0, 1.0, 0.1])],
            100,
            False,
        ),
        "exponential_decay": (
            "exponential_decay(1.0, decay_steps=20, decay_rate=0.5), smooth and staircase",
            [
                lrcore.exponential_decay(1.0, decay_steps=20, decay_rate=0.5),
                lrcore.exponential_decay(1.0, decay_steps=20, decay_rate=0.5, staircase=True),
            ],
            100,
            False,
        ),
        "inverse_time_decay": (
            "inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5), smooth and staircase",
            [
                lrcore.inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5),
                lrcore.inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5, staircase=True),
            ],
            100,
            False,
        ),
        "polynomial_decay": (
            "polynomial_decay(1.0, 0.1, decay_steps=40, power=2), cycle=False and True",
            [
                lrcore.polynomial_decay(1.0, 0.1, decay_steps=40, power=2.0),
                lrcore.polynomial_decay(1.0, 0.1, decay_steps=40, power=2.0, cycle=True),
            ],
            150,
            False,
        ),
        "cosine_decay": (
            "cosine_decay(1.0, decay_steps=80, end_value=0.1)",
            [lrcore.cosine_decay(1.0, decay_steps=80, end_value=0.1)],
            100,
            False,
        ),
        "warmup_cosine_decay": (
            "warmup_cosine_decay(0.0, 1.0, warmup_steps=20, decay_steps=100)",
            [lrcore.warmup_cosine_decay(0.0, 1.0, warmup_steps=20, decay_steps=100)],
            120,
            False,
        ),
        "cosine_restart": (
            "cosine_restart(1.0, first_period=30, period_mul=1.25, peak_mul=0.8, warmup_steps=6)",
            [lrcore.cosine_restart(1.0, first_period=30, period_mul=1.25, peak_mul=0.8, warmup_steps=6)],
            200,
            False,
        ),
        "onecycle": (
            "onecycle(1.0, total_steps=100), two and three phases",
            [lrcore.onecycle(1.0, total_steps=100), lrcore.onecycle(1.0, total_steps=100, three_phase=True)],
            110,
            False,
        ),
        "cyclic": (
            "cyclic(0.1, 1.0, step_size_up=10, step_size_down=15), triangular and triangular2",
            [
                lrcore.cyclic(0.1, 1.0, step_size_up=10, step_size_down=15),
                lrcore.cyclic(0.1, 1.0, step_size_up=10, step_size_down=15, mode="triangular2"),
            ],
            100,
            False,
        ),
        "inverse_sqrt": (
            "inverse_sqrt(1.0, warmup_steps=20)",
            [lrcore.inverse_sqrt(1.0, warmup_steps=20)],
            200,
            False,
        ),
        "warmup_stable_decay": (
            "warmup_stable_decay(1.0, 10, 60, 30, end_value=0.1), linear and 1-sqrt decay",
            [
                lrcore.warmup_stable_decay(1.0, 10, 60, 30, end_value=0.1),
                lrcore.warmup_stable_decay(1.0, 10, 60, 30, end_value=0.1, decay_shape="1-sqrt"),
            ],
            120,
            False,
        ),
        "ema_decay": ("ema_decay(0.99)", [lrcore.ema_decay(0.99)], 200, False),
        "join": (
            "join([linear(0, 1, 10), cosine_decay(1, 60)], boundaries=[10])",
            [lrcore.join([lrcore.linear(0.0, 1.0, 10), lrcore.cosine_decay(1.0, 60)], boundaries=[10])],
            100,
            False,
        ),
        "warmup": (
            "warmup(exponential_decay(1.0, 10, 0.8), warmup_steps=20)",
            [lrcore.warmup(lrcore.exponential_decay(1.0, 10, 0.8), warmup_steps=20)],
            100,
            False,
        ),
        "scale": (
            "cosine_decay(1.0, 100) and cosine_decay(1.0, 100) * 0.5",
            [lrcore.cosine_decay(1.0, 100), lrcore.cosine_decay(1.0, 100) * 0.5],
            100,
            False,
        ),
        "clip": (
            "clip(cyclic(0.0, 1.0, 10), min_value=0.2, max_value=0.8)",
            [lrcore.clip(lrcore.cyclic(0.0, 1.0, 10), min_value=0.2, max_value=0.8)],
            60,
            False,
        ),
        "multiply": (
            "exponential_decay(1.0, 1, 0.98) * piecewise_constant([40, 70], [1, 0.5, 0.25])",
            [
                lrcore.exponential_decay(1.0, 1, 0.98)
                * lrcore.piecewise_constant([40, 70], [1.0, 0.5, 0.25])
            ],
            100,
            False,
        ),
    }


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
        raise SystemExit(f"docs/gen_plots.py has no example for: {', '.join(missing)}")
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
