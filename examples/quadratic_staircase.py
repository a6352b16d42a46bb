"""The reference article's exercise: gradient descent on ``(w + 1)**2`` from ``w = 5`` with a
staircase exponential decay (0.1, multiplied by 0.99 every step), driven by optax.

Update n uses the schedule's value at step n (optax's ``count`` before the update). Each row
shows the state after update n: the learning rate optax's schedule gives at the new count (the
value the article prints, 0.099 after the first update), the loss and ``w``.

Run from the repository root::

    PYTHONPATH=. python examples/quadratic_staircase.py
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

import lrcore.jax

UPDATES = 40


def loss_fn(w):
    return (w + 1.0) ** 2


def run(updates: int = UPDATES):
    """Rows ``(update, lr, loss, w)`` after each update (update counts from 1)."""
    schedule = lrcore.jax.exponential_decay(0.1, decay_steps=1, decay_rate=0.99, staircase=True)
    optimizer = optax.sgd(schedule)
    w = jnp.asarray(5.0, dtype=jnp.float32)
    state = optimizer.init(w)

    @jax.jit
    def step(w, state):
        grad = jax.grad(loss_fn)(w)
        updates_, state = optimizer.update(grad, state, w)
        return optax.apply_updates(w, updates_), state

    rows = []
    for n in range(1, updates + 1):
        w, state = step(w, state)
        count = optax.tree_utils.tree_get(state, "count")
        rows.append((n, float(schedule(count)), float(loss_fn(w)), float(w)))
    return rows


def main():
    rows = run()
    print(f"{'update':>6}  {'lr':>10}  {'loss':>12}  {'w':>11}")
    for n, lr, loss, w in rows:
        print(f"{n:>6}  {lr:>10.7f}  {loss:>12.7f}  {w:>11.7f}")
    print(f"final w = {rows[-1][3]:.7f}")


if __name__ == "__main__":
    main()
