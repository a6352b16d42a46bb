"""Draw the documentation's pictures into docs/img/generated/, computed by lrcore itself.

Run it directly (``python docs/gen_plots.py``) or let ``mkdocs build`` run it: ``mkdocs.yml`` lists
this file under ``hooks``, and :func:`on_pre_build` regenerates every picture before the pages are
built, so no page shows a stale curve.

- ``<name>.png`` for every name in ``lrcore.SCHEDULES`` (the catalog and the gallery), from the
  ``plot`` of its entry in ``tests/examples.py`` (the one per-schedule table): the script fails
  while a name has none;
- ``choose-<key>.png`` for the "Which schedule?" page (:func:`choices`), with the settings of the
  papers it cites;
- ``finder.png``: a range test on a small problem, with the suggestions marked.

Every picture names its parameters in the title, says what its y axis is, draws a continuous
schedule as a line (only a schedule that jumps is drawn as stairs) and has a legend whenever it has
more than one curve, each curve in its own colour and dash so that none hides another; the labels,
the stairs and the y axis are derived from the schedules.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys
import textwrap

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


def _children(schedule):
    for value in schedule.params.values():
        for child in value if isinstance(value, (list, tuple)) else [value]:
            if hasattr(child, "to_dict"):
                yield child


def _stairs(schedule) -> bool:
    """Whether the schedule jumps (drawn as stairs): piecewise constant or a staircase, anywhere."""
    if schedule.name == "piecewise_constant" or schedule.params.get("staircase") is True:
        return True
    return any(_stairs(child) for child in _children(schedule))


def _plain(value) -> str:
    return value.name if hasattr(value, "to_dict") else repr(value)


def _labels(schedules) -> list[str]:
    """A legend label per curve: the parameters in which the curves differ (``staircase=True``), or
    the schedule's name with them (``scale(factor=0.5)``) where the curves are different schedules."""
    if len(schedules) == 1:
        return [schedules[0].name]
    keys = sorted({key for s in schedules for key in s.params})
    differ = [k for k in keys if len({_plain(s.params.get(k)) for s in schedules}) > 1]
    if len({s.name for s in schedules}) == 1:
        return [", ".join(f"{k}={_plain(s.params[k])}" for k in differ if k in s.params) for s in schedules]
    labels = []
    for s in schedules:  # different schedules: a name, and a combinator's own parameters
        if any(True for _ in _children(s)):
            own = [f"{k}={v!r}" for k, v in s.params.items() if not _is_schedules(v)]
            labels.append(f"{s.name}(..., {', '.join(own)})" if own else s.name)
        else:
            labels.append(s.name)
    return labels


def _is_schedules(value) -> bool:
    items = value if isinstance(value, (list, tuple)) else [value]
    return bool(items) and all(hasattr(item, "to_dict") for item in items)


def _ylabel(name: str) -> str:
    return "EMA decay" if name == "ema_decay" else "momentum" if "momentum" in name else "learning rate"


def examples() -> dict[str, Example]:
    """name -> the picture of the catalog and the gallery: each entry's ``plot`` in the tests' table,
    ``(title, [schedules], steps, log scale)``, with labels, stairs and the y axis derived."""
    from tests.examples import TABLE

    out = {}
    for name, entry in TABLE.items():
        title, schedules, steps, log = entry.plot
        curves = tuple(Curve(label, s, _stairs(s)) for label, s in zip(_labels(schedules), schedules))
        out[name] = Example(title, curves, steps, ylabel=_ylabel(name), log=log)
    return out


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


#: The size of every picture, in inches at DPI: the catalog shows it at its own size, the gallery
#: (two a row) at about 0.7 of it, so the type is sized for the gallery.
SIZE, DPI = (5.0, 3.3), 100
TITLE_SIZE, LABEL_SIZE, TICK_SIZE, LEGEND_SIZE = 11, 10, 9, 9


