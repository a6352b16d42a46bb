"""Draw the documentation's pictures into docs/img/generated/, computed by lrcore itself.

Run it directly (``python docs/gen_plots.py``) or let ``mkdocs build`` run it: ``mkdocs.yml`` lists
this file under ``hooks``, and :func:`on_pre_build` regenerates every picture before the pages are
built, so no page shows a stale curve.

- ``<name>.png`` for every name in ``lrcore.SCHEDULES`` (the catalog and the gallery): every name
  must have an entry in :func:`examples`, or the script fails;
- ``choose-<key>.png`` for the "Which schedule?" page (:func:`choices`), with the settings of the
  papers it cites;
- ``finder.png``: a range test on a small problem, with the suggestions marked.

Every picture names its parameters in the title, says what its y axis is, draws a continuous
schedule as a line (only a schedule that jumps is drawn as stairs) and has a legend whenever it has
more than one curve, each curve in its own colour and dash so that none hides another.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img" / "generated"

if str(ROOT) not in sys.path:  # run from a checkout without lrcore installed
    sys.path.insert(0, str(ROOT))

# One colour and dash per curve of a picture: the later curves are dashed so that where two curves
# coincide (the first cycle of triangular and triangular2, say) both stay visible.
_STYLES = (("C0", "-", 2.2), ("C1", "--", 1.6), ("C2", ":", 1.8), ("C3", "-.", 1.6))


@dataclasses.dataclass(frozen=True)
class Curve:
    label: str
    schedule: object  # an lrcore.Schedule
    steps: bool = False  # drawn as stairs: the schedule jumps (piecewise constant, staircase)


@dataclasses.dataclass(frozen=True)
class Example:
    title: str
    curves: tuple
    steps: int
    ylabel: str = "learning rate"
    log: bool = False


def _one(title, schedule, steps, **kwargs):
    return Example(title, (Curve(title, schedule, kwargs.pop("stairs", False)),), steps, **kwargs)


def examples() -> dict[str, Example]:
    """name -> the picture of the catalog and the gallery."""
    import lrcore

    L = lrcore
    return {
        "constant": _one("constant(value=0.1)", L.constant(0.1), 100),
        "linear": _one(
            "linear(1.0, 0.1, transition_steps=60, transition_begin=20)",
            L.linear(1.0, 0.1, transition_steps=60, transition_begin=20),
            100,
        ),
        "piecewise_constant": _one(
            "piecewise_constant(boundaries=[30, 60, 80], values=[1.0, 0.5, 0.1, 0.02])",
            L.piecewise_constant([30, 60, 80], [1.0, 0.5, 0.1, 0.02]),
            100,
            stairs=True,
        ),
        "piecewise_linear": _one(
            "piecewise_linear(boundaries=[10, 40, 90], values=[0.0, 1.0, 0.1])",
            L.piecewise_linear([10, 40, 90], [0.0, 1.0, 0.1]),
            100,
        ),
        "exponential_decay": Example(
            "exponential_decay(1.0, decay_steps=20, decay_rate=0.5)",
            (
                Curve("staircase=False", L.exponential_decay(1.0, decay_steps=20, decay_rate=0.5)),
                Curve("staircase=True", L.exponential_decay(1.0, 20, 0.5, staircase=True), steps=True),
            ),
            100,
        ),
        "inverse_time_decay": Example(
            "inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5)",
            (
                Curve("staircase=False", L.inverse_time_decay(1.0, decay_steps=10, decay_rate=0.5)),
                Curve("staircase=True", L.inverse_time_decay(1.0, 10, 0.5, staircase=True), steps=True),
            ),
            100,
        ),
        "polynomial_decay": Example(
            "polynomial_decay(1.0, 0.1, decay_steps=40, power=2.0)",
            (
                Curve("cycle=False", L.polynomial_decay(1.0, 0.1, decay_steps=40, power=2.0)),
                Curve("cycle=True", L.polynomial_decay(1.0, 0.1, decay_steps=40, power=2.0, cycle=True)),
            ),
            150,
        ),
        "cosine_decay": _one(
            "cosine_decay(1.0, decay_steps=80, end_value=0.1)", L.cosine_decay(1.0, decay_steps=80, end_value=0.1), 100
        ),
        "warmup_cosine_decay": _one(
            "warmup_cosine_decay(0.0, 1.0, warmup_steps=20, decay_steps=100)",
            L.warmup_cosine_decay(0.0, 1.0, warmup_steps=20, decay_steps=100),
            120,
        ),
        "cosine_restart": _one(
            "cosine_restart(1.0, first_period=30, period_mul=1.25, peak_mul=0.8, warmup_steps=6)",
            L.cosine_restart(1.0, first_period=30, period_mul=1.25, peak_mul=0.8, warmup_steps=6),
            200,
        ),
        "onecycle": Example(
            "onecycle(peak_value=1.0, total_steps=100)",
            (
                Curve("three_phase=False", L.onecycle(1.0, total_steps=100)),
                Curve("three_phase=True", L.onecycle(1.0, total_steps=100, three_phase=True)),
            ),
            110,
        ),
        "cyclic": Example(
            "cyclic(0.1, 1.0, step_size_up=10, step_size_down=15)",
            (
                Curve('mode="triangular"', L.cyclic(0.1, 1.0, step_size_up=10, step_size_down=15)),
                Curve('mode="triangular2"', L.cyclic(0.1, 1.0, 10, 15, mode="triangular2")),
            ),
            100,
        ),
        "inverse_sqrt": _one("inverse_sqrt(1.0, warmup_steps=20)", L.inverse_sqrt(1.0, warmup_steps=20), 200),
        "warmup_stable_decay": Example(
            "warmup_stable_decay(1.0, warmup_steps=10, stable_steps=60, decay_steps=30, end_value=0.1)",
            (
                Curve('decay_shape="linear"', L.warmup_stable_decay(1.0, 10, 60, 30, end_value=0.1)),
                Curve('decay_shape="1-sqrt"', L.warmup_stable_decay(1.0, 10, 60, 30, 0.1, decay_shape="1-sqrt")),
                Curve('decay_shape="cosine"', L.warmup_stable_decay(1.0, 10, 60, 30, 0.1, decay_shape="cosine")),
            ),
            120,
        ),
        # The cap 0.99 is reached at (10·0.99 - 1)/(1 - 0.99) = 890 steps.
        "ema_decay": _one("ema_decay(decay=0.99)", L.ema_decay(0.99), 1500, ylabel="EMA decay"),
        "join": _one(
            "join([linear(0.0, 1.0, 10), cosine_decay(1.0, 60)], boundaries=[10])",
            L.join([L.linear(0.0, 1.0, 10), L.cosine_decay(1.0, 60)], boundaries=[10]),
            100,
        ),
        "warmup": Example(
            "warmup(exponential_decay(1.0, 10, 0.8), warmup_steps=20)",
            (
                Curve("exponential_decay(1.0, 10, 0.8)", L.exponential_decay(1.0, 10, 0.8)),
                Curve("warmup(..., warmup_steps=20)", L.warmup(L.exponential_decay(1.0, 10, 0.8), warmup_steps=20)),
            ),
            100,
        ),
        "scale": Example(
            "scale(cosine_decay(1.0, 100), factor=0.5)",
            (
                Curve("cosine_decay(1.0, 100)", L.cosine_decay(1.0, 100)),
                Curve("cosine_decay(1.0, 100) * 0.5", L.cosine_decay(1.0, 100) * 0.5),
            ),
            100,
        ),
        "clip": Example(
            "clip(cyclic(0.0, 1.0, step_size_up=10), min_value=0.2, max_value=0.8)",
            (
                Curve("cyclic(0.0, 1.0, 10)", L.cyclic(0.0, 1.0, 10)),
                Curve("clip(..., 0.2, 0.8)", L.clip(L.cyclic(0.0, 1.0, 10), min_value=0.2, max_value=0.8)),
            ),
            60,
        ),
    }


def choices() -> dict[str, Example]:
    """key -> a picture of the "Which schedule?" page, at the scale the papers use (in steps)."""
    import lrcore

    L = lrcore
    return {
        "warmup-cosine": _one(
            "warmup_cosine_decay(0.0, 3e-4, warmup_steps=2_000, decay_steps=100_000, end_value=3e-5)",
            L.warmup_cosine_decay(0.0, 3e-4, warmup_steps=2_000, decay_steps=100_000, end_value=3e-5),
            100_000,
        ),
        "wsd": _one(
            'warmup_stable_decay(3e-4, 2_000, stable_steps=80_000, decay_steps=18_000, decay_shape="1-sqrt")',
            L.warmup_stable_decay(3e-4, warmup_steps=2_000, stable_steps=80_000, decay_steps=18_000, decay_shape="1-sqrt"),
            100_000,
        ),
        "onecycle": _one(
            "onecycle(peak_value=0.1, total_steps=10_000)", L.onecycle(peak_value=0.1, total_steps=10_000), 10_000
        ),
        "restarts": _one(
            "cosine_restart(0.1, first_period=5_000, period_mul=2.0)",
            L.cosine_restart(0.1, first_period=5_000, period_mul=2.0),
            75_000,
        ),
        "step": _one(
            "piecewise_constant(boundaries=[30_000, 60_000, 80_000], values=[0.1, 0.01, 0.001, 0.0001])",
            L.piecewise_constant([30_000, 60_000, 80_000], [0.1, 0.01, 0.001, 0.0001]),
            90_000,
            stairs=True,
            log=True,
        ),
        "inverse-sqrt": _one(
            "inverse_sqrt(peak_value=7e-4, warmup_steps=4_000)", L.inverse_sqrt(7e-4, warmup_steps=4_000), 100_000
        ),
    }


def figure(example: Example):
    """The matplotlib figure of one example (not saved)."""
    import matplotlib.figure
    import numpy as np

    import lrcore.numpy as lnp

    fig = matplotlib.figure.Figure(figsize=(6.4, 3.2), dpi=100)
    ax = fig.add_subplot()
    k = np.arange(example.steps)
    for curve, (color, dash, width) in zip(example.curves, _STYLES):
        ax.plot(
            k,
            lnp.from_schedule(curve.schedule)(k),
            drawstyle="steps-post" if curve.steps else "default",
            color=color,
            linestyle=dash,
            linewidth=width,
            label=curve.label,
        )
    if example.log:
        ax.set_yscale("log")
    if len(example.curves) > 1:
        ax.legend(fontsize=8)
    ax.set_title(example.title, fontsize=8)
    ax.set_xlabel("step")
    ax.set_ylabel(example.ylabel)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _finder_picture(path: pathlib.Path):
    """A range test on a least-squares problem solved by gradient descent, suggestions marked."""
    import numpy as np

    import lrcore.finder

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8))
    y = x @ rng.normal(size=8) + 0.1 * rng.normal(size=256)
    w = np.zeros(8)

    def step_fn(lr):
        nonlocal w
        grad = 2 * x.T @ (x @ w - y) / len(y)
        w = w - lr * grad
        return float(np.mean((x @ w - y) ** 2))

    result = lrcore.finder.find_lr(step_fn, start_value=1e-4, end_value=10.0, num_steps=100, progress=False)
    fig = result.plot()
    title = "find_lr(step_fn, start_value=1e-4, end_value=10.0, num_steps=100) on least squares"
    fig.axes[0].set_title(title + (", stopped: diverged" if result.diverged else ""), fontsize=8)
    fig.savefig(path)
    return result


def generate(out: pathlib.Path = OUT) -> list[pathlib.Path]:
    """Write every picture into ``out``; return the paths written."""
    import lrcore

    pictures = examples()
    missing = sorted(set(lrcore.SCHEDULES) - set(pictures))
    if missing:
        raise SystemExit(f"docs/gen_plots.py has no example for: {', '.join(missing)}")
    pictures.update({f"choose-{key}": example for key, example in choices().items()})
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, example in pictures.items():
        path = out / f"{name}.png"
        figure(example).savefig(path)
        written.append(path)
    _finder_picture(out / "finder.png")
    written.append(out / "finder.png")
    return written


def on_pre_build(config, **kwargs):
    """mkdocs hook: regenerate the pictures before every build."""
    import matplotlib

    matplotlib.use("Agg")
    generate(pathlib.Path(config["docs_dir"]) / "img" / "generated")


if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")
    for p in generate():
        print(p.relative_to(ROOT))
