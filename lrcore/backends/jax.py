"""The JAX adapter: optax-compatible schedules, float32 by default, jit/vmap/grad friendly.

``lrcore.jax.<name>(...)`` returns a :class:`JaxSchedule`, a callable of the optax ``count`` that
returns a ``jax.Array``. Level parameters (``peak_value``, ``init_value``, ``end_value``, …) may be
JAX arrays or tracers, so a schedule can be built inside ``vmap``/``grad``; structural parameters
(lengths, boundaries, modes) stay Python values, which is what lets a whole training run compile
once.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..schedule import Schedule


class JaxSchedule:
    """A schedule evaluated with ``jax.numpy``; pass it wherever optax takes a schedule."""

    __slots__ = ("schedule", "dtype", "__weakref__")

    def __init__(self, schedule: Schedule, dtype=jnp.float32):
        dtype = jnp.dtype(dtype)
        if dtype not in (jnp.dtype(jnp.float32), jnp.dtype(jnp.float64)):
            raise ValueError(f"Argument `dtype` must be float32 or float64. Received: dtype={dtype}")
        if dtype == jnp.float64 and not jax.config.read("jax_enable_x64"):
            raise ValueError(
                "Argument `dtype` is float64 but JAX has 64-bit types disabled; set "
                "jax.config.update('jax_enable_x64', True) first. Received: dtype=float64"
            )
        self.schedule = schedule
        self.dtype = dtype

    def __call__(self, count=None):
        if count is None:  # Keras calls a plain callable `learning_rate` with no arguments
            raise TypeError(
                "Argument `count` (optax's step count) is required. For Keras (any backend), use "
                "lrcore.keras.<name>(...) or lrcore.keras.from_schedule(schedule). Received: count=None"
            )
        return self.schedule.evaluate(jnp.asarray(count), xp=jnp, dtype=self.dtype)

    def __repr__(self):
        return f"lrcore.jax.from_schedule({self.schedule!r})"