def _wrapped(text: str, width: int) -> str:
    """``text`` over lines of at most ``width`` characters, broken after commas where possible."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))


def fit_title(fig, ax, text: str, fontsize=TITLE_SIZE) -> None:
    """Set ``text`` as ``ax``'s title, wrapped onto as many lines as it needs to lie within the
    figure (a title wider than the figure is cut off in the PNG)."""
    box = fig.bbox
    for width in range(len(text), 9, -2):
        ax.set_title(_wrapped(text, width), fontsize=fontsize)
        fig.draw_without_rendering()
        extent = ax.title.get_window_extent()
        if extent.x0 >= box.x0 and extent.x1 <= box.x1:
            return
    raise ValueError(f"title {text!r} does not fit a {SIZE[0]}-inch figure")


def inside_figure(fig, artist) -> bool:
    """Whether ``artist`` (a title, a legend) lies wholly within the figure once it is drawn."""
    fig.draw_without_rendering()
    extent, box = artist.get_window_extent(), fig.bbox
    return box.x0 <= extent.x0 and extent.x1 <= box.x1 and box.y0 <= extent.y0 and extent.y1 <= box.y1


def figure(example: Example):
    """The matplotlib figure of one example (not saved).

    The legend sits below the axes (it never covers a curve) and the title is wrapped to the
    figure's width. A learning rate's axis starts at 0, its size being read against 0; momentum and
    EMA decay curves, which live near 1, get an axis that fits them.
    """
    import matplotlib.figure
    import numpy as np

    import lrcore.numpy as lnp

    fig = matplotlib.figure.Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    k = np.arange(example.steps)
    lowest = 0.0
    for curve, (color, dash, width) in zip(example.curves, _STYLES):
        values = lnp.from_schedule(curve.schedule)(k)
        lowest = min(lowest, float(values.min()))
        ax.plot(
            k,
            values,
            drawstyle="steps-post" if curve.steps else "default",
            color=color,
            linestyle=dash,
            linewidth=width,
            label=curve.label,
        )
    if example.log:
        ax.set_yscale("log")
    elif example.ylabel == "learning rate":
        ax.set_ylim(bottom=lowest)
    for columns in range(len(example.curves) if len(example.curves) > 1 else 0, 0, -1):
        # As many labels a row as fit the figure's width.
        legend = fig.legend(loc="outside lower center", ncols=columns, fontsize=LEGEND_SIZE, frameon=False)
        if columns == 1 or inside_figure(fig, legend):
            break
        legend.remove()
    ax.set_xlabel("step", fontsize=LABEL_SIZE)
    ax.set_ylabel(example.ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(alpha=0.3)
    fit_title(fig, ax, example.title)
    return fig


def finder_figure():
    """A range test on a least-squares problem solved by gradient descent, suggestions marked:
    ``(figure, result)``."""
    import matplotlib.figure
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
    fig = matplotlib.figure.Figure(figsize=(7, 4.2), dpi=DPI)
    result.plot(ax=fig.add_subplot())  # lays the figure out once (tight)
    fig.set_layout_engine("tight")  # and again at every draw, for the wrapped title
    title = "find_lr(step_fn, start_value=1e-4, end_value=10.0, num_steps=100) on least squares"
    fit_title(fig, fig.axes[0], title + (", stopped: diverged" if result.diverged else ""))
    return fig, result


def _finder_picture(path: pathlib.Path):
    """Draw :func:`finder_figure` into ``path``; return the range test's result."""
    fig, result = finder_figure()
    fig.savefig(path)
    return result


def generate(out: pathlib.Path = OUT) -> list[pathlib.Path]:
    """Write every picture into ``out``; return the paths written."""
    import lrcore

    pictures = examples()
    missing = sorted(set(lrcore.SCHEDULES) - set(pictures))
    if missing:
        raise SystemExit(f"tests/examples.py has no plot for: {', '.join(missing)}")
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
