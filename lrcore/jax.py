"""``lrcore.jax.<name>(...)``: every schedule as an optax-compatible schedule.

    optax.adam(lrcore.jax.cosine_restart(peak_value=1e-3, first_period=1000))
    optax.chain(optax.adam(lrcore.jax.cosine_decay(1e-3, 10_000)), lrcore.jax.reduce_on_plateau(patience=5))

Results are float32 ``jax.Array`` (``from_schedule(s, dtype=jnp.float64)`` with x64 enabled for
float64) and work under ``jit``, ``vmap``, ``grad``, ``optax.inject_hyperparams`` and sharded ``jit``.
"""

from .backends import install as _install
from .backends.jax import JaxSchedule as JaxSchedule
from .backends.jax import ReduceOnPlateauState as ReduceOnPlateauState
from .backends.jax import reduce_on_plateau as reduce_on_plateau

# The factories are generated from the registry; lrcore/jax.pyi (python -m lrcore._stubs) is
# their static view for editors and type checkers.
__all__ = [*_install(globals(), JaxSchedule), "JaxSchedule", "reduce_on_plateau", "ReduceOnPlateauState"]
