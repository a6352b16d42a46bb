"""Matplotlib figures for the CLI, the range test and the demo.

Imported only when a plot is asked for. Figures are built with ``matplotlib.figure.Figure``
directly, never through ``pyplot``: no global state is touched, no window opens, and a PNG is
rendered with Agg whatever backend the user's session has selected.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from .schedule import MAX_LANDMARKS, REGISTRY

__all__ = ["sample_steps", "landmarks", "schedules_figure", "finder_figure", "loss_axis_range", "demo_figure"]

#: Evenly spread steps of a plot (about the pixel width of a large figure, several times over).
SAMPLES = 4096


def landmarks(schedule, end: int) -> list[int]:
    """Steps in ``[0, end)`` where ``schedule``'s curve has a corner or a jump that its parameters
    place: piecewise and join boundaries, warmup, phase and cycle ends, restarts.

    Each schedule declares its own at registration (``landmarks=``, see
    :func:`lrcore.schedule.register`): by default its whole-step parameters and their partial sums;
    the cyclic ones add their periods, and the combinators that move their inner schedule along the
    steps (``join``, ``warmup``, ``shift``, ``per_epoch``, ``stride``) move its landmarks. At most :data:`MAX_LANDMARKS`.
    """
    return sorted(set(_landmarks_of(schedule, end)))[:MAX_LANDMARKS]


def _landmarks_of(schedule, end: int) -> list[int]:
    """``schedule``'s landmarks in ``[0, end)``, as its registration declares them."""
    if end <= 0:
        return []
    return REGISTRY[schedule.name].landmark_steps(schedule.params, end, _landmarks_of)


def sample_steps(schedule, num_steps: int, samples: int = SAMPLES):
    """The steps (int64) and float64 values to draw of ``schedule`` over steps ``0 .. num_steps-1``.

    About ``samples`` evenly spread steps, each landmark (:func:`landmarks`), the last step, and
    both sides of the largest one-step change inside every gap between them, found by bisection (so
    a jump — a restart, a staircase or piecewise step — is drawn as the vertical it is, at its exact
    step). The cost is ``O(samples · log(num_steps))`` whatever ``num_steps`` is.
    """
    import lrcore.numpy as lnp

    evaluate = lnp.from_schedule(schedule)
    last = num_steps - 1
    n = min(samples, num_steps)
    grid = {i * last // max(n - 1, 1) for i in range(n)}
    for q in landmarks(schedule, num_steps):
        grid.update(x for x in (q - 1, q, q + 1) if 0 <= x <= last)
    steps = np.asarray(sorted(grid), dtype=np.int64)
    values = np.asarray(evaluate(steps), dtype=np.float64)
    # Bisection, all gaps at once: keep the half with the larger change until the gap is one step.
    lo, hi = steps[:-1], steps[1:]
    v_lo, v_hi = values[:-1], values[1:]
    wide = hi - lo > 1
    lo, hi, v_lo, v_hi = lo[wide], hi[wide], v_lo[wide], v_hi[wide]
    while lo.size:
        mid = lo + (hi - lo) // 2
        v_mid = np.asarray(evaluate(mid), dtype=np.float64)
        left = np.abs(v_mid - v_lo) >= np.abs(v_hi - v_mid)
        lo, v_lo = np.where(left, lo, mid), np.where(left, v_lo, v_mid)
        hi, v_hi = np.where(left, mid, hi), np.where(left, v_mid, v_hi)
        done = hi - lo <= 1
        if done.any():
            steps = np.concatenate([steps, lo[done], hi[done]])
            values = np.concatenate([values, v_lo[done], v_hi[done]])
            keep = ~done
            lo, hi, v_lo, v_hi = lo[keep], hi[keep], v_lo[keep], v_hi[keep]
    steps, index = np.unique(steps, return_index=True)
    return steps, values[index]


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def schedules_figure(curves, path=None, log: bool = False, title: str | None = None):
    """One line per ``(label, steps, values)`` in ``curves``, with a legend when there are several.

    ``log`` puts the learning rate on a log axis (every value must then be positive: a
    ``ValueError`` otherwise). Saves to ``path`` if given; returns the figure.
    """
    arrays = [np.ravel(np.asarray(v, dtype=np.float64)) for _, _, v in curves]
    if log and any(np.any(v <= 0) for v in arrays):
        raise ValueError(
            "A log axis needs positive learning rates, but a schedule reaches <= 0: plot it on a "
            "linear axis (log=False), or give it a positive end value."
        )
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    exponent = _display_exponent(arrays, log)
    for (label, steps, _), values in zip(curves, arrays):
        ax.plot(np.asarray(steps), _scaled(values, exponent), label=label, linewidth=1.5)
    ax.set_xlabel("step")
    ax.set_ylabel(f"learning rate (×1e{exponent})" if exponent else "learning rate")
    if log:
        positive = np.concatenate(arrays or [np.zeros(0)])
        low, high = (float(np.min(positive)), float(np.max(positive))) if positive.size else (1.0, 1.0)
        if math.log10(high) - math.log10(low) > 250:  # matplotlib's decade ticks would pass float64
            raise ValueError(
                f"The learning rates span {math.log10(high) - math.log10(low):.0f} decades ({low:g} to "
                f"{high:g}), more than a log axis can tick (250): plot them on a linear axis, or print "
                "them with `lrcore table`."
            )
        # Levels within a few units of each other: matplotlib's log locator has no decade to tick
        # (it drew nothing, or a line off the axis); levels a millionth apart get ticks whose
        # labels are all the same number. A factor of 2 around them: a flat line, as a log axis
        # shows them, under readable ticks. (Set before the log scale where the levels are that
        # close: its autoscaling warned of identical limits.)
        around = (float(_scaled(low, exponent)) / 2, float(_scaled(high, exponent)) * 2)
        near = high <= low * (1 + 1e-9)
        if near:
            ax.set_ylim(*around)
        ax.set_yscale("log")
        if not near and not _distinct_tick_labels(fig, ax):
            ax.set_ylim(*around)
    if title:
        ax.set_title(_wrap(title), fontsize="medium")
    if len(curves) > 1:
        ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)


