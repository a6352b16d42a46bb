"""Matplotlib figures for the CLI, the range test and the demo.

Imported only when a plot is asked for. Figures are built with ``matplotlib.figure.Figure``
directly, never through ``pyplot``: no global state is touched, no window opens, and a PNG is
rendered with Agg whatever backend the user's session has selected.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

__all__ = ["schedules_figure", "finder_figure", "demo_figure"]


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def schedules_figure(curves, path=None, log: bool = False, title: str | None = None):
    """One line per ``(label, steps, values)`` in ``curves``, with a legend when there are several.

    ``log`` puts the learning rate on a log axis. Saves to ``path`` if given; returns the figure.
    """
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    for label, steps, values in curves:
        ax.plot(np.asarray(steps), np.asarray(values), label=label, linewidth=1.5)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)


def finder_figure(result, ax=None, path=None, log_loss: bool = False):
    """The range test's loss (raw and smoothed) against the learning rate, suggestions marked."""
    fig = Figure(figsize=(7, 4.5)) if ax is None else ax.figure
    if ax is None:
        ax = fig.add_subplot()
    ax.plot(result.lrs, result.losses, color="0.7", linewidth=1, label="loss")
    try:
        ax.plot(result.lrs, result.smoothed, color="C0", linewidth=2, label="smoothed")
        suggestions = result.suggestions
    except ValueError:
        suggestions = None
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
    ax.set_ylabel("loss")
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
    for i, (name, losses) in enumerate(histories.items()):
        epochs = np.arange(1, len(losses) + 1)
        bottom.plot(epochs * steps_per_epoch, losses, marker="o", markersize=3, color=f"C{i + 1}", label=name)
    bottom.set_xlabel("step (end of epoch)")
    bottom.set_ylabel("training loss (epoch mean)")
    bottom.set_yscale("log")
    bottom.grid(True, alpha=0.3)
    if histories:
        bottom.legend(fontsize="small")
    return _finish(fig, path)
