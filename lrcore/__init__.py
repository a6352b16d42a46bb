"""lrcore: learning-rate schedules defined once, exact in JAX/optax, NumPy, PyTorch and Keras.

Every schedule is an immutable, validated :class:`Schedule`; ``schedule(step)`` evaluates it on a
Python int (a NumPy float64) or on any array-API array. The framework adapters live in
``lrcore.numpy``, ``lrcore.jax``, ``lrcore.torch``, ``lrcore.tf`` and ``lrcore.keras``; each is imported only when
used, so ``import lrcore`` imports no ML framework.
"""

import importlib as _importlib

from .combinators import add as add
from .combinators import clip as clip
from .combinators import join as join
from .combinators import multiply as multiply
from .combinators import per_epoch as per_epoch
from .combinators import stride as stride
from .combinators import scale as scale
from .combinators import shift as shift
from .combinators import warmup as warmup
from .cosine import cosine_decay as cosine_decay
from .cosine import cosine_restart as cosine_restart
from .cosine import polynomial_restart as polynomial_restart
from .cosine import tanh_restart as tanh_restart
from .cosine import warmup_cosine_decay as warmup_cosine_decay
from .cyclic import cyclic as cyclic
from .cyclic import cyclic_momentum as cyclic_momentum
from .cyclic import onecycle as onecycle
from .cyclic import onecycle_momentum as onecycle_momentum
from .decay import constant as constant
from .decay import ema_decay as ema_decay
from .decay import exponential_decay as exponential_decay
from .decay import inverse_time_decay as inverse_time_decay
from .decay import linear as linear
from .decay import polynomial_decay as polynomial_decay
from .decay import tanh_decay as tanh_decay
from .piecewise import piecewise_constant as piecewise_constant
from .piecewise import piecewise_linear as piecewise_linear
from .plateau import Plateau as Plateau
from .plateau import PlateauState as PlateauState
from .plateau import plateau as plateau
from . import schedule as _schedule
from .schedule import Schedule as Schedule
from .schedule import from_dict as from_dict
from .schedule import register as register
from .transformer import inverse_sqrt as inverse_sqrt
from .transformer import noam as noam
from .stochastic import noise as noise
from .transformer import warmup_stable_decay as warmup_stable_decay

# After every schedule module: the registration order (that of SCHEDULES) is theirs.
from .convert import from_composer as from_composer
from .convert import from_hf as from_hf
from .convert import from_keras as from_keras
from .convert import from_paddle as from_paddle
from .convert import from_timm as from_timm
from .convert import from_torch as from_torch

__version__ = "0.1.0"

#: lrcore's own schedules and combinators, by name, derived from the registry: a module's
#: ``@register`` is the only place a schedule's name is written. ``lrcore.schedule.names()`` gives
#: every registered schedule, those registered with :func:`lrcore.register` since included.
SCHEDULES = _schedule.names()

#: The converters from other libraries' schedulers (lrcore.convert).
CONVERTERS = ("from_torch", "from_keras", "from_hf", "from_timm", "from_composer", "from_paddle")

__all__ = ["Schedule", "from_dict", "register", "SCHEDULES", "CONVERTERS", "Plateau", "PlateauState", "plateau", *CONVERTERS, *SCHEDULES]

# Adapters load on first use: `lrcore.jax` imports jax only when touched.
_ADAPTERS = ("numpy", "jax", "torch", "tf", "keras", "finder", "cli")


def __getattr__(name):
    if name in _ADAPTERS:
        return _importlib.import_module(f"lrcore.{name}")
    raise AttributeError(f"module 'lrcore' has no attribute {name!r}")