def _display_exponent(arrays, log: bool) -> int:
    """The power of ten the values of ``arrays`` are drawn divided by (the axis label gives it).

    Values near float64's largest or smallest: matplotlib's ticks overflow (a linear axis' range,
    a log axis' decades past float64) or its limits underflow (below about 1e-287 it takes them
    for 0: a linear axis became [-0.055, 0.055], the curve flat at 0, a log axis [-0.05, 0.05]).
    On a log axis large values are scaled only as far as needed (to 1e150: matplotlib adds margins
    and ticks a few decades past the values, at most 250 decades apart), so that small values
    stay on it; a log axis ignores values <= 0.
    """
    top = max((float(np.max(np.abs(v))) for v in arrays if v.size), default=0.0)
    positive = [v[v > 0] for v in arrays] if log else []
    least = min((float(np.min(v)) for v in positive if v.size), default=1.0) if log else top
    if math.isfinite(top) and top > (1e150 if log else 1e300):
        return int(math.floor(math.log10(top))) - (150 if log else 0)
    if log and 0.0 < least < 1e-200:
        # Centred: the scaled values lie within 1e±125 (spans are at most 250 decades). With the
        # smallest scaled to 1, a span of 240 decades reached 1e240, and on an axis shortened by a
        # long title matplotlib's wider decade stride put a tick past float64 (an overflow).
        top = max((float(np.max(v)) for v in positive if v.size), default=1.0)
        return int(math.floor((math.log10(least) + math.log10(top)) / 2))
    if 0.0 < top < 1e-200:
        return int(math.floor(math.log10(top)))
    return 0


def _scaled(values, exponent: int):
    """``values / 10**exponent`` (float64), for exponents down to -324 (10**324 is no float)."""
    values = np.asarray(values, dtype=np.float64)
    if exponent >= 0:
        return values / 10.0**exponent if exponent else values
    first = min(-exponent, 300)
    return values * 10.0**first * 10.0 ** (-exponent - first)


def _distinct_tick_labels(fig, ax) -> bool:
    """Whether at least two y ticks inside the axis' limits (major and minor) are labelled, with
    different numbers, as drawn."""
    fig.canvas.draw()
    low, high = sorted(ax.get_ylim())
    texts = [
        t.get_text()
        for t in [*ax.get_yticklabels(), *ax.get_yticklabels(minor=True)]
        if t.get_text() and low <= t.get_position()[1] <= high
    ]
    return len(texts) >= 2 and len(set(texts)) == len(texts)


def _wrap(text: str, width: int = 90) -> str:
    """A long title (a schedule with its parameters) over several lines, broken after commas."""
    lines, line = [], ""
    for part in text.split(", "):
        if line and len(line) + len(part) + 2 > width:
            lines.append(line + ",")
            line = part
        else:
            line = f"{line}, {part}" if line else part
    return "\n".join(lines + [line])


