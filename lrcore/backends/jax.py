"""The JAX adapter: optax-compatible schedules, float32 by default, jit/vmap/grad friendly.

``lrcore.jax.<name>(...)`` returns a :class:`JaxSchedule`, a callable of the optax ``count`` that
returns a ``jax.Array``. Level parameters (``peak_value``, ``init_value``, ``end_value``, …) may be
JAX arrays or tracers, so a schedule can be built inside ``vmap``/``grad``; structural parameters
(lengths, boundaries, modes) stay Python values, which is what lets a whole training run compile
once.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._array import host_steps
from ..schedule import Schedule, check_levels_fit


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
        check_levels_fit(schedule, float(np.finfo(dtype).max), dtype.name)  # refused now, not at step 0
        self.schedule = schedule
        self.dtype = dtype

    def __call__(self, count=None):
        if count is None:  # Keras calls a plain callable `learning_rate` with no arguments
            raise TypeError(
                "Argument `count` (optax's step count) is required. For Keras (any backend), use "
                "lrcore.keras.<name>(...) or lrcore.keras.from_schedule(schedule). Received: count=None"
            )
        if isinstance(count, jax.Array):  # tracers included
            return self.schedule.evaluate(count, xp=jnp, dtype=self.dtype)
        return self._host(count)

    def _host(self, count):
        """A Python or NumPy step: converted on the host, where ``jnp.asarray`` would silently wrap
        int64 steps past int32 (and round float64 steps to float32) when x64 is off."""
        x64 = jax.config.read("jax_enable_x64")
        steps = host_steps(count, 64 if x64 else 32)
        if x64 or steps.dtype.kind != "f" or steps.dtype.itemsize <= 2:
            return self.schedule.evaluate(jnp.asarray(steps), xp=jnp, dtype=self.dtype)
        # float32/float64 steps without x64: floored into int32 here (exactly), NaN put back after.
        nan = np.isnan(steps)
        whole = np.floor(np.where(nan, 0.0, steps).astype(np.float64))
        ints = np.where(whole >= 2.0**31, 2**31 - 1, np.clip(whole, -1, 2**31 - 1)).astype(np.int32)
        out = self.schedule.evaluate(jnp.asarray(ints), xp=jnp, dtype=self.dtype)
        return jnp.where(jnp.asarray(nan), jnp.asarray(math.nan, dtype=self.dtype), out) if nan.any() else out

    def __repr__(self):
        return f"lrcore.jax.from_schedule({self.schedule!r})"
