"""The backend matrix: every evaluation test runs on NumPy, array-api-strict, JAX (under jit) and torch.

Use the ``backend`` fixture: ``backend.evaluate(schedule, steps)`` converts the integer NumPy
``steps`` to the backend's array type, evaluates the core :class:`lrcore.Schedule` on it (through
``jax.jit`` for JAX), checks the result's namespace, dtype and shape, and returns float64 NumPy
values. ``backend.bits`` is the float width of its results (64 or 32), for ulp tolerances.

Every backend is required: CI installs them all, and a missing one fails rather than skips.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Derandomized: every run (CI included) checks the same examples, so a green suite stays green.
# `HYPOTHESIS_PROFILE=explore pytest ...` draws fresh random examples, to look for new corners.
settings.register_profile(
    "lrcore",
    deadline=None,
    max_examples=60,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "lrcore"))


class Backend:
    name: str
    bits: int
    max_step: int
    #: Step dtypes the backend has (docs/step.md: any real dtype), by NumPy/ml_dtypes name.
    step_dtypes = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                   "float16", "bfloat16", "float32", "float64")

    def evaluate(self, schedule, steps):
        raise NotImplementedError

    def array(self, values, dtype: str):
        """``values`` (a NumPy array already of ``dtype``) as a step array of this backend."""
        raise NotImplementedError

    def evaluate_array(self, schedule, array):
        """``schedule`` on a backend step array of any dtype (jitted for JAX), as float64 NumPy."""
        out = schedule(array)
        return np.asarray(out, dtype=np.float64)

    def __repr__(self):
        return self.name


class NumpyBackend(Backend):
    name, bits, max_step = "numpy", 64, 2**63 - 1

    def evaluate(self, schedule, steps):
        out = schedule(np.asarray(steps, dtype=np.int64))
        assert isinstance(out, np.ndarray) and out.dtype == np.float64
        assert out.shape == np.shape(steps)
        return out


    def array(self, values, dtype):
        return values


class StrictBackend(Backend):
    name, bits, max_step = "array_api_strict", 64, 2**63 - 1
    step_dtypes = tuple(d for d in Backend.step_dtypes if d not in ("float16", "bfloat16"))

    def array(self, values, dtype):
        import array_api_strict as xs

        return xs.asarray(values)

    def evaluate(self, schedule, steps):
        import array_api_strict as xs

        out = schedule(xs.asarray(np.asarray(steps, dtype=np.int64)))
        assert type(out).__module__.startswith("array_api_strict"), type(out)
        assert out.dtype == xs.float64 and out.shape == np.shape(steps)
        return np.asarray(out)


class JaxBackend(Backend):
    name, bits, max_step = "jax", 32, 2**31 - 1
    # Without x64, JAX has no 64-bit arrays (lrcore.jax's host conversion is tested on its own).
    step_dtypes = tuple(d for d in Backend.step_dtypes if d not in ("int64", "uint64", "float64"))

    def array(self, values, dtype):
        import jax.numpy as jnp

        return jnp.asarray(values, dtype=getattr(jnp, dtype))

    def evaluate_array(self, schedule, array):
        import jax

        return np.asarray(jax.jit(lambda k: schedule(k))(array), dtype=np.float64)

    def evaluate(self, schedule, steps):
        import jax
        import jax.numpy as jnp

        out = jax.jit(lambda k: schedule(k))(jnp.asarray(np.asarray(steps), dtype=jnp.int32))
        assert isinstance(out, jax.Array) and out.dtype == jnp.float32
        assert out.shape == np.shape(steps)
        return np.asarray(out, dtype=np.float64)


class TorchBackend(Backend):
    name, bits, max_step = "torch", 32, 2**63 - 1

    def array(self, values, dtype):
        import torch

        if dtype == "bfloat16":
            return torch.as_tensor(values.astype(np.float32)).to(torch.bfloat16)  # exact
        return torch.as_tensor(values)

    def evaluate_array(self, schedule, array):
        return schedule(array).double().numpy()

    def evaluate(self, schedule, steps):
        import torch

        out = schedule(torch.as_tensor(np.asarray(steps, dtype=np.int64)))
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
        assert tuple(out.shape) == np.shape(steps)
        return out.double().numpy()


BACKENDS = [NumpyBackend(), StrictBackend(), JaxBackend(), TorchBackend()]


@pytest.fixture(params=BACKENDS, ids=lambda b: b.name)
def backend(request) -> Backend:
    return request.param
