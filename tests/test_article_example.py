"""The reference article's exercise, reproduced with optax driving ``lrcore.jax``.

Loss ``(w + 1)**2`` from ``w = 5``; ``optax.sgd`` with
``exponential_decay(0.1, decay_steps=1, decay_rate=0.99, staircase=True)`` for 40 updates, update n
using the schedule at step n. The article prints, after the first update, lr 0.099 (the schedule
at step 1), loss 23.04 and w 3.8, and ends at w = -0.9957312.
"""

from __future__ import annotations

import contextlib
import io
import runpy
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrcore.jax

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quadratic_staircase.py"
F32 = 2.0**-23  # float32 ulp of 1


def optax_run(updates=40):
    """(lr used by update n, lr at the count after it, loss after it, w after it) for each update."""
    schedule = lrcore.jax.exponential_decay(0.1, decay_steps=1, decay_rate=0.99, staircase=True)
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule)
    w = jnp.float32(5.0)
    state = optimizer.init(w)
    loss = lambda w: (w + 1.0) ** 2  # noqa: E731
    rows = []
    for _ in range(updates):
        updates_, state = optimizer.update(jax.grad(loss)(w), state, w)
        used = float(state.hyperparams["learning_rate"])  # inject_hyperparams keeps the value it used
        w = optax.apply_updates(w, updates_)
        rows.append((used, float(schedule(state.count)), float(loss(w)), float(w)))
    return rows


def test_article_numbers():
    rows = optax_run()
    used, lr_after, loss, w = rows[0]
    assert used == np.float32(0.1)  # update 0 uses the value at step 0
    # The article's printed values (float32 arithmetic: a few ulp of the magnitude).
    np.testing.assert_allclose(lr_after, 0.099, rtol=4 * F32)
    np.testing.assert_allclose(loss, 23.04, rtol=4 * F32)
    np.testing.assert_allclose(w, 3.8, rtol=4 * F32)
    # 40 float32 updates, each rounding w (|w + 1| <= 6) a few times: 40·4 ulp of 6 absolute.
    np.testing.assert_allclose(rows[-1][3], -0.9957312, rtol=0, atol=160 * F32 * 6)


def test_against_plain_float64_loop():
    """An independent float64 loop: w + 1 <- (w + 1)(1 - 2·lr_n), lr_n = 0.1·0.99**n."""
    rows = optax_run()
    x = 6.0
    for n, (used, lr_after, loss, w) in enumerate(rows):
        lr_n = 0.1 * 0.99**n
        x *= 1.0 - 2.0 * lr_n
        np.testing.assert_allclose(used, lr_n, rtol=4 * F32)
        np.testing.assert_allclose(lr_after, 0.1 * 0.99 ** (n + 1), rtol=4 * F32)
        np.testing.assert_allclose(w, x - 1.0, rtol=0, atol=4 * (n + 1) * F32 * 6)
        np.testing.assert_allclose(loss, x * x, rtol=0, atol=8 * (n + 1) * F32 * 36)
    # The article's -0.9957312 is float32 arithmetic's result; the float64 value is -0.99573114.
    np.testing.assert_allclose(x - 1.0, -0.9957312, rtol=0, atol=160 * F32 * 6)


def test_example_script_prints_the_table():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["update", "lr", "loss", "w"]
    first = lines[1].split()
    assert first == ["1", "0.0990000", "23.0400009", "3.8000000"]
    assert len(lines) == 1 + 40 + 1
    assert lines[-1] == "final w = -0.9957312"