def loss_axis_range(losses, smoothed):
    """The range of a linear loss axis that keeps the range test readable, or None where the whole
    curve is.

    A sweep that diverged ends in a spike that can be hundreds of times the loss of interest, and
    flattens everything before it. The axis then runs from the lowest loss to the highest one
    recorded up to the smoothed minimum (the start of the descent), with a margin: the spike leaves
    the axis at the top. Losses are cut only when some rise more than half that span above it.
    """
    losses, smoothed = np.asarray(losses, dtype=np.float64), np.asarray(smoothed, dtype=np.float64)
    if losses.size < 2:
        return None
    lowest = int(np.argmin(smoothed))
    low = float(min(losses.min(), smoothed.min()))
    high = float(max(losses[: lowest + 1].max(), smoothed[: lowest + 1].max()))
    span = high - low
    if span <= 0 or float(losses.max()) <= high + 0.5 * span:
        return None
    return low - 0.05 * span, high + 0.15 * span


def finder_figure(result, ax=None, path=None, log_loss: bool = False):
    """The range test's loss (raw and smoothed) against the learning rate, suggestions marked.

    On a linear loss axis (``log_loss=False``) the divergence spike is cut off at the top (see
    :func:`loss_axis_range`), and the figure says how high the loss went.
    """
    fig = Figure(figsize=(7, 4.5)) if ax is None else ax.figure
    if ax is None:
        ax = fig.add_subplot()
    try:
        smoothed, suggestions = result.smoothed, result.suggestions
    except ValueError:
        smoothed, suggestions = None, None
    # Losses near float64's largest or smallest are drawn divided by a power of ten (see
    # schedules_figure; matplotlib failed on their ticks, or drew them flat at 0).
    losses = np.asarray(result.losses, dtype=np.float64)
    exponent = _display_exponent([losses] + ([] if smoothed is None else [smoothed]), log_loss)
    losses = _scaled(losses, exponent)
    ax.plot(result.lrs, losses, color="0.7", linewidth=1, label="loss")
    if smoothed is not None:
        smoothed = _scaled(smoothed, exponent)
        ax.plot(result.lrs, smoothed, color="C0", linewidth=2, label="smoothed")
    limits = None if log_loss or smoothed is None else loss_axis_range(losses, smoothed)
    if limits is not None:
        ax.set_ylim(*limits)
        ax.text(
            0.98, 0.97, f"cut off above: the loss reaches {float(np.max(result.losses)):.3g}",
            transform=ax.transAxes, ha="right", va="top", fontsize="small", color="0.35",
        )  # fmt: skip
    if suggestions is not None:
        for (name, lr), color in zip(
            (("steepest", suggestions.steepest), ("valley", suggestions.valley), ("minimum/10", suggestions.minimum)),
            ("C1", "C2", "C3"),
        ):
            ax.axvline(lr, color=color, linestyle="--", linewidth=1, label=f"{name}: {lr:.2e}")
    ax.set_xscale("log")
    if log_loss:
        ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"loss (×1e{exponent})" if exponent else "loss")
    ax.set_title("learning-rate range test" + (" (stopped: diverged)" if result.diverged else ""))
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)


def demo_figure(steps, lrs, histories, steps_per_epoch, path=None):
    """The demo: the learning-rate curve (top) and each framework's per-epoch loss (bottom).

    ``histories`` maps a framework name to its list of per-epoch mean training losses.
    """
    fig = Figure(figsize=(8, 7))
    top, bottom = fig.subplots(2, 1)
    top.plot(steps, lrs, color="C0", linewidth=1.5)
    top.set_yscale("log")
    top.set_xlabel("step")
    top.set_ylabel("learning rate")
    top.set_title("multi-period warmup cosine annealing (lrcore.cosine_restart)")
    top.grid(True, alpha=0.3)
    # The frameworks see the same data and weights, so their curves coincide: each gets its own
    # line style, marker and size, drawn largest first, so that every one stays visible on top.
    styles = [("-", "o", 9, 2.5), ("--", "s", 6, 1.8), (":", "^", 4, 1.2)]
    for i, (name, losses) in enumerate(histories.items()):
        epochs = np.arange(1, len(losses) + 1)
        line, marker, size, width = styles[i % len(styles)]
        bottom.plot(
            epochs * steps_per_epoch, losses, linestyle=line, marker=marker, markersize=size, linewidth=width,
            markerfacecolor="none" if i % len(styles) == 0 else None, color=f"C{i + 1}", label=name,
        )
    bottom.set_xlabel("step (end of epoch)")
    bottom.set_ylabel("training loss (epoch mean)")
    bottom.set_yscale("log")
    bottom.grid(True, alpha=0.3)
    if histories:
        bottom.legend(fontsize="small")
    return _finish(fig, path)
